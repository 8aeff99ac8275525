import type { Clock } from '../../clock.js';
import { checkStateVersion, type Device, type DeviceState } from '../../device.js';
import type { IoBus } from '../../io.js';
import { VGA_WINDOW, type MmioHandler, type PhysicalMemory } from '../../memory.js';
import { loadFields, saveFields } from '../fields.js';
import { PciConfigSpace, type PciFunction } from '../pci/pci.js';
import { CP437_CHARS } from './cp437.js';
import { FONT8X16 } from './fonts/index.js';
import { egaPalette, MODE3 } from './mode3.js';
import { DIRTY_SHIFT, PLANE_SIZE, VgaRenderer, type VgaScanSource } from './render.js';
import { BochsVbe, Dispi, VBE_VRAM_SIZE } from './vbe.js';
import { mapVgaRom } from './vga-rom.js';

const STATE_VERSION = 2;
const DIRTY_BLOCKS = PLANE_SIZE >> DIRTY_SHIFT;
/** Dot clocks selected by misc output bits 3..2. */
const DOT_CLOCK_HZ = [25_175_000, 28_322_000];
/** The memory map select (GC 06h bits 3..2): window start and size. */
const WINDOWS = [
  { start: 0xa0000, size: 0x20000 },
  { start: 0xa0000, size: 0x10000 },
  { start: 0xb0000, size: 0x8000 },
  { start: 0xb8000, size: 0x8000 },
] as const;

// Register indexes and bits used by name below.
const SEQ_CLOCKING = 0x01;
const SEQ_MAP_MASK = 0x02;
const SEQ_MEMORY_MODE = 0x04;
const GC_SET_RESET = 0x00;
const GC_ENABLE_SET_RESET = 0x01;
const GC_COLOR_COMPARE = 0x02;
const GC_ROTATE = 0x03;
const GC_READ_MAP = 0x04;
const GC_MODE = 0x05;
const GC_MISC = 0x06;
const GC_DONT_CARE = 0x07;
const GC_BIT_MASK = 0x08;
const AC_MODE = 0x10;
const AC_PLANE_ENABLE = 0x12;

export interface TextScreen {
  cols: number;
  rows: number;
  /** Row-major cells: character | attribute << 8. */
  cells: Uint16Array;
  cursor: { row: number; col: number; visible: boolean; startLine: number; endLine: number };
}

export type DisplayMode = { text: true; cols: number; rows: number } | { text: false; width: number; height: number; bpp: number };

/** What render() reports: the picture's size, and whether any pixel of `out` changed. */
export interface RenderResult {
  width: number;
  height: number;
  changed: boolean;
}

const FIELDS = [
  'planes', 'misc', 'seqIndex', 'seq', 'crtcIndex', 'crtc', 'gcIndex', 'gc', 'acIndex', 'ac', 'acData', 'dac',
  'dacWriteIndex', 'dacReadIndex', 'dacComponent', 'dacReading', 'pelMask', 'featureControl', 'subsystemEnable', 'latch',
] as const;
const VBE_FIELDS = ['regs', 'index'] as const;

export interface VgaOptions {
  io: IoBus;
  memory: PhysicalMemory;
  /** For retrace timing in the input status register; without one, status toggles on every read. */
  clock?: Clock;
}

/**
 * A VGA: the real register files, 256 KiB of video memory as four 64 KiB planes behind the A0000-BFFFF
 * window (odd/even and chain-4 addressing, write modes 0-3, read modes 0-1, latches), and a view of the
 * text screen derived from the CRTC. Reset leaves it as the BIOS leaves mode 3 (the font in plane 2 is
 * the BIOS's to load).
 */
