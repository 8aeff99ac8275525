import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice, type BlockDevice } from '../../block.js';
import type { IoBus } from '../../io.js';
import type { PhysicalMemory } from '../../memory.js';
import { BM_BASE, disk, readWords, rig } from './test-rig.js';

function lba28(io: IoBus, lba: number, count: number, dev = 0): void {
  io.write8(0x1f6, 0xe0 | (dev << 4) | ((lba >>> 24) & 0x0f));
  io.write8(0x1f2, count);
  io.write8(0x1f3, lba & 0xff);
  io.write8(0x1f4, (lba >>> 8) & 0xff);
  io.write8(0x1f5, (lba >>> 16) & 0xff);
}

/** Byte-wise equality without a slow deep diff of large arrays. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A disk whose reads and writes complete later, when the test says so. */
class SlowDisk implements BlockDevice {
  readonly pending: (() => void)[] = [];
  readonly readOnly = false;
  constructor(private readonly inner: MemoryBlockDevice, private readonly failing = false) {}
  get size(): number {
    return this.inner.size;
  }
  read(offset: number, dest: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.pending.push(() => {
      if (this.failing) return reject(new Error('gone'));
      this.inner.read(offset, dest);
      resolve();
    }));
  }
  write(offset: number, src: Uint8Array): Promise<void> {
    return new Promise((resolve) => this.pending.push(() => {
      this.inner.write(offset, src);
      resolve();
    }));
  }
}

describe('ATA disk: identification and signatures', () => {
  it('answers IDENTIFY DEVICE with geometry, LBA28/48 capacity, model and a valid checksum', () => {
    const d = disk(20000);
    const { io, irq } = rig([{ type: 'disk', disk: d }]);
    io.write8(0x1f6, 0xa0);
    io.write8(0x1f7, 0xec);
    expect(irq[14]).toBe(true);
    expect(io.read8(0x3f6)).toBe(0x58); // alt status: DRDY DSC DRQ, does not clear INTRQ
    expect(irq[14]).toBe(true);
    expect(io.read8(0x1f7)).toBe(0x58);
    expect(irq[14]).toBe(false);
    const id = readWords(io, 0x1f0, 256);
    const word = (i: number) => id[i * 2] | (id[i * 2 + 1] << 8);
    expect(word(0)).toBe(0x0040);
    expect(word(1)).toBe(Math.floor(20000 / (16 * 63)));
    expect([word(3), word(6)]).toEqual([16, 63]);
    expect(word(60) | (word(61) << 16)).toBe(20000);
    expect(word(100)).toBe(20000);
    expect(word(83) & 0x0400).toBe(0x0400); // LBA48
    const model = String.fromCharCode(...Array.from({ length: 40 }, (_, i) => id[54 + (i ^ 1)])).trim();
    expect(model).toBe('co86 ATA disk');
    expect(id.reduce((a, b) => a + b, 0) & 0xff).toBe(0);
    expect(io.read8(0x1f7)).toBe(0x50); // DRQ dropped after the last word
  });

  it('reads FFh on an empty channel and 0 for an absent device 1', () => {
    const { io } = rig([{ type: 'disk', disk: disk(10) }]);
    expect(io.read8(0x177)).toBe(0xff);
    io.write8(0x1f6, 0xb0);
    expect(io.read8(0x1f7)).toBe(0);
    io.write8(0x1f7, 0xec); // to nobody
    expect(io.read8(0x1f7)).toBe(0);
  });

  it('puts the ATA signature in the task file after a software reset', () => {
    const { io } = rig([{ type: 'disk', disk: disk(10) }]);
    io.write8(0x1f2, 0x55);
    io.write8(0x3f6, 0x04); // SRST
    expect(io.read8(0x1f7) & 0x80).toBe(0x80);
    io.write8(0x3f6, 0x00);
    expect([io.read8(0x1f1), io.read8(0x1f2), io.read8(0x1f3), io.read8(0x1f4), io.read8(0x1f5)]).toEqual([1, 1, 1, 0, 0]);
    expect(io.read8(0x1f7)).toBe(0x50);
  });

  it('aborts IDENTIFY PACKET DEVICE and unknown commands', () => {
    const { io, irq } = rig([{ type: 'disk', disk: disk(10) }]);
    io.write8(0x1f7, 0xa1);
    expect(irq[14]).toBe(true);
    expect(io.read8(0x1f7)).toBe(0x51);
    expect(io.read8(0x1f1)).toBe(0x04);
  });
});

