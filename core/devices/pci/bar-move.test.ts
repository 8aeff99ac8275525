import { describe, expect, it } from 'vitest';
import { IoBus } from '../../io.js';
import { PhysicalMemory } from '../../memory.js';
import { PiixIde } from '../ide/piix-ide.js';
import { TestClock } from '../testclock.js';
import { VBE_VRAM_SIZE } from '../vga/vbe.js';
import { Vga } from '../vga/vga.js';
import { PciBus } from './pci.js';

/** The guest's view: configuration mechanism #1 only. */
function cfg(io: IoBus, slot: number, fn: number, offset: number, value?: number): number {
  io.write32(0xcf8, (0x80000000 | (slot << 11) | (fn << 8) | offset) >>> 0);
  if (value !== undefined) io.write32(0xcfc, value);
  return io.read32(0xcfc);
}

function board() {
  const io = new IoBus();
  const memory = new PhysicalMemory(16 << 20);
  const bus = new PciBus({ io });
  const ide = new PiixIde({ io, memory, irq14: () => {}, irq15: () => {}, drives: [] });
  const vga = new Vga({ io, memory, clock: new TestClock() });
  bus.attach(1, 1, ide);
  bus.attach(2, 0, vga.pci);
  return { io, memory, bus, ide, vga };
}

const BAR4 = 0x20;
const BAR0 = 0x10;

describe('moving BARs', () => {
  it('an I/O BAR answers only at its new base; the old ports are free again', () => {
    const { io } = board();
    cfg(io, 1, 1, BAR4, 0xc001);
    cfg(io, 1, 1, 0x04, 0x0005); // I/O decode + bus master
    io.write8(0xc004, 0x12); // primary PRD address, byte 0 (low two bits are zero)
    expect(io.read8(0xc004)).toBe(0x10);
    cfg(io, 1, 1, BAR4, 0xd001);
    expect(io.read8(0xc004)).toBe(0xff);
    expect(io.owner(0xc004)).toBeUndefined();
    expect(io.read8(0xd004)).toBe(0x10);
    // The old range can be claimed by someone else now; the new one cannot.
    io.register('other', 0xc004, { read8: () => 0x77 });
    expect(io.read8(0xc004)).toBe(0x77);
    expect(() => io.register('other', 0xd004, {})).toThrow(/already claimed by ide-busmaster/);
    // Decoding off: nothing answers; on again: back at the BAR's base.
    cfg(io, 1, 1, 0x04, 0x0000);
    expect(io.read8(0xd004)).toBe(0xff);
    cfg(io, 1, 1, 0x04, 0x0001);
    expect(io.read8(0xd004)).toBe(0x10);
    // Moving onto ports another device holds: the BAR decodes nothing (and keeps nothing registered).
    cfg(io, 1, 1, BAR4, 0xc001);
    expect(io.read8(0xc004)).toBe(0x77);
    expect(io.owner(0xc000)).toBeUndefined();
    expect(io.owner(0xd004)).toBeUndefined();
  });

  it('the VBE framebuffer BAR moves: the old window is open bus, the new one is the framebuffer', () => {
    const { io, memory, vga } = board();
    const sizing = cfg(io, 2, 0, BAR0, 0xffffffff);
    expect(sizing).toBe((~(VBE_VRAM_SIZE - 1) & ~0xf) >>> 0);
    cfg(io, 2, 0, BAR0, 0xe0000000);
    cfg(io, 2, 0, 0x04, 0x0002);
    memory.write32(0xe0000010, 0xcafef00d);
    expect(vga.vbe.vram[0x10]).toBe(0x0d);
    cfg(io, 2, 0, BAR0, 0xd0000000);
    expect(memory.read32(0xe0000010)).toBe(0xffffffff);
    expect(memory.mmioAt(0xe0000000)).toBeUndefined();
    expect(memory.read32(0xd0000010)).toBe(0xcafef00d);
    memory.write8(0xd0000000 + VBE_VRAM_SIZE - 1, 0x42);
    expect(vga.vbe.vram[VBE_VRAM_SIZE - 1]).toBe(0x42);
    // The old window can be mapped by another device; overlapping the current one still throws.
    memory.mapMmio(0xe0000000, 0x1000, { name: 'other', read8: () => 1, write8: () => {} });
    expect(() => memory.mapMmio(0xd0000000, 0x1000, { name: 'other2', read8: () => 1, write8: () => {} })).toThrow(/already mapped by vbe lfb/);
    // A BAR placed over someone else's window decodes nothing rather than half a framebuffer.
    cfg(io, 2, 0, BAR0, 0xe0000000);
    expect(memory.read8(0xe0000000)).toBe(1);
    expect(memory.read8(0xe0001000)).toBe(0xff);
    expect(memory.mmioAt(0xd0000000)).toBeUndefined();
  });
});
