import { useEffect, useRef, useState } from 'preact/hooks';
import type { FromWorker, ScreenUpdate, StatusUpdate } from '../emulator/messages.js';
import { scancodes } from './keymap.js';

declare global {
  interface Window {
    co86: { screenText(): string; state(): Record<string, unknown> };
  }
}

/** The placeholder app: one VM booting in a Worker, its text screen, keyboard input and a status line. */
export function App() {
  const [screen, setScreen] = useState<ScreenUpdate | undefined>();
  const [status, setStatus] = useState<StatusUpdate | undefined>();
  const worker = useRef<Worker>();
  const latest = useRef<{ screen?: ScreenUpdate; status?: StatusUpdate }>({});

  useEffect(() => {
    const w = new Worker(new URL('../emulator/worker.ts', import.meta.url), { type: 'module' });
    worker.current = w;
    w.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.type === 'screen') {
        latest.current.screen = message;
        setScreen(message);
      } else if (message.type === 'status') {
        latest.current.status = message;
        setStatus(message);
      }
    };
    w.onerror = (event) => setStatus({ type: 'status', running: false, mips: 0, instructions: 0, error: event.message || 'the emulator failed to start' });
    window.co86 = {
      screenText: () => latest.current.screen?.text ?? '',
      state: () => ({
        running: latest.current.status?.running ?? false,
        mode: 'text',
        mips: latest.current.status?.mips ?? 0,
        role: 'host',
        peers: 0,
      }),
    };
    return () => w.terminate();
  }, []);

  const onKey = (event: KeyboardEvent, down: boolean) => {
    const codes = scancodes(event.code, down);
    if (!codes) return;
    event.preventDefault();
    worker.current?.postMessage({ type: 'keys', scancodes: codes });
  };

  return (
    <main class="co86">
      <h1>co86</h1>
      <pre class="screen" tabIndex={0} aria-label="VM screen" onKeyDown={(e) => onKey(e, true)} onKeyUp={(e) => onKey(e, false)}>
        {screen?.text ?? 'starting…'}
      </pre>
      <p class="status">
        {status?.error ? `Error: ${status.error}` : status ? `running · ${status.mips.toFixed(1)} MIPS` : 'loading the emulator…'}
      </p>
      <style>{STYLE}</style>
    </main>
  );
}

const STYLE = `
  body { margin: 0; background: #1b1d22; color: #d8dbe2; font-family: system-ui, sans-serif; }
  .co86 { max-width: 760px; margin: 24px auto; padding: 0 16px; }
  h1 { font-size: 20px; margin: 0 0 12px; }
  .screen { background: #000; color: #c0c0c0; font: 16px/1.15 ui-monospace, 'DejaVu Sans Mono', monospace;
            padding: 8px; min-height: calc(25 * 1.15em); width: 80ch; white-space: pre; outline: none; }
  .screen:focus { box-shadow: 0 0 0 2px #4c8bf5; }
  .status { font-size: 13px; color: #9aa0ad; }
`;
