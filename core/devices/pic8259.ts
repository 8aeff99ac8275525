import { checkStateVersion, type Device, type DeviceState, type IrqLine } from '../device.js';
import type { IoBus } from '../io.js';
import { loadFields, saveFields } from './fields.js';

const STATE_VERSION = 1;
/** The slave's INT output drives this input of the master (PC/AT wiring). */
const CASCADE_INPUT = 2;

/** The fields of one chip's state, saved by name. */
const CHIP_FIELDS = [
  'irr', 'isr', 'imr', 'lines', 'levelMode', 'elcr', 'vectorBase', 'cascade', 'autoEoi', 'rotateOnAutoEoi',
  'specialFullyNested', 'specialMask', 'lowestPriority', 'readIsr', 'pollPending', 'initStep', 'needIcw4', 'single', 'intr',
] as const;

/**
 * One 8259A programmable interrupt controller. It knows nothing about its partner: the pair wires the
 * slave's INT output to the master's IR2 input and routes INTA cycles.
 *
 * Triggering follows the datasheet: in edge mode a rising input sets the IRR bit, which stays set until
 * the INTA cycle *as long as the input stays high* — an input dropped before INTA withdraws the request
 * (and an INTA that then finds nothing yields the spurious vector IR7). Devices must therefore hold their
 * line high until the guest services them, as ISA devices do. In level mode IRR follows the input.
 */
class Pic8259 {
  irr = 0;
  isr = 0;
  imr = 0;
  /** Current input levels, bit per IR pin. */
  lines = 0;
  /** ICW1 LTIM: every input level-triggered. */
  levelMode = false;
  /** Per-input level triggering from the ELCR (PCI-era chipsets). */
  elcr = 0;
  vectorBase = 0;
  /** ICW3: on the master, inputs with a slave; on a slave, its id. */
  cascade = 0;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  specialMask = false;
  /** The input with the lowest priority; priority rotates from (lowestPriority + 1) & 7. */
  lowestPriority = 7;
  /** OCW3 RR/RIS: the even port reads ISR instead of IRR. */
  readIsr = false;
  /** OCW3 P: the next even-port read is a poll (an acknowledge). */
  pollPending = false;
  /** 0 = operational; 2, 3, 4 = waiting for ICW2, ICW3, ICW4. */
  initStep = 0;
  needIcw4 = false;
  single = false;
  /** The INT output. */
  intr = false;

  constructor(
    private readonly isMaster: boolean,
    private readonly output: (level: boolean) => void,
  ) {}

  reset(): void {
    this.irr = this.isr = this.imr = this.lines = 0;
    this.levelMode = this.autoEoi = this.rotateOnAutoEoi = this.specialFullyNested = this.specialMask = false;
    this.readIsr = this.pollPending = this.needIcw4 = this.single = false;
    this.elcr = 0;
    // The PC/AT power-on wiring; the BIOS reprograms it anyway.
    this.vectorBase = this.isMaster ? 0x08 : 0x70;
    this.cascade = this.isMaster ? 1 << CASCADE_INPUT : CASCADE_INPUT;
    this.lowestPriority = 7;
    this.initStep = 0;
    this.intr = false;
  }

  private levelMask(): number {
    return this.levelMode ? 0xff : this.elcr;
  }

  setLine(irq: number, level: boolean): void {
    const bit = 1 << irq;
    if (level) {
      if (this.lines & bit) return;
      this.lines |= bit;
      this.irr |= bit;
    } else {
      if (!(this.lines & bit)) return;
      this.lines &= ~bit;
      this.irr &= ~bit;
    }
    this.update();
  }

  setElcr(mask: number): void {
    this.elcr = mask & 0xff;
    const level = this.levelMask();
    this.irr = (this.irr & ~level) | (this.lines & level);
    this.update();
  }

  /** The input that would be acknowledged now, or -1. */
  highestRequest(): number {
    let pending = this.irr & ~this.imr;
    if (this.specialMask) pending &= ~this.isr;
    if (!pending) return -1;
    for (let i = 0; i < 8; i++) {
      const irq = (this.lowestPriority + 1 + i) & 7;
      const bit = 1 << irq;
      if (this.isr & bit && !this.specialMask) {
        // Fully nested: an in-service level blocks itself and everything below, except that in special
        // fully nested mode a slave may interrupt again through its own in-service cascade input.
        const nested = this.specialFullyNested && this.isMaster && this.cascade & bit && pending & bit;
        return nested ? irq : -1;
      }
      if (pending & bit) return irq;
    }
    return -1;
  }

