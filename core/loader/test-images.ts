/**
 * Synthetic kernels for the loader's tests: a bzImage with a setup header, Multiboot images with the
 * a.out kludge or ELF program headers, and a machine with no BIOS in the way.
 */
import { Machine } from '../machine.js';
import { Hdr, LINUX_MAGIC, LOADED_HIGH } from './linux.js';
import { MB_AOUT_KLUDGE, MULTIBOOT_MAGIC } from './multiboot.js';

/** A machine whose ROM is all HLT, so nothing but the loaded kernel runs. */
export function bareMachine(memoryMB = 32): Machine {
  return new Machine({ memoryMB, firmware: { rom: new Uint8Array(0x1000).fill(0xf4) }, clock: 'deterministic' });
}

export interface FakeBzImage {
  version?: number;
  setupSects?: number;
  loadflags?: number;
  code32Start?: number;
  initrdAddrMax?: number;
  cmdlineSize?: number;
  kernelAlignment?: number;
  relocatable?: boolean;
  xloadflags?: number;
  prefAddress?: number;
  initSize?: number;
  kernelVersion?: string;
  /** The protected-mode part (default: 3000 bytes of a counting pattern). */
  kernel?: Uint8Array;
}

/** End of the setup header of protocol 2.15 (kernel_info_offset + 4). */
export const FAKE_HEADER_END = 0x26c;

/** A bzImage: boot sector with the setup header, setup sectors, then the protected-mode kernel. */
export function fakeBzImage(o: FakeBzImage = {}): Uint8Array {
  const setupSects = o.setupSects ?? 4;
  const setupSize = ((setupSects || 4) + 1) * 512;
  const kernel = o.kernel ?? pattern(3000, 7);
  const image = new Uint8Array(setupSize + kernel.length);
  const view = new DataView(image.buffer);
  // Something recognisable all over the setup sectors, so that copying too much shows.
  for (let i = 0; i < setupSize; i++) image[i] = 0x5a;
  image[Hdr.SETUP_SECTS] = setupSects;
  view.setUint16(Hdr.SETUP_SECTS + 1, 0, true); // root_flags
  view.setUint16(Hdr.BOOT_FLAG, 0xaa55, true);
  image[Hdr.JUMP] = 0xeb;
  image[Hdr.JUMP + 1] = FAKE_HEADER_END - (Hdr.JUMP + 2);
  view.setUint32(Hdr.HEADER, LINUX_MAGIC, true);
  view.setUint16(Hdr.VERSION, o.version ?? 0x20f, true);
  view.setUint16(Hdr.KERNEL_VERSION, o.kernelVersion === undefined ? 0 : 0x300 - 0x200, true);
  image[Hdr.TYPE_OF_LOADER] = 0;
  image[Hdr.LOADFLAGS] = o.loadflags ?? LOADED_HIGH;
  view.setUint32(Hdr.CODE32_START, o.code32Start ?? 0x100000, true);
  view.setUint32(Hdr.RAMDISK_IMAGE, 0, true);
  view.setUint32(Hdr.RAMDISK_SIZE, 0, true);
  view.setUint16(Hdr.HEAP_END_PTR, 0, true);
  view.setUint32(Hdr.CMD_LINE_PTR, 0, true);
  view.setUint32(Hdr.INITRD_ADDR_MAX, o.initrdAddrMax ?? 0x7fffffff, true);
  view.setUint32(Hdr.KERNEL_ALIGNMENT, o.kernelAlignment ?? 0x1000, true);
  image[Hdr.RELOCATABLE_KERNEL] = o.relocatable === false ? 0 : 1;
  view.setUint16(Hdr.XLOADFLAGS, o.xloadflags ?? 0, true);
  view.setUint32(Hdr.CMDLINE_SIZE, o.cmdlineSize ?? 2047, true);
  view.setUint32(Hdr.PREF_ADDRESS, o.prefAddress ?? 0x100000, true);
  view.setUint32(Hdr.PREF_ADDRESS + 4, 0, true);
  view.setUint32(Hdr.INIT_SIZE, o.initSize ?? 0x10000, true);
  for (let i = FAKE_HEADER_END; i < 0x290; i++) image[i] = 0xee; // past the header's end: must not be copied
  if (o.kernelVersion !== undefined) {
    image.set(new TextEncoder().encode(o.kernelVersion), 0x300);
    image[0x300 + o.kernelVersion.length] = 0;
  }
  image.set(kernel, setupSize);
  return image;
}

