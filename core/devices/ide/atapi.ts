/**
 * An ATAPI CD-ROM drive (SFF-8020i / MMC packet commands over the ATA PACKET command): IDENTIFY PACKET
 * DEVICE, and the packets Linux, DOS and Windows drivers send — TEST UNIT READY, REQUEST SENSE, INQUIRY,
 * READ CAPACITY, READ(10)/(12), MODE SENSE(10), START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, READ TOC
 * (formats 0 and 1), GET CONFIGURATION, GET EVENT STATUS NOTIFICATION, READ DISC INFORMATION, SEEK, SET CD
 * SPEED, MECHANISM STATUS. Errors set the sense key / ASC that REQUEST SENSE returns. 2048-byte sectors.
 */
import type { BlockDevice } from '../../block.js';
import { AtaError, BUF_BYTES, IdeDrive, setIntegrityWord, setString, setWord, Status, Xfer, type DriveHost } from './drive.js';

const SECTOR = 2048;
const BUF_SECTORS = BUF_BYTES / SECTOR;
const PACKET_BYTES = 12;

/** SCSI sense keys. */
export const enum SenseKey { NONE = 0, NOT_READY = 2, MEDIUM_ERROR = 3, ILLEGAL_REQUEST = 5, UNIT_ATTENTION = 6 }
/** Additional sense codes (ASC << 8 | ASCQ). */
export const enum Asc {
  UNRECOVERED_READ_ERROR = 0x1100, INVALID_OPCODE = 0x2000, LBA_OUT_OF_RANGE = 0x2100, INVALID_FIELD_IN_CDB = 0x2400,
  MEDIUM_NOT_PRESENT = 0x3a00,
}

/** Interrupt reason (sector count register): CoD = bit 0, IO = bit 1. */
const enum Reason { DataOut = 0, Command = 1, DataIn = 2, Status = 3 }

const enum Op { None, Identify, Packet, Data, Read }

const FIELDS = ['op', 'senseKey', 'asc', 'readLba', 'readRemaining', 'bufLength', 'byteLimit', 'locked'] as const;

export class AtapiDrive extends IdeDrive {
  readonly kind = 'atapi';
  op: Op = Op.None;
  senseKey = 0;
  asc = 0;
  /** READ(10)/(12): next LBA to fetch and sectors still to fetch. */
  readLba = 0;
  readRemaining = 0;
  /** Bytes of data in buf for the current command. */
  bufLength = 0;
  /** The host's byte count limit (LBA mid/high of the PACKET command). */
  byteLimit = 0;
  locked = false;

  constructor(disk: BlockDevice | undefined, host: DriveHost, private readonly serial = 'CO86-CD00') {
    super(disk, host);
  }

  /** CD sectors on the medium, 0 without one. */
  get sectors(): number {
    return this.disk ? Math.floor(this.disk.size / SECTOR) : 0;
  }

  override reset(): void {
    super.reset();
    this.op = Op.None;
    this.senseKey = this.asc = 0;
    this.locked = false;
  }

  command(cmd: number): void {
    switch (cmd) {
      case 0xa1: return this.identifyPacket();
      case 0xa0: return this.packetCommand();
      case 0x08: // DEVICE RESET
        this.reset();
        return;
      case 0xec: // IDENTIFY DEVICE aborts with the ATAPI signature, so the host knows what answered.
        this.setSignature();
        return this.commandError(AtaError.ABRT);
      case 0xef: return this.commandDone(); // SET FEATURES (transfer mode): accepted
      case 0xe5: case 0x98: // CHECK POWER MODE
        this.count = 0xff;
        return this.commandDone();
      case 0xe0: case 0xe1: case 0xe7: case 0xe2: case 0xe3: return this.commandDone(); // power, FLUSH: nothing to do
      default: return this.commandError(AtaError.ABRT);
    }
  }

  private identifyPacket(): void {
    const b = this.buf;
    b.fill(0, 0, 512);
    // ATAPI, CD-ROM, removable, DRQ within 50 µs of PACKET, 12-byte packets.
    setWord(b, 0, 0x85c0);
    setString(b, 10, 10, this.serial);
    setString(b, 23, 4, '1.0');
    setString(b, 27, 20, 'co86 ATAPI CD-ROM');
    setWord(b, 49, 0x0300); // LBA, DMA
    setWord(b, 53, 0x0006); // words 64-70 and 88 valid
    setWord(b, 63, 0x0407); // multiword DMA 0-2, mode 2 selected
    setWord(b, 64, 0x0003);
    for (let w = 65; w <= 68; w++) setWord(b, w, 120);
    setWord(b, 80, 0x007e);
    setWord(b, 82, 0x4010); // PACKET feature set
    setWord(b, 83, 0x4000);
    setWord(b, 84, 0x4000);
    setWord(b, 85, 0x4010);
    setWord(b, 87, 0x4000);
    setWord(b, 88, 0x003f);
    setIntegrityWord(b);
    this.op = Op.Identify;
    this.dma = false;
    this.openWindow(Xfer.In, 0, 512, true);
  }

