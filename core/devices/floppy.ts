/**
 * Floppy media: which geometry an image of a given size has, and the data rates that read it. The FDC
 * (fdc82077.ts) uses this to answer reads with the address marks the guest would find on real media.
 */

/** Data rate codes of the FDC's DSR/CCR bits 0-1. */
export const enum DataRate {
  Kbps500 = 0,
  Kbps300 = 1,
  Kbps250 = 2,
  Mbps1 = 3,
}

export interface FloppyGeometry {
  readonly cylinders: number;
  readonly heads: number;
  readonly sectors: number;
  /** Bit per DataRate that reads this media (360K media reads at 300 kbps in a 1.2M drive, 250 in a 360K one). */
  readonly rates: number;
}

const R250 = 1 << DataRate.Kbps250;
const R300 = 1 << DataRate.Kbps300;
const R500 = 1 << DataRate.Kbps500;
const R1M = 1 << DataRate.Mbps1;

/** The standard PC formats, smallest first. All use 512-byte MFM sectors. */
const GEOMETRIES: readonly FloppyGeometry[] = [
  { cylinders: 40, heads: 1, sectors: 8, rates: R250 | R300 }, // 160K
  { cylinders: 40, heads: 1, sectors: 9, rates: R250 | R300 }, // 180K
  { cylinders: 40, heads: 2, sectors: 8, rates: R250 | R300 }, // 320K
  { cylinders: 40, heads: 2, sectors: 9, rates: R250 | R300 }, // 360K
  { cylinders: 80, heads: 2, sectors: 9, rates: R250 }, // 720K
  { cylinders: 80, heads: 2, sectors: 15, rates: R500 }, // 1.2M
  { cylinders: 80, heads: 2, sectors: 18, rates: R500 }, // 1.44M
  { cylinders: 80, heads: 2, sectors: 36, rates: R1M }, // 2.88M
];

export const SECTOR_SIZE = 512;

/** The geometry of an image: an exact standard size, else the smallest format that holds it; undefined past 2.88M. */
export function floppyGeometry(size: number): FloppyGeometry | undefined {
  const capacity = (g: FloppyGeometry) => g.cylinders * g.heads * g.sectors * SECTOR_SIZE;
  return GEOMETRIES.find((g) => capacity(g) === size) ?? GEOMETRIES.find((g) => capacity(g) >= size);
}
