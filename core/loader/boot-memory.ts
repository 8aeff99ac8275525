/**
 * Where the direct kernel boot puts things in guest RAM, the memory map it reports to the kernel, and
 * the checked writes into RAM that every part of the loader uses.
 *
 * Low memory used by the loader (all of it inside usable RAM, below the EBDA at 9FC00h):
 *
 *   07000h-07FFFh  stack of the entry code (ESP = 8000h at the kernel's entry; nothing is written there)
 *   08000h-080FFh  trampoline: flat GDT, GDTR/IDTR images, real-mode → 32-bit entry code (trampoline.ts)
 *   90000h-90FFFh  Linux: the zero page (boot_params). Multiboot: multiboot_info, memory map, module
 *                  list, boot loader name
 *   91000h-97FFFh  Linux: the real-mode setup heap named by heap_end_ptr (the 32-bit path never uses it;
 *                  kept free so that the field tells the truth). Multiboot: unused
 *   98000h-9EFFFh  the kernel command line; for Multiboot also the module's string after it
 *
 * The kernel goes at 1 MiB and above (Linux: code32_start; Multiboot: wherever its headers say, checked
 * against the ranges above), the initrd at the top of RAM (Linux) or right after the kernel (Multiboot).
 */
import { Layout } from '../layout.js';
import { PageKind, type PhysicalMemory } from '../memory.js';

export const ENTRY_STACK_TOP = 0x8000;
export const TRAMPOLINE = 0x8000;
export const TRAMPOLINE_END = 0x9000;
export const BOOT_INFO = 0x90000;
export const BOOT_INFO_SIZE = 0x1000;
export const SETUP_HEAP_END = 0x98000;
export const CMDLINE = 0x98000;
export const CMDLINE_END = 0x9f000;
/** The ranges the loader itself uses below 1 MiB; a kernel or module must stay clear of them. */
export const LOADER_RANGES: readonly { start: number; end: number; what: string }[] = [
  { start: ENTRY_STACK_TOP - 0x1000, end: TRAMPOLINE_END, what: 'the loader\'s entry stack and trampoline' },
  { start: BOOT_INFO, end: CMDLINE_END, what: 'the loader\'s boot information and command line' },
];

/** Conventional memory ends where the EBDA begins (639 KiB), as a BIOS with a 1 KiB EBDA reports it. */
export const LOW_MEMORY_END = 0x9fc00;
export const HIGH_MEMORY = 0x100000;
const LEGACY_BIOS_AREA = 0xf0000;
export const PAGE = 0x1000;

export const E820_RAM = 1;
export const E820_RESERVED = 2;

export interface MemoryRegion {
  base: number;
  length: number;
  type: typeof E820_RAM | typeof E820_RESERVED;
}

/**
 * The E820 map of this machine: usable conventional memory, the EBDA, the BIOS ROM, usable extended
 * memory. The VGA window and the option-ROM space (A0000h up to the BIOS) are a hole, as on real boards.
 */
export function memoryMap(memory: PhysicalMemory): MemoryRegion[] {
  const biosStart = Math.min(LEGACY_BIOS_AREA, memory.biosRange().start);
  const map: MemoryRegion[] = [
    { base: 0, length: LOW_MEMORY_END, type: E820_RAM },
    { base: LOW_MEMORY_END, length: 0xa0000 - LOW_MEMORY_END, type: E820_RESERVED },
    { base: biosStart, length: HIGH_MEMORY - biosStart, type: E820_RESERVED },
  ];
  if (memory.ramSize > HIGH_MEMORY) map.push({ base: HIGH_MEMORY, length: memory.ramSize - HIGH_MEMORY, type: E820_RAM });
  return map;
}

/** True when [start, end) lies in RAM the kernel may be given: below RAM's end and outside A0000h-FFFFFh. */
export function isLoadableRam(memory: PhysicalMemory, start: number, end: number): boolean {
  if (start < 0 || end > memory.ramSize || end < start) return false;
  return end <= 0xa0000 || start >= HIGH_MEMORY;
}

/** Throws when [start, end) touches memory the loader uses for itself; `what` names the range. */
export function checkClearOfLoader(start: number, end: number, what: string): void {
  for (const r of LOADER_RANGES) {
    if (start < r.end && end > r.start) throw new Error(`${what} overlaps ${r.what} (${hex(r.start)}-${hex(r.end - 1)})`);
  }
}

/**
 * Copies bytes into guest RAM. The whole range must be RAM (not ROM, MMIO or beyond the end): the loader
 * is the firmware here, and a kernel image written into a hole would be silently lost.
 */
export function writeRam(memory: PhysicalMemory, addr: number, bytes: Uint8Array): void {
  checkRam(memory, addr, bytes.length);
  memory.u8.set(bytes, Layout.RAM + addr);
}

/** Zeroes [addr, addr + length) of guest RAM (a kernel's BSS, fresh tables). */
export function zeroRam(memory: PhysicalMemory, addr: number, length: number): void {
  checkRam(memory, addr, length);
  memory.u8.fill(0, Layout.RAM + addr, Layout.RAM + addr + length);
}

function checkRam(memory: PhysicalMemory, addr: number, length: number): void {
  if (length === 0) return;
  if (addr < 0 || addr + length > memory.ramSize) {
    throw new Error(`cannot write ${length} bytes at ${hex(addr)}: RAM ends at ${hex(memory.ramSize)}`);
  }
  for (let page = Math.floor(addr / PAGE); page <= Math.floor((addr + length - 1) / PAGE); page++) {
    if (memory.pageKind[page] !== PageKind.Ram) throw new Error(`cannot write ${length} bytes at ${hex(addr)}: ${hex(page * PAGE)} is not RAM`);
  }
}

/** A command line as the bytes the kernel will see (UTF-8), checked for an embedded NUL. */
export function commandLineBytes(cmdline: string, what = 'command line'): Uint8Array {
  if (cmdline.includes('\0')) throw new Error(`the ${what} contains a NUL character`);
  return new TextEncoder().encode(cmdline);
}

/** `bytes` followed by a NUL, written at `addr`; returns the address after the NUL. */
export function writeCString(memory: PhysicalMemory, addr: number, bytes: Uint8Array): number {
  const withNul = new Uint8Array(bytes.length + 1);
  withNul.set(bytes);
  writeRam(memory, addr, withNul);
  return addr + withNul.length;
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

export function alignDown(value: number, alignment: number): number {
  return Math.floor(value / alignment) * alignment;
}

export function hex(n: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(5, '0');
}

/** Bytes as MiB with up to two decimals: '32 MiB', '32.05 MiB'. */
export function mib(bytes: number): string {
  return `${parseFloat((bytes / (1024 * 1024)).toFixed(2))} MiB`;
}
