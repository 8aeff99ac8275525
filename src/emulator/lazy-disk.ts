import type { BlockDevice } from '../../core/index.js';

/**
 * Disk images read on demand: a local File (slices) or a URL (HTTP range requests), cached in 64 KiB
 * chunks, with guest writes kept in a copy-on-write overlay of whole chunks (the image is never changed;
 * the overlay can be saved and the modified image downloaded). Reads answer later (a Promise), which the
 * BIOS and the disk controllers handle (DESIGN §2).
 */
export const CHUNK = 64 * 1024;
/** Chunks of the base image kept in memory before the oldest go. */
const CACHE_CHUNKS = 1024;

export interface RangeSource {
  readonly size: number;
  /** Bytes [start, start + length) of the image. */
  read(start: number, length: number): Promise<Uint8Array>;
}

export class FileSource implements RangeSource {
  constructor(private readonly file: Blob) {}
  get size(): number {
    return this.file.size;
  }
  async read(start: number, length: number): Promise<Uint8Array> {
    return new Uint8Array(await this.file.slice(start, start + length).arrayBuffer());
  }
}

/** An HTTP(S) image read with Range requests. `open` checks that the server tells the size and honours ranges. */
export class HttpSource implements RangeSource {
  private constructor(
    private readonly url: string,
    readonly size: number,
    private readonly onBytes: (n: number) => void,
  ) {}

  static async open(url: string, onBytes: (n: number) => void = () => {}): Promise<HttpSource> {
    let response: Response;
    try {
      response = await fetch(url, { headers: { Range: 'bytes=0-0' } });
    } catch {
      throw new Error(`Could not reach ${url} (the server is down, the address is wrong, or it does not allow cross-origin reads).`);
    }
    if (response.status === 404) throw new Error(`There is no image at ${url} (the server answered 404 Not Found).`);
    if (!response.ok) throw new Error(`The server refused ${url} (HTTP ${response.status} ${response.statusText}).`);
    const range = response.headers.get('Content-Range');
    const total = range ? Number(/\/(\d+)$/.exec(range)?.[1]) : NaN;
    await response.body?.cancel();
    if (response.status !== 206 || !Number.isSafeInteger(total) || total <= 0) {
      throw new Error(`The server of ${url} does not support range requests (or hides their headers), so co86 cannot read the image lazily.`);
    }
    return new HttpSource(url, total, onBytes);
  }

  async read(start: number, length: number): Promise<Uint8Array> {
    const response = await fetch(this.url, { headers: { Range: `bytes=${start}-${start + length - 1}` } });
    if (response.status !== 206) throw new Error(`range read of ${this.url} failed (HTTP ${response.status})`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    this.onBytes(bytes.length);
    if (bytes.length !== length) throw new Error(`${this.url} sent ${bytes.length} bytes for a ${length}-byte range: the server's size is wrong`);
    return bytes;
  }
}

export class LazyDisk implements BlockDevice {
  /** Written chunks, by chunk index (the copy-on-write overlay). */
  readonly overlay = new Map<number, Uint8Array>();
  private readonly cache = new Map<number, Uint8Array>();
  private readonly pending = new Map<number, Promise<Uint8Array>>();
  /** Called after each guest write with its byte range (to persist the overlay). */
  onWrite?: (offset: number, length: number) => void;

  constructor(
    private readonly source: RangeSource,
    readonly readOnly = false,
  ) {}

  get size(): number {
    return this.source.size;
  }

  async read(offset: number, dest: Uint8Array): Promise<void> {
    this.check(offset, dest.length);
    let done = 0;
    while (done < dest.length) {
      const at = offset + done;
      const index = Math.floor(at / CHUNK);
      const chunk = await this.chunk(index);
      const within = at - index * CHUNK;
      const n = Math.min(dest.length - done, chunk.length - within);
      dest.set(chunk.subarray(within, within + n), done);
      done += n;
    }
  }

  async write(offset: number, src: Uint8Array): Promise<void> {
    if (this.readOnly) throw new Error('disk is read-only');
    this.check(offset, src.length);
    let done = 0;
    while (done < src.length) {
      const at = offset + done;
      const index = Math.floor(at / CHUNK);
      let chunk = this.overlay.get(index);
      if (!chunk) {
        chunk = (await this.chunk(index)).slice();
        this.overlay.set(index, chunk);
      }
      const within = at - index * CHUNK;
      const n = Math.min(src.length - done, chunk.length - within);
      chunk.set(src.subarray(done, done + n), within);
      done += n;
    }
    this.onWrite?.(offset, src.length);
  }

  /** The image with the guest's writes, for download. */
  async modifiedImage(): Promise<Blob> {
    const parts: BlobPart[] = [];
    const chunks = Math.ceil(this.size / CHUNK);
    for (let i = 0; i < chunks; i++) parts.push((this.overlay.get(i) ?? (await this.chunk(i))) as Uint8Array<ArrayBuffer>);
    return new Blob(parts, { type: 'application/octet-stream' });
  }

  private check(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new RangeError(`access ${offset}+${length} is past the end of a ${this.size}-byte disk`);
  }

  private chunk(index: number): Promise<Uint8Array> | Uint8Array {
    const written = this.overlay.get(index);
    if (written) return written;
    const cached = this.cache.get(index);
    if (cached) return cached;
    let pending = this.pending.get(index);
    if (!pending) {
      const start = index * CHUNK;
      pending = this.source.read(start, Math.min(CHUNK, this.size - start)).then(
        (bytes) => {
          this.pending.delete(index);
          this.cache.set(index, bytes);
          if (this.cache.size > CACHE_CHUNKS) this.cache.delete(this.cache.keys().next().value!);
          return bytes;
        },
        (error: unknown) => {
          this.pending.delete(index);
          throw error;
        },
      );
      this.pending.set(index, pending);
    }
    return pending;
  }
}
