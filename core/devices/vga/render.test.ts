import { describe, expect, it } from 'vitest';
import { IoBus } from '../../io.js';
import { PhysicalMemory } from '../../memory.js';
import { TestClock } from '../testclock.js';
import { FONT8X16, FONT8X8 } from './fonts/index.js';
import { renderTextCells, TEXT_PALETTE } from './text-cells.js';
import { Vga } from './vga.js';

function setup() {
  const io = new IoBus();
  const memory = new PhysicalMemory(1 << 20);
  const clock = new TestClock();
  const vga = new Vga({ io, memory, clock });
  const reg = (port: number, index: number, value: number) => {
    io.write8(port, index);
    io.write8(port + 1, value);
  };
  const crtc = (i: number, v: number) => reg(0x3d4, i, v);
  const seq = (i: number, v: number) => reg(0x3c4, i, v);
  const gc = (i: number, v: number) => reg(0x3ce, i, v);
  const ac = (i: number, v: number) => {
    io.read8(0x3da);
    io.write8(0x3c0, i);
    io.write8(0x3c0, v);
    io.write8(0x3c0, 0x20);
  };
  const frame = (w = 720, h = 400) => ({ out: new Uint8ClampedArray(w * h * 4), dirty: new Uint8Array(Math.ceil(w / 32) * Math.ceil(h / 32)) });
  return { io, memory, clock, vga, crtc, seq, gc, ac, frame };
}

const px = (out: Uint8ClampedArray, width: number, x: number, y: number) => Array.from(out.subarray((y * width + x) * 4, (y * width + x) * 4 + 4));
const GREY = [0xaa, 0xaa, 0xaa, 255];
const BLACK = [0, 0, 0, 255];

describe('Vga.render', () => {
  it('draws mode 3 text with the 8x16 font from plane 2, 9-dot cells, and reports changed tiles', () => {
    const { vga, memory, frame } = setup();
    const { out, dirty } = frame();
    expect(vga.render(out, dirty)).toEqual({ width: 720, height: 400, changed: true });
    memory.write8(0xb8000 + (2 * 80 + 3) * 2, 0x41); // 'A' at row 2, col 3
    const r = vga.render(out, dirty);
    expect(r.changed).toBe(true);
    for (let y = 0; y < 16; y++) {
      const bits = FONT8X16.glyphs[0x41 * 16 + y];
      for (let x = 0; x < 9; x++) {
        const on = x < 8 && (bits << x) & 0x80;
        expect(px(out, 720, 3 * 9 + x, 2 * 16 + y), `pixel ${x},${y}`).toEqual(on ? GREY : BLACK);
      }
    }
    // Only the tile holding the cell (x 27..35, y 32..47) changed: tiles (0,1) and (1,1).
    const tiles = Array.from(dirty.entries()).filter(([, v]) => v).map(([i]) => i);
    expect(tiles).toEqual([23, 24]);
    expect(vga.render(out, dirty).changed).toBe(false);
  });

  it('draws the cursor and 9th-column line graphics', () => {
    const { vga, memory, crtc, frame } = setup();
    const { out } = frame();
    memory.write8(0xb8000, 0xc4); // ─
    crtc(0x0e, 0);
    crtc(0x0f, 1); // cursor at column 1
    vga.render(out);
    const lineRow = Array.from({ length: 16 }, (_, y) => FONT8X16.glyphs[0xc4 * 16 + y]).findIndex((b) => b === 0xff);
    expect(px(out, 720, 8, lineRow)).toEqual(GREY); // the 9th column continues the line
    expect(px(out, 720, 9 + 4, 13)).toEqual(GREY); // cursor lines 13-14 at column 1
    expect(px(out, 720, 9 + 4, 12)).toEqual(BLACK);
    // Moving the cursor redraws its old and new rows only.
    const dirty = new Uint8Array(23 * 13);
    crtc(0x0e, 0x01);
    crtc(0x0f, 0x90); // 400 = row 5, column 0
    expect(vga.render(out, dirty).changed).toBe(true);
    expect(px(out, 720, 9 + 4, 13)).toEqual(BLACK);
    expect(px(out, 720, 4, 5 * 16 + 14)).toEqual(GREY);
    expect(Array.from(dirty.entries()).filter(([, v]) => v).map(([i]) => i)).toEqual([0, 2 * 23]);
  });

  it('blinks the cursor every 8 frames and blinking characters every 16, redrawing only their rows', () => {
    const { vga, memory, clock, frame } = setup();
    const { out, dirty } = frame();
    memory.write8(0xb8000 + (10 * 80) * 2, 0xdb); // █ at row 10 ...
    memory.write8(0xb8000 + (10 * 80) * 2 + 1, 0x87); // ... blinking grey on black
    vga.render(out, dirty);
    expect(px(out, 720, 2, 160)).toEqual(GREY);
    expect(px(out, 720, 2, 13)).toEqual(GREY); // the cursor at (0, 0), lines 13-14
    clock.advance(8 * 14_268_000); // cursor off, characters still on
    expect(vga.render(out, dirty).changed).toBe(true);
    expect(px(out, 720, 2, 13)).toEqual(BLACK);
    expect(px(out, 720, 2, 160)).toEqual(GREY);
    clock.advance(8 * 14_268_000); // cursor on, blinking characters off
    vga.render(out, dirty);
    expect(px(out, 720, 2, 13)).toEqual(GREY);
    expect(px(out, 720, 2, 160)).toEqual(BLACK);
    const tiles = Array.from(dirty.entries()).filter(([, v]) => v).map(([i]) => i);
    expect(tiles).toEqual([0, 5 * 23]); // the cursor's tile and the blinking cell's
  });

  it('renderTextCells draws cells with a font and palette and no VGA', () => {
    const cells = new Uint16Array([0x1f41, 0x0720]);
    const out = new Uint8ClampedArray(16 * 8 * 4);
    expect(renderTextCells(cells, 2, 1, FONT8X8, TEXT_PALETTE, out)).toEqual({ width: 16, height: 8 });
    const y = Array.from({ length: 8 }, (_, i) => FONT8X8.glyphs[0x41 * 8 + i]).findIndex((b) => b !== 0);
    const bits = FONT8X8.glyphs[0x41 * 8 + y];
    const x = Math.clz32(bits) - 24;
    expect(px(out, 16, x, y)).toEqual([255, 255, 255, 255]); // bright white on blue
    expect(px(out, 16, 0, 0)).toEqual([0, 0, 0xaa, 255]);
  });
});

