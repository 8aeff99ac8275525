/**
 * INT 10h AH=4Fh: VESA BIOS Extensions 2.0 on the Bochs VBE ("DISPI") interface, ports 1CEh/1CFh, with the
 * linear framebuffer at the VGA's PCI BAR0 (00:02.0). Functions 00h-09h; the mode list covers 640×480 to
 * 1280×1024 at 8, 15, 16, 24 and 32 bits per pixel with the standard VESA numbers (32-bit modes at 140h+).
 * Results: AX = 004Fh on success, 014Fh on failure.
 */
import { Dispi, DispiEnable, Reg, Reg8, Seg, VBE_DEFAULT_LFB, VBE_VRAM_SIZE, type FirmwareHost } from '../core/index.js';
import { physical } from './guest.js';
import { dispiRead, dispiWrite, restoreVideoState, saveVideoState, videoStateBlocks } from './video-state.js';

export interface VbeMode {
  number: number;
  width: number;
  height: number;
  bpp: number;
}

const RESOLUTIONS: readonly (readonly [number, number, readonly number[]])[] = [
  // width, height, mode numbers for 8, 15, 16, 24, 32 bpp (0 = none)
  [320, 200, [0, 0x10d, 0x10e, 0x10f, 0x140]],
  [640, 400, [0x100, 0, 0, 0, 0x141]],
  [640, 480, [0x101, 0x110, 0x111, 0x112, 0x142]],
  [800, 600, [0x103, 0x113, 0x114, 0x115, 0x143]],
  [1024, 768, [0x105, 0x116, 0x117, 0x118, 0x144]],
  [1280, 1024, [0x107, 0x119, 0x11a, 0x11b, 0x145]],
];
const DEPTHS = [8, 15, 16, 24, 32];

export const VBE_MODES: readonly VbeMode[] = RESOLUTIONS.flatMap(([width, height, numbers]) =>
  numbers.flatMap((number, i) => (number ? [{ number, width, height, bpp: DEPTHS[i] }] : [])),
);

const OK = 0x004f;
const FAILED = 0x014f;
const PCI_VGA_BAR0 = 0x80000000 | (2 << 11) | 0x10;

function bytesPerPixel(bpp: number): number {
  return bpp === 15 ? 2 : bpp >> 3;
}

/**
 * The LFB's address: the VGA's BAR0. If PCI enumeration left it unassigned, the BAR is put at the default
 * base and memory decoding switched on, so VBE callers always get a working framebuffer.
 */
function lfbAddress(host: FirmwareHost): number {
  const io = host.io;
  io.write32(0xcf8, PCI_VGA_BAR0);
  const raw = io.read32(0xcfc);
  if (raw === 0xffffffff) return VBE_DEFAULT_LFB; // no PCI VGA: the fixed address
  let bar = raw & ~0xf;
  if (!bar) {
    io.write32(0xcfc, VBE_DEFAULT_LFB);
    bar = VBE_DEFAULT_LFB;
  }
  io.write32(0xcf8, PCI_VGA_BAR0 - 0x10 + 0x04);
  const command = io.read32(0xcfc) & 0xffff;
  if (!(command & 2)) io.write32(0xcfc, command | 2);
  return bar >>> 0;
}

