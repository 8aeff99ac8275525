/**
 * INT 10h: as a real video BIOS does, it writes characters and pixels into video memory through the memory
 * bus, programs the card through its ports, and keeps its state in the BDA (40:49h…40:66h, 40:84h…40:8Ah).
 * Text modes 00h-03h/07h, graphics modes 04h-06h, 0Dh-13h (characters drawn with the INT 43h font), fonts
 * (AH=11h), palette (AH=10h), and VBE (AH=4Fh, vbe.ts).
 */
import { Reg, Reg8, Seg, VGA_ROM_FONTS, type FirmwareHost } from '../core/index.js';
import { Bda, bda16, bda8, physical, setBda16, setBda8 } from './guest.js';
import { vbeCall } from './vbe.js';
import { restoreVideoState, saveVideoState, videoStateBlocks } from './video-state.js';
import { loadDac, programMode, VIDEO_MODES, type VideoMode } from './video-modes.js';

/** The ROM fonts as segment C000h offsets, with their heights. */
const ROM_FONTS = {
  8: { seg: 0xc000, off: VGA_ROM_FONTS.font8x8 - 0xc0000 },
  14: { seg: 0xc000, off: VGA_ROM_FONTS.font8x14 - 0xc0000 },
  16: { seg: 0xc000, off: VGA_ROM_FONTS.font8x16 - 0xc0000 },
} as const;
type FontHeight = keyof typeof ROM_FONTS;

export function int10(host: FirmwareHost): void {
  const cpu = host.cpu;
  const ah = cpu.get8(Reg8.AH);
  const al = cpu.get8(Reg8.AL);
  switch (ah) {
    case 0x00:
      setMode(host, al);
      return;
    case 0x01:
      return setCursorShape(host, cpu.get8(Reg8.CH), cpu.get8(Reg8.CL));
    case 0x02:
      return setCursor(host, cpu.get8(Reg8.BH) & 7, cpu.get8(Reg8.DH), cpu.get8(Reg8.DL));
    case 0x03: {
      const { row, col } = cursorOf(host, cpu.get8(Reg8.BH) & 7);
      cpu.set8(Reg8.DH, row);
      cpu.set8(Reg8.DL, col);
      cpu.set16(Reg.ECX, bda16(host, Bda.CursorShape));
      cpu.set16(Reg.EAX, 0);
      return;
    }
    case 0x04: // light pen: not triggered
      cpu.set8(Reg8.AH, 0);
      return;
    case 0x05:
      return setPage(host, al & 7);
    case 0x06:
    case 0x07:
      return scroll(host, bda8(host, Bda.ActivePage), ah === 0x06, al, cpu.get8(Reg8.BH), cpu.get8(Reg8.CH), cpu.get8(Reg8.CL), cpu.get8(Reg8.DH), cpu.get8(Reg8.DL));
    case 0x08: {
      const page = cpu.get8(Reg8.BH) & 7;
      const { row, col } = cursorOf(host, page);
      const mode = currentMode(host);
      if (mode.kind === 'text') cpu.set16(Reg.EAX, host.memory.read16(cellAddress(host, page, row, col)));
      else cpu.set16(Reg.EAX, readGraphicsChar(host, mode, page, row, col));
      return;
    }
    case 0x09:
    case 0x0a:
      return writeRepeated(host, cpu.get8(Reg8.BH) & 7, al, ah === 0x09 || currentMode(host).kind !== 'text' ? cpu.get8(Reg8.BL) : -1, cpu.get16(Reg.ECX));
    case 0x0c:
      return putPixel(host, currentMode(host), cpu.get8(Reg8.BH) & 7, cpu.get16(Reg.ECX), cpu.get16(Reg.EDX), al);
    case 0x0d:
      return cpu.set8(Reg8.AL, getPixel(host, currentMode(host), cpu.get8(Reg8.BH) & 7, cpu.get16(Reg.ECX), cpu.get16(Reg.EDX)));
    case 0x0e:
      return teletype(host, bda8(host, Bda.ActivePage), al, currentMode(host).kind === 'text' ? -1 : cpu.get8(Reg8.BL));
    case 0x0f:
      cpu.set8(Reg8.AL, bda8(host, Bda.VideoMode) | (bda8(host, Bda.EgaInfo) & 0x80));
      cpu.set8(Reg8.AH, bda16(host, Bda.Columns));
      cpu.set8(Reg8.BH, bda8(host, Bda.ActivePage));
      return;
    case 0x10:
      return palette(host, al);
    case 0x11:
      return fonts(host, al);
    case 0x12:
      if (cpu.get8(Reg8.BL) === 0x10) {
        cpu.set8(Reg8.BH, isMono(host) ? 1 : 0);
        cpu.set8(Reg8.BL, 3); // 256 KiB
        cpu.set16(Reg.ECX, 0x0009); // no feature bits; switches: EGA-style 0x9
      } else if (cpu.get8(Reg8.BL) >= 0x30 && cpu.get8(Reg8.BL) <= 0x36) {
        cpu.set8(Reg8.AL, 0x12);
      }
      return;
    case 0x13:
      return writeString(host);
    case 0x1c: {
      // Save/restore video state (video-state.ts): CX bits 0-2, AL=0 size into BX, 1 save, 2 restore at ES:BX.
      const mask = cpu.get16(Reg.ECX) & 7;
      const buffer = physical(host, cpu.getSeg(Seg.ES), cpu.get16(Reg.EBX));
      if (al === 0) cpu.set16(Reg.EBX, videoStateBlocks(mask));
      else if (al === 1) saveVideoState(host, mask, buffer);
      else if (al === 2) restoreVideoState(host, mask, buffer);
      else return;
      cpu.set8(Reg8.AL, 0x1c);
      return;
    }
    case 0x1a:
      if (al === 0x00) {
        cpu.set8(Reg8.AL, 0x1a);
        cpu.set16(Reg.EBX, isMono(host) ? 0x0007 : 0x0008);
      } else if (al === 0x01) cpu.set8(Reg8.AL, 0x1a);
      return;
    case 0x4f:
      return vbeCall(host, setMode);
    default:
      return; // unsupported: registers unchanged, as callers probing for other functions expect
  }
}

