/**
 * The Bochs VBE extension ("DISPI", the interface of Bochs' and QEMU's standard VGA, which Linux's bochs-drm and
 * vesafb-through-our-BIOS drive): index/data ports 1CEh/1CFh, 16 MiB of linear video memory, a 64 KiB bank
 * window at A0000h (served by the Vga when enabled) and the linear framebuffer (LFB) at PCI BAR0.
 *
 * Registers (index → meaning): 0 ID (B0C0h–B0C5h), 1 XRES, 2 YRES, 3 BPP (4/8/15/16/24/32), 4 ENABLE, 5 BANK,
 * 6 VIRT_WIDTH, 7 VIRT_HEIGHT, 8 X_OFFSET, 9 Y_OFFSET, 0Ah VIDEO_MEMORY_64K (read-only).
 */
import type { IoBus } from '../../io.js';
import type { MmioHandler, PhysicalMemory } from '../../memory.js';

export const VBE_VRAM_SIZE = 16 << 20;
/** Where the LFB sits until the PCI BAR is assigned (the bottom of the PCI hole, where BIOSes put the biggest BAR). */
export const VBE_DEFAULT_LFB = 0xe0000000;
export const VBE_MAX_XRES = 2560;
export const VBE_MAX_YRES = 1600;
const VBE_MAX_BPP = 32;

export const enum Dispi {
  ID = 0, XRES = 1, YRES = 2, BPP = 3, ENABLE = 4, BANK = 5, VIRT_WIDTH = 6, VIRT_HEIGHT = 7, X_OFFSET = 8, Y_OFFSET = 9,
  VIDEO_MEMORY_64K = 10,
}
/** ENABLE register bits. */
export const enum DispiEnable { ENABLED = 0x01, GETCAPS = 0x02, DAC_8BIT = 0x20, LFB = 0x40, NOCLEARMEM = 0x80 }

const ID_LATEST = 0xb0c5;
const PAGE_SHIFT = 12;

/** Bytes per pixel of a DISPI depth (4-bit planar is counted as one byte; it is not rendered, see README). */
export function bytesPerPixel(bpp: number): number {
  return bpp === 15 ? 2 : bpp === 4 ? 1 : bpp >> 3;
}

export class BochsVbe implements MmioHandler {
  readonly name = 'vbe lfb';
  readonly vram = new Uint8Array(VBE_VRAM_SIZE);
  /** One flag per 4 KiB of vram written since the renderer last looked. */
  readonly dirtyPages = new Uint8Array(VBE_VRAM_SIZE >> PAGE_SHIFT);
  /** The DISPI registers, indexed by Dispi. */
  readonly regs = new Uint16Array(16);
  index = 0;
  /** The LFB's current physical base, or undefined while unmapped. */
  lfbBase: number | undefined;
  /** Called when ENABLE, the geometry or the offsets change (the picture must be redrawn). */
  onDisplayChange: () => void = () => {};
  private readonly memory: PhysicalMemory;

  constructor(options: { io: IoBus; memory: PhysicalMemory }) {
    this.memory = options.memory;
    const io = options.io;
    // 1CEh/1CFh are 16-bit; byte access to the low byte works as on Bochs (some probes use it).
    io.register('vbe', 0x1ce, { read16: () => this.index, write16: (_p, v) => (this.index = v), read8: () => this.index & 0xff, write8: (_p, v) => (this.index = v) });
    io.register('vbe', 0x1cf, { read16: () => this.read(), write16: (_p, v) => this.write(v), read8: () => this.read() & 0xff, write8: (_p, v) => this.write(v) });
    this.mapLfb(VBE_DEFAULT_LFB);
    this.reset();
  }

  reset(): void {
    this.regs.fill(0);
    this.regs[Dispi.ID] = ID_LATEST;
    this.regs[Dispi.XRES] = 640;
    this.regs[Dispi.YRES] = 480;
    this.regs[Dispi.BPP] = 8;
    this.regs[Dispi.VIRT_WIDTH] = 640;
    this.regs[Dispi.VIRT_HEIGHT] = 480;
    this.index = 0;
    this.dirtyPages.fill(1);
  }

  get enabled(): boolean {
    return (this.regs[Dispi.ENABLE] & DispiEnable.ENABLED) !== 0;
  }

  get dac8(): boolean {
    return (this.regs[Dispi.ENABLE] & DispiEnable.DAC_8BIT) !== 0;
  }

  /** A 4-bpp mode: the picture lives in the VGA's planes and the A0000h window is the VGA's planar one. */
  get planar(): boolean {
    return this.enabled && this.regs[Dispi.BPP] === 4;
  }

  /** Bytes per scanline of the virtual screen. */
  get stride(): number {
    return this.regs[Dispi.VIRT_WIDTH] * bytesPerPixel(this.regs[Dispi.BPP]);
  }

  private read(): number {
    const r = this.regs;
    const caps = (r[Dispi.ENABLE] & DispiEnable.GETCAPS) !== 0;
    switch (this.index) {
      case Dispi.XRES:
        return caps ? VBE_MAX_XRES : r[Dispi.XRES];
      case Dispi.YRES:
        return caps ? VBE_MAX_YRES : r[Dispi.YRES];
      case Dispi.BPP:
        return caps ? VBE_MAX_BPP : r[Dispi.BPP];
      case Dispi.VIDEO_MEMORY_64K:
        return VBE_VRAM_SIZE >> 16;
      default:
        return this.index < Dispi.VIDEO_MEMORY_64K ? r[this.index] : 0;
    }
  }

