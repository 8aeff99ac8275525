/** Disk geometry (CHS) from an image: floppies by their standard formats, hard disks by translation or MBR. */

export interface Geometry {
  cylinders: number;
  heads: number;
  sectors: number;
}

export interface FloppyFormat extends Geometry {
  bytes: number;
  /** Drive type as INT 13h AH=08h reports it in BL (1 360K, 2 1.2M, 3 720K, 4 1.44M, 6 2.88M). */
  driveType: number;
}

const f = (kib: number, cylinders: number, heads: number, sectors: number, driveType: number): FloppyFormat => ({
  bytes: kib * 1024,
  cylinders,
  heads,
  sectors,
  driveType,
});

/** Standard formats, smallest first. */
export const FLOPPY_FORMATS: readonly FloppyFormat[] = [
  f(160, 40, 1, 8, 1),
  f(180, 40, 1, 9, 1),
  f(320, 40, 2, 8, 1),
  f(360, 40, 2, 9, 1),
  f(720, 80, 2, 9, 3),
  f(1200, 80, 2, 15, 2),
  f(1440, 80, 2, 18, 4),
  f(1680, 80, 2, 21, 4), // DMF
  f(2880, 80, 2, 36, 6),
];

/** The smallest standard format that holds the image (a truncated image keeps its format; reads past its end fail). */
export function floppyFormat(size: number): FloppyFormat {
  return FLOPPY_FORMATS.find((fmt) => size <= fmt.bytes) ?? FLOPPY_FORMATS[FLOPPY_FORMATS.length - 1];
}

/**
 * A hard disk's logical geometry: the heads and sectors per track its MBR's partitions were laid out with
 * when they agree with their own LBA fields, else 16 heads × 63 sectors up to 504 MiB and LBA-assisted
 * translation (32/64/128/255 heads) beyond. Cylinders: whole cylinders of the image, at least one.
 */
export function hardDiskGeometry(size: number, mbr?: Uint8Array): Geometry {
  const total = Math.floor(size / 512);
  let hs = mbr ? geometryFromMbr(mbr) : undefined;
  if (!hs) {
    const heads = total <= 1024 * 16 * 63 ? 16 : total <= 1024 * 32 * 63 ? 32 : total <= 1024 * 64 * 63 ? 64 : total <= 1024 * 128 * 63 ? 128 : 255;
    hs = { heads, sectors: 63 };
  }
  const cylinders = Math.max(1, Math.floor(total / (hs.heads * hs.sectors)));
  return { cylinders, ...hs };
}

function geometryFromMbr(mbr: Uint8Array): { heads: number; sectors: number } | undefined {
  if (mbr.length < 512 || mbr[510] !== 0x55 || mbr[511] !== 0xaa) return undefined;
  for (let i = 0; i < 4; i++) {
    const e = 446 + i * 16;
    if (mbr[e + 4] === 0) continue;
    const endHead = mbr[e + 5];
    const endSector = mbr[e + 6] & 0x3f;
    const endCylinder = ((mbr[e + 6] & 0xc0) << 2) | mbr[e + 7];
    const start = mbr[e + 8] | (mbr[e + 9] << 8) | (mbr[e + 10] << 16) | (mbr[e + 11] * 2 ** 24);
    const count = mbr[e + 12] | (mbr[e + 13] << 8) | (mbr[e + 14] << 16) | (mbr[e + 15] * 2 ** 24);
    const heads = endHead + 1;
    const sectors = endSector;
    if (sectors === 0 || count === 0) continue;
    // The end CHS must name the partition's last sector, unless the cylinder was clipped at 1023.
    const endLba = (endCylinder * heads + endHead) * sectors + endSector - 1;
    if (endLba === start + count - 1 || endCylinder === 1023) return { heads, sectors };
  }
  return undefined;
}
