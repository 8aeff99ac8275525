import { describe, expect, it } from 'vitest';
import { IoBus } from '../../io.js';
import { Pic8259Pair } from '../pic8259.js';
import { I440fx } from './i440fx.js';
import { PciBus, PciConfigSpace, PciIoRegion, type PciFunction } from './pci.js';
import { Piix3 } from './piix3.js';

/** Mechanism #1 through the ports alone. */
function cfgAddress(slot: number, fn: number, offset: number): number {
  return (0x80000000 | (slot << 11) | (fn << 8) | (offset & 0xfc)) >>> 0;
}
function read32(io: IoBus, slot: number, fn: number, offset: number): number {
  io.write32(0xcf8, cfgAddress(slot, fn, offset));
  return io.read32(0xcfc);
}
function write32(io: IoBus, slot: number, fn: number, offset: number, value: number): void {
  io.write32(0xcf8, cfgAddress(slot, fn, offset));
  io.write32(0xcfc, value);
}

function board() {
  const io = new IoBus();
  const pic = new Pic8259Pair({ io });
  const bus = new PciBus({ io });
  const resets: number[] = [];
  bus.attach(0, 0, new I440fx());
  const piix3 = new Piix3({ io, bus, pic, resetSystem: () => resets.push(1) });
  bus.attach(1, 0, piix3);
  const maps: (number | undefined)[] = [];
  const memMaps: (number | undefined)[] = [];
  const card: PciFunction = {
    name: 'card',
    config: new PciConfigSpace({
      vendorId: 0x10ec, deviceId: 0x8029, classCode: 0x020000, interruptPin: 1,
      bars: [{ kind: 'io', size: 32, onMap: (b) => maps.push(b) }, { kind: 'mem32', size: 0x1000, onMap: (b) => memMaps.push(b) }],
    }),
  };
  const irq = bus.attach(3, 0, card);
  return { io, pic, bus, piix3, card, irq, maps, memMaps, resets };
}

describe('PCI configuration mechanism #1', () => {
  it('reads identities, and all ones for empty slots, other buses and a disabled address', () => {
    const { io } = board();
    expect(read32(io, 0, 0, 0)).toBe(0x12378086);
    expect(read32(io, 1, 0, 0)).toBe(0x70008086);
    expect(read32(io, 1, 0, 8) >>> 8).toBe(0x060100);
    expect((read32(io, 1, 0, 0x0c) >>> 16) & 0x80).toBe(0x80); // PIIX3 is multi-function
    expect(read32(io, 0, 0, 0x0c) >>> 16 & 0x80).toBe(0); // host bridge is not
    expect(read32(io, 5, 0, 0)).toBe(0xffffffff);
    io.write32(0xcf8, 0x80010000); // bus 1
    expect(io.read32(0xcfc)).toBe(0xffffffff);
    io.write32(0xcf8, 0x00000000); // enable bit clear
    expect(io.read32(0xcfc)).toBe(0xffffffff);
    expect(io.read32(0xcf8)).toBe(0);
  });

  it('gives byte and word access inside the dword at CFCh + (offset & 3)', () => {
    const { io } = board();
    io.write32(0xcf8, cfgAddress(0, 0, 0));
    expect(io.read16(0xcfe)).toBe(0x1237);
    expect(io.read8(0xcfd)).toBe(0x80);
    io.write32(0xcf8, cfgAddress(3, 0, 0x3c));
    io.write8(0xcfc, 11); // interrupt line is writable
    expect(io.read8(0xcfd)).toBe(1); // interrupt pin INTA is read-only
    io.write8(0xcfd, 3);
    expect(io.read16(0xcfc)).toBe(0x010b);
  });

  it('keeps read-only header fields', () => {
    const { io } = board();
    write32(io, 3, 0, 0, 0);
    expect(read32(io, 3, 0, 0)).toBe(0x802910ec);
    write32(io, 3, 0, 8, 0xffffffff);
    expect(read32(io, 3, 0, 8)).toBe(0x02000000);
  });
});

describe('BARs', () => {
  it('sizes by writing all ones, and announces mappings only while decoding is on', () => {
    const { io, maps, memMaps, card } = board();
    write32(io, 3, 0, 0x10, 0xffffffff);
    expect(read32(io, 3, 0, 0x10)).toBe(0xffffffe1); // 32 bytes of I/O
    write32(io, 3, 0, 0x14, 0xffffffff);
    expect(read32(io, 3, 0, 0x14)).toBe(0xfffff000); // 4 KiB of memory
    write32(io, 3, 0, 0x18, 0xffffffff);
    expect(read32(io, 3, 0, 0x18)).toBe(0); // unimplemented BAR
    write32(io, 3, 0, 0x10, 0xc000);
    write32(io, 3, 0, 0x14, 0xfebf0000);
    expect(maps).toEqual([]);
    write32(io, 3, 0, 4, 0x0001); // I/O decoding only
    expect(maps).toEqual([0xc000]);
    expect(memMaps).toEqual([]);
    write32(io, 3, 0, 4, 0x0007);
    expect(memMaps).toEqual([0xfebf0000]);
    expect(card.config.busMaster).toBe(true);
    write32(io, 3, 0, 0x10, 0xc100);
    expect(maps).toEqual([0xc000, undefined, 0xc100]);
    write32(io, 3, 0, 0x10, 0xffffffff); // sizing while decoding: the base leaves the port space
    expect(maps.at(-1)).toBeUndefined();
    write32(io, 3, 0, 4, 0);
    expect(memMaps).toEqual([0xfebf0000, undefined]);
    expect(card.config.barBase(1)).toBeUndefined();
  });

  it('round-trips configuration spaces through saveState and re-announces mappings', () => {
    const a = board();
    write32(a.io, 3, 0, 0x10, 0xc040);
    write32(a.io, 3, 0, 4, 1);
    const state = a.bus.saveState();
    const b = board();
    b.bus.loadState(state);
    expect(b.maps).toEqual([0xc040]);
    expect(read32(b.io, 3, 0, 0x10)).toBe(0xc041);
    b.bus.reset();
    expect(b.maps).toEqual([0xc040, undefined]);
    expect(() => b.bus.loadState({ version: 99 })).toThrow(/version/);
  });

  it('rejects a second function in an occupied slot and bad BAR sizes', () => {
    const { bus } = board();
    expect(() => bus.attach(0, 0, new I440fx())).toThrow(/already/);
    expect(() => new PciConfigSpace({ vendorId: 1, deviceId: 1, classCode: 0, bars: [{ kind: 'io', size: 24, onMap: () => {} }] })).toThrow(/power of two/);
  });
});