describe('ATA disk: PIO', () => {
  it('reads sectors by LBA28, an interrupt per sector, and leaves the last LBA in the task file', () => {
    const d = disk(100);
    const { io, irq } = rig([{ type: 'disk', disk: d }]);
    lba28(io, 10, 3);
    io.write8(0x1f7, 0x20);
    for (let s = 0; s < 3; s++) {
      expect(irq.edges14).toBe(s + 1);
      expect(io.read8(0x1f7)).toBe(0x58);
      expect(readWords(io, 0x1f0, 256)).toEqual(d.data.subarray((10 + s) * 512, (11 + s) * 512));
    }
    expect(irq.edges14).toBe(3); // no interrupt after the last block of a PIO read
    expect(io.read8(0x1f7)).toBe(0x50);
    expect(io.read8(0x1f3)).toBe(12);
  });

  it('writes sectors and reads them back with 32-bit data port accesses', () => {
    const d = disk(100);
    const { io, irq } = rig([{ type: 'disk', disk: d }]);
    lba28(io, 5, 2);
    io.write8(0x1f7, 0x30);
    expect(irq.edges14).toBe(0); // the first block of a write is requested without an interrupt
    expect(io.read8(0x1f7)).toBe(0x58);
    for (let i = 0; i < 256; i++) io.write16(0x1f0, 0xa500 | (i & 0xff));
    expect(irq.edges14).toBe(1);
    io.read8(0x1f7);
    for (let i = 0; i < 256; i++) io.write16(0x1f0, 0x1234);
    expect(irq.edges14).toBe(2);
    expect(io.read8(0x1f7)).toBe(0x50);
    expect(d.data[5 * 512 + 2]).toBe(0x01);
    expect(d.data[5 * 512 + 3]).toBe(0xa5);
    expect(d.data[6 * 512 + 510]).toBe(0x34);
    lba28(io, 6, 1);
    io.write8(0x1f7, 0x20);
    io.read8(0x1f7);
    expect(io.read32(0x1f0)).toBe(0x12341234);
  });

  it('reads and writes with LBA48 beyond 28 bits of address', () => {
    const sectors = 0x10000010;
    // A sparse disk: only the sector at 0x10000005 has content.
    const target = 0x10000005;
    const store = new Map<number, Uint8Array>();
    const sparse: BlockDevice = {
      size: sectors * 512, readOnly: false,
      read(offset, dest) { dest.set(store.get(offset / 512) ?? new Uint8Array(dest.length)); },
      write(offset, src) { store.set(offset / 512, src.slice()); },
    };
    const { io } = rig([{ type: 'disk', disk: sparse }]);
    io.write8(0x1f6, 0x40);
    // Each register written twice: previous (HOB) value first.
    const reg = (port: number, hob: number, cur: number) => { io.write8(port, hob); io.write8(port, cur); };
    reg(0x1f2, 0, 1);
    reg(0x1f3, (target / 2 ** 24) & 0xff, target & 0xff);
    reg(0x1f4, 0, (target >>> 8) & 0xff);
    reg(0x1f5, 0, (target >>> 16) & 0xff);
    io.write8(0x1f7, 0x34); // WRITE SECTORS EXT
    for (let i = 0; i < 256; i++) io.write16(0x1f0, 0xbeef);
    expect(io.read8(0x1f7)).toBe(0x50);
    expect(store.get(target)?.[0]).toBe(0xef);
    io.write8(0x3f6, 0x80); // HOB: read the high-order bytes
    expect(io.read8(0x1f3)).toBe(0x10);
    io.write8(0x3f6, 0x00);
    reg(0x1f2, 0, 1);
    reg(0x1f3, 0x10, 0x05);
    reg(0x1f4, 0, 0);
    reg(0x1f5, 0, 0);
    io.write8(0x1f7, 0x24); // READ SECTORS EXT
    io.read8(0x1f7);
    expect(io.read16(0x1f0)).toBe(0xbeef);
  });

  it('translates CHS through the geometry of INITIALIZE DEVICE PARAMETERS', () => {
    const d = disk(2000);
    const { io } = rig([{ type: 'disk', disk: d }]);
    io.write8(0x1f6, 0xa0 | 3); // 4 heads
    io.write8(0x1f2, 17); // 17 sectors per track
    io.write8(0x1f7, 0x91);
    expect(io.read8(0x1f7)).toBe(0x50);
    // C/H/S = 2/1/5 → (2 * 4 + 1) * 17 + 4 = 157
    io.write8(0x1f6, 0xa0 | 1);
    io.write8(0x1f2, 1);
    io.write8(0x1f3, 5);
    io.write8(0x1f4, 2);
    io.write8(0x1f5, 0);
    io.write8(0x1f7, 0x20);
    io.read8(0x1f7);
    expect(readWords(io, 0x1f0, 256)).toEqual(d.data.subarray(157 * 512, 158 * 512));
    io.write8(0x1f3, 18); // sector beyond the track
    io.write8(0x1f2, 1);
    io.write8(0x1f7, 0x20);
    expect(io.read8(0x1f7)).toBe(0x51);
    expect(io.read8(0x1f1)).toBe(0x10); // IDNF
  });

  it('moves DRQ blocks of the multiple count with READ/WRITE MULTIPLE, and aborts them before SET MULTIPLE MODE', () => {
    const d = disk(64);
    const { io, irq } = rig([{ type: 'disk', disk: d }]);
    lba28(io, 0, 8);
    io.write8(0x1f7, 0xc4);
    expect(io.read8(0x1f1)).toBe(0x04);
    io.write8(0x1f2, 3);
    io.write8(0x1f7, 0xc6);
    expect(io.read8(0x1f1)).toBe(0x04); // not a power of two
    io.write8(0x1f2, 4);
    io.write8(0x1f7, 0xc6);
    expect(io.read8(0x1f7)).toBe(0x50);
    lba28(io, 8, 6);
    const before = irq.edges14;
    io.write8(0x1f7, 0xc4);
    io.read8(0x1f7);
    expect(readWords(io, 0x1f0, 4 * 256)).toEqual(d.data.subarray(8 * 512, 12 * 512));
    expect(irq.edges14).toBe(before + 2);
    io.read8(0x1f7);
    expect(readWords(io, 0x1f0, 2 * 256)).toEqual(d.data.subarray(12 * 512, 14 * 512));
    expect(io.read8(0x1f7)).toBe(0x50);
  });

  it('reports IDNF past the end, ABRT for a read-only disk, and completes verify, flush and power commands', () => {
    const d = disk(10);
    const { io } = rig([{ type: 'disk', disk: d }]);
    lba28(io, 8, 3);
    io.write8(0x1f7, 0x20);
    expect(io.read8(0x1f7)).toBe(0x51);
    expect(io.read8(0x1f1)).toBe(0x10);
    lba28(io, 8, 2);
    io.write8(0x1f7, 0x40);
    expect(io.read8(0x1f7)).toBe(0x50);
    io.write8(0x1f7, 0xe7);
    expect(io.read8(0x1f7)).toBe(0x50);
    io.write8(0x1f7, 0xe0); // STANDBY IMMEDIATE
    io.write8(0x1f7, 0xe5);
    expect(io.read8(0x1f2)).toBe(0x00);
    io.write8(0x1f7, 0xe1);
    io.write8(0x1f7, 0xe5);
    expect(io.read8(0x1f2)).toBe(0xff);
    io.write8(0x1f1, 0x03);
    io.write8(0x1f2, 0x22); // multiword DMA 2
    io.write8(0x1f7, 0xef);
    expect(io.read8(0x1f7)).toBe(0x50);
    io.write8(0x1f1, 0x77);
    io.write8(0x1f7, 0xef);
    expect(io.read8(0x1f1)).toBe(0x04);

    const ro = rig([{ type: 'disk', disk: new MemoryBlockDevice(new Uint8Array(5120), true) }]).io;
    lba28(ro, 0, 1);
    ro.write8(0x1f7, 0x30);
    expect(ro.read8(0x1f7)).toBe(0x51);
    expect(ro.read8(0x1f1)).toBe(0x04);
  });

  it('stays BSY while an asynchronous disk reads, interrupts when data arrives, and reports UNC when it fails', async () => {
    const slow = new SlowDisk(disk(10));
    const { io, irq } = rig([{ type: 'disk', disk: slow }]);
    lba28(io, 2, 1);
    io.write8(0x1f7, 0x20);
    expect(io.read8(0x1f7) & 0x88).toBe(0x80);
    expect(irq[14]).toBe(false);
    slow.pending.shift()!();
    await Promise.resolve();
    await Promise.resolve();
    expect(irq[14]).toBe(true);
    expect(io.read8(0x1f7)).toBe(0x58);
    expect(io.read16(0x1f0)).toBe((2 * 7) | ((2 * 7 + 1) << 8));

    const broken = new SlowDisk(disk(10), true);
    const b = rig([{ type: 'disk', disk: broken }]);
    lba28(b.io, 4, 1);
    b.io.write8(0x1f7, 0x20);
    broken.pending.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(b.io.read8(0x1f7)).toBe(0x51);
    expect(b.io.read8(0x1f1)).toBe(0x40); // UNC
    expect(b.io.read8(0x1f3)).toBe(4);
  });
});

