import type { BootSource, DiskDrive } from '../emulator/messages.js';

/** How a chosen file is booted. The user can override the guess. */
export type FileKind = DiskDrive | 'kernel';

export const KIND_LABELS: Record<FileKind, string> = {
  floppy: 'floppy disk (A:)',
  hdd: 'hard disk (C:)',
  cdrom: 'CD-ROM',
  kernel: 'Linux / Multiboot kernel',
};

const FLOPPY_SIZES = new Set([163_840, 184_320, 327_680, 368_640, 737_280, 1_228_800, 1_474_560, 1_720_320, 2_949_120]);

/** A first guess from the name and size: .iso is a CD, floppy sizes are floppies, kernel-like names kernels. */
export function guessKind(name: string, size: number): FileKind {
  const lower = name.toLowerCase();
  if (lower.endsWith('.iso')) return 'cdrom';
  if (/(^|\/)(vmlinu[xz]|bzimage)|\.(bzimage|elf|krn)$/.test(lower) || lower.startsWith('vmlinuz')) return 'kernel';
  if (FLOPPY_SIZES.has(size) || /\.(ima|flp|vfd)$/.test(lower)) return 'floppy';
  return 'hdd';
}

/** The BootSource for a chosen file (and an optional initrd and command line, for kernels). */
export function fileSource(file: File, kind: FileKind, initrd: File | undefined, cmdline: string, fresh = false): BootSource {
  if (kind === 'kernel') return { kind: 'kernel', kernel: file, initrd, cmdline, name: file.name };
  return { kind: 'disk', drive: kind, image: file, name: file.name, fresh };
}

/** The BootSource for an image URL; relative URLs are taken relative to the page. */
export function urlSource(url: string, kind: DiskDrive, base: string, fresh = false): BootSource {
  const absolute = new URL(url.trim(), base).href;
  return { kind: 'disk', drive: kind, image: absolute, name: absolute, fresh };
}

export const MEMORY_SIZES_MB = [16, 32, 64, 128, 256, 512] as const;
export const DEFAULT_MEMORY_MB = 128;
