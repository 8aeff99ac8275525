/**
 * The National Semiconductor DP8390 network interface controller, as on NE2000 cards (and inside the
 * Realtek RTL8029), with the card's buffer memory: 32 bytes of address PROM at 0000h and 16 KiB of RAM at
 * 4000h–7FFFh (pages 40h–7Fh), reached by the host only through remote DMA on the card's data port.
 *
 * What the guest sees, from the DP8390 datasheet: the command register and register pages 0–2; remote DMA
 * read, write and "send packet" with the byte counter, RDC and wrap at the ring's end; the receive ring
 * (PSTART/PSTOP/BNRY/CURR, a 4-byte header per frame: status, next page, byte count) with overflow; transmit
 * from TPSR/TBCR; address filtering (physical, broadcast, multicast hash, promiscuous, monitor mode); the
 * tally counters; ISR/IMR driving one interrupt line (a level). Frames leave through `onFrame` and enter
 * through `receive()` whole and without FCS: transmission and reception are instantaneous, so there are no
 * collisions, CRC or alignment errors, and the counters only ever count missed frames.
 */
import { checkStateVersion, type Device, type DeviceState, type IrqLine } from '../../device.js';
import { loadFields, saveFields } from '../fields.js';

const STATE_VERSION = 1;
/** The card's address space: PROM below 4000h, RAM 4000h–7FFFh; 8000h–FFFFh decodes nothing. */
export const NE2000_MEMORY_SIZE = 0x8000;
export const NE2000_RAM_START = 0x4000;
const PROM_SIZE = 32;
/** Shortest frame on the wire without its FCS: shorter ones are padded on receive. */
export const MIN_FRAME = 60;
/** Longest frame accepted (a VLAN-tagged frame without FCS); longer ones are dropped on receive. */
export const MAX_FRAME = 1518;

// Command register (CR, offset 0 on every page).
const CR_STP = 0x01;
const CR_STA = 0x02;
const CR_TXP = 0x04;
const enum RemoteDma { Read = 1, Write = 2, SendPacket = 3 }

// Interrupt status / mask bits.
export const ISR_PRX = 0x01;
export const ISR_PTX = 0x02;
export const ISR_RXE = 0x04;
export const ISR_TXE = 0x08;
export const ISR_OVW = 0x10;
export const ISR_CNT = 0x20;
export const ISR_RDC = 0x40;
export const ISR_RST = 0x80;

// Receive configuration (RCR).
const RCR_AB = 0x04;
const RCR_AM = 0x08;
const RCR_PRO = 0x10;
const RCR_MON = 0x20;
// Receive status (RSR, also the first header byte).
const RSR_PRX = 0x01;
const RSR_MPA = 0x10;
const RSR_PHY = 0x20;
const RSR_DIS = 0x40;
// Transmit configuration (TCR) and status (TSR).
const TCR_LOOPBACK = 0x06;
const TSR_PTX = 0x01;
// Data configuration (DCR).
const DCR_WTS = 0x01;

const FIELDS = [
  'cr', 'isr', 'imr', 'dcr', 'tcr', 'rcr', 'tsr', 'rsr', 'pstart', 'pstop', 'bnry', 'curr', 'tpsr', 'tbcr',
  'rsar', 'rbcr', 'dmaMode', 'clda', 'cntr0', 'cntr1', 'cntr2', 'par', 'mar', 'memory', 'irqLevel',
] as const;

export interface Dp8390Options {
  /** The station address: PROM contents and the power-on PAR0–5 (drivers copy it from the PROM). */
  mac: Uint8Array;
  irq: IrqLine;
  /** Device name (and snapshot key). */
  name?: string;
  /** Page 0 registers 0Ah/0Bh read the RTL8029's ID ('P', 'C') instead of nothing. */
  rtl8029?: boolean;
  onFrame?: (frame: Uint8Array) => void;
}

/** Frames the chip has seen, for status displays and tests (not guest-visible). */
export interface Dp8390Counters {
  framesSent: number;
  framesReceived: number;
  /** Frames for us that found no room in the ring (or arrived in monitor mode). */
  framesMissed: number;
  /** Frames the address filter rejected, or that arrived while the chip was stopped. */
  framesIgnored: number;
}

