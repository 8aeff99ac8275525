/**
 * A copy-on-write disk (DESIGN §2): reads come from a read-only base image unless the guest wrote that
 * part, writes go to an overlay of fixed-size chunks, and the base is never modified. The overlay can be
 * exported and imported (`overlay()` / `loadOverlay()`), so the app can keep the guest's changes (IndexedDB,
 * a download) and the CLI never touches the image file.
 *
 * Synchronous bases give synchronous reads and writes; an asynchronous base makes the calls that need it
 * return a Promise. A write that covers part of a chunk not yet in the overlay first reads the rest of the
 * chunk from the base; a write whose base read fails leaves the overlay untouched.
 */
import type { BlockDevice } from '../block.js';

const MAGIC = 'CO86COW1';
const HEADER = 8 + 4 + 8 + 4;

export class CowBlockDevice implements BlockDevice {
  readonly readOnly = false;
  private readonly chunks = new Map<number, Uint8Array>();

  constructor(
    readonly base: BlockDevice,
    /** Overlay granularity in bytes: a power of two, at least 512. */
    readonly chunkSize = 4096,
  ) {
    if (chunkSize < 512 || (chunkSize & (chunkSize - 1)) !== 0) throw new Error(`cow: chunk size ${chunkSize} must be a power of two ≥ 512`);
  }

  get size(): number {
    return this.base.size;
  }

  /** Bytes held in the overlay. */
  get overlayBytes(): number {
    return this.chunks.size * this.chunkSize;
  }

  read(offset: number, dest: Uint8Array): void | Promise<void> {
    checkRange(offset, dest.length, this.size);
    const cs = this.chunkSize;
    let pending: Promise<void>[] | undefined;
    // Runs of chunks the overlay lacks go to the base in one read each.
    let runStart = -1;
    const flushRun = (end: number) => {
      if (runStart < 0) return;
      const p = this.base.read(offset + runStart, dest.subarray(runStart, end));
      if (p) (pending ??= []).push(p);
      runStart = -1;
    };
    let pos = 0;
    while (pos < dest.length) {
      const at = offset + pos;
      const index = Math.floor(at / cs);
      const within = at - index * cs;
      const n = Math.min(cs - within, dest.length - pos);
      const chunk = this.chunks.get(index);
      if (chunk) {
        flushRun(pos);
        dest.set(chunk.subarray(within, within + n), pos);
      } else if (runStart < 0) {
        runStart = pos;
      }
      pos += n;
    }
    flushRun(dest.length);
    if (pending) return Promise.all(pending).then(() => undefined);
  }

  write(offset: number, src: Uint8Array): void | Promise<void> {
    checkRange(offset, src.length, this.size);
    const cs = this.chunkSize;
    // First fetch every partially covered chunk the overlay does not have yet; then apply the write at once,
    // so a failed base read changes nothing.
    const fresh = new Map<number, Uint8Array>();
    const pending: Promise<void>[] = [];
    const first = Math.floor(offset / cs);
    const last = Math.floor((offset + src.length - 1) / cs);
    for (let index = first; index <= last && src.length > 0; index++) {
      if (this.chunks.has(index)) continue;
      const start = index * cs;
      const covered = offset <= start && offset + src.length >= start + cs;
      const chunk = new Uint8Array(cs);
      fresh.set(index, chunk);
      if (covered) continue;
      const length = Math.min(cs, this.size - start);
      const p = this.base.read(start, chunk.subarray(0, length));
      if (p) pending.push(p);
    }
    const apply = () => {
      for (const [index, chunk] of fresh) this.chunks.set(index, chunk);
      let pos = 0;
      while (pos < src.length) {
        const at = offset + pos;
        const index = Math.floor(at / cs);
        const within = at - index * cs;
        const n = Math.min(cs - within, src.length - pos);
        this.chunks.get(index)!.set(src.subarray(pos, pos + n), within);
        pos += n;
      }
    };
    if (pending.length) return Promise.all(pending).then(apply);
    apply();
  }

  /** The overlay as bytes: "CO86COW1", chunk size (u32), disk size (f64), chunk count (u32), then (index u32, data) per chunk. */
  overlay(): Uint8Array {
    const cs = this.chunkSize;
    const out = new Uint8Array(HEADER + this.chunks.size * (4 + cs));
    const view = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
    view.setUint32(8, cs, true);
    view.setFloat64(12, this.size, true);
    view.setUint32(20, this.chunks.size, true);
    let at = HEADER;
    for (const index of [...this.chunks.keys()].sort((a, b) => a - b)) {
      view.setUint32(at, index, true);
      out.set(this.chunks.get(index)!, at + 4);
      at += 4 + cs;
    }
    return out;
  }

  /** Replaces the overlay with one from overlay(); throws a clear error (changing nothing) on bytes that do not fit this disk. */
  loadOverlay(bytes: Uint8Array): void {
    const fail = (why: string): never => {
      throw new Error(`cow: cannot load overlay: ${why}`);
    };
    if (bytes.length < HEADER) fail('too short');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < 8; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) fail('not a co86 overlay');
    const cs = view.getUint32(8, true);
    if (cs !== this.chunkSize) fail(`chunk size ${cs}, this disk uses ${this.chunkSize}`);
    const size = view.getFloat64(12, true);
    if (size !== this.size) fail(`made for a ${size}-byte disk, this one has ${this.size} bytes`);
    const count = view.getUint32(20, true);
    if (bytes.length !== HEADER + count * (4 + cs)) fail('length does not match its chunk count');
    const chunks = new Map<number, Uint8Array>();
    const maxIndex = Math.ceil(this.size / cs);
    for (let i = 0, at = HEADER; i < count; i++, at += 4 + cs) {
      const index = view.getUint32(at, true);
      if (index >= maxIndex) fail(`chunk ${index} lies past the end of the disk`);
      chunks.set(index, bytes.slice(at + 4, at + 4 + cs));
    }
    this.chunks.clear();
    for (const [index, chunk] of chunks) this.chunks.set(index, chunk);
  }

  /** Forgets every write: the disk is the base image again. */
  discardOverlay(): void {
    this.chunks.clear();
  }
}

function checkRange(offset: number, length: number, size: number): void {
  if (!Number.isInteger(offset) || offset < 0 || length < 0 || offset + length > size) {
    throw new RangeError(`access ${offset}+${length} is past the end of a ${size}-byte disk`);
  }
}
