import { describe, expect, it } from 'vitest';
import { IoBus } from '../../io.js';
import { PhysicalMemory } from '../../memory.js';
import { TestClock } from '../testclock.js';
import { Vga } from './vga.js';

function setup(withClock = true) {
  const io = new IoBus();
  const memory = new PhysicalMemory(1 << 20);
  const clock = new TestClock();
  const vga = new Vga({ io, memory, clock: withClock ? clock : undefined });
  const put = (row: number, col: number, text: string, attr = 0x07) => {
    for (let i = 0; i < text.length; i++) {
      memory.write8(0xb8000 + (row * 80 + col + i) * 2, text.charCodeAt(i));
      memory.write8(0xb8000 + (row * 80 + col + i) * 2 + 1, attr);
    }
  };
  const crtc = (index: number, value: number) => {
    io.write8(0x3d4, index);
    io.write8(0x3d5, value);
  };
  const seq = (index: number, value: number) => io.write16(0x3c4, index | (value << 8));
  const gc = (index: number, value: number) => io.write16(0x3ce, index | (value << 8));
  return { io, memory, clock, vga, put, crtc, seq, gc };
}

describe('Vga', () => {
  it('resets into 80x25 text mode with a blank screen', () => {
    const { vga } = setup();
    expect(vga.displayMode()).toEqual({ text: true, cols: 80, rows: 25 });
    const screen = vga.textScreen();
    expect([screen.cols, screen.rows]).toEqual([80, 25]);
    expect(screen.cells[0]).toBe(0x0720);
    expect(screen.cursor).toMatchObject({ row: 0, col: 0, visible: true, startLine: 13, endLine: 14 });
    expect(vga.screenText()).toBe('\n'.repeat(24));
  });

  it('shows text written at B8000 with odd/even addressing, mapped from code page 437', () => {
    const { vga, put, memory } = setup();
    put(0, 0, 'Hello');
    put(1, 2, '\xc9\xcd\xbb \x01 \xe1');
    put(24, 75, 'end');
    const lines = vga.screenText().split('\n');
    expect(lines[0]).toBe('Hello');
    expect(lines[1]).toBe('  ╔═╗ ☺ ß');
    expect(lines[24]).toBe(' '.repeat(75) + 'end');
    // Characters in plane 0, attributes in plane 1, both at the even plane offset.
    expect(vga.planes[0]).toBe(0x48);
    expect(vga.planes[0x10000]).toBe(0x07);
    expect(memory.read8(0xb8001)).toBe(0x07);
    expect(memory.read8(0xa0000)).toBe(0xff); // outside the selected window
  });

  it('follows the CRTC start address and cursor registers', () => {
    const { vga, put, crtc } = setup();
    put(1, 0, 'second row');
    crtc(0x0c, 0);
    crtc(0x0d, 80);
    expect(vga.screenText().split('\n')[0]).toBe('second row');
    crtc(0x0e, 0);
    crtc(0x0f, 80 + 80 + 5);
    expect(vga.textScreen().cursor).toMatchObject({ row: 1, col: 5, visible: true });
    crtc(0x0a, 0x20);
    expect(vga.textScreen().cursor.visible).toBe(false);
  });

  it('derives rows from the vertical display end and character height (80x50)', () => {
    const { vga, crtc } = setup();
    crtc(0x09, 0x47); // 8 scanlines per row
    expect(vga.textScreen().rows).toBe(50);
  });

  it('moves the CRTC between 3Dx and 3Bx with misc output bit 0', () => {
    const { io } = setup();
    expect(io.read8(0x3cc)).toBe(0x67);
    io.write8(0x3d4, 0x0e);
    expect(io.read8(0x3d4)).toBe(0x0e);
    expect(io.read8(0x3b4)).toBe(0xff);
    io.write8(0x3c2, 0x66);
    io.write8(0x3b4, 0x0f);
    expect(io.read8(0x3b4)).toBe(0x0f);
    expect(io.read8(0x3d5)).toBe(0xff);
  });

  it('write-protects CRTC 0-7 with CR11 bit 7', () => {
    const { io, crtc } = setup();
    crtc(0x11, 0x8e);
    crtc(0x01, 0x27);
    io.write8(0x3d4, 0x01);
    expect(io.read8(0x3d5)).toBe(0x4f);
  });

  it('runs the attribute controller flip-flop, reset by reading input status 1', () => {
    const { io } = setup();
    io.read8(0x3da);
    io.write8(0x3c0, 0x01);
    io.write8(0x3c0, 0x3f);
    io.write8(0x3c0, 0x21);
    expect(io.read8(0x3c0)).toBe(0x21);
    expect(io.read8(0x3c1)).toBe(0x3f);
    io.write8(0x3c0, 0x02); // this is data now, not an index
    io.read8(0x3da);
    io.write8(0x3c0, 0x02);
    expect(io.read8(0x3c1)).toBe(0x02);
  });

  it('reads and writes the DAC in triples', () => {
    const { io, vga } = setup();
    io.write8(0x3c8, 5);
    for (const v of [10, 20, 30, 40]) io.write8(0x3c9, v);
    expect(io.read8(0x3c8)).toBe(6);
    io.write8(0x3c7, 5);
    expect(io.read8(0x3c7)).toBe(3);
    expect([io.read8(0x3c9), io.read8(0x3c9), io.read8(0x3c9), io.read8(0x3c9)]).toEqual([10, 20, 30, 40]);
    expect(vga.paletteRgb(5)).toEqual([40, 81, 121]);
    io.write8(0x3c7, 7);
    expect([io.read8(0x3c9), io.read8(0x3c9), io.read8(0x3c9)]).toEqual([42, 42, 42]); // EGA palette entry 7
  });

  it('loads a font into plane 2 the way the BIOS does', () => {
    const { vga, memory, seq, gc } = setup();
    seq(0x02, 0x04);
    seq(0x04, 0x07);
    gc(0x04, 0x02);
    gc(0x05, 0x00);
    gc(0x06, 0x04);
    memory.write8(0xa0000 + 0x41 * 32 + 3, 0x7e);
    expect(vga.planes[2 * 0x10000 + 0x41 * 32 + 3]).toBe(0x7e);
    expect(memory.read8(0xa0000 + 0x41 * 32 + 3)).toBe(0x7e);
    expect(vga.planes[0x41 * 32 + 3]).toBe(0x20); // plane 0 untouched
  });

  it('implements write modes 0-3, latches, and read mode 1', () => {
    const { vga, memory, seq, gc } = setup();
    // Planar 16-colour setup at A0000, memory cleared.
    vga.planes.fill(0);
    seq(0x04, 0x06);
    gc(0x05, 0x00);
    gc(0x06, 0x05);
    seq(0x02, 0x0f);
    // Mode 0 with set/reset on all planes, colour 5, bit mask F0.
    gc(0x00, 0x05);
    gc(0x01, 0x0f);
    gc(0x08, 0xf0);
    memory.read8(0xa0010); // load latches (zeros)
    memory.write8(0xa0010, 0x00);
    const at = (plane: number, off: number) => vga.planes[plane * 0x10000 + off];
    expect([at(0, 0x10), at(1, 0x10), at(2, 0x10), at(3, 0x10)]).toEqual([0xf0, 0x00, 0xf0, 0x00]);
    // Mode 1 copies the latches.
    gc(0x05, 0x01);
    memory.read8(0xa0010);
    memory.write8(0xa0020, 0x00);
    expect([at(0, 0x20), at(1, 0x20), at(2, 0x20)]).toEqual([0xf0, 0x00, 0xf0]);
    // Mode 2: colour from the CPU byte, bit mask 0F merged with the latches.
    gc(0x05, 0x02);
    gc(0x08, 0x0f);
    memory.read8(0xa0010);
    memory.write8(0xa0010, 0x0a);
    expect([at(0, 0x10), at(1, 0x10), at(2, 0x10), at(3, 0x10)]).toEqual([0xf0, 0x0f, 0xf0, 0x0f]);
    // Mode 3: set/reset colour, bit mask ANDed with the (rotated) CPU byte.
    gc(0x05, 0x03);
    gc(0x08, 0xff);
    gc(0x00, 0x0f);
    memory.read8(0xa0030);
    memory.write8(0xa0030, 0x81);
    expect([at(0, 0x30), at(3, 0x30)]).toEqual([0x81, 0x81]);
    // Mode 0 with the XOR operation and rotate by 4.
    gc(0x05, 0x00);
    gc(0x01, 0x00);
    gc(0x03, 0x18 | 4);
    memory.read8(0xa0030);
    memory.write8(0xa0030, 0x0f);
    expect(at(0, 0x30)).toBe(0x81 ^ 0xf0);
    gc(0x03, 0);
    // Read mode 1: colour compare with colour 5 over all planes, at offset 10h: pixels F0 are colour 5.
    gc(0x05, 0x08);
    gc(0x02, 0x05);
    gc(0x07, 0x0f);
    expect(memory.read8(0xa0010)).toBe(0xf0);
    gc(0x07, 0x00);
    expect(memory.read8(0xa0010)).toBe(0xff);
  });

  it('addresses chain-4 memory by the low two address bits', () => {
    const { vga, memory, seq, gc } = setup();
    seq(0x04, 0x0e);
    gc(0x05, 0x40);
    gc(0x06, 0x05);
    memory.write8(0xa0005, 0x2a);
    expect(vga.planes[0x10000 + 4]).toBe(0x2a);
    expect(memory.read8(0xa0005)).toBe(0x2a);
  });

  it('reports graphics modes', () => {
    const { vga, io, gc, crtc } = setup();
    gc(0x06, 0x05);
    io.read8(0x3da);
    io.write8(0x3c0, 0x30);
    io.write8(0x3c0, 0x41);
    crtc(0x09, 0x41);
    expect(vga.displayMode()).toEqual({ text: false, width: 320, height: 200, bpp: 8 });
    expect(vga.screenText()).toBe('');
  });

  it('toggles retrace in input status 1 with time', () => {
    const { io, clock } = setup();
    const seen = new Set<number>();
    let retraceSamples = 0;
    for (let t = 0; t < 1e9 / 70; t += 2000) {
      clock.t = t;
      const s = io.read8(0x3da) & 0x09;
      seen.add(s);
      if (s & 8) retraceSamples++;
    }
    expect([...seen].sort()).toEqual([0, 1, 9]);
    // Two scanlines of 31.8 µs in retrace per 14.3 ms frame.
    expect(retraceSamples).toBeGreaterThan(20);
    expect(retraceSamples).toBeLessThan(45);
  });

  it('toggles status bits on reads without a clock', () => {
    const { io } = setup(false);
    const seen = new Set<number>();
    for (let i = 0; i < 128; i++) seen.add(io.read8(0x3da) & 0x09);
    expect(seen.has(0) && seen.has(1) && seen.has(9)).toBe(true);
  });

  it('tracks what changed', () => {
    const { vga, put, crtc } = setup();
    expect(vga.takeChanges().all).toBe(true);
    const before = vga.changeCount;
    put(20, 0, 'x'); // cell 1600 → plane offset 3200, block 3
    const changes = vga.takeChanges();
    expect(changes.all).toBe(false);
    expect([...changes.blocks.keys()].filter((i) => changes.blocks[i])).toEqual([3]);
    expect(vga.changeCount).toBeGreaterThan(before);
    crtc(0x0d, 1);
    expect(vga.takeChanges().all).toBe(true);
  });

  it('round-trips its state', () => {
    const a = setup();
    a.put(3, 3, 'saved text', 0x1e);
    a.crtc(0x0f, 42);
    a.io.write8(0x3c8, 9);
    a.io.write8(0x3c9, 1);
    const saved = structuredClone(a.vga.saveState());
    const b = setup();
    b.vga.loadState(saved);
    expect(b.vga.screenText()).toBe(a.vga.screenText());
    expect(b.vga.textScreen()).toEqual(a.vga.textScreen());
    b.io.write8(0x3c9, 2);
    b.io.write8(0x3c9, 3);
    expect(b.vga.paletteRgb(9)).toEqual([4, 8, 12]);
    expect(() => b.vga.loadState({ ...saved, planes: new Uint8Array(5) })).toThrow(/planes/);
  });
});