export class Vga implements Device, MmioHandler, VgaScanSource {
  readonly name = 'vga';
  /** Plane p at p × 64 KiB. */
  readonly planes = new Uint8Array(4 * PLANE_SIZE);
  private misc = 0;
  private seqIndex = 0;
  // The register files are readable for the renderer (render.ts); only the port handlers write them.
  readonly seq = new Uint8Array(8);
  private crtcIndex = 0;
  readonly crtc = new Uint8Array(64);
  private gcIndex = 0;
  readonly gc = new Uint8Array(16);
  /** Attribute controller index, with bit 5 (palette address source). */
  acIndex = 0;
  readonly ac = new Uint8Array(32);
  /** The 3C0h flip-flop: false = next write is an index, true = data. */
  private acData = false;
  readonly dac = new Uint8Array(256 * 3);
  private dacWriteIndex = 0;
  private dacReadIndex = 0;
  private dacComponent = 0;
  private dacReading = false;
  pelMask = 0xff;
  private featureControl = 0;
  private subsystemEnable = 1;
  private readonly latch = new Uint8Array(4);
  private readonly clock?: Clock;
  private statusReads = 0;

  /** Bumped on every change that can alter the picture (memory or registers). */
  changeCount = 0;
  private readonly dirty = new Uint8Array(DIRTY_BLOCKS);
  private displayChanged = true;
  // The renderer's own change tracking (VgaScanSource), apart from takeChanges()'s.
  readonly frameDirty = new Uint8Array(DIRTY_BLOCKS);
  frameAll = true;
  fontWritten = true;
  cursorChanged = true;
  /** The Bochs VBE extension (ports 1CEh/1CFh, linear framebuffer). */
  readonly vbe: BochsVbe;
  /** The card as PCI function 1234:1111 (Bochs/QEMU standard VGA); BAR0 is the linear framebuffer. */
  readonly pci: PciFunction;
  private readonly renderer: VgaRenderer;

  constructor(options: VgaOptions) {
    this.clock = options.clock;
    options.memory.mapMmio(VGA_WINDOW.start, VGA_WINDOW.end - VGA_WINDOW.start, this);
    mapVgaRom(options.memory);
    this.vbe = new BochsVbe({ io: options.io, memory: options.memory });
    this.vbe.onDisplayChange = () => this.markDisplayChanged();
    const vbe = this.vbe;
    this.pci = {
      name: 'vga',
      config: new PciConfigSpace({
        vendorId: 0x1234,
        deviceId: 0x1111,
        revision: 2,
        classCode: 0x030000,
        subsystemVendorId: 0x1af4,
        subsystemId: 0x1100,
        bars: [{ kind: 'mem32', size: VBE_VRAM_SIZE, onMap: (base) => vbe.mapLfb(base) }],
      }),
    };
    this.registerPorts(options.io);
    this.renderer = new VgaRenderer(this);
    this.reset();
  }

  /** The clock's time for blinking, if the card has a clock (VgaScanSource). */
  now(): number | undefined {
    return this.clock?.now();
  }

