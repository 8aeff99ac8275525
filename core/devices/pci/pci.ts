/**
 * The PCI bus (PCI Local Bus Specification 2.1/3.0): configuration spaces with the type 0 header, BAR sizing,
 * configuration mechanism #1 (ports CF8h/CFCh–CFFh, bus 0 only) and INTx → PIRQ routing. The chipset
 * (i440FX host bridge, PIIX3) and the cards (VGA, NE2000) are functions attached to one PciBus.
 */
import { checkStateVersion, type Device, type DeviceState, type IrqLine } from '../../device.js';
import type { IoBus, PortHandler } from '../../io.js';

export type PciBarKind = 'io' | 'mem32';

export interface PciBar {
  kind: PciBarKind;
  /** Size in bytes, a power of two (io ≥ 4, mem32 ≥ 16; use ≥ 4096 for MMIO). */
  size: number;
  /** The guest (BIOS/OS) moved the BAR or toggled decoding: base is the new address, or undefined while the
   *  command register disables this kind of decoding. The device (un)registers its ports / MMIO here. */
  onMap(base: number | undefined): void;
}

export interface PciFunctionInfo {
  vendorId: number;
  deviceId: number;
  revision?: number;
  /** 24-bit class code: class << 16 | subclass << 8 | prog-if. */
  classCode: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** Default 0; bit 7 = multi-function (the bus sets it for slots with fn > 0). */
  headerType?: number;
  /** INTx pin 1..4 (INTA..INTD), 0 = none. */
  interruptPin?: number;
  /** Up to 6 BARs (index = BAR number); an expansion ROM is not needed yet. */
  bars?: (PciBar | undefined)[];
}

/** Configuration header offsets (type 0). */
export const enum PciReg {
  VENDOR = 0x00, DEVICE = 0x02, COMMAND = 0x04, STATUS = 0x06, REVISION = 0x08, CLASS = 0x09,
  CACHE_LINE = 0x0c, LATENCY = 0x0d, HEADER_TYPE = 0x0e, BAR0 = 0x10, SUBSYSTEM_VENDOR = 0x2c,
  SUBSYSTEM = 0x2e, ROM = 0x30, INTERRUPT_LINE = 0x3c, INTERRUPT_PIN = 0x3d,
}

/** Command register bits. */
export const enum PciCommand { IO = 1 << 0, MEMORY = 1 << 1, BUS_MASTER = 1 << 2, PARITY = 1 << 6, SERR = 1 << 8, INTX_DISABLE = 1 << 10 }

/** Command bits a guest may set (I/O, memory, bus master, parity, SERR#, INTx disable). */
const COMMAND_WRITABLE = 0x0547;
const BAR_COUNT = 6;

/**
 * One PCI function's configuration space: 256 bytes with the standard header, write masks, BAR sizing.
 * Header bytes are read-only except the command register, cache line size, latency timer, interrupt line and
 * the BARs; bytes from 40h up (device-specific) are plain read/write storage unless the device's `onWrite`
 * hook claims them.
 */
export class PciConfigSpace {
  /** The raw 256 bytes (devices may set their own registers). */
  readonly bytes = new Uint8Array(256);
  /** Hook for device-specific registers above 0x40 (e.g. PIIX3 PIRQ routing): return true if handled. */
  onWrite?: (offset: number, value: number, size: 1 | 2 | 4) => boolean;
  /** Hook for device-specific registers: a value overrides the stored bytes. */
  onRead?: (offset: number, size: 1 | 2 | 4) => number | undefined;
  /** Set by the bus: the command register changed (INTx disable gates the function's interrupt). */
  onCommandWrite?: () => void;
  private readonly initial: Uint8Array;
  private readonly bars: (PciBar | undefined)[];
  /** The base each BAR is currently announced at (undefined = unmapped). */
  private readonly mapped: (number | undefined)[] = new Array<number | undefined>(BAR_COUNT).fill(undefined);

