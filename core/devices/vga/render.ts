/**
 * The VGA's picture as RGBA, drawn the way the card scans it out: line by line from the CRTC's addresses,
 * through the attribute controller and the DAC. One path covers every mode: text (8/9-dot cells, the font in
 * plane 2, cursor, blink, underline), planar 16 colours (EGA/VGA 0Dh-12h, mode 06h), CGA 2-bit interleave
 * (04h/05h), 256 colours chained (13h) or not (Mode X), split screen (line compare), panning, doubled scan
 * lines, and the Bochs VBE framebuffer at 8/15/16/24/32 bpp.
 *
 * Graphics modes come out at their logical size (mode 13h is 320×200, not the 640×400 the monitor gets);
 * text modes at the dot size (720×400 for mode 3). Each scanline is drawn into a scratch line and compared
 * with what `out` holds, so only changed pixels are written and the 32×32 tiles holding them marked; lines
 * whose video memory was not written and whose registers did not change are skipped without being drawn.
 */
import { bytesPerPixel, Dispi, type BochsVbe } from './vbe.js';

export const PLANE_SIZE = 0x10000;
/** Dirty tracking granule over plane offsets (1 KiB). */
export const DIRTY_SHIFT = 10;
export const TILE = 32;
const MAX_LINE = 2600;
/** ~70 Hz frames: the cursor blinks every 16 frames, blinking characters every 32. */
const FRAME_NS = 14_268_000;

/** What the renderer reads of the card (the Vga exposes these). */
export interface VgaScanSource {
  readonly planes: Uint8Array;
  readonly seq: Uint8Array;
  readonly crtc: Uint8Array;
  readonly gc: Uint8Array;
  readonly ac: Uint8Array;
  readonly dac: Uint8Array;
  readonly vbe: BochsVbe;
  /** Plane-offset 1 KiB blocks written since the renderer last ran. */
  readonly frameDirty: Uint8Array;
  pelMask: number;
  /** Attribute index register (bit 5: palette address source; clear = screen blanked). */
  acIndex: number;
  /** Set by register changes that alter the picture; cleared by the renderer. */
  frameAll: boolean;
  /** Plane 2 (the font) written since the renderer last ran. */
  fontWritten: boolean;
  /** Cursor position or shape registers written since the renderer last ran (these do not set frameAll). */
  cursorChanged: boolean;
  now(): number | undefined;
}

/** VbePlanar: a DISPI mode at 4 bpp, drawn from the VGA's four planes (VIRT_WIDTH / 8 bytes per line and plane). */
const enum Kind { Blank, Text, Planar, Cga, Vga256, Vbe, VbePlanar }

export class VgaRenderer {
  private readonly line = new Uint32Array(MAX_LINE + 64);
  /** DAC colours through the PEL mask, as RGBA words (little-endian: R in the low byte). */
  private readonly palette = new Uint32Array(256);
  /** Attribute colour 0-15 → RGBA, after the palette registers, colour plane enable and AC 14h. */
  private readonly attrColor = new Uint32Array(16);
  private out32: Uint32Array = new Uint32Array(0);
  private outRef: Uint8ClampedArray | undefined;
  private lastWidth = 0;
  private lastHeight = 0;
  private lastKind = Kind.Blank;
  private lastCursorOn = true;

  // Geometry of the current frame (set by setup()).
  private kind = Kind.Blank;
  private width = 0;
  private height = 0;
  private cols = 0;
  private charWidth = 8;
  /** Physical scanlines per logical output line. */
  private vscale = 1;
  private double = 1;
  private scansPerRow = 1;
  private lineCompare = 0;
  private start = 0;
  private offset = 0;
  private pan = 0;
  private cursorOn = true;
  private blinkOn = true;
  /** Redraw the text rows holding the cursor (now or at the last render) even if their memory is unchanged. */
  private cursorRows = false;
  /** Redraw the text rows holding blinking characters. */
  private blinkRows = false;
  private cursorMa = 0;
  private lastCursorMa = 0;
  private lastBlinkOn = true;

  constructor(private readonly src: VgaScanSource) {}

  /** The size render() would produce now. */
  size(): { width: number; height: number } {
    this.setup();
    return { width: this.width, height: this.height };
  }

