import type { BlockDevice } from '../block.js';
import { checkStateVersion, type Device, type DeviceState, type IrqLine } from '../device.js';
import type { IoBus } from '../io.js';
import type { Dma8237 } from './dma8237.js';
import { loadFields, saveFields } from './fields.js';
import { DataRate, floppyGeometry, SECTOR_SIZE, type FloppyGeometry } from './floppy.js';

const STATE_VERSION = 1;
const DMA_CHANNEL = 2;
const DRIVES = 4;

// Digital output register (3F2h).
const DOR_RESET_OFF = 0x04; // 0 holds the controller in reset
const DOR_DMA_GATE = 0x08; // AT mode: INT and DRQ reach the bus only when set
/** As a BIOS leaves it after POST: out of reset, DMA and IRQ enabled, motors off, drive A selected. */
const DOR_AFTER_POST = DOR_RESET_OFF | DOR_DMA_GATE;

// Main status register (3F4h read).
const MSR_RQM = 0x80;
const MSR_DIO = 0x40; // data register: controller → CPU
const MSR_NDMA = 0x20; // execution phase in non-DMA mode
const MSR_CB = 0x10; // command in progress

// ST0 interrupt codes (bits 7-6) and bits.
const IC_ABNORMAL = 0x40;
const IC_INVALID = 0x80;
const IC_POLL = 0xc0;
const ST0_SEEK_END = 0x20;
const ST0_EQUIPMENT_CHECK = 0x10;
// ST1.
const ST1_END_OF_CYLINDER = 0x80;
const ST1_DATA_ERROR = 0x20;
const ST1_NO_DATA = 0x04;
const ST1_NOT_WRITABLE = 0x02;
const ST1_MISSING_ADDRESS_MARK = 0x01;
// ST2.
const ST2_DATA_ERROR_IN_DATA = 0x20;
const ST2_WRONG_CYLINDER = 0x10;
const ST2_BAD_CYLINDER = 0x02;
// ST3: bits 5 and 3 are unused on the 82077AA and read as 1.
const ST3_WRITE_PROTECTED = 0x40;
const ST3_TRACK0 = 0x10;
const ST3_ONES = 0x28;

/** CONFIGURE byte after reset: implied seek off, FIFO disabled, drive polling on, threshold 1. */
const DEFAULT_CONFIG = 0x20;
const CONFIG_IMPLIED_SEEK = 0x40;
const VERSION_82077 = 0x90;

const enum Phase {
  Command = 0,
  Execution = 1,
  Result = 2,
}

/** What the execution phase is doing. */
const enum Exec {
  None = 0,
  Read = 1,
  Write = 2,
  Format = 3,
}

/** Where an execution-phase transfer stands. */
const enum Stage {
  /** Waiting for the disk (a read or write in flight). */
  Disk = 0,
  /** Moving `bufferLength` bytes with the host (DMA or the FIFO). */
  Host = 1,
}

/** Command opcodes (bits 4-0) and the bits 7-5 each accepts (MT, MFM, SK; RS/DIR for seek; LOCK). */
const enum Op {
  ReadData = 0x06,
  WriteData = 0x05,
  Specify = 0x03,
  SenseDriveStatus = 0x04,
  Recalibrate = 0x07,
  SenseInterrupt = 0x08,
  ReadId = 0x0a,
  FormatTrack = 0x0d,
  DumpReg = 0x0e,
  Seek = 0x0f,
  Version = 0x10,
  Perpendicular = 0x12,
  Configure = 0x13,
  Lock = 0x14,
}