  private registerPorts(io: IoBus): void {
    const name = this.name;
    io.register(name, 0x3c0, { read8: () => this.acIndex, write8: (_p, v) => this.writeAttribute(v) });
    io.register(name, 0x3c1, { read8: () => this.ac[this.acIndex & 0x1f] });
    io.register(name, 0x3c2, { read8: () => 0x10, write8: (_p, v) => this.setMisc(v) });
    io.register(name, 0x3c3, { read8: () => this.subsystemEnable, write8: (_p, v) => (this.subsystemEnable = v & 1) });
    io.register(name, 0x3c4, { read8: () => this.seqIndex, write8: (_p, v) => (this.seqIndex = v & 7) });
    io.register(name, 0x3c5, { read8: () => this.seq[this.seqIndex], write8: (_p, v) => this.writeSeq(v) });
    io.register(name, 0x3c6, { read8: () => this.pelMask, write8: (_p, v) => this.setPelMask(v) });
    io.register(name, 0x3c7, { read8: () => (this.dacReading ? 3 : 0), write8: (_p, v) => this.setDacRead(v) });
    io.register(name, 0x3c8, { read8: () => this.dacWriteIndex, write8: (_p, v) => this.setDacWrite(v) });
    io.register(name, 0x3c9, { read8: () => this.readDac(), write8: (_p, v) => this.writeDac(v) });
    io.register(name, 0x3ca, { read8: () => this.featureControl });
    io.register(name, 0x3cc, { read8: () => this.misc });
    io.register(name, 0x3ce, { read8: () => this.gcIndex, write8: (_p, v) => (this.gcIndex = v & 15) });
    io.register(name, 0x3cf, { read8: () => this.gc[this.gcIndex], write8: (_p, v) => this.writeGc(v) });
    // The CRTC and input status 1 answer at 3Dxh in colour mode (misc bit 0) and 3Bxh in mono mode.
    for (const base of [0x3b0, 0x3d0]) {
      const active = () => ((this.misc & 1) !== 0) === (base === 0x3d0);
      io.register(name, base + 4, {
        read8: () => (active() ? this.crtcIndex : 0xff),
        write8: (_p, v) => active() && (this.crtcIndex = v & 0x3f),
      });
      io.register(name, base + 5, {
        read8: () => (active() ? this.crtc[this.crtcIndex] : 0xff),
        write8: (_p, v) => active() && this.writeCrtc(v),
      });
      io.register(name, base + 0xa, {
        read8: () => (active() ? this.readStatus1() : 0xff),
        write8: (_p, v) => active() && (this.featureControl = v),
      });
    }
  }

  reset(): void {
    this.misc = MODE3.misc;
    this.seq.fill(0);
    this.seq.set(MODE3.sequencer);
    this.crtc.fill(0);
    this.crtc.set(MODE3.crtc);
    this.gc.fill(0);
    this.gc.set(MODE3.graphics);
    this.ac.fill(0);
    this.ac.set(MODE3.attribute);
    this.seqIndex = this.crtcIndex = this.gcIndex = 0;
    this.acIndex = 0x20; // palette address source set: the screen is on
    this.acData = false;
    this.dac.fill(0);
    this.dac.set(egaPalette());
    this.dacWriteIndex = this.dacReadIndex = this.dacComponent = 0;
    this.dacReading = false;
    this.pelMask = 0xff;
    this.featureControl = 0;
    this.subsystemEnable = 1;
    this.latch.fill(0);
    // A cleared mode 3 screen: spaces in light grey on black.
    this.planes.fill(0);
    this.planes.fill(0x20, 0, PLANE_SIZE);
    this.planes.fill(0x07, PLANE_SIZE, 2 * PLANE_SIZE);
    // The 8×16 font in plane 2 (32-byte glyph slots), as the video BIOS leaves it, so that a guest started
    // without a BIOS mode set (direct kernel boot) still shows text.
    for (let c = 0; c < 256; c++) this.planes.set(FONT8X16.glyphs.subarray(c * 16, c * 16 + 16), 2 * PLANE_SIZE + c * 32);
    this.vbe.reset();
    this.frameDirty.fill(1);
    this.markDisplayChanged();
  }

  // ---- registers ----

  private markDisplayChanged(): void {
    this.displayChanged = true;
    this.frameAll = true;
    this.changeCount++;
  }

  private setMisc(value: number): void {
    this.misc = value;
    this.markDisplayChanged();
  }

  private writeSeq(value: number): void {
    this.seq[this.seqIndex] = value;
    if (this.seqIndex !== SEQ_MAP_MASK) this.markDisplayChanged();
  }

  private writeCrtc(value: number): void {
    const index = this.crtcIndex;
    if (index >= 0x19) return;
    // CR11 bit 7 write-protects CR00-CR07, except the line compare bit 4 of CR07.
    if (this.crtc[0x11] & 0x80 && index <= 7) {
      if (index !== 7) return;
      value = (this.crtc[7] & ~0x10) | (value & 0x10);
    }
    this.crtc[index] = value;
    if (index === 0x0a || index === 0x0b || index === 0x0e || index === 0x0f) {
      // The cursor: the renderer redraws only its rows (takeChanges() still reports a register change).
      this.displayChanged = true;
      this.cursorChanged = true;
      this.changeCount++;
      return;
    }
    this.markDisplayChanged();
  }

