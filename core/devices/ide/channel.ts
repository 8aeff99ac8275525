/**
 * One IDE channel (ATA/ATAPI-6 §5, §7): the command block (data, error/features, sector count, LBA
 * low/mid/high, device, status/command) at `commandBase`..+7 and the control block (alternate status /
 * device control) at `controlPort`, with up to two devices and one INTRQ line.
 *
 * Both devices latch every task-file write; reads come from the selected device. With only device 0
 * present, device 1's registers read 0 (device 0 answers for it, as the spec has it); a channel with no
 * device at all floats (FFh), which is how drivers tell an empty channel.
 */
import type { BlockDevice } from '../../block.js';
import type { IrqLine } from '../../device.js';
import type { IoBus } from '../../io.js';
import { AtaDrive } from './ata.js';
import { AtapiDrive } from './atapi.js';
import { Status, Xfer, type DriveHost, type IdeDrive } from './drive.js';

export type IdeDriveSpec = { type: 'disk'; disk: BlockDevice } | { type: 'cdrom'; disk: BlockDevice | undefined };

export interface IdeChannelOptions {
  io: IoBus;
  /** Device name (state key, port owner), e.g. 'ide0'. */
  name: string;
  commandBase: number;
  controlPort: number;
  irq: IrqLine;
  master?: IdeDriveSpec;
  slave?: IdeDriveSpec;
}

/** Device control register bits. */
const enum Control { NIEN = 0x02, SRST = 0x04, HOB = 0x80 }

export class IdeChannel implements DriveHost {
  readonly name: string;
  readonly drives: [IdeDrive | undefined, IdeDrive | undefined];
  /** Device control register. */
  control = 0;
  /** The device selected by bit 4 of the device register. */
  selected = 0;
  /** The level driven on the IRQ line. */
  private irqLevel = false;
  private readonly irq: IrqLine;
  /** The bus master of this channel: told when a drive has a DMA window ready, and when INTRQ rises. */
  busMaster?: { dmaRequest(): void; interrupt(): void };

  constructor(options: IdeChannelOptions) {
    this.name = options.name;
    this.irq = options.irq;
    const make = (spec: IdeDriveSpec | undefined, unit: number): IdeDrive | undefined => {
      if (!spec) return undefined;
      const serial = `CO86-${options.name.toUpperCase()}-${unit}`;
      return spec.type === 'disk' ? new AtaDrive(spec.disk, this, serial) : new AtapiDrive(spec.disk, this, serial);
    };
    this.drives = [make(options.master, 0), make(options.slave, 1)];
    const base = options.commandBase;
    options.io.registerRange(this.name, base, 8, {
      read8: (port) => this.readRegister(port - base),
      write8: (port, value) => this.writeRegister(port - base, value),
      read16: (port) => (port === base ? this.readData16() : this.readRegister(port - base) | (this.readRegister(port - base + 1) << 8)),
      write16: (port, value) => {
        if (port === base) return this.writeData16(value);
        this.writeRegister(port - base, value & 0xff);
        this.writeRegister(port - base + 1, value >>> 8);
      },
      // 32-bit PIO (the PIIX supports it on the data port): two words.
      read32: (port) => (port === base ? (this.readData16() | (this.readData16() << 16)) >>> 0 : 0xffffffff),
      write32: (port, value) => {
        if (port !== base) return;
        this.writeData16(value & 0xffff);
        this.writeData16(value >>> 16);
      },
    });
    options.io.register(this.name, options.controlPort, {
      read8: () => this.readAltStatus(),
      write8: (_port, value) => this.writeControl(value),
    });
  }

  reset(): void {
    this.control = 0;
    this.selected = 0;
    for (const d of this.drives) d?.reset();
    this.updateIrq();
  }

  private get present(): boolean {
    return this.drives[0] !== undefined || this.drives[1] !== undefined;
  }

  /** The selected device, or undefined when it is absent. */
  get current(): IdeDrive | undefined {
    return this.drives[this.selected];
  }

  // ---- DriveHost ----

  updateIrq(): void {
    const d = this.current;
    const level = !!d && d.intrq && !(this.control & Control.NIEN);
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.irq(level);
    if (level) this.busMaster?.interrupt();
  }

  dmaRequest(): void {
    this.busMaster?.dmaRequest();
  }

  /** The drive whose DMA window waits for the bus master (only the selected one may transfer). */
  dmaDrive(): IdeDrive | undefined {
    const d = this.current;
    return d?.dmaActive ? d : undefined;
  }