export class Dp8390 implements Device {
  readonly name: string;
  /** A frame the guest transmitted (a copy; no FCS). */
  onFrame?: (frame: Uint8Array) => void;
  readonly counters: Dp8390Counters = { framesSent: 0, framesReceived: 0, framesMissed: 0, framesIgnored: 0 };
  private readonly irq: IrqLine;
  private readonly rtl8029: boolean;
  private readonly prom = new Uint8Array(PROM_SIZE);

  private cr = CR_STP;
  private isr = ISR_RST;
  private imr = 0;
  private dcr = 0;
  private tcr = 0;
  private rcr = 0;
  private tsr = 0;
  private rsr = 0;
  private pstart = 0;
  private pstop = 0;
  private bnry = 0;
  private curr = 0;
  private tpsr = 0;
  private tbcr = 0;
  /** Remote DMA: start/current address, remaining byte count, and what the last command asked for (0 = none). */
  private rsar = 0;
  private rbcr = 0;
  private dmaMode = 0;
  /** Current local DMA address: where the receiver last wrote. */
  private clda = 0;
  private cntr0 = 0;
  private cntr1 = 0;
  private cntr2 = 0;
  private readonly par = new Uint8Array(6);
  private readonly mar = new Uint8Array(8);
  private readonly memory = new Uint8Array(NE2000_MEMORY_SIZE);
  private irqLevel = false;

  constructor(options: Dp8390Options) {
    this.name = options.name ?? 'dp8390';
    this.irq = options.irq;
    this.rtl8029 = options.rtl8029 ?? false;
    this.onFrame = options.onFrame;
    this.setMac(options.mac);
    this.reset();
  }

  /**
   * The NE2000 PROM: 16 bytes (station address, zeros, and 57h 57h — 'WW', which drivers read as "NE2000,
   * 16-bit") with each byte doubled, because the 8-bit PROM sits on both halves of the card's 16-bit bus.
   */
  setMac(mac: Uint8Array): void {
    if (mac.length !== 6) throw new Error(`${this.name ?? 'dp8390'}: a MAC address has 6 bytes, not ${mac.length}`);
    const logical = new Uint8Array(16);
    logical.set(mac);
    logical[14] = logical[15] = 0x57;
    for (let i = 0; i < 16; i++) this.prom[2 * i] = this.prom[2 * i + 1] = logical[i];
  }

  get mac(): Uint8Array {
    const mac = new Uint8Array(6);
    for (let i = 0; i < 6; i++) mac[i] = this.prom[2 * i];
    return mac;
  }

  /** The RESET pin (the NE2000's reset port): stopped, RST set, interrupts masked; RAM keeps its contents. */
  reset(): void {
    this.cr = CR_STP | (4 << 3); // stopped, remote DMA aborted, page 0
    this.isr = ISR_RST;
    this.imr = 0;
    this.dcr = 0;
    this.tcr = 0;
    this.rcr = 0;
    this.tsr = this.rsr = 0;
    this.dmaMode = 0;
    this.rbcr = 0;
    this.cntr0 = this.cntr1 = this.cntr2 = 0;
    // The station address registers power up from the PROM, which most drivers copy anyway.
    for (let i = 0; i < 6; i++) this.par[i] = this.prom[2 * i];
    this.updateIrq();
  }

  /** Reads chip register `offset` (0–15) on the page CR selects. */
  readRegister(offset: number): number {
    offset &= 0x0f;
    if (offset === 0) return this.cr;
    switch (this.cr >> 6) {
      case 0:
        return this.readPage0(offset);
      case 1:
        return offset <= 6 ? this.par[offset - 1] : offset === 7 ? this.curr : this.mar[offset - 8];
      case 2:
        return this.readPage2(offset);
      default:
        return 0; // page 3: DP8390 test registers; the RTL8029's 9346/CONFIG registers read as defaults (0)
    }
  }

  private readPage0(offset: number): number {
    switch (offset) {
      case 0x01: return this.clda & 0xff;
      case 0x02: return this.clda >> 8;
      case 0x03: return this.bnry;
      case 0x04: return this.tsr;
      case 0x05: return 0; // NCR: no collisions on our wire
      case 0x06: return 0; // FIFO
      case 0x07: return this.isr;
      case 0x08: return this.rsar & 0xff; // CRDA: the current remote DMA address
      case 0x09: return this.rsar >> 8;
      case 0x0a: return this.rtl8029 ? 0x50 : 0xff;
      case 0x0b: return this.rtl8029 ? 0x43 : 0xff;
      case 0x0c: return this.rsr;
      default: return this.readCounter(offset - 0x0d);
    }
  }