/** Command bytes (including the opcode) per first byte; 0 = invalid command. */
const COMMAND_LENGTH = (() => {
  const table = new Uint8Array(256);
  const define = (op: Op, length: number, flags: number) => {
    for (let high = 0; high < 8; high++) if (((high << 5) & ~flags) === 0) table[(high << 5) | op] = length;
  };
  define(Op.ReadData, 9, 0xe0);
  define(Op.WriteData, 9, 0xc0);
  define(Op.Specify, 3, 0);
  define(Op.SenseDriveStatus, 2, 0);
  define(Op.Recalibrate, 2, 0);
  define(Op.SenseInterrupt, 1, 0);
  define(Op.ReadId, 2, 0x40);
  define(Op.FormatTrack, 6, 0x40);
  define(Op.DumpReg, 1, 0);
  define(Op.Seek, 3, 0xc0);
  define(Op.Version, 1, 0);
  define(Op.Perpendicular, 2, 0);
  define(Op.Configure, 4, 0);
  define(Op.Lock, 1, 0x80);
  return table;
})();

const FIELDS = [
  'dor', 'tdr', 'rate', 'phase', 'command', 'commandLength', 'commandPos', 'result', 'resultLength', 'resultPos',
  'specify1', 'specify2', 'config', 'pretrk', 'locked', 'perpendicular', 'interrupt', 'pollsPending', 'seekStatus',
  'pcn', 'track', 'changed', 'driveBusy', 'exec', 'stage', 'execDrive', 'execHead', 'idC', 'idH', 'idR', 'idN', 'eot',
  'multiTrack', 'impliedSeek', 'formatSectors', 'formatFill', 'formatDone', 'buffer', 'bufferPos', 'bufferLength', 'terminal',
] as const;

export interface Fdc82077Options {
  io: IoBus;
  dma: Dma8237;
  /** IRQ 6. */
  irq: IrqLine;
  /** Disks in drives A: and B: (undefined: drive present but empty); drives with no entry are not installed. */
  disks: readonly (BlockDevice | undefined)[];
  /** How many drives are installed (default: the length of `disks`, at most 2). */
  drives?: number;
}

/**
 * The Intel 82077AA floppy disk controller in PC-AT mode: DOR 3F2h, TDR 3F3h, MSR/DSR 3F4h, FIFO 3F5h,
 * DIR/CCR 3F7h (3F6h belongs to the IDE controller), IRQ 6, DMA channel 2.
 *
 * Commands finish at once (no seek or rotation delays) except where the disk answers later: a
 * BlockDevice read or write that returns a Promise holds the execution phase (MSR shows no request)
 * until it settles. Media are 512-byte MFM sectors with the IDs a PC format writes (C, H, R = 1..SPT, N = 2),
 * readable only at the data rates that media uses. Reads past the last sector find no ID (ST1 ND), writes
 * to a read-only image report ST1 NW, disk errors report a CRC error in the data field (ST1 DE, ST2 DD).
 * Not implemented: READ TRACK, VERIFY, SCAN, READ/WRITE DELETED DATA (they are invalid commands here).
 */
export class Fdc82077 implements Device {
  readonly name = 'fdc';
  private readonly dma: Dma8237;
  private readonly irqLine: IrqLine;
  private readonly disks: (BlockDevice | undefined)[] = new Array(DRIVES).fill(undefined);
  private readonly geometry: (FloppyGeometry | undefined)[] = new Array(DRIVES).fill(undefined);
  /** Highest cylinder each drive's head can reach (a few past its media's last). */
  private readonly maxTrack = new Uint8Array(DRIVES);
  private readonly installed: number;

  private dor = DOR_AFTER_POST;
  private tdr = 0;
  private rate = 0;
  private phase = Phase.Command;
  private readonly command = new Uint8Array(16);
  private commandLength = 0;
  private commandPos = 0;
  private readonly result = new Uint8Array(16);
  private resultLength = 0;
  private resultPos = 0;
  private specify1 = 0;
  private specify2 = 0;
  private config = DEFAULT_CONFIG;
  private pretrk = 0;
  private locked = false;
  /** PERPENDICULAR MODE bits 5-0 (D3-D0, GAP, WGATE). */
  private perpendicular = 0;
  /** The INT output (before the DOR's DMA gate). */
  private interrupt = false;
  private lineLevel = false;
  /** Drive-polling statuses still to report after a reset (SENSE INTERRUPT gives drives 0-3 in turn). */
  private pollsPending = 0;
  /** Per drive: ST0 of a finished seek/recalibrate not yet sensed, or -1. */
  private readonly seekStatus = new Int16Array(DRIVES).fill(-1);
  /** Per drive: the controller's present cylinder number, and where the head really is. */
  private readonly pcn = new Uint8Array(DRIVES);
  private readonly track = new Uint8Array(DRIVES);
  /** Per drive: the disk-change line (DIR bit 7). */
  private readonly changed = new Uint8Array(DRIVES);
  /** MSR bits 0-3: seeks whose interrupt has not been sensed. */
  private driveBusy = 0;