function isMono(host: FirmwareHost): boolean {
  return VIDEO_MODES[bda8(host, Bda.VideoMode)]?.mono === true;
}

/** The BDA's mode; an unknown number (e.g. while a VBE mode is on) is treated as mode 3 for text services. */
function currentMode(host: FirmwareHost): VideoMode {
  return VIDEO_MODES[bda8(host, Bda.VideoMode)] ?? VIDEO_MODES[3];
}

function crtcPort(host: FirmwareHost): number {
  return bda16(host, Bda.CrtcPort) || 0x3d4;
}

function writeCrtc(host: FirmwareHost, index: number, value: number): void {
  const port = crtcPort(host);
  host.io.write8(port, index);
  host.io.write8(port + 1, value);
}

function readCrtc(host: FirmwareHost, index: number): number {
  host.io.write8(crtcPort(host), index);
  return host.io.read8(crtcPort(host) + 1);
}

function writeReg(host: FirmwareHost, port: number, index: number, value: number): void {
  host.io.write8(port, index);
  host.io.write8(port + 1, value);
}

function setIvt(host: FirmwareHost, vector: number, seg: number, off: number): void {
  host.memory.write16(vector * 4, off);
  host.memory.write16(vector * 4 + 2, seg);
}

/** AH=00h: program the mode, clear its memory (unless AL bit 7), load the font, fill in the BDA. */
export function setMode(host: FirmwareHost, request: number): boolean {
  const number = request & 0x7f;
  const mode = VIDEO_MODES[number];
  if (!mode) {
    host.log(`BIOS: INT 10h video mode ${number.toString(16)}h is not supported`);
    return false;
  }
  // Leaving a VBE mode: the DISPI interface gives the card back to the VGA registers.
  host.io.write16(0x1ce, 4);
  host.io.write16(0x1cf, 0);
  programMode(host.io, mode);
  if (mode.kind === 'text') loadRomFont(host, mode.charHeight as FontHeight, 0);
  if (!(request & 0x80)) clearVideoMemory(host, mode);
  setBda8(host, Bda.VideoMode, number);
  setBda16(host, Bda.Columns, mode.cols);
  setBda16(host, Bda.PageSize, mode.pageSize);
  setBda16(host, Bda.PageStart, 0);
  for (let i = 0; i < 16; i++) setBda8(host, Bda.CursorPos + i, 0);
  setBda8(host, Bda.ActivePage, 0);
  setBda16(host, Bda.CrtcPort, mode.mono ? 0x3b4 : 0x3d4);
  setBda8(host, Bda.ModeControl, mode.modeControl);
  setBda8(host, Bda.Palette, mode.mono ? 0x3f : 0x30);
  setBda8(host, Bda.Rows, mode.rows - 1);
  setBda16(host, Bda.CharHeight, mode.charHeight);
  setBda8(host, Bda.EgaInfo, 0x60 | (request & 0x80));
  setBda8(host, Bda.EgaSwitches, 0x09);
  setBda8(host, Bda.VgaFlags, mode.mono ? 0x15 : 0x11);
  setBda8(host, Bda.DccIndex, 0x0b);
  const equipment = bda16(host, Bda.Equipment) & ~0x30;
  setBda16(host, Bda.Equipment, equipment | (mode.mono ? 0x30 : mode.cols === 80 ? 0x20 : 0x10));
  // INT 43h: the graphics font of this mode's character height; INT 1Fh: the upper half of the 8×8 font.
  const font = ROM_FONTS[mode.kind === 'text' ? 8 : (mode.charHeight as FontHeight)];
  setIvt(host, 0x43, font.seg, font.off);
  setIvt(host, 0x1f, ROM_FONTS[8].seg, ROM_FONTS[8].off + 128 * 8);
  if (mode.kind === 'text') {
    setCursorShape(host, 0x06, 0x07);
  } else {
    writeCrtc(host, 0x0a, 0x20); // no hardware cursor in graphics modes
  }
  setCursor(host, 0, 0, 0);
  return true;
}