  private writeGc(value: number): void {
    this.gc[this.gcIndex] = value;
    if (this.gcIndex >= GC_MODE) this.markDisplayChanged();
  }

  private writeAttribute(value: number): void {
    if (!this.acData) {
      this.acIndex = value & 0x3f;
    } else {
      const index = this.acIndex & 0x1f;
      if (index < 0x15) this.ac[index] = value;
    }
    this.acData = !this.acData;
    this.markDisplayChanged();
  }

  private setPelMask(value: number): void {
    this.pelMask = value;
    this.markDisplayChanged();
  }

  private setDacRead(index: number): void {
    this.dacReadIndex = index;
    this.dacComponent = 0;
    this.dacReading = true;
  }

  private setDacWrite(index: number): void {
    this.dacWriteIndex = index;
    this.dacComponent = 0;
    this.dacReading = false;
  }

  private readDac(): number {
    const value = this.dac[this.dacReadIndex * 3 + this.dacComponent];
    if (++this.dacComponent === 3) {
      this.dacComponent = 0;
      this.dacReadIndex = (this.dacReadIndex + 1) & 0xff;
    }
    return value;
  }

  private writeDac(value: number): void {
    // 6-bit components, or 8-bit ones while the VBE 8-bit DAC mode is on (VBE 4F08h).
    this.dac[this.dacWriteIndex * 3 + this.dacComponent] = this.vbe.dac8 ? value : value & 0x3f;
    if (++this.dacComponent === 3) {
      this.dacComponent = 0;
      this.dacWriteIndex = (this.dacWriteIndex + 1) & 0xff;
    }
    this.markDisplayChanged();
  }

  /** Input status 1: bit 0 display disabled (blanking), bit 3 vertical retrace. Resets the 3C0h flip-flop. */
  private readStatus1(): number {
    this.acData = false;
    if (!this.clock) {
      // No time source: walk through a frame, a few reads per phase, so polling loops finish.
      const n = this.statusReads++ & 63;
      return (n >= 56 ? 0x09 : 0) | (n & 1);
    }
    const t = this.timing();
    const frameNs = t.lineNs * t.totalLines;
    const inFrame = this.clock.now() % frameNs;
    const line = Math.floor(inFrame / t.lineNs);
    const inLine = inFrame - line * t.lineNs;
    const retrace = line >= t.retraceStart && line < t.retraceStart + t.retraceLines;
    const blank = line >= t.displayLines || inLine >= t.lineNs * t.displayFraction;
    return (retrace ? 0x08 : 0) | (blank || retrace ? 0x01 : 0);
  }

  /** Frame timing from the CRTC, with sane fallbacks for garbage. */
  private timing() {
    const c = this.crtc;
    const ov = c[7];
    const charWidth = this.seq[SEQ_CLOCKING] & 1 ? 8 : 9;
    let dotClock = DOT_CLOCK_HZ[(this.misc >> 2) & 1];
    if (this.seq[SEQ_CLOCKING] & 0x08) dotClock /= 2;
    const hTotal = c[0] + 5;
    const lineNs = Math.max(1000, ((hTotal * charWidth) / dotClock) * 1e9);
    const totalLines = Math.max(2, (c[6] | ((ov & 0x01) << 8) | ((ov & 0x20) << 4)) + 2);
    const displayLines = (c[0x12] | ((ov & 0x02) << 7) | ((ov & 0x40) << 3)) + 1;
    const retraceStart = c[0x10] | ((ov & 0x04) << 6) | ((ov & 0x80) << 2);
    const retraceLines = ((c[0x11] & 15) - (retraceStart & 15)) & 15 || 16;
    const displayFraction = Math.min(1, (c[1] + 1) / hTotal);
    return { lineNs, totalLines, displayLines, retraceStart, retraceLines, displayFraction };
  }