  render(out: Uint8ClampedArray, dirty?: Uint8Array): { width: number; height: number; changed: boolean } {
    const src = this.src;
    this.setup();
    const { width, height, kind } = this;
    const tilesPerRow = Math.ceil(width / TILE);
    if (dirty) dirty.fill(0, 0, Math.min(dirty.length, tilesPerRow * Math.ceil(height / TILE)));
    if (out.length < width * height * 4) return { width, height, changed: true };
    if (out !== this.outRef || this.out32.buffer !== out.buffer) {
      this.outRef = out;
      this.out32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
      src.frameAll = true;
    }
    let full = src.frameAll || width !== this.lastWidth || height !== this.lastHeight || kind !== this.lastKind;
    if (kind === Kind.Text && src.fontWritten) full = true;
    // A cursor move or blink redraws only the rows holding the cursor (before and after) or blinking characters.
    const c = src.crtc;
    this.cursorMa = (c[0x0e] << 8) | c[0x0f];
    this.cursorRows = !full && kind === Kind.Text && (src.cursorChanged || this.cursorOn !== this.lastCursorOn);
    this.blinkRows = !full && kind === Kind.Text && this.blinkOn !== this.lastBlinkOn;
    if (full) this.buildPalette();
    this.lastWidth = width;
    this.lastHeight = height;
    this.lastKind = kind;
    src.frameAll = false;
    src.fontWritten = false;
    src.cursorChanged = false;

    const out32 = this.out32;
    const line = this.line;
    let changed = false;
    for (let y = 0; y < height; y++) {
      const from = this.drawLine(y, full);
      if (from < 0) continue; // nothing under this line changed
      const row = y * width;
      const tileRow = (y >> 5) * tilesPerRow;
      for (let x = 0; x < width; x++) {
        const v = line[from + x];
        if (out32[row + x] !== v) {
          out32[row + x] = v;
          changed = true;
          if (dirty) dirty[tileRow + (x >> 5)] = 1;
        }
      }
    }
    if (kind === Kind.Vbe) src.vbe.dirtyPages.fill(0);
    else src.frameDirty.fill(0);
    this.lastCursorMa = this.cursorMa;
    this.lastCursorOn = this.cursorOn;
    this.lastBlinkOn = this.blinkOn;
    return { width, height, changed };
  }

  // ---- frame setup ----

  private setup(): void {
    const src = this.src;
    const c = src.crtc;
    if (src.vbe.enabled) {
      const r = src.vbe.regs;
      this.kind = r[Dispi.BPP] === 4 ? Kind.VbePlanar : Kind.Vbe;
      this.width = r[Dispi.XRES];
      this.height = r[Dispi.YRES];
      return;
    }
    const graphics = (src.gc[6] & 1) !== 0;
    const cols = c[1] + 1;
    const displayLines = (c[0x12] | ((c[7] & 0x02) << 7) | ((c[7] & 0x40) << 3)) + 1;
    const double = c[9] & 0x80 ? 2 : 1;
    const scansPerRow = (c[9] & 0x1f) + 1;
    this.cols = cols;
    this.double = double;
    this.scansPerRow = scansPerRow;
    this.lineCompare = c[0x18] | ((c[7] & 0x10) << 4) | ((c[9] & 0x40) << 3);
    this.start = (c[0x0c] << 8) | c[0x0d];
    this.offset = c[0x13] * 2;
    const panReg = src.ac[0x13] & 15;
    const blank = (src.seq[1] & 0x20) !== 0 || (src.acIndex & 0x20) === 0;
    if (!graphics) {
      this.kind = blank ? Kind.Blank : Kind.Text;
      this.charWidth = src.seq[1] & 1 ? 8 : 9;
      this.width = cols * this.charWidth;
      this.height = Math.floor(displayLines / double);
      this.vscale = double;
      this.pan = this.charWidth === 9 ? (panReg >= 8 ? 0 : panReg + 1) : panReg & 7;
      const t = src.now();
      const frame = t === undefined ? 0 : Math.floor(t / FRAME_NS);
      this.cursorOn = (frame & 8) === 0;
      this.blinkOn = (frame & 16) === 0;
      return;
    }
    const cgaAddressing = (c[0x17] & 3) !== 3;
    this.vscale = double * (cgaAddressing ? 1 : scansPerRow);
    this.height = Math.max(1, Math.floor(displayLines / this.vscale));
    if (src.ac[0x10] & 0x40) {
      this.kind = Kind.Vga256;
      this.width = cols * 4;
      this.pan = (panReg >> 1) & 3;
    } else {
      this.kind = src.gc[5] & 0x20 ? Kind.Cga : Kind.Planar;
      this.width = cols * 8;
      this.pan = panReg & 7;
    }
    if (blank) this.kind = Kind.Blank;
  }