/** AH=4Fh. `setMode` sets a standard VGA mode (4F02h with a number below 100h). */
export function vbeCall(host: FirmwareHost, setMode: (host: FirmwareHost, mode: number) => boolean): void {
  const cpu = host.cpu;
  const al = cpu.get8(Reg8.AL);
  const mem = host.memory;
  const esdi = () => physical(host, cpu.getSeg(Seg.ES), cpu.get16(Reg.EDI));
  const result = (ok: boolean) => cpu.set16(Reg.EAX, ok ? OK : FAILED);
  switch (al) {
    case 0x00:
      return result(controllerInfo(host, esdi()));
    case 0x01: {
      const mode = VBE_MODES.find((m) => m.number === (cpu.get16(Reg.ECX) & 0x1ff));
      if (!mode) return result(false);
      modeInfo(host, mode, esdi());
      return result(true);
    }
    case 0x02: {
      const bx = cpu.get16(Reg.EBX);
      const number = bx & 0x1ff;
      if (number < 0x100) return result(setMode(host, number | (bx & 0x8000 ? 0x80 : 0)));
      const mode = VBE_MODES.find((m) => m.number === number);
      if (!mode) return result(false);
      dispiWrite(host, Dispi.ENABLE, 0);
      dispiWrite(host, Dispi.BPP, mode.bpp);
      dispiWrite(host, Dispi.XRES, mode.width);
      dispiWrite(host, Dispi.YRES, mode.height);
      dispiWrite(host, Dispi.BANK, 0);
      const flags = DispiEnable.ENABLED | (bx & 0x4000 ? DispiEnable.LFB : 0) | (bx & 0x8000 ? DispiEnable.NOCLEARMEM : 0);
      dispiWrite(host, Dispi.ENABLE, flags);
      if (bx & 0x4000) lfbAddress(host);
      return result(true);
    }
    case 0x03: {
      const current = currentVbeMode(host);
      if (current === undefined) cpu.set16(Reg.EBX, mem.read8(0x449));
      else cpu.set16(Reg.EBX, current.number | (dispiRead(host, Dispi.ENABLE) & DispiEnable.LFB ? 0x4000 : 0));
      return result(true);
    }
    case 0x04:
      return saveRestore(host);
    case 0x05: {
      // Window A only (64 KiB granules); BH=0 set DX, BH=1 get into DX.
      if (cpu.get8(Reg8.BL) !== 0 || !isVbeOn(host)) return result(false);
      if (cpu.get8(Reg8.BH) === 0) {
        const bank = cpu.get16(Reg.EDX);
        if (bank >= VBE_VRAM_SIZE >> 16) return result(false);
        dispiWrite(host, Dispi.BANK, bank);
      } else cpu.set16(Reg.EDX, dispiRead(host, Dispi.BANK));
      return result(true);
    }
    case 0x06:
      return result(scanLineLength(host));
    case 0x07: {
      const bl = cpu.get8(Reg8.BL);
      if (!isVbeOn(host)) return result(false);
      if (bl === 0x00 || bl === 0x80) {
        dispiWrite(host, Dispi.X_OFFSET, cpu.get16(Reg.ECX));
        dispiWrite(host, Dispi.Y_OFFSET, cpu.get16(Reg.EDX));
      } else if (bl === 0x01) {
        cpu.set16(Reg.EBX, 0);
        cpu.set16(Reg.ECX, dispiRead(host, Dispi.X_OFFSET));
        cpu.set16(Reg.EDX, dispiRead(host, Dispi.Y_OFFSET));
      } else return result(false);
      return result(true);
    }
    case 0x08: {
      const enable = dispiRead(host, Dispi.ENABLE);
      if (cpu.get8(Reg8.BL) === 0) {
        const eight = cpu.get8(Reg8.BH) >= 8;
        dispiWrite(host, Dispi.ENABLE, (eight ? enable | DispiEnable.DAC_8BIT : enable & ~DispiEnable.DAC_8BIT) | DispiEnable.NOCLEARMEM);
      } else if (cpu.get8(Reg8.BL) !== 1) return result(false);
      cpu.set8(Reg8.BH, dispiRead(host, Dispi.ENABLE) & DispiEnable.DAC_8BIT ? 8 : 6);
      return result(true);
    }
    case 0x09: {
      // Palette data as B, G, R, pad per entry; BL=0/80h set, BL=1 get.
      const bl = cpu.get8(Reg8.BL);
      const count = cpu.get16(Reg.ECX);
      const first = cpu.get16(Reg.EDX);
      if (first + count > 256 || (bl !== 0 && bl !== 0x80 && bl !== 1)) return result(false);
      const table = esdi();
      if (bl === 1) {
        host.io.write8(0x3c7, first);
        for (let i = 0; i < count; i++) {
          const [r, g, b] = [host.io.read8(0x3c9), host.io.read8(0x3c9), host.io.read8(0x3c9)];
          mem.write8(table + i * 4, b);
          mem.write8(table + i * 4 + 1, g);
          mem.write8(table + i * 4 + 2, r);
          mem.write8(table + i * 4 + 3, 0);
        }
      } else {
        host.io.write8(0x3c8, first);
        for (let i = 0; i < count; i++) {
          host.io.write8(0x3c9, mem.read8(table + i * 4 + 2));
          host.io.write8(0x3c9, mem.read8(table + i * 4 + 1));
          host.io.write8(0x3c9, mem.read8(table + i * 4));
        }
      }
      return result(true);
    }
    default:
      return result(false);
  }
}