  update(): void {
    const intr = this.highestRequest() >= 0;
    if (intr !== this.intr) {
      this.intr = intr;
      this.output(intr);
    }
  }

  /** An INTA cycle on this chip: the input served, or -1 for a spurious interrupt. */
  acknowledge(): number {
    const irq = this.highestRequest();
    if (irq < 0) return -1;
    const bit = 1 << irq;
    if (!(this.levelMask() & bit)) this.irr &= ~bit;
    if (!this.autoEoi) this.isr |= bit;
    else if (this.rotateOnAutoEoi) this.lowestPriority = irq;
    this.update();
    return irq;
  }

  private highestInService(): number {
    for (let i = 0; i < 8; i++) {
      const irq = (this.lowestPriority + 1 + i) & 7;
      if (this.isr & (1 << irq)) return irq;
    }
    return -1;
  }

  writeCommand(value: number): void {
    if (value & 0x10) {
      // ICW1 starts initialisation: per the datasheet the edge-sense latches are cleared (a high input needs
      // a new rising edge), IMR cleared, IR7 lowest priority, special mask off, IRR selected for reads.
      this.initStep = 2;
      this.needIcw4 = (value & 0x01) !== 0;
      this.single = (value & 0x02) !== 0;
      this.levelMode = (value & 0x08) !== 0;
      this.imr = this.isr = 0;
      this.irr = this.lines & this.levelMask();
      this.lowestPriority = 7;
      this.specialMask = this.readIsr = this.pollPending = false;
      if (!this.needIcw4) this.autoEoi = this.rotateOnAutoEoi = this.specialFullyNested = false;
    } else if (value & 0x08) {
      // OCW3
      if (value & 0x04) this.pollPending = true;
      if (value & 0x02) this.readIsr = (value & 0x01) !== 0;
      if (value & 0x40) this.specialMask = (value & 0x20) !== 0;
    } else {
      // OCW2: R, SL, EOI in bits 7..5, level in bits 2..0.
      const level = value & 7;
      switch (value >> 5) {
        case 0: this.rotateOnAutoEoi = false; break;
        case 4: this.rotateOnAutoEoi = true; break;
        case 1: case 5: {
          const irq = this.highestInService();
          if (irq >= 0) {
            this.isr &= ~(1 << irq);
            if (value & 0x80) this.lowestPriority = irq;
          }
          break;
        }
        case 3: this.isr &= ~(1 << level); break;
        case 7: this.isr &= ~(1 << level); this.lowestPriority = level; break;
        case 6: this.lowestPriority = level; break;
        default: break; // 2: no operation
      }
    }
    this.update();
  }

  writeData(value: number): void {
    switch (this.initStep) {
      case 2:
        this.vectorBase = value & 0xf8;
        this.initStep = this.single ? (this.needIcw4 ? 4 : 0) : 3;
        break;
      case 3:
        this.cascade = value;
        this.initStep = this.needIcw4 ? 4 : 0;
        break;
      case 4:
        // Bit 0 (8086 mode) is assumed: a PC never runs an 8259 in 8080 mode. Bits 2-3 (buffered) are wiring.
        this.autoEoi = (value & 0x02) !== 0;
        this.specialFullyNested = (value & 0x10) !== 0;
        this.initStep = 0;
        break;
      default:
        this.imr = value;
        this.update();
    }
  }

  readCommand(): number {
    if (this.pollPending) {
      // A poll is an acknowledge read through the data bus: bit 7 = request, bits 2..0 = level.
      this.pollPending = false;
      const irq = this.acknowledge();
      return irq < 0 ? 0 : 0x80 | irq;
    }
    return this.readIsr ? this.isr : this.irr;
  }

  save(): Record<string, unknown> {
    return saveFields(this, CHIP_FIELDS);
  }

  load(state: unknown): void {
    loadFields('pic', this, state, CHIP_FIELDS);
  }
}

