/**
 * Saving and restoring the video state: INT 10h AH=1Ch (VGA) and AX=4F04h (VBE, which adds the DISPI
 * registers as CX bit 3). CX selects the parts: bit 0 the card's registers, bit 1 the BIOS data area's video
 * fields, bit 2 the DAC, bit 3 (VBE only) the extension's registers. DL (4F04h) or AL (1Ch): 0 = buffer size
 * in 64-byte blocks into BX, 1 = save to ES:BX, 2 = restore from ES:BX.
 *
 * The buffer is ours to define (callers treat it as opaque). As on IBM's VGA BIOS it opens with a table of
 * word offsets, one per part (0 = not saved), so a buffer restores only what it holds.
 */
import { Dispi, DispiEnable, type FirmwareHost } from '../core/index.js';

export const enum VideoStatePart {
  Hardware = 1 << 0,
  BiosData = 1 << 1,
  Dac = 1 << 2,
  Extension = 1 << 3,
}

/** Register counts of the card (VGA): sequencer 0-4, CRTC 0-18h, graphics 0-8, attribute 0-14h. */
const SEQ = 5;
const CRTC = 0x19;
const GC = 9;
const AC = 0x15;
/** misc, feature control, then index + registers per group. */
const HARDWARE_SIZE = 2 + (1 + SEQ) + (1 + CRTC) + (1 + GC) + (1 + AC);
/** BDA ranges (offsets in segment 40h) and IVT vectors the video BIOS owns. */
const BDA_RANGES: readonly (readonly [number, number])[] = [
  [0x49, 0x67], // mode, columns, page size/start, cursors, cursor shape, page, CRTC port, mode/palette bytes
  [0x84, 0x8b], // rows, character height, EGA/VGA flags, display combination
  [0xa8, 0xac], // save pointer table
];
const VECTORS = [0x1d, 0x1f, 0x43];
const BIOS_DATA_SIZE = BDA_RANGES.reduce((n, [a, b]) => n + b - a, 0) + VECTORS.length * 4;
/** DAC state (reading or writing), its index, the PEL mask, 256 × RGB. */
const DAC_SIZE = 3 + 768;
/** The DISPI registers in restore order: the geometry, then ENABLE (which resets the rest), then the rest. */
const DISPI_REGS = [Dispi.XRES, Dispi.YRES, Dispi.BPP, Dispi.ENABLE, Dispi.BANK, Dispi.VIRT_WIDTH, Dispi.X_OFFSET, Dispi.Y_OFFSET];
const EXTENSION_SIZE = DISPI_REGS.length * 2;

/** The parts in buffer order, with their sizes. The header holds one word per part. */
const PARTS: readonly (readonly [VideoStatePart, number])[] = [
  [VideoStatePart.Hardware, HARDWARE_SIZE],
  [VideoStatePart.BiosData, BIOS_DATA_SIZE],
  [VideoStatePart.Dac, DAC_SIZE],
  [VideoStatePart.Extension, EXTENSION_SIZE],
];
const HEADER_SIZE = 0x20;

/** The buffer size, in 64-byte blocks, for the parts in `mask`. */
export function videoStateBlocks(mask: number): number {
  let size = HEADER_SIZE;
  for (const [part, bytes] of PARTS) if (mask & part) size += bytes;
  return Math.ceil(size / 64);
}

/** A cursor over the guest buffer. */
class Cursor {
  constructor(
    private readonly host: FirmwareHost,
    public at: number,
  ) {}
  put(value: number): void {
    this.host.memory.write8(this.at++, value);
  }
  get(): number {
    return this.host.memory.read8(this.at++);
  }
}

/** Saves the parts in `mask` to the buffer at physical `buffer`. */
export function saveVideoState(host: FirmwareHost, mask: number, buffer: number): void {
  const mem = host.memory;
  for (let i = 0; i < HEADER_SIZE; i++) mem.write8(buffer + i, 0);
  let offset = HEADER_SIZE;
  PARTS.forEach(([part, bytes], i) => {
    if (!(mask & part)) return;
    mem.write16(buffer + i * 2, offset);
    const c = new Cursor(host, buffer + offset);
    if (part === VideoStatePart.Hardware) saveHardware(host, c);
    else if (part === VideoStatePart.BiosData) saveBiosData(host, c);
    else if (part === VideoStatePart.Dac) saveDac(host, c);
    else saveExtension(host, c);
    offset += bytes;
  });
}

/** Restores the parts in `mask` that the buffer holds. The DISPI registers go last: they may take the card over. */
export function restoreVideoState(host: FirmwareHost, mask: number, buffer: number): void {
  PARTS.forEach(([part], i) => {
    const offset = host.memory.read16(buffer + i * 2);
    if (!(mask & part) || offset === 0) return;
    const c = new Cursor(host, buffer + offset);
    if (part === VideoStatePart.Hardware) restoreHardware(host, c);
    else if (part === VideoStatePart.BiosData) restoreBiosData(host, c);
    else if (part === VideoStatePart.Dac) restoreDac(host, c);
    else restoreExtension(host, c);
  });
}

function crtcBase(host: FirmwareHost): number {
  return host.io.read8(0x3cc) & 1 ? 0x3d4 : 0x3b4;
}

