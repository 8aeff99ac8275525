/**
 * The screen channel: binary messages between a session's host and each guest over a WebRTC data channel
 * (docs/PROTOCOL.md, "Sessions"). One data-channel message is one protocol message: a type byte, then
 * little-endian fields. Every message is at most MAX_MESSAGE_BYTES; big frames are split by the helpers
 * below. Decoders are strict: anything malformed or out of range is rejected with a reason, never thrown.
 *
 * A frame is a sequence of messages closed by FRAME; the screen is consistent after each FRAME. A
 * keyframe is MODE, then the whole screen (TEXT_ROWS or TILES), then CURSOR, then FRAME with KEYFRAME set.
 */

export const MAX_MESSAGE_BYTES = 16 * 1024;

/** Numbered message types (the numbers are the wire format). */
export enum Msg {
  /** host → guest: the picture's size and, in text modes, its cells; starts a keyframe. */
  Mode = 1,
  /** host → guest: whole rows of text cells (a keyframe, or its part). */
  TextRows = 2,
  /** host → guest: runs of changed text cells. */
  TextDelta = 3,
  /** host → guest: the text cursor. */
  Cursor = 4,
  /** host → guest: framebuffer tiles, RLE-compressed (rle.ts). */
  Tiles = 5,
  /** host → guest: end of a frame (the screen is consistent). */
  Frame = 6,
  /** guest → host: send me a keyframe (joined, decode error, gap). */
  KeyframeRequest = 7,
  /** either way: a ping carrying the sender's clock; answered by PONG with the same fields. */
  Ping = 8,
  Pong = 9,
}

export const MAX_TEXT_COLS = 256;
export const MAX_TEXT_ROWS = 128;
export const MAX_WIDTH = 4096;
export const MAX_HEIGHT = 4096;
export const TILE_SIZE = 32;
export const FRAME_KEYFRAME = 1;
export const MODE_TEXT = 1;

export type TextCursor = { row: number; col: number; visible: boolean; startLine: number; endLine: number };
/** The picture's size in pixels; in a text mode also its cells (cols × rows), else 0 × 0. */
export interface ScreenMode {
  width: number;
  height: number;
  text: boolean;
  cols: number;
  rows: number;
}
export interface TextRun {
  offset: number;
  cells: Uint16Array;
}
export interface Tile {
  x: number;
  y: number;
  w: number;
  h: number;
  /** RLE data (rle.ts). */
  data: Uint8Array;
}

export type ScreenMessage =
  | { type: Msg.Mode; mode: ScreenMode }
  | { type: Msg.TextRows; cols: number; firstRow: number; rows: number; cells: Uint16Array }
  | { type: Msg.TextDelta; runs: TextRun[] }
  | { type: Msg.Cursor; cursor: TextCursor }
  | { type: Msg.Tiles; tiles: Tile[] }
  | { type: Msg.Frame; frame: number; keyframe: boolean }
  | { type: Msg.KeyframeRequest; reason: number }
  | { type: Msg.Ping | Msg.Pong; id: number; time: number };

export type Decoded = { ok: true; message: ScreenMessage } | { ok: false; error: string };

export enum KeyframeReason {
  Join = 0,
  DecodeError = 1,
  Gap = 2,
}

const TEXT_ROWS_HEADER = 7;
const TEXT_DELTA_HEADER = 3;
const TEXT_RUN_HEADER = 4;
const TILES_HEADER = 3;
const TILE_HEADER = 8;

