/**
 * What an ATA disk and an ATAPI CD-ROM drive share: the device's own copy of the task file (both devices
 * on a channel latch every register write; reads come from the selected one), status and error, INTRQ,
 * the data buffer with its PIO/DMA window, and asynchronous disk access that never blocks the CPU.
 *
 * A transfer is a window [pos, end) of `buf`. PIO moves it through the data port, DMA through the bus
 * master; either way, when the window is used up the drive's `windowDone()` decides what comes next
 * (fetch more from the disk, raise the next DRQ block, or complete the command).
 */
import type { BlockDevice } from '../../block.js';
import { saveFields, loadFields } from '../fields.js';

/** Status register bits (ATA/ATAPI-6 §7.15). */
export const enum Status { ERR = 0x01, DRQ = 0x08, DSC = 0x10, DF = 0x20, DRDY = 0x40, BSY = 0x80 }
/** Error register bits. */
export const enum AtaError { AMNF = 0x01, ABRT = 0x04, IDNF = 0x10, UNC = 0x40 }

/** What the drive is doing with its buffer window. */
export const enum Xfer {
  None,
  /** Data goes to the host (PIO: DRQ + data port reads; DMA: bus master writes memory). */
  In,
  /** Data comes from the host. */
  Out,
  /** ATAPI: the 12-byte command packet comes from the host. */
  Packet,
}

/** The buffer holds up to 256 ATA sectors or 64 CD sectors (128 KiB) at a time. */
export const BUF_BYTES = 128 * 1024;

/** What a drive needs from its channel. */
export interface DriveHost {
  /** INTRQ changed or nIEN may matter: recompute the channel's IRQ line. */
  updateIrq(): void;
  /** The drive has a DMA window ready (DMARQ): the bus master may move it now. */
  dmaRequest(): void;
}

const TF_FIELDS = [
  'feature', 'hobFeature', 'count', 'hobCount', 'lbaLow', 'hobLbaLow', 'lbaMid', 'hobLbaMid', 'lbaHigh', 'hobLbaHigh', 'device',
  'status', 'error', 'intrq', 'pos', 'end', 'xfer', 'dma', 'ioPending', 'ioOffset', 'ioLength', 'ioWrite',
] as const;

export abstract class IdeDrive {
  abstract readonly kind: 'ata' | 'atapi';
  // The task file as this device latched it. hob* hold the previous write (LBA48 "high order bytes").
  feature = 0;
  hobFeature = 0;
  count = 0;
  hobCount = 0;
  lbaLow = 0;
  hobLbaLow = 0;
  lbaMid = 0;
  hobLbaMid = 0;
  lbaHigh = 0;
  hobLbaHigh = 0;
  device = 0;
  status = 0;
  error = 0;
  /** The device's INTRQ (before the channel's nIEN gate). Cleared by a status register read. */
  intrq = false;
  readonly buf = new Uint8Array(BUF_BYTES);
  pos = 0;
  end = 0;
  xfer: Xfer = Xfer.None;
  /** The current transfer goes through the bus master rather than the data port. */
  dma = false;
  /** A disk access is outstanding (the drive is BSY); saved so a snapshot taken meanwhile can re-issue it. */
  ioPending = false;
  ioOffset = 0;
  ioLength = 0;
  ioWrite = false;
  /** Bumped by reset and loadState, so completions of accesses issued before are dropped. */
  private generation = 0;

  constructor(
    readonly disk: BlockDevice | undefined,
    protected readonly host: DriveHost,
  ) {}

  /** Power-on or hardware reset (also SRST and DEVICE RESET): signature in the task file, no transfer. */
  reset(): void {
    this.generation++;
    this.ioPending = false;
    this.xfer = Xfer.None;
    this.dma = false;
    this.pos = this.end = 0;
    this.intrq = false;
    this.feature = this.hobFeature = this.hobCount = this.hobLbaLow = this.hobLbaMid = this.hobLbaHigh = 0;
    this.device = 0;
    this.error = 0x01; // diagnostic code: device 0 passed (and device 1 passed or absent)
    this.setSignature();
    this.status = this.kind === 'ata' ? Status.DRDY | Status.DSC : 0;
  }