function clearVideoMemory(host: FirmwareHost, mode: VideoMode): void {
  const mem = host.memory;
  if (mode.kind === 'text') {
    const base = mode.segment << 4;
    for (let i = 0; i < 0x8000; i += 2) mem.write16(base + i, 0x0720);
  } else if (mode.kind === 'cga') {
    for (let i = 0; i < 0x8000; i += 2) mem.write16(0xb8000 + i, 0);
  } else {
    // All four planes at once (map mask 0Fh in these modes), then the mode's map mask again.
    writeReg(host, 0x3c4, 2, 0x0f);
    for (let i = 0; i < 0x10000; i += 2) mem.write16(0xa0000 + i, 0);
    writeReg(host, 0x3c4, 2, mode.seq[2]);
  }
}

// ---- fonts (AH=11h) ----

/**
 * Copies `count` glyphs of `height` bytes from guest memory at `src` into character generator block `block`
 * (plane 2, 32-byte slots) from character `first`, with the card switched to plain planar access meanwhile.
 */
function loadFont(host: FirmwareHost, src: number, height: number, block: number, first: number, count: number): void {
  const io = host.io;
  const save = (port: number, index: number) => {
    io.write8(port, index);
    return io.read8(port + 1);
  };
  const mapMask = save(0x3c4, 2);
  const memMode = save(0x3c4, 4);
  const readMap = save(0x3ce, 4);
  const gcMode = save(0x3ce, 5);
  const gcMisc = save(0x3ce, 6);
  writeReg(host, 0x3c4, 2, 0x04);
  writeReg(host, 0x3c4, 4, 0x07);
  writeReg(host, 0x3ce, 4, 0x02);
  writeReg(host, 0x3ce, 5, 0x00);
  writeReg(host, 0x3ce, 6, 0x04);
  const base = 0xa0000 + (block & 3) * 0x4000 + ((block >> 2) & 1) * 0x2000;
  const mem = host.memory;
  for (let c = 0; c < count; c++) {
    const at = base + ((first + c) & 0xff) * 32;
    for (let y = 0; y < 32; y++) mem.write8(at + y, y < height ? mem.read8(src + c * height + y) : 0);
  }
  writeReg(host, 0x3c4, 2, mapMask);
  writeReg(host, 0x3c4, 4, memMode);
  writeReg(host, 0x3ce, 4, readMap);
  writeReg(host, 0x3ce, 5, gcMode);
  writeReg(host, 0x3ce, 6, gcMisc);
}

function loadRomFont(host: FirmwareHost, height: FontHeight, block: number): void {
  const f = ROM_FONTS[height];
  loadFont(host, (f.seg << 4) + f.off, height, block, 0, 256);
}

/** AH=11h AL=1xh: after a font load, the CRTC's character height, cursor and rows follow the font. */
function fitTextToFont(host: FirmwareHost, height: number): void {
  if (height < 1 || height > 32) return;
  const lines = 400;
  const rows = Math.floor(lines / height);
  writeCrtc(host, 0x09, (readCrtc(host, 0x09) & 0xe0) | (height - 1));
  const vde = rows * height - 1;
  writeCrtc(host, 0x12, vde & 0xff);
  setBda8(host, Bda.Rows, rows - 1);
  setBda16(host, Bda.CharHeight, height);
  const pageBytes = rows * columns(host) * 2;
  setBda16(host, Bda.PageSize, (pageBytes + 0xff) & ~0xff);
  writeCrtc(host, 0x0a, height - 2);
  writeCrtc(host, 0x0b, height - 1);
}

