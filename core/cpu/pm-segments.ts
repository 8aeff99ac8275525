/**
 * Protected-mode segmentation (Intel SDM Vol. 3 ch. 3 and 5): descriptors from the GDT and LDT, the
 * checks of a data or stack segment load (null selectors, type, DPL/RPL/CPL, present), and the
 * instructions that work on descriptors and selectors: LLDT SLDT LTR STR LAR LSL VERR VERW ARPL.
 *
 * Error codes name the selector (index, TI; RPL dropped); faults come before anything changes.
 */
import {
  DATA_SEGMENTS, DESC_ACCESSED, DESC_CE, DESC_CODE, DESC_DPL_SHIFT, DESC_G, DESC_P, DESC_RIGHTS_MASK, DESC_RW, DESC_S, MODE_PROTECTED,
  S_GDTR_BASE, S_GDTR_LIMIT, SEG_LDTR, SEG_SS, SEG_TR, SYS_LDT, SYS_TSS16_AVAIL, SYS_TSS32_AVAIL, VEC_GP, VEC_NP, VEC_SS,
  VEC_UD,
} from './arch.js';
import type { CpuBase } from './cpu-base.js';
import { setEager, ZF } from './flags.js';
import { getReg, readE, regField, setReg, spec, type SpecFactory, writeE } from './operands.js';
import { requireCpl0 } from './privilege.js';
import { sysRead32, sysWrite8 } from './paging.js';

// ------------------------------------------------------------------ descriptors

/**
 * Reads the descriptor `selector` names into c.descLo/c.descHi (c.descAddr: its linear address). False
 * when its index lies beyond the table's limit (or it names the LDT while the LDT register is null).
 */
export function fetchDescriptor(c: CpuBase, selector: number): boolean {
  let base: number;
  let limit: number;
  if (selector & 4) {
    if ((c.rights[SEG_LDTR] & DESC_P) === 0) return false;
    base = c.bases[SEG_LDTR];
    limit = c.limits[SEG_LDTR];
  } else {
    base = c.st[S_GDTR_BASE];
    limit = c.st[S_GDTR_LIMIT] >>> 0;
  }
  const index = selector & 0xfff8;
  if (index + 7 > limit) return false;
  const lin = (base + index) >>> 0;
  c.descLo = sysRead32(c, lin);
  c.descHi = sysRead32(c, (lin + 4) >>> 0);
  c.descAddr = lin;
  return true;
}

export function descriptorBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
}

/** The limit in bytes (granularity applied). */
export function descriptorLimit(lo: number, hi: number): number {
  const limit = (lo & 0xffff) | (hi & 0xf0000);
  return hi & DESC_G ? ((limit << 12) | 0xfff) >>> 0 : limit;
}

export function dplOf(hi: number): number {
  return (hi >>> DESC_DPL_SHIFT) & 3;
}

/** Type field with S (bits 8-12): 0-15 system types, 16-31 code and data. */
export function typeOf(hi: number): number {
  return (hi >>> 8) & 0x1f;
}

/** Sets the descriptor's accessed bit in memory (the processor does, on a segment load). */
export function markAccessed(c: CpuBase): void {
  if ((c.descHi & DESC_ACCESSED) === 0) {
    c.descHi |= DESC_ACCESSED;
    sysWrite8(c, (c.descAddr + 5) >>> 0, (c.descHi >>> 8) & 0xff);
  }
}

/** Loads segment register `seg` from the descriptor in c.descLo/c.descHi. */
export function loadCache(c: CpuBase, seg: number, selector: number): void {
  const lo = c.descLo;
  const hi = c.descHi;
  c.setSegCache(seg, selector, descriptorBase(lo, hi), descriptorLimit(lo, hi), hi & DESC_RIGHTS_MASK);
}

/** Fetches a selector's descriptor or raises `vector` with the selector as error code. */
export function fetchOrFault(c: CpuBase, selector: number, vector: number, ext = 0): void {
  if (!fetchDescriptor(c, selector)) c.raiseCode(vector, (selector & 0xfffc) | ext);
}

// ------------------------------------------------------------------ data and stack segment loads

/**
 * MOV/POP/LxS into DS ES FS GS SS in protected mode (CS is loaded by far transfers, pm-gates.ts). DS-GS
 * accept a null selector (any later access through it is #GP(0)); SS needs a writable data segment at
 * CPL. The caller updates the derived state (cpu-base.ts segmentLoaded).
 */
