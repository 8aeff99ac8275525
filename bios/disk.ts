/**
 * INT 13h: floppies A:, B: (host.floppies) and hard disks 80h+ (host.hardDisks) — CHS and EDD (41h-48h)
 * access, with INT 13h status codes in AH and CF, and the last status in the BDA (40:41h floppy, 40:74h
 * hard disk). Hard-disk geometry is decided once at POST (from the MBR when it has one) and kept in the
 * fixed-disk parameter tables in the EBDA, which INT 41h/46h point at.
 */
import { Flag, Reg, Reg8, Seg, type BlockDevice, type FirmwareHost } from '../core/index.js';
import { AsyncIo } from './async-io.js';
import { bootCd } from './boot.js';
import { floppyFormat, hardDiskGeometry, type Geometry } from './geometry.js';
import { activeEmulation, CD_DRIVE_BASE, CD_SECTOR, CdMedia, int13Eltorito } from './eltorito.js';
import { Bda, bda16, bda8, physical, readBytes, setBda8, setResultFlag, setStatus, writeBytes } from './guest.js';
import { Entry, ROM_SEGMENT } from './rom.js';

/** EBDA offset of the fixed-disk parameter tables: 16 bytes per hard disk, for disks 80h-83h. */
export const EBDA_FDPT = 0x40;
const FDPT_DISKS = 4;

export const enum DiskStatus {
  Ok = 0x00,
  BadCommand = 0x01,
  WriteProtected = 0x03,
  SectorNotFound = 0x04,
  Timeout = 0x80,
}

interface Drive {
  number: number;
  dev: BlockDevice;
  geometry: Geometry;
  /** Floppy-style drive (00h–7Fh): no EDD, drive type in AH=08h. */
  floppy: boolean;
  /** A CD-ROM itself (E0h…): 2048-byte sectors, extended functions only. */
  cd: boolean;
  sectorSize: number;
  /** Byte offset of sector 0 in the image (an El Torito emulated disk starts inside the CD). */
  base: number;
  /** Addressable sectors. */
  sectors: number;
}

interface Transfer {
  status: number;
  /** Sectors transferred. */
  done: number;
}

export class DiskService {
  private readonly io = new AsyncIo();

  /** Machine reset: a transfer in flight belongs to the old run. */
  reset(): void {
    this.io.cancel();
  }

  /** INT 19h: boot a CD (boot.ts); shares this service's one transfer in flight. */
  bootCd(host: FirmwareHost): boolean {
    return bootCd(host, this.io);
  }

  /** POST: each hard disk's geometry (its MBR read, which may be asynchronous) into the EBDA; 40:75h; INT 41h/46h. */
  postInit(host: FirmwareHost): boolean {
    const ebdaSegment = bda16(host, Bda.EbdaSegment);
    let count = 0;
    for (let i = 0; i < host.hardDisks.length; i++) {
      const dev = host.hardDisks[i];
      if (!dev) continue;
      count++;
      if (i >= FDPT_DISKS) continue;
      const fdpt = (ebdaSegment << 4) + EBDA_FDPT + i * 16;
      if (host.memory.read8(fdpt + 14) !== 0) continue; // done in an earlier round of this trap
      let mbr: Uint8Array | undefined;
      if (dev.size >= 512) {
        const out = this.io.perform(`mbr:${i}`, new Uint8Array(512), (b) => dev.read(0, b));
        if (!out) return false;
        if (!out.error) mbr = out.buffer;
      }
      writeFdpt(host, fdpt, hardDiskGeometry(dev.size, mbr));
    }
    setBda8(host, Bda.HdCount, count);
    for (const [vector, disk] of [[0x41, 0], [0x46, 1]]) {
      const present = host.hardDisks[disk] !== undefined;
      host.memory.write16(vector * 4, present ? EBDA_FDPT + disk * 16 : 0);
      host.memory.write16(vector * 4 + 2, present ? ebdaSegment : 0);
    }
    return true;
  }

