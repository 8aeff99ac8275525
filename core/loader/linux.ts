/**
 * The Linux/x86 boot protocol, 32-bit entry (Documentation/arch/x86/boot.rst, zero-page.rst): the
 * protected-mode kernel goes to code32_start, the setup header is copied into a zero page (boot_params)
 * that we complete as the kernel's real-mode setup code would have (screen, E820 map, memory sizes), and
 * the CPU enters at code32_start in flat 32-bit protected mode with ESI pointing at the zero page.
 */
import type { Machine } from '../machine.js';
import {
  BOOT_INFO, BOOT_INFO_SIZE, CMDLINE, CMDLINE_END, HIGH_MEMORY, PAGE, SETUP_HEAP_END, alignDown, alignUp, commandLineBytes, hex, memoryMap,
  mib, writeCString, writeRam,
} from './boot-memory.js';
import { buildTrampoline, enterTrampoline } from './trampoline.js';
import type { KernelInfo, KernelOptions } from './types.js';

/** "HdrS" at 202h. */
export const LINUX_MAGIC = 0x53726448;

/** Setup header fields (offsets in the image and in the zero page alike). */
export const Hdr = {
  SETUP_SECTS: 0x1f1,
  BOOT_FLAG: 0x1fe,
  JUMP: 0x200,
  HEADER: 0x202,
  VERSION: 0x206,
  KERNEL_VERSION: 0x20e,
  TYPE_OF_LOADER: 0x210,
  LOADFLAGS: 0x211,
  CODE32_START: 0x214,
  RAMDISK_IMAGE: 0x218,
  RAMDISK_SIZE: 0x21c,
  HEAP_END_PTR: 0x224,
  CMD_LINE_PTR: 0x228,
  INITRD_ADDR_MAX: 0x22c,
  KERNEL_ALIGNMENT: 0x230,
  RELOCATABLE_KERNEL: 0x234,
  XLOADFLAGS: 0x236,
  CMDLINE_SIZE: 0x238,
  PREF_ADDRESS: 0x258,
  INIT_SIZE: 0x260,
} as const;

/** boot_params fields outside the setup header. */
export const ZeroPage = {
  SCREEN_INFO: 0x000,
  ALT_MEM_K: 0x1e0,
  E820_ENTRIES: 0x1e8,
  SENTINEL: 0x1ef,
  /** edd_mbr_sig_buffer: where a (hostile) header copy must stop. */
  HEADER_LIMIT: 0x290,
  E820_TABLE: 0x2d0,
  E820_MAX: 128,
} as const;

/** struct screen_info offsets. */
export const Screen = {
  ORIG_X: 0x00,
  ORIG_Y: 0x01,
  EXT_MEM_K: 0x02,
  ORIG_VIDEO_PAGE: 0x04,
  ORIG_VIDEO_MODE: 0x06,
  ORIG_VIDEO_COLS: 0x07,
  ORIG_VIDEO_EGA_BX: 0x0a,
  ORIG_VIDEO_LINES: 0x0e,
  ORIG_VIDEO_IS_VGA: 0x0f,
  ORIG_VIDEO_POINTS: 0x10,
} as const;

export const LOADED_HIGH = 0x01;
export const KEEP_SEGMENTS = 0x40;
export const CAN_USE_HEAP = 0x80;
const XLF_KERNEL_64 = 0x01;
/** type_of_loader for a loader without an assigned ID. */
export const LOADER_UNDEFINED = 0xff;
/** Before protocol 2.03 initrd_addr_max is absent and this is the limit. */
const OLD_INITRD_ADDR_MAX = 0x37ffffff;
/** Before protocol 2.06 cmdline_size is absent and this is the limit. */
const OLD_CMDLINE_SIZE = 255;

export interface LinuxHeader {
  /** Protocol version as major << 8 | minor. */
  version: number;
  setupSize: number;
  loadflags: number;
  code32Start: number;
  initrdAddrMax: number;
  cmdlineSize: number;
  /** The RAM the kernel claims from its load address on, decompression included ([start, end)). */
  footprint: { start: number; end: number };
  /** End of the setup header in the image (0x202 + the jump's displacement byte). */
  headerEnd: number;
  kernelVersion?: string;
}

export function isLinuxImage(image: Uint8Array): boolean {
  return image.length >= Hdr.HEADER + 4 && u32(image, Hdr.HEADER) === LINUX_MAGIC;
}

export function protocolName(version: number): string {
  return `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`;
}

