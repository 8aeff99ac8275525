import { describe, expect, it } from 'vitest';
import { floppyFormat, hardDiskGeometry } from './geometry.js';

describe('floppy geometry from the image size', () => {
  const cases: [number, number, number, number][] = [
    [160, 40, 1, 8],
    [180, 40, 1, 9],
    [320, 40, 2, 8],
    [360, 40, 2, 9],
    [720, 80, 2, 9],
    [1200, 80, 2, 15],
    [1440, 80, 2, 18],
    [2880, 80, 2, 36],
  ];
  for (const [kib, c, h, s] of cases) {
    it(`${kib} KiB → ${c}/${h}/${s}`, () => {
      expect(floppyFormat(kib * 1024)).toMatchObject({ cylinders: c, heads: h, sectors: s });
    });
  }

  it('gives a truncated image the format it was cut from', () => {
    expect(floppyFormat(1474560 - 51200)).toMatchObject({ cylinders: 80, heads: 2, sectors: 18 });
    expect(floppyFormat(1000)).toMatchObject({ cylinders: 40, heads: 1, sectors: 8 });
  });
});

describe('hard disk geometry', () => {
  it('uses 16 heads × 63 sectors up to 504 MiB', () => {
    expect(hardDiskGeometry(10 * 1024 * 1024)).toEqual({ cylinders: 20, heads: 16, sectors: 63 });
    expect(hardDiskGeometry(64 * 1024)).toEqual({ cylinders: 1, heads: 16, sectors: 63 });
  });

  it('uses LBA-assisted translation above', () => {
    expect(hardDiskGeometry(1024 * 1024 * 1024)).toMatchObject({ heads: 64, sectors: 63 });
    expect(hardDiskGeometry(8 * 1024 * 1024 * 1024)).toMatchObject({ heads: 255, sectors: 63, cylinders: 1044 });
  });

  it('takes heads and sectors from an MBR whose partition agrees with itself', () => {
    const mbr = new Uint8Array(512);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    // One partition laid out with 4 heads × 32 sectors, ending where cylinder 312 ends, as partitioning
    // tools do: LBA 32 .. 40063 = (312*4 + 3)*32 + 31; its end CHS says cylinder 312, head 3, sector 32.
    const e = 446;
    mbr[e + 4] = 0x06;
    mbr[e + 5] = 3;
    mbr[e + 6] = 32 | ((312 >> 8) << 6);
    mbr[e + 7] = 312 & 0xff;
    new DataView(mbr.buffer).setUint32(e + 8, 32, true);
    new DataView(mbr.buffer).setUint32(e + 12, 40032, true);
    expect(hardDiskGeometry(40064 * 512, mbr)).toEqual({ cylinders: 313, heads: 4, sectors: 32 });
    // An inconsistent entry is ignored: the standard translation applies.
    mbr[e + 5] = 7;
    expect(hardDiskGeometry(40064 * 512, mbr)).toMatchObject({ heads: 16, sectors: 63 });
  });
});
