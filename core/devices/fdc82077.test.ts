import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice, type BlockDevice } from '../block.js';
import { IoBus } from '../io.js';
import { PhysicalMemory } from '../memory.js';
import { Dma8237 } from './dma8237.js';
import { Fdc82077 } from './fdc82077.js';

const FIFO = 0x3f5;
const MSR = 0x3f4;
const DOR = 0x3f2;
const DIR = 0x3f7;
const SIZE_144 = 1_474_560;

/** A 1.44M image whose every byte tells its sector: byte i of LBA n is (n * 7 + i) & 0xff. */
function image(size = SIZE_144, readOnly = false): MemoryBlockDevice {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = ((i >> 9) * 7 + (i & 511)) & 0xff;
  return new MemoryBlockDevice(data, readOnly);
}

function sectorBytes(lba: number): number[] {
  return Array.from({ length: 512 }, (_, i) => (lba * 7 + i) & 0xff);
}

function setup(disks: (BlockDevice | undefined)[] = [image()]) {
  const io = new IoBus();
  const memory = new PhysicalMemory(1 << 20);
  const dma = new Dma8237({ io, memory });
  const levels: boolean[] = [];
  let irq = false;
  const fdc = new Fdc82077({ io, dma, disks, irq: (level) => {
    irq = level;
    levels.push(level);
  } });
  const cmd = (...bytes: number[]) => {
    for (const b of bytes) {
      expect(io.read8(MSR) & 0xc0, 'RQM set, DIO clear before a command byte').toBe(0x80);
      io.write8(FIFO, b);
    }
  };
  const results = () => {
    const out: number[] = [];
    while ((io.read8(MSR) & 0xd0) === 0xd0) out.push(io.read8(FIFO));
    return out;
  };
  const sense = () => {
    cmd(0x08);
    return results();
  };
  /** Programs DMA channel 2 for `bytes` bytes at `address`; mode 46h = write to memory, 4Ah = read from memory. */
  const dmaSetup = (address: number, bytes: number, toMemory: boolean) => {
    io.write8(0x0a, 0x06);
    io.write8(0x0c, 0);
    io.write8(0x04, address & 0xff);
    io.write8(0x04, (address >> 8) & 0xff);
    io.write8(0x81, address >> 16);
    io.write8(0x05, (bytes - 1) & 0xff);
    io.write8(0x05, (bytes - 1) >> 8);
    io.write8(0x0b, toMemory ? 0x46 : 0x4a);
    io.write8(0x0a, 0x02);
  };
  const irqNow = () => irq;
  return { io, memory, dma, fdc, cmd, results, sense, dmaSetup, irqNow, levels };
}

/** Seeks drive 0 to `cylinder` and senses the interrupt. */
function seekTo(t: ReturnType<typeof setup>, cylinder: number, head = 0) {
  t.cmd(0x0f, head << 2, cylinder);
  return t.sense();
}