  private readPage2(offset: number): number {
    switch (offset) {
      case 0x01: return this.pstart;
      case 0x02: return this.pstop;
      case 0x03: return 0; // remote next packet pointer (diagnostic)
      case 0x04: return this.tpsr;
      case 0x05: return this.curr; // local next packet pointer
      case 0x06: return this.clda >> 8;
      case 0x07: return this.clda & 0xff;
      case 0x0c: return this.rcr | 0xc0;
      case 0x0d: return this.tcr | 0xe0;
      case 0x0e: return this.dcr | 0x80;
      case 0x0f: return this.imr | 0x80;
      default: return 0xff;
    }
  }

  /** Tally counters clear when read. */
  private readCounter(index: number): number {
    const value = index === 0 ? this.cntr0 : index === 1 ? this.cntr1 : this.cntr2;
    if (index === 0) this.cntr0 = 0;
    else if (index === 1) this.cntr1 = 0;
    else this.cntr2 = 0;
    if (!((this.cntr0 | this.cntr1 | this.cntr2) & 0x80)) this.isr &= ~ISR_CNT;
    this.updateIrq();
    return value;
  }

  writeRegister(offset: number, value: number): void {
    offset &= 0x0f;
    value &= 0xff;
    if (offset === 0) return this.writeCommand(value);
    switch (this.cr >> 6) {
      case 0:
        return this.writePage0(offset, value);
      case 1:
        if (offset <= 6) this.par[offset - 1] = value;
        else if (offset === 7) this.curr = value;
        else this.mar[offset - 8] = value;
        return;
      case 2:
        // Diagnostic pointers: the local DMA address can be set; the rest is read-only here.
        if (offset === 0x01) this.clda = (this.clda & 0xff00) | value;
        else if (offset === 0x02) this.clda = (this.clda & 0x00ff) | (value << 8);
        else if (offset === 0x05) this.curr = value;
        return;
      default:
        return;
    }
  }

  private writePage0(offset: number, value: number): void {
    switch (offset) {
      case 0x01: this.pstart = value; return;
      case 0x02: this.pstop = value; return;
      case 0x03: this.bnry = value; return;
      case 0x04: this.tpsr = value; return;
      case 0x05: this.tbcr = (this.tbcr & 0xff00) | value; return;
      case 0x06: this.tbcr = (this.tbcr & 0x00ff) | (value << 8); return;
      case 0x07:
        // Writing 1 clears a bit; RST is not cleared this way (only by the start command).
        this.isr &= ~(value & 0x7f);
        this.updateIrq();
        return;
      case 0x08: this.rsar = (this.rsar & 0xff00) | value; return;
      case 0x09: this.rsar = (this.rsar & 0x00ff) | (value << 8); return;
      case 0x0a: this.rbcr = (this.rbcr & 0xff00) | value; return;
      case 0x0b: this.rbcr = (this.rbcr & 0x00ff) | (value << 8); return;
      case 0x0c: this.rcr = value & 0x3f; return;
      case 0x0d: this.tcr = value & 0x1f; return;
      case 0x0e: this.dcr = value & 0x7f; return;
      default:
        this.imr = value & 0x7f;
        this.updateIrq();
    }
  }

  private writeCommand(value: number): void {
    if (value & CR_STP) {
      this.isr |= ISR_RST;
    } else if (value & CR_STA) {
      this.isr &= ~ISR_RST;
    }
    // STP and STA are exclusive in effect; keep whichever the guest wrote last.
    const runBits = value & (CR_STP | CR_STA) ? value & (CR_STP | CR_STA) : this.cr & (CR_STP | CR_STA);
    this.cr = (value & 0xf8) | runBits;
    const rd = (value >> 3) & 7;
    if (rd & 4) this.dmaMode = 0;
    else if (rd !== 0) this.startRemoteDma(rd);
    if (value & CR_TXP && !(this.cr & CR_STP)) this.transmit();
    this.updateIrq();
  }