  constructor(readonly info: PciFunctionInfo) {
    const b = this.bytes;
    this.bars = info.bars ?? [];
    if (this.bars.length > BAR_COUNT) throw new Error('pci: a function has at most 6 BARs');
    put16(b, PciReg.VENDOR, info.vendorId);
    put16(b, PciReg.DEVICE, info.deviceId);
    b[PciReg.REVISION] = info.revision ?? 0;
    b[PciReg.CLASS] = info.classCode & 0xff;
    b[PciReg.CLASS + 1] = (info.classCode >>> 8) & 0xff;
    b[PciReg.CLASS + 2] = (info.classCode >>> 16) & 0xff;
    b[PciReg.HEADER_TYPE] = info.headerType ?? 0;
    put16(b, PciReg.SUBSYSTEM_VENDOR, info.subsystemVendorId ?? 0);
    put16(b, PciReg.SUBSYSTEM, info.subsystemId ?? 0);
    b[PciReg.INTERRUPT_PIN] = info.interruptPin ?? 0;
    for (let i = 0; i < this.bars.length; i++) {
      const bar = this.bars[i];
      if (!bar) continue;
      const min = bar.kind === 'io' ? 4 : 16;
      if (bar.size < min || (bar.size & (bar.size - 1)) !== 0 || (bar.kind === 'io' && bar.size > 256)) {
        throw new Error(`pci: BAR${i} size ${bar.size} must be a power of two ≥ ${min}${bar.kind === 'io' ? ' and ≤ 256' : ''}`);
      }
      put32(b, PciReg.BAR0 + i * 4, bar.kind === 'io' ? 1 : 0);
    }
    this.initial = b.slice();
  }

  /** Power-on state: the header as constructed, every BAR unassigned and decoding off. */
  reset(): void {
    this.bytes.set(this.initial);
    this.updateMappings();
  }

  /** Sets a register's power-on value (device-specific registers above 40h, typically); reset() restores it. */
  setResetValue(offset: number, value: number, size: 1 | 2 | 4 = 1): void {
    for (let i = 0; i < size; i++) {
      const byte = (value >>> (8 * i)) & 0xff;
      this.bytes[(offset + i) & 0xff] = byte;
      this.initial[(offset + i) & 0xff] = byte;
    }
  }

  /** Marks this function as part of a multi-function device (header type bit 7), as the bus does for fn 0. */
  setMultiFunction(): void {
    this.bytes[PciReg.HEADER_TYPE] |= 0x80;
    this.initial[PciReg.HEADER_TYPE] |= 0x80;
  }

  read(offset: number, size: 1 | 2 | 4): number {
    offset &= 0xff;
    const hooked = this.onRead?.(offset, size);
    if (hooked !== undefined) return size === 4 ? hooked >>> 0 : hooked & (size === 1 ? 0xff : 0xffff);
    const b = this.bytes;
    if (size === 1) return b[offset];
    if (size === 2) return b[offset] | (b[(offset + 1) & 0xff] << 8);
    return (b[offset] | (b[(offset + 1) & 0xff] << 8) | (b[(offset + 2) & 0xff] << 16) | (b[(offset + 3) & 0xff] << 24)) >>> 0;
  }