function isVbeOn(host: FirmwareHost): boolean {
  return (dispiRead(host, Dispi.ENABLE) & DispiEnable.ENABLED) !== 0;
}

function currentVbeMode(host: FirmwareHost): VbeMode | undefined {
  if (!isVbeOn(host)) return undefined;
  const [w, h, bpp] = [dispiRead(host, Dispi.XRES), dispiRead(host, Dispi.YRES), dispiRead(host, Dispi.BPP)];
  return VBE_MODES.find((m) => m.width === w && m.height === h && m.bpp === bpp) ?? { number: 0x1ff, width: w, height: h, bpp };
}

function writeString(host: FirmwareHost, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) host.memory.write8(at + i, text.charCodeAt(i));
  host.memory.write8(at + text.length, 0);
  return at + text.length + 1;
}

/**
 * 4F00h: the VbeInfoBlock at ES:DI. The mode list and the strings are placed in the block's own reserved area
 * (offsets 22h-FFh), which every caller provides, with far pointers to them.
 */
function controllerInfo(host: FirmwareHost, at: number): boolean {
  const mem = host.memory;
  const cpu = host.cpu;
  const vbe2 = mem.read32(at) === 0x32454256; // 'VBE2': the caller wants the 2.0 fields
  const seg = cpu.getSeg(Seg.ES);
  const off = cpu.get16(Reg.EDI);
  for (let i = 4; i < (vbe2 ? 512 : 256); i++) mem.write8(at + i, 0);
  mem.write32(at, 0x41534556); // 'VESA'
  mem.write16(at + 4, 0x0200);
  mem.write32(at + 10, 1); // capabilities: DAC switchable to 8 bits
  mem.write16(at + 18, VBE_VRAM_SIZE >> 16);
  // Mode list at +22h, then the strings.
  let p = at + 0x22;
  mem.write16(at + 14, off + 0x22);
  mem.write16(at + 16, seg);
  for (const mode of VBE_MODES) {
    mem.write16(p, mode.number);
    p += 2;
  }
  mem.write16(p, 0xffff);
  p += 2;
  const far = (field: number, text: string) => {
    mem.write16(at + field, off + (p - at));
    mem.write16(at + field + 2, seg);
    p = writeString(host, p, text);
  };
  far(6, 'co86 VBE (Bochs DISPI)');
  if (vbe2) {
    mem.write16(at + 20, 0x0100); // OEM software revision
    far(22, 'co86');
    far(26, 'Bochs VBE');
    far(30, '1.0');
  }
  return true;
}

