import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice } from '../../block.js';
import { Machine } from '../../machine.js';

function pciRead(m: Machine, slot: number, fn: number, offset: number): number {
  m.io.write32(0xcf8, (0x80000000 | (slot << 11) | (fn << 8) | offset) >>> 0);
  return m.io.read32(0xcfc);
}

describe('the machine wires the PIIX3 IDE function', () => {
  const rom = new Uint8Array(0x10000);

  it('puts the hard disk on the primary master and the CD-ROM on the secondary master, at slot 1 fn 1', () => {
    const hd = new MemoryBlockDevice(new Uint8Array(1024 * 512));
    const cd = new MemoryBlockDevice(new Uint8Array(10 * 2048), true);
    const m = new Machine({ firmware: { rom }, hardDisks: [hd], cdroms: [cd] });
    expect(pciRead(m, 1, 1, 0)).toBe(0x70108086);
    expect(pciRead(m, 1, 1, 8) >>> 8).toBe(0x010180);
    expect([m.io.read8(0x1f4), m.io.read8(0x1f5)]).toEqual([0x00, 0x00]); // ATA signature
    expect([m.io.read8(0x174), m.io.read8(0x175)]).toEqual([0x14, 0xeb]); // ATAPI signature
    m.io.write8(0x1f6, 0xb0);
    expect(m.io.read8(0x1f7)).toBe(0); // no primary slave
  });

  it('keeps a transfer in progress across a machine snapshot', () => {
    const data = new Uint8Array(64 * 512).map((_, i) => i & 0xff);
    const make = () => new Machine({ firmware: { rom }, hardDisks: [new MemoryBlockDevice(data.slice())] });
    const a = make();
    a.io.write8(0x1f6, 0xe0);
    a.io.write8(0x1f2, 1);
    a.io.write8(0x1f3, 3);
    a.io.write8(0x1f7, 0x20);
    a.io.read16(0x1f0);
    const snapshot = a.saveState();
    const b = make();
    b.loadState(snapshot);
    expect(b.io.read16(0x1f0)).toBe(data[3 * 512 + 2] | (data[3 * 512 + 3] << 8));
  });
});
