/**
 * Debug registers (Intel SDM Vol. 3 ch. 17): DR0-DR3 breakpoint addresses, DR6 status, DR7 control.
 * Instruction breakpoints are checked by the run loop (cpu.ts) before each instruction while any is
 * enabled; data breakpoints keep their pages off the TLB fast path, so each access to such a page comes
 * through paging.ts, which calls checkDataBreakpoint; the #DB is a trap after the instruction. Nothing of
 * this costs anything while DR7 enables no breakpoint.
 */
import type { CpuBase } from './cpu-base.js';
import { CR4_DE, S_CR4, S_DR0, S_DR6, S_DR7 } from './arch.js';

/** DR6 bits: B0-B3 (breakpoint i matched), BD (debug-register access detected), BS (single step), BT (task switch). */
export const DR6_BD = 1 << 13;
export const DR6_BS = 1 << 14;
export const DR6_BT = 1 << 15;
/** DR7.GD: MOV to or from a debug register raises #DB first. */
export const DR7_GD = 1 << 13;

const RW_EXEC = 0;
const RW_WRITE = 1;
const RW_IO = 2;

/** Breakpoint i's R/W field (DR7 bits 16+4i) and its length in bytes (LEN at 18+4i: 1, 2, 8 (undefined on P6: 8), 4). */
function rwOf(dr7: number, i: number): number {
  return (dr7 >>> (16 + 4 * i)) & 3;
}

const LENGTHS = new Uint8Array([1, 2, 8, 4]);

function lengthOf(dr7: number, i: number): number {
  return LENGTHS[(dr7 >>> (18 + 4 * i)) & 3];
}

function enabled(dr7: number, i: number): boolean {
  return ((dr7 >>> (2 * i)) & 3) !== 0;
}

/** After DR0-DR3, DR7 or CR4.DE changed: recounts the breakpoints; the TLB is flushed when data breakpoints change. */
export function updateBreakpoints(c: CpuBase, flush: () => void): void {
  const dr7 = c.st[S_DR7];
  let code = 0;
  let data = 0;
  let io = 0;
  for (let i = 0; i < 4; i++) {
    if (!enabled(dr7, i)) continue;
    const rw = rwOf(dr7, i);
    if (rw === RW_EXEC) code++;
    else if (rw === RW_IO) io++;
    else data++;
  }
  const hadData = c.dataBreakpoints;
  c.codeBreakpoints = code;
  c.dataBreakpoints = data;
  c.ioBreakpoints = io;
  if (data !== 0 || hadData !== 0) flush();
  c.updateAttention();
}

/** An access that took the slow path: record which data breakpoints it matched (the #DB follows the instruction). */
export function checkDataBreakpoint(c: CpuBase, lin: number, size: number, write: boolean): void {
  const dr7 = c.st[S_DR7];
  for (let i = 0; i < 4; i++) {
    if (!enabled(dr7, i)) continue;
    const rw = rwOf(dr7, i);
    if (rw === RW_EXEC || rw === RW_IO || (rw === RW_WRITE && !write)) continue;
    const len = lengthOf(dr7, i);
    const start = (c.st[S_DR0 + i] >>> 0) & ~(len - 1);
    if (lin < start + len && lin + size > start) {
      c.pendingDebug |= 1 << i;
      c.attention = 1;
    }
  }
}

/** True when an enabled data breakpoint covers part of the 4 KiB linear page. */
export function breakpointInPage(c: CpuBase, page: number): boolean {
  const dr7 = c.st[S_DR7];
  for (let i = 0; i < 4; i++) {
    if (!enabled(dr7, i)) continue;
    const rw = rwOf(dr7, i);
    if (rw === RW_EXEC || rw === RW_IO) continue;
    const len = lengthOf(dr7, i);
    const start = (c.st[S_DR0 + i] >>> 0) & ~(len - 1);
    if (start >>> 12 === page || (start + len - 1) >>> 12 === page) return true;
  }
  return false;
}

/** B0-B3 bits of the instruction breakpoints at linear address `lin` (0: none). */
export function codeBreakpointHits(c: CpuBase, lin: number): number {
  const dr7 = c.st[S_DR7];
  let hits = 0;
  for (let i = 0; i < 4; i++) {
    if (enabled(dr7, i) && rwOf(dr7, i) === RW_EXEC && c.st[S_DR0 + i] >>> 0 === lin) hits |= 1 << i;
  }
  return hits;
}

/** I/O breakpoints (R/W = 10b, with CR4.DE) matched by an access to `port`; the hits join pendingDebug. */
export function checkIoBreakpoint(c: CpuBase, port: number, size: number): void {
  if ((c.st[S_CR4] & CR4_DE) === 0) return;
  const dr7 = c.st[S_DR7];
  for (let i = 0; i < 4; i++) {
    if (!enabled(dr7, i) || rwOf(dr7, i) !== RW_IO) continue;
    const len = lengthOf(dr7, i);
    const start = (c.st[S_DR0 + i] & 0xffff) & ~(len - 1);
    if (port < start + len && port + size > start) {
      c.pendingDebug |= 1 << i;
      c.attention = 1;
    }
  }
}

/** Sets DR6 bits for a #DB being raised (B0-B3 of this event replace the old ones; BD BS BT accumulate). */
export function reportDebug(c: CpuBase, bits: number): void {
  c.st[S_DR6] = (c.st[S_DR6] & ~0xf) | bits;
}
