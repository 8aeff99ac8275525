/**
 * An ATA hard disk (ATA/ATAPI-6 command set, the part PC operating systems use): IDENTIFY DEVICE, PIO
 * READ/WRITE SECTOR(S) and MULTIPLE, READ/WRITE DMA through the bus master, LBA28, LBA48 and CHS
 * addressing, READ VERIFY, SET FEATURES, SET MULTIPLE MODE, INITIALIZE DEVICE PARAMETERS, FLUSH CACHE and
 * the power-management commands. Sectors are 512 bytes; a disk whose size is not a multiple of 512 ends at
 * its last whole sector.
 */
import type { BlockDevice } from '../../block.js';
import { AtaError, BUF_BYTES, IdeDrive, setIntegrityWord, setString, setWord, Xfer, type DriveHost } from './drive.js';

const SECTOR = 512;
const BUF_SECTORS = BUF_BYTES / SECTOR;
/** The largest READ/WRITE MULTIPLE block we offer (IDENTIFY word 47). */
const MAX_MULTIPLE = 16;
const MAX_LBA28 = 0x0fffffff;

/** What the current command does with the data it moves. */
const enum Op { None, Identify, Read, Write }

const FIELDS = [
  'op', 'lba48', 'chs', 'cmdLba', 'remaining', 'blockSectors', 'bufSectors', 'bufIndex', 'winSectors',
  'multiple', 'heads', 'sectorsPerTrack', 'writeCache', 'standby',
] as const;

export class AtaDrive extends IdeDrive {
  readonly kind = 'ata';
  readonly sectors: number;
  /** Default geometry (IDENTIFY words 1, 3, 6). */
  readonly defaultCylinders: number;
  op: Op = Op.None;
  lba48 = false;
  /** The command addressed the disk by CHS: the task file is updated in CHS form. */
  chs = false;
  cmdLba = 0;
  remaining = 0;
  /** Sectors per DRQ block (1, or the multiple count for READ/WRITE MULTIPLE, or a buffer-full for DMA). */
  blockSectors = 1;
  /** Sectors of data in buf (reads), and the index of the next one to hand out. */
  bufSectors = 0;
  bufIndex = 0;
  /** Sectors in the open window. */
  winSectors = 0;
  /** SET MULTIPLE MODE; 0 = READ/WRITE MULTIPLE disabled. */
  multiple = 0;
  /** Current CHS translation (INITIALIZE DEVICE PARAMETERS). */
  heads = 16;
  sectorsPerTrack = 63;
  writeCache = true;
  standby = false;

  constructor(disk: BlockDevice, host: DriveHost, private readonly serial = 'CO86-0000') {
    super(disk, host);
    this.sectors = Math.floor(disk.size / SECTOR);
    this.defaultCylinders = Math.max(1, Math.min(16383, Math.floor(this.sectors / (16 * 63))));
  }

  override reset(): void {
    super.reset();
    this.op = Op.None;
    this.remaining = 0;
    // Hardware reset restores the default translation and keeps SET MULTIPLE (ATA-6 §9.2: "as set by the last command").
    this.heads = 16;
    this.sectorsPerTrack = 63;
  }

  command(cmd: number): void {
    this.error = 0;
    switch (cmd) {
      case 0xec: return this.identify();
      case 0x20: case 0x21: return this.startRead(false, 1, false);
      case 0x24: return this.startRead(true, 1, false);
      case 0xc4: return this.startMultiple(false, false);
      case 0x29: return this.startMultiple(true, false);
      case 0xc8: case 0xc9: return this.startRead(false, BUF_SECTORS, true);
      case 0x25: return this.startRead(true, BUF_SECTORS, true);
      case 0x30: case 0x31: return this.startWrite(false, 1, false);
      case 0x34: return this.startWrite(true, 1, false);
      case 0xc5: return this.startMultiple(false, true);
      case 0x39: return this.startMultiple(true, true);
      case 0xca: case 0xcb: return this.startWrite(false, BUF_SECTORS, true);
      case 0x35: return this.startWrite(true, BUF_SECTORS, true);
      case 0x40: case 0x41: return this.verify(false);
      case 0x42: return this.verify(true);
      case 0xc6: return this.setMultiple();
      case 0x91: return this.initializeParameters();
      case 0xef: return this.setFeatures();
      case 0xe7: case 0xea: return this.commandDone(); // FLUSH CACHE (EXT): writes reach the BlockDevice at once
      case 0x70: return this.seek();
      case 0xe0: case 0x94: case 0xe2: case 0x96: case 0xe6: case 0x99: // STANDBY (IMMEDIATE), SLEEP
        this.standby = true;
        return this.commandDone();
      case 0xe1: case 0x95: case 0xe3: case 0x97: // IDLE (IMMEDIATE)
        this.standby = false;
        return this.commandDone();
      case 0xe5: case 0x98: // CHECK POWER MODE: FFh active/idle, 00h standby
        this.count = this.standby ? 0x00 : 0xff;
        return this.commandDone();
      default:
        if (cmd >= 0x10 && cmd <= 0x1f) return this.commandDone(); // RECALIBRATE
        // Everything else (IDENTIFY PACKET DEVICE, PACKET, DEVICE RESET, SMART, security…) is not ours.
        return this.commandError(AtaError.ABRT);
    }
  }