  // ---- memory ----

  /** The plane offset of a CPU address, or -1 outside the selected window. */
  private windowOffset(addr: number): number {
    // A 4-bpp DISPI mode draws through the planar logic, always at A0000h-AFFFFh.
    const w = WINDOWS[this.vbe.planar ? 1 : (this.gc[GC_MISC] >> 2) & 3];
    const offset = addr - w.start;
    return offset >= 0 && offset < w.size ? offset : -1;
  }

  read8(addr: number): number {
    if (this.vbe.enabled && !this.vbe.planar) return addr < 0xb0000 ? this.vbe.bankRead(addr - 0xa0000) : 0xff;
    const offset = this.windowOffset(addr);
    if (offset < 0) return 0xff;
    const planes = this.planes;
    let p: number;
    let plane: number;
    if (this.seq[SEQ_MEMORY_MODE] & 0x08) {
      plane = offset & 3;
      p = offset & 0xfffc;
    } else if (this.gc[GC_MODE] & 0x10) {
      plane = (this.gc[GC_READ_MAP] & 2) | (offset & 1);
      p = offset & 0xfffe;
    } else {
      plane = this.gc[GC_READ_MAP] & 3;
      p = offset & 0xffff;
    }
    const latch = this.latch;
    latch[0] = planes[p];
    latch[1] = planes[PLANE_SIZE + p];
    latch[2] = planes[2 * PLANE_SIZE + p];
    latch[3] = planes[3 * PLANE_SIZE + p];
    if (!(this.gc[GC_MODE] & 0x08)) return latch[plane];
    // Read mode 1: colour compare over the planes that count.
    const care = this.gc[GC_DONT_CARE];
    const color = this.gc[GC_COLOR_COMPARE];
    let result = 0xff;
    for (let i = 0; i < 4; i++) {
      if (care & (1 << i)) result &= ~(latch[i] ^ (color & (1 << i) ? 0xff : 0));
    }
    return result & 0xff;
  }

  write8(addr: number, value: number): void {
    if (this.vbe.enabled && !this.vbe.planar) {
      if (addr < 0xb0000) this.vbe.bankWrite(addr - 0xa0000, value);
      this.changeCount++;
      return;
    }
    const offset = this.windowOffset(addr);
    if (offset < 0) return;
    const gc = this.gc;
    let mask = this.seq[SEQ_MAP_MASK] & 15;
    let p: number;
    if (this.seq[SEQ_MEMORY_MODE] & 0x08) {
      mask &= 1 << (offset & 3);
      p = offset & 0xfffc;
    } else if (!(this.seq[SEQ_MEMORY_MODE] & 0x04)) {
      mask &= offset & 1 ? 0b1010 : 0b0101;
      p = offset & 0xfffe;
    } else {
      p = offset & 0xffff;
    }
    if (!mask) return;
    const planes = this.planes;
    const mode = gc[GC_MODE] & 3;
    if (mode === 0 && gc[GC_ENABLE_SET_RESET] === 0 && gc[GC_ROTATE] === 0 && gc[GC_BIT_MASK] === 0xff) {
      // The common case (text, plain planar writes): the byte goes to every enabled plane as is.
      for (let i = 0; i < 4; i++) if (mask & (1 << i)) planes[i * PLANE_SIZE + p] = value;
    } else {
      this.writeModes(mode, mask, p, value);
    }
    this.dirty[p >> DIRTY_SHIFT] = 1;
    this.frameDirty[p >> DIRTY_SHIFT] = 1;
    if (mask & 4) this.fontWritten = true;
    this.changeCount++;
  }