  private buildPalette(): void {
    const src = this.src;
    const dac = src.dac;
    const eight = src.vbe.dac8;
    for (let i = 0; i < 256; i++) {
      const j = (i & src.pelMask) * 3;
      let r = dac[j];
      let g = dac[j + 1];
      let b = dac[j + 2];
      if (!eight) {
        r = (r << 2) | (r >> 4);
        g = (g << 2) | (g >> 4);
        b = (b << 2) | (b >> 4);
      }
      this.palette[i] = (r | (g << 8) | (b << 16) | 0xff000000) >>> 0;
    }
    const ac = src.ac;
    const mode = ac[0x10];
    const select = ac[0x14];
    const enable = ac[0x12] & 15;
    for (let i = 0; i < 16; i++) {
      const reg = ac[i & enable];
      const index = (mode & 0x80 ? (reg & 0x0f) | ((select & 3) << 4) : reg & 0x3f) | ((select & 0x0c) << 4);
      this.attrColor[i] = this.palette[index];
    }
  }

  // ---- scanlines ----

  /** Plane offset of CRTC memory address `ma` (byte, word or doubleword addressing). */
  private address(ma: number): number {
    const c = this.src.crtc;
    if (c[0x14] & 0x40) return ((ma << 2) | ((ma >> 14) & 3)) & 0xffff;
    if (!(c[0x17] & 0x40)) return ((ma << 1) | ((ma >> (c[0x17] & 0x20 ? 15 : 13)) & 1)) & 0xffff;
    return ma & 0xffff;
  }

  /**
   * Draws output line y into this.line and returns the index where the visible pixels start, or -1 when
   * nothing under the line changed and `full` is false.
   */
  private drawLine(y: number, full: boolean): number {
    switch (this.kind) {
      case Kind.Vbe:
        return this.vbeLine(y, full);
      case Kind.VbePlanar:
        return this.vbePlanarLine(y, full);
      case Kind.Blank:
        if (!full) return -1;
        this.line.fill(0xff000000, 0, this.width);
        return 0;
      default:
        return this.vgaLine(y, full);
    }
  }

  private vgaLine(y: number, full: boolean): number {
    const scan = y * this.vscale;
    let e: number;
    let base: number;
    let pan = this.pan;
    if (scan > this.lineCompare) {
      // Below the split: the CRTC restarts at address 0, and panning stops if AC 10h bit 5 asks so.
      e = Math.floor((scan - this.lineCompare - 1) / this.double);
      base = 0;
      if (this.src.ac[0x10] & 0x20) pan = 0;
    } else {
      e = Math.floor(scan / this.double);
      base = this.start;
    }
    const rowScan = e % this.scansPerRow;
    const ma = base + Math.floor(e / this.scansPerRow) * this.offset;
    const c17 = this.src.crtc[0x17];
    // CGA / Hercules banks: row scan bits 0 and 1 replace address bits 13 and 14.
    const orBits = this.kind === Kind.Text ? 0 : (c17 & 1 ? 0 : (rowScan & 1) << 13) | (c17 & 2 ? 0 : (rowScan & 2) << 13);
    const andMask = this.kind === Kind.Text ? 0xffff : (c17 & 1 ? 0xffff : ~0x2000) & (c17 & 2 ? 0xffff : ~0x4000);
    if (!full && !this.touched(ma, andMask, orBits) && !this.textRowDue(ma)) return -1;
    switch (this.kind) {
      case Kind.Text:
        this.textLine(ma, rowScan);
        break;
      case Kind.Planar:
      case Kind.Cga:
        for (let i = 0, x = 0; i <= this.cols; i++, x += 8) this.planarPixels((this.address(ma + i) & andMask) | orBits, x);
        break;
      default:
        this.vga256Line(ma, andMask, orBits);
    }
    return pan;
  }

  /** Did a write touch the plane bytes this line shows (one char clock beyond, for panning)? */
  private touched(ma: number, andMask: number, orBits: number): boolean {
    const dirty = this.src.frameDirty;
    let lastBlock = -1;
    for (let i = 0; i <= this.cols; i += 8) {
      const block = ((this.address(ma + i) & andMask) | orBits) >> DIRTY_SHIFT;
      if (block !== lastBlock && dirty[block]) return true;
      lastBlock = block;
    }
    // The last char clock, when the loop's step skipped it.
    return dirty[((this.address(ma + this.cols) & andMask) | orBits) >> DIRTY_SHIFT] === 1;
  }

