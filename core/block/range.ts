/**
 * Disk images read lazily by byte range (DESIGN §2): over HTTP range requests in the browser, or anything
 * else that can fetch a slice. The source is split into chunks kept in a small LRU cache; concurrent reads
 * of one chunk share one fetch. A source that fails or stops answering within the timeout makes the read
 * reject, which the disk controller reports to the guest in its own terms (ATA UNC, ATAPI MEDIUM ERROR) —
 * the host never waits forever.
 *
 * Read-only: put a CowBlockDevice over it for a writable disk.
 */
import type { BlockDevice } from '../block.js';

/** Something that can read byte ranges of an image (the app implements it with fetch + Range headers). */
export interface RangeSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Resolves with exactly `length` bytes starting at `offset`, or rejects. `signal` aborts a read that timed out. */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
}

export interface RangeBlockDeviceOptions {
  /** Bytes per fetch (a power of two; default 256 KiB). */
  chunkSize?: number;
  /** Chunks kept in memory (default 64, i.e. 16 MiB with the default chunk size). */
  cacheChunks?: number;
  /** A fetch that takes longer than this fails (default 30 s). */
  timeoutMs?: number;
  /** Extra attempts after a failed or timed-out fetch (default 1). */
  retries?: number;
}

export class RangeBlockDevice implements BlockDevice {
  readonly readOnly = true;
  readonly chunkSize: number;
  private readonly cacheChunks: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  /** LRU: Map iteration order is insertion order; a hit re-inserts. */
  private readonly cache = new Map<number, Uint8Array>();
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  /** Fetches made, for tests and statistics. */
  fetches = 0;

  constructor(
    private readonly source: RangeSource,
    options: RangeBlockDeviceOptions = {},
  ) {
    this.chunkSize = options.chunkSize ?? 256 * 1024;
    this.cacheChunks = Math.max(1, options.cacheChunks ?? 64);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 1;
    if (this.chunkSize < 512 || (this.chunkSize & (this.chunkSize - 1)) !== 0) throw new Error(`range: chunk size ${this.chunkSize} must be a power of two ≥ 512`);
  }

  get size(): number {
    return this.source.size;
  }

  read(offset: number, dest: Uint8Array): void | Promise<void> {
    if (!Number.isInteger(offset) || offset < 0 || offset + dest.length > this.size) {
      throw new RangeError(`access ${offset}+${dest.length} is past the end of a ${this.size}-byte disk`);
    }
    const cs = this.chunkSize;
    const first = Math.floor(offset / cs);
    const last = Math.floor((offset + dest.length - 1) / cs);
    // All cached: copy synchronously, no Promise.
    let missing = false;
    for (let i = first; i <= last && dest.length > 0; i++) if (!this.cache.has(i)) missing = true;
    if (!missing) return this.copy(offset, dest, first, last);
    // Keep our own references to what was fetched: other reads may evict chunks from the cache meanwhile.
    const fetched = new Map<number, Uint8Array>();
    const waits: Promise<void>[] = [];
    for (let i = first; i <= last; i++) {
      const cached = this.cache.get(i);
      if (cached) fetched.set(i, cached);
      else waits.push(this.chunk(i).then((data) => void fetched.set(i, data)));
    }
    return Promise.all(waits).then(() => this.copy(offset, dest, first, last, fetched));
  }

  write(): void {
    throw new Error('range: the image is read-only');
  }

  private copy(offset: number, dest: Uint8Array, first: number, last: number, fetched?: Map<number, Uint8Array>): void {
    const cs = this.chunkSize;
    for (let i = first; i <= last; i++) {
      const chunk = fetched?.get(i) ?? this.cache.get(i);
      if (!chunk) throw new Error(`range: chunk ${i} vanished`);
      this.touch(i, chunk);
      const chunkStart = i * cs;
      const from = Math.max(offset, chunkStart);
      const to = Math.min(offset + dest.length, chunkStart + chunk.length);
      dest.set(chunk.subarray(from - chunkStart, to - chunkStart), from - offset);
    }
  }

  private touch(index: number, chunk: Uint8Array): void {
    this.cache.delete(index);
    this.cache.set(index, chunk);
    while (this.cache.size > this.cacheChunks) this.cache.delete(this.cache.keys().next().value!);
  }

  private chunk(index: number): Promise<Uint8Array> {
    const running = this.inflight.get(index);
    if (running) return running;
    const start = index * this.chunkSize;
    const length = Math.min(this.chunkSize, this.size - start);
    const p = this.fetchWithRetries(start, length).then(
      (data) => {
        this.inflight.delete(index);
        this.touch(index, data);
        return data;
      },
      (e: unknown) => {
        this.inflight.delete(index);
        throw e;
      },
    );
    this.inflight.set(index, p);
    return p;
  }

  private async fetchWithRetries(start: number, length: number): Promise<Uint8Array> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      try {
        return await this.fetchOnce(start, length);
      } catch (e) {
        lastError = e;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  private fetchOnce(start: number, length: number): Promise<Uint8Array> {
    this.fetches++;
    const abort = new AbortController();
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`range: bytes ${start}+${length} did not arrive within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.source.read(start, length, abort.signal).then(
        (data) => {
          clearTimeout(timer);
          if (data.length !== length) reject(new Error(`range: asked for ${length} bytes at ${start}, got ${data.length}`));
          else resolve(data);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }
}