  private identify(): void {
    const b = this.buf;
    b.fill(0, 0, SECTOR);
    const lba28 = Math.min(this.sectors, MAX_LBA28);
    const curCyl = this.currentCylinders();
    const curCapacity = curCyl * this.heads * this.sectorsPerTrack;
    setWord(b, 0, 0x0040); // fixed disk
    setWord(b, 1, this.defaultCylinders);
    setWord(b, 3, 16);
    setWord(b, 6, 63);
    setString(b, 10, 10, this.serial);
    setString(b, 23, 4, '1.0');
    setString(b, 27, 20, 'co86 ATA disk');
    setWord(b, 47, 0x8000 | MAX_MULTIPLE);
    setWord(b, 49, 0x0300); // LBA and DMA supported
    setWord(b, 50, 0x4000);
    setWord(b, 51, 0x0200); // PIO timing mode 2 (obsolete word, still read)
    setWord(b, 53, 0x0007); // words 54-58, 64-70 and 88 are valid
    setWord(b, 54, curCyl);
    setWord(b, 55, this.heads);
    setWord(b, 56, this.sectorsPerTrack);
    setWord(b, 57, curCapacity & 0xffff);
    setWord(b, 58, curCapacity >>> 16);
    setWord(b, 59, this.multiple ? 0x0100 | this.multiple : 0);
    setWord(b, 60, lba28 & 0xffff);
    setWord(b, 61, lba28 >>> 16);
    setWord(b, 63, 0x0407); // multiword DMA 0-2 supported, mode 2 selected
    setWord(b, 64, 0x0003); // PIO 3 and 4
    for (let w = 65; w <= 68; w++) setWord(b, w, 120);
    setWord(b, 80, 0x007e); // ATA-1 to ATA-6
    setWord(b, 82, 0x4020); // NOP (obsolete bit 14 set as drives do), write cache
    setWord(b, 83, 0x7400); // FLUSH CACHE EXT, FLUSH CACHE, 48-bit addresses
    setWord(b, 84, 0x4000);
    setWord(b, 85, 0x4000 | (this.writeCache ? 0x0020 : 0));
    setWord(b, 86, 0x3400);
    setWord(b, 87, 0x4000);
    setWord(b, 88, 0x003f); // UDMA 0-5 supported, none selected (the PIIX3 has no UDMA)
    setWord(b, 93, 0x4000 | 0x0001);
    for (let i = 0; i < 4; i++) setWord(b, 100 + i, Math.floor(this.sectors / 2 ** (16 * i)) & 0xffff);
    setIntegrityWord(b);
    this.op = Op.Identify;
    this.dma = false;
    this.openWindow(Xfer.In, 0, SECTOR, true);
  }

  private currentCylinders(): number {
    return Math.max(1, Math.min(65535, Math.floor(Math.min(this.sectors, 16514064) / (this.heads * this.sectorsPerTrack))));
  }

  /** Sector count of the command: 0 means 256 (LBA28) or 65536 (LBA48). */
  private sectorCount(lba48: boolean): number {
    if (lba48) return (this.count | (this.hobCount << 8)) || 65536;
    return this.count || 256;
  }

  /** Decodes the address of the command and checks the whole run lies on the disk; -1 after an IDNF error. */
  private startAddress(lba48: boolean, count: number): number {
    this.lba48 = lba48;
    this.chs = !lba48 && !(this.device & 0x40);
    let lba: number;
    if (this.chs) {
      const cylinder = this.lbaMid | (this.lbaHigh << 8);
      const head = this.device & 0x0f;
      const sector = this.lbaLow;
      if (sector === 0 || sector > this.sectorsPerTrack || head >= this.heads) {
        this.commandError(AtaError.IDNF);
        return -1;
      }
      lba = (cylinder * this.heads + head) * this.sectorsPerTrack + sector - 1;
    } else {
      lba = this.lba(lba48);
    }
    if (lba + count > this.sectors) {
      this.commandError(AtaError.IDNF);
      return -1;
    }
    return lba;
  }

  private startMultiple(lba48: boolean, write: boolean): void {
    if (!this.multiple) return this.commandError(AtaError.ABRT);
    if (write) this.startWrite(lba48, this.multiple, false);
    else this.startRead(lba48, this.multiple, false);
  }

  private startRead(lba48: boolean, blockSectors: number, dma: boolean): void {
    const count = this.sectorCount(lba48);
    const lba = this.startAddress(lba48, count);
    if (lba < 0) return;
    this.op = Op.Read;
    this.dma = dma;
    this.cmdLba = lba;
    this.remaining = count;
    this.blockSectors = blockSectors;
    this.fill();
  }

  /** Reads the next buffer-full from the disk. */
  private fill(): void {
    const n = Math.min(this.remaining, BUF_SECTORS);
    this.bufSectors = n;
    this.bufIndex = 0;
    this.diskAccess(this.cmdLba * SECTOR, n * SECTOR, false);
  }