  private write(value: number): void {
    const r = this.regs;
    switch (this.index) {
      case Dispi.ID:
        if (value >= 0xb0c0 && value <= ID_LATEST) r[Dispi.ID] = value;
        return;
      case Dispi.XRES:
        r[Dispi.XRES] = Math.min(VBE_MAX_XRES, value & ~7 || 8);
        break;
      case Dispi.YRES:
        r[Dispi.YRES] = Math.min(VBE_MAX_YRES, value || 1);
        break;
      case Dispi.BPP:
        // Unknown depths fall back to 8, as a guest's probe must not leave the card unusable.
        r[Dispi.BPP] = value === 4 || value === 8 || value === 15 || value === 16 || value === 24 || value === 32 ? value : 8;
        break;
      case Dispi.ENABLE:
        return this.setEnable(value);
      case Dispi.BANK:
        r[Dispi.BANK] = value % (VBE_VRAM_SIZE >> 16);
        return;
      case Dispi.VIRT_WIDTH:
        r[Dispi.VIRT_WIDTH] = Math.max(r[Dispi.XRES], Math.min(value, 8192));
        this.fitVirtualHeight();
        break;
      case Dispi.X_OFFSET:
      case Dispi.Y_OFFSET:
        r[this.index] = value;
        break;
      default:
        return; // VIRT_HEIGHT and VIDEO_MEMORY_64K are derived, read-only
    }
    this.onDisplayChange();
  }

  private setEnable(value: number): void {
    const r = this.regs;
    const wasEnabled = this.enabled;
    r[Dispi.ENABLE] = value & (DispiEnable.ENABLED | DispiEnable.GETCAPS | DispiEnable.DAC_8BIT | DispiEnable.LFB | DispiEnable.NOCLEARMEM);
    if (this.enabled && !wasEnabled) {
      // A mode set: the virtual screen is the visible one, at offset 0, bank 0; memory cleared unless asked not to.
      if (bytesPerPixel(r[Dispi.BPP]) * r[Dispi.XRES] * r[Dispi.YRES] > VBE_VRAM_SIZE) r[Dispi.YRES] = Math.floor(VBE_VRAM_SIZE / (bytesPerPixel(r[Dispi.BPP]) * r[Dispi.XRES]));
      r[Dispi.VIRT_WIDTH] = r[Dispi.XRES];
      this.fitVirtualHeight();
      r[Dispi.X_OFFSET] = r[Dispi.Y_OFFSET] = 0;
      r[Dispi.BANK] = 0;
      if (!(value & DispiEnable.NOCLEARMEM)) this.vram.fill(0);
    }
    this.dirtyPages.fill(1);
    this.onDisplayChange();
  }

  private fitVirtualHeight(): void {
    const stride = this.stride || 1;
    this.regs[Dispi.VIRT_HEIGHT] = Math.min(0xffff, Math.floor(VBE_VRAM_SIZE / stride));
  }

  // ---- the 64 KiB bank window at A0000h (the Vga forwards its window here while DISPI is enabled) ----

  bankRead(offset: number): number {
    return this.vram[(this.regs[Dispi.BANK] << 16) + (offset & 0xffff)];
  }

  bankWrite(offset: number, value: number): void {
    const at = (this.regs[Dispi.BANK] << 16) + (offset & 0xffff);
    this.vram[at] = value;
    this.dirtyPages[at >>> PAGE_SHIFT] = 1;
  }

  // ---- the linear framebuffer ----

  /**
   * Maps the LFB at `base` (PCI BAR0 moved) or unmaps it (undefined). The old window is given back to the
   * memory bus. If another device holds part of the new window, the LFB stays unmapped (the BIOS should not
   * place it so; the guest sees open bus there, as on hardware with a conflicting BAR).
   */
  mapLfb(base: number | undefined): void {
    if (base === this.lfbBase) return;
    if (this.lfbBase !== undefined) this.memory.unmapMmio(this.lfbBase, VBE_VRAM_SIZE, this);
    this.lfbBase = undefined;
    if (base === undefined) return;
    try {
      this.memory.mapMmio(base, VBE_VRAM_SIZE, this);
      this.lfbBase = base;
    } catch {
      // A conflict: mapMmio mapped nothing, the LFB is unreachable until the BAR moves again.
    }
  }

  private lfbOffset(addr: number, size: number): number {
    if (this.lfbBase === undefined) return -1;
    const offset = addr - this.lfbBase;
    return offset >= 0 && offset + size <= VBE_VRAM_SIZE ? offset : -1;
  }

  read8(addr: number): number {
    const o = this.lfbOffset(addr, 1);
    return o < 0 ? 0xff : this.vram[o];
  }

  write8(addr: number, value: number): void {
    const o = this.lfbOffset(addr, 1);
    if (o < 0) return;
    this.vram[o] = value;
    this.dirtyPages[o >>> PAGE_SHIFT] = 1;
  }

  read16(addr: number): number {
    const o = this.lfbOffset(addr, 2);
    return o < 0 ? 0xffff : this.vram[o] | (this.vram[o + 1] << 8);
  }

  write16(addr: number, value: number): void {
    const o = this.lfbOffset(addr, 2);
    if (o < 0) return;
    this.vram[o] = value;
    this.vram[o + 1] = value >>> 8;
    this.dirtyPages[o >>> PAGE_SHIFT] = 1;
  }

  read32(addr: number): number {
    const o = this.lfbOffset(addr, 4);
    const v = this.vram;
    return o < 0 ? 0xffffffff : (v[o] | (v[o + 1] << 8) | (v[o + 2] << 16) | (v[o + 3] << 24)) >>> 0;
  }

  write32(addr: number, value: number): void {
    const o = this.lfbOffset(addr, 4);
    if (o < 0) return;
    const v = this.vram;
    v[o] = value;
    v[o + 1] = value >>> 8;
    v[o + 2] = value >>> 16;
    v[o + 3] = value >>> 24;
    this.dirtyPages[o >>> PAGE_SHIFT] = 1;
  }
}