/** Reads and checks the setup header; throws for what this loader cannot boot, saying why. */
export function parseLinuxHeader(image: Uint8Array): LinuxHeader {
  if (!isLinuxImage(image)) throw new Error('not a Linux kernel: no "HdrS" setup header at 0x202');
  const version = u16(image, Hdr.VERSION);
  if (version < 0x202) throw new Error(`Linux boot protocol ${protocolName(version)} is too old: co86 needs 2.02 or later (kernel 2.4 and newer)`);
  const loadflags = image[Hdr.LOADFLAGS];
  if (!(loadflags & LOADED_HIGH)) throw new Error('this is a zImage (loaded below 1 MiB): co86 boots only bzImage kernels');
  if (version >= 0x20c && u16(image, Hdr.XLOADFLAGS) & XLF_KERNEL_64) {
    throw new Error('this is an x86-64 kernel: co86 emulates a 32-bit CPU without long mode; use an i386 kernel');
  }
  const setupSize = ((image[Hdr.SETUP_SECTS] || 4) + 1) * 512;
  if (image.length <= setupSize) throw new Error(`truncated bzImage: ${image.length} bytes, but the setup code alone is ${setupSize}`);
  const code32Start = u32(image, Hdr.CODE32_START);
  if (code32Start < HIGH_MEMORY) throw new Error(`code32_start ${hex(code32Start)} is below 1 MiB: not a bzImage co86 can load`);
  const kernelSize = image.length - setupSize;
  let end = code32Start + kernelSize;
  if (version >= 0x20a) {
    // The decompressor runs at pref_address (a non-relocatable kernel always; a relocatable one when loaded
    // below it, as here) or at the load address rounded up to kernel_alignment, and needs init_size there.
    if (u32(image, Hdr.PREF_ADDRESS + 4) !== 0) throw new Error('pref_address is above 4 GiB: not a 32-bit kernel');
    const pref = u32(image, Hdr.PREF_ADDRESS);
    const alignment = u32(image, Hdr.KERNEL_ALIGNMENT) || 1;
    const relocatable = image[Hdr.RELOCATABLE_KERNEL] !== 0;
    const runAt = relocatable ? Math.max(alignUp(code32Start, alignment), pref) : pref || code32Start;
    end = Math.max(end, runAt + u32(image, Hdr.INIT_SIZE));
  }
  return {
    version,
    setupSize,
    loadflags,
    code32Start,
    initrdAddrMax: version >= 0x203 ? u32(image, Hdr.INITRD_ADDR_MAX) : OLD_INITRD_ADDR_MAX,
    cmdlineSize: version >= 0x206 ? u32(image, Hdr.CMDLINE_SIZE) : OLD_CMDLINE_SIZE,
    footprint: { start: code32Start, end },
    headerEnd: Math.min(Hdr.JUMP + 2 + image[Hdr.JUMP + 1], ZeroPage.HEADER_LIMIT),
    kernelVersion: kernelVersionString(image, setupSize),
  };
}

/** Loads a bzImage, its initrd and command line, builds the zero page and points the CPU at the 32-bit entry. */
export function loadLinux(machine: Machine, opts: KernelOptions): KernelInfo {
  const image = opts.kernel;
  const hdr = parseLinuxHeader(image);
  const memory = machine.memory;
  const ramSize = memory.ramSize;
  if (hdr.footprint.end > ramSize) {
    throw new Error(
      `the kernel needs RAM up to ${hex(hdr.footprint.end)} (${mib(hdr.footprint.end)}, decompression included); the machine has ${mib(ramSize)}: ` +
        `give it at least ${Math.ceil(hdr.footprint.end / (1024 * 1024))} MiB`,
    );
  }

  const cmdline = commandLineBytes(opts.cmdline ?? '');
  const cmdlineMax = Math.min(hdr.cmdlineSize, CMDLINE_END - CMDLINE - 1);
  if (cmdline.length > cmdlineMax) throw new Error(`the command line is ${cmdline.length} bytes; this kernel accepts at most ${cmdlineMax}`);

  const initrd = opts.initrd && opts.initrd.length > 0 ? opts.initrd : undefined;
  const initrdAddress = initrd ? placeInitrd(initrd.length, hdr, ramSize) : 0;

  writeRam(memory, hdr.code32Start, image.subarray(hdr.setupSize));
  writeRam(memory, BOOT_INFO, buildZeroPage(machine, image, hdr, initrdAddress, initrd?.length ?? 0));
  writeCString(memory, CMDLINE, cmdline);
  if (initrd) writeRam(memory, initrdAddress, initrd);

  const trampoline = buildTrampoline(hdr.code32Start, { esi: BOOT_INFO });
  enterTrampoline(machine, trampoline);
  return {
    kind: 'linux',
    protocol: `Linux boot protocol ${protocolName(hdr.version)}`,
    version: hdr.kernelVersion,
    entry: hdr.code32Start,
    image: { start: hdr.code32Start, end: hdr.code32Start + image.length - hdr.setupSize },
    footprint: hdr.footprint,
    bootInfo: BOOT_INFO,
    cmdline: { address: CMDLINE, length: cmdline.length },
    initrd: initrd ? { address: initrdAddress, size: initrd.length } : undefined,
    trampoline: trampoline.start,
  };
}

