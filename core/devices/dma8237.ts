import { checkStateVersion, type Device, type DeviceState } from '../device.js';
import type { IoBus } from '../io.js';
import type { PhysicalMemory } from '../memory.js';
import { loadFields, saveFields } from './fields.js';

const STATE_VERSION = 1;

// Mode register bits 2-3, the transfer type (0 is verify: addresses and counts step, nothing moves).
const TYPE_WRITE = 1; // device → memory
const TYPE_READ = 2; // memory → device
const MODE_AUTOINIT = 0x10;
const MODE_DECREMENT = 0x20;
const MODE_CASCADE = 0xc0;
/** Command register bit 2: controller disabled. */
const COMMAND_DISABLE = 0x04;

/**
 * Page registers (74LS612) per channel 0-7. The other ports of 80h-8Fh are plain scratch registers
 * (80h is the POST-code port); all sixteen read back what was written.
 */
const PAGE_PORT = [0x87, 0x83, 0x81, 0x82, 0x8f, 0x8b, 0x89, 0x8a];

const FIELDS = ['base', 'baseCount', 'current', 'currentCount', 'mode', 'pages', 'mask', 'request', 'dreq', 'tcStatus', 'command', 'flipFlop', 'temp'] as const;

export interface Dma8237Options {
  io: IoBus;
  memory: PhysicalMemory;
}

/**
 * The AT's two cascaded 8237A DMA controllers: DMA1 (ports 00h-0Fh, byte channels 0-3) and DMA2 (C0h-DFh,
 * registers on the even ports, word channels 4-7; channel 4 cascades DMA1), with page registers at 80h-8Fh.
 *
 * A device raises DREQ with `setDreq`; when its channel is unmasked (at once, or when the guest unmasks it
 * later) the DMA calls the device's `attach` callback, which moves its data with `transfer()`. A transfer
 * follows the channel's programmed type (write: device → memory; read: memory → device; verify: nothing
 * moves), address step and count, and stops at terminal count, where an auto-init channel reloads.
 */
export class Dma8237 implements Device {
  readonly name = 'dma';
  /** Base (programmed) and current address/count per channel; word channels count words. */
  private readonly base = new Uint16Array(8);
  private readonly baseCount = new Uint16Array(8);
  private readonly current = new Uint16Array(8);
  private readonly currentCount = new Uint16Array(8);
  private readonly mode = new Uint8Array(8);
  /** All sixteen page-register ports 80h-8Fh. */
  private readonly pages = new Uint8Array(16);
  /** Bit per channel: masked. */
  private mask = 0xff;
  /** Bit per channel: software request (request register). */
  private request = 0;
  /** Bit per channel: the device holds DREQ. */
  private dreq = 0;
  /** Terminal count reached since the status register was last read (bits 0-3 DMA1, 4-7 DMA2). */
  private tcStatus = 0;
  /** Command registers of DMA1 and DMA2. */
  private readonly command = new Uint8Array(2);
  /** Byte pointer flip-flops of DMA1 and DMA2. */
  private readonly flipFlop = new Uint8Array(2);
  private readonly temp = new Uint8Array(2);
  private readonly memory: PhysicalMemory;
  private readonly services: ((() => void) | undefined)[] = new Array(8);
  /** The last transfer() on a channel ended at terminal count. */
  private readonly tcHit = new Uint8Array(8);
  private servicing = false;

  constructor(options: Dma8237Options) {
    this.memory = options.memory;
    const io = options.io;
    const dma1: number[] = [];
    for (let p = 0; p < 16; p++) dma1.push(p);
    io.register(this.name, dma1, {
      read8: (port) => this.read(0, port),
      write8: (port, value) => this.write(0, port, value),
    });
    // DMA2 sits on address lines A1-A4: its registers are the even ports C0h-DEh, and the odd ones alias them.
    const dma2: number[] = [];
    for (let p = 0; p < 32; p++) dma2.push(0xc0 + p);
    io.register(this.name, dma2, {
      read8: (port) => this.read(1, (port - 0xc0) >> 1),
      write8: (port, value) => this.write(1, (port - 0xc0) >> 1, value),
    });
    const pagePorts: number[] = [];
    for (let p = 0; p < 16; p++) pagePorts.push(0x80 + p);
    io.register('dma page registers', pagePorts, {
      read8: (port) => this.pages[port - 0x80],
      write8: (port, value) => {
        this.pages[port - 0x80] = value;
      },
    });
    this.reset();
  }