  /** Write modes 0-3 with set/reset, rotate, logical operation and bit mask. */
  private writeModes(mode: number, mask: number, p: number, value: number): void {
    const gc = this.gc;
    const latch = this.latch;
    const rotate = gc[GC_ROTATE] & 7;
    const rotated = ((value >> rotate) | (value << (8 - rotate))) & 0xff;
    const op = (gc[GC_ROTATE] >> 3) & 3;
    let bitMask = gc[GC_BIT_MASK];
    if (mode === 3) bitMask &= rotated;
    for (let i = 0; i < 4; i++) {
      if (!(mask & (1 << i))) continue;
      let data: number;
      if (mode === 1) {
        this.planes[i * PLANE_SIZE + p] = latch[i];
        continue;
      } else if (mode === 2) {
        data = value & (1 << i) ? 0xff : 0;
      } else if (mode === 3 || gc[GC_ENABLE_SET_RESET] & (1 << i)) {
        data = gc[GC_SET_RESET] & (1 << i) ? 0xff : 0;
      } else {
        data = rotated;
      }
      if (op === 1) data &= latch[i];
      else if (op === 2) data |= latch[i];
      else if (op === 3) data ^= latch[i];
      this.planes[i * PLANE_SIZE + p] = (data & bitMask) | (latch[i] & ~bitMask);
    }
  }

  // ---- outside view ----

  /** Graphics mode (GC misc bit 0)? */
  private isGraphics(): boolean {
    return (this.gc[GC_MISC] & 1) !== 0;
  }

  private verticalDisplayLines(): number {
    const c = this.crtc;
    return (c[0x12] | ((c[7] & 0x02) << 7) | ((c[7] & 0x40) << 3)) + 1;
  }

  /** Scanlines per character row (or per pixel row in graphics), with scan doubling. */
  private linesPerRow(): number {
    const c9 = this.crtc[9];
    return ((c9 & 0x1f) + 1) * (c9 & 0x80 ? 2 : 1);
  }

  /** Plane offset of CRTC memory address `ma` (byte, word or doubleword addressing). */
  private crtcAddress(ma: number): number {
    if (this.crtc[0x14] & 0x40) return ((ma << 2) | ((ma >> 14) & 3)) & 0xffff;
    if (!(this.crtc[0x17] & 0x40)) return ((ma << 1) | ((ma >> (this.crtc[0x17] & 0x20 ? 15 : 13)) & 1)) & 0xffff;
    return ma & 0xffff;
  }

  displayMode(): DisplayMode {
    if (this.vbe.enabled) {
      const r = this.vbe.regs;
      return { text: false, width: r[Dispi.XRES], height: r[Dispi.YRES], bpp: r[Dispi.BPP] };
    }
    const cols = this.crtc[1] + 1;
    const lines = this.verticalDisplayLines();
    if (!this.isGraphics()) return { text: true, cols, rows: Math.max(1, Math.floor(lines / this.linesPerRow())) };
    const eightBit = (this.ac[AC_MODE] & 0x40) !== 0;
    const planesOn = this.ac[AC_PLANE_ENABLE] & 15;
    const bpp = eightBit ? 8 : this.gc[GC_MODE] & 0x20 ? 2 : planesOn === 1 ? 1 : 4;
    return { text: false, width: (cols * 8) / (eightBit ? 2 : 1), height: Math.floor(lines / this.linesPerRow()), bpp };
  }