  private exec = Exec.None;
  private stage = Stage.Host;
  private execDrive = 0;
  private execHead = 0;
  /** The sector ID being sought or transferred. */
  private idC = 0;
  private idH = 0;
  private idR = 0;
  private idN = 0;
  private eot = 0;
  private multiTrack = false;
  /** This command began with an implied seek (CONFIGURE EIS): ST0 reports seek end. */
  private impliedSeek = false;
  private formatSectors = 0;
  private formatFill = 0;
  private formatDone = 0;
  private readonly buffer = new Uint8Array(SECTOR_SIZE);
  private bufferPos = 0;
  private bufferLength = 0;
  /** The DMA's terminal count arrived during this command. */
  private terminal = false;
  /** Bumped by every reset, so a disk answer for an abandoned command is ignored. */
  private generation = 0;

  constructor(options: Fdc82077Options) {
    this.dma = options.dma;
    this.irqLine = options.irq;
    this.installed = Math.min(DRIVES, options.drives ?? Math.min(2, options.disks.length));
    for (let drive = 0; drive < this.installed; drive++) this.insertDisk(drive, options.disks[drive]);
    options.dma.attach(DMA_CHANNEL, () => this.pump());
    options.io.register(this.name, [0x3f2, 0x3f3, 0x3f4, 0x3f5, 0x3f7], {
      read8: (port) => this.read(port),
      write8: (port, value) => this.write(port, value),
    });
    this.reset();
  }

  /** Puts a disk into a drive (or empties it with undefined): the drive's disk-change line goes active. */
  insertDisk(drive: number, disk: BlockDevice | undefined): void {
    if (drive < 0 || drive >= this.installed) throw new Error(`fdc: no drive ${drive}`);
    this.disks[drive] = disk;
    const geometry = disk ? floppyGeometry(disk.size) : undefined;
    this.geometry[drive] = geometry;
    if (geometry || this.maxTrack[drive] === 0) this.maxTrack[drive] = (geometry?.cylinders ?? 80) + 3;
    this.changed[drive] = 1;
  }

  /**
   * Power-on, as a BIOS leaves the controller after POST: idle, out of reset, 500 kbps (the 1.44M rate),
   * heads on cylinder 0, disks "changed". A software reset (below) keeps the data rate.
   */
  reset(): void {
    this.dor = DOR_AFTER_POST;
    this.rate = DataRate.Kbps500;
    this.tdr = 0;
    this.specify1 = this.specify2 = 0;
    this.locked = false;
    this.perpendicular = 0;
    this.pcn.fill(0);
    this.track.fill(0);
    this.changed.fill(1);
    this.softReset();
    this.pollsPending = 0;
    this.setInterrupt(false);
  }

  /** The controller's reset (DOR bit 2 low, or DSR bit 7): back to the command phase, with a polling interrupt. */
  private softReset(): void {
    this.generation++;
    this.phase = Phase.Command;
    this.commandPos = this.commandLength = 0;
    this.resultPos = this.resultLength = 0;
    this.exec = Exec.None;
    this.stage = Stage.Host;
    this.seekStatus.fill(-1);
    this.driveBusy = 0;
    this.pcn.fill(0);
    this.perpendicular &= 0x3c;
    if (!this.locked) {
      this.config = DEFAULT_CONFIG;
      this.pretrk = 0;
    }
    this.dma.setDreq(DMA_CHANNEL, false);
    // With drive polling enabled the controller reports a "ready changed" status per drive, then interrupts.
    this.pollsPending = this.config & 0x10 ? 0 : DRIVES;
    this.setInterrupt(this.pollsPending > 0);
  }