/** Mode 13h's registers (IBM VGA tables), programmed through the ports as a BIOS would. */
function mode13h(s: ReturnType<typeof setup>) {
  const { io, crtc, seq, gc, ac } = s;
  io.write8(0x3c2, 0x63);
  [0x03, 0x01, 0x0f, 0x00, 0x0e].forEach((v, i) => seq(i, v));
  crtc(0x11, 0x0e);
  [0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff].forEach((v, i) => crtc(i, v));
  [0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff].forEach((v, i) => gc(i, v));
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x41, 0, 0x0f, 0, 0].forEach((v, i) => ac(i, v));
  // A DAC ramp: entry i = (i & 63, (i >> 2) & 63, 63 - (i & 63)).
  io.write8(0x3c8, 0);
  for (let i = 0; i < 256; i++) [i & 63, (i >> 2) & 63, 63 - (i & 63)].forEach((v) => io.write8(0x3c9, v));
}
const dacRgb = (i: number) => [i & 63, (i >> 2) & 63, 63 - (i & 63)].map((v) => (v << 2) | (v >> 4)).concat(255);

describe('Vga.render graphics', () => {
  it('mode 13h: 320x200, chained bytes through the DAC and PEL mask', () => {
    const s = setup();
    mode13h(s);
    for (let y = 0; y < 200; y++) for (let x = 0; x < 320; x++) s.memory.write8(0xa0000 + y * 320 + x, (x * 7 + y * 3) & 0xff);
    const out = new Uint8ClampedArray(320 * 200 * 4);
    expect(s.vga.render(out)).toEqual({ width: 320, height: 200, changed: true });
    expect(s.vga.displayMode()).toEqual({ text: false, width: 320, height: 200, bpp: 8 });
    for (let y = 0; y < 200; y += 7) for (let x = 0; x < 320; x += 3) expect(px(out, 320, x, y)).toEqual(dacRgb((x * 7 + y * 3) & 0xff));
    s.io.write8(0x3c6, 0x0f); // PEL mask
    s.vga.render(out);
    expect(px(out, 320, 5, 0)).toEqual(dacRgb(35 & 0x0f));
  });

  it('Mode X: unchained 320x240, four planes per address, page flipping by start address', () => {
    const s = setup();
    mode13h(s);
    s.seq(4, 0x06); // chain-4 off
    s.crtc(0x14, 0x00); // doubleword mode off
    s.crtc(0x17, 0xe3); // byte mode
    s.io.write8(0x3c2, 0xe3);
    [[0x06, 0x0d], [0x07, 0x3e], [0x09, 0x41], [0x10, 0xea], [0x11, 0xac], [0x12, 0xdf], [0x15, 0xe7], [0x16, 0x06]].forEach(([i, v]) => s.crtc(i, v));
    const colour = (x: number, y: number, page: number) => (x + 2 * y + page * 100) & 0xff;
    for (let page = 0; page < 2; page++) {
      for (let plane = 0; plane < 4; plane++) {
        s.seq(2, 1 << plane);
        for (let y = 0; y < 240; y++) for (let x = plane; x < 320; x += 4) s.memory.write8(0xa0000 + page * 0x4b00 + y * 80 + (x >> 2), colour(x, y, page));
      }
    }
    const out = new Uint8ClampedArray(320 * 240 * 4);
    expect(s.vga.render(out)).toMatchObject({ width: 320, height: 240 });
    for (let y = 0; y < 240; y += 5) for (let x = 0; x < 320; x++) expect(px(out, 320, x, y)).toEqual(dacRgb(colour(x, y, 0)));
    s.crtc(0x0c, 0x4b); // page 1 at 4B00h
    s.crtc(0x0d, 0x00);
    s.vga.render(out);
    expect(px(out, 320, 17, 33)).toEqual(dacRgb(colour(17, 33, 1)));
  });

  it('split screen (line compare) restarts at address 0; panning shifts the top part only when AC 10h bit 5 is set', () => {
    const s = setup();
    mode13h(s);
    for (let i = 0; i < 0x10000; i++) s.memory.write8(0xa0000 + i, (i % 320) & 0xff);
    // Start the picture 10 rows down (address in doublewords: 10 × 80), split after 100 pixel rows (scanline 199).
    s.crtc(0x0c, 0x03);
    s.crtc(0x0d, 0x20);
    s.crtc(0x18, 199);
    s.crtc(0x07, 0x0f); // line compare bit 8 off (the only CR07 bit writable while CR00-07 are protected)
    s.crtc(0x09, 0x01); // line compare bit 9 off
    const out = new Uint8ClampedArray(320 * 200 * 4);
    s.vga.render(out);
    expect(px(out, 320, 0, 0)).toEqual(dacRgb(0)); // row 10 starts with colour 0 as every row does
    for (let i = 0; i < 0x10000; i++) s.memory.write8(0xa0000 + i, Math.floor(i / 320) & 0xff); // colour = row
    s.vga.render(out);
    expect(px(out, 320, 3, 0)).toEqual(dacRgb(10));
    expect(px(out, 320, 3, 99)).toEqual(dacRgb(109));
    expect(px(out, 320, 3, 100)).toEqual(dacRgb(0)); // below the split: memory row 0
    expect(px(out, 320, 3, 199)).toEqual(dacRgb(99));
    // Pixel panning by 2 (one pixel in 256-colour mode): the top half shifts, the bottom too unless AC 10h bit 5.
    for (let i = 0; i < 0x10000; i++) s.memory.write8(0xa0000 + i, (i % 320) & 0xff);
    s.ac(0x13, 2);
    s.ac(0x10, 0x61);
    s.vga.render(out);
    expect(px(out, 320, 0, 0)).toEqual(dacRgb(1));
    expect(px(out, 320, 0, 150)).toEqual(dacRgb(0));
  });

  it('planar 16 colours (mode 12h registers) through the attribute palette, with doubled tiles skipped when unchanged', () => {
    const s = setup();
    const { io, crtc, seq, gc, ac } = s;
    io.write8(0x3c2, 0xe3);
    [0x03, 0x01, 0x0f, 0x00, 0x06].forEach((v, i) => seq(i, v));
    crtc(0x11, 0x0c);
    [0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff].forEach((v, i) => crtc(i, v));
    [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff].forEach((v, i) => gc(i, v));
    [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00, 0x00].forEach((v, i) => ac(i, v));
    const out = new Uint8ClampedArray(640 * 480 * 4);
    const dirty = new Uint8Array(20 * 15);
    expect(s.vga.render(out, dirty)).toMatchObject({ width: 640, height: 480 });
    // Colour 14 (yellow: AC 3Eh → DAC 3Eh) at x = 100..107 of line 50 via set/reset.
    gc(0, 14);
    gc(1, 0x0f);
    s.memory.write8(0xa0000 + 50 * 80 + 12, 0xff);
    expect(s.vga.render(out, dirty).changed).toBe(true);
    const [r, g, b] = s.vga.paletteRgb(0x3e);
    expect(px(out, 640, 96, 50)).toEqual([r, g, b, 255]);
    expect(px(out, 640, 103, 50)).toEqual([r, g, b, 255]);
    expect(px(out, 640, 104, 50)).toEqual(BLACK);
    expect(Array.from(dirty.entries()).filter(([, v]) => v).map(([i]) => i)).toEqual([20 + 3]);
  });
});