  /** The INT 13h trap; false while a transfer is in flight. */
  int13(host: FirmwareHost): boolean {
    const cpu = host.cpu;
    const ah = cpu.get8(Reg8.AH);
    const dl = cpu.get8(Reg8.DL);
    const drive = findDrive(host, dl);
    const finish = (status: number) => {
      setStatus(host, status);
      setBda8(host, dl < 0x80 ? Bda.FloppyStatus : Bda.HdStatus, status);
      return true;
    };
    const missing = dl < 0x80 ? DiskStatus.Timeout : DiskStatus.BadCommand;
    switch (ah) {
      case 0x00: // reset
      case 0x09: // initialise drive parameters
      case 0x0c: // seek
      case 0x0d: // alternate reset
      case 0x10: // test ready
      case 0x11: // recalibrate
      case 0x14: // controller diagnostics
        return finish(drive ? DiskStatus.Ok : missing);
      case 0x01: {
        const last = bda8(host, dl < 0x80 ? Bda.FloppyStatus : Bda.HdStatus);
        cpu.set8(Reg8.AH, last);
        setResultFlag(host, Flag.CF, last !== 0);
        return true;
      }
      case 0x02:
      case 0x03:
      case 0x04:
        if (!drive || drive.cd) return finish(drive ? DiskStatus.BadCommand : missing);
        return this.chs(host, drive, ah, finish);
      case 0x08:
        if (drive?.cd) return finish(DiskStatus.BadCommand); // no CHS on a CD
        return driveParameters(host, dl, drive, finish);
      case 0x15:
        if (!drive) cpu.set8(Reg8.AH, 0x00);
        else if (drive.floppy) cpu.set8(Reg8.AH, 0x01); // floppy without change-line support
        else {
          const g = drive.geometry;
          const total = g.cylinders * g.heads * g.sectors;
          cpu.set8(Reg8.AH, 0x03);
          cpu.set16(Reg.ECX, Math.floor(total / 65536) & 0xffff);
          cpu.set16(Reg.EDX, total & 0xffff);
        }
        setResultFlag(host, Flag.CF, false);
        return true;
      case 0x16: // change line: not changed
      case 0x17: // set disk type
        return finish(drive?.floppy ? DiskStatus.Ok : DiskStatus.BadCommand);
      case 0x18: // set media type: the diskette parameter table
        if (!drive?.floppy) return finish(DiskStatus.BadCommand);
        cpu.setSegReal(Seg.ES, ROM_SEGMENT);
        cpu.set16(Reg.EDI, Entry.disketteParams);
        return finish(DiskStatus.Ok);
      case 0x41:
        if (!drive || drive.floppy || cpu.get16(Reg.EBX) !== 0x55aa) return finish(DiskStatus.BadCommand);
        cpu.set16(Reg.EBX, 0xaa55);
        cpu.set8(Reg8.AH, 0x30); // EDD 3.0
        // Fixed-disk access (42h-44h, 47h, 48h); a CD also has the removable-media functions' 4Bh.
        cpu.set16(Reg.ECX, drive.cd ? 0x0003 : 0x0001);
        setResultFlag(host, Flag.CF, false);
        return true;
      case 0x42:
      case 0x43:
      case 0x44:
      case 0x47:
        if (!drive || drive.floppy) return finish(DiskStatus.BadCommand);
        return this.extended(host, drive, ah, finish);
      case 0x48:
        if (!drive || drive.floppy) return finish(DiskStatus.BadCommand);
        return finish(eddParameters(host, drive));
      case 0x4b: // El Torito: emulation status / terminate
        int13Eltorito(host);
        setBda8(host, dl < 0x80 ? Bda.FloppyStatus : Bda.HdStatus, cpu.get8(Reg8.AH));
        return true;
      default:
        return finish(DiskStatus.BadCommand);
    }
  }