  /** PACKET: DRQ for the 12 command bytes, interrupt reason "command out", no interrupt (accelerated DRQ). */
  private packetCommand(): void {
    this.op = Op.Packet;
    this.dma = (this.feature & 0x01) !== 0;
    const limit = this.lbaMid | (this.lbaHigh << 8);
    // 0 is not a valid limit; an odd one is used less one (transfers are in words).
    this.byteLimit = (limit === 0 ? 0xfffe : limit) & ~1 || 2;
    this.count = Reason.Command;
    // The packet itself always comes through the data port.
    this.xfer = Xfer.Packet;
    this.pos = 0;
    this.end = PACKET_BYTES;
    this.status = Status.DRDY | Status.DSC | Status.DRQ;
  }

  protected windowDone(): void {
    switch (this.op) {
      case Op.Identify: return this.commandDone(false);
      case Op.Packet: return this.execute(this.buf.slice(0, PACKET_BYTES));
      case Op.Data: return this.dataWindowDone();
      case Op.Read: return this.readWindowDone();
      default: return;
    }
  }

  // ---- Completion ----

  private complete(): void {
    this.op = Op.None;
    this.count = Reason.Status;
    this.commandDone(true);
  }

  private fail(key: SenseKey, asc: number): void {
    this.op = Op.None;
    this.senseKey = key;
    this.asc = asc;
    this.count = Reason.Status;
    this.commandError((key << 4) | (key === SenseKey.ILLEGAL_REQUEST ? AtaError.ABRT : 0));
  }

  /** Sends buf[0, min(length, allocation)) to the host, then completes. */
  private sendData(length: number, allocation: number): void {
    const n = Math.min(length, allocation);
    if (n === 0) return this.complete();
    this.op = Op.Data;
    this.bufLength = n;
    this.senseKey = this.asc = 0;
    this.openDataWindow(0);
  }

  /** Opens the next DRQ block from buf[start, bufLength): at most byteLimit bytes in PIO. */
  private openDataWindow(start: number): void {
    const n = this.dma ? this.bufLength - start : Math.min(this.bufLength - start, this.byteLimit);
    this.lbaMid = n & 0xff;
    this.lbaHigh = (n >>> 8) & 0xff;
    this.count = Reason.DataIn;
    this.openWindow(Xfer.In, start, start + n, true);
  }

  private dataWindowDone(): void {
    // An odd window reads one padding byte; bufLength is the real end.
    if (this.end < this.bufLength) return this.openDataWindow(this.end);
    this.complete();
  }

  // ---- Packets ----

