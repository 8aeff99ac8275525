/**
 * Multiboot (version 0.6.96, "Multiboot 1"): a header with magic 1BADB002h in the image's first 8 KiB
 * says how to load it: either its own address fields (the a.out kludge, header flag 16) or, without
 * them, the ELF32 program headers. The kernel is entered in flat 32-bit protected mode with
 * EAX = 2BADB002h and EBX = the physical address of the multiboot_info we build.
 */
import type { Machine } from '../machine.js';
import {
  BOOT_INFO, BOOT_INFO_SIZE, CMDLINE, CMDLINE_END, HIGH_MEMORY, LOW_MEMORY_END, PAGE, alignUp, checkClearOfLoader, commandLineBytes, hex,
  isLoadableRam, memoryMap, mib, writeCString, writeRam, zeroRam,
} from './boot-memory.js';
import { buildTrampoline, enterTrampoline } from './trampoline.js';
import type { KernelInfo, KernelOptions } from './types.js';

export const MULTIBOOT_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const MULTIBOOT2_MAGIC = 0xe85250d6;
/** The header must lie, 4-byte aligned, in the first 8 KiB of the image. */
const SEARCH_LIMIT = 8192;

/** Header flags. Bits 0-15 are requirements: a loader that does not know one must refuse the image. */
export const MB_PAGE_ALIGN_MODULES = 1 << 0;
export const MB_MEMORY_INFO = 1 << 1;
export const MB_VIDEO_MODE = 1 << 2;
export const MB_AOUT_KLUDGE = 1 << 16;
const MB_KNOWN_REQUIREMENTS = MB_PAGE_ALIGN_MODULES | MB_MEMORY_INFO | MB_VIDEO_MODE;

/** multiboot_info flags and field offsets. */
export const InfoFlag = { MEMORY: 1 << 0, CMDLINE: 1 << 2, MODS: 1 << 3, MMAP: 1 << 6, LOADER_NAME: 1 << 9, FRAMEBUFFER: 1 << 12 } as const;
export const Info = {
  FLAGS: 0,
  MEM_LOWER: 4,
  MEM_UPPER: 8,
  CMDLINE: 16,
  MODS_COUNT: 20,
  MODS_ADDR: 24,
  MMAP_LENGTH: 44,
  MMAP_ADDR: 48,
  BOOT_LOADER_NAME: 64,
  FRAMEBUFFER_ADDR: 88,
  FRAMEBUFFER_PITCH: 96,
  FRAMEBUFFER_WIDTH: 100,
  FRAMEBUFFER_HEIGHT: 104,
  FRAMEBUFFER_BPP: 108,
  FRAMEBUFFER_TYPE: 109,
  SIZE: 116,
} as const;
/** Where the pieces of the info block go inside the BOOT_INFO page. */
export const INFO_MMAP = BOOT_INFO + 0x80;
export const INFO_MODULES = BOOT_INFO + 0x200;
export const INFO_LOADER_NAME = BOOT_INFO + 0x300;
export const LOADER_NAME = 'co86';
const FRAMEBUFFER_EGA_TEXT = 2;

