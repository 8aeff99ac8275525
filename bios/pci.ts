/**
 * PCI at POST and the PCI BIOS (PCI BIOS Specification 2.1, PCI IRQ Routing Table Specification 1.0).
 * Everything goes through configuration mechanism #1 (ports CF8h/CFCh), as real firmware does:
 * POST sizes and assigns the BARs (I/O from C000h, memory from E0000000h, largest first so each is
 * aligned), turns on decoding and bus mastering, routes PIRQ A–D through the PIIX3 (60h–63h) to ISA IRQs,
 * marks those IRQs level-triggered in the ELCR (4D0h/4D1h) and writes each function's Interrupt Line.
 * INT 1Ah AH=B1h (and the 32-bit BIOS32 `$PCI` entry) answers from the configuration space itself, and the
 * `$PIR` table in the ROM describes the same routing (the board routes slot s, pin p to PIRQ (s + p − 1) & 3).
 */
import { Flag, Reg, Reg8, Seg, type FirmwareHost } from '../core/index.js';
import { setLiveFlag, setResultFlag } from './guest.js';

const CONFIG_ADDRESS = 0xcf8;
const CONFIG_DATA = 0xcfc;
const IO_BASE = 0xc000;
const IO_LIMIT = 0x10000;
const MEM_BASE = 0xe0000000;
const MEM_LIMIT = 0xfec00000; // below the APIC/ROM area at the top of 4 GiB
/** ISA IRQs for PIRQ A–D (PCI-only lines on this board: nothing ISA sits on 10 or 11). */
export const PIRQ_IRQS = [10, 11, 10, 11] as const;
/** PIIX3 ISA bridge (the interrupt router) and its PIRQ route control registers. */
const PIIX3 = { vendor: 0x8086, device: 0x7000 };
const PIRQRC = 0x60;
/** IRQs the $PIR table offers for each link. */
const PIR_IRQ_MASK = (1 << 10) | (1 << 11);
/** Slots the $PIR table lists (1–31; slot 0 is the host bridge, which has no interrupt). */
const PIR_SLOTS = 31;

const enum PciStatus {
  Successful = 0x00,
  FunctionNotSupported = 0x81,
  BadVendorId = 0x83,
  DeviceNotFound = 0x86,
  BadRegisterNumber = 0x87,
  BufferTooSmall = 0x89,
}

function configAddress(devfn: number, offset: number, bus = 0): number {
  return (0x80000000 | (bus << 16) | (devfn << 8) | (offset & 0xfc)) >>> 0;
}

export function pciRead(host: FirmwareHost, devfn: number, offset: number, size: 1 | 2 | 4, bus = 0): number {
  host.io.write32(CONFIG_ADDRESS, configAddress(devfn, offset, bus));
  const port = CONFIG_DATA + (offset & 3);
  return size === 1 ? host.io.read8(port) : size === 2 ? host.io.read16(port) : host.io.read32(port) >>> 0;
}

export function pciWrite(host: FirmwareHost, devfn: number, offset: number, value: number, size: 1 | 2 | 4, bus = 0): void {
  host.io.write32(CONFIG_ADDRESS, configAddress(devfn, offset, bus));
  const port = CONFIG_DATA + (offset & 3);
  if (size === 1) host.io.write8(port, value & 0xff);
  else if (size === 2) host.io.write16(port, value & 0xffff);
  else host.io.write32(port, value >>> 0);
}

/** Every present function on bus 0, as devfn (device << 3 | function), in bus order. */
export function pciFunctions(host: FirmwareHost): number[] {
  const found: number[] = [];
  for (let dev = 0; dev < 32; dev++) {
    if (pciRead(host, dev << 3, 0, 2) === 0xffff) continue;
    const multi = (pciRead(host, dev << 3, 0x0e, 1) & 0x80) !== 0;
    for (let fn = 0; fn < (multi ? 8 : 1); fn++) {
      const devfn = (dev << 3) | fn;
      if (fn === 0 || pciRead(host, devfn, 0, 2) !== 0xffff) found.push(devfn);
    }
  }
  return found;
}