  /** The ATA/ATAPI signature in count/LBA (ATA: 01 01 00 00, ATAPI: 01 01 14 EB). */
  setSignature(): void {
    this.count = 1;
    this.lbaLow = 1;
    this.lbaMid = this.kind === 'ata' ? 0 : 0x14;
    this.lbaHigh = this.kind === 'ata' ? 0 : 0xeb;
  }

  /** A command written to the command register while this device is selected and not busy. */
  abstract command(cmd: number): void;
  /** The transfer window is used up (read out or filled in). */
  protected abstract windowDone(): void;
  /** A disk access finished; `ok` false means it failed (the error is reported in the guest's terms). */
  protected abstract ioDone(ok: boolean): void;

  // ---- Data port (PIO) ----

  readData16(): number {
    if (this.xfer !== Xfer.In || this.dma || !(this.status & Status.DRQ)) return 0xffff;
    const b = this.buf;
    const v = b[this.pos] | (b[this.pos + 1] << 8);
    this.pos += 2;
    if (this.pos >= this.end) this.finishPioWindow();
    return v;
  }

  writeData16(value: number): void {
    // The command packet always comes through the data port, even for a DMA command.
    const pio = this.xfer === Xfer.Packet || (this.xfer === Xfer.Out && !this.dma);
    if (!pio || !(this.status & Status.DRQ)) return;
    this.buf[this.pos] = value & 0xff;
    this.buf[this.pos + 1] = (value >>> 8) & 0xff;
    this.pos += 2;
    if (this.pos >= this.end) this.finishPioWindow();
  }

  private finishPioWindow(): void {
    this.status &= ~Status.DRQ;
    this.windowDone();
  }

  // ---- DMA (bus master side) ----

  /** True while a DMA window waits for the bus master. */
  get dmaActive(): boolean {
    return this.dma && this.xfer !== Xfer.None && !this.ioPending && this.pos < this.end;
  }

  /** The bus master moved `n` bytes of the window. */
  dmaAdvance(n: number): void {
    this.pos += n;
    if (this.pos >= this.end) this.windowDone();
  }

  /** The bus master gave up (PRD table exhausted or stopped): abort the command. */
  dmaAbort(): void {
    if (this.xfer === Xfer.None) return;
    this.xfer = Xfer.None;
    this.commandError(AtaError.ABRT);
  }

  // ---- Transfer helpers for the command sets ----

  /** Opens buf[start, end) to the host: PIO raises DRQ (and IRQ if `irq`), DMA asks the bus master. */
  protected openWindow(xfer: Xfer, start: number, end: number, irq: boolean): void {
    this.xfer = xfer;
    this.pos = start;
    this.end = end;
    if (this.dma) {
      this.status = Status.DRDY | Status.DSC | Status.BSY;
      this.host.dmaRequest();
      return;
    }
    this.status = Status.DRDY | Status.DSC | Status.DRQ;
    if (irq) this.raiseIrq();
  }

  /** The command finished without error. */
  protected commandDone(irq = true): void {
    this.xfer = Xfer.None;
    this.dma = false;
    this.pos = this.end = 0;
    this.status = Status.DRDY | Status.DSC;
    if (irq) this.raiseIrq();
  }

  /** The command failed with `error` in the error register. */
  protected commandError(error: number): void {
    this.xfer = Xfer.None;
    this.dma = false;
    this.pos = this.end = 0;
    this.error = error;
    this.status = Status.DRDY | Status.DSC | Status.ERR;
    this.raiseIrq();
  }

  raiseIrq(): void {
    this.intrq = true;
    this.host.updateIrq();
  }

