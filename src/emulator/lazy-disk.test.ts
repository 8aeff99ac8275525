import { describe, expect, it } from 'vitest';
import { CHUNK, FileSource, LazyDisk, type RangeSource } from './lazy-disk.js';

/** A source that counts its reads. */
function counting(bytes: Uint8Array<ArrayBuffer>): RangeSource & { reads: number } {
  const file = new FileSource(new Blob([bytes]));
  const source = {
    reads: 0,
    size: bytes.length,
    read(start: number, length: number) {
      source.reads++;
      return file.read(start, length);
    },
  };
  return source;
}

const image = () => Uint8Array.from({ length: 3 * CHUNK + 512 }, (_, i) => (i * 7) & 0xff);

describe('LazyDisk', () => {
  it('reads across chunks, fetching each chunk once', async () => {
    const base = image();
    const source = counting(base);
    const disk = new LazyDisk(source);
    const dest = new Uint8Array(CHUNK + 1024);
    await disk.read(CHUNK - 512, dest);
    expect(dest).toEqual(base.subarray(CHUNK - 512, 2 * CHUNK + 512));
    await disk.read(CHUNK, new Uint8Array(512));
    expect(source.reads).toBe(3);
  });

  it('keeps writes in an overlay, leaves the base alone, and exports the modified image', async () => {
    const base = image();
    const disk = new LazyDisk(counting(base));
    let writes = 0;
    disk.onWrite = () => writes++;
    await disk.write(2 * CHUNK - 2, Uint8Array.of(1, 2, 3, 4));
    const back = new Uint8Array(6);
    await disk.read(2 * CHUNK - 3, back);
    expect([...back]).toEqual([base[2 * CHUNK - 3], 1, 2, 3, 4, base[2 * CHUNK + 2]]);
    expect(base[2 * CHUNK - 2]).toBe(((2 * CHUNK - 2) * 7) & 0xff);
    expect(disk.overlay.size).toBe(2);
    expect(writes).toBe(1);
    const modified = new Uint8Array(await (await disk.modifiedImage()).arrayBuffer());
    expect(modified.length).toBe(base.length);
    expect([...modified.subarray(2 * CHUNK - 3, 2 * CHUNK + 3)]).toEqual([...back]);
  });

  it('refuses accesses past the end and writes to a read-only disk', async () => {
    const disk = new LazyDisk(counting(image()), true);
    await expect(disk.read(disk.size - 2, new Uint8Array(4))).rejects.toThrow(RangeError);
    await expect(disk.write(0, new Uint8Array(1))).rejects.toThrow(/read-only/);
  });
});
