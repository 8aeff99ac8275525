import { CP437_CHARS } from '../../core/index.js';
import { decode, encode, KeyframeReason, Msg, textDeltaMessages, textRowsMessages, tilesMessages, TILE_SIZE, type ScreenMessage, type ScreenMode, type TextCursor, type Tile } from './protocol.js';
import { decodeTileRle, encodeTileRle, rleMaxBytes } from './rle.js';

/**
 * Screen deltas (docs/PROTOCOL.md, "Sessions"): the host samples the machine's screen, and sends each
 * guest what changed since what that guest has — the picture as 32×32 RGBA tiles (so every guest shows
 * exactly the host's pixels), and in text modes the cells and cursor too (for screenText and copying).
 *
 * Skip-and-coalesce: a peer whose channel holds more than `highWater` unsent bytes is skipped this tick.
 * Nothing queues for it: the host remembers, per peer, which tile versions and which cells the peer has,
 * so when its channel drains it gets one delta from what it has to what is on screen now (or a keyframe
 * when that is smaller) — never a backlog, and a slow peer never slows the host or the others.
 */

/** What the host reads of the machine's VGA (core's Vga has these). */
export interface ScreenSource {
  displayMode(): { text: boolean };
  textScreen(): { cols: number; rows: number; cells: Uint16Array; cursor: TextCursor };
  render(out: Uint8ClampedArray, dirty?: Uint8Array): { width: number; height: number; changed: boolean };
}

/** A data channel to one guest (simple-peer in the browser, in-memory in tests). */
export interface ScreenChannel {
  send(data: Uint8Array): void;
  /** Bytes queued and not yet sent. */
  readonly bufferedAmount: number;
}

export const DEFAULT_HIGH_WATER = 256 * 1024;

interface HostPeer {
  channel: ScreenChannel;
  needKeyframe: boolean;
  modeVersion: number;
  /** The tile versions this peer has. */
  tiles: Uint32Array;
  /** The text cells this peer has (text modes). */
  cells: Uint16Array;
  cursor: string;
  bytes: number;
  frames: number;
  skipped: number;
  keyframes: number;
}

export interface PeerStats {
  bytes: number;
  frames: number;
  skipped: number;
  keyframes: number;
}

export class ScreenHost {
  private fb = new Uint8ClampedArray(4);
  private dirty = new Uint8Array(1);
  private mode: ScreenMode = { width: 1, height: 1, text: false, cols: 0, rows: 0 };
  private modeVersion = 0;
  private tilesX = 1;
  private tilesY = 1;
  /** Per tile: bumped whenever its pixels change. */
  private tileVersion = new Uint32Array(1);
  /** Per tile: its RLE encoding at `cacheVersion`. */
  private cache: Array<Uint8Array | undefined> = [];
  private cacheVersion = new Uint32Array(1);
  private fb32 = new Uint32Array(1);
  private scratch = new Uint8Array(rleMaxBytes(TILE_SIZE * TILE_SIZE));
  private tilePixels = new Uint32Array(TILE_SIZE * TILE_SIZE);
  private cells: Uint16Array = new Uint16Array(0);
  private cursor: TextCursor = { row: 0, col: 0, visible: false, startLine: 0, endLine: 0 };
  private frame = 0;
  private readonly peers = new Map<string, HostPeer>();
  /** Malformed messages from guests (dropped). */
  malformed = 0;

  constructor(
    private readonly source: ScreenSource,
    private readonly options: { highWater?: number; now?: () => number } = {},
  ) {}

  addPeer(id: string, channel: ScreenChannel): void {
    this.peers.set(id, { channel, needKeyframe: true, modeVersion: -1, tiles: new Uint32Array(0), cells: new Uint16Array(0), cursor: '', bytes: 0, frames: 0, skipped: 0, keyframes: 0 });
  }

  removePeer(id: string): void {
    this.peers.delete(id);
  }

  peerIds(): string[] {
    return [...this.peers.keys()];
  }

  stats(id: string): PeerStats | undefined {
    const p = this.peers.get(id);
    return p && { bytes: p.bytes, frames: p.frames, skipped: p.skipped, keyframes: p.keyframes };
  }

