/**
 * The Intel 82371SB PIIX3 PCI-to-ISA bridge, function 0 (8086:7000) at bus 0 slot 1: PCI interrupt routing
 * (PIRQRC[A:D], registers 60h–63h), the edge/level control registers (ELCR, ports 4D0h/4D1h) and the reset
 * control register (port CF9h). The IDE function (fn 1) lives in ../ide/piix-ide.ts.
 */
import { checkStateVersion, type Device, type DeviceState, type IrqLine } from '../../device.js';
import type { IoBus } from '../../io.js';
import { PciConfigSpace, type PciBus, type PciFunction } from './pci.js';

const STATE_VERSION = 1;
/** PIRQRC[A:D]: bit 7 = routing disabled, bits 3:0 = ISA IRQ. Power-on 80h (disabled). */
const PIRQRC = 0x60;
/** ISA IRQs a PIRQ may be routed to (datasheet: 3–7, 9–12, 14, 15); the others are reserved. */
const ROUTABLE_IRQS = 0xdef8;
/** ELCR bits that must stay 0: IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge-triggered. */
const ELCR_WRITABLE = 0xdef8;
const ELCR_PORTS = [0x4d0, 0x4d1];
const RESET_CONTROL = 0xcf9;

/** Device-specific registers' power-on values (82371SB datasheet, PCI configuration registers). */
const RESET_VALUES: [offset: number, value: number][] = [
  [0x4c, 0x4d], // IORT: ISA I/O recovery timer
  [0x4e, 0x03], // XBCS: X-bus chip select (BIOS and keyboard controller enabled)
  [0x60, 0x80], [0x61, 0x80], [0x62, 0x80], [0x63, 0x80], // PIRQRC A–D: disabled
  [0x69, 0x02], // TOM: top of memory
  [0x70, 0x80], [0x71, 0x80], // MBIRQ0/1: motherboard IRQ routing disabled
  [0x76, 0x0c], [0x77, 0x0c], // MBDMA0/1
  [0x78, 0x02], // PCSC
  [0xa0, 0x08], // SMICNTL
];

export interface Piix3Options {
  io: IoBus;
  bus: PciBus;
  /** The 8259 pair's inputs and its ELCR (core/devices/pic8259.ts). */
  pic: { line(irq: number): IrqLine; setElcr(mask: number): void; getElcr(): number };
  /** A write to CF9h asked for a reset (RST_CPU rising with SRST/any). */
  resetSystem?: () => void;
}

export class Piix3 implements PciFunction, Device {
  readonly name = 'piix3';
  readonly config = new PciConfigSpace({
    vendorId: 0x8086,
    deviceId: 0x7000,
    classCode: 0x060100, // bridge, PCI-to-ISA
    headerType: 0x80,
  });
  /** ISA IRQs this bridge currently drives high (wired-OR of the PIRQs routed to them). */
  private driven = 0;
  private resetControl = 0;
  private readonly lines: IrqLine[] = [];

  constructor(private readonly options: Piix3Options) {
    for (const [offset, value] of RESET_VALUES) this.config.setResetValue(offset, value);
    for (let irq = 0; irq < 16; irq++) this.lines.push(ROUTABLE_IRQS & (1 << irq) ? options.pic.line(irq) : () => {});
    this.config.onWrite = (offset, value, size) => {
      for (let i = 0; i < size; i++) this.writeRegister(offset + i, (value >>> (8 * i)) & 0xff);
      this.route();
      return true;
    };
    options.bus.onPirq = () => this.route();
    options.io.register(this.name, ELCR_PORTS, {
      read8: (port) => (options.pic.getElcr() >>> (port === 0x4d0 ? 0 : 8)) & 0xff,
      write8: (port, value) => {
        const elcr = options.pic.getElcr();
        const next = port === 0x4d0 ? (elcr & 0xff00) | value : (elcr & 0xff) | (value << 8);
        options.pic.setElcr(next & ELCR_WRITABLE);
      },
    });
    options.io.register(this.name, RESET_CONTROL, {
      read8: () => this.resetControl,
      write8: (_port, value) => {
        // RST_CPU (bit 2) going 0 → 1 starts the reset; SRST (bit 1) picks hard vs soft, the same to us.
        const start = value & 0x04 && !(this.resetControl & 0x04);
        this.resetControl = value & 0x02;
        if (start) options.resetSystem?.();
      },
    });
    this.reset();
  }

  private writeRegister(offset: number, byte: number): void {
    if (offset > 0xff) return;
    if (offset >= PIRQRC && offset < PIRQRC + 4) byte &= 0x8f;
    this.config.bytes[offset] = byte;
  }

  /** The ISA IRQ PIRQ `pirq` (0–3) is routed to, or -1 when routing is disabled or reserved. */
  pirqRoute(pirq: number): number {
    const r = this.config.bytes[PIRQRC + pirq];
    const irq = r & 0x0f;
    return r & 0x80 || !(ROUTABLE_IRQS & (1 << irq)) ? -1 : irq;
  }

  /** Recomputes which ISA IRQs the PIRQs drive and moves only the lines that changed. */
  private route(): void {
    let want = 0;
    for (let pirq = 0; pirq < 4; pirq++) {
      const irq = this.pirqRoute(pirq);
      if (irq >= 0 && this.options.bus.pirqLevel(pirq)) want |= 1 << irq;
    }
    const changed = want ^ this.driven;
    this.driven = want;
    for (let irq = 0; changed >>> irq; irq++) if (changed & (1 << irq)) this.lines[irq](!!(want & (1 << irq)));
  }

  reset(): void {
    // The configuration space is reset by the bus; the ELCR by the PIC's reset.
    const wasDriven = this.driven;
    this.driven = 0;
    this.resetControl = 0;
    for (let irq = 0; irq < 16; irq++) if (wasDriven & (1 << irq)) this.lines[irq](false);
  }

  saveState(): DeviceState {
    return { version: STATE_VERSION, driven: this.driven, resetControl: this.resetControl };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    if (typeof state.driven !== 'number' || typeof state.resetControl !== 'number') throw new Error('piix3: state is malformed');
    // The PIC's saved state already holds the line levels; only our record of them is restored.
    this.driven = state.driven;
    this.resetControl = state.resetControl;
  }
}
