/**
 * Disk images from files for the CLI: positional reads (an ISO is never loaded whole into memory) under a
 * copy-on-write overlay, so the guest may write but the image file is never modified.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CowBlockDevice, type BlockDevice, type RangeSource } from '../core/index.js';

/** A read-only disk backed by a file, read with pread(2). */
export class FileBlockDevice implements BlockDevice {
  readonly readOnly = true;
  readonly size: number;
  private fd: number | undefined;

  constructor(readonly path: string) {
    const fd = openSync(path, 'r');
    const stat = fstatSync(fd);
    if (!stat.isFile() && !stat.isBlockDevice()) {
      closeSync(fd);
      throw Object.assign(new Error(`${path} is not a file`), { code: stat.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
    }
    this.fd = fd;
    this.size = stat.size;
  }

  read(offset: number, dest: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.path}: closed`);
    if (!Number.isInteger(offset) || offset < 0 || offset + dest.length > this.size) {
      throw new RangeError(`access ${offset}+${dest.length} is past the end of ${this.path} (${this.size} bytes)`);
    }
    let done = 0;
    while (done < dest.length) {
      const n = readSync(this.fd, dest, done, dest.length - done, offset + done);
      // The file shrank under us: report it as a read error rather than returning stale bytes.
      if (n === 0) throw new Error(`${this.path}: unexpected end of file at ${offset + done}`);
      done += n;
    }
  }

  write(): void {
    throw new Error(`${this.path}: the image file is read-only`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** An image file as a writable disk whose writes stay in memory (the file is never modified). */
export function openDiskImage(path: string): CowBlockDevice {
  return new CowBlockDevice(new FileBlockDevice(path));
}

/** A RangeSource over HTTP(S) range requests, for lazily fetched images (`--hda http://…`). */
export async function httpRangeSource(url: string): Promise<RangeSource> {
  const head = await fetch(url, { method: 'HEAD' });
  if (!head.ok) throw new Error(`${url}: HTTP ${head.status}`);
  const size = Number(head.headers.get('content-length'));
  if (!Number.isSafeInteger(size) || size <= 0) throw new Error(`${url}: the server did not give a size`);
  return {
    size,
    async read(offset, length, signal) {
      const response = await fetch(url, { headers: { range: `bytes=${offset}-${offset + length - 1}` }, signal });
      if (response.status !== 206) throw new Error(`${url}: range request answered HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}