export function loadSegProtected(c: CpuBase, seg: number, selector: number): void {
  const rpl = selector & 3;
  const cpl = c.cpl;
  if ((selector & 0xfffc) === 0) {
    if (seg === SEG_SS) c.raiseCode(VEC_GP, 0);
    c.setSegCache(seg, selector, 0, 0, 0);
    return;
  }
  fetchOrFault(c, selector, VEC_GP);
  const hi = c.descHi;
  const dpl = dplOf(hi);
  const code = selector & 0xfffc;
  if (seg === SEG_SS) {
    if (rpl !== cpl || dpl !== cpl || (hi & (DESC_S | DESC_CODE | DESC_RW)) !== (DESC_S | DESC_RW)) c.raiseCode(VEC_GP, code);
    if ((hi & DESC_P) === 0) c.raiseCode(VEC_SS, code);
  } else {
    if ((hi & DESC_S) === 0 || (hi & (DESC_CODE | DESC_RW)) === DESC_CODE) c.raiseCode(VEC_GP, code);
    const conformingCode = (hi & (DESC_CODE | DESC_CE)) === (DESC_CODE | DESC_CE);
    if (!conformingCode && (dpl < cpl || dpl < rpl)) c.raiseCode(VEC_GP, code);
    if ((hi & DESC_P) === 0) c.raiseCode(VEC_NP, code);
  }
  markAccessed(c);
  loadCache(c, seg, selector);
}

/**
 * After a return to an outer ring (RETF, IRET): DS ES FS GS that the new CPL may not use (data or
 * non-conforming code with DPL < CPL) become null.
 */
export function invalidateOuterSegments(c: CpuBase): void {
  for (const seg of DATA_SEGMENTS) {
    const r = c.rights[seg];
    if ((r & DESC_P) === 0) continue;
    const conformingCode = (r & (DESC_CODE | DESC_CE)) === (DESC_CODE | DESC_CE);
    if (!conformingCode && dplOf(r) < c.cpl) c.setSegCache(seg, 0, 0, 0, 0);
  }
}

// ------------------------------------------------------------------ instructions

/** #UD outside protected mode (the "pm" rows of isa.ts: real and virtual-8086 mode do not have them). */
function requireProtected(c: CpuBase): void {
  if (c.mode !== MODE_PROTECTED) c.raise(VEC_UD);
}

/** SLDT / STR: the selector; a register destination takes it zero-extended to the operand size. */
export function storeSystemSelector(c: CpuBase, seg: number, o32: number): void {
  requireProtected(c);
  if (c.modrm >= 0xc0) setReg(c, o32 ? 32 : 16, c.modrm & 7, c.selectors[seg]);
  else writeE(c, 16, c.selectors[seg]);
}

/** LLDT r/m16: a GDT selector of an LDT descriptor, or null (no LDT). */
export function lldt(c: CpuBase): void {
  requireProtected(c);
  requireCpl0(c);
  const selector = readE(c, 16);
  if ((selector & 0xfffc) === 0) {
    c.setSegCache(SEG_LDTR, selector, 0, 0, 0);
    return;
  }
  const code = selector & 0xfffc;
  if (selector & 4) c.raiseCode(VEC_GP, code);
  fetchOrFault(c, selector, VEC_GP);
  if (typeOf(c.descHi) !== SYS_LDT) c.raiseCode(VEC_GP, code);
  if ((c.descHi & DESC_P) === 0) c.raiseCode(VEC_NP, code);
  loadCache(c, SEG_LDTR, selector);
}

/** LTR r/m16: an available TSS in the GDT, which becomes busy. */
export function ltr(c: CpuBase): void {
  requireProtected(c);
  requireCpl0(c);
  const selector = readE(c, 16);
  const code = selector & 0xfffc;
  if (code === 0) c.raiseCode(VEC_GP, 0);
  if (selector & 4) c.raiseCode(VEC_GP, code);
  fetchOrFault(c, selector, VEC_GP);
  const type = typeOf(c.descHi);
  if (type !== SYS_TSS16_AVAIL && type !== SYS_TSS32_AVAIL) c.raiseCode(VEC_GP, code);
  if ((c.descHi & DESC_P) === 0) c.raiseCode(VEC_NP, code);
  c.descHi |= 0x200; // busy
  sysWrite8(c, (c.descAddr + 5) >>> 0, (c.descHi >>> 8) & 0xff);
  loadCache(c, SEG_TR, selector);
}

