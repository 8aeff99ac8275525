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
  /** Participants in the shared session (host, guests, viewers), as the host counts them; 0 when not shared. */
  peers: number;
  /** 'loading' | 'running' | 'paused' | 'stopped' */
  phase: string;
  /** The last error shown to the user, if any. */
  error?: string;
  /** The JIT's counters (host only; undefined on guests and before the first status). */
  jit?: { blocksCompiled: number; instructions: number; failures: number };
}

/** A text screen: cells are char | attribute << 8, row-major; the cursor as the CRTC sets it. */
export interface ScreenCells {
  cols: number;
  rows: number;
  cells: number[];
  cursor: { row: number; col: number; visible: boolean; startLine: number; endLine: number };
}

export interface Co86Handle {
  screenText(): string;
  /** The text screen with attributes and cursor; undefined in graphics modes (and before the first screen). */
  screenCells(): ScreenCells | undefined;
  state(): Co86State;
  [extra: string]: unknown;
}

declare global {
  interface Window {
    co86: Co86Handle;
  }
}

/** What the Worker and a guest's view hold: typed cells and a cursor. */
export interface TextCellsLike {
  cols: number;
  rows: number;
  cells: Uint16Array;
  cursor: ScreenCells['cursor'];
}

/** A plain copy (JSON-friendly, for devtools and tests). */
export function screenCells(screen: TextCellsLike | undefined): ScreenCells | undefined {
  if (!screen) return undefined;
  return { cols: screen.cols, rows: screen.rows, cells: [...screen.cells], cursor: { ...screen.cursor } };
}

/** Installs window.co86 reading from `read()` (called on each access, so answers are always current). */
export function installPageHandle(read: () => { text: string; cells?: TextCellsLike; state: Co86State }): void {
  const handle = window.co86 ?? ({} as Co86Handle);
  handle.screenText = () => read().text;
  handle.screenCells = () => screenCells(read().cells);
  handle.state = () => ({ ...read().state });
  window.co86 = handle;
}