/** 4F01h: the ModeInfoBlock (256 bytes) at `at`. */
function modeInfo(host: FirmwareHost, mode: VbeMode, at: number): void {
  const mem = host.memory;
  for (let i = 0; i < 256; i++) mem.write8(at + i, 0);
  const bytes = bytesPerPixel(mode.bpp);
  const pitch = mode.width * bytes;
  const pages = Math.max(0, Math.floor(VBE_VRAM_SIZE / (pitch * mode.height)) - 1);
  mem.write16(at + 0x00, 0x9b | 0x80); // supported, optional info, colour, graphics, LFB; banked window too
  mem.write8(at + 0x02, 0x07); // window A: exists, readable, writable
  mem.write16(at + 0x04, 64); // granularity, KiB
  mem.write16(at + 0x06, 64); // size, KiB
  mem.write16(at + 0x08, 0xa000);
  mem.write16(at + 0x10, pitch);
  mem.write16(at + 0x12, mode.width);
  mem.write16(at + 0x14, mode.height);
  mem.write8(at + 0x16, 8);
  mem.write8(at + 0x17, 16);
  mem.write8(at + 0x18, 1); // planes
  mem.write8(at + 0x19, mode.bpp);
  mem.write8(at + 0x1a, 1); // banks
  mem.write8(at + 0x1b, mode.bpp === 8 ? 4 : 6); // packed pixel / direct colour
  mem.write8(at + 0x1d, Math.min(255, pages));
  mem.write8(at + 0x1e, 1);
  // Colour masks: size and position of red, green, blue, reserved.
  const masks: Record<number, number[]> = {
    15: [5, 10, 5, 5, 5, 0, 1, 15],
    16: [5, 11, 6, 5, 5, 0, 0, 0],
    24: [8, 16, 8, 8, 8, 0, 0, 0],
    32: [8, 16, 8, 8, 8, 0, 8, 24],
  };
  const m = masks[mode.bpp];
  if (m) {
    for (let i = 0; i < 8; i++) {
      mem.write8(at + 0x1f + i, m[i]);
      mem.write8(at + 0x36 + i, m[i]); // the linear-mode copies (VBE 3.0)
    }
  }
  mem.write32(at + 0x28, lfbAddress(host));
  mem.write16(at + 0x32, pitch); // LinBytesPerScanLine
  mem.write8(at + 0x34, Math.min(255, pages));
  mem.write8(at + 0x35, Math.min(255, pages));
}

/** 4F06h: BL=0 set width in pixels (CX), 1 get, 2 set width in bytes, 3 get maximum. */
function scanLineLength(host: FirmwareHost): boolean {
  const cpu = host.cpu;
  const bl = cpu.get8(Reg8.BL);
  if (!isVbeOn(host) || bl > 3) return false;
  const bytes = bytesPerPixel(dispiRead(host, Dispi.BPP));
  if (bl === 0) dispiWrite(host, Dispi.VIRT_WIDTH, cpu.get16(Reg.ECX));
  else if (bl === 2) dispiWrite(host, Dispi.VIRT_WIDTH, Math.floor(cpu.get16(Reg.ECX) / bytes));
  const width = bl === 3 ? Math.min(8192, Math.floor(VBE_VRAM_SIZE / dispiRead(host, Dispi.YRES) / bytes)) : dispiRead(host, Dispi.VIRT_WIDTH);
  cpu.set16(Reg.EBX, Math.min(0xffff, width * bytes));
  cpu.set16(Reg.ECX, width);
  cpu.set16(Reg.EDX, Math.min(0xffff, Math.floor(VBE_VRAM_SIZE / (width * bytes))));
  return true;
}

/**
 * 4F04h: save/restore state (video-state.ts). CX bits 0-3: the VGA registers, the BIOS data, the DAC, the DISPI
 * registers. DL=0: BX = buffer size in 64-byte blocks; DL=1 save to ES:BX; DL=2 restore from ES:BX.
 */
function saveRestore(host: FirmwareHost): void {
  const cpu = host.cpu;
  const dl = cpu.get8(Reg8.DL);
  const mask = cpu.get16(Reg.ECX) & 0x0f;
  const buffer = physical(host, cpu.getSeg(Seg.ES), cpu.get16(Reg.EBX));
  if (dl === 0) cpu.set16(Reg.EBX, videoStateBlocks(mask));
  else if (dl === 1) saveVideoState(host, mask, buffer);
  else if (dl === 2) restoreVideoState(host, mask, buffer);
  cpu.set16(Reg.EAX, dl <= 2 ? OK : FAILED);
}
