import { Layout, WASM_PAGE } from './layout.js';

/** What a 4 KiB physical page is. Reads of RAM and ROM take the fast path; everything else is slow. */
export const enum PageKind {
  Ram = 0,
  /** Read-only: backed by the RAM array (the BIOS is copied there), writes are dropped. */
  Rom = 1,
  /** Memory-mapped I/O: a registered handler answers. */
  Mmio = 2,
  /** Nothing there: reads give 0xFF, writes vanish (open bus). */
  Unmapped = 3,
}

/** A device's window onto the memory bus. Only byte access is required; wider access is split. */
export interface MmioHandler {
  readonly name: string;
  read8(addr: number): number;
  write8(addr: number, value: number): void;
  read16?(addr: number): number;
  write16?(addr: number, value: number): void;
  read32?(addr: number): number;
  write32?(addr: number, value: number): void;
}

const PAGE_SHIFT = 12;
const PAGE_SIZE = 1 << PAGE_SHIFT;
const PAGES_4G = 1 << 20;

/** The legacy holes of a PC below 1 MiB. */
export const VGA_WINDOW = { start: 0xa0000, end: 0xc0000 } as const;
export const BIOS_ROM = { start: 0xe0000, end: 0x100000 } as const;

/**
 * Guest physical memory: RAM inside the shared WebAssembly.Memory at Layout.RAM, and a page table
 * of kinds covering the whole 4 GiB so that one typed-array load decides fast or slow path.
 *
 * Callers pass physical addresses (after segmentation, paging and the A20 mask). The CPU's fast path
 * reads `u8` at `Layout.RAM + addr` itself when `pageKind[addr >>> 12] <= PageKind.Rom` (and
 * writes when it is `PageKind.Ram`); everything else comes through the methods here.
 */
export class PhysicalMemory {
  readonly memory: WebAssembly.Memory;
  readonly u8: Uint8Array;
  readonly ramSize: number;
  readonly pageKind = new Uint8Array(PAGES_4G);
  private readonly mmio: (MmioHandler | undefined)[] = [];
  private romImage: Uint8Array = new Uint8Array(0);
  /**
   * JIT hook (core/jit): physical pages holding compiled code, non-zero per 4 KiB page. A write to one
   * through these methods (the CPU's slow path, DMA, loaders) calls onCodeWrite first. The CPU keeps such
   * pages off its TLB fast write path (paging.ts). Undefined without a JIT.
   */
  codePages: Uint8Array | undefined = undefined;
  onCodeWrite: ((addr: number) => void) | undefined = undefined;