describe('Fdc82077 registers and housekeeping commands', () => {
  it('a DOR reset interrupts, then reports a polling status per drive', () => {
    const t = setup();
    t.io.write8(DOR, 0x00);
    expect(t.io.read8(MSR)).toBe(0);
    expect(t.irqNow()).toBe(false);
    t.io.write8(DOR, 0x0c);
    expect(t.irqNow()).toBe(true);
    expect(t.io.read8(MSR)).toBe(0x80);
    expect([t.sense(), t.sense(), t.sense(), t.sense()]).toEqual([[0xc0, 0], [0xc1, 0], [0xc2, 0], [0xc3, 0]]);
    expect(t.irqNow()).toBe(false);
    expect(t.sense()).toEqual([0x80]); // nothing pending: invalid
  });

  it('the interrupt reaches the bus only with the DOR DMA gate set', () => {
    const t = setup();
    t.io.write8(DOR, 0x00);
    t.io.write8(DOR, 0x04);
    expect(t.irqNow()).toBe(false);
    t.io.write8(DOR, 0x0c);
    expect(t.irqNow()).toBe(true);
  });

  it('DSR bit 7 is a software reset', () => {
    const t = setup();
    t.io.write8(MSR, 0x80);
    expect(t.irqNow()).toBe(true);
    expect(t.sense()).toEqual([0xc0, 0]);
  });

  it('answers VERSION, LOCK, CONFIGURE, PERPENDICULAR, SPECIFY and DUMPREG', () => {
    const t = setup();
    t.cmd(0x10);
    expect(t.results()).toEqual([0x90]);
    t.cmd(0x03, 0xaf, 0x02);
    t.cmd(0x13, 0x00, 0x57, 0x05);
    t.cmd(0x12, 0x80 | (0x3 << 2));
    t.cmd(0x94);
    expect(t.results()).toEqual([0x10]);
    seekTo(t, 7);
    t.cmd(0x0e);
    expect(t.results()).toEqual([7, 0, 0, 0, 0xaf, 0x02, 0, 0x80 | 0x0c, 0x57, 0x05]);
    // LOCK keeps CONFIGURE across a reset; unlocked it goes back to the default.
    t.io.write8(MSR, 0x80);
    t.cmd(0x0e);
    expect(t.results()[8]).toBe(0x57);
    t.cmd(0x14);
    expect(t.results()).toEqual([0x00]);
    t.io.write8(MSR, 0x80);
    for (let i = 0; i < 4; i++) t.sense();
    t.cmd(0x0e);
    expect(t.results()[8]).toBe(0x20);
  });

  it('rejects unknown commands with ST0 80h and no interrupt', () => {
    const t = setup();
    t.io.write8(FIFO, 0x1f);
    expect(t.io.read8(MSR) & 0xd0).toBe(0xd0);
    expect(t.results()).toEqual([0x80]);
    t.io.write8(FIFO, 0x25); // WRITE DATA does not take SK
    expect(t.results()).toEqual([0x80]);
    expect(t.irqNow()).toBe(false);
  });

  it('seeks and recalibrates, with drive-busy bits until sensed', () => {
    const t = setup();
    t.cmd(0x0f, 0x04, 40);
    expect(t.irqNow()).toBe(true);
    expect(t.io.read8(MSR)).toBe(0x81);
    expect(t.sense()).toEqual([0x24, 40]);
    expect(t.io.read8(MSR)).toBe(0x80);
    expect(t.irqNow()).toBe(false);
    t.cmd(0x8f | 0x40, 0x00, 3); // relative seek, 3 inward
    expect(t.sense()).toEqual([0x20, 43]);
    t.cmd(0x07, 0x00);
    expect(t.sense()).toEqual([0x20, 0]);
    t.cmd(0x04, 0x00);
    expect(t.results()).toEqual([0x38]); // track 0, bits 5 and 3 set
    t.cmd(0x07, 0x01); // drive B not installed: equipment check
    expect(t.sense()).toEqual([0x71, 0]);
  });

  it('the disk-change line stays until a step with the disk in the drive', () => {
    const t = setup();
    expect(t.io.read8(DIR) & 0x80).toBe(0x80);
    seekTo(t, 0); // no step: still changed
    expect(t.io.read8(DIR) & 0x80).toBe(0x80);
    seekTo(t, 1);
    expect(t.io.read8(DIR) & 0x80).toBe(0);
    t.fdc.insertDisk(0, image());
    expect(t.io.read8(DIR) & 0x80).toBe(0x80);
  });

  it('reports write protection in ST3', () => {
    const t = setup([image(SIZE_144, true)]);
    t.cmd(0x04, 0x00);
    expect(t.results()).toEqual([0x78]);
  });
});