  /** AH=02h read, 03h write, 04h verify: AL sectors at CH/CL/DH to/from ES:BX. */
  private chs(host: FirmwareHost, drive: Drive, ah: number, finish: (status: number) => boolean): boolean {
    const cpu = host.cpu;
    const count = cpu.get8(Reg8.AL);
    const cl = cpu.get8(Reg8.CL);
    const sector = cl & 0x3f;
    const cylinder = cpu.get8(Reg8.CH) | ((cl & 0xc0) << 2);
    const head = cpu.get8(Reg8.DH);
    const g = drive.geometry;
    if (count === 0) return finish(DiskStatus.BadCommand);
    if (sector === 0 || sector > g.sectors || head >= g.heads || cylinder >= g.cylinders) {
      cpu.set8(Reg8.AL, 0);
      return finish(DiskStatus.SectorNotFound);
    }
    const lba = (cylinder * g.heads + head) * g.sectors + sector - 1;
    let result: Transfer | undefined;
    if (ah === 0x04) result = verify(drive, lba, count);
    else {
      const linear = (cpu.getSeg(Seg.ES) << 4) + cpu.get16(Reg.EBX);
      result = this.transfer(host, drive, lba, count, linear, ah === 0x03);
      if (!result) return false;
    }
    cpu.set8(Reg8.AL, result.done);
    return finish(result.status);
  }

  /** AH=42h/43h/44h/47h with the disk address packet at DS:SI. */
  private extended(host: FirmwareHost, drive: Drive, ah: number, finish: (status: number) => boolean): boolean {
    const cpu = host.cpu;
    const packet = physical(host, cpu.getSeg(Seg.DS), cpu.get16(Reg.ESI));
    const mem = host.memory;
    const size = mem.read8(packet);
    if (size < 0x10) return finish(DiskStatus.BadCommand);
    const count = mem.read16(packet + 2);
    const lba = mem.read32(packet + 8) + mem.read32(packet + 12) * 2 ** 32;
    const bufferOff = mem.read16(packet + 4);
    const bufferSeg = mem.read16(packet + 6);
    const linear = bufferOff === 0xffff && bufferSeg === 0xffff && size >= 0x18 ? mem.read32(packet + 16) : (bufferSeg << 4) + bufferOff;
    if (ah === 0x47) return finish(lba < sectorCount(drive) ? DiskStatus.Ok : DiskStatus.SectorNotFound);
    if (drive.cd && ah === 0x43) return finish(DiskStatus.WriteProtected);
    const result = ah === 0x44 ? verify(drive, lba, count) : this.transfer(host, drive, lba, count, linear, ah === 0x43);
    if (!result) return false;
    mem.write16(packet + 2, result.done);
    return finish(result.status);
  }

  /** Moves whole sectors between the image and guest memory; stops at the image's end (status 04h). */
  private transfer(host: FirmwareHost, drive: Drive, lba: number, count: number, linear: number, write: boolean): Transfer | undefined {
    const n = Math.max(0, Math.min(count, sectorCount(drive) - lba));
    if (n === 0) return { status: DiskStatus.SectorNotFound, done: 0 };
    if (write && drive.dev.readOnly) return { status: DiskStatus.WriteProtected, done: 0 };
    const key = `${write ? 'w' : 'r'}:${drive.number}:${drive.base}:${lba}:${n}:${linear}`;
    const size = drive.sectorSize;
    const buffer = write ? readBytes(host, linear, n * size) : new Uint8Array(n * size);
    const offset = drive.base + lba * size;
    const dev = drive.dev;
    const out = this.io.perform(key, buffer, (b) => (write ? dev.write(offset, b) : dev.read(offset, b)));
    if (!out) return undefined;
    if (out.error !== undefined) {
      const what = out.error instanceof Error ? out.error.message : String(out.error);
      host.log(`BIOS: disk ${drive.number.toString(16)}h ${write ? 'write' : 'read'} of ${n} sectors at ${lba} failed: ${what}`);
      return { status: DiskStatus.Timeout, done: 0 };
    }
    if (!write) writeBytes(host, linear, out.buffer);
    return { status: n < count ? DiskStatus.SectorNotFound : DiskStatus.Ok, done: n };
  }
}

