import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { scancodes } from '../ui/keymap.js';
import { capturePointer, usePointerLockMouse } from '../ui/pointer-lock.js';
import { CONTROL_MODES, type ControlMode } from './control.js';
import { HostSession, type GuestSession, type Presence } from './session.js';

/** Re-render a few times a second (the turn timer) and whenever the session says something changed. */
function useTicker(ms: number): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const t = setInterval(bump, ms);
    return () => clearInterval(t);
  }, [ms]);
}

export interface SessionPanelProps {
  /** The running session, if any. */
  session: HostSession | GuestSession | undefined;
  /** Host page without a session yet: start one. */
  onShare?: (mode: ControlMode) => void;
}

const MODE_NAMES: Record<ControlMode, string> = { 'host-only': 'Only me', turns: 'Take turns', free: 'Everyone' };

/** Share button and mode, participants with roles and pointers, the turn queue and timer, and chat. */
export function SessionPanel({ session, onShare }: SessionPanelProps) {
  useTicker(500);
  const [mode, setMode] = useState<ControlMode>('turns');
  const [draft, setDraft] = useState('');
  if (!session) {
    return (
      <section class="session idle">
        <select aria-label="Who may type" value={mode} onChange={(e) => setMode((e.target as HTMLSelectElement).value as ControlMode)}>
          {CONTROL_MODES.map((m) => (
            <option value={m}>{MODE_NAMES[m]}</option>
          ))}
        </select>
        <button class="share" onClick={() => onShare?.(mode)}>Share</button>
        <style>{STYLE}</style>
      </section>
    );
  }
  const s = session.state();
  const host = session instanceof HostSession ? session : undefined;
  const guest = host ? undefined : (session as GuestSession);
  const secondsLeft = s.turnEndsAt ? Math.max(0, Math.ceil((s.turnEndsAt - Date.now()) / 1000)) : undefined;
  const nameOf = (id: number) => s.peers.find((p) => p.id === id)?.name ?? String(id);
  const send = () => {
    if (draft.trim()) session.chat(draft);
    setDraft('');
  };
  return (
    <section class="session">
      {host && (
        <div class="links">
          <select aria-label="Who may type" value={s.mode} onChange={(e) => host.setMode((e.target as HTMLSelectElement).value as ControlMode)}>
            {CONTROL_MODES.map((m) => (
              <option value={m}>{MODE_NAMES[m]}</option>
            ))}
          </select>
          <input class="link" readOnly value={host.link} onFocus={(e) => (e.target as HTMLInputElement).select()} aria-label="Join link" />
          <button onClick={() => void navigator.clipboard?.writeText(host.link)}>Copy link</button>
          <button onClick={() => void navigator.clipboard?.writeText(host.viewLink)}>Copy view-only link</button>
          <button onClick={() => void navigator.clipboard?.writeText(host.newLink())} title="A link for one person: kicking them bans only their link">
            Copy a link for one person
          </button>
        </div>
      )}
      {guest && s.kicked && <p class="note">The host removed you from this session.</p>}
      {guest && !s.kicked && s.mode && !s.admitted && <p class="note">Waiting for the host to let you in (a link the host has banned never will).</p>}
      {guest && !s.kicked && s.admitted && s.role === 'guest' && s.mode === 'turns' && (
        <div class="turn">
          {s.holder === s.id ? (
            <button onClick={() => guest.releaseControl()}>Pass the keyboard</button>
          ) : s.queue.includes(s.id) ? (
            <span>Waiting: {s.queue.indexOf(s.id) + 1} of {s.queue.length}</span>
          ) : (
            <button onClick={() => guest.requestControl()}>Request control</button>
          )}
        </div>
      )}
      <p class="holder">
        {s.mode === 'turns' ? (s.holder ? `${nameOf(s.holder)} has the keyboard` : 'Nobody has the keyboard') : s.mode === 'free' ? 'Everyone may type' : 'Only the host types'}
        {secondsLeft !== undefined && ` · ${secondsLeft} s left`}
        {s.queue.length > 0 && ` · waiting: ${s.queue.map(nameOf).join(', ')}`}
      </p>
      <ul class="peers">
        {s.peers.map((p: Presence) => (
          <li>
            <span class="dot" style={{ background: p.colour }} /> {p.name} <small>{p.id === s.id ? 'you' : p.role}</small>
            {host && p.id !== s.id && (
              <button class="kick" onClick={() => host.kick(p.id)} title="Remove from the session and ban the link they came with">
                Kick
              </button>
            )}
          </li>
        ))}
      </ul>
      <div class="chat">
        <ol>
          {s.chat.map((line) => (
            <li>
              <b>{line.name}</b> {line.text}
            </li>
          ))}
        </ol>
        <input value={draft} placeholder="Say something" onInput={(e) => setDraft((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key === 'Enter' && send()} aria-label="Chat" />
      </div>
      <style>{STYLE}</style>
    </section>
  );
}

/**
 * A guest's screen: the host's picture on a canvas, keys and (with "Capture mouse", pointer lock) the
 * mouse to the host, and everyone's pointer over it.
 */
export function GuestScreen({ session }: { session: GuestSession }) {
  useTicker(250);
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current!;
    const ctx = c.getContext('2d', { alpha: false })!;
    let drawn = -1;
    const draw = () => {
      const view = session.view;
      const mode = view.mode;
      if (!mode || !view.pixels.length || view.frame === drawn) return; // only complete, new frames
      drawn = view.frame;
      if (c.width !== mode.width || c.height !== mode.height) {
        c.width = mode.width;
        c.height = mode.height;
      }
      ctx.putImageData(new ImageData(view.pixels, mode.width, mode.height), 0, 0);
    };
    const t = setInterval(draw, 33);
    return () => clearInterval(t);
  }, [session]);
  usePointerLockMouse(canvas, (dx, dy, dz, buttons) => session.sendMouse(dx, dy, dz, buttons));
  const onKey = (event: KeyboardEvent, down: boolean) => {
    const codes = scancodes(event.code, down);
    if (!codes) return;
    event.preventDefault();
    session.sendInput({ kind: 'keys', codes });
  };
  const onPointer = (event: PointerEvent) => {
    const r = (event.currentTarget as HTMLElement).getBoundingClientRect();
    session.setPointer({ x: (event.clientX - r.left) / r.width, y: (event.clientY - r.top) / r.height });
  };
  const state = session.state();
  const peers = state.peers.filter((p) => p.pointer && p.id !== session.doc.clientID);
  return (
    <div>
      <div class="guest-screen" style={{ position: 'relative', display: 'inline-block' }} onPointerMove={onPointer} onPointerLeave={() => session.setPointer(undefined)}>
        <canvas
          ref={canvas}
          class="screen"
          tabIndex={0}
          onKeyDown={(e) => onKey(e, true)}
          onKeyUp={(e) => onKey(e, false)}
          onContextMenu={(e) => document.pointerLockElement === canvas.current && e.preventDefault()}
          aria-label="Shared VM screen"
        />
        {peers.map((p) => (
          <span class="pointer" style={{ position: 'absolute', left: `${p.pointer!.x * 100}%`, top: `${p.pointer!.y * 100}%`, color: p.colour, pointerEvents: 'none' }}>
            ▲ {p.name}
          </span>
        ))}
      </div>
      <div>
        <button disabled={!state.mayType} onClick={() => capturePointer(canvas.current)} title="Moves the VM's mouse while you may type, until you press Esc">
          Capture mouse
        </button>
      </div>
    </div>
  );
}

const STYLE = `
  .session { font-size: 13px; display: grid; gap: 6px; margin: 8px 0; }
  .session.idle { display: flex; align-items: center; }
  .session .links { display: flex; gap: 6px; flex-wrap: wrap; }
  .session .link { flex: 1; min-width: 200px; font: 12px ui-monospace, monospace; }
  .session .peers { list-style: none; margin: 0; padding: 0; display: flex; gap: 12px; flex-wrap: wrap; }
  .session .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; }
  .session .chat ol { max-height: 120px; overflow: auto; margin: 0; padding-left: 18px; }
  .session .kick { margin-left: 4px; font-size: 11px; }
`;