/** Saves an index/data register group: its index, then registers 0..count-1; the index is put back. */
function saveGroup(host: FirmwareHost, c: Cursor, port: number, count: number): void {
  const io = host.io;
  const index = io.read8(port);
  c.put(index);
  for (let i = 0; i < count; i++) {
    io.write8(port, i);
    c.put(io.read8(port + 1));
  }
  io.write8(port, index);
}

function restoreGroup(host: FirmwareHost, c: Cursor, port: number, count: number, before?: () => void): void {
  const io = host.io;
  const index = c.get();
  before?.();
  for (let i = 0; i < count; i++) {
    io.write8(port, i);
    io.write8(port + 1, c.get());
  }
  io.write8(port, index);
}

function saveHardware(host: FirmwareHost, c: Cursor): void {
  const io = host.io;
  c.put(io.read8(0x3cc));
  c.put(io.read8(0x3ca));
  saveGroup(host, c, 0x3c4, SEQ);
  saveGroup(host, c, crtcBase(host), CRTC);
  saveGroup(host, c, 0x3ce, GC);
  // The attribute controller: reading input status 1 puts the flip-flop on "index"; 3C1h reads the data.
  const status = crtcBase(host) + 6;
  io.read8(status);
  const index = io.read8(0x3c0);
  c.put(index);
  for (let i = 0; i < AC; i++) {
    io.write8(0x3c0, i | (index & 0x20));
    c.put(io.read8(0x3c1));
    io.read8(status);
  }
  io.write8(0x3c0, index);
  io.read8(status);
}

function restoreHardware(host: FirmwareHost, c: Cursor): void {
  const io = host.io;
  io.write8(0x3c2, c.get()); // misc first: it decides where the CRTC answers
  io.write8(crtcBase(host) + 6, c.get());
  restoreGroup(host, c, 0x3c4, SEQ);
  // CRTC registers 0-7 are write-protected while 11h bit 7 is set: clear it first; 11h itself comes after 0-7.
  const crtc = crtcBase(host);
  restoreGroup(host, c, crtc, CRTC, () => {
    io.write8(crtc, 0x11);
    io.write8(crtc + 1, io.read8(crtc + 1) & 0x7f);
  });
  restoreGroup(host, c, 0x3ce, GC);
  const status = crtc + 6;
  const index = c.get();
  io.read8(status);
  for (let i = 0; i < AC; i++) {
    io.write8(0x3c0, i);
    io.write8(0x3c0, c.get());
  }
  io.write8(0x3c0, index); // with the palette address source bit as saved (screen on or off)
  io.read8(status);
}

function saveBiosData(host: FirmwareHost, c: Cursor): void {
  const mem = host.memory;
  for (const [a, b] of BDA_RANGES) for (let i = a; i < b; i++) c.put(mem.read8(0x400 + i));
  for (const v of VECTORS) for (let i = 0; i < 4; i++) c.put(mem.read8(v * 4 + i));
}

function restoreBiosData(host: FirmwareHost, c: Cursor): void {
  const mem = host.memory;
  for (const [a, b] of BDA_RANGES) for (let i = a; i < b; i++) mem.write8(0x400 + i, c.get());
  for (const v of VECTORS) for (let i = 0; i < 4; i++) mem.write8(v * 4 + i, c.get());
}

function saveDac(host: FirmwareHost, c: Cursor): void {
  const io = host.io;
  c.put(io.read8(0x3c7) & 3); // 3: the DAC was last set up for reading, 0: for writing
  c.put(io.read8(0x3c8));
  c.put(io.read8(0x3c6));
  io.write8(0x3c7, 0);
  for (let i = 0; i < 768; i++) c.put(io.read8(0x3c9));
}

function restoreDac(host: FirmwareHost, c: Cursor): void {
  const io = host.io;
  const state = c.get();
  const index = c.get();
  io.write8(0x3c6, c.get());
  io.write8(0x3c8, 0);
  for (let i = 0; i < 768; i++) io.write8(0x3c9, c.get());
  // Leave the DAC addressed as it was. (A read index is not readable; the write index is what 3C8h returns.)
  if (state === 3) io.write8(0x3c7, index);
  else io.write8(0x3c8, index);
}

/** A DISPI register (ports 1CEh index, 1CFh data). */
export function dispiRead(host: FirmwareHost, index: number): number {
  host.io.write16(0x1ce, index);
  return host.io.read16(0x1cf);
}

export function dispiWrite(host: FirmwareHost, index: number, value: number): void {
  host.io.write16(0x1ce, index);
  host.io.write16(0x1cf, value);
}

function saveExtension(host: FirmwareHost, c: Cursor): void {
  for (const reg of DISPI_REGS) {
    // NOCLEARMEM is an instruction to the mode set, not state: the restore sets it itself.
    const v = dispiRead(host, reg) & (reg === Dispi.ENABLE ? ~DispiEnable.NOCLEARMEM : 0xffff);
    c.put(v & 0xff);
    c.put(v >>> 8);
  }
}

function restoreExtension(host: FirmwareHost, c: Cursor): void {
  dispiWrite(host, Dispi.ENABLE, 0);
  for (const reg of DISPI_REGS) {
    const value = c.get() | (c.get() << 8);
    // Restoring must not clear video memory the caller saved elsewhere.
    dispiWrite(host, reg, reg === Dispi.ENABLE && value & DispiEnable.ENABLED ? value | DispiEnable.NOCLEARMEM : value);
  }
}