  reset(): void {
    this.base.fill(0);
    this.baseCount.fill(0);
    this.current.fill(0);
    this.currentCount.fill(0);
    this.mode.fill(0);
    this.pages.fill(0);
    this.command.fill(0);
    this.flipFlop.fill(0);
    this.temp.fill(0);
    this.tcHit.fill(0);
    // As a BIOS leaves the chips after POST: channel 4 in cascade mode and unmasked, so DMA1 reaches the bus.
    this.mode[4] = MODE_CASCADE;
    this.mask = 0xff & ~(1 << 4);
    this.request = 0;
    this.tcStatus = 0;
    // DREQ is the devices' to drive; a reset of the DMA does not withdraw it.
  }

  /** Connects a device to a channel: `service` runs when the channel can serve the device's DREQ. */
  attach(channel: number, service: () => void): void {
    this.services[channel] = service;
  }

  /** The device drives its DREQ line. */
  setDreq(channel: number, level: boolean): void {
    const bit = 1 << channel;
    this.dreq = level ? this.dreq | bit : this.dreq & ~bit;
    if (level) this.serviceRequests();
  }

  /** Can `channel` move data now (unmasked, its controller enabled, and for DMA1 the cascade open)? */
  ready(channel: number): boolean {
    const chip = channel >> 2;
    if (this.mask & (1 << channel) || this.command[chip] & COMMAND_DISABLE) return false;
    if (chip === 0) return this.ready(4);
    return true;
  }

  /** True when the last transfer() on `channel` reached terminal count (the TC pin the device sees). */
  terminalCount(channel: number): boolean {
    return this.tcHit[channel] !== 0;
  }

  /**
   * Moves up to `length` bytes between the device's `buffer` (from `offset`) and memory, in the direction
   * the channel's mode says. Stops at terminal count. Returns the bytes moved (0 when the channel is not
   * ready); `terminalCount(channel)` then tells whether the count ran out.
   */
  transfer(channel: number, buffer: Uint8Array, offset: number, length: number): number {
    this.tcHit[channel] = 0;
    if (!this.ready(channel) || (this.mode[channel] & MODE_CASCADE) === MODE_CASCADE) return 0;
    const word = channel >= 4;
    const unit = word ? 2 : 1;
    const mode = this.mode[channel];
    const type = (mode >> 2) & 3;
    const step = mode & MODE_DECREMENT ? -1 : 1;
    const memory = this.memory;
    let moved = 0;
    while (moved + unit <= length) {
      const address = this.physical(channel);
      const at = offset + moved;
      if (type === TYPE_WRITE) {
        memory.write8(address, buffer[at]);
        if (word) memory.write8(address + 1, buffer[at + 1]);
      } else if (type === TYPE_READ) {
        buffer[at] = memory.read8(address);
        if (word) buffer[at + 1] = memory.read8(address + 1);
      }
      moved += unit;
      this.current[channel] = (this.current[channel] + step) & 0xffff;
      const count = this.currentCount[channel];
      this.currentCount[channel] = (count - 1) & 0xffff;
      if (count === 0) {
        this.reachTerminalCount(channel);
        break;
      }
    }
    return moved;
  }

  private reachTerminalCount(channel: number): void {
    this.tcHit[channel] = 1;
    this.tcStatus |= 1 << channel;
    this.request &= ~(1 << channel);
    if (this.mode[channel] & MODE_AUTOINIT) {
      this.current[channel] = this.base[channel];
      this.currentCount[channel] = this.baseCount[channel];
    } else {
      this.mask |= 1 << channel;
    }
  }