export interface Pic8259PairOptions {
  io: IoBus;
  /** The CPU's INTR input (can also be set later through the property). */
  onIntr?: (level: boolean) => void;
}

/**
 * The PC/AT interrupt controllers: master at 20h-21h (IRQ 0-7), slave at A0h-A1h (IRQ 8-15) cascaded on
 * the master's IR2. ELCR (ports 4D0h/4D1h) belongs to the chipset; it reaches the PICs through setElcr().
 */
export class Pic8259Pair implements Device {
  readonly name = 'pic';
  /** The CPU's INTR input; called when the master's INT output changes. */
  onIntr?: (level: boolean) => void;
  private readonly master: Pic8259;
  private readonly slave: Pic8259;
  private readonly irqLines: IrqLine[] = [];

  constructor(options: Pic8259PairOptions) {
    this.onIntr = options.onIntr;
    this.master = new Pic8259(true, (level) => this.onIntr?.(level));
    this.slave = new Pic8259(false, (level) => this.master.setLine(CASCADE_INPUT, level));
    for (let irq = 0; irq < 16; irq++) {
      const chip = irq < 8 ? this.master : this.slave;
      const input = irq & 7;
      this.irqLines.push((level) => chip.setLine(input, level));
    }
    // On the AT bus, the ISA IRQ2 pin is wired to the slave's IR1 (IRQ 9): the master's IR2 is the cascade.
    this.irqLines[2] = this.irqLines[9];
    options.io.register(this.name, [0x20, 0xa0], {
      read8: (port) => this.chip(port).readCommand(),
      write8: (port, value) => this.chip(port).writeCommand(value),
    });
    options.io.register(this.name, [0x21, 0xa1], {
      read8: (port) => this.chip(port).imr,
      write8: (port, value) => this.chip(port).writeData(value),
    });
    this.reset();
  }

  private chip(port: number): Pic8259 {
    return port & 0x80 ? this.slave : this.master;
  }

  reset(): void {
    this.master.reset();
    this.slave.reset();
    this.onIntr?.(false);
  }

  /** The input for IRQ `irq` (0-15). IRQ 2 is routed to IRQ 9, as on the AT bus. */
  line(irq: number): IrqLine {
    const line = this.irqLines[irq];
    if (!line || !Number.isInteger(irq)) throw new Error(`pic: no IRQ ${irq}`);
    return line;
  }

  /** The level of the master's INT output (what the CPU's INTR pin sees). */
  get intr(): boolean {
    return this.master.intr;
  }

  /**
   * An INTA cycle: the vector of the highest-priority request, marking it in service (unless auto-EOI).
   * With nothing to serve the chips answer their IR7 vector (spurious IRQ 7 / 15) without setting ISR.
   */
  acknowledge(): number {
    const irq = this.master.acknowledge();
    if (irq < 0) return this.master.vectorBase | 7;
    if (irq === CASCADE_INPUT && !this.master.single && this.master.cascade & (1 << CASCADE_INPUT)) {
      const slaveIrq = this.slave.acknowledge();
      return this.slave.vectorBase | (slaveIrq < 0 ? 7 : slaveIrq);
    }
    return this.master.vectorBase | irq;
  }

  /** The edge/level control registers (bit n = IRQ n level-triggered), as the chipset's ports 4D0h/4D1h set them. */
  setElcr(mask: number): void {
    this.master.setElcr(mask & 0xff);
    this.slave.setElcr((mask >>> 8) & 0xff);
  }

  getElcr(): number {
    return this.master.elcr | (this.slave.elcr << 8);
  }

  /** Registers for debuggers and tests: IRR, ISR, IMR of both chips as 16-bit masks (slave in the high byte). */
  registers(): { irr: number; isr: number; imr: number } {
    const m = this.master;
    const s = this.slave;
    return { irr: m.irr | (s.irr << 8), isr: m.isr | (s.isr << 8), imr: m.imr | (s.imr << 8) };
  }

  saveState(): DeviceState {
    return { version: STATE_VERSION, master: this.master.save(), slave: this.slave.save() };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    this.master.load(state.master);
    this.slave.load(state.slave);
    this.onIntr?.(this.master.intr);
  }
}
