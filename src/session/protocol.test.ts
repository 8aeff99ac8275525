import { describe, expect, it } from 'vitest';
import { decode, encode, MAX_MESSAGE_BYTES, Msg, textDeltaMessages, textRowsMessages, tilesMessages, type ScreenMessage } from './protocol.js';
import { decodeTileRle, encodeTileRle, rleMaxBytes } from './rle.js';

function roundTrip(message: ScreenMessage): ScreenMessage {
  const bytes = encode(message);
  expect(bytes.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  const decoded = decode(bytes);
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.message;
}

function error(bytes: number[] | Uint8Array): string {
  const decoded = decode(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  expect(decoded.ok).toBe(false);
  return decoded.ok ? '' : decoded.error;
}

/** A little-endian message builder for hand-made malformed input. */
function bytesOf(...parts: Array<[number, 'u8' | 'u16' | 'u32']>): Uint8Array {
  const out: number[] = [];
  for (const [v, kind] of parts) {
    out.push(v & 0xff);
    if (kind !== 'u8') out.push((v >> 8) & 0xff);
    if (kind === 'u32') out.push((v >> 16) & 0xff, (v >>> 24) & 0xff);
  }
  return new Uint8Array(out);
}

describe('screen protocol round trips', () => {
  it('MODE, CURSOR, FRAME, KEYFRAME_REQUEST, PING, PONG', () => {
    const messages: ScreenMessage[] = [
      { type: Msg.Mode, mode: { width: 720, height: 400, text: true, cols: 80, rows: 25 } },
      { type: Msg.Mode, mode: { width: 640, height: 480, text: false, cols: 0, rows: 0 } },
      { type: Msg.Cursor, cursor: { row: 24, col: 79, visible: true, startLine: 13, endLine: 14 } },
      { type: Msg.Cursor, cursor: { row: 0, col: 0, visible: false, startLine: 0, endLine: 31 } },
      { type: Msg.Frame, frame: 0xfffffffe, keyframe: true },
      { type: Msg.Frame, frame: 7, keyframe: false },
      { type: Msg.KeyframeRequest, reason: 2 },
      { type: Msg.Ping, id: 12345, time: 1234.5 },
      { type: Msg.Pong, id: 0, time: -1 },
    ];
    for (const m of messages) expect(roundTrip(m)).toEqual(m);
  });

  it('a text keyframe splits into messages that fit and rebuild the screen', () => {
    for (const [cols, rows] of [[80, 25], [132, 60], [256, 128]]) {
      const cells = Uint16Array.from({ length: cols * rows }, (_, i) => (i * 7919) & 0xffff);
      const parts = textRowsMessages(cols, rows, cells);
      const rebuilt = new Uint16Array(cols * rows);
      for (const part of parts) {
        const m = roundTrip(part);
        if (m.type !== Msg.TextRows) throw new Error('type');
        rebuilt.set(m.cells, m.firstRow * cols);
      }
      expect(rebuilt).toEqual(cells);
    }
  });

  it('text deltas carry exactly the changed cells, merged across small gaps', () => {
    const before = new Uint16Array(80 * 25).fill(0x0720);
    const after = before.slice();
    after[5] = 0x0741;
    after[7] = 0x0742; // gap of 1: merged with 5
    after[100] = 0x0743; // far: its own run
    const [message, ...rest] = textDeltaMessages(before, after);
    expect(rest).toEqual([]);
    const m = roundTrip(message);
    if (m.type !== Msg.TextDelta) throw new Error('type');
    expect(m.runs.map((r) => [r.offset, r.cells.length])).toEqual([[5, 3], [100, 1]]);
    const applied = before.slice();
    for (const r of m.runs) applied.set(r.cells, r.offset);
    expect(applied).toEqual(after);
    expect(textDeltaMessages(after, after)).toEqual([]);
  });

  it('a whole changed big screen splits into TEXT_DELTA messages that fit', () => {
    const before = new Uint16Array(256 * 128);
    const after = Uint16Array.from(before, (_, i) => i + 1);
    const parts = textDeltaMessages(before, after);
    expect(parts.length).toBeGreaterThan(1);
    const applied = before.slice();
    for (const part of parts) {
      const m = roundTrip(part);
      if (m.type !== Msg.TextDelta) throw new Error('type');
      for (const r of m.runs) applied.set(r.cells, r.offset);
    }
    expect(applied).toEqual(after);
  });

  it('tiles: RLE round trip of flat, noisy and mixed tiles, packed into messages that fit', () => {
    const width = 96;
    const height = 64;
    const fb = new Uint8Array(width * height * 4);
    let seed = 1;
    for (let i = 0; i < width * height; i++) {
      const x = i % width;
      seed = (seed * 1103515245 + 12345) >>> 0;
      const noisy = x >= 32 && x < 64;
      fb.set(noisy ? [seed & 0xff, (seed >> 8) & 0xff, (seed >> 16) & 0xff, 255] : x < 32 ? [0, 0, 170, 255] : [(i >> 3) & 0xff, 0, 0, 255], i * 4);
    }
    const tiles = [];
    for (let y = 0; y < height; y += 32) {
      for (let x = 0; x < width; x += 32) {
        const buffer = new Uint8Array(rleMaxBytes(32 * 32));
        const n = encodeTileRle(new Uint32Array(fb.buffer), width, x, y, 32, 32, buffer, 0, new Uint32Array(1024));
        tiles.push({ x, y, w: 32, h: 32, data: buffer.slice(0, n) });
      }
    }
    expect(tiles[0].data.length).toBeLessThan(40); // one flat colour: 8 runs of 129 … at most
    const messages = tilesMessages(tiles);
    const out = new Uint8Array(fb.length);
    for (const message of messages) {
      const m = roundTrip(message);
      if (m.type !== Msg.Tiles) throw new Error('type');
      for (const t of m.tiles) expect(decodeTileRle(t.data, t.w, t.h, out, width, t.x, t.y)).toBeUndefined();
    }
    expect(out).toEqual(fb);
  });

  it('odd-sized tiles at the edge round-trip', () => {
    const width = 7;
    const fb = Uint8Array.from({ length: width * 5 * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 37) & 0xff));
    const buffer = new Uint8Array(rleMaxBytes(35));
    const n = encodeTileRle(new Uint32Array(fb.buffer), width, 0, 0, 7, 5, buffer, 0, new Uint32Array(35));
    const out = new Uint8Array(fb.length);
    expect(decodeTileRle(buffer.subarray(0, n), 7, 5, out, width, 0, 0)).toBeUndefined();
    expect(out).toEqual(fb);
  });
});

describe('screen protocol rejects malformed input', () => {
  it('empty, oversized and unknown messages', () => {
    expect(error([])).toMatch(/empty/);
    expect(error(new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(Msg.TextRows))).toMatch(/exceeds/);
    expect(error([0])).toMatch(/unknown message type 0/);
    expect(error([200, 1, 2])).toMatch(/unknown message type 200/);
  });

  it('fixed-size messages of the wrong length', () => {
    for (const [type, size] of [[Msg.Mode, 10], [Msg.Cursor, 8], [Msg.Frame, 6], [Msg.KeyframeRequest, 2], [Msg.Ping, 13], [Msg.Pong, 13]]) {
      expect(error(new Uint8Array(size - 1).fill(0).map((v, i) => (i === 0 ? type : v)))).toMatch(/must be/);
      expect(error(new Uint8Array(size + 1).fill(0).map((v, i) => (i === 0 ? type : v)))).toMatch(/must be/);
    }
  });

  it('out-of-range fields', () => {
    const mode = (flags: number, w: number, h: number, cols: number, rows: number) => bytesOf([Msg.Mode, 'u8'], [flags, 'u8'], [w, 'u16'], [h, 'u16'], [cols, 'u16'], [rows, 'u16']);
    expect(error(mode(1, 720, 400, 0, 25))).toMatch(/text 0x25 out of range/);
    expect(error(mode(1, 720, 400, 80, 129))).toMatch(/out of range/);
    expect(error(mode(0, 5000, 480, 0, 0))).toMatch(/picture 5000x480 out of range/);
    expect(error(mode(0, 640, 0, 0, 0))).toMatch(/out of range/);
    expect(error(mode(0, 640, 480, 80, 25))).toMatch(/graphics with text cells/);
    expect(error(mode(2, 640, 480, 0, 0))).toMatch(/flags 2 unknown/);
    expect(error(bytesOf([Msg.Cursor, 'u8'], [0, 'u16'], [0, 'u16'], [2, 'u8'], [0, 'u8'], [0, 'u8']))).toMatch(/flags/);
    expect(error(bytesOf([Msg.Cursor, 'u8'], [0, 'u16'], [0, 'u16'], [1, 'u8'], [32, 'u8'], [0, 'u8']))).toMatch(/scan lines/);
    expect(error(bytesOf([Msg.Cursor, 'u8'], [500, 'u16'], [0, 'u16'], [1, 'u8'], [0, 'u8'], [0, 'u8']))).toMatch(/position/);
    expect(error(bytesOf([Msg.Frame, 'u8'], [1, 'u32'], [2, 'u8']))).toMatch(/flags/);
    expect(error(bytesOf([Msg.KeyframeRequest, 'u8'], [9, 'u8']))).toMatch(/reason/);
    const nan = new Uint8Array(13);
    nan[0] = Msg.Ping;
    new DataView(nan.buffer).setFloat64(5, NaN, true);
    expect(error(nan)).toMatch(/finite/);
  });

  it('TEXT_ROWS: truncated header, bad shape, cells not matching the shape', () => {
    expect(error([Msg.TextRows, 80, 0])).toMatch(/truncated/);
    expect(error(bytesOf([Msg.TextRows, 'u8'], [0, 'u16'], [0, 'u16'], [1, 'u16']))).toMatch(/cols/);
    expect(error(bytesOf([Msg.TextRows, 'u8'], [80, 'u16'], [120, 'u16'], [10, 'u16']))).toMatch(/rows/);
    expect(error(bytesOf([Msg.TextRows, 'u8'], [2, 'u16'], [0, 'u16'], [1, 'u16'], [0x0741, 'u16']))).toMatch(/must be 11 bytes/);
  });

  it('TEXT_DELTA: truncated runs, empty runs, runs off any screen, trailing bytes', () => {
    expect(error([Msg.TextDelta, 1])).toMatch(/truncated/);
    expect(error(bytesOf([Msg.TextDelta, 'u8'], [1, 'u16'], [0, 'u16']))).toMatch(/run 0 header truncated/);
    expect(error(bytesOf([Msg.TextDelta, 'u8'], [1, 'u16'], [0, 'u16'], [0, 'u16']))).toMatch(/empty/);
    expect(error(bytesOf([Msg.TextDelta, 'u8'], [1, 'u16'], [65535, 'u16'], [2, 'u16'], [0, 'u16'], [0, 'u16']))).toMatch(/beyond/);
    expect(error(bytesOf([Msg.TextDelta, 'u8'], [1, 'u16'], [0, 'u16'], [2, 'u16'], [0, 'u16']))).toMatch(/cells truncated/);
    expect(error(bytesOf([Msg.TextDelta, 'u8'], [1, 'u16'], [0, 'u16'], [1, 'u16'], [0, 'u16'], [9, 'u8']))).toMatch(/trailing/);
    expect(error(bytesOf([Msg.TextDelta, 'u8'], [3, 'u16'], [0, 'u16'], [1, 'u16'], [0, 'u16']))).toMatch(/run 1 header truncated/);
  });

  it('TILES: bad sizes, truncated data, tiles off any screen, trailing bytes', () => {
    const tile = (x: number, y: number, w: number, h: number, length: number, extra = 0) =>
      new Uint8Array([...bytesOf([Msg.Tiles, 'u8'], [1, 'u16'], [x, 'u16'], [y, 'u16'], [w, 'u8'], [h, 'u8'], [length, 'u16']), ...new Uint8Array(length + extra)]);
    expect(error(tile(0, 0, 0, 32, 4))).toMatch(/size/);
    expect(error(tile(0, 0, 33, 32, 4))).toMatch(/size/);
    expect(error(tile(4090, 0, 32, 32, 4))).toMatch(/beyond/);
    expect(error(tile(0, 0, 32, 32, 2))).toMatch(/too short/);
    expect(error(tile(0, 0, 32, 32, 8).subarray(0, 14))).toMatch(/data truncated/);
    expect(error(tile(0, 0, 32, 32, 4, 1))).toMatch(/trailing/);
    expect(error([Msg.Tiles, 2, 0])).toMatch(/tile 0 header truncated/);
  });

  it('RLE tile data that does not fill the tile exactly, or ends inside a packet', () => {
    const out = new Uint8Array(4 * 4 * 4);
    expect(decodeTileRle(new Uint8Array([0x80 + 14, 1, 2, 3]), 4, 4, out, 4, 0, 0)).toBeUndefined(); // a run of 16: the whole tile
    expect(decodeTileRle(new Uint8Array([0x80 + 15, 1, 2, 3]), 4, 4, out, 4, 0, 0)).toMatch(/more pixels/);
    expect(decodeTileRle(new Uint8Array([0x80, 1, 2, 3]), 4, 4, out, 4, 0, 0)).toMatch(/2 pixels, the tile 16/);
    expect(decodeTileRle(new Uint8Array([3, 1, 2, 3]), 4, 4, out, 4, 0, 0)).toMatch(/inside a packet/);
    expect(decodeTileRle(new Uint8Array([0x80 + 14, 1, 2]), 4, 4, out, 4, 0, 0)).toMatch(/inside a packet/);
  });

  it('survives random garbage without throwing', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0);
    for (let i = 0; i < 5000; i++) {
      const bytes = Uint8Array.from({ length: rand() % 64 }, () => rand() & 0xff);
      if (bytes.length) bytes[0] = (rand() % 10) as number;
      expect(() => decode(bytes)).not.toThrow();
    }
  });
});