  private inReset(): boolean {
    return (this.dor & DOR_RESET_OFF) === 0;
  }

  private setInterrupt(level: boolean): void {
    this.interrupt = level;
    this.updateLine();
  }

  private updateLine(): void {
    const level = this.interrupt && (this.dor & DOR_DMA_GATE) !== 0;
    if (level !== this.lineLevel) {
      this.lineLevel = level;
      this.irqLine(level);
    }
  }

  private nonDma(): boolean {
    return (this.specify2 & 1) !== 0;
  }

  // ------------------------------------------------------------------ registers

  private read(port: number): number {
    switch (port) {
      case 0x3f2:
        return this.dor;
      case 0x3f3:
        return this.tdr;
      case 0x3f4:
        return this.readStatus();
      case 0x3f5:
        return this.readFifo();
      default: // 3F7h DIR: bit 7 disk change of the selected drive; the rest is not driven in AT mode
        return this.changed[this.dor & 3] ? 0x80 : 0x00;
    }
  }

  private write(port: number, value: number): void {
    switch (port) {
      case 0x3f2: {
        const wasReset = this.inReset();
        this.dor = value;
        if (!wasReset && this.inReset()) this.holdReset();
        else if (wasReset && !this.inReset()) this.softReset();
        this.updateLine();
        if (this.phase === Phase.Execution && this.stage === Stage.Host && !this.nonDma()) this.pump();
        return;
      }
      case 0x3f3:
        this.tdr = value & 3;
        return;
      case 0x3f4: // DSR: bit 7 software reset (self-clearing), bits 0-1 data rate
        this.rate = value & 3;
        if (value & 0x80) {
          this.holdReset();
          this.softReset();
        }
        return;
      case 0x3f5:
        return this.writeFifo(value);
      default: // 3F7h CCR
        this.rate = value & 3;
    }
  }

  /** While reset is held, nothing runs and the interrupt is off. */
  private holdReset(): void {
    this.generation++;
    this.phase = Phase.Command;
    this.commandPos = this.commandLength = this.resultLength = this.resultPos = 0;
    this.exec = Exec.None;
    this.dma.setDreq(DMA_CHANNEL, false);
    this.setInterrupt(false);
  }

  private readStatus(): number {
    if (this.inReset()) return 0;
    switch (this.phase) {
      case Phase.Command:
        return MSR_RQM | (this.commandPos > 0 ? MSR_CB : 0) | this.driveBusy;
      case Phase.Result:
        return MSR_RQM | MSR_DIO | MSR_CB | this.driveBusy;
      default: {
        if (!this.nonDma() || this.stage !== Stage.Host) return MSR_CB | this.driveBusy;
        return MSR_RQM | MSR_NDMA | MSR_CB | (this.exec === Exec.Read ? MSR_DIO : 0) | this.driveBusy;
      }
    }
  }

  private readFifo(): number {
    if (this.inReset()) return 0;
    if (this.phase === Phase.Result) {
      const byte = this.result[this.resultPos++];
      // The first result byte read clears the interrupt of a read/write/format command.
      if (this.resultPos === 1 && this.exec !== Exec.None) this.setInterrupt(false);
      if (this.resultPos >= this.resultLength) {
        this.phase = Phase.Command;
        this.exec = Exec.None;
        this.resultPos = this.resultLength = 0;
      }
      return byte;
    }
    if (this.phase === Phase.Execution && this.nonDma() && this.stage === Stage.Host && this.exec === Exec.Read) {
      const byte = this.buffer[this.bufferPos++];
      this.hostByteMoved();
      return byte;
    }
    return this.resultLength > 0 ? this.result[this.resultLength - 1] : 0;
  }