function fonts(host: FirmwareHost, al: number): void {
  const cpu = host.cpu;
  const bl = cpu.get8(Reg8.BL);
  const userTable = () => physical(host, cpu.getSeg(Seg.ES), cpu.get16(Reg.EBP));
  const romHeight: Record<number, FontHeight> = { 1: 14, 2: 8, 4: 16 };
  switch (al) {
    case 0x00:
    case 0x10: {
      const height = cpu.get8(Reg8.BH) || 16;
      loadFont(host, userTable(), height, bl & 7, cpu.get16(Reg.EDX), cpu.get16(Reg.ECX));
      if (al === 0x10) fitTextToFont(host, height);
      return;
    }
    case 0x01:
    case 0x02:
    case 0x04:
    case 0x11:
    case 0x12:
    case 0x14: {
      const height = romHeight[al & 0x0f];
      loadRomFont(host, height, bl & 7);
      if (al & 0x10) fitTextToFont(host, height);
      return;
    }
    case 0x03:
      return writeReg(host, 0x3c4, 3, bl);
    case 0x20:
      return setIvt(host, 0x1f, cpu.getSeg(Seg.ES), cpu.get16(Reg.EBP));
    case 0x21:
      setIvt(host, 0x43, cpu.getSeg(Seg.ES), cpu.get16(Reg.EBP));
      setBda16(host, Bda.CharHeight, cpu.get16(Reg.ECX));
      return;
    case 0x22:
    case 0x23:
    case 0x24: {
      const f = ROM_FONTS[({ 0x22: 14, 0x23: 8, 0x24: 16 } as const)[al]];
      setIvt(host, 0x43, f.seg, f.off);
      setBda16(host, Bda.CharHeight, ({ 0x22: 14, 0x23: 8, 0x24: 16 } as const)[al]);
      return;
    }
    case 0x30: {
      // Font information: BH selects the pointer (0 = INT 1Fh, 1 = INT 43h, 2 = 8×14, 3 = 8×8, 4 = 8×8 top half, 5 = 9×14 alternates, 6 = 8×16, 7 = 9×16 alternates).
      const bh = cpu.get8(Reg8.BH);
      let seg: number = ROM_FONTS[16].seg;
      let off: number = ROM_FONTS[16].off;
      if (bh === 0 || bh === 1) {
        off = host.memory.read16((bh ? 0x43 : 0x1f) * 4);
        seg = host.memory.read16((bh ? 0x43 : 0x1f) * 4 + 2);
      } else if (bh === 2 || bh === 5) off = ROM_FONTS[14].off;
      else if (bh === 3) off = ROM_FONTS[8].off;
      else if (bh === 4) off = ROM_FONTS[8].off + 128 * 8;
      cpu.setSegReal(Seg.ES, seg);
      cpu.set16(Reg.EBP, off);
      cpu.set16(Reg.ECX, bda16(host, Bda.CharHeight));
      cpu.set8(Reg8.DL, bda8(host, Bda.Rows));
      return;
    }
    default:
      return;
  }
}

// ---- cursor, pages ----

/** CGA-style cursor lines (0-7) are scaled to the cell, as VGA BIOSes' cursor emulation does. */
function setCursorShape(host: FirmwareHost, ch: number, cl: number): void {
  setBda16(host, Bda.CursorShape, (ch << 8) | cl);
  if (currentMode(host).kind !== 'text') return;
  let start = ch & 0x1f;
  let end = cl & 0x1f;
  const height = bda8(host, Bda.CharHeight) || 16;
  if (start < 8 && end < 8 && height > 8) {
    const scale = (line: number) => (line < 4 ? line : line + height - 9);
    start = scale(start);
    end = scale(end);
  }
  writeCrtc(host, 0x0a, (ch & 0x60) === 0x20 ? 0x20 | start : start);
  writeCrtc(host, 0x0b, end);
}

function cursorOf(host: FirmwareHost, page: number): { row: number; col: number } {
  return { row: bda8(host, Bda.CursorPos + page * 2 + 1), col: bda8(host, Bda.CursorPos + page * 2) };
}