  /** Hands the next DRQ block of buf to the host (PIO), or the whole buffer (DMA). */
  private serveBlock(): void {
    const k = Math.min(this.blockSectors, this.bufSectors - this.bufIndex);
    this.winSectors = k;
    this.openWindow(Xfer.In, this.bufIndex * SECTOR, (this.bufIndex + k) * SECTOR, true);
  }

  private startWrite(lba48: boolean, blockSectors: number, dma: boolean): void {
    const count = this.sectorCount(lba48);
    const lba = this.startAddress(lba48, count);
    if (lba < 0) return;
    if (this.disk!.readOnly) return this.commandError(AtaError.ABRT);
    this.op = Op.Write;
    this.dma = dma;
    this.cmdLba = lba;
    this.remaining = count;
    this.blockSectors = blockSectors;
    this.openWriteWindow(false);
  }

  private openWriteWindow(irq: boolean): void {
    const k = Math.min(this.blockSectors, this.remaining);
    this.winSectors = k;
    this.openWindow(Xfer.Out, 0, k * SECTOR, irq);
  }

  protected windowDone(): void {
    if (this.op === Op.Identify) return this.commandDone(false);
    if (this.op === Op.Read) {
      this.advance(this.winSectors);
      this.bufIndex += this.winSectors;
      // PIO data-in raises no interrupt after the last block; DMA completes with one.
      if (this.remaining === 0) return this.commandDone(this.dma);
      if (this.bufIndex < this.bufSectors) return this.serveBlock();
      return this.fill();
    }
    if (this.op === Op.Write) this.diskAccess(this.cmdLba * SECTOR, this.winSectors * SECTOR, true);
  }

  protected ioDone(ok: boolean): void {
    if (this.op === Op.Read) {
      if (!ok) return this.fail(AtaError.UNC);
      return this.serveBlock();
    }
    if (this.op === Op.Write) {
      if (!ok) return this.fail(AtaError.ABRT);
      this.advance(this.winSectors);
      if (this.remaining === 0) return this.commandDone(true);
      // PIO data-out: an interrupt before each further block; DMA just goes on.
      return this.openWriteWindow(!this.dma);
    }
  }

  /** A medium error: the task file points at the first sector not transferred. */
  private fail(error: number): void {
    this.writeAddress(this.cmdLba);
    this.op = Op.None;
    this.commandError(error);
  }

  /** `n` sectors went through: the task file holds the address of the last one. */
  private advance(n: number): void {
    this.cmdLba += n;
    this.remaining -= n;
    this.writeAddress(this.cmdLba - 1);
    this.count = this.remaining & 0xff;
    this.hobCount = (this.remaining >>> 8) & 0xff;
  }

  private writeAddress(lba: number): void {
    if (!this.chs) return this.setLba(lba, this.lba48);
    const perCylinder = this.heads * this.sectorsPerTrack;
    const cylinder = Math.floor(lba / perCylinder);
    const rest = lba % perCylinder;
    this.lbaMid = cylinder & 0xff;
    this.lbaHigh = (cylinder >>> 8) & 0xff;
    this.device = (this.device & 0xf0) | Math.floor(rest / this.sectorsPerTrack);
    this.lbaLow = (rest % this.sectorsPerTrack) + 1;
  }

  private verify(lba48: boolean): void {
    const count = this.sectorCount(lba48);
    const lba = this.startAddress(lba48, count);
    if (lba < 0) return;
    this.commandDone();
  }

  private seek(): void {
    if (this.startAddress(false, 1) < 0) return;
    this.commandDone();
  }

  private setMultiple(): void {
    const n = this.count;
    // Powers of two up to the maximum; 0 disables multiple mode.
    if (n > MAX_MULTIPLE || (n & (n - 1)) !== 0) return this.commandError(AtaError.ABRT);
    this.multiple = n;
    this.commandDone();
  }

  private initializeParameters(): void {
    const heads = (this.device & 0x0f) + 1;
    const spt = this.count;
    if (spt === 0) return this.commandError(AtaError.ABRT);
    this.heads = heads;
    this.sectorsPerTrack = spt;
    this.commandDone();
  }

  private setFeatures(): void {
    switch (this.feature) {
      case 0x02: this.writeCache = true; break;
      case 0x82: this.writeCache = false; break;
      case 0x03: { // set transfer mode: PIO 0-4, multiword DMA 0-2, UDMA 0-5
        const mode = this.count;
        const ok = mode <= 0x0c || (mode >= 0x20 && mode <= 0x22) || (mode >= 0x40 && mode <= 0x45);
        if (!ok) return this.commandError(AtaError.ABRT);
        break;
      }
      case 0x55: case 0xaa: case 0x66: case 0xcc: break; // look-ahead, revert to defaults: accepted
      default: return this.commandError(AtaError.ABRT);
    }
    this.commandDone();
  }

  protected extraFields(): readonly string[] {
    return FIELDS;
  }
}