function sectorCount(drive: Drive): number {
  return drive.sectors;
}

function verify(drive: Drive, lba: number, count: number): Transfer {
  const n = Math.max(0, Math.min(count, sectorCount(drive) - lba));
  return { status: n < count ? DiskStatus.SectorNotFound : DiskStatus.Ok, done: n };
}

/**
 * The drive INT 13h means by DL: floppies 00h/01h, hard disks 80h+, CD-ROMs E0h+. While a CD boots with
 * El Torito emulation, the emulated disk takes 00h or 80h and the real drives of that kind move up by one.
 */
function findDrive(host: FirmwareHost, dl: number): Drive | undefined {
  if (dl >= CD_DRIVE_BASE) {
    const dev = host.cdroms[dl - CD_DRIVE_BASE];
    if (!dev) return undefined;
    const sectors = Math.floor(dev.size / CD_SECTOR);
    return { number: dl, dev, geometry: { cylinders: 0, heads: 0, sectors: 0 }, floppy: false, cd: true, sectorSize: CD_SECTOR, base: 0, sectors };
  }
  const emulation = activeEmulation(host);
  const emulatedHd = emulation?.media === CdMedia.HardDisk;
  if (emulation && dl === emulation.drive) {
    const dev = host.cdroms[emulation.cdrom];
    if (!dev) return undefined;
    const g = emulation.geometry;
    const sectors = Math.max(0, Math.min(g.cylinders * g.heads * g.sectors, Math.floor((dev.size - emulation.base) / 512)));
    return { number: dl, dev, geometry: g, floppy: !emulatedHd, cd: false, sectorSize: 512, base: emulation.base, sectors };
  }
  const shift = emulation && (dl < 0x80) === !emulatedHd ? 1 : 0;
  if (dl < 0x80) {
    const dev = dl - shift < 2 ? host.floppies[dl - shift] : undefined;
    return dev && { number: dl, dev, geometry: floppyFormat(dev.size), floppy: true, cd: false, sectorSize: 512, base: 0, sectors: Math.floor(dev.size / 512) };
  }
  const index = dl - 0x80 - shift;
  const dev = host.hardDisks[index];
  if (!dev) return undefined;
  const geometry = fdptGeometry(host, index) ?? hardDiskGeometry(dev.size);
  return { number: dl, dev, geometry, floppy: false, cd: false, sectorSize: 512, base: 0, sectors: Math.floor(dev.size / 512) };
}

function fdptGeometry(host: FirmwareHost, index: number): Geometry | undefined {
  if (index >= FDPT_DISKS) return undefined;
  const fdpt = (bda16(host, Bda.EbdaSegment) << 4) + EBDA_FDPT + index * 16;
  const cylinders = host.memory.read16(fdpt);
  const heads = host.memory.read8(fdpt + 2);
  const sectors = host.memory.read8(fdpt + 14);
  return cylinders && heads && sectors ? { cylinders, heads, sectors } : undefined;
}

/** A fixed-disk parameter table (IBM AT layout) holding the logical geometry. */
function writeFdpt(host: FirmwareHost, addr: number, g: Geometry): void {
  const mem = host.memory;
  for (let i = 0; i < 16; i++) mem.write8(addr + i, 0);
  mem.write16(addr, Math.min(g.cylinders, 0xffff));
  mem.write8(addr + 2, g.heads);
  mem.write16(addr + 5, 0xffff); // no write precompensation
  mem.write8(addr + 8, g.heads > 8 ? 0x08 : 0x00);
  mem.write16(addr + 12, Math.min(g.cylinders, 0xffff)); // landing zone
  mem.write8(addr + 14, g.sectors);
}