function setCursor(host: FirmwareHost, page: number, row: number, col: number): void {
  setBda8(host, Bda.CursorPos + page * 2, col);
  setBda8(host, Bda.CursorPos + page * 2 + 1, row);
  if (page !== bda8(host, Bda.ActivePage) || currentMode(host).kind !== 'text') return;
  const offset = ((page * bda16(host, Bda.PageSize)) >> 1) + row * columns(host) + col;
  writeCrtc(host, 0x0e, (offset >> 8) & 0xff);
  writeCrtc(host, 0x0f, offset & 0xff);
}

function setPage(host: FirmwareHost, page: number): void {
  const mode = currentMode(host);
  const start = page * bda16(host, Bda.PageSize);
  setBda8(host, Bda.ActivePage, page);
  setBda16(host, Bda.PageStart, start);
  // CRTC addresses count words in the text and CGA modes, bytes in the planar ones.
  const ma = mode.kind === 'text' || mode.kind === 'cga' ? start >> 1 : start;
  writeCrtc(host, 0x0c, (ma >> 8) & 0xff);
  writeCrtc(host, 0x0d, ma & 0xff);
  const { row, col } = cursorOf(host, page);
  setCursor(host, page, row, col);
}

function columns(host: FirmwareHost): number {
  return bda16(host, Bda.Columns) || 80;
}

function rows(host: FirmwareHost): number {
  return bda8(host, Bda.Rows) + 1;
}

function cellAddress(host: FirmwareHost, page: number, row: number, col: number): number {
  const base = isMono(host) ? 0xb0000 : 0xb8000;
  return base + page * bda16(host, Bda.PageSize) + (row * columns(host) + col) * 2;
}

// ---- characters ----

/** AH=06h/07h: scroll a window of a page up or down; 0 lines (or more than it holds) clears it. */
function scroll(host: FirmwareHost, page: number, up: boolean, lines: number, attr: number, top: number, left: number, bottom: number, right: number): void {
  bottom = Math.min(bottom, rows(host) - 1);
  right = Math.min(right, columns(host) - 1);
  if (top > bottom || left > right) return;
  const height = bottom - top + 1;
  if (lines === 0 || lines > height) lines = height;
  const mode = currentMode(host);
  const blank = (attr << 8) | 0x20;
  const mem = host.memory;
  for (let i = 0; i < height; i++) {
    const row = up ? top + i : bottom - i;
    const from = up ? row + lines : row - lines;
    const inside = up ? from <= bottom : from >= top;
    if (mode.kind !== 'text') {
      if (inside) copyCellRow(host, mode, page, from, row, left, right);
      else fillCellRow(host, mode, page, row, left, right, attr);
      continue;
    }
    for (let col = left; col <= right; col++) {
      const cell = inside ? mem.read16(cellAddress(host, page, from, col)) : blank;
      mem.write16(cellAddress(host, page, row, col), cell);
    }
  }
}

/** AH=09h/0Ah: the character (and attribute, unless attr < 0) CX times from the cursor; the cursor stays. */
function writeRepeated(host: FirmwareHost, page: number, ch: number, attr: number, count: number): void {
  const cols = columns(host);
  const cells = cols * rows(host);
  const { row, col } = cursorOf(host, page);
  const mode = currentMode(host);
  const start = row * cols + col;
  for (let i = 0; i < count && start + i < cells; i++) {
    const pos = start + i;
    if (mode.kind !== 'text') {
      drawChar(host, mode, page, Math.floor(pos / cols), pos % cols, ch, attr);
      continue;
    }
    const addr = cellAddress(host, page, Math.floor(pos / cols), pos % cols);
    host.memory.write8(addr, ch);
    if (attr >= 0) host.memory.write8(addr + 1, attr);
  }
}

/** AH=0Eh (and AH=13h): BEL, BS, CR, LF act; other characters print and advance, scrolling at the bottom. */
function teletype(host: FirmwareHost, page: number, ch: number, attr: number): void {
  let { row, col } = cursorOf(host, page);
  const cols = columns(host);
  const lastRow = rows(host) - 1;
  const mode = currentMode(host);
  switch (ch) {
    case 0x07:
      return; // BEL: no speaker tone yet
    case 0x08:
      if (col > 0) col--;
      break;
    case 0x0d:
      col = 0;
      break;
    case 0x0a:
      row++;
      break;
    default: {
      if (mode.kind !== 'text') {
        drawChar(host, mode, page, row, col, ch, attr < 0 ? 0x0f : attr);
      } else {
        const addr = cellAddress(host, page, row, col);
        host.memory.write8(addr, ch);
        if (attr >= 0) host.memory.write8(addr + 1, attr);
      }
      if (++col >= cols) {
        col = 0;
        row++;
      }
    }
  }
  if (row > lastRow) {
    const fill = mode.kind === 'text' ? host.memory.read8(cellAddress(host, page, lastRow, col) + 1) : 0;
    scroll(host, page, true, row - lastRow, fill, 0, 0, lastRow, cols - 1);
    row = lastRow;
  }
  setCursor(host, page, row, col);
}