  /** The text screen as the CRTC shows it: cells from planes 0 (characters) and 1 (attributes), and the cursor. */
  textScreen(): TextScreen {
    const c = this.crtc;
    const cols = c[1] + 1;
    const rows = Math.min(128, Math.max(1, Math.floor(this.verticalDisplayLines() / this.linesPerRow())));
    const stride = c[0x13] * 2;
    const start = (c[0x0c] << 8) | c[0x0d];
    const cells = new Uint16Array(cols * rows);
    const planes = this.planes;
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        const p = this.crtcAddress(start + row * stride + col);
        cells[row * cols + col] = planes[p] | (planes[PLANE_SIZE + p] << 8);
      }
    }
    const startLine = c[0x0a] & 0x1f;
    const endLine = c[0x0b] & 0x1f;
    const rel = (((c[0x0e] << 8) | c[0x0f]) - start) & 0xffff;
    const row = stride ? Math.floor(rel / stride) : 0;
    const col = stride ? rel % stride : rel;
    const visible = !(c[0x0a] & 0x20) && startLine <= endLine && startLine <= (c[9] & 0x1f) && row < rows && col < cols;
    return { cols, rows, cells, cursor: { row, col, visible, startLine, endLine } };
  }

  /** The text screen as text: rows joined with '\n', trailing spaces trimmed; empty in graphics modes. */
  screenText(): string {
    if (this.isGraphics() || this.vbe.enabled) return '';
    const { cols, rows, cells } = this.textScreen();
    const lines: string[] = [];
    for (let row = 0; row < rows; row++) {
      let line = '';
      for (let col = 0; col < cols; col++) line += CP437_CHARS[cells[row * cols + col] & 0xff];
      lines.push(line.trimEnd());
    }
    return lines.join('\n');
  }

  /**
   * What changed since the last call: `all` when registers that shape the picture changed, else the
   * 1 KiB blocks of plane offsets written (bit n of `blocks` = offsets n×1024 … n×1024+1023).
   */
  takeChanges(): { all: boolean; blocks: Uint8Array } {
    const blocks = this.dirty.slice();
    const all = this.displayChanged;
    this.dirty.fill(0);
    this.displayChanged = false;
    return { all, blocks };
  }

  /** DAC entry as 8-bit RGB, through the PEL mask; for renderers. */
  paletteRgb(index: number): [number, number, number] {
    const i = (index & this.pelMask & 0xff) * 3;
    const scale = (v: number) => (v << 2) | (v >> 4);
    return [scale(this.dac[i]), scale(this.dac[i + 1]), scale(this.dac[i + 2])];
  }

  /** Attribute-controller palette register (0-15) and mode registers, for renderers. */
  attributeRegister(index: number): number {
    return this.ac[index & 0x1f];
  }

  /**
   * Draws the current picture as RGBA into `out` (at least width × height × 4 bytes; when it is smaller nothing
   * is drawn and the caller resizes to the returned size and calls again). With `dirty`, marks the 32×32 tiles
   * that changed since the last call (row-major, ceil(width / 32) per row). See render.ts.
   */
  render(out: Uint8ClampedArray, dirty?: Uint8Array): RenderResult {
    return this.renderer.render(out, dirty);
  }

  /** The size render() would draw now. */
  renderSize(): { width: number; height: number } {
    return this.renderer.size();
  }

  saveState(): DeviceState {
    const vbe = this.vbe;
    // Video memory beyond what the VBE mode shows is not kept: a snapshot holds the visible mode's bytes.
    const used = vbe.enabled ? Math.min(VBE_VRAM_SIZE, vbe.stride * vbe.regs[Dispi.VIRT_HEIGHT]) : 0;
    return {
      version: STATE_VERSION,
      ...saveFields(this, FIELDS),
      vbe: { ...saveFields(vbe, VBE_FIELDS), vram: vbe.vram.slice(0, used) },
    };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    loadFields(this.name, this, state, FIELDS);
    const saved = state.vbe as { vram?: unknown } | undefined;
    loadFields(this.name, this.vbe, saved, VBE_FIELDS);
    const vram = saved?.vram;
    if (!(vram instanceof Uint8Array) || vram.length > VBE_VRAM_SIZE) throw new Error(`${this.name}: state field vbe.vram is not a Uint8Array of at most 16 MiB`);
    this.vbe.vram.fill(0);
    this.vbe.vram.set(vram);
    this.vbe.dirtyPages.fill(1);
    this.frameDirty.fill(1);
    this.seqIndex &= 7;
    this.crtcIndex &= 0x3f;
    this.gcIndex &= 15;
    this.acIndex &= 0x3f;
    this.dacWriteIndex &= 0xff;
    this.dacReadIndex &= 0xff;
    this.dacComponent %= 3;
    this.dirty.fill(1);
    this.markDisplayChanged();
  }
}