/** AH=08h: drive parameters (the last addressable cylinder, at most 1023, in CH and CL bits 6-7). */
function driveParameters(host: FirmwareHost, dl: number, drive: Drive | undefined, finish: (status: number) => boolean): boolean {
  const cpu = host.cpu;
  // An El Torito emulated disk counts as one more drive of its kind.
  const emulation = activeEmulation(host);
  const emulatedHd = emulation?.media === CdMedia.HardDisk ? 1 : 0;
  const floppies = Math.min(2, host.floppies.slice(0, 2).filter(Boolean).length + (emulation ? 1 - emulatedHd : 0));
  const disks = host.hardDisks.filter(Boolean).length + emulatedHd;
  if (!drive) {
    cpu.set8(Reg8.DL, dl < 0x80 ? floppies : disks);
    return finish(DiskStatus.BadCommand);
  }
  const g = drive.geometry;
  const maxCylinder = Math.min(g.cylinders, 1024) - 1;
  cpu.set16(Reg.EAX, 0);
  cpu.set8(Reg8.CH, maxCylinder & 0xff);
  cpu.set8(Reg8.CL, (g.sectors & 0x3f) | ((maxCylinder >> 2) & 0xc0));
  cpu.set8(Reg8.DH, g.heads - 1);
  if (drive.floppy) {
    cpu.set8(Reg8.BL, floppyFormat(drive.sectors * 512).driveType);
    cpu.set8(Reg8.DL, floppies);
    cpu.setSegReal(Seg.ES, ROM_SEGMENT);
    cpu.set16(Reg.EDI, Entry.disketteParams);
  } else cpu.set8(Reg8.DL, disks);
  return finish(DiskStatus.Ok);
}

/** AH=48h: EDD drive parameters into the caller's buffer at DS:SI, as long as the buffer says it may be. */
function eddParameters(host: FirmwareHost, drive: Drive): number {
  const cpu = host.cpu;
  const mem = host.memory;
  const buf = physical(host, cpu.getSeg(Seg.DS), cpu.get16(Reg.ESI));
  const room = mem.read16(buf);
  if (room < 0x1a) return DiskStatus.BadCommand;
  const size = room >= 0x4a ? 0x4a : room >= 0x42 ? 0x42 : room >= 0x1e ? 0x1e : 0x1a;
  const g = drive.geometry;
  const total = sectorCount(drive);
  mem.write16(buf, size);
  // DMA boundaries handled, CHS valid; a CD: removable, change line, lockable, CHS not meaningful (max).
  mem.write16(buf + 2, drive.cd ? 0x0075 : 0x0003);
  mem.write32(buf + 4, g.cylinders);
  mem.write32(buf + 8, g.heads);
  mem.write32(buf + 12, g.sectors);
  mem.write32(buf + 16, total % 2 ** 32);
  mem.write32(buf + 20, Math.floor(total / 2 ** 32));
  mem.write16(buf + 24, drive.sectorSize);
  if (size >= 0x1e) mem.write32(buf + 26, 0xffffffff); // no DPTE
  if (size >= 0x42) {
    // EDD 3.0 device path: ISA host bus, ATA (ATAPI for a CD) at the legacy port of the drive's position:
    // hard disks on the primary channel, CD-ROMs from the secondary master on.
    const index = drive.cd ? 2 + drive.number - CD_DRIVE_BASE : drive.number - 0x80;
    const bytes = new Uint8Array(size - 0x1e);
    bytes[0] = 0xdd;
    bytes[1] = 0xbe;
    bytes[2] = size - 0x1e;
    bytes.set(Array.from(drive.cd ? 'ISA ATAPI   ' : 'ISA ATA     ', (c) => c.charCodeAt(0)), 0x24 - 0x1e);
    const port = index < 2 ? 0x1f0 : 0x170;
    bytes[0x30 - 0x1e] = port & 0xff;
    bytes[0x31 - 0x1e] = port >> 8;
    bytes[0x38 - 0x1e] = index & 1; // master or slave
    let sum = 0;
    for (let i = 0; i < bytes.length - 1; i++) sum += bytes[i];
    bytes[bytes.length - 1] = -sum & 0xff;
    mem.writeBytes(buf + 0x1e, bytes);
  }
  return DiskStatus.Ok;
}