  /** The physical address of the channel's next byte: page bits 16-23, or for word channels A17-A23 and a word address. */
  private physical(channel: number): number {
    const page = this.pages[PAGE_PORT[channel] - 0x80];
    if (channel < 4) return (page << 16) | this.current[channel];
    return ((page & 0xfe) << 16) | (this.current[channel] << 1);
  }

  /** Calls the devices whose DREQ can now be served. Reentrant calls (a device raising DREQ from its service) are folded in. */
  private serviceRequests(): void {
    if (this.servicing) return;
    this.servicing = true;
    try {
      for (let channel = 0; channel < 8; channel++) {
        if (channel === 4) continue;
        if ((this.dreq | this.request) & (1 << channel) && this.ready(channel)) this.services[channel]?.();
      }
    } finally {
      this.servicing = false;
    }
  }

  private read(chip: number, reg: number): number {
    if (reg < 8) {
      const channel = chip * 4 + (reg >> 1);
      const value = reg & 1 ? this.currentCount[channel] : this.current[channel];
      return this.flipByte(chip, value);
    }
    switch (reg) {
      case 8: {
        const shift = chip * 4;
        const status = ((this.tcStatus >> shift) & 0x0f) | ((((this.dreq | this.request) >> shift) & 0x0f) << 4);
        this.tcStatus &= ~(0x0f << shift);
        return status;
      }
      case 0x0d:
        return this.temp[chip];
      case 0x0f: // the mask bits read back here, as on some chipsets' integrated DMA (a discrete 8237A does not drive it)
        return 0xf0 | ((this.mask >> (chip * 4)) & 0x0f);
      default:
        return 0xff;
    }
  }

  private flipByte(chip: number, value: number): number {
    const high = this.flipFlop[chip];
    this.flipFlop[chip] ^= 1;
    return high ? value >> 8 : value & 0xff;
  }

  private write(chip: number, reg: number, value: number): void {
    if (reg < 8) {
      const channel = chip * 4 + (reg >> 1);
      const high = this.flipFlop[chip];
      this.flipFlop[chip] ^= 1;
      const into = reg & 1 ? this.baseCount : this.base;
      const merged = high ? (into[channel] & 0xff) | (value << 8) : (into[channel] & 0xff00) | value;
      // Writing the base register writes the current register too.
      into[channel] = merged;
      (reg & 1 ? this.currentCount : this.current)[channel] = merged;
      return;
    }
    const shift = chip * 4;
    switch (reg) {
      case 8:
        this.command[chip] = value;
        break;
      case 9: {
        const bit = 1 << (shift + (value & 3));
        this.request = value & 4 ? this.request | bit : this.request & ~bit;
        break;
      }
      case 0x0a: {
        const bit = 1 << (shift + (value & 3));
        this.mask = value & 4 ? this.mask | bit : this.mask & ~bit;
        break;
      }
      case 0x0b:
        this.mode[shift + (value & 3)] = value & 0xfc;
        break;
      case 0x0c:
        this.flipFlop[chip] = 0;
        return;
      case 0x0d: // master clear: as a reset of this chip
        this.command[chip] = 0;
        this.flipFlop[chip] = 0;
        this.temp[chip] = 0;
        this.tcStatus &= ~(0x0f << shift);
        this.request &= ~(0x0f << shift);
        this.mask |= 0x0f << shift;
        return;
      case 0x0e:
        this.mask &= ~(0x0f << shift);
        break;
      case 0x0f:
        this.mask = (this.mask & ~(0x0f << shift)) | ((value & 0x0f) << shift);
        break;
    }
    this.serviceRequests();
  }

  saveState(): DeviceState {
    return { version: STATE_VERSION, ...saveFields(this, FIELDS) };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    loadFields(this.name, this, state, FIELDS);
    this.tcHit.fill(0);
  }
}
