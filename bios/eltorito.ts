/**
 * El Torito (the "Bootable CD-ROM Format Specification" 1.0, Phoenix/IBM 1995): the boot record volume
 * descriptor at sector 17, the boot catalog it points to, and the boot image its initial entry names —
 * loaded as is ("no emulation", drive E0h) or standing in for a floppy or a hard disk ("emulation", drive
 * 00h or 80h). What the BIOS decided at boot is kept in the EBDA as the specification packet INT 13h
 * AH=4Bh returns, so INT 13h finds the emulated drive there and a snapshot keeps it.
 */
import { Flag, Reg, Reg8, Seg, type BlockDevice, type FirmwareHost } from '../core/index.js';
import { hardDiskGeometry, type Geometry } from './geometry.js';
import { Bda, bda16, physical, setResultFlag, setStatus } from './guest.js';

export const CD_SECTOR = 2048;
/** Drive numbers INT 13h gives the CD-ROM drives (cdroms[0] = E0h). */
export const CD_DRIVE_BASE = 0xe0;
/** EBDA offset of the specification packet of the CD we booted (13h bytes); byte 0 = 13h while emulation is active. */
export const EBDA_CD_PACKET = 0x90;
const PACKET_SIZE = 0x13;

export const enum CdMedia {
  NoEmulation = 0,
  Floppy12 = 1,
  Floppy144 = 2,
  Floppy288 = 3,
  HardDisk = 4,
}

/** The boot entry of a CD, as the catalog's initial/default entry describes it. */
export interface CdBootEntry {
  media: CdMedia;
  /** Real-mode segment the image goes to (07C0h when the catalog says 0). */
  loadSegment: number;
  /** Virtual (512-byte) sectors to load, for no emulation. */
  sectorCount: number;
  /** 2048-byte sector (relative block address) where the image starts. */
  rba: number;
}

/** What the boot loads: the bytes for the load segment, and the drive it runs as. */
export interface CdBoot {
  entry: CdBootEntry;
  image: Uint8Array;
  drive: number;
  /** Logical geometry of an emulated disk (the packet's bytes 10h–12h); zeros for no emulation. */
  geometry: Geometry;
}

/** Floppy geometries of the emulation media types 1–3. */
const EMULATED_FLOPPIES: Record<number, Geometry> = {
  [CdMedia.Floppy12]: { cylinders: 80, heads: 2, sectors: 15 },
  [CdMedia.Floppy144]: { cylinders: 80, heads: 2, sectors: 18 },
  [CdMedia.Floppy288]: { cylinders: 80, heads: 2, sectors: 36 },
};

const ascii = (b: Uint8Array, from: number, length: number) => String.fromCharCode(...b.subarray(from, from + length));
const u16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;

/** The boot catalog's sector from the boot record volume descriptor (sector 17); throws what is wrong with it. */
export function parseBootRecord(sector: Uint8Array): number {
  if (sector[0] !== 0 || ascii(sector, 1, 5) !== 'CD001' || sector[6] !== 1) throw new Error('sector 17 is not a boot record volume descriptor');
  if (ascii(sector, 7, 23) !== 'EL TORITO SPECIFICATION') throw new Error('the boot record is not El Torito');
  return u32(sector, 0x47);
}

/** The initial/default entry of a boot catalog; throws what is wrong with it. */
export function parseCatalog(catalog: Uint8Array): CdBootEntry {
  if (catalog[0] !== 1 || catalog[0x1e] !== 0x55 || catalog[0x1f] !== 0xaa) throw new Error('the boot catalog has no validation entry');
  let sum = 0;
  for (let i = 0; i < 0x20; i += 2) sum += u16(catalog, i);
  if (sum & 0xffff) throw new Error('the boot catalog validation entry has a bad checksum');
  const e = 0x20;
  if (catalog[e] !== 0x88) throw new Error('the boot catalog entry is not bootable');
  const media = catalog[e + 1] & 0x0f;
  if (media > CdMedia.HardDisk) throw new Error(`unknown boot media type ${media}`);
  return { media, loadSegment: u16(catalog, e + 2) || 0x07c0, sectorCount: u16(catalog, e + 6), rba: u32(catalog, e + 8) };
}

async function readAt(dev: BlockDevice, offset: number, length: number): Promise<Uint8Array> {
  if (offset + length > dev.size) throw new Error(`the image ends before byte ${offset + length}`);
  const bytes = new Uint8Array(length);
  await dev.read(offset, bytes);
  return bytes;
}

/**
 * Reads what booting `dev` needs (boot record, catalog, image). Touches no guest state, so it can run while
 * the machine goes on (async-io.ts). Throws a message for the log when the CD does not boot.
 */