  /** A message from guest `id`: keyframe requests and pings; anything malformed is counted and dropped. */
  receive(id: string, data: Uint8Array | ArrayBuffer): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    const decoded = decode(data);
    if (!decoded.ok) {
      this.malformed++;
      return;
    }
    const m = decoded.message;
    if (m.type === Msg.KeyframeRequest) peer.needKeyframe = true;
    else if (m.type === Msg.Ping) this.sendTo(peer, { type: Msg.Pong, id: m.id, time: m.time });
    else this.malformed++; // host → guest messages have no business arriving here
  }

  /** Sample the screen and send every peer with room its delta. */
  tick(): void {
    this.capture();
    for (const peer of this.peers.values()) this.flushPeer(peer);
  }

  /** Read the source into the host's model: the picture's changed tiles, the cells, the cursor. */
  capture(): void {
    let r = this.source.render(this.fb, this.dirty);
    if (r.width !== this.mode.width || r.height !== this.mode.height || this.fb.length !== r.width * r.height * 4) {
      this.resize(r.width, r.height);
      r = this.source.render(this.fb, this.dirty);
      this.dirty.fill(1);
    }
    const text = this.source.displayMode().text;
    if (text) {
      const t = this.source.textScreen();
      if (!this.mode.text || t.cols !== this.mode.cols || t.rows !== this.mode.rows) {
        this.mode = { ...this.mode, text: true, cols: t.cols, rows: t.rows };
        this.modeVersion++;
      }
      this.cells = t.cells;
      this.cursor = t.cursor;
    } else if (this.mode.text) {
      this.mode = { ...this.mode, text: false, cols: 0, rows: 0 };
      this.cells = new Uint16Array(0);
      this.modeVersion++;
    }
    for (let i = 0; i < this.dirty.length; i++) if (this.dirty[i]) this.tileVersion[i]++;
  }

  private resize(width: number, height: number): void {
    this.fb = new Uint8ClampedArray(width * height * 4);
    this.fb32 = new Uint32Array(this.fb.buffer);
    this.tilesX = Math.ceil(width / TILE_SIZE);
    this.tilesY = Math.ceil(height / TILE_SIZE);
    const tiles = this.tilesX * this.tilesY;
    this.dirty = new Uint8Array(tiles);
    this.tileVersion = new Uint32Array(tiles).fill(1);
    this.cacheVersion = new Uint32Array(tiles);
    this.cache = new Array(tiles);
    this.mode = { ...this.mode, width, height };
    this.modeVersion++;
  }

  private flushPeer(peer: HostPeer): void {
    if (peer.channel.bufferedAmount > (this.options.highWater ?? DEFAULT_HIGH_WATER)) {
      peer.skipped++;
      return;
    }
    const keyframe = peer.needKeyframe || peer.modeVersion !== this.modeVersion;
    const messages: ScreenMessage[] = [];
    if (keyframe) {
      messages.push({ type: Msg.Mode, mode: this.mode });
      if (this.mode.text) messages.push(...textRowsMessages(this.mode.cols, this.mode.rows, this.cells));
      peer.tiles = new Uint32Array(this.tileVersion.length);
    } else if (this.mode.text) {
      messages.push(...textDeltaMessages(peer.cells, this.cells));
    }
    const tiles: Tile[] = [];
    for (let i = 0; i < this.tileVersion.length; i++) if (peer.tiles[i] !== this.tileVersion[i]) tiles.push(this.tile(i));
    messages.push(...tilesMessages(tiles));
    const cursorKey = this.mode.text ? JSON.stringify(this.cursor) : '';
    if (this.mode.text && (keyframe || cursorKey !== peer.cursor)) messages.push({ type: Msg.Cursor, cursor: this.cursor });
    if (!messages.length) return;
    this.frame = (this.frame + 1) >>> 0;
    messages.push({ type: Msg.Frame, frame: this.frame, keyframe });
    for (const m of messages) this.sendTo(peer, m);
    peer.tiles.set(this.tileVersion);
    peer.cells = this.cells.slice();
    peer.cursor = cursorKey;
    peer.modeVersion = this.modeVersion;
    peer.needKeyframe = false;
    peer.frames++;
    if (keyframe) peer.keyframes++;
  }

  /** Tile i's encoding, shared by every peer that needs the same version. */
  private tile(i: number): Tile {
    const x = (i % this.tilesX) * TILE_SIZE;
    const y = Math.floor(i / this.tilesX) * TILE_SIZE;
    const w = Math.min(TILE_SIZE, this.mode.width - x);
    const h = Math.min(TILE_SIZE, this.mode.height - y);
    let data = this.cache[i];
    if (!data || this.cacheVersion[i] !== this.tileVersion[i]) {
      const n = encodeTileRle(this.fb32, this.mode.width, x, y, w, h, this.scratch, 0, this.tilePixels);
      data = this.scratch.slice(0, n);
      this.cache[i] = data;
      this.cacheVersion[i] = this.tileVersion[i];
    }
    return { x, y, w, h, data };
  }

  private sendTo(peer: HostPeer, message: ScreenMessage): void {
    const bytes = encode(message);
    peer.bytes += bytes.length;
    try {
      peer.channel.send(bytes);
    } catch {
      // A channel closing under us: the transport removes the peer; the others carry on.
    }
  }
}

