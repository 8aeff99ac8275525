/**
 * Direct kernel boot, as QEMU's -kernel does it: recognise a Linux bzImage or a Multiboot (v1) image,
 * load it with its initrd and command line, and leave the CPU at a real-mode trampoline that enters the
 * kernel in 32-bit protected mode. The BIOS does not run on this path.
 */
import type { Machine } from '../machine.js';
import { isLinuxImage, loadLinux } from './linux.js';
import { findMultibootHeader, loadMultiboot } from './multiboot.js';
import { checkCpuReady } from './trampoline.js';
import type { KernelInfo, KernelOptions } from './types.js';

/**
 * Loads `opts.kernel` into `machine` and points its CPU at the kernel's entry. Call it on a machine in
 * real mode (fresh from construction or reset, or from a firmware service); the next `runSlice` starts
 * the kernel. Throws an Error saying what is wrong for anything it cannot boot.
 */
export function loadKernel(machine: Machine, opts: KernelOptions): KernelInfo {
  const image = opts.kernel;
  checkCpuReady(machine);
  if (isLinuxImage(image)) return loadLinux(machine, opts);
  const multiboot = findMultibootHeader(image);
  if (multiboot) return loadMultiboot(machine, opts, multiboot);
  throw new Error(`not a kernel co86 can boot (${image.length} bytes): not a Linux bzImage (no "HdrS" setup header at 0x202) and not a Multiboot image (no 0x1BADB002 header in the first 8 KiB)`);
}