  private startRemoteDma(mode: number): void {
    if (mode === RemoteDma.SendPacket) {
      // Reads the frame at BNRY, header included, with the byte count from its header.
      this.rsar = this.bnry << 8;
      this.rbcr = this.readByteAt(this.rsar + 2) | (this.readByteAt(this.rsar + 3) << 8);
      mode = RemoteDma.Read;
    }
    this.dmaMode = mode;
    if (this.rbcr === 0) this.isr |= ISR_RDC;
  }

  /** A byte access to the data port. In word mode the card moves a whole word and the bus keeps the low byte. */
  readData8(): number {
    if (this.dcr & DCR_WTS) return this.readData16() & 0xff;
    const value = this.readByteAt(this.rsar);
    this.advanceRemote(1);
    return value;
  }

  readData16(): number {
    if (!(this.dcr & DCR_WTS)) return this.readData8() | (this.readData8() << 8);
    const at = this.rsar & ~1;
    const value = this.readByteAt(at) | (this.readByteAt(at + 1) << 8);
    this.advanceRemote(2);
    return value;
  }

  readData32(): number {
    return (this.readData16() | (this.readData16() << 16)) >>> 0;
  }

  writeData8(value: number): void {
    if (this.dcr & DCR_WTS) return this.writeData16(value & 0xff);
    this.writeByteAt(this.rsar, value);
    this.advanceRemote(1);
  }

  writeData16(value: number): void {
    if (!(this.dcr & DCR_WTS)) {
      this.writeData8(value);
      this.writeData8(value >> 8);
      return;
    }
    const at = this.rsar & ~1;
    this.writeByteAt(at, value);
    this.writeByteAt(at + 1, value >> 8);
    this.advanceRemote(2);
  }

  writeData32(value: number): void {
    this.writeData16(value & 0xffff);
    this.writeData16(value >>> 16);
  }

  /** Moves the remote DMA address on, wrapping from PSTOP to PSTART like the chip, and counts bytes down. */
  private advanceRemote(bytes: number): void {
    let next = (this.rsar + bytes) & 0xffff;
    if (this.pstop > this.pstart && next === this.pstop << 8) next = this.pstart << 8;
    this.rsar = next;
    if (this.rbcr === 0) return;
    this.rbcr = Math.max(0, this.rbcr - bytes);
    if (this.rbcr === 0) {
      this.dmaMode = 0;
      this.isr |= ISR_RDC;
      this.updateIrq();
    }
  }

  private readByteAt(address: number): number {
    address &= 0xffff;
    if (address < NE2000_RAM_START) return address < PROM_SIZE ? this.prom[address] : 0xff;
    return address < NE2000_MEMORY_SIZE ? this.memory[address] : 0xff;
  }

  private writeByteAt(address: number, value: number): void {
    address &= 0xffff;
    if (address >= NE2000_RAM_START && address < NE2000_MEMORY_SIZE) this.memory[address] = value;
  }

  private transmit(): void {
    const start = this.tpsr << 8;
    const length = this.tbcr;
    const frame = new Uint8Array(length);
    if (start >= NE2000_RAM_START && start + length <= NE2000_MEMORY_SIZE) frame.set(this.memory.subarray(start, start + length));
    else for (let i = 0; i < length; i++) frame[i] = this.readByteAt(start + i);
    this.cr &= ~CR_TXP;
    this.tsr = TSR_PTX;
    this.isr |= ISR_PTX;
    this.counters.framesSent++;
    // Internal or external loopback: the frame comes back to our own receiver and never reaches the wire.
    if (this.tcr & TCR_LOOPBACK) this.receive(frame);
    else this.onFrame?.(frame);
    this.updateIrq();
  }

  /** Whether the address filter takes a frame for this destination. */
  private accepts(frame: Uint8Array): boolean {
    if (frame[0] & 1) {
      let broadcast = true;
      for (let i = 0; i < 6; i++) if (frame[i] !== 0xff) broadcast = false;
      if (broadcast) return (this.rcr & RCR_AB) !== 0;
      if (!(this.rcr & RCR_AM)) return false;
      const index = multicastHashIndex(frame);
      return (this.mar[index >> 3] & (1 << (index & 7))) !== 0;
    }
    if (this.rcr & RCR_PRO) return true;
    for (let i = 0; i < 6; i++) if (frame[i] !== this.par[i]) return false;
    return true;
  }