  private writeFifo(value: number): void {
    if (this.inReset()) return;
    if (this.phase === Phase.Execution) {
      if (this.nonDma() && this.stage === Stage.Host && this.exec !== Exec.Read) {
        this.buffer[this.bufferPos++] = value;
        this.hostByteMoved();
      }
      return;
    }
    if (this.phase !== Phase.Command) return; // writes in the result phase are ignored
    if (this.commandPos === 0) {
      const length = COMMAND_LENGTH[value];
      if (length === 0) return this.finishWith([IC_INVALID]);
      this.commandLength = length;
    }
    this.command[this.commandPos++] = value;
    if (this.commandPos === this.commandLength) {
      this.commandPos = 0;
      this.execute();
    }
  }

  // ------------------------------------------------------------------ commands

  private execute(): void {
    const c = this.command;
    const op = c[0] & 0x1f;
    switch (op) {
      case Op.Specify:
        this.specify1 = c[1];
        this.specify2 = c[2];
        return;
      case Op.SenseDriveStatus:
        return this.finishWith([this.st3(c[1] & 3, (c[1] >> 2) & 1)]);
      case Op.Recalibrate:
        return this.recalibrate(c[1] & 3);
      case Op.Seek:
        return this.seek(c[1] & 3, (c[1] >> 2) & 1, c[0], c[2]);
      case Op.SenseInterrupt:
        return this.senseInterrupt();
      case Op.Version:
        return this.finishWith([VERSION_82077]);
      case Op.Configure:
        this.config = c[2];
        this.pretrk = c[3];
        return;
      case Op.DumpReg:
        return this.finishWith([
          this.pcn[0], this.pcn[1], this.pcn[2], this.pcn[3], this.specify1, this.specify2,
          this.eot, (this.locked ? 0x80 : 0) | (this.perpendicular & 0x3f), this.config, this.pretrk,
        ]);
      case Op.Lock:
        this.locked = (c[0] & 0x80) !== 0;
        return this.finishWith([this.locked ? 0x10 : 0]);
      case Op.Perpendicular:
        // OW (bit 7) says whether D3-D0 are overwritten; GAP and WGATE always are.
        this.perpendicular = (c[1] & 0x80 ? c[1] & 0x3c : this.perpendicular & 0x3c) | (c[1] & 3);
        return;
      case Op.ReadId:
        return this.readId();
      case Op.ReadData:
      case Op.WriteData:
        return this.startTransfer(op === Op.WriteData ? Exec.Write : Exec.Read);
      case Op.FormatTrack:
        return this.startFormat();
    }
  }

  /** Ends a command with result bytes, without an interrupt (or after the caller raised one). */
  private finishWith(bytes: readonly number[]): void {
    this.result.set(bytes);
    this.resultLength = bytes.length;
    this.resultPos = 0;
    this.phase = Phase.Result;
  }

  private st3(drive: number, head: number): number {
    const disk = this.disks[drive];
    const present = drive < this.installed;
    const writeProtected = !disk || disk.readOnly;
    return (writeProtected ? ST3_WRITE_PROTECTED : 0) | (present && this.track[drive] === 0 ? ST3_TRACK0 : 0) | ST3_ONES | (head << 2) | drive;
  }

  /** Moves the drive's head by step pulses; a step with a disk in the drive clears its disk-change line. */
  private step(drive: number, to: number): void {
    if (drive >= this.installed) return;
    const target = Math.max(0, Math.min(this.maxTrack[drive], to));
    if (target !== this.track[drive] && this.disks[drive]) this.changed[drive] = 0;
    this.track[drive] = target;
  }

  private seekDone(drive: number, st0: number): void {
    this.seekStatus[drive] = st0;
    this.driveBusy |= 1 << drive;
    this.phase = Phase.Command;
    this.setInterrupt(true);
  }

  private recalibrate(drive: number): void {
    // The controller steps outward until the drive reports track 0; an absent drive never does (equipment check).
    const present = drive < this.installed;
    this.step(drive, 0);
    this.pcn[drive] = 0;
    this.seekDone(drive, ST0_SEEK_END | drive | (present ? 0 : IC_ABNORMAL | ST0_EQUIPMENT_CHECK));
  }

