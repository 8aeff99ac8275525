/**
 * INT 10h for the text modes: as a real video BIOS does, it writes characters into video memory (B8000h,
 * B0000h for mode 7) through the memory bus, the cursor and start address into the CRTC through its
 * ports, and keeps its state in the BDA (40:49h…40:66h, 40:84h…40:8Ah).
 */
import { Reg, Reg8, Seg, type FirmwareHost } from '../core/index.js';
import { Bda, bda16, bda8, physical, setBda16, setBda8 } from './guest.js';
import { TEXT_MODES, programMode } from './video-modes.js';

const CHAR_HEIGHT = 16;

export function int10(host: FirmwareHost): void {
  const cpu = host.cpu;
  const ah = cpu.get8(Reg8.AH);
  const al = cpu.get8(Reg8.AL);
  switch (ah) {
    case 0x00:
      return setMode(host, al);
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
      cpu.set16(Reg.EAX, host.memory.read16(cellAddress(host, page, row, col)));
      return;
    }
    case 0x09:
    case 0x0a:
      return writeRepeated(host, cpu.get8(Reg8.BH) & 7, al, ah === 0x09 ? cpu.get8(Reg8.BL) : -1, cpu.get16(Reg.ECX));
    case 0x0e:
      return teletype(host, bda8(host, Bda.ActivePage), al, -1);
    case 0x0f:
      cpu.set8(Reg8.AL, bda8(host, Bda.VideoMode) | (bda8(host, Bda.EgaInfo) & 0x80));
      cpu.set8(Reg8.AH, bda16(host, Bda.Columns));
      cpu.set8(Reg8.BH, bda8(host, Bda.ActivePage));
      return;
    case 0x10:
      return palette(host, al);
    case 0x11:
      if (al === 0x30) {
        // Font information: no ROM font yet (the card's own character generator draws text).
        cpu.set16(Reg.ECX, bda8(host, Bda.CharHeight));
        cpu.set8(Reg8.DL, bda8(host, Bda.Rows));
        cpu.setSegReal(Seg.ES, 0);
        cpu.set16(Reg.EBP, 0);
      }
      return;
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
    case 0x1a:
      if (al === 0x00) {
        cpu.set8(Reg8.AL, 0x1a);
        cpu.set16(Reg.EBX, isMono(host) ? 0x0007 : 0x0008);
      } else if (al === 0x01) cpu.set8(Reg8.AL, 0x1a);
      return;
    default:
      return; // unsupported: registers unchanged, as callers probing for VBE (4Fh) etc. expect
  }
}

function isMono(host: FirmwareHost): boolean {
  return bda8(host, Bda.VideoMode) === 7;
}

function crtcPort(host: FirmwareHost): number {
  return bda16(host, Bda.CrtcPort) || 0x3d4;
}

function writeCrtc(host: FirmwareHost, index: number, value: number): void {
  const port = crtcPort(host);
  host.io.write8(port, index);
  host.io.write8(port + 1, value);
}

function setMode(host: FirmwareHost, request: number): void {
  const number = request & 0x7f;
  const mode = TEXT_MODES[number];
  if (!mode) {
    host.log(`BIOS: INT 10h video mode ${number.toString(16)}h is not supported (text modes 0-3 and 7 are)`);
    return;
  }
  programMode(host.io, mode);
  const cols = mode.cols;
  const pageSize = cols === 80 ? 0x1000 : 0x800;
  setBda8(host, Bda.VideoMode, number);
  setBda16(host, Bda.Columns, cols);
  setBda16(host, Bda.PageSize, pageSize);
  setBda16(host, Bda.PageStart, 0);
  for (let i = 0; i < 16; i++) setBda8(host, Bda.CursorPos + i, 0);
  setBda8(host, Bda.ActivePage, 0);
  setBda16(host, Bda.CrtcPort, mode.mono ? 0x3b4 : 0x3d4);
  setBda8(host, Bda.ModeControl, mode.modeControl);
  setBda8(host, Bda.Palette, mode.mono ? 0x3f : 0x30);
  setBda8(host, Bda.Rows, mode.rows - 1);
  setBda16(host, Bda.CharHeight, CHAR_HEIGHT);
  setBda8(host, Bda.EgaInfo, 0x60 | (request & 0x80));
  setBda8(host, Bda.EgaSwitches, 0x09);
  setBda8(host, Bda.VgaFlags, mode.mono ? 0x15 : 0x11);
  setBda8(host, Bda.DccIndex, 0x0b);
  const equipment = bda16(host, Bda.Equipment) & ~0x30;
  setBda16(host, Bda.Equipment, equipment | (mode.mono ? 0x30 : cols === 80 ? 0x20 : 0x10));
  if (!(request & 0x80)) {
    const base = mode.mono ? 0xb0000 : 0xb8000;
    for (let i = 0; i < 0x8000; i += 2) host.memory.write16(base + i, 0x0720);
  }
  setCursorShape(host, 0x06, 0x07);
  setCursor(host, 0, 0, 0);
}

/** CGA-style cursor lines (0-7) are scaled to the 16-line cell, as VGA BIOSes' cursor emulation does. */
function setCursorShape(host: FirmwareHost, ch: number, cl: number): void {
  setBda16(host, Bda.CursorShape, (ch << 8) | cl);
  let start = ch & 0x1f;
  let end = cl & 0x1f;
  const height = bda8(host, Bda.CharHeight) || CHAR_HEIGHT;
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
  if (page !== bda8(host, Bda.ActivePage)) return;
  const offset = ((page * bda16(host, Bda.PageSize)) >> 1) + row * columns(host) + col;
  writeCrtc(host, 0x0e, (offset >> 8) & 0xff);
  writeCrtc(host, 0x0f, offset & 0xff);
}

function setPage(host: FirmwareHost, page: number): void {
  const start = page * bda16(host, Bda.PageSize);
  setBda8(host, Bda.ActivePage, page);
  setBda16(host, Bda.PageStart, start);
  writeCrtc(host, 0x0c, (start >> 9) & 0xff);
  writeCrtc(host, 0x0d, (start >> 1) & 0xff);
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

/** AH=06h/07h: scroll a window of a page up or down; 0 lines (or more than it holds) clears it. */
function scroll(host: FirmwareHost, page: number, up: boolean, lines: number, attr: number, top: number, left: number, bottom: number, right: number): void {
  bottom = Math.min(bottom, rows(host) - 1);
  right = Math.min(right, columns(host) - 1);
  if (top > bottom || left > right) return;
  const height = bottom - top + 1;
  if (lines === 0 || lines > height) lines = height;
  const blank = (attr << 8) | 0x20;
  const mem = host.memory;
  for (let i = 0; i < height; i++) {
    const row = up ? top + i : bottom - i;
    const from = up ? row + lines : row - lines;
    const inside = up ? from <= bottom : from >= top;
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
  const start = row * cols + col;
  for (let i = 0; i < count && start + i < cells; i++) {
    const pos = start + i;
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
      const addr = cellAddress(host, page, row, col);
      host.memory.write8(addr, ch);
      if (attr >= 0) host.memory.write8(addr + 1, attr);
      if (++col >= cols) {
        col = 0;
        row++;
      }
    }
  }
  if (row > lastRow) {
    const fill = host.memory.read8(cellAddress(host, page, lastRow, col) + 1);
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

/** AH=10h: palette registers (attribute controller) and DAC colours. */
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
    default:
      return;
  }
}