/** Encodes one message; throws only on a caller's bug (a message that cannot fit), never on wire input. */
export function encode(message: ScreenMessage): Uint8Array {
  const out = new Uint8Array(encodedSize(message));
  const view = new DataView(out.buffer);
  out[0] = message.type;
  switch (message.type) {
    case Msg.Mode: {
      const m = message.mode;
      out[1] = m.text ? MODE_TEXT : 0;
      view.setUint16(2, m.width, true);
      view.setUint16(4, m.height, true);
      view.setUint16(6, m.text ? m.cols : 0, true);
      view.setUint16(8, m.text ? m.rows : 0, true);
      break;
    }
    case Msg.TextRows:
      view.setUint16(1, message.cols, true);
      view.setUint16(3, message.firstRow, true);
      view.setUint16(5, message.rows, true);
      writeCells(view, TEXT_ROWS_HEADER, message.cells);
      break;
    case Msg.TextDelta: {
      view.setUint16(1, message.runs.length, true);
      let at = TEXT_DELTA_HEADER;
      for (const run of message.runs) {
        view.setUint16(at, run.offset, true);
        view.setUint16(at + 2, run.cells.length, true);
        writeCells(view, at + TEXT_RUN_HEADER, run.cells);
        at += TEXT_RUN_HEADER + run.cells.length * 2;
      }
      break;
    }
    case Msg.Cursor: {
      const c = message.cursor;
      view.setUint16(1, c.row, true);
      view.setUint16(3, c.col, true);
      out[5] = c.visible ? 1 : 0;
      out[6] = c.startLine;
      out[7] = c.endLine;
      break;
    }
    case Msg.Tiles: {
      view.setUint16(1, message.tiles.length, true);
      let at = TILES_HEADER;
      for (const t of message.tiles) {
        view.setUint16(at, t.x, true);
        view.setUint16(at + 2, t.y, true);
        out[at + 4] = t.w;
        out[at + 5] = t.h;
        view.setUint16(at + 6, t.data.length, true);
        out.set(t.data, at + TILE_HEADER);
        at += TILE_HEADER + t.data.length;
      }
      break;
    }
    case Msg.Frame:
      view.setUint32(1, message.frame >>> 0, true);
      out[5] = message.keyframe ? FRAME_KEYFRAME : 0;
      break;
    case Msg.KeyframeRequest:
      out[1] = message.reason;
      break;
    case Msg.Ping:
    case Msg.Pong:
      view.setUint32(1, message.id >>> 0, true);
      view.setFloat64(5, message.time, true);
      break;
  }
  return out;
}

function encodedSize(message: ScreenMessage): number {
  let size: number;
  switch (message.type) {
    case Msg.Mode: size = 10; break;
    case Msg.TextRows: size = TEXT_ROWS_HEADER + message.cells.length * 2; break;
    case Msg.TextDelta: size = message.runs.reduce((n, r) => n + TEXT_RUN_HEADER + r.cells.length * 2, TEXT_DELTA_HEADER); break;
    case Msg.Cursor: size = 8; break;
    case Msg.Tiles: size = message.tiles.reduce((n, t) => n + TILE_HEADER + t.data.length, TILES_HEADER); break;
    case Msg.Frame: size = 6; break;
    case Msg.KeyframeRequest: size = 2; break;
    case Msg.Ping: case Msg.Pong: size = 13; break;
  }
  if (size > MAX_MESSAGE_BYTES) throw new Error(`screen message type ${message.type} would be ${size} bytes (limit ${MAX_MESSAGE_BYTES})`);
  return size;
}

function writeCells(view: DataView, at: number, cells: Uint16Array): void {
  for (let i = 0; i < cells.length; i++) view.setUint16(at + i * 2, cells[i], true);
}

function readCells(view: DataView, at: number, count: number): Uint16Array {
  const cells = new Uint16Array(count);
  for (let i = 0; i < count; i++) cells[i] = view.getUint16(at + i * 2, true);
  return cells;
}

const fail = (error: string): Decoded => ({ ok: false, error });
const ok = (message: ScreenMessage): Decoded => ({ ok: true, message });

