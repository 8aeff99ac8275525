/** What loadKernel takes and what it reports (for the CLI's log line and for tests). */

export interface KernelOptions {
  /** A Linux bzImage or a Multiboot (v1) image. */
  kernel: Uint8Array;
  /** Linux: the initrd/initramfs. Multiboot: the one module. */
  initrd?: Uint8Array;
  /** The kernel command line (no NUL inside). */
  cmdline?: string;
  /** Multiboot only: the kernel's file name, put before the command line as GRUB and QEMU do. */
  kernelName?: string;
  /** Multiboot only: the module's string (GRUB puts the module's path and arguments there); default "initrd". */
  initrdName?: string;
}

export interface KernelInfo {
  kind: 'linux' | 'multiboot';
  /** 'Linux boot protocol 2.15', 'Multiboot 1 (ELF)', 'Multiboot 1 (a.out kludge)'. */
  protocol: string;
  /** Linux: the kernel's version string from its setup header, when it has one. */
  version?: string;
  /** Where the 32-bit entry code jumps to. */
  entry: number;
  /** The loaded image: [start, end) of what was copied, plus BSS for Multiboot. */
  image: { start: number; end: number };
  /** Linux: the RAM the kernel claims at run time (decompression included), [start, end). */
  footprint: { start: number; end: number };
  /** The zero page (Linux) or the multiboot_info (Multiboot). */
  bootInfo: number;
  cmdline: { address: number; length: number };
  initrd?: { address: number; size: number };
  /** The real-mode entry code the CPU starts at (CS = 0, IP = this). */
  trampoline: number;
}

/** One line for a log: `Linux boot protocol 2.15 (6.1.0 ...) entry 0x100000, initrd 4.0 MiB at 0xFC00000`. */
export function describeKernel(info: KernelInfo): string {
  const hex = (n: number) => '0x' + n.toString(16).toUpperCase();
  const parts = [info.protocol + (info.version ? ` (${info.version})` : ''), `image ${hex(info.image.start)}-${hex(info.image.end - 1)}`, `entry ${hex(info.entry)}`];
  if (info.initrd) parts.push(`initrd ${info.initrd.size} bytes at ${hex(info.initrd.address)}`);
  if (info.cmdline.length) parts.push(`cmdline ${info.cmdline.length} bytes`);
  return parts.join(', ');
}