  constructor(ramSize: number) {
    if (ramSize < 1 << 20 || ramSize % PAGE_SIZE !== 0) throw new Error(`RAM size must be at least 1 MiB and a multiple of 4 KiB, not ${ramSize}`);
    if (ramSize > 0xe0000000) throw new Error(`RAM size ${ramSize} overlaps the PCI hole`);
    const pages = Math.ceil((Layout.RAM + ramSize) / WASM_PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.u8 = new Uint8Array(this.memory.buffer);
    this.ramSize = ramSize;
    this.pageKind.fill(PageKind.Unmapped);
    this.pageKind.fill(PageKind.Ram, 0, ramSize >>> PAGE_SHIFT);
    // Option-ROM space is empty (open bus) until something is mapped there.
    this.pageKind.fill(PageKind.Unmapped, 0xc0000 >>> PAGE_SHIFT, BIOS_ROM.start >>> PAGE_SHIFT);
  }

  /**
   * Called after the physical map changed (a window mapped or unmapped while the machine runs, e.g. a PCI BAR
   * moved). The machine flushes the CPU's translations here: a TLB entry may let the CPU reach RAM directly.
   */
  onMapChange?: () => void;
  /** What each MMIO-mapped page was before (RAM, ROM or unmapped), so unmapMmio can put it back. */
  private readonly kindUnder = new Map<number, PageKind>();

  /** Map a device window; page-granular. Throws on overlap with another device, so conflicts show at once. */
  mapMmio(start: number, length: number, handler: MmioHandler): void {
    if (start % PAGE_SIZE || length % PAGE_SIZE) throw new Error(`${handler.name}: MMIO window must be page-aligned`);
    const first = start >>> PAGE_SHIFT;
    const end = first + length / PAGE_SIZE;
    if (end > PAGES_4G) throw new Error(`${handler.name}: MMIO window ${hex(start)}+${length} runs past 4 GiB`);
    // Check the whole window first, so a conflict leaves nothing half-mapped.
    for (let page = first; page < end; page++) {
      const other = this.mmio[page];
      if (other) throw new Error(`${handler.name}: MMIO at ${hex(page << PAGE_SHIFT)} already mapped by ${other.name}`);
    }
    for (let page = first; page < end; page++) {
      this.kindUnder.set(page, this.pageKind[page]);
      this.mmio[page] = handler;
      this.pageKind[page] = PageKind.Mmio;
    }
    this.onMapChange?.();
  }

  /**
   * Removes a window mapMmio made: its pages become what they were before (RAM, ROM or open bus). Every page
   * must be mapped by `handler`; otherwise nothing changes and it throws.
   */
  unmapMmio(start: number, length: number, handler: MmioHandler): void {
    if (start % PAGE_SIZE || length % PAGE_SIZE) throw new Error(`${handler.name}: MMIO window must be page-aligned`);
    const first = start >>> PAGE_SHIFT;
    const end = first + length / PAGE_SIZE;
    for (let page = first; page < end; page++) {
      if (this.mmio[page] !== handler) throw new Error(`${handler.name}: cannot unmap ${hex(page << PAGE_SHIFT)}, ${this.mmio[page] ? `it is mapped by ${this.mmio[page]!.name}` : 'it is not mapped'}`);
    }
    for (let page = first; page < end; page++) {
      this.mmio[page] = undefined;
      this.pageKind[page] = this.kindUnder.get(page) ?? PageKind.Unmapped;
      this.kindUnder.delete(page);
    }
    this.onMapChange?.();
  }

  /** The handler mapped at a physical address, if any. */
  mmioAt(addr: number): MmioHandler | undefined {
    return this.mmio[(addr >>> 0) >>> PAGE_SHIFT];
  }

  /**
   * Install the system BIOS: copied into RAM just below 1 MiB (read-only there) and aliased at the top
   * of 4 GiB, where the CPU's reset vector points.
   */
  loadBios(image: Uint8Array): void {
    if (image.length === 0 || image.length > BIOS_ROM.end - BIOS_ROM.start || image.length % PAGE_SIZE) {
      throw new Error(`BIOS image must be a multiple of 4 KiB and at most 128 KiB, not ${image.length} bytes`);
    }
    this.romImage = image.slice();
    const low = BIOS_ROM.end - image.length;
    this.u8.set(image, Layout.RAM + low);
    this.pageKind.fill(PageKind.Rom, low >>> PAGE_SHIFT, BIOS_ROM.end >>> PAGE_SHIFT);
    const high = 0x100000000 - image.length;
    const rom = this.romImage;
    const base = high;
    const alias: MmioHandler = {
      name: 'BIOS ROM (high alias)',
      read8: (addr) => rom[addr - base],
      write8: () => {},
    };
    for (let page = high / PAGE_SIZE; page < PAGES_4G; page++) {
      this.mmio[page] = alias;
      this.pageKind[page] = PageKind.Mmio;
    }
  }

  /** The physical range the BIOS occupies below 1 MiB (the ROM-only trap is honoured only here). */
  biosRange(): { start: number; end: number } {
    return { start: BIOS_ROM.end - this.romImage.length, end: BIOS_ROM.end };
  }

  isBiosAddress(addr: number): boolean {
    const len = this.romImage.length;
    return (addr >= BIOS_ROM.end - len && addr < BIOS_ROM.end) || (addr >= 0x100000000 - len && addr <= 0xffffffff);
  }

  read8(addr: number): number {
    addr >>>= 0;
    const kind = this.pageKind[addr >>> PAGE_SHIFT];
    if (kind <= PageKind.Rom) return this.u8[Layout.RAM + addr];
    if (kind === PageKind.Mmio) return this.mmio[addr >>> PAGE_SHIFT]!.read8(addr) & 0xff;
    return 0xff;
  }

  write8(addr: number, value: number): void {
    addr >>>= 0;
    const kind = this.pageKind[addr >>> PAGE_SHIFT];
    if (kind === PageKind.Ram) {
      if (this.codePages !== undefined && this.codePages[addr >>> PAGE_SHIFT] !== 0) this.onCodeWrite!(addr);
      this.u8[Layout.RAM + addr] = value;
    } else if (kind === PageKind.Mmio) this.mmio[addr >>> PAGE_SHIFT]!.write8(addr, value & 0xff);
  }

  read16(addr: number): number {
    addr >>>= 0;
    const kind = this.pageKind[addr >>> PAGE_SHIFT];
    if ((addr & 0xfff) !== 0xfff) {
      if (kind <= PageKind.Rom) return this.u8[Layout.RAM + addr] | (this.u8[Layout.RAM + addr + 1] << 8);
      const h = this.mmio[addr >>> PAGE_SHIFT];
      if (kind === PageKind.Mmio && h!.read16) return h!.read16(addr) & 0xffff;
    }
    return this.read8(addr) | (this.read8(addr + 1) << 8);
  }

  write16(addr: number, value: number): void {
    addr >>>= 0;
    const kind = this.pageKind[addr >>> PAGE_SHIFT];
    if ((addr & 0xfff) !== 0xfff) {
      if (kind === PageKind.Ram) {
        if (this.codePages !== undefined && this.codePages[addr >>> PAGE_SHIFT] !== 0) this.onCodeWrite!(addr);
        this.u8[Layout.RAM + addr] = value;
        this.u8[Layout.RAM + addr + 1] = value >>> 8;
        return;
      }
      const h = this.mmio[addr >>> PAGE_SHIFT];
      if (kind === PageKind.Mmio && h!.write16) return h!.write16(addr, value & 0xffff);
    }
    this.write8(addr, value);
    this.write8(addr + 1, value >>> 8);
  }

  read32(addr: number): number {
    addr >>>= 0;
    const kind = this.pageKind[addr >>> PAGE_SHIFT];
    if ((addr & 0xfff) <= 0xffc) {
      if (kind <= PageKind.Rom) {
        const p = Layout.RAM + addr;
        return (this.u8[p] | (this.u8[p + 1] << 8) | (this.u8[p + 2] << 16) | (this.u8[p + 3] << 24)) >>> 0;
      }
      const h = this.mmio[addr >>> PAGE_SHIFT];
      if (kind === PageKind.Mmio && h!.read32) return h!.read32(addr) >>> 0;
    }
    return (this.read16(addr) | (this.read16(addr + 2) << 16)) >>> 0;
  }

  write32(addr: number, value: number): void {
    addr >>>= 0;
    const kind = this.pageKind[addr >>> PAGE_SHIFT];
    if ((addr & 0xfff) <= 0xffc) {
      if (kind === PageKind.Ram) {
        if (this.codePages !== undefined && this.codePages[addr >>> PAGE_SHIFT] !== 0) this.onCodeWrite!(addr);
        const p = Layout.RAM + addr;
        this.u8[p] = value;
        this.u8[p + 1] = value >>> 8;
        this.u8[p + 2] = value >>> 16;
        this.u8[p + 3] = value >>> 24;
        return;
      }
      const h = this.mmio[addr >>> PAGE_SHIFT];
      if (kind === PageKind.Mmio && h!.write32) return h!.write32(addr, value >>> 0);
    }
    this.write16(addr, value & 0xffff);
    this.write16(addr + 2, value >>> 16);
  }

  /**
   * Bulk copy into guest memory (loaders, BIOS services, bus-master DMA), a page at a time: RAM pages in one
   * copy (telling the JIT first when the page holds compiled code), ROM and unmapped pages ignore the write,
   * MMIO pages get it byte by byte.
   */
  writeBytes(addr: number, bytes: Uint8Array): void {
    addr >>>= 0;
    for (let done = 0; done < bytes.length; ) {
      const page = addr >>> PAGE_SHIFT;
      const chunk = Math.min(bytes.length - done, PAGE_SIZE - (addr & (PAGE_SIZE - 1)));
      const kind = this.pageKind[page];
      if (kind === PageKind.Ram) {
        if (this.codePages !== undefined && this.codePages[page] !== 0) this.onCodeWrite!(addr);
        this.u8.set(bytes.subarray(done, done + chunk), Layout.RAM + addr);
      } else if (kind === PageKind.Mmio) {
        for (let i = 0; i < chunk; i++) this.mmio[page]!.write8(addr + i, bytes[done + i]);
      }
      addr = (addr + chunk) >>> 0;
      done += chunk;
    }
  }

  readBytes(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.read8(addr + i);
    return out;
  }

  /** The memory map, for docs/BOARD.md and debugging. */
  describe(): string[] {
    const lines: string[] = [];
    let start = 0;
    const label = (page: number) => {
      const kind = this.pageKind[page];
      return kind === PageKind.Mmio ? `MMIO ${this.mmio[page]!.name}` : ['RAM', 'ROM', 'MMIO', 'unmapped'][kind];
    };
    for (let page = 1; page <= PAGES_4G; page++) {
      if (page === PAGES_4G || label(page) !== label(start)) {
        lines.push(`${hex(start * PAGE_SIZE)}-${hex(page * PAGE_SIZE - 1)} ${label(start)}`);
        start = page;
      }
    }
    return lines;
  }
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}