  /** Must the text row at `ma` be redrawn for the cursor (moved, reshaped, blinked) or for blinking characters? */
  private textRowDue(ma: number): boolean {
    const end = ma + this.cols;
    if (this.cursorRows && ((this.cursorMa >= ma && this.cursorMa <= end) || (this.lastCursorMa >= ma && this.lastCursorMa <= end))) return true;
    if (!this.blinkRows || !(this.src.ac[0x10] & 0x08)) return false;
    const planes = this.src.planes;
    for (let i = 0; i <= this.cols; i++) if (planes[PLANE_SIZE + this.address(ma + i)] & 0x80) return true;
    return false;
  }

  private textLine(ma: number, rowScan: number): void {
    const src = this.src;
    const { planes, crtc, ac, seq } = src;
    const line = this.line;
    const colors = this.attrColor;
    const nine = this.charWidth === 9;
    const lineGraphics = (ac[0x10] & 0x04) !== 0;
    const blinkMode = (ac[0x10] & 0x08) !== 0;
    const underline = crtc[0x14] & 0x1f;
    const s3 = seq[3];
    const mapA = ((s3 >> 2) & 3) | ((s3 >> 3) & 4);
    const mapB = (s3 & 3) | ((s3 >> 2) & 4);
    const fontA = 2 * PLANE_SIZE + (mapA & 3) * 0x4000 + (mapA >> 2) * 0x2000 + rowScan;
    const fontB = 2 * PLANE_SIZE + (mapB & 3) * 0x4000 + (mapB >> 2) * 0x2000 + rowScan;
    const cursorMa = (crtc[0x0e] << 8) | crtc[0x0f];
    const cursorStart = crtc[0x0a] & 0x1f;
    const cursorEnd = crtc[0x0b] & 0x1f;
    const cursorRow = this.cursorOn && !(crtc[0x0a] & 0x20) && rowScan >= cursorStart && rowScan <= cursorEnd;
    let x = 0;
    for (let i = 0; i <= this.cols; i++) {
      const a = this.address(ma + i);
      const ch = planes[a];
      const attr = planes[PLANE_SIZE + a];
      let bits = planes[(attr & 8 ? fontA : fontB) + ch * 32];
      const fg = attr & 15;
      let bg = attr >> 4;
      if (blinkMode) {
        if (bg & 8 && !this.blinkOn) bits = 0;
        bg &= 7;
      }
      // Underline and cursor light the whole cell, the 9th column included.
      let solid = false;
      if ((rowScan === underline && (attr & 0x77) === 0x01) || (cursorRow && ma + i === cursorMa)) {
        bits = 0xff;
        solid = true;
      }
      const fgc = colors[fg];
      const bgc = colors[bg];
      line[x] = bits & 0x80 ? fgc : bgc;
      line[x + 1] = bits & 0x40 ? fgc : bgc;
      line[x + 2] = bits & 0x20 ? fgc : bgc;
      line[x + 3] = bits & 0x10 ? fgc : bgc;
      line[x + 4] = bits & 0x08 ? fgc : bgc;
      line[x + 5] = bits & 0x04 ? fgc : bgc;
      line[x + 6] = bits & 0x02 ? fgc : bgc;
      line[x + 7] = bits & 0x01 ? fgc : bgc;
      if (nine) {
        // The 9th column repeats the 8th for the line-drawing characters C0h-DFh, else it is background.
        line[x + 8] = solid || (bits & 1 && lineGraphics && ch >= 0xc0 && ch <= 0xdf) ? fgc : bgc;
        x += 9;
      } else {
        x += 8;
      }
    }
  }

  /**
   * The eight pixels one character clock shows from the four plane bytes at plane offset `a`, into line[x]:
   * 4-bit planar (a bit of each plane per pixel), or with the CGA shift interleave (GC 05h bit 5: four 2-bit
   * pixels from planes 0 and 2, then four from planes 1 and 3).
   */
  private planarPixels(a: number, x: number): void {
    const planes = this.src.planes;
    const line = this.line;
    const colors = this.attrColor;
    const p0 = planes[a];
    const p1 = planes[PLANE_SIZE + a];
    const p2 = planes[2 * PLANE_SIZE + a];
    const p3 = planes[3 * PLANE_SIZE + a];
    if (this.kind === Kind.Cga) {
      for (let s = 6; s >= 0; s -= 2) line[x++] = colors[((p0 >> s) & 3) | (((p2 >> s) & 3) << 2)];
      for (let s = 6; s >= 0; s -= 2) line[x++] = colors[((p1 >> s) & 3) | (((p3 >> s) & 3) << 2)];
      return;
    }
    for (let bit = 7; bit >= 0; bit--) {
      line[x++] = colors[((p0 >> bit) & 1) | (((p1 >> bit) & 1) << 1) | (((p2 >> bit) & 1) << 2) | (((p3 >> bit) & 1) << 3)];
    }
  }