/**
 * A guest's copy of the host's screen, rebuilt from the messages. Malformed input or content that does not
 * fit the current mode makes it ask for a keyframe and ignore everything until that keyframe arrives.
 */
export class ScreenView {
  mode: ScreenMode | undefined;
  /** The picture as RGBA, mode.width × mode.height. */
  pixels = new Uint8ClampedArray(0);
  cells = new Uint16Array(0);
  cursor: TextCursor = { row: 0, col: 0, visible: false, startLine: 0, endLine: 0 };
  /** The number of the last complete frame, and whether a keyframe has been received since the last error. */
  frame = -1;
  synced = false;
  errors = 0;
  lastError = '';
  /** Tiles changed since the last FRAME, as rectangles, for the drawer. */
  private changed: Array<{ x: number; y: number; w: number; h: number }> = [];
  private waiting = true;

  constructor(
    /** Sends a message to the host (keyframe requests, pings). */
    private readonly send: (data: Uint8Array) => void,
    /** A frame is complete: draw `rects` of `pixels`. */
    private readonly onFrame?: (view: ScreenView, rects: Array<{ x: number; y: number; w: number; h: number }>, keyframe: boolean) => void,
  ) {}

  /** Ask for a keyframe (on joining, and whenever the view is in doubt). */
  requestKeyframe(reason: KeyframeReason): void {
    this.waiting = true;
    this.synced = false;
    this.send(encode({ type: Msg.KeyframeRequest, reason }));
  }

  receive(data: Uint8Array | ArrayBuffer): void {
    const decoded = decode(data);
    if (!decoded.ok) return this.fail(decoded.error);
    const m = decoded.message;
    if (m.type === Msg.Ping) return this.send(encode({ type: Msg.Pong, id: m.id, time: m.time }));
    if (m.type === Msg.Pong || m.type === Msg.KeyframeRequest) return;
    if (m.type === Msg.Mode) {
      this.mode = m.mode;
      if (this.pixels.length !== m.mode.width * m.mode.height * 4) this.pixels = new Uint8ClampedArray(m.mode.width * m.mode.height * 4);
      this.cells = new Uint16Array(m.mode.cols * m.mode.rows);
      this.changed = [{ x: 0, y: 0, w: m.mode.width, h: m.mode.height }];
      this.waiting = false;
      return;
    }
    if (this.waiting || !this.mode) return;
    const mode = this.mode;
    switch (m.type) {
      case Msg.TextRows:
        if (!mode.text || m.cols !== mode.cols || m.firstRow + m.rows > mode.rows) return this.fail('TEXT_ROWS does not fit the mode');
        this.cells.set(m.cells, m.firstRow * mode.cols);
        return;
      case Msg.TextDelta:
        if (!mode.text) return this.fail('TEXT_DELTA in a graphics mode');
        for (const run of m.runs) if (run.offset + run.cells.length > this.cells.length) return this.fail('TEXT_DELTA beyond the screen');
        for (const run of m.runs) this.cells.set(run.cells, run.offset);
        return;
      case Msg.Cursor:
        if (!mode.text) return this.fail('CURSOR in a graphics mode');
        this.cursor = m.cursor;
        return;
      case Msg.Tiles:
        for (const t of m.tiles) {
          if (t.x + t.w > mode.width || t.y + t.h > mode.height) return this.fail('TILES beyond the picture');
          const error = decodeTileRle(t.data, t.w, t.h, this.pixels, mode.width, t.x, t.y);
          if (error) return this.fail(error);
          this.changed.push({ x: t.x, y: t.y, w: t.w, h: t.h });
        }
        return;
      case Msg.Frame: {
        this.frame = m.frame;
        if (m.keyframe) this.synced = true;
        const rects = this.changed;
        this.changed = [];
        this.onFrame?.(this, rects, m.keyframe);
        return;
      }
    }
  }

  /** The text screen as text (rows joined with '\n', trailing spaces trimmed), like the host's screenText(). */
  text(): string {
    const mode = this.mode;
    if (!mode?.text) return '';
    const lines: string[] = [];
    for (let row = 0; row < mode.rows; row++) {
      let line = '';
      for (let col = 0; col < mode.cols; col++) line += CP437_CHARS[this.cells[row * mode.cols + col] & 0xff];
      lines.push(line.trimEnd());
    }
    return lines.join('\n');
  }

  private fail(error: string): void {
    this.errors++;
    this.lastError = error;
    if (!this.waiting) this.requestKeyframe(KeyframeReason.DecodeError);
  }
}