describe('PIIX3 interrupt routing', () => {
  it('routes INTA of slot 3 through PIRQ D to the ISA IRQ of register 63h, level-triggered via ELCR', () => {
    const { io, pic, irq } = board();
    // Unmask everything on both PICs.
    io.write8(0x21, 0);
    io.write8(0xa1, 0);
    irq(true); // routing disabled at power-on: nothing
    expect(pic.registers().irr).toBe(0);
    io.write32(0xcf8, cfgAddress(1, 0, 0x60));
    expect(io.read32(0xcfc)).toBe(0x80808080);
    io.write8(0xcff, 0x0b); // PIRQD → IRQ 11 (slot 3, INTA: (3 + 1 - 1) & 3 = 3)
    expect(pic.registers().irr & (1 << 11)).not.toBe(0);
    io.write8(0x4d1, 0x08 | 0x01); // IRQ 11 level; IRQ 8 is reserved and stays edge
    expect(io.read8(0x4d1)).toBe(0x08);
    irq(false);
    expect(pic.registers().irr & (1 << 11)).toBe(0);
    irq(true);
    io.write8(0xcff, 0x8b); // disable routing: the line drops
    expect(pic.registers().irr & (1 << 11)).toBe(0);
    io.write8(0xcff, 0x0b);
    expect(pic.registers().irr & (1 << 11)).not.toBe(0);
    write32(io, 3, 0, 4, 0x0400); // INTx disable masks the device's interrupt…
    expect(pic.registers().irr & (1 << 11)).toBe(0);
    write32(io, 3, 0, 4, 0x0000); // …and clearing it lets the still-pending one through
    expect(pic.registers().irr & (1 << 11)).not.toBe(0);
  });

  it('ORs shared sources: the line stays high until every device drops it', () => {
    const { io, pic, bus, irq } = board();
    const other = bus.attach(7, 0, { name: 'other', config: new PciConfigSpace({ vendorId: 1, deviceId: 2, classCode: 0, interruptPin: 1 }) });
    // slot 7 INTA: (7 + 0) & 3 = 3 → PIRQD too
    io.write32(0xcf8, cfgAddress(1, 0, 0x60));
    io.write8(0xcff, 0x0a);
    io.write8(0x4d1, 0x04);
    irq(true);
    other(true);
    irq(false);
    expect(pic.registers().irr & (1 << 10)).not.toBe(0);
    other(false);
    expect(pic.registers().irr & (1 << 10)).toBe(0);
  });

  it('resets the system on a rising RST_CPU bit at CF9h', () => {
    const { io, resets } = board();
    io.write8(0xcf9, 0x02);
    expect(resets).toEqual([]);
    io.write8(0xcf9, 0x06);
    expect(resets).toEqual([1]);
    expect(io.read8(0xcf9)).toBe(0x02);
  });
});

describe('PciIoRegion', () => {
  it('follows the BAR: answers at the current base only, with offsets, and splits wide accesses', () => {
    const io = new IoBus();
    const regs = new Uint8Array(16);
    const region = new PciIoRegion(io, 'card', 16, { read8: (o) => regs[o], write8: (o, v) => (regs[o] = v) });
    expect(region.map(0xc000)).toBe(true);
    io.write16(0xc002, 0x1234);
    expect(regs[2]).toBe(0x34);
    expect(regs[3]).toBe(0x12);
    expect(io.read32(0xc000)).toBe(0x12340000);
    region.map(0xd000);
    expect(io.read8(0xc002)).toBe(0xff); // the old base is open bus now
    expect(io.read8(0xd003)).toBe(0x12);
    region.map(undefined);
    expect(io.read8(0xd003)).toBe(0xff);
    expect(io.owner(0xc002)).toBeUndefined(); // moved away: the old ports are free for others
    expect(io.owner(0xd003)).toBeUndefined();
    region.map(0xc000); // an old base comes back
    expect(io.read8(0xc003)).toBe(0x12);
    io.register('other', 0xe004, { read8: () => 0 });
    expect(region.map(0xe000)).toBe(false);
    expect(region.current).toBeUndefined();
    expect(io.owner(0xe000)).toBeUndefined(); // nothing half-registered
    expect(io.owner(0xc000)).toBeUndefined(); // and the previous base was given back
    expect(region.map(0xc008)).toBe(true);
    expect(io.read8(0xc00b)).toBe(0x12);
    expect(io.read8(0xc003)).toBe(0xff);
    // A 32-bit read across the window's end: the bus splits it, the part outside reads open bus.
    expect(io.read32(0xc016)).toBe((0xffff0000 | regs[14] | (regs[15] << 8)) >>> 0);
  });
});
