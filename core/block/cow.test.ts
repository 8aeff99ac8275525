import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice, type BlockDevice } from '../block.js';
import { CowBlockDevice } from './cow.js';

function base(size: number): MemoryBlockDevice {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31) & 0xff;
  return new MemoryBlockDevice(data, true);
}

/** The same image, but every read resolves on a later microtask (or fails when told to). */
function asyncBase(inner: MemoryBlockDevice, fail = { now: false }): BlockDevice {
  return {
    size: inner.size,
    readOnly: true,
    read: (offset, dest) => (fail.now ? Promise.reject(new Error('gone')) : Promise.resolve().then(() => inner.read(offset, dest))),
    write: () => {
      throw new Error('read-only');
    },
  };
}

describe('CowBlockDevice', () => {
  it('reads the base, keeps writes in the overlay, merges both on reads, and never writes the base', () => {
    const b = base(64 * 1024);
    const original = b.data.slice();
    const cow = new CowBlockDevice(b, 4096);
    const w = new Uint8Array(1000).fill(0xaa);
    cow.write(4000, w); // spans chunks 0 and 1, partially
    expect(b.data.every((v, i) => v === original[i])).toBe(true);
    const out = new Uint8Array(6000);
    cow.read(1000, out);
    expect(out.subarray(0, 3000)).toEqual(original.subarray(1000, 4000));
    expect(out.subarray(3000, 4000).every((v) => v === 0xaa)).toBe(true);
    expect(out.subarray(4000)).toEqual(original.subarray(5000, 7000));
    expect(cow.overlayBytes).toBe(8192);
    expect(() => cow.read(64 * 1024 - 10, new Uint8Array(20))).toThrow(RangeError);
    expect(() => cow.write(64 * 1024, new Uint8Array(1))).toThrow(RangeError);
  });

  it('exports and imports its overlay, rejecting overlays of another disk', () => {
    const cow = new CowBlockDevice(base(32 * 1024));
    cow.write(512, new Uint8Array(512).fill(7));
    const saved = cow.overlay();
    const fresh = new CowBlockDevice(base(32 * 1024));
    fresh.loadOverlay(saved);
    const out = new Uint8Array(512);
    fresh.read(512, out);
    expect(out.every((v) => v === 7)).toBe(true);
    const other = new CowBlockDevice(base(16 * 1024));
    expect(() => other.loadOverlay(saved)).toThrow(/16384/);
    expect(() => fresh.loadOverlay(saved.subarray(0, 30))).toThrow(/length/);
    const corrupt = saved.slice();
    corrupt[0] = 0;
    expect(() => fresh.loadOverlay(corrupt)).toThrow(/not a co86 overlay/);
    fresh.discardOverlay();
    fresh.read(512, out);
    expect(out[0]).toBe((512 * 31) & 0xff);
  });

  it('works over an asynchronous base, and a failed base read leaves the overlay unchanged', async () => {
    const inner = base(16 * 1024);
    const fail = { now: false };
    const cow = new CowBlockDevice(asyncBase(inner, fail), 4096);
    await cow.write(100, new Uint8Array(10).fill(0x55));
    const out = new Uint8Array(4200); // chunk 0 from the overlay, the start of chunk 1 from the base
    const p = cow.read(0, out);
    expect(p).toBeInstanceOf(Promise);
    await p;
    expect(out.subarray(0, 100)).toEqual(inner.data.subarray(0, 100));
    expect(out.subarray(100, 110).every((v) => v === 0x55)).toBe(true);
    expect(out[110]).toBe(inner.data[110]);
    expect(out[4199]).toBe(inner.data[4199]);
    // Reads wholly inside the overlay need no base access: synchronous.
    expect(cow.read(0, new Uint8Array(4096))).toBeUndefined();
    fail.now = true;
    await expect(cow.write(8192 + 10, new Uint8Array(4))).rejects.toThrow(/gone/);
    expect(cow.overlayBytes).toBe(4096);
    // A write covering whole chunks needs no base read at all.
    expect(cow.write(8192, new Uint8Array(4096))).toBeUndefined();
  });
});