/**
 * The initrd goes as high as the kernel allows: its last byte at or below initrd_addr_max and below the
 * end of RAM, its start page-aligned, and clear of the kernel's run-time footprint.
 */
export function placeInitrd(size: number, hdr: LinuxHeader, ramSize: number): number {
  const top = Math.min(hdr.initrdAddrMax + 1, ramSize);
  const lowest = alignUp(hdr.footprint.end, PAGE);
  const address = alignDown(top - size, PAGE);
  if (address < lowest) {
    const room = Math.max(0, top - lowest);
    throw new Error(
      `the initrd (${size} bytes, ${mib(size)}) does not fit: it must lie between the kernel's end ${hex(lowest)} and ${hex(top)} ` +
        `(the lower of RAM's end and the kernel's initrd_addr_max + 1), which leaves ${room} bytes (${mib(room)})`,
    );
  }
  return address;
}

/** boot_params as the kernel's real-mode setup code would leave it, with our loader's fields filled in. */
export function buildZeroPage(machine: Machine, image: Uint8Array, hdr: LinuxHeader, initrdAddress: number, initrdSize: number): Uint8Array {
  const page = new Uint8Array(BOOT_INFO_SIZE);
  const view = new DataView(page.buffer);
  page.set(image.subarray(Hdr.SETUP_SECTS, hdr.headerEnd), Hdr.SETUP_SECTS);

  page[Hdr.TYPE_OF_LOADER] = LOADER_UNDEFINED;
  // The heap flag and pointer describe the setup area below the command line (boot-memory.ts); the
  // 32-bit path never runs setup. KEEP_SEGMENTS stays clear: our GDT has the __BOOT_CS/__BOOT_DS the
  // kernel may reload, and kernels since 5.x ignore the flag anyway.
  page[Hdr.LOADFLAGS] = (hdr.loadflags | CAN_USE_HEAP) & ~KEEP_SEGMENTS;
  view.setUint16(Hdr.HEAP_END_PTR, SETUP_HEAP_END - BOOT_INFO - 0x200, true);
  view.setUint32(Hdr.CMD_LINE_PTR, CMDLINE, true);
  view.setUint32(Hdr.RAMDISK_IMAGE, initrdAddress, true);
  view.setUint32(Hdr.RAMDISK_SIZE, initrdSize, true);

  const extendedKb = Math.max(0, (machine.memory.ramSize - HIGH_MEMORY) / 1024);
  // An 80x25 colour VGA text console, cursor home; BX of INT 10h AH=12h BL=10h is 0003h (colour, 256 KiB).
  const s = ZeroPage.SCREEN_INFO;
  view.setUint16(s + Screen.EXT_MEM_K, Math.min(0xffff, extendedKb), true);
  page[s + Screen.ORIG_VIDEO_MODE] = 3;
  page[s + Screen.ORIG_VIDEO_COLS] = 80;
  view.setUint16(s + Screen.ORIG_VIDEO_EGA_BX, 0x0003, true);
  page[s + Screen.ORIG_VIDEO_LINES] = 25;
  page[s + Screen.ORIG_VIDEO_IS_VGA] = 1;
  view.setUint16(s + Screen.ORIG_VIDEO_POINTS, 16, true);

  view.setUint32(ZeroPage.ALT_MEM_K, extendedKb, true);
  const map = memoryMap(machine.memory);
  page[ZeroPage.E820_ENTRIES] = map.length;
  map.forEach((region, i) => {
    const at = ZeroPage.E820_TABLE + i * 20;
    view.setUint32(at, region.base, true);
    view.setUint32(at + 8, region.length, true);
    view.setUint32(at + 16, region.type, true);
  });
  return page;
}

/** kernel_version points (minus 200h) at a NUL-terminated string inside the setup code. */
function kernelVersionString(image: Uint8Array, setupSize: number): string | undefined {
  const offset = u16(image, Hdr.KERNEL_VERSION);
  if (offset === 0) return undefined;
  const start = offset + 0x200;
  let text = '';
  for (let i = start; i < Math.min(setupSize, start + 256) && image[i] !== 0; i++) {
    const c = image[i];
    if (c < 0x20 || c > 0x7e) return text || undefined;
    text += String.fromCharCode(c);
  }
  return text || undefined;
}

function u16(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8);
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}
