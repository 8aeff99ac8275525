/**
 * NE2000-compatible network cards around the DP8390 (dp8390.ts): the card's 32-port window is the chip's
 * registers at 00h–0Fh, the remote DMA data port at 10h (decoded 10h–17h; byte, word and dword accesses)
 * and the reset port at 18h (decoded 18h–1Fh: reading or writing it pulses the chip's reset).
 *
 * Two wirings: the classic ISA card (`Ne2000Isa`, ports 300h–31Fh, IRQ 9 by default) and the Realtek
 * RTL8029 PCI card (`Ne2000Pci`, 10ec:8029, BAR0 = 32 I/O ports, INTA), which Linux's ne2k-pci drives.
 */
import { checkStateVersion, type Device, type DeviceState, type IrqLine } from '../../device.js';
import type { IoBus, PortHandler } from '../../io.js';
import { PciConfigSpace, PciIoRegion, type PciFunction } from '../pci/pci.js';
import { Dp8390 } from './dp8390.js';

const STATE_VERSION = 1;
export const NE2000_PORTS = 0x20;
const DATA_PORT = 0x10;
const RESET_PORT = 0x18;
export const NE2000_ISA_BASE = 0x300;
export const NE2000_ISA_IRQ = 9;

export interface Ne2000Options {
  mac: Uint8Array;
  irq: IrqLine;
  /** Device name (and snapshot key). */
  name?: string;
  onFrame?: (frame: Uint8Array) => void;
}

/** The card: the chip plus the decoding of its 32 ports, relative to wherever the card sits. */
class Ne2000Card {
  readonly chip: Dp8390;
  constructor(options: Ne2000Options, rtl8029: boolean) {
    this.chip = new Dp8390({ mac: options.mac, irq: options.irq, name: options.name ?? 'ne2000', rtl8029, onFrame: options.onFrame });
  }

  /**
   * Handlers for the card's 32-port window, called with offsets into it (the PciIoRegion contract): the
   * registers, the data port (decoded 10h–17h, also as words and dwords) and the reset port (18h–1Fh).
   */
  handler(): PortHandler {
    const chip = this.chip;
    const read8 = (offset: number): number => {
      if (offset < DATA_PORT) return chip.readRegister(offset);
      if (offset < RESET_PORT) return chip.readData8();
      chip.reset();
      return 0;
    };
    const write8 = (offset: number, value: number): void => {
      if (offset < DATA_PORT) chip.writeRegister(offset, value);
      else if (offset < RESET_PORT) chip.writeData8(value);
      else chip.reset();
    };
    const isData = (offset: number) => (offset & 0x18) === DATA_PORT;
    return {
      read8,
      write8,
      read16: (offset) => (isData(offset) ? chip.readData16() : read8(offset) | (read8(offset + 1) << 8)),
      write16: (offset, value) => {
        if (isData(offset)) return chip.writeData16(value);
        write8(offset, value & 0xff);
        write8(offset + 1, value >> 8);
      },
      read32: (offset) => {
        if (isData(offset)) return chip.readData32();
        return (read8(offset) | (read8(offset + 1) << 8) | (read8(offset + 2) << 16) | (read8(offset + 3) << 24)) >>> 0;
      },
      write32: (offset, value) => {
        if (isData(offset)) return chip.writeData32(value);
        for (let i = 0; i < 4; i++) write8(offset + i, value >>> (8 * i));
      },
    };
  }
}

/** Shared by both wirings: the Device lifecycle delegates to the chip. */
abstract class Ne2000Base implements Device {
  readonly name: string;
  readonly chip: Dp8390;
  protected readonly card: Ne2000Card;

  constructor(options: Ne2000Options, rtl8029: boolean) {
    this.card = new Ne2000Card(options, rtl8029);
    this.chip = this.card.chip;
    this.name = this.chip.name;
  }

  get onFrame(): ((frame: Uint8Array) => void) | undefined {
    return this.chip.onFrame;
  }

  set onFrame(handler: ((frame: Uint8Array) => void) | undefined) {
    this.chip.onFrame = handler;
  }

  /** A frame from the wire; false when the card did not take it (filtered, stopped, no room). */
  receive(frame: Uint8Array): boolean {
    return this.chip.receive(frame);
  }

  reset(): void {
    this.chip.reset();
  }

  saveState(): DeviceState {
    return { version: STATE_VERSION, chip: this.chip.saveState() };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    this.chip.loadState(state.chip as DeviceState);
  }
}

/** The ISA NE2000 at a fixed base (300h) and IRQ (9 by default; the machine passes the PIC line). */
export class Ne2000Isa extends Ne2000Base {
  readonly base: number;
  constructor(options: Ne2000Options & { io: IoBus; base?: number }) {
    super(options, false);
    this.base = options.base ?? NE2000_ISA_BASE;
    // A fixed window: the same relocatable I/O region the PCI card uses, mapped once (a conflict throws).
    if (!new PciIoRegion(options.io, this.name, NE2000_PORTS, this.card.handler()).map(this.base)) {
      throw new Error(`${this.name}: ports ${this.base.toString(16)}h-${(this.base + NE2000_PORTS - 1).toString(16)}h are taken by ${options.io.owner(this.base) ?? 'another device'}`);
    }
  }
}

/**
 * The Realtek RTL8029(AS) on PCI: vendor 10ECh, device 8029h, class 020000h (Ethernet), BAR0 = 32 I/O ports,
 * INTA. The ports move wherever the BIOS or OS puts BAR0.
 */
export class Ne2000Pci extends Ne2000Base implements PciFunction {
  readonly config: PciConfigSpace;
  /** BAR0's window: it answers only where the BAR currently points. */
  private readonly ports: PciIoRegion;

  /** `irq` is the INTA line PciBus.attach returns; attach the card before the guest runs. */
  constructor(options: Omit<Ne2000Options, 'irq'> & { io: IoBus }) {
    let line: IrqLine = () => {};
    super({ ...options, irq: (level) => line(level) }, true);
    const ports = new PciIoRegion(options.io, this.name, NE2000_PORTS, this.card.handler());
    this.ports = ports;
    this.config = new PciConfigSpace({
      vendorId: 0x10ec,
      deviceId: 0x8029,
      classCode: 0x020000,
      subsystemVendorId: 0x10ec,
      subsystemId: 0x8029,
      interruptPin: 1,
      bars: [
        {
          kind: 'io',
          size: NE2000_PORTS,
          onMap: (base) => ports.map(base),
        },
      ],
    });
    this.connectIrq = (irq) => {
      line = irq;
    };
  }

  /** Connects the card's interrupt to the line PciBus.attach returned for its slot. */
  readonly connectIrq: (irq: IrqLine) => void;

  /** Where BAR0 currently decodes, or undefined. */
  get portBase(): number | undefined {
    return this.ports.current;
  }
}