interface BarRequest {
  devfn: number;
  offset: number;
  io: boolean;
  size: number;
}

/** POST: BARs, command registers, PIRQ routing, ELCR, Interrupt Lines. */
export function pciPost(host: FirmwareHost): void {
  const functions = pciFunctions(host);
  const bars: BarRequest[] = [];
  for (const devfn of functions) {
    if ((pciRead(host, devfn, 0x0e, 1) & 0x7f) !== 0) continue; // bridges: not on this board
    // Decoding off while sizing: a BAR written with all ones must not claim addresses meanwhile.
    const command = pciRead(host, devfn, 0x04, 2);
    pciWrite(host, devfn, 0x04, command & ~0x03, 2);
    for (let i = 0; i < 6; i++) {
      const offset = 0x10 + i * 4;
      const original = pciRead(host, devfn, offset, 4);
      pciWrite(host, devfn, offset, 0xffffffff, 4);
      const probe = pciRead(host, devfn, offset, 4);
      pciWrite(host, devfn, offset, original, 4);
      if (probe === 0 || probe === 0xffffffff) continue;
      const io = (probe & 1) !== 0;
      const mask = io ? probe & 0xfffffffc & 0xffff : probe & 0xfffffff0;
      const size = (~mask + 1) >>> 0 & (io ? 0xffff : 0xffffffff);
      if (size) bars.push({ devfn, offset, io, size });
      if (!io && (probe & 0x6) === 0x4) i++; // a 64-bit BAR takes two slots; its high half stays 0
    }
    pciWrite(host, devfn, 0x04, command, 2);
  }
  // Largest first: every BAR ends up aligned to its size with no gaps to fill.
  bars.sort((a, b) => b.size - a.size);
  let nextIo = IO_BASE;
  let nextMem = MEM_BASE;
  for (const bar of bars) {
    if (bar.io) {
      const base = align(nextIo, bar.size);
      if (base + bar.size > IO_LIMIT) {
        host.log(`BIOS: no I/O space left for PCI ${describe(bar.devfn)} BAR at ${bar.offset.toString(16)}h`);
        continue;
      }
      pciWrite(host, bar.devfn, bar.offset, base, 4);
      nextIo = base + bar.size;
    } else {
      const base = align(nextMem, bar.size);
      if (base + bar.size > MEM_LIMIT) {
        host.log(`BIOS: no memory space left for PCI ${describe(bar.devfn)} BAR at ${bar.offset.toString(16)}h`);
        continue;
      }
      pciWrite(host, bar.devfn, bar.offset, base, 4);
      nextMem = base + bar.size;
    }
  }

  const router = functions.find((devfn) => pciRead(host, devfn, 0, 4) === ((PIIX3.device << 16) | PIIX3.vendor) >>> 0);
  if (router !== undefined) {
    for (let pirq = 0; pirq < 4; pirq++) pciWrite(host, router, PIRQRC + pirq, PIRQ_IRQS[pirq], 1);
    // ELCR: PCI interrupts are level-triggered and shared.
    let elcr = host.io.read8(0x4d0) | (host.io.read8(0x4d1) << 8);
    for (const irq of PIRQ_IRQS) elcr |= 1 << irq;
    host.io.write8(0x4d0, elcr & 0xff);
    host.io.write8(0x4d1, elcr >> 8);
  }

  for (const devfn of functions) {
    const hasIo = bars.some((b) => b.devfn === devfn && b.io);
    const hasMem = bars.some((b) => b.devfn === devfn && !b.io);
    const classCode = pciRead(host, devfn, 0x08, 4) >>> 8;
    const vga = classCode >>> 8 === 0x0300;
    // Display controllers decode their legacy VGA ranges too, so they get both kinds of decoding.
    let command = pciRead(host, devfn, 0x04, 2) | 0x04; // bus master
    if (hasIo || vga) command |= 0x01;
    if (hasMem || vga) command |= 0x02;
    pciWrite(host, devfn, 0x04, command, 2);
    const pin = pciRead(host, devfn, 0x3d, 1);
    if (pin >= 1 && pin <= 4) pciWrite(host, devfn, 0x3c, router === undefined ? 0xff : PIRQ_IRQS[((devfn >> 3) + pin - 1) & 3], 1);
  }
}

