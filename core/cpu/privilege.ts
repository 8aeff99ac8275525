/**
 * Privilege checks shared by the instruction templates (Intel SDM Vol. 1 §18.2, Vol. 3 §2.8, §20.2):
 * CPL-0-only instructions, IOPL-sensitive ones, and the I/O permission bitmap of the 32-bit TSS.
 */
import { MODE_PROTECTED, MODE_REAL, MODE_V86, SEG_TR, SYS_TSS32_AVAIL, SYS_TSS32_BUSY, VEC_GP } from './arch.js';
import type { CpuBase } from './cpu-base.js';
import { EFLAGS_INDEX, IOPL } from './flags.js';
import { sysRead16 } from './paging.js';

export function iopl(c: CpuBase): number {
  return (c.st[EFLAGS_INDEX] & IOPL) >>> 12;
}

/** #GP(0) unless CPL is 0 (privileged instructions; in virtual-8086 mode CPL is 3, so they fault there too). */
export function requireCpl0(c: CpuBase): void {
  if (c.cpl !== 0) c.raise(VEC_GP);
}

/** CLI, STI and friends in protected mode: #GP(0) when CPL > IOPL. In virtual-8086 mode: IOPL < 3. */
export function requireIopl(c: CpuBase): void {
  if (c.mode !== MODE_REAL && c.cpl > iopl(c)) c.raise(VEC_GP);
}

/** Virtual-8086 mode with IOPL < 3: PUSHF, POPF, INT n and IRET go to the monitor (#GP(0)). */
export function requireV86Iopl(c: CpuBase): void {
  if (c.mode === MODE_V86 && iopl(c) < 3) c.raise(VEC_GP);
}

/**
 * IN, OUT, INS, OUTS: in protected mode with CPL > IOPL, and always in virtual-8086 mode, every port
 * the access touches must have its bit clear in the TSS's I/O permission bitmap (#GP(0) otherwise, or
 * when the TSS is 16-bit or too short to hold the bits).
 */
export function checkIoPermission(c: CpuBase, port: number, bytes: number): void {
  if (c.mode === MODE_REAL || (c.mode === MODE_PROTECTED && c.cpl <= iopl(c))) return;
  const type = (c.rights[SEG_TR] >>> 8) & 0x1f;
  const limit = c.limits[SEG_TR];
  if ((type !== SYS_TSS32_AVAIL && type !== SYS_TSS32_BUSY) || limit < 0x67) c.raise(VEC_GP);
  const base = c.bases[SEG_TR];
  const byte = sysRead16(c, (base + 0x66) >>> 0) + (port >>> 3);
  if (byte + 1 > limit) c.raise(VEC_GP);
  const bits = sysRead16(c, (base + byte) >>> 0);
  if (bits & (((1 << bytes) - 1) << (port & 7))) c.raise(VEC_GP);
}

/** True in virtual-8086 mode (CPL 3, real-mode addressing). */
export function inV86(c: CpuBase): boolean {
  return c.mode === MODE_V86;
}