  private seek(drive: number, head: number, opcode: number, value: number): void {
    const from = this.pcn[drive];
    let to = value;
    if (opcode & 0x80) to = opcode & 0x40 ? Math.min(255, from + value) : Math.max(0, from - value); // relative seek
    this.step(drive, this.track[drive] + (to - from));
    this.pcn[drive] = to;
    this.seekDone(drive, ST0_SEEK_END | (head << 2) | drive);
  }

  private senseInterrupt(): void {
    if (this.pollsPending > 0) {
      const drive = DRIVES - this.pollsPending--;
      this.finishWith([IC_POLL | drive, this.pcn[drive]]);
    } else {
      const drive = this.seekStatus.findIndex((s) => s >= 0);
      if (drive < 0) return this.finishWith([IC_INVALID]);
      this.finishWith([this.seekStatus[drive], this.pcn[drive]]);
      this.seekStatus[drive] = -1;
      this.driveBusy &= ~(1 << drive);
    }
    if (this.pollsPending === 0 && this.seekStatus.every((s) => s < 0)) this.setInterrupt(false);
  }

  /** Why the drive's current track cannot be read at all (ST1 bits), or 0. */
  private trackError(drive: number, head: number, mfm: boolean): number {
    const geometry = this.geometry[drive];
    if (!geometry || !mfm || !(geometry.rates & (1 << this.rate))) return ST1_MISSING_ADDRESS_MARK;
    if (this.track[drive] >= geometry.cylinders || head >= geometry.heads) return ST1_MISSING_ADDRESS_MARK;
    return 0;
  }

  private readId(): void {
    const drive = this.command[1] & 3;
    const head = (this.command[1] >> 2) & 1;
    this.exec = Exec.Read;
    this.execDrive = drive;
    this.execHead = head;
    const error = this.trackError(drive, head, (this.command[0] & 0x40) !== 0);
    this.idC = this.track[drive];
    this.idH = head;
    this.idR = 1;
    this.idN = 2;
    this.impliedSeek = false;
    if (error) return this.end(IC_ABNORMAL, error, 0);
    this.end(0, 0, 0);
  }

  private startTransfer(kind: Exec): void {
    const c = this.command;
    this.exec = kind;
    this.execDrive = c[1] & 3;
    this.execHead = (c[1] >> 2) & 1;
    this.idC = c[2];
    this.idH = c[3];
    this.idR = c[4];
    this.idN = c[5];
    this.eot = c[6];
    this.multiTrack = (c[0] & 0x80) !== 0;
    this.terminal = false;
    this.phase = Phase.Execution;
    const drive = this.execDrive;
    this.impliedSeek = (this.config & CONFIG_IMPLIED_SEEK) !== 0;
    if (this.impliedSeek) {
      this.step(drive, this.track[drive] + (this.idC - this.pcn[drive]));
      this.pcn[drive] = this.idC;
    }
    const error = this.trackError(drive, this.execHead, (c[0] & 0x40) !== 0);
    if (error) return this.end(IC_ABNORMAL, error, 0);
    if (kind === Exec.Write && this.disks[drive]!.readOnly) return this.end(IC_ABNORMAL, ST1_NOT_WRITABLE, 0);
    this.beginSector();
  }

  /** Finds the sector idR on the current track and starts moving it. */
  private beginSector(): void {
    const drive = this.execDrive;
    const geometry = this.geometry[drive]!;
    const track = this.track[drive];
    if (this.idC !== track) return this.end(IC_ABNORMAL, ST1_NO_DATA, this.idC === 0xff ? ST2_BAD_CYLINDER : ST2_WRONG_CYLINDER);
    if (this.idH !== this.execHead || this.idN !== 2 || this.idR < 1 || this.idR > geometry.sectors) return this.end(IC_ABNORMAL, ST1_NO_DATA, 0);
    this.bufferPos = 0;
    this.bufferLength = SECTOR_SIZE;
    if (this.exec === Exec.Read) this.diskIo(false, this.sectorOffset(this.idR), () => this.hostPhase());
    else this.hostPhase();
  }