const align = (n: number, size: number) => Math.ceil(n / size) * size;
const describe = (devfn: number) => `00:${(devfn >> 3).toString(16).padStart(2, '0')}.${devfn & 7}`;

/** One $PIR slot entry (16 bytes) per slot 1–31: links 60h+PIRQ for INTA–D, the IRQs each may use. */
function routingEntries(): Uint8Array {
  const bytes = new Uint8Array(PIR_SLOTS * 16);
  for (let slot = 1; slot <= PIR_SLOTS; slot++) {
    const e = (slot - 1) * 16;
    bytes[e] = 0; // bus
    bytes[e + 1] = slot << 3;
    for (let pin = 0; pin < 4; pin++) {
      bytes[e + 2 + pin * 3] = PIRQRC + ((slot + pin) & 3);
      bytes[e + 3 + pin * 3] = PIR_IRQ_MASK & 0xff;
      bytes[e + 4 + pin * 3] = PIR_IRQ_MASK >> 8;
    }
    bytes[e + 14] = 0; // embedded (no physical slot number)
  }
  return bytes;
}

/** The `$PIR` table (PCI IRQ Routing Table Specification 1.0), checksummed, for a 16-byte-aligned place in the ROM. */
export function pirTable(routerDevfn = 1 << 3): Uint8Array {
  const entries = routingEntries();
  const table = new Uint8Array(32 + entries.length);
  table.set([0x24, 0x50, 0x49, 0x52]); // '$PIR'
  const view = new DataView(table.buffer);
  view.setUint16(4, 0x0100, true); // version 1.0
  view.setUint16(6, table.length, true);
  table[8] = 0; // router bus
  table[9] = routerDevfn;
  view.setUint16(10, 0, true); // no IRQs reserved for PCI alone
  view.setUint16(12, PIIX3.vendor, true); // compatible router
  view.setUint16(14, PIIX3.device, true);
  table.set(entries, 32);
  let sum = 0;
  for (const b of table) sum += b;
  table[31] = -sum & 0xff;
  return table;
}

/** How results go back: through the caller's IRET frame (INT 1Ah) or the live flags (BIOS32 far call). */
type SetCarry = (host: FirmwareHost, on: boolean) => void;
const viaIretFrame: SetCarry = (host, on) => setResultFlag(host, Flag.CF, on);
const viaLiveFlags: SetCarry = (host, on) => setLiveFlag(host, Flag.CF, on);

/** INT 1Ah AH=B1h. */
export function int1aPci(host: FirmwareHost): void {
  pciBios(host, viaIretFrame, false);
}

/** The BIOS32 `$PCI` entry: the same functions, called far from 32-bit protected mode. */
export function pci32(host: FirmwareHost): void {
  pciBios(host, viaLiveFlags, true);
}