  /**
   * A frame from the wire (no FCS). Returns whether it went into the receive ring. Frames for us that find
   * no room set OVW and count as missed; frames shorter than 60 bytes are padded with zeros.
   */
  receive(frame: Uint8Array): boolean {
    if (this.cr & CR_STP || frame.length < 6 || frame.length > MAX_FRAME || !this.accepts(frame)) {
      this.counters.framesIgnored++;
      return false;
    }
    const group = (frame[0] & 1) !== 0;
    if (this.rcr & RCR_MON) {
      this.rsr = RSR_MPA | RSR_DIS | (group ? RSR_PHY : 0);
      return this.missed();
    }
    const ringPages = this.pstop - this.pstart;
    const length = Math.max(frame.length, MIN_FRAME);
    const pages = (length + 4 + 255) >> 8;
    const inRing = (page: number) => page >= this.pstart && page < this.pstop;
    if (ringPages <= 0 || this.pstart < NE2000_RAM_START >> 8 || this.pstop > NE2000_MEMORY_SIZE >> 8 || !inRing(this.curr)) {
      this.rsr = RSR_MPA;
      return this.missed();
    }
    // Pages the receiver may fill before reaching BNRY (CURR = BNRY: the whole ring is free). Drivers keep
    // BNRY one page behind the next frame to read, so after a frame that ends at PSTOP Linux writes
    // PSTART - 1, outside the ring: that is the ring's last page.
    const boundary = inRing(this.bnry) ? this.bnry : this.pstop - 1;
    const free = (boundary - this.curr + ringPages) % ringPages || ringPages;
    if (pages > free || pages >= ringPages) {
      this.isr |= ISR_OVW;
      this.rsr = RSR_MPA;
      return this.missed();
    }
    let next = this.curr + pages;
    if (next >= this.pstop) next -= ringPages;
    const status = RSR_PRX | (group ? RSR_PHY : 0);
    const count = length + 4;
    let at = this.curr << 8;
    const ringEnd = this.pstop << 8;
    const ringStart = this.pstart << 8;
    const put = (byte: number) => {
      this.memory[at++] = byte;
      if (at === ringEnd) at = ringStart;
    };
    put(status);
    put(next);
    put(count & 0xff);
    put(count >> 8);
    for (let i = 0; i < length; i++) put(i < frame.length ? frame[i] : 0);
    this.clda = at;
    this.curr = next;
    this.rsr = status;
    this.isr |= ISR_PRX;
    this.counters.framesReceived++;
    this.updateIrq();
    return true;
  }

  private missed(): false {
    this.cntr2 = Math.min(0xff, this.cntr2 + 1);
    if (this.cntr2 & 0x80) this.isr |= ISR_CNT;
    this.counters.framesMissed++;
    this.updateIrq();
    return false;
  }

  private updateIrq(): void {
    const level = (this.isr & this.imr & 0x7f) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  saveState(): DeviceState {
    return { version: STATE_VERSION, ...saveFields(this, FIELDS), prom: this.prom.slice() };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    const prom = state.prom;
    if (!(prom instanceof Uint8Array) || prom.length !== PROM_SIZE) throw new Error(`${this.name}: state field prom is not a Uint8Array(${PROM_SIZE})`);
    loadFields(this.name, this, state, FIELDS);
    this.prom.set(prom);
    this.rsar &= 0xffff;
    this.rbcr &= 0xffff;
    this.tbcr &= 0xffff;
    this.clda &= 0xffff;
    this.irq(this.irqLevel);
  }
}

/**
 * The DP8390's multicast hash: the top 6 bits of the CRC-32 of the destination address (computed as the
 * chip does, MSB first over the bits in wire order, no final inversion) index the 64 bits of MAR0–7.
 */
export function multicastHashIndex(address: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < 6; i++) {
    let byte = address[i];
    for (let bit = 0; bit < 8; bit++) {
      const feedback = ((crc >>> 31) ^ byte) & 1;
      crc = (crc << 1) >>> 0;
      if (feedback) crc = (crc ^ 0x04c11db7) >>> 0;
      byte >>= 1;
    }
  }
  return crc >>> 26;
}