  private sectorOffset(sector: number): number {
    const geometry = this.geometry[this.execDrive]!;
    return ((this.track[this.execDrive] * geometry.heads + this.execHead) * geometry.sectors + sector - 1) * SECTOR_SIZE;
  }

  /**
   * One disk access for the execution phase; `then` runs when it is done (at once, or when a Promise settles).
   * A failing access ends the command with a data error.
   */
  private diskIo(write: boolean, offset: number, then: () => void): void {
    const disk = this.disks[this.execDrive]!;
    const generation = this.generation;
    this.stage = Stage.Disk;
    const data = write ? this.buffer.slice(0, SECTOR_SIZE) : new Uint8Array(SECTOR_SIZE);
    const done = () => {
      if (generation !== this.generation || this.phase !== Phase.Execution) return;
      if (!write) this.buffer.set(data);
      then();
    };
    const fail = () => {
      if (generation === this.generation && this.phase === Phase.Execution) this.end(IC_ABNORMAL, ST1_DATA_ERROR, ST2_DATA_ERROR_IN_DATA);
    };
    let pending: void | Promise<void>;
    try {
      pending = write ? disk.write(offset, data) : disk.read(offset, data);
    } catch {
      return fail();
    }
    if (pending) pending.then(done, fail);
    else done();
  }

  /** The execution phase now moves bytes with the host: by DMA, or through the FIFO with an interrupt per byte. */
  private hostPhase(): void {
    this.stage = Stage.Host;
    if (this.nonDma()) this.setInterrupt(true);
    else this.pump();
  }

  /** DMA: moves what the DMA will take; called again by the DMA when the guest unmasks the channel. */
  private pump(): void {
    if (this.phase !== Phase.Execution || this.stage !== Stage.Host || this.nonDma()) return;
    const dma = this.dma;
    while (this.bufferPos < this.bufferLength) {
      if (!(this.dor & DOR_DMA_GATE) || !dma.ready(DMA_CHANNEL)) {
        dma.setDreq(DMA_CHANNEL, (this.dor & DOR_DMA_GATE) !== 0);
        return;
      }
      this.bufferPos += dma.transfer(DMA_CHANNEL, this.buffer, this.bufferPos, this.bufferLength - this.bufferPos);
      if (dma.terminalCount(DMA_CHANNEL)) {
        this.terminal = true;
        break;
      }
    }
    dma.setDreq(DMA_CHANNEL, false);
    this.hostDone();
  }

  /** Non-DMA: one byte went through the FIFO. */
  private hostByteMoved(): void {
    // The interrupt line follows RQM: it drops with each byte and rises again for the next one.
    this.setInterrupt(false);
    if (this.bufferPos < this.bufferLength) this.setInterrupt(true);
    else this.hostDone();
  }

  /** The host side of one sector (or one format ID) is complete. */
  private hostDone(): void {
    switch (this.exec) {
      case Exec.Read:
        return this.nextSector();
      case Exec.Write:
        return this.diskIo(true, this.sectorOffset(this.idR), () => this.nextSector());
      case Exec.Format:
        return this.formatIdReceived();
    }
  }

  /** After a sector: stop at terminal count, go on to the next sector (or side, in multi-track mode), or run off the track. */
  private nextSector(): void {
    let endOfCylinder = false;
    if (this.idR !== this.eot) this.idR++;
    else {
      this.idR = 1;
      if (this.multiTrack && this.execHead === 0) {
        this.execHead = 1;
        this.idH ^= 1;
      } else {
        if (this.multiTrack) this.idH ^= 1;
        this.idC = (this.idC + 1) & 0xff;
        endOfCylinder = true;
      }
    }
    if (this.terminal) return this.end(0, 0, 0);
    if (endOfCylinder) return this.end(IC_ABNORMAL, ST1_END_OF_CYLINDER, 0);
    this.beginSector();
  }