/** Decodes one data-channel message. Accepts exactly the bytes encode() produces; rejects everything else. */
export function decode(input: ArrayBuffer | Uint8Array): Decoded {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length === 0) return fail('empty message');
  if (bytes.length > MAX_MESSAGE_BYTES) return fail(`message of ${bytes.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  const exact = (size: number, what: string) => (n === size ? undefined : `${what} must be ${size} bytes, got ${n}`);
  const type = bytes[0];
  switch (type) {
    case Msg.Mode: {
      const e = exact(10, 'MODE');
      if (e) return fail(e);
      const flags = bytes[1];
      if (flags & ~MODE_TEXT) return fail(`MODE flags ${flags} unknown`);
      const width = view.getUint16(2, true);
      const height = view.getUint16(4, true);
      const cols = view.getUint16(6, true);
      const rows = view.getUint16(8, true);
      if (width < 1 || width > MAX_WIDTH || height < 1 || height > MAX_HEIGHT) return fail(`MODE picture ${width}x${height} out of range`);
      const text = flags === MODE_TEXT;
      if (text && (cols < 1 || cols > MAX_TEXT_COLS || rows < 1 || rows > MAX_TEXT_ROWS)) return fail(`MODE text ${cols}x${rows} out of range`);
      if (!text && (cols || rows)) return fail('MODE graphics with text cells');
      return ok({ type, mode: { width, height, text, cols, rows } });
    }
    case Msg.TextRows: {
      if (n < TEXT_ROWS_HEADER) return fail('TEXT_ROWS header truncated');
      const cols = view.getUint16(1, true);
      const firstRow = view.getUint16(3, true);
      const rows = view.getUint16(5, true);
      if (cols < 1 || cols > MAX_TEXT_COLS) return fail(`TEXT_ROWS cols ${cols} out of range`);
      if (rows < 1 || firstRow + rows > MAX_TEXT_ROWS) return fail(`TEXT_ROWS rows ${firstRow}+${rows} out of range`);
      const e = exact(TEXT_ROWS_HEADER + cols * rows * 2, 'TEXT_ROWS');
      if (e) return fail(e);
      return ok({ type, cols, firstRow, rows, cells: readCells(view, TEXT_ROWS_HEADER, cols * rows) });
    }
    case Msg.TextDelta: {
      if (n < TEXT_DELTA_HEADER) return fail('TEXT_DELTA header truncated');
      const count = view.getUint16(1, true);
      const runs: TextRun[] = [];
      let at = TEXT_DELTA_HEADER;
      for (let i = 0; i < count; i++) {
        if (at + TEXT_RUN_HEADER > n) return fail(`TEXT_DELTA run ${i} header truncated`);
        const offset = view.getUint16(at, true);
        const length = view.getUint16(at + 2, true);
        if (length === 0) return fail(`TEXT_DELTA run ${i} is empty`);
        if (offset + length > MAX_TEXT_COLS * MAX_TEXT_ROWS) return fail(`TEXT_DELTA run ${i} beyond any screen`);
        if (at + TEXT_RUN_HEADER + length * 2 > n) return fail(`TEXT_DELTA run ${i} cells truncated`);
        runs.push({ offset, cells: readCells(view, at + TEXT_RUN_HEADER, length) });
        at += TEXT_RUN_HEADER + length * 2;
      }
      if (at !== n) return fail(`TEXT_DELTA has ${n - at} trailing bytes`);
      return ok({ type, runs });
    }
    case Msg.Cursor: {
      const e = exact(8, 'CURSOR');
      if (e) return fail(e);
      if (bytes[5] > 1) return fail('CURSOR flags unknown');
      if (bytes[6] > 31 || bytes[7] > 31) return fail('CURSOR scan lines out of range');
      const row = view.getUint16(1, true);
      const col = view.getUint16(3, true);
      if (row >= MAX_TEXT_ROWS || col >= MAX_TEXT_COLS) return fail('CURSOR position out of range');
      return ok({ type, cursor: { row, col, visible: bytes[5] === 1, startLine: bytes[6], endLine: bytes[7] } });
    }
    case Msg.Tiles: {
      if (n < TILES_HEADER) return fail('TILES header truncated');
      const count = view.getUint16(1, true);
      const tiles: Tile[] = [];
      let at = TILES_HEADER;
      for (let i = 0; i < count; i++) {
        if (at + TILE_HEADER > n) return fail(`TILES tile ${i} header truncated`);
        const x = view.getUint16(at, true);
        const y = view.getUint16(at + 2, true);
        const w = bytes[at + 4];
        const h = bytes[at + 5];
        const length = view.getUint16(at + 6, true);
        if (w < 1 || h < 1 || w > TILE_SIZE || h > TILE_SIZE) return fail(`TILES tile ${i} size ${w}x${h} out of range`);
        if (x + w > MAX_WIDTH || y + h > MAX_HEIGHT) return fail(`TILES tile ${i} beyond any screen`);
        if (length < 4) return fail(`TILES tile ${i} data too short`);
        if (at + TILE_HEADER + length > n) return fail(`TILES tile ${i} data truncated`);
        tiles.push({ x, y, w, h, data: bytes.slice(at + TILE_HEADER, at + TILE_HEADER + length) });
        at += TILE_HEADER + length;
      }
      if (at !== n) return fail(`TILES has ${n - at} trailing bytes`);
      return ok({ type, tiles });
    }
    case Msg.Frame: {
      const e = exact(6, 'FRAME');
      if (e) return fail(e);
      if (bytes[5] > FRAME_KEYFRAME) return fail('FRAME flags unknown');
      return ok({ type, frame: view.getUint32(1, true), keyframe: bytes[5] === FRAME_KEYFRAME });
    }
    case Msg.KeyframeRequest: {
      const e = exact(2, 'KEYFRAME_REQUEST');
      if (e) return fail(e);
      if (bytes[1] > KeyframeReason.Gap) return fail(`KEYFRAME_REQUEST reason ${bytes[1]} unknown`);
      return ok({ type, reason: bytes[1] });
    }
    case Msg.Ping:
    case Msg.Pong: {
      const e = exact(13, type === Msg.Ping ? 'PING' : 'PONG');
      if (e) return fail(e);
      const time = view.getFloat64(5, true);
      if (!Number.isFinite(time)) return fail('PING time is not finite');
      return ok({ type, id: view.getUint32(1, true), time });
    }
    default:
      return fail(`unknown message type ${type}`);
  }
}

/** A text keyframe's rows, split so each message fits. */
export function textRowsMessages(cols: number, rows: number, cells: Uint16Array): ScreenMessage[] {
  const perMessage = Math.max(1, Math.floor((MAX_MESSAGE_BYTES - TEXT_ROWS_HEADER) / (cols * 2)));
  const out: ScreenMessage[] = [];
  for (let first = 0; first < rows; first += perMessage) {
    const count = Math.min(perMessage, rows - first);
    out.push({ type: Msg.TextRows, cols, firstRow: first, rows: count, cells: cells.slice(first * cols, (first + count) * cols) });
  }
  return out;
}

/**
 * The cells that differ between two screens of the same shape, as TEXT_DELTA messages that each fit.
 * Runs separated by a gap of ≤ 2 unchanged cells are merged (a run header costs as much as 2 cells).
 */
export function textDeltaMessages(previous: Uint16Array, next: Uint16Array): ScreenMessage[] {
  const out: ScreenMessage[] = [];
  let runs: TextRun[] = [];
  let size = TEXT_DELTA_HEADER;
  const flush = () => {
    if (runs.length) out.push({ type: Msg.TextDelta, runs });
    runs = [];
    size = TEXT_DELTA_HEADER;
  };
  const maxRunCells = (MAX_MESSAGE_BYTES - TEXT_DELTA_HEADER - TEXT_RUN_HEADER) >> 1;
  let i = 0;
  const n = next.length;
  while (i < n) {
    if (previous[i] === next[i]) {
      i++;
      continue;
    }
    let end = i + 1; // exclusive
    let probe = end;
    while (probe < n && probe - i < maxRunCells) {
      if (previous[probe] !== next[probe]) end = probe + 1;
      else if (probe - end >= 2) break;
      probe++;
    }
    const bytes = TEXT_RUN_HEADER + (end - i) * 2;
    if (size + bytes > MAX_MESSAGE_BYTES) flush();
    runs.push({ offset: i, cells: next.slice(i, end) });
    size += bytes;
    i = end;
  }
  flush();
  return out;
}

/** Packs tiles into TILES messages that each fit. */
export function tilesMessages(tiles: Tile[]): ScreenMessage[] {
  const out: ScreenMessage[] = [];
  let batch: Tile[] = [];
  let size = TILES_HEADER;
  for (const tile of tiles) {
    const bytes = TILE_HEADER + tile.data.length;
    if (size + bytes > MAX_MESSAGE_BYTES) {
      out.push({ type: Msg.Tiles, tiles: batch });
      batch = [];
      size = TILES_HEADER;
    }
    batch.push(tile);
    size += bytes;
  }
  if (batch.length) out.push({ type: Msg.Tiles, tiles: batch });
  return out;
}