/** AH=13h: ES:BP string of CX characters (AL bit 1: with attributes) at DH,DL of page BH; AL bit 0: move the cursor. */
function writeString(host: FirmwareHost): void {
  const cpu = host.cpu;
  const flags = cpu.get8(Reg8.AL);
  const page = cpu.get8(Reg8.BH) & 7;
  const attr = cpu.get8(Reg8.BL);
  const count = cpu.get16(Reg.ECX);
  const saved = cursorOf(host, page);
  setCursor(host, page, cpu.get8(Reg8.DH), cpu.get8(Reg8.DL));
  const es = cpu.getSeg(Seg.ES);
  let off = cpu.get16(Reg.EBP);
  for (let i = 0; i < count; i++) {
    const ch = host.memory.read8(physical(host, es, off++));
    const a = flags & 2 ? host.memory.read8(physical(host, es, off++)) : attr;
    teletype(host, page, ch, ch === 7 || ch === 8 || ch === 10 || ch === 13 ? -1 : a);
  }
  if (!(flags & 1)) setCursor(host, page, saved.row, saved.col);
}

// ---- graphics-mode pixels and characters ----

/** CPU address of the first byte of scanline y of a page. */
function scanlineAddress(mode: VideoMode, page: number, y: number): number {
  if (mode.kind === 'cga') return 0xb8000 + (y & 1) * 0x2000 + (y >> 1) * 80;
  if (mode.kind === 'vga256') return 0xa0000 + y * mode.width;
  return 0xa0000 + page * mode.pageSize + y * (mode.width >> 3);
}

/** AH=0Ch: colour bit 7 XORs (except mode 13h). Planar modes go through write mode 2 as the BIOS listing does. */
function putPixel(host: FirmwareHost, mode: VideoMode, page: number, x: number, y: number, color: number): void {
  if (mode.kind === 'text' || x >= mode.width || y >= mode.height) return;
  const mem = host.memory;
  const line = scanlineAddress(mode, page, y);
  if (mode.kind === 'vga256') return mem.write8(line + x, color);
  if (mode.kind === 'cga') {
    const bpp = mode.width === 640 ? 1 : 2;
    const addr = line + ((x * bpp) >> 3);
    const shift = 8 - bpp - ((x * bpp) & 7);
    const mask = ((1 << bpp) - 1) << shift;
    const value = ((color & ((1 << bpp) - 1)) << shift) & mask;
    const old = mem.read8(addr);
    return mem.write8(addr, color & 0x80 ? old ^ value : (old & ~mask) | value);
  }
  const addr = line + (x >> 3);
  writeReg(host, 0x3ce, 5, 0x02);
  writeReg(host, 0x3ce, 3, color & 0x80 ? 0x18 : 0x00);
  writeReg(host, 0x3ce, 8, 0x80 >> (x & 7));
  writeReg(host, 0x3c4, 2, 0x0f);
  mem.read8(addr); // load the latches
  mem.write8(addr, color & 0x0f);
  writeReg(host, 0x3ce, 8, 0xff);
  writeReg(host, 0x3ce, 3, 0x00);
  writeReg(host, 0x3ce, 5, 0x00);
}

/** AH=0Dh. */
function getPixel(host: FirmwareHost, mode: VideoMode, page: number, x: number, y: number): number {
  if (mode.kind === 'text' || x >= mode.width || y >= mode.height) return 0;
  const mem = host.memory;
  const line = scanlineAddress(mode, page, y);
  if (mode.kind === 'vga256') return mem.read8(line + x);
  if (mode.kind === 'cga') {
    const bpp = mode.width === 640 ? 1 : 2;
    const shift = 8 - bpp - ((x * bpp) & 7);
    return (mem.read8(line + ((x * bpp) >> 3)) >> shift) & ((1 << bpp) - 1);
  }
  let color = 0;
  for (let plane = 0; plane < 4; plane++) {
    writeReg(host, 0x3ce, 4, plane);
    color |= ((mem.read8(line + (x >> 3)) >> (7 - (x & 7))) & 1) << plane;
  }
  return color;
}

