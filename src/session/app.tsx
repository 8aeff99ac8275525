import { useEffect, useRef, useState } from 'preact/hooks';
import type { ControlMode, InputEvent } from './control.js';
import { sessionHandle } from './handle.js';
import { GuestScreen, SessionPanel } from './panel.js';
import type { ScreenSource } from './screen.js';
import { hostSession, joinSession, parseLink, type GuestSession, type HostSession } from './session.js';

/** Whether this page was opened from a session link (then it is a guest and runs no VM of its own). */
export function isGuestPage(): boolean {
  return parseLink(location.hash) !== undefined;
}

/** Adds the session's methods to window.co86 (the app's page handle keeps screenText/state). */
function extendHandle(extra: Record<string, unknown>): void {
  const handle = (window.co86 ?? {}) as Record<string, unknown>;
  Object.assign(handle, extra);
  (window as unknown as { co86: unknown }).co86 = handle;
}

/**
 * The host page's sharing: the Share button (and mode), then the session panel. `source` is the VM's
 * screen as the page has it (PostedScreen fed from the Worker's frames); `onInput` feeds allowed guest
 * input to the VM. Installs window.co86.share({ mode, turnSeconds, view }) → the join link.
 */
export function HostSharing({ source, onInput, onSession }: { source: ScreenSource; onInput: (event: InputEvent) => void; onSession?: (session: HostSession) => void }) {
  const [session, setSession] = useState<HostSession>();
  const current = useRef<HostSession>();
  const input = useRef(onInput);
  input.current = onInput;
  const start = (options: { mode?: ControlMode; turnMs?: number }) => {
    if (!current.current) {
      current.current = hostSession({ source, onInput: (event) => input.current(event), mode: options.mode, turnMs: options.turnMs });
      onSession?.(current.current);
    }
    setSession(current.current);
    return current.current;
  };
  useEffect(() => {
    const handle = sessionHandle({ host: () => current.current, start });
    extendHandle({ share: handle.share, kick: handle.kick, session: handle.session });
    return () => current.current?.close();
  }, []);
  return <SessionPanel session={session} onShare={(mode) => start({ mode })} />;
}

/** A guest page: the host's screen, keys to the host (when the rules allow), the session panel. */
export function GuestApp() {
  const guest = useRef<GuestSession>();
  guest.current ??= joinSession(location.href);
  useEffect(() => {
    const g = guest.current!;
    const handle = sessionHandle({ guest: g });
    extendHandle({
      ...handle,
      screenText: () => g.screenText(),
      state: () => ({
        running: g.view.synced,
        mode: g.view.mode ? (g.view.mode.text ? `text ${g.view.mode.cols}x${g.view.mode.rows}` : `graphics ${g.view.mode.width}x${g.view.mode.height}`) : '',
        mips: 0,
        fps: 0,
        role: 'guest',
        peers: g.state().participants,
        phase: g.view.synced ? 'running' : 'loading',
        session: handle.session(),
      }),
    });
    return () => g.close();
  }, []);
  return (
    <main class="co86">
      <h1>co86 · shared session</h1>
      <GuestScreen session={guest.current} />
      <SessionPanel session={guest.current} />
    </main>
  );
}