  private execute(cdb: Uint8Array): void {
    const opcode = cdb[0];
    const needsMedium = opcode !== 0x03 && opcode !== 0x12 && opcode !== 0x46 && opcode !== 0x4a && opcode !== 0xbd && opcode !== 0x1e && opcode !== 0x5a;
    if (needsMedium && !this.disk) return this.fail(SenseKey.NOT_READY, Asc.MEDIUM_NOT_PRESENT);
    const b = this.buf;
    switch (opcode) {
      case 0x00: // TEST UNIT READY
      case 0x2b: // SEEK(10)
      case 0xbb: // SET CD SPEED
      case 0x4e: // STOP PLAY/SCAN
        this.senseKey = this.asc = 0;
        return this.complete();
      case 0x1b: // START STOP UNIT (eject with LoEj is refused while locked)
        if ((cdb[4] & 0x03) === 0x02 && this.locked) return this.fail(SenseKey.ILLEGAL_REQUEST, 0x5302);
        return this.complete();
      case 0x1e: // PREVENT ALLOW MEDIUM REMOVAL
        this.locked = (cdb[4] & 0x01) !== 0;
        return this.complete();
      case 0x03: { // REQUEST SENSE
        b.fill(0, 0, 18);
        b[0] = 0x70;
        b[2] = this.senseKey;
        b[7] = 10;
        b[12] = this.asc >>> 8;
        b[13] = this.asc & 0xff;
        return this.sendData(18, cdb[4]); // and the sense is cleared
      }
      case 0x12: { // INQUIRY
        if (cdb[1] & 0x01) return this.fail(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_FIELD_IN_CDB); // no VPD pages
        b.fill(0, 0, 36);
        b[0] = 0x05; // CD/DVD device
        b[1] = 0x80; // removable
        b[2] = 0x00;
        b[3] = 0x21; // ATAPI version 2, response data format 1
        b[4] = 31;
        writeAscii(b, 8, 'co86    ');
        writeAscii(b, 16, 'CD-ROM          ');
        writeAscii(b, 32, '1.0 ');
        return this.sendData(36, cdb[4]);
      }
      case 0x25: { // READ CAPACITY
        b.fill(0, 0, 8);
        put32be(b, 0, this.sectors - 1);
        put32be(b, 4, SECTOR);
        return this.sendData(8, 8);
      }
      case 0x28: // READ(10)
        return this.startRead(get32be(cdb, 2), (cdb[7] << 8) | cdb[8]);
      case 0xa8: // READ(12)
        return this.startRead(get32be(cdb, 2), get32be(cdb, 6));
      case 0x5a: return this.modeSense(cdb);
      case 0x43: return this.readToc(cdb);
      case 0x46: return this.getConfiguration(cdb);
      case 0x4a: return this.getEventStatus(cdb);
      case 0x51: { // READ DISC INFORMATION
        b.fill(0, 0, 34);
        b[1] = 32; // data length
        b[2] = 0x0e; // last session complete, disc finalized
        b[3] = 1; // first track
        b[4] = 1; // sessions
        b[5] = 1; // first track in last session
        b[6] = 1; // last track in last session
        return this.sendData(34, (cdb[7] << 8) | cdb[8]);
      }
      case 0xbd: { // MECHANISM STATUS: no changer, idle, one slot
        b.fill(0, 0, 8);
        b[5] = 1;
        return this.sendData(8, (cdb[8] << 8) | cdb[9]);
      }
      default:
        return this.fail(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_OPCODE);
    }
  }

  private startRead(lba: number, count: number): void {
    if (lba + count > this.sectors) return this.fail(SenseKey.ILLEGAL_REQUEST, Asc.LBA_OUT_OF_RANGE);
    if (count === 0) return this.complete();
    this.senseKey = this.asc = 0;
    this.op = Op.Read;
    this.readLba = lba;
    this.readRemaining = count;
    this.fetch();
  }

  private fetch(): void {
    const n = Math.min(this.readRemaining, BUF_SECTORS);
    this.bufLength = n * SECTOR;
    this.diskAccess(this.readLba * SECTOR, n * SECTOR, false);
  }

  protected ioDone(ok: boolean): void {
    if (this.op !== Op.Read) return;
    if (!ok) return this.fail(SenseKey.MEDIUM_ERROR, Asc.UNRECOVERED_READ_ERROR);
    const n = this.bufLength / SECTOR;
    this.readLba += n;
    this.readRemaining -= n;
    this.openReadWindow(0);
  }

  /** PIO: blocks of at most byteLimit bytes, whole sectors when the limit allows; DMA: the whole buffer. */
  private openReadWindow(start: number): void {
    let n = this.bufLength - start;
    if (!this.dma && n > this.byteLimit) n = this.byteLimit >= SECTOR ? this.byteLimit - (this.byteLimit % SECTOR) : this.byteLimit;
    this.lbaMid = n & 0xff;
    this.lbaHigh = (n >>> 8) & 0xff;
    this.count = Reason.DataIn;
    this.openWindow(Xfer.In, start, start + n, true);
  }

  private readWindowDone(): void {
    if (this.end < this.bufLength) return this.openReadWindow(this.end);
    if (this.readRemaining > 0) return this.fetch();
    this.complete();
  }

  private modeSense(cdb: Uint8Array): void {
    const page = cdb[2] & 0x3f;
    const control = cdb[2] >>> 6; // 0 current, 1 changeable, 2 default, 3 saved
    if (control === 3) return this.fail(SenseKey.ILLEGAL_REQUEST, 0x3900); // saving parameters not supported
    const b = this.buf;
    let n = 8;
    b.fill(0, 0, 64);
    b[2] = this.disk ? 0x01 : 0x70; // medium type: 120 mm CD-ROM data, or no disc
    const changeable = control === 1;
    if (page === 0x01 || page === 0x3f) { // read error recovery
      b[n] = 0x01;
      b[n + 1] = 6;
      if (!changeable) b[n + 3] = 5; // read retry count
      n += 8;
    }
    if (page === 0x2a || page === 0x3f) { // CD capabilities and mechanical status
      b[n] = 0x2a;
      b[n + 1] = 0x12;
      if (!changeable) {
        b[n + 2] = 0x03; // reads CD-R, CD-RW
        b[n + 4] = 0x71; // multisession, mode 2 form 1/2, audio play
        b[n + 5] = 0x7f; // CD-DA commands, accurate stream, R-W, UPC, ISRC
        b[n + 6] = 0x29 | (this.locked ? 0x02 : 0); // tray, eject, lock (and lock state)
        b[n + 7] = 0x03; // separate volume / channel mute
        put16be(b, n + 8, 706 * 8); // max speed (KB/s), obsolete but read
        put16be(b, n + 10, 256); // volume levels
        put16be(b, n + 12, 512); // buffer size (KB)
        put16be(b, n + 14, 706 * 8); // current speed
      }
      n += 20;
    }
    if (n === 8) return this.fail(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_FIELD_IN_CDB);
    put16be(b, 0, n - 2);
    this.sendData(n, (cdb[7] << 8) | cdb[8]);
  }