function fontAddress(host: FirmwareHost): number {
  return physical(host, host.memory.read16(0x43 * 4 + 2), host.memory.read16(0x43 * 4));
}

/** Draws a character cell with the INT 43h font: foreground `attr` (bit 7: XOR), background 0. */
function drawChar(host: FirmwareHost, mode: VideoMode, page: number, row: number, col: number, ch: number, attr: number): void {
  const h = bda8(host, Bda.CharHeight) || mode.charHeight;
  const font = fontAddress(host) + ch * h;
  const xor = mode.kind !== 'vga256' && (attr & 0x80) !== 0;
  for (let y = 0; y < h; y++) {
    const bits = host.memory.read8(font + y);
    for (let x = 0; x < 8; x++) {
      const on = (bits << x) & 0x80;
      if (xor && !on) continue;
      putPixel(host, mode, page, col * 8 + x, row * h + y, on ? attr : 0);
    }
  }
}

/** AH=08h in graphics modes: match the cell's pixels against the font (AH = 0, AL = the character or 0). */
function readGraphicsChar(host: FirmwareHost, mode: VideoMode, page: number, row: number, col: number): number {
  const h = bda8(host, Bda.CharHeight) || mode.charHeight;
  const rowsBits: number[] = [];
  for (let y = 0; y < h; y++) {
    let bits = 0;
    for (let x = 0; x < 8; x++) if (getPixel(host, mode, page, col * 8 + x, row * h + y)) bits |= 0x80 >> x;
    rowsBits.push(bits);
  }
  const font = fontAddress(host);
  for (let c = 0; c < 256; c++) {
    if (rowsBits.every((bits, y) => host.memory.read8(font + c * h + y) === bits)) return c;
  }
  return 0;
}

/** Bytes one character cell spans on a scanline. */
function cellBytes(mode: VideoMode): number {
  return mode.kind === 'vga256' ? 8 : mode.kind === 'cga' && mode.width === 320 ? 2 : 1;
}

/** Graphics scroll: copies the scanlines of character row `from` to row `to`, columns left..right. */
function copyCellRow(host: FirmwareHost, mode: VideoMode, page: number, from: number, to: number, left: number, right: number): void {
  const h = bda8(host, Bda.CharHeight) || mode.charHeight;
  const n = cellBytes(mode);
  const mem = host.memory;
  // Planar: write mode 1 copies all four planes through the latches, a byte read and a byte write each.
  if (mode.kind === 'planar') {
    writeReg(host, 0x3ce, 5, 0x01);
    writeReg(host, 0x3c4, 2, 0x0f);
  }
  for (let y = 0; y < h; y++) {
    const src = scanlineAddress(mode, page, from * h + y) + left * n;
    const dst = scanlineAddress(mode, page, to * h + y) + left * n;
    for (let i = 0; i < (right - left + 1) * n; i++) mem.write8(dst + i, mem.read8(src + i));
  }
  if (mode.kind === 'planar') writeReg(host, 0x3ce, 5, 0x00);
}

function fillCellRow(host: FirmwareHost, mode: VideoMode, page: number, row: number, left: number, right: number, attr: number): void {
  const h = bda8(host, Bda.CharHeight) || mode.charHeight;
  const n = cellBytes(mode);
  const mem = host.memory;
  let value = attr;
  if (mode.kind === 'cga') value = mode.width === 320 ? (attr & 3) * 0x55 : attr & 1 ? 0xff : 0;
  if (mode.kind === 'planar') {
    writeReg(host, 0x3ce, 5, 0x02);
    writeReg(host, 0x3c4, 2, 0x0f);
  }
  for (let y = 0; y < h; y++) {
    const dst = scanlineAddress(mode, page, row * h + y) + left * n;
    for (let i = 0; i < (right - left + 1) * n; i++) mem.write8(dst + i, value);
  }
  if (mode.kind === 'planar') writeReg(host, 0x3ce, 5, 0x00);
}

// ---- AH=10h: palette registers (attribute controller) and DAC colours ----

