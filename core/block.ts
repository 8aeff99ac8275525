/**
 * A disk image (DESIGN §2, "Block devices are asynchronous"). Reads and writes may complete at once
 * (memory, files) or later (HTTP ranges): callers must handle both. Offsets and lengths are in bytes.
 */
export interface BlockDevice {
  readonly size: number;
  readonly readOnly: boolean;
  read(offset: number, dest: Uint8Array): void | Promise<void>;
  write(offset: number, src: Uint8Array): void | Promise<void>;
}

/** A disk image held in memory. Reads past the end throw a RangeError the controller turns into a guest error. */
export class MemoryBlockDevice implements BlockDevice {
  constructor(
    readonly data: Uint8Array,
    readonly readOnly = false,
  ) {}
  get size(): number {
    return this.data.length;
  }
  read(offset: number, dest: Uint8Array): void {
    checkRange(offset, dest.length, this.data.length);
    dest.set(this.data.subarray(offset, offset + dest.length));
  }
  write(offset: number, src: Uint8Array): void {
    if (this.readOnly) throw new Error('disk is read-only');
    checkRange(offset, src.length, this.data.length);
    this.data.set(src, offset);
  }
}

function checkRange(offset: number, length: number, size: number): void {
  if (offset < 0 || length < 0 || offset + length > size) {
    throw new RangeError(`access ${offset}+${length} is past the end of a ${size}-byte disk`);
  }
}
