import { screenCells, type ScreenCells } from '../ui/page-handle.js';
import type { ControlMode } from './control.js';
import type { GuestSession, HostSession, HostSessionOptions } from './session.js';

/** The session's part of `window.co86` (DESIGN §4). */
export interface SessionHandle {
  /**
   * Host: start sharing (or change the mode of the running session); returns the join link — view-only
   * with `view`, a new link for one person with `single` (a kick bans only that link).
   */
  share?(options?: { mode?: ControlMode; turnSeconds?: number; view?: boolean; single?: boolean }): string;
  /** Host: remove a participant and ban the link it joined with. */
  kick?(id: number): void;
  requestControl?(): void;
  releaseControl?(): void;
  /** The screen text as this page shows it (a guest: the decoded deltas). */
  screenText?(): string;
  /** A guest: the decoded text cells with attributes and cursor (undefined in graphics modes). */
  screenCells?(): ScreenCells | undefined;
  /** role, peers and the control state. */
  session(): Record<string, unknown>;
}

/**
 * The session methods for window.co86. On a host page, `start` creates the session on the first share();
 * on a guest page pass the GuestSession.
 */
export function sessionHandle(
  target: { host: () => HostSession | undefined; start: (options: Pick<HostSessionOptions, 'mode' | 'turnMs'>) => HostSession } | { guest: GuestSession },
): SessionHandle {
  if ('guest' in target) {
    const g = target.guest;
    return {
      requestControl: () => g.requestControl(),
      releaseControl: () => g.releaseControl(),
      screenText: () => g.screenText(),
      screenCells: () => screenCells(g.textCells()),
      session: () => ({ ...g.state(), synced: g.view.synced, frame: g.view.frame }),
    };
  }
  return {
    share: (options = {}) => {
      let s = target.host();
      const turnMs = options.turnSeconds !== undefined ? options.turnSeconds * 1000 : undefined;
      if (!s) s = target.start({ mode: options.mode, turnMs });
      else {
        if (options.mode) s.setMode(options.mode);
        if (turnMs !== undefined) s.control.setTurnMs(turnMs);
      }
      if (options.single) return s.newLink(options.view);
      return options.view ? s.viewLink : s.link;
    },
    kick: (id) => target.host()?.kick(id),
    session: () => {
      const s = target.host();
      return s ? { ...s.state(), sharing: true } : { role: 'host', sharing: false, peers: [] };
    },
  };
}
