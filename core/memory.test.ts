import { describe, expect, it } from 'vitest';
import { Layout } from './layout.js';
import { PageKind, PhysicalMemory } from './memory.js';

const MiB = 1024 * 1024;

describe('PhysicalMemory', () => {
  it('reads and writes RAM little-endian in the shared WebAssembly.Memory at Layout.RAM', () => {
    const m = new PhysicalMemory(2 * MiB);
    m.write32(0x1234, 0xdeadbeef);
    expect(m.read8(0x1234)).toBe(0xef);
    expect(m.read16(0x1236)).toBe(0xdead);
    expect(m.read32(0x1234)).toBe(0xdeadbeef);
    expect(m.u8[Layout.RAM + 0x1235]).toBe(0xbe);
    expect(m.memory.buffer.byteLength).toBeGreaterThanOrEqual(Layout.RAM + 2 * MiB);
  });

  it('splits accesses that straddle a page boundary', () => {
    const m = new PhysicalMemory(2 * MiB);
    m.write32(0x1ffe, 0x11223344);
    expect(m.read8(0x1ffe)).toBe(0x44);
    expect(m.read8(0x2001)).toBe(0x11);
    expect(m.read32(0x1ffe)).toBe(0x11223344);
    m.write16(0x2fff, 0xabcd);
    expect(m.read16(0x2fff)).toBe(0xabcd);
  });

  it('maps the BIOS read-only below 1 MiB and at the top of 4 GiB', () => {
    const m = new PhysicalMemory(2 * MiB);
    const rom = new Uint8Array(0x10000).fill(0x90);
    rom[0xfff0] = 0xea;
    m.loadBios(rom);
    expect(m.read8(0xffff0)).toBe(0xea);
    expect(m.read8(0xfffffff0)).toBe(0xea);
    m.write8(0xffff0, 0x00);
    expect(m.read8(0xffff0)).toBe(0xea);
    expect(m.pageKind[0xf0000 >>> 12]).toBe(PageKind.Rom);
    expect(m.isBiosAddress(0xf1234)).toBe(true);
    expect(m.isBiosAddress(0xe1234)).toBe(false);
    expect(m.isBiosAddress(0x7c00)).toBe(false);
  });

  it('reads open bus (FFh) where nothing is mapped and drops writes there', () => {
    const m = new PhysicalMemory(2 * MiB);
    expect(m.read8(0xc0000)).toBe(0xff);
    expect(m.read32(3 * MiB)).toBe(0xffffffff);
    m.write8(3 * MiB, 1);
    expect(m.read8(3 * MiB)).toBe(0xff);
  });

  it('routes MMIO to its handler and refuses overlapping windows', () => {
    const m = new PhysicalMemory(2 * MiB);
    const seen: number[] = [];
    m.mapMmio(0xa0000, 0x20000, { name: 'vga', read8: (a) => a & 0xff, write8: (a, v) => seen.push(a, v) });
    expect(m.read8(0xb8001)).toBe(0x01);
    m.write16(0xb8000, 0x0741);
    expect(seen).toEqual([0xb8000, 0x41, 0xb8001, 0x07]);
    expect(() => m.mapMmio(0xb0000, 0x1000, { name: 'other', read8: () => 0, write8: () => {} })).toThrow(/already mapped by vga/);
  });

  it('unmaps a window: its pages become what they were (RAM or open bus) and can be mapped again', () => {
    const m = new PhysicalMemory(2 * MiB);
    let changes = 0;
    m.onMapChange = () => changes++;
    const dev = { name: 'bar', read8: () => 0x5a, write8: () => {} };
    m.write8(0x100000, 0x11);
    m.mapMmio(0x100000, 0x2000, dev); // over RAM
    m.mapMmio(0xfebf0000, 0x1000, dev); // in the PCI hole
    expect(m.read8(0x100000)).toBe(0x5a);
    expect(m.read8(0xfebf0000)).toBe(0x5a);
    expect(() => m.unmapMmio(0x100000, 0x1000, { ...dev, name: 'other' })).toThrow(/other: cannot unmap 0x00100000, it is mapped by bar/);
    expect(() => m.unmapMmio(0x102000, 0x1000, dev)).toThrow(/not mapped/);
    m.unmapMmio(0x100000, 0x2000, dev);
    m.unmapMmio(0xfebf0000, 0x1000, dev);
    expect(changes).toBe(4);
    expect(m.pageKind[0x100]).toBe(PageKind.Ram);
    expect(m.read8(0x100000)).toBe(0x11); // the RAM underneath is back, contents intact
    expect(m.read8(0xfebf0000)).toBe(0xff);
    expect(m.mmioAt(0xfebf0000)).toBeUndefined();
    // A conflicting window maps nothing at all.
    m.mapMmio(0xfebf1000, 0x1000, dev);
    expect(() => m.mapMmio(0xfebf0000, 0x3000, { ...dev, name: 'wide' })).toThrow(/already mapped by bar/);
    expect(m.mmioAt(0xfebf0000)).toBeUndefined();
  });

  it('refuses sizes it cannot map, with a clear message', () => {
    expect(() => new PhysicalMemory(1000)).toThrow(/at least 1 MiB/);
    expect(() => new PhysicalMemory(2 * MiB).loadBios(new Uint8Array(100))).toThrow(/multiple of 4 KiB/);
  });

  it('describes its map', () => {
    const m = new PhysicalMemory(2 * MiB);
    expect(m.describe()[0]).toBe('0x00000000-0x000bffff RAM');
  });
});