export function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

/** The 12-byte Multiboot header start: magic, flags, checksum. */
function multibootHeader(flags: number): Uint8Array {
  const h = new Uint8Array(12);
  const view = new DataView(h.buffer);
  view.setUint32(0, MULTIBOOT_MAGIC, true);
  view.setUint32(4, flags, true);
  view.setUint32(8, (-(MULTIBOOT_MAGIC + flags)) >>> 0, true);
  return h;
}

export interface FakeAout {
  loadAddr?: number;
  /** Offset of the header in the file (and from load_addr in memory). */
  headerOffset?: number;
  /** The loaded bytes after the header (code/data). */
  code?: Uint8Array;
  bss?: number;
  entry?: number;
  flags?: number;
  /** Extra bytes after load_end_addr in the file (must not be loaded). */
  trailer?: number;
}

/** A flat Multiboot image with the a.out kludge: the file from offset 0 is loaded at load_addr. */
export function fakeMultibootAout(o: FakeAout = {}): Uint8Array {
  const loadAddr = o.loadAddr ?? 0x100000;
  const headerOffset = o.headerOffset ?? 16;
  const code = o.code ?? pattern(500, 3);
  const loadSize = headerOffset + 32 + code.length;
  const image = new Uint8Array(loadSize + (o.trailer ?? 0)).fill(0x77);
  image.fill(0x90, 0, headerOffset);
  image.set(multibootHeader((o.flags ?? 0) | MB_AOUT_KLUDGE), headerOffset);
  const view = new DataView(image.buffer);
  view.setUint32(headerOffset + 12, loadAddr + headerOffset, true); // header_addr
  view.setUint32(headerOffset + 16, loadAddr, true); // load_addr
  view.setUint32(headerOffset + 20, loadAddr + loadSize, true); // load_end_addr
  view.setUint32(headerOffset + 24, o.bss === undefined ? 0 : loadAddr + loadSize + o.bss, true); // bss_end_addr
  view.setUint32(headerOffset + 28, o.entry ?? loadAddr + headerOffset + 32, true); // entry_addr
  image.set(code, headerOffset + 32);
  return image;
}

export interface FakeElfSegment {
  type?: number;
  vaddr?: number;
  paddr: number;
  data: Uint8Array;
  memSize?: number;
}

/** An ELF32 i386 executable with a Multiboot header (no address fields) right after its program headers. */
export function fakeMultibootElf(segments: FakeElfSegment[], entry: number, opts: { flags?: number; elfClass?: number; machine?: number } = {}): Uint8Array {
  const phoff = 52;
  const headerAt = phoff + segments.length * 32;
  let offset = headerAt + 12;
  const placed = segments.map((s) => {
    offset = Math.ceil(offset / 16) * 16;
    const at = offset;
    offset += s.data.length;
    return at;
  });
  const image = new Uint8Array(offset);
  const view = new DataView(image.buffer);
  image.set([0x7f, 0x45, 0x4c, 0x46, opts.elfClass ?? 1, 1, 1], 0);
  view.setUint16(16, 2, true); // ET_EXEC
  view.setUint16(18, opts.machine ?? 3, true); // EM_386
  view.setUint32(20, 1, true);
  view.setUint32(24, entry, true);
  view.setUint32(28, phoff, true);
  view.setUint16(40, 52, true);
  view.setUint16(42, 32, true);
  view.setUint16(44, segments.length, true);
  segments.forEach((s, i) => {
    const ph = phoff + i * 32;
    view.setUint32(ph, s.type ?? 1, true);
    view.setUint32(ph + 4, placed[i], true);
    view.setUint32(ph + 8, s.vaddr ?? s.paddr, true);
    view.setUint32(ph + 12, s.paddr, true);
    view.setUint32(ph + 16, s.data.length, true);
    view.setUint32(ph + 20, s.memSize ?? s.data.length, true);
    view.setUint32(ph + 24, 5, true);
    view.setUint32(ph + 28, 0x1000, true);
    image.set(s.data, placed[i]);
  });
  image.set(multibootHeader(opts.flags ?? 0), headerAt);
  return image;
}
