import { useEffect, useRef, useState } from 'preact/hooks';
import type { BootRequest, BootSource, FromWorker, StatusUpdate, ToWorker } from '../emulator/messages.js';
import { DEFAULT_MEMORY_MB } from './boot-choice.js';
import { BootPanel } from './BootPanel.js';
import { scancodes } from './keymap.js';
import { installPageHandle } from './page-handle.js';
import { capturePointer } from './pointer-lock.js';
import { Screen, type ScaleMode } from './Screen.js';
import { SerialTerminal } from './SerialTerminal.js';
import { getSnapshot, putSnapshot, type StoredSnapshot } from './storage.js';
import { STYLE } from './style.js';
import { GuestApp, HostSharing, isGuestPage, PostedScreen, type HostSession } from '../session/index.js';
import type { TextScreen } from '../../core/index.js';

const SAVED_NAME = 'latest';

/** Keys the browser or the OS keeps for itself, sent as press-in-order, release-in-reverse. */
const COMBOS: { label: string; codes: string[] }[] = [
  { label: 'Ctrl+Alt+Del', codes: ['ControlLeft', 'AltLeft', 'Delete'] },
  { label: 'Alt+Tab', codes: ['AltLeft', 'Tab'] },
  { label: 'Ctrl+C', codes: ['ControlLeft', 'KeyC'] },
  { label: 'Esc', codes: ['Escape'] },
  { label: 'F11', codes: ['F11'] },
];

/** The host page: one VM in a Worker, its screen, serial console, controls and status. */
/** A page opened from a session link is a guest of someone else's VM (src/session); otherwise a host. */
export function App() {
  return isGuestPage() ? <GuestApp /> : <HostApp />;
}