function palette(host: FirmwareHost, al: number): void {
  const cpu = host.cpu;
  const io = host.io;
  const status = crtcPort(host) + 6;
  const acWrite = (index: number, value: number) => {
    io.read8(status);
    io.write8(0x3c0, index);
    io.write8(0x3c0, value);
    io.write8(0x3c0, 0x20);
  };
  const acRead = (index: number) => {
    io.read8(status);
    io.write8(0x3c0, index);
    const v = io.read8(0x3c1);
    io.read8(status);
    io.write8(0x3c0, 0x20);
    return v;
  };
  const table = () => physical(host, cpu.getSeg(Seg.ES), cpu.get16(Reg.EDX));
  switch (al) {
    case 0x00:
      return acWrite(cpu.get8(Reg8.BL) & 0x1f, cpu.get8(Reg8.BH));
    case 0x01:
      return acWrite(0x11, cpu.get8(Reg8.BH));
    case 0x02: {
      const addr = table();
      for (let i = 0; i < 16; i++) acWrite(i, host.memory.read8(addr + i));
      return acWrite(0x11, host.memory.read8(addr + 16));
    }
    case 0x03: {
      const mode = acRead(0x10);
      return acWrite(0x10, cpu.get8(Reg8.BL) ? mode | 0x08 : mode & ~0x08);
    }
    case 0x07:
      return cpu.set8(Reg8.BH, acRead(cpu.get8(Reg8.BL) & 0x1f));
    case 0x08:
      return cpu.set8(Reg8.BH, acRead(0x11));
    case 0x09: {
      const addr = table();
      for (let i = 0; i < 16; i++) host.memory.write8(addr + i, acRead(i));
      return host.memory.write8(addr + 16, acRead(0x11));
    }
    case 0x10:
      io.write8(0x3c8, cpu.get8(Reg8.BL));
      io.write8(0x3c9, cpu.get8(Reg8.DH));
      io.write8(0x3c9, cpu.get8(Reg8.CH));
      io.write8(0x3c9, cpu.get8(Reg8.CL));
      return;
    case 0x12: {
      const addr = table();
      io.write8(0x3c8, cpu.get8(Reg8.BL));
      for (let i = 0; i < cpu.get16(Reg.ECX) * 3; i++) io.write8(0x3c9, host.memory.read8(addr + i));
      return;
    }
    case 0x13: {
      // Colour page state: BL=0 selects 4 pages of 64 (BH=0) or 16 pages of 16 (BH=1); BL=1 selects page BH.
      const mode = acRead(0x10);
      if (cpu.get8(Reg8.BL) === 0) return acWrite(0x10, cpu.get8(Reg8.BH) ? mode | 0x80 : mode & ~0x80);
      return acWrite(0x14, mode & 0x80 ? cpu.get8(Reg8.BH) & 0x0f : (cpu.get8(Reg8.BH) & 3) << 2);
    }
    case 0x15:
      io.write8(0x3c7, cpu.get8(Reg8.BL));
      cpu.set8(Reg8.DH, io.read8(0x3c9));
      cpu.set8(Reg8.CH, io.read8(0x3c9));
      cpu.set8(Reg8.CL, io.read8(0x3c9));
      return;
    case 0x17: {
      const addr = table();
      io.write8(0x3c7, cpu.get8(Reg8.BL));
      for (let i = 0; i < cpu.get16(Reg.ECX) * 3; i++) host.memory.write8(addr + i, io.read8(0x3c9));
      return;
    }
    case 0x18:
      return io.write8(0x3c6, cpu.get8(Reg8.BL));
    case 0x19:
      return cpu.set8(Reg8.BL, io.read8(0x3c6));
    case 0x1a: {
      const mode = acRead(0x10);
      cpu.set8(Reg8.BL, mode >> 7);
      cpu.set8(Reg8.BH, mode & 0x80 ? acRead(0x14) & 0x0f : (acRead(0x14) >> 2) & 3);
      return;
    }
    case 0x1b: {
      // Sum to grey shades: 30 % red, 59 % green, 11 % blue.
      const first = cpu.get8(Reg8.BL);
      for (let i = 0; i < cpu.get16(Reg.ECX); i++) {
        io.write8(0x3c7, (first + i) & 0xff);
        const [r, g, b] = [io.read8(0x3c9), io.read8(0x3c9), io.read8(0x3c9)];
        const grey = Math.min(63, Math.round(0.3 * r + 0.59 * g + 0.11 * b));
        io.write8(0x3c8, (first + i) & 0xff);
        for (let k = 0; k < 3; k++) io.write8(0x3c9, grey);
      }
      return;
    }
    default:
      return;
  }
}

/** For vbe.ts: reload the current standard mode's default DAC (after leaving 8-bit DAC mode, for one). */
export function reloadDac(host: FirmwareHost): void {
  loadDac(host.io, currentMode(host).palette);
}