function pciBios(host: FirmwareHost, setCarry: SetCarry, protectedMode: boolean): void {
  const cpu = host.cpu;
  const done = (status: number) => {
    cpu.set8(Reg8.AH, status);
    setCarry(host, status !== PciStatus.Successful);
  };
  const bus = cpu.get8(Reg8.BH);
  const devfn = cpu.get8(Reg8.BL);
  const register = protectedMode ? cpu.get32(Reg.EDI) : cpu.get16(Reg.EDI);
  const checkRegister = (size: number) => register <= 0xff && register % size === 0;
  switch (cpu.get8(Reg8.AL)) {
    case 0x01: // installation check
      cpu.set32(Reg.EDX, 0x20494350); // 'PCI '
      cpu.set8(Reg8.AL, 0x01); // configuration mechanism #1
      cpu.set16(Reg.EBX, 0x0210); // version 2.10
      cpu.set8(Reg8.CL, 0); // last bus
      cpu.set32(Reg.EDI, 0);
      return done(PciStatus.Successful);
    case 0x02: {
      // find device: CX device, DX vendor, SI index
      const vendor = cpu.get16(Reg.EDX);
      if (vendor === 0xffff) return done(PciStatus.BadVendorId);
      const id = ((cpu.get16(Reg.ECX) << 16) | vendor) >>> 0;
      return found(host, (f) => pciRead(host, f, 0, 4) === id, cpu.get16(Reg.ESI), done);
    }
    case 0x03: {
      // find class: ECX bits 0-23 class code, SI index
      const classCode = cpu.get32(Reg.ECX) & 0xffffff;
      return found(host, (f) => pciRead(host, f, 0x08, 4) >>> 8 === classCode, cpu.get16(Reg.ESI), done);
    }
    case 0x08:
    case 0x09:
    case 0x0a: {
      const size = ([1, 2, 4] as const)[cpu.get8(Reg8.AL) - 0x08];
      if (!checkRegister(size)) return done(PciStatus.BadRegisterNumber);
      const value = pciRead(host, devfn, register, size, bus);
      if (size === 1) cpu.set8(Reg8.CL, value);
      else if (size === 2) cpu.set16(Reg.ECX, value);
      else cpu.set32(Reg.ECX, value);
      return done(PciStatus.Successful);
    }
    case 0x0b:
    case 0x0c:
    case 0x0d: {
      const size = ([1, 2, 4] as const)[cpu.get8(Reg8.AL) - 0x0b];
      if (!checkRegister(size)) return done(PciStatus.BadRegisterNumber);
      const value = size === 1 ? cpu.get8(Reg8.CL) : size === 2 ? cpu.get16(Reg.ECX) : cpu.get32(Reg.ECX);
      pciWrite(host, devfn, register, value, size, bus);
      return done(PciStatus.Successful);
    }
    case 0x0e:
      return routingOptions(host, protectedMode, done);
    default:
      return done(PciStatus.FunctionNotSupported);
  }
}

/** The `index`-th function (bus order) that `match` accepts → BH bus, BL devfn. */
function found(host: FirmwareHost, match: (devfn: number) => boolean, index: number, done: (status: number) => void): void {
  let n = 0;
  for (const devfn of pciFunctions(host)) {
    if (!match(devfn)) continue;
    if (n++ === index) {
      host.cpu.set8(Reg8.BH, 0);
      host.cpu.set8(Reg8.BL, devfn);
      return done(PciStatus.Successful);
    }
  }
  done(PciStatus.DeviceNotFound);
}

/**
 * AX=B10Eh: the routing entries ($PIR's slot entries) into the caller's buffer. ES:DI (ES:EDI) points at
 * { word size; far pointer to the buffer } — offset:segment in real mode, a 32-bit offset and a selector
 * in protected mode (taken to have ES's base when it is ES's selector, as callers pass their data segment).
 */
function routingOptions(host: FirmwareHost, protectedMode: boolean, done: (status: number) => void): void {
  const cpu = host.cpu;
  const mem = host.memory;
  const linear = (l: number) => cpu.linearToPhysical(l >>> 0);
  const request = cpu.segBase(Seg.ES) + (protectedMode ? cpu.get32(Reg.EDI) : cpu.get16(Reg.EDI));
  const room = mem.read16(linear(request));
  const entries = routingEntries();
  mem.write16(linear(request), entries.length);
  cpu.set16(Reg.EBX, 0); // no IRQs dedicated to PCI alone
  if (room < entries.length) return done(PciStatus.BufferTooSmall);
  let target: number;
  if (protectedMode) {
    const offset = mem.read32(linear(request + 2));
    const selector = mem.read16(linear(request + 6));
    target = (selector === cpu.getSeg(Seg.ES) ? cpu.segBase(Seg.ES) : selector === cpu.getSeg(Seg.DS) ? cpu.segBase(Seg.DS) : 0) + offset;
  } else {
    target = mem.read16(linear(request + 4)) * 16 + mem.read16(linear(request + 2));
  }
  for (let i = 0; i < entries.length; i++) mem.write8(linear(target + i), entries[i]);
  done(PciStatus.Successful);
}