  private startFormat(): void {
    const c = this.command;
    this.exec = Exec.Format;
    this.execDrive = c[1] & 3;
    this.execHead = (c[1] >> 2) & 1;
    this.idN = c[2];
    this.formatSectors = c[3];
    this.formatFill = c[5];
    this.formatDone = 0;
    this.terminal = false;
    this.impliedSeek = false;
    this.phase = Phase.Execution;
    this.idC = this.track[this.execDrive];
    this.idH = this.execHead;
    this.idR = 1;
    const error = this.trackError(this.execDrive, this.execHead, (c[0] & 0x40) !== 0);
    if (error) return this.end(IC_ABNORMAL, error, 0);
    if (this.disks[this.execDrive]!.readOnly) return this.end(IC_ABNORMAL, ST1_NOT_WRITABLE, 0);
    this.nextFormatId();
  }

  /** Asks the host for the next sector's four ID bytes (C, H, R, N). */
  private nextFormatId(): void {
    this.bufferPos = 0;
    this.bufferLength = 4;
    this.hostPhase();
  }

  /** The four ID bytes of the next sector arrived: take them as the sector's ID. */
  private formatIdReceived(): void {
    this.idC = this.buffer[0];
    this.idH = this.buffer[1];
    this.idR = this.buffer[2];
    this.idN = this.buffer[3];
    this.formatDone++;
    this.formatWrite();
  }

  /** Writes the fill byte to the sector just given an ID, where the image has such a sector (the image keeps its own IDs). */
  private formatWrite(): void {
    const geometry = this.geometry[this.execDrive]!;
    const next = () => {
      if (this.terminal || this.formatDone >= this.formatSectors) this.end(0, 0, 0);
      else this.nextFormatId();
    };
    if (this.idN !== 2 || this.idR < 1 || this.idR > geometry.sectors) return next();
    this.buffer.fill(this.formatFill);
    this.diskIo(true, this.sectorOffset(this.idR), next);
  }

  /** Ends the execution phase: result ST0 ST1 ST2 C H R N, and the interrupt. */
  private end(ic: number, st1: number, st2: number): void {
    this.dma.setDreq(DMA_CHANNEL, false);
    this.stage = Stage.Host;
    const st0 = ic | (this.impliedSeek ? ST0_SEEK_END : 0) | (this.execHead << 2) | this.execDrive;
    this.finishWith([st0, st1, st2, this.idC, this.idH, this.idR, this.idN]);
    this.setInterrupt(true);
  }

  saveState(): DeviceState {
    return { version: STATE_VERSION, ...saveFields(this, FIELDS) };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    loadFields(this.name, this, state, FIELDS);
    this.generation++;
    this.lineLevel = !this.interrupt;
    this.updateLine();
    // Hostile or mismatched states stay inside the arrays and the phases the code knows.
    this.execDrive &= 3;
    this.execHead &= 1;
    this.bufferLength = Math.min(Math.max(0, this.bufferLength), SECTOR_SIZE);
    this.bufferPos = Math.min(Math.max(0, this.bufferPos), this.bufferLength);
    this.commandPos = Math.min(Math.max(0, this.commandPos), this.command.length - 1);
    this.resultLength = Math.min(Math.max(0, this.resultLength), this.result.length);
    if (this.phase !== Phase.Command && this.phase !== Phase.Execution && this.phase !== Phase.Result) this.phase = Phase.Command;
    if (this.phase === Phase.Execution && !this.geometry[this.execDrive]) return this.end(IC_ABNORMAL, ST1_MISSING_ADDRESS_MARK, 0);
    // A disk access in flight when the snapshot was taken is issued again.
    if (this.phase === Phase.Execution && this.stage === Stage.Disk) {
      if (this.exec === Exec.Read) this.beginSector();
      else if (this.exec === Exec.Write) this.hostDone();
      else this.formatWrite();
    } else if (this.phase === Phase.Execution) this.pump();
  }
}
