/**
 * The PS/2 port between the 8042 and its devices (keyboard, later the mouse), and the 8042's scancode
 * translation table.
 */

/** The controller side of a PS/2 port, as a device sees it. */
export interface Ps2Host {
  /** The device has queued bytes for the host (the controller pulls them when its buffer is free). */
  deviceHasData(): void;
}

/** A device on a PS/2 port. */
export interface Ps2Device {
  readonly name: string;
  /** Connects the device to its controller port. */
  connect(host: Ps2Host): void;
  /** A byte from the host (a command or its argument). */
  write(byte: number): void;
  /** The next byte for the host, or -1 when none is queued. */
  read(): number;
}

/**
 * Scancode set 2 → set 1 for codes 00-7F, as the 8042's translation table has it (codes 80-FF pass
 * unchanged, except 83h (F7) → 41h and 84h (Alt+SysRq) → 54h). With translation on, the 8042 swallows a
 * F0 break prefix and sets bit 7 of the next translated code.
 */
const SET2_TO_SET1 = Uint8Array.from([
  0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
  0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
  0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
  0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
  0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
  0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
  0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
  0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
]);

/** One byte through the 8042 translation table (without the F0 handling). */
export function translateSet2(code: number): number {
  if (code < 0x80) return SET2_TO_SET1[code];
  if (code === 0x83) return 0x41;
  if (code === 0x84) return 0x54;
  return code;
}

/** The set-2 break prefix. */
export const BREAK_PREFIX = 0xf0;

/** A queue's saved form. */
export interface Ps2QueueState {
  bytes: Uint8Array;
  head: number;
  count: number;
}

/**
 * The bytes a PS/2 device holds for the host: a ring the device fills (at the back, or ahead of everything
 * for command answers) and the controller drains one byte at a time.
 */
export class Ps2OutputQueue {
  private readonly bytes: Uint8Array;
  private head = 0;
  private count = 0;

  constructor(readonly size = 256) {
    this.bytes = new Uint8Array(size);
  }

  get length(): number {
    return this.count;
  }

  /** Room left, in bytes. */
  get free(): number {
    return this.size - this.count;
  }

  clear(): void {
    this.head = this.count = 0;
  }

  /** Appends a byte; false (nothing queued) when full. */
  push(byte: number): boolean {
    if (this.count === this.size) return false;
    this.bytes[(this.head + this.count) % this.size] = byte;
    this.count++;
    return true;
  }

  /** Puts a byte ahead of everything queued; when full, the newest byte is dropped to make room. */
  pushFront(byte: number): void {
    if (this.count === this.size) this.count--;
    this.head = (this.head + this.size - 1) % this.size;
    this.bytes[this.head] = byte;
    this.count++;
  }

  /** Overwrites the newest byte (a keyboard's overrun marker); nothing when empty. */
  replaceNewest(byte: number): void {
    if (this.count > 0) this.bytes[(this.head + this.count - 1) % this.size] = byte;
  }

  /** The oldest byte, removed; -1 when empty. */
  shift(): number {
    if (this.count === 0) return -1;
    const byte = this.bytes[this.head];
    this.head = (this.head + 1) % this.size;
    this.count--;
    return byte;
  }

  save(): Ps2QueueState {
    return { bytes: this.bytes.slice(), head: this.head, count: this.count };
  }

  load(device: string, state: unknown): void {
    const s = state as Partial<Ps2QueueState> | undefined;
    if (!s || !(s.bytes instanceof Uint8Array) || s.bytes.length !== this.size || !Number.isInteger(s.head) || !Number.isInteger(s.count)) {
      throw new Error(`${device}: state field queue is not a ${this.size}-byte output queue`);
    }
    this.bytes.set(s.bytes);
    this.head = Math.abs(s.head!) % this.size;
    this.count = Math.min(Math.max(0, s.count!), this.size);
  }
}