  /**
   * Reads `length` bytes at `offset` of the disk into buf[0..length) (or writes them from there), BSY until
   * done. Synchronous disks complete before this returns; a Promise completes later through ioDone.
   */
  protected diskAccess(offset: number, length: number, write: boolean): void {
    const disk = this.disk;
    this.status = Status.BSY | Status.DRDY | Status.DSC;
    this.ioPending = true;
    this.ioOffset = offset;
    this.ioLength = length;
    this.ioWrite = write;
    if (!disk) return this.finishIo(this.generation, false);
    const generation = this.generation;
    let pending: void | Promise<void>;
    try {
      const view = this.buf.subarray(0, length);
      pending = write ? disk.write(offset, view) : disk.read(offset, view);
    } catch {
      return this.finishIo(generation, false);
    }
    if (pending) pending.then(() => this.finishIo(generation, true), () => this.finishIo(generation, false));
    else this.finishIo(generation, true);
  }

  private finishIo(generation: number, ok: boolean): void {
    if (generation !== this.generation || !this.ioPending) return;
    this.ioPending = false;
    this.ioDone(ok);
    // A DMA transfer that was waiting for the disk may go on now.
    if (this.dmaActive) this.host.dmaRequest();
  }

  /** The 28-bit or 48-bit LBA in the task file. */
  protected lba(lba48: boolean): number {
    const low = this.lbaLow | (this.lbaMid << 8) | (this.lbaHigh << 16);
    if (lba48) return low + (this.hobLbaLow + this.hobLbaMid * 256 + this.hobLbaHigh * 65536) * 0x1000000;
    return (low | ((this.device & 0x0f) << 24)) >>> 0;
  }

  protected setLba(lba: number, lba48: boolean): void {
    this.lbaLow = lba & 0xff;
    this.lbaMid = (lba >>> 8) & 0xff;
    this.lbaHigh = (lba >>> 16) & 0xff;
    if (lba48) {
      const high = Math.floor(lba / 0x1000000);
      this.hobLbaLow = high & 0xff;
      this.hobLbaMid = (high >>> 8) & 0xff;
      this.hobLbaHigh = (high >>> 16) & 0xff;
    } else {
      this.device = (this.device & 0xf0) | ((lba >>> 24) & 0x0f);
    }
  }

  // ---- State ----

  protected abstract extraFields(): readonly string[];

  saveState(): Record<string, unknown> {
    return { ...saveFields(this, TF_FIELDS), ...saveFields(this, this.extraFields()), buf: this.buf.slice() };
  }

  loadState(state: unknown, name: string): void {
    loadFields(name, this, state, TF_FIELDS);
    loadFields(name, this, state, this.extraFields());
    loadFields(name, this, state, ['buf']);
    this.generation++;
    // A disk access in flight when the snapshot was taken is issued again (its result was not saved).
    if (this.ioPending) this.diskAccess(this.ioOffset, this.ioLength, this.ioWrite);
  }
}

/** IDENTIFY data helpers: word `i` of the 512-byte block in buf. */
export function setWord(buf: Uint8Array, i: number, value: number): void {
  buf[i * 2] = value & 0xff;
  buf[i * 2 + 1] = (value >>> 8) & 0xff;
}

/** An ATA string: space-padded ASCII, two characters per word with the first in the high byte. */
export function setString(buf: Uint8Array, firstWord: number, words: number, text: string): void {
  const padded = text.padEnd(words * 2, ' ');
  for (let i = 0; i < words * 2; i++) buf[firstWord * 2 + (i ^ 1)] = padded.charCodeAt(i) & 0x7f;
}

/** Word 255: the signature A5h and a checksum making the 512 bytes sum to zero (ATA-6 §8.15.61). */
export function setIntegrityWord(buf: Uint8Array): void {
  buf[510] = 0xa5;
  let sum = 0;
  for (let i = 0; i < 511; i++) sum += buf[i];
  buf[511] = -sum & 0xff;
}