  /** Honours read-only bits, BAR sizing (write ~0, read back the size mask) and command bits. */
  write(offset: number, value: number, size: 1 | 2 | 4): void {
    offset &= 0xff;
    if (offset >= 0x40 && this.onWrite?.(offset, value, size)) return;
    let touchesMapping = false;
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      if (at > 0xff) break;
      const byte = (value >>> (8 * i)) & 0xff;
      if (at >= PciReg.BAR0 && at < PciReg.BAR0 + BAR_COUNT * 4) {
        this.writeBarByte(at, byte);
        touchesMapping = true;
      } else if (at === PciReg.COMMAND || at === PciReg.COMMAND + 1) {
        const mask = (COMMAND_WRITABLE >>> (8 * (at - PciReg.COMMAND))) & 0xff;
        this.bytes[at] = (this.bytes[at] & ~mask) | (byte & mask);
        touchesMapping = true;
      } else if (at === PciReg.STATUS + 1) {
        // Status error bits (15:11) are write-one-to-clear; the rest is read-only.
        this.bytes[at] &= ~(byte & 0xf8);
      } else if (at === PciReg.CACHE_LINE || at === PciReg.LATENCY || at === PciReg.INTERRUPT_LINE || at >= 0x40) {
        this.bytes[at] = byte;
      }
    }
    if (touchesMapping) {
      this.updateMappings();
      this.onCommandWrite?.();
    }
  }

  private writeBarByte(at: number, byte: number): void {
    const index = (at - PciReg.BAR0) >> 2;
    const bar = this.bars[index];
    if (!bar) return; // an unimplemented BAR is hardwired to zero
    const shift = 8 * ((at - PciReg.BAR0) & 3);
    // Address bits below the size are hardwired to zero; the low type bits are read-only.
    const typeBits = bar.kind === 'io' ? 0x3 : 0xf;
    const mask = ((~(bar.size - 1) & ~typeBits) >>> shift) & 0xff;
    this.bytes[at] = (this.bytes[at] & ~mask) | (byte & mask);
  }

  /** Current mapped base of BAR `index`; undefined when unassigned, disabled by the command register, or absent. */
  barBase(index: number): number | undefined {
    const bar = this.bars[index];
    if (!bar) return undefined;
    const command = this.bytes[PciReg.COMMAND];
    const raw = get32(this.bytes, PciReg.BAR0 + index * 4);
    if (bar.kind === 'io') {
      if (!(command & PciCommand.IO)) return undefined;
      const base = (raw & ~3 & ~(bar.size - 1)) >>> 0;
      // Base 0 is "unassigned"; bases past the 64 KiB port space (as after a sizing write) decode nothing.
      return base === 0 || base + bar.size > 0x10000 ? undefined : base;
    }
    if (!(command & PciCommand.MEMORY)) return undefined;
    const base = (raw & ~0xf & ~(bar.size - 1)) >>> 0;
    // Base 0 is "unassigned"; a base whose window would wrap past 4 GiB is mid-sizing and decodes nothing.
    return base === 0 || base + bar.size > 0x100000000 ? undefined : base;
  }

  /** Command bit 2: the function may master the bus (DMA). */
  get busMaster(): boolean {
    return (this.bytes[PciReg.COMMAND] & PciCommand.BUS_MASTER) !== 0;
  }

  /** Command bit 10: INTx messages disabled. */
  get intxDisabled(): boolean {
    return (this.bytes[PciReg.COMMAND + 1] & (PciCommand.INTX_DISABLE >> 8)) !== 0;
  }

  /** Restores saved bytes and announces any BAR whose mapping changed. */
  loadBytes(saved: Uint8Array): void {
    if (!(saved instanceof Uint8Array) || saved.length !== 256) throw new Error('pci: configuration space state is not 256 bytes');
    this.bytes.set(saved);
    this.updateMappings();
  }

  /** Calls onMap for each BAR whose effective base changed. Unmaps come before maps so two BARs can swap. */
  private updateMappings(): void {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < this.bars.length; i++) {
        const bar = this.bars[i];
        if (!bar) continue;
        const base = this.barBase(i);
        if (base === this.mapped[i]) continue;
        if (pass === 0 && this.mapped[i] !== undefined) {
          this.mapped[i] = undefined;
          bar.onMap(undefined);
        }
        if (pass === 1 && base !== undefined) {
          this.mapped[i] = base;
          bar.onMap(base);
        }
      }
    }
  }
}

export interface PciFunction {
  readonly name: string;
  readonly config: PciConfigSpace;
}

interface Slot {
  fn: (PciFunction | undefined)[];
}

const STATE_VERSION = 1;
const CONFIG_ADDRESS = 0xcf8;
const CONFIG_DATA = 0xcfc;

/**
 * Configuration mechanism #1 on ports CF8h/CFCh–CFFh, bus 0 only, and the INTx wiring of the slots.
 *
 * CF8h is claimed for 32-bit accesses only (byte accesses to CF9h–CFBh are other chips' business, e.g. the
 * PIIX3 reset control register at CF9h). The bus is a Device ('pci'): its state is the address register
 * and every function's configuration space; loading it re-announces BAR mappings, so a card's own loadState
 * must not (un)map its BARs itself.
 */
export class PciBus implements Device {
  readonly name = 'pci';
  /** A PIRQ (0–3 = A–D) changed level: the PIIX3 routes it to an ISA IRQ. */
  onPirq?: (pirq: number, level: boolean) => void;
  private readonly slots: Slot[] = [];
  private address = 0;
  /** Per PIRQ, a bit per asserting (slot·4 + pin) source; a PIRQ is the wired-OR of its sources. */
  private readonly pirqSources = new Uint32Array(4 * 4);