  // ---- Registers ----

  private readData16(): number {
    return this.current?.readData16() ?? 0xffff;
  }

  private writeData16(value: number): void {
    this.current?.writeData16(value);
  }

  private readRegister(reg: number): number {
    if (!this.present) return 0xff;
    const d = this.current;
    if (!d) return 0; // device 0 answers for an absent device 1
    if (reg === 0) return d.readData16() & 0xff;
    if (reg === 7) {
      const status = d.status;
      if (d.intrq) {
        d.intrq = false;
        this.updateIrq();
      }
      return status;
    }
    const hob = (this.control & Control.HOB) !== 0;
    switch (reg) {
      case 1: return hob ? d.hobFeature : d.error; // with HOB set, the previous feature write (ATA-6 is vague; drives do this)
      case 2: return hob ? d.hobCount : d.count;
      case 3: return hob ? d.hobLbaLow : d.lbaLow;
      case 4: return hob ? d.hobLbaMid : d.lbaMid;
      case 5: return hob ? d.hobLbaHigh : d.lbaHigh;
      default: return d.device;
    }
  }

  private writeRegister(reg: number, value: number): void {
    if (reg === 0) return this.writeData16(value);
    if (reg === 7) return this.writeCommand(value);
    // A task-file write clears HOB (ATA-6 §7.9).
    this.control &= ~Control.HOB;
    for (const d of this.drives) {
      if (!d) continue;
      switch (reg) {
        case 1: d.hobFeature = d.feature; d.feature = value; break;
        case 2: d.hobCount = d.count; d.count = value; break;
        case 3: d.hobLbaLow = d.lbaLow; d.lbaLow = value; break;
        case 4: d.hobLbaMid = d.lbaMid; d.lbaMid = value; break;
        case 5: d.hobLbaHigh = d.lbaHigh; d.lbaHigh = value; break;
        default: d.device = value; break;
      }
    }
    if (reg === 6) {
      this.selected = (value >>> 4) & 1;
      this.updateIrq();
    }
  }

  private writeCommand(cmd: number): void {
    if (cmd === 0x90) return this.executeDiagnostic();
    const d = this.current;
    if (!d) return;
    // A busy device ignores commands, except DEVICE RESET for a packet device.
    if (d.status & (Status.BSY | Status.DRQ) && !(cmd === 0x08 && d.kind === 'atapi')) return;
    d.intrq = false;
    this.updateIrq();
    d.command(cmd);
  }

  /** EXECUTE DEVICE DIAGNOSTIC: both devices reset their signatures; device 0 reports (error 01h = all passed). */
  private executeDiagnostic(): void {
    for (const d of this.drives) {
      if (!d) continue;
      d.reset();
    }
    this.selected = 0;
    const d0 = this.drives[0];
    if (d0) d0.raiseIrq();
  }

  private readAltStatus(): number {
    if (!this.present) return 0xff;
    return this.current?.status ?? 0;
  }

  private writeControl(value: number): void {
    const was = this.control;
    this.control = value & (Control.NIEN | Control.SRST | Control.HOB);
    if (value & Control.SRST && !(was & Control.SRST)) {
      // SRST asserted: both devices go busy until it is released.
      for (const d of this.drives) if (d) d.status = Status.BSY;
    } else if (!(value & Control.SRST) && was & Control.SRST) {
      for (const d of this.drives) d?.reset();
      this.selected = 0;
    }
    this.updateIrq();
  }

  /** True while the selected device transfers data (for tests and debugging). */
  get busy(): boolean {
    const d = this.current;
    return !!d && d.xfer !== Xfer.None;
  }

  saveState(): Record<string, unknown> {
    return {
      control: this.control,
      selected: this.selected,
      irqLevel: this.irqLevel,
      drives: this.drives.map((d) => d?.saveState() ?? null),
    };
  }

  loadState(state: Record<string, unknown>): void {
    if (typeof state.control !== 'number' || typeof state.selected !== 'number' || !Array.isArray(state.drives)) {
      throw new Error(`${this.name}: state is malformed`);
    }
    this.control = state.control;
    this.selected = state.selected & 1;
    this.irqLevel = state.irqLevel === true;
    this.drives.forEach((d, i) => {
      const saved = (state.drives as unknown[])[i];
      if (d && !saved) throw new Error(`${this.name}: state has no drive ${i}`);
      d?.loadState(saved, `${this.name}.${i}`);
    });
  }
}
