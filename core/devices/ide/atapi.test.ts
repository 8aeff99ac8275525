import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice } from '../../block.js';
import { RangeBlockDevice } from '../../block/range.js';
import type { IoBus } from '../../io.js';
import { BM_BASE, readWords, rig } from './test-rig.js';

function cd(sectors: number): MemoryBlockDevice {
  const data = new Uint8Array(sectors * 2048);
  for (let i = 0; i < data.length; i++) data[i] = ((i >>> 11) * 3 + i) & 0xff;
  return new MemoryBlockDevice(data, true);
}

/** Sends a PACKET command with a 12-byte CDB on the secondary master; returns the status after the packet. */
function packet(io: IoBus, cdb: number[], options: { limit?: number; dma?: boolean } = {}): number {
  const limit = options.limit ?? 0xfffe;
  io.write8(0x176, 0xa0);
  io.write8(0x171, options.dma ? 1 : 0);
  io.write8(0x174, limit & 0xff);
  io.write8(0x175, limit >>> 8);
  io.write8(0x177, 0xa0);
  expect(io.read8(0x376) & 0x88).toBe(0x08); // DRQ for the packet
  expect(io.read8(0x172) & 3).toBe(1); // interrupt reason: command
  const bytes = [...cdb, ...new Array(12 - cdb.length).fill(0)];
  for (let i = 0; i < 12; i += 2) io.write16(0x170, bytes[i] | (bytes[i + 1] << 8));
  return io.read8(0x376);
}

/** Reads one DRQ block: the byte count from LBA mid/high, then the data. */
function dataBlock(io: IoBus): Uint8Array {
  expect(io.read8(0x177) & 0x08).toBe(0x08);
  expect(io.read8(0x172) & 3).toBe(2); // data to host
  const n = io.read8(0x174) | (io.read8(0x175) << 8);
  return readWords(io, 0x170, (n + 1) >> 1).subarray(0, n);
}

function sense(io: IoBus): [key: number, asc: number, ascq: number] {
  packet(io, [0x03, 0, 0, 0, 18]);
  const s = dataBlock(io);
  return [s[2] & 0x0f, s[12], s[13]];
}