describe('ATA disk: bus-master DMA', () => {
  function prd(memory: PhysicalMemory, table: number, entries: [addr: number, bytes: number][]): void {
    entries.forEach(([addr, bytes], i) => {
      memory.write32(table + i * 8, addr);
      memory.write32(table + i * 8 + 4, (bytes & 0xffff) | (i === entries.length - 1 ? 0x80000000 : 0));
    });
  }

  it('reads through a PRD table scattered over two regions and interrupts once at the end', () => {
    const d = disk(300);
    const { io, memory, irq } = rig([{ type: 'disk', disk: d }]);
    prd(memory, 0x8000, [[0x10000, 0x200], [0x20000, 0], [0x30000, 0]]); // 0 = 64 KiB
    io.write32(BM_BASE + 4, 0x8000);
    lba28(io, 1, 0); // 0 = 256 sectors
    io.write8(BM_BASE, 0x08); // direction: to memory
    io.write8(0x1f7, 0xc8);
    expect(irq[14]).toBe(false);
    io.write8(BM_BASE, 0x09); // start
    expect(irq[14]).toBe(true);
    expect(irq.edges14).toBe(1);
    // PRD longer than the transfer: interrupt set, still active.
    expect(io.read8(BM_BASE + 2) & 0x07).toBe(0x05);
    expect(io.read8(0x1f7)).toBe(0x50);
    expect(memory.readBytes(0x10000, 512)).toEqual(d.data.subarray(512, 1024));
    expect(same(memory.readBytes(0x20000, 255 * 512), d.data.subarray(1024, 257 * 512))).toBe(true);
    io.write8(BM_BASE + 2, 0x04); // clear interrupt
    io.write8(BM_BASE, 0x00);
    expect(io.read8(BM_BASE + 2) & 0x07).toBe(0x00);
  });

  it('writes with DMA EXT from memory, ending the engine when the table is used up exactly', () => {
    const d = disk(600);
    const { io, memory } = rig([{ type: 'disk', disk: d }]);
    for (let i = 0; i < 300 * 512; i++) memory.write8(0x30000 + i, (i * 13) & 0xff);
    prd(memory, 0x8000, [[0x30000, 0], [0x40000, 0], [0x50000, 300 * 512 - 0x20000]]); // 0 = 64 KiB
    io.write32(BM_BASE + 4, 0x8000);
    io.write8(0x1f6, 0x40);
    io.write8(0x1f2, 0x01); io.write8(0x1f2, 300 & 0xff);
    io.write8(0x1f3, 0); io.write8(0x1f3, 7);
    io.write8(0x1f4, 0); io.write8(0x1f4, 0);
    io.write8(0x1f5, 0); io.write8(0x1f5, 0);
    io.write8(0x1f7, 0x35);
    io.write8(BM_BASE, 0x01);
    expect(io.read8(BM_BASE + 2) & 0x07).toBe(0x04);
    expect(io.read8(0x1f7)).toBe(0x50);
    expect(same(d.data.subarray(7 * 512, 307 * 512), memory.readBytes(0x30000, 300 * 512))).toBe(true);
  });

  it('aborts the command when the PRD table is shorter than the transfer', () => {
    const d = disk(10);
    const { io, memory } = rig([{ type: 'disk', disk: d }]);
    prd(memory, 0x8000, [[0x10000, 512]]);
    io.write32(BM_BASE + 4, 0x8000);
    lba28(io, 0, 2);
    io.write8(0x1f7, 0xc8);
    io.write8(BM_BASE, 0x09);
    expect(io.read8(BM_BASE + 2) & 0x07).toBe(0x06); // error + interrupt, not active
    expect(io.read8(0x1f7)).toBe(0x51);
  });

  it('round-trips a transfer in progress through saveState / loadState', () => {
    const d = disk(10);
    const a = rig([{ type: 'disk', disk: d }]);
    lba28(a.io, 3, 2);
    a.io.write8(0x1f7, 0x20);
    a.io.read8(0x1f7);
    readWords(a.io, 0x1f0, 100);
    const state = a.ide.saveState();
    const b = rig([{ type: 'disk', disk: d }]);
    b.ide.loadState(state);
    expect(readWords(b.io, 0x1f0, 156)).toEqual(d.data.subarray(3 * 512 + 200, 4 * 512));
    b.io.read8(0x1f7);
    expect(readWords(b.io, 0x1f0, 256)).toEqual(d.data.subarray(4 * 512, 5 * 512));
    expect(() => b.ide.loadState({ version: 7 })).toThrow(/version/);
  });
});