  constructor(options: { io: IoBus }) {
    for (let i = 0; i < 32; i++) this.slots.push({ fn: [] });
    options.io.register(this.name, CONFIG_ADDRESS, {
      read32: () => this.address >>> 0,
      write32: (_port, value) => {
        this.address = value & 0x80fffffc;
      },
    });
    options.io.registerRange(this.name, CONFIG_DATA, 4, {
      read8: (port) => this.configRead(port, 1),
      read16: (port) => this.configRead(port, 2),
      read32: (port) => this.configRead(port, 4),
      write8: (port, value) => this.configWrite(port, value, 1),
      write16: (port, value) => this.configWrite(port, value, 2),
      write32: (port, value) => this.configWrite(port, value, 4),
    });
  }

  /**
   * Puts a function at bus 0, device `slot` (0–31), function `fn` (0–7). Returns the IRQ line for its INTx
   * pin: the bus routes slot/pin to PIRQ A–D ((slot + pin - 1) & 3) and the PIIX3 routes PIRQs to ISA IRQs
   * (level, shared). A function with no pin gets a line that does nothing.
   */
  attach(slot: number, fn: number, f: PciFunction): IrqLine {
    if (!Number.isInteger(slot) || slot < 0 || slot > 31 || !Number.isInteger(fn) || fn < 0 || fn > 7) {
      throw new Error(`pci: no slot ${slot} function ${fn}`);
    }
    const s = this.slots[slot];
    if (s.fn[fn]) throw new Error(`pci: ${f.name}: slot ${slot} function ${fn} already holds ${s.fn[fn]!.name}`);
    s.fn[fn] = f;
    if (fn > 0) s.fn[0]?.config.setMultiFunction();
    if (fn === 0 && s.fn.length > 1) f.config.setMultiFunction();
    const pin = f.config.bytes[PciReg.INTERRUPT_PIN];
    if (pin < 1 || pin > 4) return () => {};
    const pirq = (slot + pin - 1) & 3;
    const bit = 1 << ((slot & 7) * 4 + (pin - 1));
    const word = pirq * 4 + (slot >> 3);
    // The device's own level, gated by the command register's INTx disable bit.
    let asserted = false;
    const drive = () => this.setSource(pirq, word, bit, asserted && !f.config.intxDisabled);
    f.config.onCommandWrite = drive;
    return (level) => {
      asserted = level;
      drive();
    };
  }

  /** The function at a slot, for the firmware's enumeration and for tests. */
  function(slot: number, fn: number): PciFunction | undefined {
    return this.slots[slot]?.fn[fn];
  }

  /** Every attached function with its slot and function number. */
  functions(): { slot: number; fn: number; f: PciFunction }[] {
    const out: { slot: number; fn: number; f: PciFunction }[] = [];
    this.slots.forEach((s, slot) => s.fn.forEach((f, fn) => f && out.push({ slot, fn, f })));
    return out;
  }

  /** Whether PIRQ `pirq` (0–3) is asserted by any device. */
  pirqLevel(pirq: number): boolean {
    const base = pirq * 4;
    const w = this.pirqSources;
    return (w[base] | w[base + 1] | w[base + 2] | w[base + 3]) !== 0;
  }

  private setSource(pirq: number, word: number, bit: number, level: boolean): void {
    const before = this.pirqLevel(pirq);
    if (level) this.pirqSources[word] |= bit;
    else this.pirqSources[word] &= ~bit;
    const after = this.pirqLevel(pirq);
    if (after !== before) this.onPirq?.(pirq, after);
  }

  private target(): PciFunction | undefined {
    const a = this.address;
    if (!(a & 0x80000000) || (a >>> 16) & 0xff) return undefined; // disabled, or a bus other than 0
    return this.slots[(a >>> 11) & 31].fn[(a >>> 8) & 7];
  }

  private configRead(port: number, size: 1 | 2 | 4): number {
    const f = this.target();
    // Configuration cycles nobody claims end in a master abort: all ones.
    if (!f) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return f.config.read((this.address & 0xfc) + (port & 3), size);
  }

  private configWrite(port: number, value: number, size: 1 | 2 | 4): void {
    this.target()?.config.write((this.address & 0xfc) + (port & 3), value, size);
  }

  reset(): void {
    this.address = 0;
    this.pirqSources.fill(0);
    for (const s of this.slots) for (const f of s.fn) f?.config.reset();
  }