  private readToc(cdb: Uint8Array): void {
    const msf = (cdb[1] & 0x02) !== 0;
    // MMC puts the format in byte 2; older SFF-8020 drivers in bits 7:6 of byte 9.
    const format = cdb[2] & 0x0f || cdb[9] >>> 6;
    const alloc = (cdb[7] << 8) | cdb[8];
    const b = this.buf;
    b.fill(0, 0, 32);
    if (format === 0) {
      const start = cdb[6];
      if (start > 1 && start !== 0xaa) return this.fail(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_FIELD_IN_CDB);
      b[2] = 1; // first track
      b[3] = 1; // last track
      let n = 4;
      if (start <= 1) {
        n = this.tocEntry(n, 1, 0, msf);
      }
      n = this.tocEntry(n, 0xaa, this.sectors, msf); // lead-out
      put16be(b, 0, n - 2);
      return this.sendData(n, alloc);
    }
    if (format === 1) { // session information: one session starting at track 1, LBA 0
      put16be(b, 0, 10);
      b[2] = 1;
      b[3] = 1;
      this.tocEntry(4, 1, 0, msf);
      return this.sendData(12, alloc);
    }
    this.fail(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_FIELD_IN_CDB);
  }

  /** One 8-byte TOC track descriptor at b[n]: data track, ADR 1. */
  private tocEntry(n: number, track: number, lba: number, msf: boolean): number {
    const b = this.buf;
    b[n + 1] = 0x14; // ADR 1, control: data track
    b[n + 2] = track;
    if (msf) {
      const frames = lba + 150;
      b[n + 5] = Math.floor(frames / (75 * 60));
      b[n + 6] = Math.floor(frames / 75) % 60;
      b[n + 7] = frames % 75;
    } else {
      put32be(b, n + 4, lba);
    }
    return n + 8;
  }

  private getConfiguration(cdb: Uint8Array): void {
    const b = this.buf;
    b.fill(0, 0, 32);
    // Feature header: current profile CD-ROM (0008h) with a medium, none without.
    put16be(b, 6, this.disk ? 0x0008 : 0x0000);
    let n = 8;
    const rt = cdb[1] & 0x03;
    const first = (cdb[2] << 8) | cdb[3];
    if (first === 0 || rt === 0) { // feature 0000h: the profile list
      b[n + 2] = 0x03; // persistent, current
      b[n + 3] = 4;
      put16be(b, n + 4, 0x0008);
      b[n + 6] = this.disk ? 0x01 : 0x00;
      n += 8;
    }
    put32be(b, 0, n - 4);
    this.sendData(n, (cdb[7] << 8) | cdb[8]);
  }

  private getEventStatus(cdb: Uint8Array): void {
    // Only polled mode exists on ATAPI.
    if (!(cdb[1] & 0x01)) return this.fail(SenseKey.ILLEGAL_REQUEST, Asc.INVALID_FIELD_IN_CDB);
    const b = this.buf;
    b.fill(0, 0, 8);
    b[3] = 0x10; // supported classes: media
    let n = 4;
    if (cdb[4] & 0x10) {
      b[2] = 0x04; // media class
      b[n + 1] = this.disk ? 0x02 : 0x00; // media present, door closed; no event
      n += 4;
    } else {
      b[2] = 0x80; // no event available
    }
    put16be(b, 0, n - 2);
    this.sendData(n, (cdb[7] << 8) | cdb[8]);
  }

  protected extraFields(): readonly string[] {
    return FIELDS;
  }
}

function writeAscii(b: Uint8Array, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) b[at + i] = text.charCodeAt(i);
}

function put16be(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function put32be(b: Uint8Array, at: number, v: number): void {
  put16be(b, at, v >>> 16);
  put16be(b, at + 2, v & 0xffff);
}

function get32be(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