describe('ATAPI CD-ROM', () => {
  it('has the packet signature, aborts IDENTIFY DEVICE, and answers IDENTIFY PACKET DEVICE', () => {
    const { io } = rig([undefined, undefined, { type: 'cdrom', disk: cd(4) }]);
    expect([io.read8(0x174), io.read8(0x175)]).toEqual([0x14, 0xeb]);
    io.write8(0x176, 0xa0);
    io.write8(0x177, 0xec);
    expect(io.read8(0x177) & 0x01).toBe(1);
    expect([io.read8(0x174), io.read8(0x175)]).toEqual([0x14, 0xeb]);
    io.write8(0x177, 0xa1);
    expect(io.read8(0x177)).toBe(0x58);
    const id = readWords(io, 0x170, 256);
    expect(id[0] | (id[1] << 8)).toBe(0x85c0);
    expect(id.reduce((a, b) => a + b, 0) & 0xff).toBe(0);
  });

  it('answers INQUIRY, READ CAPACITY, TEST UNIT READY and completes with interrupt reason 3', () => {
    const { io, irq } = rig([undefined, undefined, { type: 'cdrom', disk: cd(100) }]);
    packet(io, [0x12, 0, 0, 0, 36]);
    expect(irq[15]).toBe(true);
    const inquiry = dataBlock(io);
    expect(inquiry.length).toBe(36);
    expect(inquiry[0]).toBe(0x05);
    expect(inquiry[1]).toBe(0x80);
    expect(String.fromCharCode(...inquiry.subarray(16, 22))).toBe('CD-ROM');
    expect(io.read8(0x172) & 3).toBe(3);
    expect(io.read8(0x177)).toBe(0x50);
    packet(io, [0x25]);
    const cap = dataBlock(io);
    expect(Array.from(cap)).toEqual([0, 0, 0, 99, 0, 0, 8, 0]);
    expect(packet(io, [0x00]) & 0x01).toBe(0);
  });

  it('reads sectors with READ(10) in PIO blocks bounded by the byte count limit', () => {
    const image = cd(40);
    const { io } = rig([undefined, undefined, { type: 'cdrom', disk: image }]);
    packet(io, [0x28, 0, 0, 0, 0, 5, 0, 0, 3], { limit: 4096 });
    const first = dataBlock(io);
    expect(first.length).toBe(4096);
    expect(Array.from(first.subarray(0, 8))).toEqual(Array.from(image.data.subarray(5 * 2048, 5 * 2048 + 8)));
    const second = dataBlock(io);
    expect(second.length).toBe(2048);
    expect(second[2047]).toBe(image.data[8 * 2048 - 1]);
    expect(io.read8(0x177)).toBe(0x50);
    expect(io.read8(0x172) & 3).toBe(3);
    packet(io, [0xa8, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // READ(12) of zero sectors: no data
    expect(io.read8(0x177)).toBe(0x50);
    packet(io, [0xa8, 0, 0, 0, 0, 39, 0, 0, 0, 1]);
    expect(dataBlock(io)[0]).toBe(image.data[39 * 2048]);
  });

  it('reports ILLEGAL REQUEST / LBA OUT OF RANGE past the end and INVALID COMMAND for unknown packets', () => {
    const { io } = rig([undefined, undefined, { type: 'cdrom', disk: cd(10) }]);
    const status = packet(io, [0x28, 0, 0, 0, 0, 9, 0, 0, 2]);
    expect(status & 0x01).toBe(1);
    expect(io.read8(0x171) >> 4).toBe(5);
    expect(sense(io)).toEqual([5, 0x21, 0]);
    expect(sense(io)).toEqual([0, 0, 0]); // REQUEST SENSE cleared it
    packet(io, [0xff]);
    expect(sense(io)).toEqual([5, 0x20, 0]);
    packet(io, [0x4a, 0]); // GET EVENT STATUS NOTIFICATION without Polled
    expect(sense(io)).toEqual([5, 0x24, 0]);
  });

  it('reports NOT READY / MEDIUM NOT PRESENT without a disc', () => {
    const { io } = rig([undefined, undefined, { type: 'cdrom', disk: undefined }]);
    expect(packet(io, [0x00]) & 0x01).toBe(1);
    expect(sense(io)).toEqual([2, 0x3a, 0]);
    packet(io, [0x12, 0, 0, 0, 36]);
    expect(dataBlock(io)[0]).toBe(0x05);
  });

  it('returns a TOC (LBA and MSF), session info, disc info, configuration, events and mode page 2Ah', () => {
    const { io } = rig([undefined, undefined, { type: 'cdrom', disk: cd(300) }]);
    packet(io, [0x43, 0, 0, 0, 0, 0, 0, 0, 100]);
    const toc = dataBlock(io);
    expect(toc.length).toBe(20);
    expect(Array.from(toc.subarray(0, 4))).toEqual([0, 18, 1, 1]);
    expect(toc[6]).toBe(1);
    expect(toc[14]).toBe(0xaa);
    expect((toc[16] << 24) | (toc[17] << 16) | (toc[18] << 8) | toc[19]).toBe(300);
    packet(io, [0x43, 0x02, 0, 0, 0, 0, 0, 0, 100]);
    const msf = dataBlock(io);
    expect(Array.from(msf.subarray(17, 20))).toEqual([0, 6, 0]); // 300 + 150 frames = 0:06:00
    packet(io, [0x43, 0, 1, 0, 0, 0, 0, 0, 12]);
    expect(Array.from(dataBlock(io).subarray(0, 4))).toEqual([0, 10, 1, 1]);
    packet(io, [0x51, 0, 0, 0, 0, 0, 0, 0, 34]);
    expect(dataBlock(io)[2]).toBe(0x0e);
    packet(io, [0x46, 0, 0, 0, 0, 0, 0, 0, 64]);
    const config = dataBlock(io);
    expect((config[6] << 8) | config[7]).toBe(0x0008);
    packet(io, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8]);
    const event = dataBlock(io);
    expect(event[2]).toBe(0x04);
    expect(event[5]).toBe(0x02);
    packet(io, [0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64]);
    const mode = dataBlock(io);
    expect(mode.length).toBe(28);
    expect(mode[8]).toBe(0x2a);
    packet(io, [0x5a, 0, 0x05, 0, 0, 0, 0, 0, 64]);
    expect(sense(io)).toEqual([5, 0x24, 0]);
    expect(packet(io, [0x1e, 0, 0, 0, 1]) & 1).toBe(0);
    expect(packet(io, [0x1b, 0, 0, 0, 2]) & 1).toBe(1); // eject refused while locked
    expect(packet(io, [0x1e, 0, 0, 0, 0]) & 1).toBe(0);
    expect(packet(io, [0x1b, 0, 0, 0, 2]) & 1).toBe(0);
  });

  it('reads with bus-master DMA when the PACKET feature asks for it', () => {
    const image = cd(100);
    const { io, memory, irq } = rig([undefined, undefined, { type: 'cdrom', disk: image }]);
    memory.write32(0x8000, 0x10000);
    memory.write32(0x8004, 0x80000000 | 0); // 64 KiB, last
    memory.write32(0x8008, 0);
    io.write32(BM_BASE + 8 + 4, 0x8000);
    io.write8(BM_BASE + 8, 0x08);
    packet(io, [0x28, 0, 0, 0, 0, 10, 0, 0, 20], { dma: true }); // 40 KiB
    expect(irq[15]).toBe(false);
    io.write8(BM_BASE + 8, 0x09);
    expect(irq[15]).toBe(true);
    expect(io.read8(BM_BASE + 10) & 0x07).toBe(0x05);
    expect(io.read8(0x177)).toBe(0x50);
    expect(io.read8(0x172) & 3).toBe(3);
    const got = memory.readBytes(0x10000, 20 * 2048);
    expect(got.every((v, i) => v === image.data[10 * 2048 + i])).toBe(true);
  });

  it('reads a run longer than its buffer, in blocks of whole sectors', () => {
    const image = cd(200);
    const { io } = rig([undefined, undefined, { type: 'cdrom', disk: image }]);
    packet(io, [0x28, 0, 0, 0, 0, 1, 0, 0, 70]);
    let total = 0;
    while (io.read8(0x177) & 0x08) {
      const block = dataBlock(io);
      expect(block[0]).toBe(image.data[(1 * 2048) + total]);
      total += block.length;
    }
    expect(total).toBe(70 * 2048);
    expect(io.read8(0x172) & 3).toBe(3);
  });

  it('turns an image source that stops answering into MEDIUM ERROR after its timeout, without hanging', async () => {
    const silent = new RangeBlockDevice({ size: 100 * 2048, read: () => new Promise<Uint8Array>(() => {}) }, { timeoutMs: 20, retries: 0 });
    const { io, irq } = rig([undefined, undefined, { type: 'cdrom', disk: silent }]);
    packet(io, [0x28, 0, 0, 0, 0, 1, 0, 0, 1]);
    expect(io.read8(0x376) & 0x80).toBe(0x80); // BSY while the read is outstanding
    await new Promise((r) => setTimeout(r, 60));
    expect(irq[15]).toBe(true);
    expect(io.read8(0x177) & 0x81).toBe(0x01);
    expect(sense(io)).toEqual([3, 0x11, 0]);
  });

  it('reads a DMA run longer than its buffer through a scattered PRD table', () => {
    const image = cd(300);
    const { io, memory, irq } = rig([undefined, undefined, { type: 'cdrom', disk: image }]);
    const sectors = 200;
    const pages = (sectors * 2048) / 4096;
    for (let i = 0; i < pages; i++) { // 4 KiB pages in reverse order, as a scatter list
      memory.write32(0x8000 + i * 8, 0x10000 + (pages - 1 - i) * 4096);
      memory.write32(0x8004 + i * 8, 4096 | (i === pages - 1 ? 0x80000000 : 0));
    }
    io.write32(BM_BASE + 8 + 4, 0x8000);
    io.write8(BM_BASE + 8, 0x08);
    packet(io, [0x28, 0, 0, 0, 0, 7, 0, 0, sectors], { dma: true });
    io.write8(BM_BASE + 8, 0x09);
    expect(irq[15]).toBe(true);
    expect(io.read8(BM_BASE + 10) & 0x07).toBe(0x04);
    expect(io.read8(0x177)).toBe(0x50);
    for (let i = 0; i < pages; i++) {
      const page = memory.readBytes(0x10000 + (pages - 1 - i) * 4096, 4096);
      expect(page.every((v, j) => v === image.data[7 * 2048 + i * 4096 + j])).toBe(true);
    }
  });
});