  saveState(): DeviceState {
    const functions: Record<string, Uint8Array> = {};
    for (const { slot, fn, f } of this.functions()) functions[`${slot}.${fn}`] = f.config.bytes.slice();
    return { version: STATE_VERSION, address: this.address, pirqSources: this.pirqSources.slice(), functions };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    const functions = state.functions as Record<string, Uint8Array> | undefined;
    const sources = state.pirqSources;
    if (typeof state.address !== 'number' || !functions || typeof functions !== 'object' || !(sources instanceof Uint32Array) || sources.length !== this.pirqSources.length) {
      throw new Error('pci: state is malformed');
    }
    for (const { slot, fn, f } of this.functions()) {
      const bytes = functions[`${slot}.${fn}`];
      if (!bytes) throw new Error(`pci: state has no configuration space for ${f.name} at ${slot}.${fn}`);
      f.config.loadBytes(bytes);
    }
    this.address = state.address;
    // The PIIX3 and the PIC restore the routed levels themselves; no onPirq here.
    this.pirqSources.set(sources);
  }
}

/**
 * The ports of an I/O BAR, which the guest may move. The handler sees offsets from the BAR's base. Moving the
 * BAR gives the old ports back to the bus (they read as unclaimed again) and claims the new ones. A base
 * another device already holds cannot be mapped: map() returns false and the region decodes nothing.
 */
export class PciIoRegion {
  private base: number | undefined;
  private readonly dispatch: Required<PortHandler>;

  constructor(
    private readonly io: IoBus,
    private readonly name: string,
    private readonly size: number,
    handler: PortHandler,
  ) {
    const off = (port: number) => port - this.base!;
    // Widths the handler lacks are split into bytes, as the bus would.
    const r8 = (o: number) => (handler.read8 ? handler.read8(o) & 0xff : 0xff);
    const w8 = (o: number, v: number) => handler.write8?.(o, v & 0xff);
    const r16 = (o: number) => (handler.read16 ? handler.read16(o) & 0xffff : r8(o) | (r8(o + 1) << 8));
    const w16 = (o: number, v: number) => (handler.write16 ? handler.write16(o, v & 0xffff) : (w8(o, v), w8(o + 1, v >>> 8)));
    // A wide access that starts inside the window but runs past its end is split by the bus, not here.
    this.dispatch = {
      read8: (port) => r8(off(port)),
      write8: (port, v) => w8(off(port), v),
      read16: (port) => (off(port) + 2 <= size ? r16(off(port)) : io.read8(port) | (io.read8(port + 1) << 8)),
      write16: (port, v) => {
        if (off(port) + 2 <= size) w16(off(port), v);
        else {
          io.write8(port, v);
          io.write8(port + 1, v >>> 8);
        }
      },
      read32: (port) => {
        const o = off(port);
        if (o + 4 > size) return (this.dispatch.read16(port) | (io.read16(port + 2) << 16)) >>> 0;
        return handler.read32 ? handler.read32(o) >>> 0 : (r16(o) | (r16(o + 2) << 16)) >>> 0;
      },
      write32: (port, v) => {
        const o = off(port);
        if (o + 4 > size) {
          this.dispatch.write16(port, v & 0xffff);
          io.write16(port + 2, v >>> 16);
        } else if (handler.write32) handler.write32(o, v >>> 0);
        else {
          w16(o, v & 0xffff);
          w16(o + 2, v >>> 16);
        }
      },
    };
  }

  /** Moves the region to `base` (undefined: decodes nothing). Use as (or from) the BAR's onMap. */
  map(base: number | undefined): boolean {
    if (base === this.base) return true;
    if (this.base !== undefined) this.io.unregisterRange(this.name, this.base, this.size);
    this.base = undefined;
    if (base === undefined) return true;
    // Check the whole range first, so a conflict leaves no half-registered ports behind.
    for (let port = base; port < base + this.size; port++) if (this.io.owner(port) !== undefined) return false;
    this.io.registerRange(this.name, base, this.size, this.dispatch);
    this.base = base;
    return true;
  }

  /** The current base, or undefined. */
  get current(): number | undefined {
    return this.base;
  }
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

function put32(b: Uint8Array, at: number, v: number): void {
  put16(b, at, v);
  put16(b, at + 2, v >>> 16);
}

function get32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