export async function readCdBoot(dev: BlockDevice, driveIndex: number): Promise<CdBoot> {
  const catalogSector = parseBootRecord(await readAt(dev, 17 * CD_SECTOR, CD_SECTOR));
  const entry = parseCatalog(await readAt(dev, catalogSector * CD_SECTOR, CD_SECTOR));
  const start = entry.rba * CD_SECTOR;
  if (entry.media === CdMedia.NoEmulation) {
    const bytes = Math.max(1, entry.sectorCount) * 512;
    if (entry.loadSegment * 16 + bytes > 0xa0000) throw new Error('the boot image does not fit below 640 KiB');
    const image = await readAt(dev, start, Math.min(bytes, dev.size - start));
    return { entry, image, drive: CD_DRIVE_BASE + driveIndex, geometry: { cylinders: 0, heads: 0, sectors: 0 } };
  }
  const image = await readAt(dev, start, 512);
  if (entry.media === CdMedia.HardDisk) {
    return { entry: { ...entry, loadSegment: 0x07c0 }, image, drive: 0x80, geometry: hardDiskGeometry(dev.size - start, image) };
  }
  return { entry: { ...entry, loadSegment: 0x07c0 }, image, drive: 0x00, geometry: EMULATED_FLOPPIES[entry.media] };
}

function packetAddress(host: FirmwareHost): number {
  return (bda16(host, Bda.EbdaSegment) << 4) + EBDA_CD_PACKET;
}

/** Records the boot in the EBDA as the specification packet (El Torito §5.3 / table 13). */
export function writeCdPacket(host: FirmwareHost, boot: CdBoot, driveIndex: number): void {
  const mem = host.memory;
  const at = packetAddress(host);
  const g = boot.geometry;
  const lastCylinder = Math.max(0, Math.min(g.cylinders, 1024) - 1);
  mem.write8(at, PACKET_SIZE);
  mem.write8(at + 1, boot.entry.media | 0x40); // ATAPI drive
  mem.write8(at + 2, boot.drive);
  mem.write8(at + 3, driveIndex >> 1); // controller (two drives per IDE channel)
  mem.write32(at + 4, boot.entry.rba);
  mem.write16(at + 8, driveIndex & 1); // master or slave
  mem.write16(at + 0x0a, 0); // no user cache buffer
  mem.write16(at + 0x0c, boot.entry.loadSegment);
  mem.write16(at + 0x0e, boot.entry.sectorCount);
  mem.write8(at + 0x10, lastCylinder & 0xff);
  mem.write8(at + 0x11, (g.sectors & 0x3f) | ((lastCylinder >> 2) & 0xc0));
  mem.write8(at + 0x12, Math.max(0, g.heads - 1));
}

/** The emulation in force: which drive number stands for which part of which CD. */
export interface CdEmulation {
  media: CdMedia;
  drive: number;
  /** Index into host.cdroms. */
  cdrom: number;
  /** Byte offset of the emulated disk in the CD image. */
  base: number;
  geometry: Geometry;
}

/** The emulated floppy or hard disk, if a CD was booted with emulation and it has not been terminated. */
export function activeEmulation(host: FirmwareHost): CdEmulation | undefined {
  const mem = host.memory;
  const at = packetAddress(host);
  if (mem.read8(at) !== PACKET_SIZE) return undefined;
  const media = mem.read8(at + 1) & 0x0f;
  if (media === CdMedia.NoEmulation || media > CdMedia.HardDisk) return undefined;
  const cl = mem.read8(at + 0x11);
  const geometry = { cylinders: (mem.read8(at + 0x10) | ((cl & 0xc0) << 2)) + 1, heads: mem.read8(at + 0x12) + 1, sectors: cl & 0x3f };
  const cdrom = mem.read8(at + 3) * 2 + (mem.read16(at + 8) & 1);
  return { media, drive: mem.read8(at + 2), cdrom, base: mem.read32(at + 4) * CD_SECTOR, geometry };
}

/** INT 13h AH=4Bh: AL=00h terminate emulation and return the packet, 01h return it only; at DS:SI. */
export function int13Eltorito(host: FirmwareHost): void {
  const cpu = host.cpu;
  const al = cpu.get8(Reg8.AL);
  const mem = host.memory;
  const at = packetAddress(host);
  if ((al !== 0x00 && al !== 0x01) || mem.read8(at) !== PACKET_SIZE) return setStatus(host, 0x01);
  const dest = physical(host, cpu.getSeg(Seg.DS), cpu.get16(Reg.ESI));
  for (let i = 0; i < PACKET_SIZE; i++) mem.write8(dest + i, mem.read8(at + i));
  // Terminating an emulation hands its drive number back to the real drive; no emulation has nothing to end.
  if (al === 0x00 && (mem.read8(at + 1) & 0x0f) !== CdMedia.NoEmulation) mem.write8(at, 0);
  cpu.set8(Reg8.AH, 0);
  setResultFlag(host, Flag.CF, false);
}