  /**
   * A 4-bpp DISPI line: the guest draws through the VGA's planar window (Vga.write8), so the picture is in the
   * planes, VIRT_WIDTH / 8 bytes per line, linear (no CRTC addressing), through the attribute palette. The planes
   * hold 64 KiB each: modes up to 800×600 fit; lines past the planes' end show black.
   */
  private vbePlanarLine(y: number, full: boolean): number {
    const r = this.src.vbe.regs;
    const stride = r[Dispi.VIRT_WIDTH] >> 3;
    const start = (y + r[Dispi.Y_OFFSET]) * stride + (r[Dispi.X_OFFSET] >> 3);
    const bytes = (this.width + 7) >> 3;
    const end = start + bytes;
    if (!full) {
      const dirty = this.src.frameDirty;
      let hit = false;
      for (let block = start >> DIRTY_SHIFT; block <= (end - 1) >> DIRTY_SHIFT && block < dirty.length; block++) hit ||= dirty[block] === 1;
      if (!hit) return -1;
    }
    if (end > PLANE_SIZE) {
      this.line.fill(0xff000000, 0, this.width);
      return 0;
    }
    for (let i = 0; i < bytes; i++) this.planarPixels(start + i, i * 8);
    return r[Dispi.X_OFFSET] & 7;
  }

  /** 256 colours: each character clock shows the byte of each plane at its address, plane 0 first. */
  private vga256Line(ma: number, andMask: number, orBits: number): void {
    const planes = this.src.planes;
    const line = this.line;
    const palette = this.palette;
    let x = 0;
    for (let i = 0; i <= this.cols; i++) {
      const a = (this.address(ma + i) & andMask) | orBits;
      line[x] = palette[planes[a]];
      line[x + 1] = palette[planes[PLANE_SIZE + a]];
      line[x + 2] = palette[planes[2 * PLANE_SIZE + a]];
      line[x + 3] = palette[planes[3 * PLANE_SIZE + a]];
      x += 4;
    }
  }

  private vbeLine(y: number, full: boolean): number {
    const vbe = this.src.vbe;
    const r = vbe.regs;
    const bpp = r[Dispi.BPP];
    const bytes = bytesPerPixel(bpp);
    const width = this.width;
    const start = (y + r[Dispi.Y_OFFSET]) * vbe.stride + r[Dispi.X_OFFSET] * bytes;
    const end = start + width * bytes;
    const vram = vbe.vram;
    if (!full) {
      const pages = vbe.dirtyPages;
      let hit = false;
      for (let page = start >>> 12; page <= (end - 1) >>> 12 && page < pages.length; page++) {
        if (pages[page]) {
          hit = true;
          break;
        }
      }
      if (!hit) return -1;
    }
    const line = this.line;
    if (end > vram.length) {
      line.fill(0xff000000, 0, width);
      return 0;
    }
    let p = start;
    switch (bpp) {
      case 8:
        for (let x = 0; x < width; x++) line[x] = this.palette[vram[p++]];
        break;
      case 15:
        for (let x = 0; x < width; x++, p += 2) {
          const v = vram[p] | (vram[p + 1] << 8);
          line[x] = rgba(expand5(v >> 10), expand5(v >> 5), expand5(v));
        }
        break;
      case 16:
        for (let x = 0; x < width; x++, p += 2) {
          const v = vram[p] | (vram[p + 1] << 8);
          const g = (v >> 5) & 63;
          line[x] = rgba(expand5(v >> 11), (g << 2) | (g >> 4), expand5(v));
        }
        break;
      case 24:
        for (let x = 0; x < width; x++, p += 3) line[x] = rgba(vram[p + 2], vram[p + 1], vram[p]);
        break;
      default:
        for (let x = 0; x < width; x++, p += 4) line[x] = rgba(vram[p + 2], vram[p + 1], vram[p]);
    }
    return 0;
  }
}

function expand5(v: number): number {
  v &= 31;
  return (v << 3) | (v >> 2);
}

function rgba(r: number, g: number, b: number): number {
  return (r | (g << 8) | (b << 16) | 0xff000000) >>> 0;
}