export interface MultibootHeader {
  /** Offset of the header in the image. */
  offset: number;
  flags: number;
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

interface Segment {
  address: number;
  data: Uint8Array;
  /** Bytes in memory (≥ data.length; the rest is zeroed). */
  memSize: number;
}

/** The first valid Multiboot header in the first 8 KiB, or undefined; throws for one with a bad checksum and no valid one. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | undefined {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  let badChecksumAt = -1;
  let multiboot2At = -1;
  for (let offset = 0; offset + 12 <= Math.min(image.length, SEARCH_LIMIT); offset += 4) {
    const magic = view.getUint32(offset, true);
    if (magic === MULTIBOOT2_MAGIC && multiboot2At < 0 && offset % 8 === 0) multiboot2At = offset;
    if (magic !== MULTIBOOT_MAGIC) continue;
    const flags = view.getUint32(offset + 4, true);
    if (((magic + flags + view.getUint32(offset + 8, true)) >>> 0) !== 0) {
      if (badChecksumAt < 0) badChecksumAt = offset;
      continue;
    }
    const field = (at: number) => (offset + at + 4 <= image.length ? view.getUint32(offset + at, true) : 0);
    return { offset, flags, headerAddr: field(12), loadAddr: field(16), loadEndAddr: field(20), bssEndAddr: field(24), entryAddr: field(28) };
  }
  if (badChecksumAt >= 0) throw new Error(`the Multiboot header at offset ${hex(badChecksumAt)} has a bad checksum`);
  if (multiboot2At >= 0) throw new Error(`this is a Multiboot 2 image (header at offset ${hex(multiboot2At)}): co86 loads Multiboot 1 only`);
  return undefined;
}

/** Loads a Multiboot kernel and its module, builds the multiboot_info and points the CPU at the entry. */
export function loadMultiboot(machine: Machine, opts: KernelOptions, header: MultibootHeader): KernelInfo {
  const image = opts.kernel;
  const unknown = header.flags & 0xffff & ~MB_KNOWN_REQUIREMENTS;
  if (unknown) throw new Error(`the Multiboot header requires features co86 does not provide (flags ${hex(unknown)})`);
  const aout = (header.flags & MB_AOUT_KLUDGE) !== 0;
  const { segments, entry } = aout ? aoutSegments(image, header) : elfSegments(image);
  if (segments.length === 0) throw new Error('the Multiboot kernel has nothing to load');

  const memory = machine.memory;
  let start = Infinity;
  let end = 0;
  for (const seg of segments) {
    const segEnd = seg.address + seg.memSize;
    const what = `kernel segment ${hex(seg.address)}-${hex(segEnd - 1)}`;
    if (!isLoadableRam(memory, seg.address, segEnd)) {
      throw new Error(segEnd > memory.ramSize ? `${what} does not fit in ${mib(memory.ramSize)} of RAM` : `${what} is not in RAM (it touches A0000h-FFFFFh)`);
    }
    checkClearOfLoader(seg.address, segEnd, what);
    start = Math.min(start, seg.address);
    end = Math.max(end, segEnd);
  }

  const cmdlineText = opts.kernelName !== undefined ? `${opts.kernelName} ${opts.cmdline ?? ''}`.trimEnd() : (opts.cmdline ?? '');
  const cmdline = commandLineBytes(cmdlineText);
  const moduleName = commandLineBytes(opts.initrdName ?? 'initrd', 'module string');
  const moduleNameAddress = CMDLINE + cmdline.length + 1;
  const stringsEnd = opts.initrd ? moduleNameAddress + moduleName.length + 1 : moduleNameAddress;
  if (stringsEnd > CMDLINE_END) throw new Error(`the command line and module string are ${stringsEnd - CMDLINE} bytes; co86 has room for ${CMDLINE_END - CMDLINE}`);

  // The module goes right after the kernel (page-aligned), where GRUB and QEMU put it.
  const initrd = opts.initrd;
  const moduleAddress = alignUp(end, PAGE);
  if (initrd && !isLoadableRam(memory, moduleAddress, moduleAddress + initrd.length)) {
    const room = Math.max(0, memory.ramSize - moduleAddress);
    throw new Error(`the module (${initrd.length} bytes, ${mib(initrd.length)}) does not fit after the kernel at ${hex(moduleAddress)}: RAM leaves ${room} bytes (${mib(room)})`);
  }
  if (initrd) checkClearOfLoader(moduleAddress, moduleAddress + initrd.length, `the module at ${hex(moduleAddress)}`);

  for (const seg of segments) {
    writeRam(memory, seg.address, seg.data);
    zeroRam(memory, seg.address + seg.data.length, seg.memSize - seg.data.length);
  }
  writeCString(memory, CMDLINE, cmdline);
  if (initrd) {
    writeRam(memory, moduleAddress, initrd);
    writeCString(memory, moduleNameAddress, moduleName);
  }
  const module = initrd ? { start: moduleAddress, end: moduleAddress + initrd.length, string: moduleNameAddress } : undefined;
  writeRam(memory, BOOT_INFO, buildMultibootInfo(machine, module));

  const trampoline = buildTrampoline(entry, { eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: BOOT_INFO });
  enterTrampoline(machine, trampoline);
  return {
    kind: 'multiboot',
    protocol: `Multiboot 1 (${aout ? 'a.out kludge' : 'ELF'})`,
    entry,
    image: { start, end },
    footprint: { start, end },
    bootInfo: BOOT_INFO,
    cmdline: { address: CMDLINE, length: cmdline.length },
    initrd: initrd ? { address: moduleAddress, size: initrd.length } : undefined,
    trampoline: trampoline.start,
  };
}

/**
 * The BOOT_INFO page: multiboot_info, the memory map (entries of size, base, length, type; `size`
 * does not count itself), the module list, and the boot loader's name.
 */
export function buildMultibootInfo(machine: Machine, module: { start: number; end: number; string: number } | undefined): Uint8Array {
  const page = new Uint8Array(BOOT_INFO_SIZE);
  const view = new DataView(page.buffer);
  const at = (address: number) => address - BOOT_INFO;
  const ramSize = machine.memory.ramSize;

  view.setUint32(Info.FLAGS, InfoFlag.MEMORY | InfoFlag.CMDLINE | InfoFlag.MODS | InfoFlag.MMAP | InfoFlag.LOADER_NAME | InfoFlag.FRAMEBUFFER, true);
  view.setUint32(Info.MEM_LOWER, LOW_MEMORY_END / 1024, true);
  view.setUint32(Info.MEM_UPPER, Math.max(0, ramSize - HIGH_MEMORY) / 1024, true);
  view.setUint32(Info.CMDLINE, CMDLINE, true);
  view.setUint32(Info.MODS_COUNT, module ? 1 : 0, true);
  view.setUint32(Info.MODS_ADDR, INFO_MODULES, true);
  if (module) {
    view.setUint32(at(INFO_MODULES), module.start, true);
    view.setUint32(at(INFO_MODULES) + 4, module.end, true);
    view.setUint32(at(INFO_MODULES) + 8, module.string, true);
  }

  const map = memoryMap(machine.memory);
  map.forEach((region, i) => {
    const entry = at(INFO_MMAP) + i * 24;
    view.setUint32(entry, 20, true);
    view.setUint32(entry + 4, region.base, true);
    view.setUint32(entry + 12, region.length, true);
    view.setUint32(entry + 20, region.type, true);
  });
  view.setUint32(Info.MMAP_LENGTH, map.length * 24, true);
  view.setUint32(Info.MMAP_ADDR, INFO_MMAP, true);

  page.set(new TextEncoder().encode(LOADER_NAME), at(INFO_LOADER_NAME));
  view.setUint32(Info.BOOT_LOADER_NAME, INFO_LOADER_NAME, true);

  // The screen stays in VGA text mode 3, which Multiboot describes as an EGA-text framebuffer.
  view.setUint32(Info.FRAMEBUFFER_ADDR, 0xb8000, true);
  view.setUint32(Info.FRAMEBUFFER_PITCH, 160, true);
  view.setUint32(Info.FRAMEBUFFER_WIDTH, 80, true);
  view.setUint32(Info.FRAMEBUFFER_HEIGHT, 25, true);
  page[Info.FRAMEBUFFER_BPP] = 16;
  page[Info.FRAMEBUFFER_TYPE] = FRAMEBUFFER_EGA_TEXT;
  return page;
}

/** a.out kludge: the file from the header's position back to load_addr is the image, up to load_end_addr. */
function aoutSegments(image: Uint8Array, h: MultibootHeader): { segments: Segment[]; entry: number } {
  if (h.offset + 32 > image.length) throw new Error('the Multiboot header is cut off before its address fields');
  if (h.headerAddr < h.loadAddr) throw new Error(`Multiboot header_addr ${hex(h.headerAddr)} is below load_addr ${hex(h.loadAddr)}`);
  const fileOffset = h.offset - (h.headerAddr - h.loadAddr);
  if (fileOffset < 0) throw new Error(`Multiboot load_addr ${hex(h.loadAddr)} lies before the start of the file`);
  const loadSize = h.loadEndAddr === 0 ? image.length - fileOffset : h.loadEndAddr - h.loadAddr;
  if (h.loadEndAddr !== 0 && h.loadEndAddr < h.loadAddr) throw new Error(`Multiboot load_end_addr ${hex(h.loadEndAddr)} is below load_addr ${hex(h.loadAddr)}`);
  if (fileOffset + loadSize > image.length) throw new Error(`Multiboot load_end_addr asks for ${loadSize} bytes from offset ${hex(fileOffset)}, past the end of the ${image.length}-byte file`);
  const loadEnd = h.loadAddr + loadSize;
  if (h.bssEndAddr !== 0 && h.bssEndAddr < loadEnd) throw new Error(`Multiboot bss_end_addr ${hex(h.bssEndAddr)} is below the end of the loaded image ${hex(loadEnd)}`);
  const memSize = (h.bssEndAddr || loadEnd) - h.loadAddr;
  return { segments: [{ address: h.loadAddr, data: image.subarray(fileOffset, fileOffset + loadSize), memSize }], entry: h.entryAddr };
}

const PT_LOAD = 1;

/** ELF32 little-endian i386 executable: every PT_LOAD segment at its physical address. */
function elfSegments(image: Uint8Array): { segments: Segment[]; entry: number } {
  if (image.length < 52 || image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c || image[3] !== 0x46) {
    throw new Error('the Multiboot header has no address fields (flag 16 clear) and the image is not ELF');
  }
  if (image[4] !== 1) throw new Error('the Multiboot kernel is a 64-bit ELF: co86 loads ELF32 (i386) only');
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (image[5] !== 1 || view.getUint16(18, true) !== 3) throw new Error('the Multiboot kernel is an ELF32 file, but not little-endian i386');
  if (view.getUint16(16, true) !== 2) throw new Error('the Multiboot kernel is not an ELF executable (e_type is not ET_EXEC)');
  const entry = view.getUint32(24, true);
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  if (phentsize < 32 || phoff + phnum * phentsize > image.length) throw new Error('the ELF program header table lies outside the file');
  const segments: Segment[] = [];
  const vaddrs: { vaddr: number; paddr: number; size: number }[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== PT_LOAD) continue;
    const offset = view.getUint32(ph + 4, true);
    const vaddr = view.getUint32(ph + 8, true);
    const paddr = view.getUint32(ph + 12, true);
    const fileSize = view.getUint32(ph + 16, true);
    const memSize = view.getUint32(ph + 20, true);
    if (memSize === 0) continue;
    if (fileSize > memSize) throw new Error(`ELF segment ${i} has more bytes in the file (${fileSize}) than in memory (${memSize})`);
    if (offset + fileSize > image.length) throw new Error(`ELF segment ${i} (${fileSize} bytes at offset ${hex(offset)}) runs past the end of the file`);
    segments.push({ address: paddr, data: image.subarray(offset, offset + fileSize), memSize });
    vaddrs.push({ vaddr, paddr, size: memSize });
  }
  // A higher-half kernel may give its entry as a virtual address: translate it when it falls in a
  // segment's virtual range and in no segment's physical one.
  const inPhysical = segments.some((s) => entry >= s.address && entry < s.address + s.memSize);
  const virtual = vaddrs.find((v) => entry >= v.vaddr && entry < v.vaddr + v.size);
  return { segments, entry: !inPhysical && virtual ? entry - virtual.vaddr + virtual.paddr : entry };
}