function HostApp() {
  const worker = useRef<Worker>();
  const draw = useRef<(w: number, h: number, p: ArrayBuffer) => void>();
  const posted = useRef(new PostedScreen());
  const writeSerial = useRef<(bytes: Uint8Array) => void>();
  const latest = useRef({ text: '', mode: '', cells: undefined as TextScreen | undefined, status: undefined as StatusUpdate | undefined, error: undefined as string | undefined });
  const shared = useRef<HostSession>();
  const source = useRef<BootRequest>({ source: { kind: 'default' }, memoryMB: DEFAULT_MEMORY_MB, baseUrl: document.baseURI });
  const saveTarget = useRef<'browser' | 'file'>('browser');
  const [status, setStatus] = useState<StatusUpdate | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [panel, setPanel] = useState(false);
  const [scale, setScale] = useState<ScaleMode>('integer');
  const [saved, setSaved] = useState<StoredSnapshot | undefined>();
  const [busy, setBusy] = useState(false);

  const send = (message: ToWorker, transfer: Transferable[] = []) => worker.current?.postMessage(message, transfer);
  const showError = (message: string | undefined) => {
    latest.current.error = message;
    setError(message);
  };

  const boot = (request: BootRequest) => {
    if (!request.snapshot) source.current = request;
    showError(undefined);
    setNotice(undefined);
    send({ type: 'boot', request });
  };

  useEffect(() => {
    const w = new Worker(new URL('../emulator/worker.ts', import.meta.url), { type: 'module' });
    worker.current = w;
    w.onmessage = (event: MessageEvent<FromWorker>) => onWorkerMessage(event.data);
    w.onerror = (event) => showError(`The emulator could not start: ${event.message || 'its script failed to load'}.`);
    installPageHandle(() => {
      const s = latest.current.status;
      return {
        text: latest.current.text,
        cells: latest.current.cells,
        state: {
          running: s?.phase === 'running',
          mode: latest.current.mode,
          mips: s?.mips ?? 0,
          fps: s?.fps ?? 0,
          role: 'host',
          peers: shared.current?.state().participants ?? 0,
          phase: s?.phase ?? 'loading',
          error: latest.current.error,
          jit: s?.jit,
        },
      };
    });
    getSnapshot(SAVED_NAME).then(setSaved, () => {});
    boot(source.current);
    return () => w.terminate();
  }, []);

  const onWorkerMessage = (message: FromWorker) => {
    switch (message.type) {
      case 'frame':
        draw.current?.(message.width, message.height, message.pixels);
        posted.current.frame(message.width, message.height, message.pixels);
        send({ type: 'recycle', buffer: message.pixels }, [message.pixels]);
        break;
      case 'text':
        latest.current.text = message.text;
        latest.current.mode = message.mode;
        latest.current.cells = message.cells;
        posted.current.screenText(message.text, message.cells);
        break;
      case 'serial':
        writeSerial.current?.(message.bytes);
        break;
      case 'status':
        latest.current.status = message;
        setStatus(message);
        break;
      case 'error':
        showError(message.message);
        setBusy(false);
        break;
      case 'saved':
        void storeSnapshot(message.snapshot);
        break;
      case 'disk':
        if (message.image) downloadBlob(message.image, 'co86-disk.img');
        else setNotice('This VM has no writable disk to download (the default guest runs from its initrd).');
        break;
    }
  };

  const storeSnapshot = async (snapshot: Blob) => {
    try {
      if (saveTarget.current === 'file') {
        downloadBlob(snapshot, `co86-${new Date().toISOString().replace(/[:.]/g, '-')}.co86`);
        setNotice(`Saved the machine to a file (${mb(snapshot.size)}).`);
      } else {
        const entry: StoredSnapshot = { name: SAVED_NAME, savedAt: new Date().toISOString(), bytes: snapshot.size, snapshot };
        await putSnapshot(entry);
        setSaved(entry);
        setNotice(`Saved the machine in this browser (${mb(snapshot.size)}).`);
      }
    } catch (e) {
      showError(`Could not save: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const save = (target: 'browser' | 'file') => {
    saveTarget.current = target;
    setBusy(true);
    setNotice('Saving the machine…');
    send({ type: 'save' });
  };

  const restore = (snapshot: Blob) => boot({ ...source.current, snapshot });

  const combo = (codes: string[]) => {
    const bytes: number[] = [];
    for (const code of codes) bytes.push(...(scancodes(code, true) ?? []));
    for (const code of [...codes].reverse()) bytes.push(...(scancodes(code, false) ?? []));
    send({ type: 'keys', scancodes: bytes });
  };

  const phase = status?.phase ?? 'loading';
  return (
    <main class="co86">
      <header>
        <h1>co86</h1>
        <nav class="toolbar" aria-label="machine controls">
          <button onClick={() => setPanel(!panel)}>Boot…</button>
          <button disabled={phase !== 'running' || busy} onClick={() => save('browser')} title="Keep the machine's state in this browser">
            Save
          </button>
          <button disabled={!saved} onClick={async () => restore((await getSnapshot(SAVED_NAME))!.snapshot)} title={saved ? `saved ${saved.savedAt}` : 'nothing saved yet'}>
            Restore
          </button>
          <button disabled={phase !== 'running' || busy} onClick={() => save('file')}>
            Save to file
          </button>
          <label class="button">
            Restore file…
            <input type="file" accept=".co86" hidden aria-label="snapshot file" onChange={(e) => e.currentTarget.files?.[0] && restore(e.currentTarget.files[0])} />
          </label>
          <button onClick={() => send({ type: 'download-disk' })}>Download disk</button>
          <button onClick={() => send({ type: 'reset' })} title="Press the machine's reset button">
            Reset
          </button>
          <button onClick={() => send({ type: 'pause', paused: phase !== 'paused' })}>{phase === 'paused' ? 'Resume' : 'Pause'}</button>
          <span class="sep" />
          {COMBOS.map((c) => (
            <button class="key" onClick={() => combo(c.codes)}>
              {c.label}
            </button>
          ))}
          <span class="sep" />
          <button onClick={() => setScale(scale === 'integer' ? 'fit' : 'integer')}>{scale === 'integer' ? 'Scale: crisp' : 'Scale: fit'}</button>
          <button onClick={() => void document.querySelector('.screen-box')?.requestFullscreen()}>Fullscreen</button>
          <button onClick={() => capturePointer(document.querySelector<HTMLCanvasElement>('canvas.screen'))} title="Moves the guest's PS/2 mouse until you press Esc">
            Capture mouse
          </button>
        </nav>
      </header>
      {panel && <BootPanel boot={(s: BootSource, memoryMB, network) => boot({ source: s, memoryMB, network, baseUrl: document.baseURI })} close={() => setPanel(false)} />}
      {error && (
        <p class="error" role="alert">
          {error} <button onClick={() => showError(undefined)}>Dismiss</button>
        </p>
      )}
      {notice && !error && <p class="notice">{notice}</p>}
      {phase === 'loading' && status?.progress !== undefined && <progress class="progress" value={status.progress} max={1} />}
      <Screen onReady={(d) => (draw.current = d)} sendKeys={(codes) => send({ type: 'keys', scancodes: codes })} sendMouse={(dx, dy, dz, buttons) => send({ type: 'mouse', dx, dy, dz, buttons })} scale={scale} />
      <HostSharing source={posted.current} onSession={(s) => (shared.current = s)} onInput={(e) => (e.kind === 'keys' ? send({ type: 'keys', scancodes: e.codes }) : send({ type: 'mouse', dx: e.dx, dy: e.dy, dz: e.dz, buttons: e.buttons }))} />
      <p class="status" aria-live="polite">
        {statusLine(status)}
        {phase === 'running' && <span class="hint"> · click the screen to type</span>}
      </p>
      <details open>
        <summary>Serial console (COM1)</summary>
        <SerialTerminal onReady={(w) => (writeSerial.current = w)} send={(bytes) => send({ type: 'serial', bytes })} />
      </details>
      <style>{STYLE}</style>
    </main>
  );
}


function statusLine(status: StatusUpdate | undefined): string {
  if (!status) return 'starting the emulator…';
  if (status.phase !== 'running') return `${status.phase} · ${status.detail}`;
  const parts = [`running · ${status.mips.toFixed(1)} MIPS`, `${status.fps.toFixed(0)} fps`];
  if (status.diskBytes) parts.push(`${mb(status.diskBytes)} fetched`);
  if (status.net) {
    const n = status.net;
    const link = n.status === 'open' ? 'connected' : n.status === 'waiting' ? 'relay unreachable, retrying' : n.status;
    parts.push(`net ${n.room}: ${link}, ${n.framesIn} in / ${n.framesOut} out${n.dropped ? `, ${n.dropped} dropped` : ''}`);
  }
  parts.push(status.detail);
  return parts.join(' · ');
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
