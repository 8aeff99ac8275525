/**
 * `window.co86` (DESIGN §4): the page's read-only handle for devtools and tests. The session layer
 * (src/session/) adds `share()` / `requestControl()` to the same object.
 */
export interface Co86State {
  running: boolean;
  /** 'text 80x25', 'graphics 640x480x8', or '' before the first screen. */
  mode: string;
  mips: number;
  fps: number;
  role: 'host' | 'guest';
  peers: number;
  /** 'loading' | 'running' | 'paused' | 'stopped' */
  phase: string;
  /** The last error shown to the user, if any. */
  error?: string;
}

export interface Co86Handle {
  screenText(): string;
  state(): Co86State;
  [extra: string]: unknown;
}

declare global {
  interface Window {
    co86: Co86Handle;
  }
}

/** Installs window.co86 reading from `read()` (called on each access, so answers are always current). */
export function installPageHandle(read: () => { text: string; state: Co86State }): void {
  const handle = window.co86 ?? ({} as Co86Handle);
  handle.screenText = () => read().text;
  handle.state = () => ({ ...read().state });
  window.co86 = handle;
}