describe('Bochs VBE (DISPI) on the Vga', () => {
  const dispi = (io: IoBus, index: number, value: number) => {
    io.write16(0x1ce, index);
    io.write16(0x1cf, value);
  };
  /** XRES, YRES, BPP, then ENABLE. */
  const mode = (io: IoBus, width: number, height: number, bpp: number, enable: number) => {
    dispi(io, 1, width);
    dispi(io, 2, height);
    dispi(io, 3, bpp);
    dispi(io, 4, enable);
  };
  const read = (io: IoBus, index: number) => {
    io.write16(0x1ce, index);
    return io.read16(0x1cf);
  };

  it('answers the ID probe, reports capabilities, and draws 16 bpp from the LFB', () => {
    const s = setup();
    expect(read(s.io, 0)).toBe(0xb0c5);
    dispi(s.io, 4, 0x02); // GETCAPS
    expect([read(s.io, 1), read(s.io, 2), read(s.io, 3)]).toEqual([2560, 1600, 32]);
    dispi(s.io, 4, 0);
    mode(s.io, 800, 600, 16, 0x41);
    expect(s.vga.displayMode()).toEqual({ text: false, width: 800, height: 600, bpp: 16 });
    expect(s.vga.screenText()).toBe('');
    s.memory.write16(0xe0000000 + (3 * 800 + 7) * 2, 0xf800); // red
    s.memory.write16(0xe0000000 + (3 * 800 + 8) * 2, 0x07e0); // green
    const out = new Uint8ClampedArray(800 * 600 * 4);
    expect(s.vga.render(out)).toEqual({ width: 800, height: 600, changed: true });
    expect(px(out, 800, 7, 3)).toEqual([255, 0, 0, 255]);
    expect(px(out, 800, 8, 3)).toEqual([0, 255, 0, 255]);
    // Y offset pans the picture; the 64 KiB bank window at A0000h reaches the same memory.
    dispi(s.io, 9, 3);
    s.vga.render(out);
    expect(px(out, 800, 7, 0)).toEqual([255, 0, 0, 255]);
    dispi(s.io, 5, 1); // bank 1: vram 65536 = pixel (32768 mod 800, 32768 / 800 | 0) = (768, 40), shown at y 37
    s.memory.write16(0xa0000, 0x001f);
    s.vga.render(out);
    expect(px(out, 800, 768, 37)).toEqual([0, 0, 255, 255]);
  });

  it('draws a 4 bpp mode from the VGA planes, written through the planar window at A0000h', () => {
    const s = setup();
    mode(s.io, 640, 480, 4, 0x01);
    expect(s.vga.displayMode()).toEqual({ text: false, width: 640, height: 480, bpp: 4 });
    s.seq(4, 0x06); // plain planar addressing (power-on mode 3 has odd/even)
    s.seq(2, 0x0f);
    s.gc(0, 14); // colour 14 through set/reset into all four planes
    s.gc(1, 0x0f);
    s.memory.write8(0xa0000 + 50 * 80 + 12, 0xff);
    s.gc(1, 0);
    s.seq(2, 0x01); // plane 0 only: colour 1 for the left half of byte 13
    s.memory.write8(0xa0000 + 50 * 80 + 13, 0xf0);
    const out = new Uint8ClampedArray(640 * 480 * 4);
    const dirty = new Uint8Array(20 * 15);
    expect(s.vga.render(out, dirty)).toEqual({ width: 640, height: 480, changed: true });
    const color = (c: number) => [...s.vga.paletteRgb(s.vga.attributeRegister(c) & 0x3f), 255];
    expect(color(14)).not.toEqual(BLACK);
    expect(px(out, 640, 96, 50)).toEqual(color(14));
    expect(px(out, 640, 103, 50)).toEqual(color(14));
    expect(px(out, 640, 104, 50)).toEqual(color(1));
    expect(px(out, 640, 108, 50)).toEqual(BLACK);
    expect(px(out, 640, 96, 51)).toEqual(BLACK);
    // Only the line's tiles are redrawn after a write; the virtual width and Y offset move the picture.
    s.seq(2, 0x0f);
    s.memory.write8(0xa0000 + 60 * 80, 0x80);
    expect(s.vga.render(out, dirty).changed).toBe(true);
    expect(Array.from(dirty.entries()).filter(([, v]) => v).map(([i]) => i)).toEqual([20]);
    dispi(s.io, 9, 10);
    s.vga.render(out);
    expect(px(out, 640, 96, 40)).toEqual(color(14));
  });

  it('survives a snapshot into another machine, VBE picture included', () => {
    const a = setup();
    mode(a.io, 640, 480, 32, 0x41);
    a.memory.write32(0xe0000000 + (100 * 640 + 200) * 4, 0x123456);
    const state = a.vga.saveState();
    const b = setup();
    b.vga.loadState(structuredClone(state));
    const out = new Uint8ClampedArray(640 * 480 * 4);
    expect(b.vga.render(out)).toMatchObject({ width: 640, height: 480 });
    expect(px(out, 640, 200, 100)).toEqual([0x12, 0x34, 0x56, 255]);
    expect(() => b.vga.loadState({ ...state, vbe: { regs: new Uint16Array(16), index: 0, vram: 5 } })).toThrow(/vbe.vram/);
  });
});