/** System types LAR accepts (TSSs, LDT, call and task gates); LSL takes the ones with a limit. */
const LAR_SYSTEM = new Set([1, 2, 3, 4, 5, 9, 11, 12]);
const LSL_SYSTEM = new Set([1, 2, 3, 9, 11]);

/**
 * The checks LAR, LSL, VERR and VERW share: the descriptor exists, is of an accepted type, and is visible
 * at CPL and RPL (conforming code always is). True with the descriptor in c.descLo/c.descHi.
 */
function visible(c: CpuBase, selector: number, system: Set<number> | undefined): boolean {
  if ((selector & 0xfffc) === 0 || !fetchDescriptor(c, selector)) return false;
  const hi = c.descHi;
  const type = typeOf(hi);
  if (type < 16 && !system?.has(type)) return false;
  if (type >= 16 && (hi & (DESC_CODE | DESC_CE)) === (DESC_CODE | DESC_CE)) return true;
  const dpl = dplOf(hi);
  return dpl >= c.cpl && dpl >= (selector & 3);
}

function setZf(c: CpuBase, on: boolean): void {
  setEager(c, ZF, on ? ZF : 0, 0, 0, false);
}

/** LAR Gv, Ew: the access-rights bytes (and flags, at 32 bits) of a visible descriptor; ZF says whether. */
export function lar(c: CpuBase, size: number): void {
  requireProtected(c);
  const selector = readE(c, 16);
  const ok = visible(c, selector, LAR_SYSTEM);
  if (ok) setReg(c, size, regField(c), c.descHi & (size === 32 ? 0x00ffff00 : 0xff00));
  setZf(c, ok);
}

/** LSL Gv, Ew: the segment limit in bytes; ZF says whether. */
export function lsl(c: CpuBase, size: number): void {
  requireProtected(c);
  const selector = readE(c, 16);
  const ok = visible(c, selector, LSL_SYSTEM);
  if (ok) setReg(c, size, regField(c), descriptorLimit(c.descLo, c.descHi));
  setZf(c, ok);
}

/** VERR / VERW (write = 1) r/m16: ZF = the segment is readable / writable at CPL. */
export function verify(c: CpuBase, write: number): void {
  requireProtected(c);
  const selector = readE(c, 16);
  let ok = visible(c, selector, undefined);
  if (ok) {
    const hi = c.descHi;
    if (write) ok = (hi & (DESC_CODE | DESC_RW)) === DESC_RW;
    else ok = (hi & DESC_CODE) === 0 || (hi & DESC_RW) !== 0;
  }
  setZf(c, ok);
}

/** ARPL Ew, Gw: raises the destination selector's RPL to the source's; ZF says whether it changed. */
export function arpl(c: CpuBase): void {
  requireProtected(c);
  const src = getReg(c, 16, regField(c));
  let lin = -1;
  let dst: number;
  if (c.modrm >= 0xc0) dst = getReg(c, 16, c.modrm & 7);
  else {
    lin = c.eaLinW(2);
    dst = c.rd16(lin);
  }
  const raise = (dst & 3) < (src & 3);
  if (raise) {
    dst = (dst & ~3) | (src & 3);
    if (c.modrm >= 0xc0) setReg(c, 16, c.modrm & 7, dst);
    else c.wr16(lin, dst);
  }
  setZf(c, raise);
}

export const segmentOps: Record<string, SpecFactory> = {
  SLDT: (_row, o32) => spec(storeSystemSelector, SEG_LDTR, o32 ? 1 : 0),
  STR: (_row, o32) => spec(storeSystemSelector, SEG_TR, o32 ? 1 : 0),
  LLDT: () => spec(lldt), LTR: () => spec(ltr),
  LAR: (_row, o32) => spec(lar, o32 ? 32 : 16), LSL: (_row, o32) => spec(lsl, o32 ? 32 : 16),
  VERR: () => spec(verify, 0), VERW: () => spec(verify, 1), ARPL: () => spec(arpl),
};