describe('Fdc82077 data transfers', () => {
  it('reads sectors by DMA into memory and stops at terminal count', () => {
    const t = setup();
    seekTo(t, 1, 1);
    t.dmaSetup(0x12000, 1024, true);
    t.cmd(0xe6, 0x04, 1, 1, 3, 2, 18, 0x1b, 0xff);
    expect(t.irqNow()).toBe(true);
    expect(t.results()).toEqual([0x04, 0, 0, 1, 1, 5, 2]);
    expect(t.irqNow()).toBe(false);
    const lba = (1 * 2 + 1) * 18 + 2; // C1 H1 R3
    expect(Array.from(t.memory.readBytes(0x12000, 512))).toEqual(sectorBytes(lba));
    expect(Array.from(t.memory.readBytes(0x12200, 512))).toEqual(sectorBytes(lba + 1));
  });

  it('reading to EOT without terminal count ends with end of cylinder', () => {
    const t = setup();
    t.dmaSetup(0x10000, 4096, true);
    t.cmd(0x46, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff);
    expect(t.results()).toEqual([0x40, 0x80, 0, 1, 0, 1, 2]);
    expect(Array.from(t.memory.readBytes(0x10200, 512))).toEqual(sectorBytes(17));
  });

  it('multi-track reads go on to side 1', () => {
    const t = setup();
    t.dmaSetup(0x10000, 1024, true);
    t.cmd(0xc6, 0x00, 0, 0, 18, 2, 18, 0x1b, 0xff);
    expect(t.results()).toEqual([0x04, 0, 0, 0, 1, 2, 2]);
    expect(Array.from(t.memory.readBytes(0x10200, 512))).toEqual(sectorBytes(18));
  });

  it('at terminal count on EOT the result points at the next cylinder', () => {
    const t = setup();
    t.dmaSetup(0x10000, 512, true);
    t.cmd(0x46, 0x00, 0, 0, 18, 2, 18, 0x1b, 0xff);
    expect(t.results()).toEqual([0x00, 0, 0, 1, 0, 1, 2]);
  });

  it('waits for a masked DMA channel and goes on when the guest unmasks it', () => {
    const t = setup();
    t.dmaSetup(0x10000, 512, true);
    t.io.write8(0x0a, 0x06);
    t.cmd(0x46, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    expect(t.io.read8(MSR)).toBe(0x10);
    t.io.write8(0x0a, 0x02);
    expect(t.results()).toEqual([0x00, 0, 0, 0, 0, 2, 2]);
    expect(Array.from(t.memory.readBytes(0x10000, 512))).toEqual(sectorBytes(0));
  });

  it('reads in non-DMA mode through the FIFO, an interrupt per byte', () => {
    const t = setup();
    t.cmd(0x03, 0xdf, 0x03); // ND = 1
    seekTo(t, 2);
    t.cmd(0x46, 0x00, 2, 0, 18, 2, 18, 0x1b, 0xff);
    const bytes: number[] = [];
    while (t.io.read8(MSR) === 0xf0) {
      expect(t.irqNow()).toBe(true);
      bytes.push(t.io.read8(FIFO));
    }
    expect(bytes).toEqual(sectorBytes(2 * 36 + 17));
    expect(t.results()).toEqual([0x40, 0x80, 0, 3, 0, 1, 2]);
  });

  it('writes sectors by DMA and in non-DMA mode', () => {
    const disk = image();
    const t = setup([disk]);
    t.memory.writeBytes(0x20000, Uint8Array.from({ length: 1024 }, (_, i) => (i * 3) & 0xff));
    t.dmaSetup(0x20000, 1024, false);
    t.cmd(0x45, 0x00, 0, 0, 5, 2, 18, 0x1b, 0xff);
    expect(t.results()).toEqual([0x00, 0, 0, 0, 0, 7, 2]);
    expect(Array.from(disk.data.subarray(4 * 512, 6 * 512))).toEqual(Array.from({ length: 1024 }, (_, i) => (i * 3) & 0xff));
    t.cmd(0x03, 0xdf, 0x03);
    t.cmd(0x45, 0x00, 0, 0, 18, 2, 18, 0x1b, 0xff);
    for (let i = 0; i < 512; i++) {
      expect(t.io.read8(MSR)).toBe(0xb0);
      t.io.write8(FIFO, 0x5a);
    }
    expect(t.results()).toEqual([0x40, 0x80, 0, 1, 0, 1, 2]);
    expect(disk.data.subarray(17 * 512, 18 * 512).every((b) => b === 0x5a)).toBe(true);
  });

  it('refuses to write a write-protected disk (ST1 NW)', () => {
    const disk = image(SIZE_144, true);
    const t = setup([disk]);
    t.dmaSetup(0x20000, 512, false);
    t.cmd(0x45, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    expect(t.results()).toEqual([0x40, 0x02, 0, 0, 0, 1, 2]);
    expect(disk.data[0]).toBe(0);
  });

  it('finds no sector past the last one, on the wrong cylinder, or at the wrong data rate', () => {
    const t = setup();
    t.dmaSetup(0x10000, 512, true);
    t.cmd(0x46, 0x00, 0, 0, 19, 2, 19, 0x1b, 0xff);
    expect(t.results()).toEqual([0x40, 0x04, 0, 0, 0, 19, 2]);
    t.cmd(0x46, 0x00, 5, 0, 1, 2, 18, 0x1b, 0xff);
    expect(t.results()).toEqual([0x40, 0x04, 0x10, 5, 0, 1, 2]);
    t.io.write8(DIR, 0x02); // 250 kbps: a 1.44M disk shows no address marks
    t.cmd(0x46, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    expect(t.results()).toEqual([0x40, 0x01, 0, 0, 0, 1, 2]);
    t.io.write8(DIR, 0x00);
    t.cmd(0x06, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff); // FM: no address marks on MFM media
    expect(t.results()).toEqual([0x40, 0x01, 0, 0, 0, 1, 2]);
    seekTo(t, 80); // past the last cylinder
    t.cmd(0x46, 0x00, 80, 0, 1, 2, 18, 0x1b, 0xff);
    expect(t.results()[1]).toBe(0x01);
  });

  it('reads 720K media at 250 kbps and an empty drive has no address marks', () => {
    const t = setup([image(737_280), undefined]);
    t.io.write8(DIR, 0x02);
    t.dmaSetup(0x10000, 512, true);
    t.cmd(0x46, 0x00, 0, 0, 9, 2, 9, 0x1b, 0xff);
    expect(t.results()).toEqual([0x00, 0, 0, 1, 0, 1, 2]);
    expect(Array.from(t.memory.readBytes(0x10000, 512))).toEqual(sectorBytes(8));
    t.cmd(0x46, 0x01, 0, 0, 1, 2, 9, 0x1b, 0xff);
    expect(t.results()).toEqual([0x41, 0x01, 0, 0, 0, 1, 2]);
  });

  it.each([
    ['360K', 368_640, 40, 9, 0x01, 0x00],
    ['720K', 737_280, 80, 9, 0x02, 0x00],
    ['1.2M', 1_228_800, 80, 15, 0x00, 0x02],
    ['1.44M', SIZE_144, 80, 18, 0x00, 0x03],
    ['2.88M', 2_949_120, 80, 36, 0x03, 0x00],
  ])('reads the last sector of %s media at its data rate, and nothing at another', (_name, size, cylinders, sectors, rate, wrongRate) => {
    const t = setup([image(size)]);
    t.io.write8(DIR, rate);
    seekTo(t, cylinders - 1, 1);
    t.dmaSetup(0x10000, 512, true);
    t.cmd(0x46, 0x04, cylinders - 1, 1, sectors, 2, sectors, 0x1b, 0xff);
    expect(t.results()).toEqual([0x04, 0, 0, cylinders, 1, 1, 2]);
    expect(Array.from(t.memory.readBytes(0x10000, 512))).toEqual(sectorBytes(size / 512 - 1));
    t.io.write8(DIR, wrongRate);
    t.cmd(0x46, 0x04, cylinders - 1, 1, sectors, 2, sectors, 0x1b, 0xff);
    expect(t.results()[1]).toBe(0x01);
  });

  it('a failing disk read is a data error (ST1 DE, ST2 DD)', () => {
    const t = setup([image(SIZE_144 - 512)]);
    t.dmaSetup(0x10000, 512, true);
    seekTo(t, 79, 1);
    t.cmd(0x46, 0x04, 79, 1, 18, 2, 18, 0x1b, 0xff);
    expect(t.results()).toEqual([0x44, 0x20, 0x20, 79, 1, 18, 2]);
  });

  it('with implied seek on (CONFIGURE EIS) a read seeks first and ST0 shows seek end', () => {
    const t = setup();
    t.cmd(0x13, 0x00, 0x40 | 0x20, 0x00);
    t.dmaSetup(0x10000, 512, true);
    t.cmd(0x46, 0x04, 30, 1, 7, 2, 18, 0x1b, 0xff);
    expect(t.results()).toEqual([0x24, 0, 0, 30, 1, 8, 2]);
    expect(Array.from(t.memory.readBytes(0x10000, 512))).toEqual(sectorBytes(30 * 36 + 18 + 6));
    t.cmd(0x0e);
    expect(t.results()[0]).toBe(30);
  });

  it('READ ID reports the track under the head', () => {
    const t = setup();
    seekTo(t, 12, 1);
    t.cmd(0x4a, 0x04);
    expect(t.irqNow()).toBe(true);
    expect(t.results()).toEqual([0x04, 0, 0, 12, 1, 1, 2]);
  });

  it('formats a track from DMA-fed sector IDs', () => {
    const disk = image();
    const t = setup([disk]);
    seekTo(t, 3);
    const ids: number[] = [];
    for (let r = 1; r <= 18; r++) ids.push(3, 0, r, 2);
    t.memory.writeBytes(0x30000, Uint8Array.from(ids));
    t.dmaSetup(0x30000, ids.length, false);
    t.cmd(0x4d, 0x00, 2, 18, 0x54, 0xf6);
    expect(t.results()).toEqual([0x00, 0, 0, 3, 0, 18, 2]);
    const track = disk.data.subarray(3 * 36 * 512, (3 * 36 + 18) * 512);
    expect(track.every((b) => b === 0xf6)).toBe(true);
    expect(disk.data[(3 * 36 + 18) * 512]).not.toBe(0xf6); // side 1 untouched
  });

  it('holds the execution phase while an asynchronous disk answers', async () => {
    const base = image();
    let release!: () => void;
    const slow: BlockDevice = {
      size: base.size,
      readOnly: false,
      read: (offset, dest) =>
        new Promise<void>((resolve) => {
          release = () => {
            base.read(offset, dest);
            resolve();
          };
        }),
      write: (offset, src) => base.write(offset, src),
    };
    const t = setup([slow]);
    t.dmaSetup(0x10000, 512, true);
    t.cmd(0x46, 0x00, 0, 0, 4, 2, 18, 0x1b, 0xff);
    expect(t.io.read8(MSR)).toBe(0x10);
    expect(t.irqNow()).toBe(false);
    release();
    await Promise.resolve();
    await Promise.resolve();
    expect(t.irqNow()).toBe(true);
    expect(t.results()).toEqual([0x00, 0, 0, 0, 0, 5, 2]);
    expect(Array.from(t.memory.readBytes(0x10000, 512))).toEqual(sectorBytes(3));
  });

  it('saves and restores its state', () => {
    const t = setup();
    t.cmd(0x03, 0xdf, 0x03);
    seekTo(t, 9);
    t.cmd(0x46, 0x00, 9, 0, 1, 2, 18, 0x1b, 0xff);
    const first = [t.io.read8(FIFO), t.io.read8(FIFO)];
    const saved = t.fdc.saveState();
    const u = setup();
    u.fdc.loadState(saved);
    expect(u.io.read8(MSR)).toBe(0xf0);
    expect([...first, u.io.read8(FIFO)]).toEqual(sectorBytes(9 * 36).slice(0, 3));
    expect(() => u.fdc.loadState({ version: 0 })).toThrow(/version/);
  });
});

describe('Fdc82077 state loading', () => {
  it('a snapshot taken mid-transfer, loaded where the drive is empty, ends the command instead of throwing', () => {
    const t = setup();
    t.cmd(0x03, 0xdf, 0x03);
    t.cmd(0x46, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    const saved = t.fdc.saveState();
    const u = setup([undefined]);
    expect(() => u.fdc.loadState({ ...saved, execDrive: 7, bufferPos: 99999 })).not.toThrow();
    expect(u.results()).toEqual([0x43, 0x01, 0, 0, 0, 1, 2]); // drive 7 & 3
  });
});
