/**
 * Hardware task switching (Intel SDM Vol. 3 ch. 7): JMP or CALL to a TSS or task gate, an interrupt or
 * exception through a task gate, and IRET with NT set (back to the previous task). 32-bit and 16-bit
 * TSSs, busy bits, the back link and NT, CR0.TS, CR3 from a 32-bit TSS, the LDT, and the segment checks
 * of the new task (faults there are raised in the new task's context, as on hardware).
 */
import {
  CR0_PG, DATA_SEGMENTS, CR0_TS, DESC_CE, DESC_CODE, DESC_P, DESC_RIGHTS_MASK, DESC_RW, DESC_S, MODE_PROTECTED, MODE_V86, S_CR0, S_DR7, S_GDTR_BASE, S_GDTR_LIMIT,
  SEG_CS, SEG_ES, SEG_FS, SEG_GS, SEG_LDTR, SEG_SS, SEG_TR, SYS_LDT, SYS_TSS16_AVAIL, SYS_TSS16_BUSY,
  SYS_TSS32_AVAIL, SYS_TSS32_BUSY, VEC_GP, VEC_NP, VEC_SS, VEC_TS,
} from './arch.js';
import type { CpuBase } from './cpu-base.js';
import { DR6_BT } from './debug.js';
import { EFLAGS_INDEX, LZ_MASK, NT, readFlags, VM } from './flags.js';
import { sysRead16, sysRead32, sysWrite16, sysWrite32, sysWrite8 } from './paging.js';
import { descriptorBase, descriptorLimit, dplOf, fetchOrFault, loadCache, markAccessed, typeOf } from './pm-segments.js';

export const TASK_JMP = 0;
export const TASK_CALL = 1;
export const TASK_IRET = 2;
export const TASK_INT = 3;

/** Indices into c.tssImage: the dynamic fields of the task being entered. */
const I_CR3 = 0;
const I_EIP = 1;
const I_EFLAGS = 2;
const I_REGS = 3;
const I_SEGS = 11;
const I_LDT = 17;
const I_TRAP = 18;

/** 32-bit TSS offsets; the 16-bit ones follow in the comments of saveState/readImage. */
const TSS32_CR3 = 0x1c;
const TSS32_EIP = 0x20;
const TSS32_REGS = 0x28;
const TSS32_SEGS = 0x48;
const TSS32_LDT = 0x60;
const TSS16_IP = 0x0e;
const TSS16_REGS = 0x12;
const TSS16_SEGS = 0x22;
const TSS16_LDT = 0x2a;

/**
 * Switches to the task whose TSS `selector` names (for a task gate: the gate's selector). `returnIp` is
 * the EIP saved in the old task; `ext` the EXT bit for error codes (interrupts and exceptions).
 */
export function taskSwitch(c: CpuBase, selector: number, reason: number, ext: number, returnIp: number): void {
  const code = (selector & 0xfffc) | ext;
  const vector = reason === TASK_IRET ? VEC_TS : VEC_GP;
  if (selector & 4) c.raiseCode(vector, code);
  fetchOrFault(c, selector, vector, ext);
  const lo = c.descLo;
  const hi = c.descHi;
  const descAddr = c.descAddr;
  const type = typeOf(hi);
  if (reason === TASK_IRET ? type !== SYS_TSS16_BUSY && type !== SYS_TSS32_BUSY : type !== SYS_TSS16_AVAIL && type !== SYS_TSS32_AVAIL) {
    c.raiseCode(vector, code);
  }
  if ((hi & DESC_P) === 0) c.raiseCode(VEC_NP, code);
  const is32 = (type & 8) !== 0;
  const base = descriptorBase(lo, hi);
  const limit = descriptorLimit(lo, hi);
  if (limit < (is32 ? 0x67 : 0x2b)) c.raiseCode(VEC_TS, code);

  // Everything that can fault before the switch: read the new TSS, then save into the old one.
  readImage(c, base, is32);
  const oldSelector = c.selectors[SEG_TR];
  let flags = readFlags(c);
  if (reason === TASK_IRET) flags &= ~NT;
  saveState(c, flags, returnIp);
  if (reason === TASK_JMP || reason === TASK_IRET) clearBusy(c, oldSelector);
  if (reason === TASK_CALL || reason === TASK_INT) sysWrite16(c, base, oldSelector);
  if (reason !== TASK_IRET) sysWrite8(c, (descAddr + 5) >>> 0, ((hi >>> 8) & 0xff) | 2);

  // The switch: TR, CR0.TS, CR3, the registers; then the LDT and segments, which may fault in the new task.
  c.setSegCache(SEG_TR, selector, base, limit, (hi | 0x200) & DESC_RIGHTS_MASK);
  const st = c.st;
  st[S_CR0] |= CR0_TS;
  const img = c.tssImage;
  if (is32 && st[S_CR0] & CR0_PG) c.loadCr3(img[I_CR3]);
  let eflags = img[I_EFLAGS];
  if (!is32) eflags = (st[EFLAGS_INDEX] & 0xffff0000 & ~VM) | (eflags & 0xffff);
  if (reason === TASK_CALL || reason === TASK_INT) eflags |= NT;
  st[EFLAGS_INDEX] = eflags | 2;
  c.lz[LZ_MASK] = 0;
  for (let r = 0; r < 8; r++) {
    if (is32) c.r32[r] = img[I_REGS + r];
    else c.r16[r << 1] = img[I_REGS + r];
  }
  c.mode = eflags & VM ? MODE_V86 : MODE_PROTECTED;
  c.ip = is32 ? img[I_EIP] >>> 0 : img[I_EIP] & 0xffff;
  // Local breakpoint enables belong to the old task.
  st[S_DR7] &= ~0x155;
  c.flagsChanged();
  loadTaskSegments(c, ext);
  if (c.ip > c.csLimit) c.raise(VEC_GP);
  if (img[I_TRAP] & 1) {
    c.pendingDebug |= DR6_BT;
    c.attention = 1;
  }
}

/** Reads the dynamic fields of the TSS at `base` into c.tssImage. */
function readImage(c: CpuBase, base: number, is32: boolean): void {
  const img = c.tssImage;
  if (is32) {
    img[I_CR3] = sysRead32(c, base + TSS32_CR3);
    img[I_EIP] = sysRead32(c, base + TSS32_EIP);
    img[I_EFLAGS] = sysRead32(c, base + TSS32_EIP + 4);
    for (let r = 0; r < 8; r++) img[I_REGS + r] = sysRead32(c, base + TSS32_REGS + 4 * r);
    for (let s = 0; s < 6; s++) img[I_SEGS + s] = sysRead16(c, base + TSS32_SEGS + 4 * s);
    img[I_LDT] = sysRead16(c, base + TSS32_LDT);
    img[I_TRAP] = sysRead16(c, base + TSS32_LDT + 4);
  } else {
    img[I_CR3] = 0;
    img[I_EIP] = sysRead16(c, base + TSS16_IP);
    img[I_EFLAGS] = sysRead16(c, base + TSS16_IP + 2);
    for (let r = 0; r < 8; r++) img[I_REGS + r] = sysRead16(c, base + TSS16_REGS + 2 * r);
    for (let s = 0; s < 4; s++) img[I_SEGS + s] = sysRead16(c, base + TSS16_SEGS + 2 * s);
    img[I_SEGS + SEG_FS] = 0;
    img[I_SEGS + SEG_GS] = 0;
    img[I_LDT] = sysRead16(c, base + TSS16_LDT);
    img[I_TRAP] = 0;
  }
}

/** Saves EIP, EFLAGS, the general and segment registers into the current TSS (TR). */
function saveState(c: CpuBase, flags: number, eip: number): void {
  const base = c.bases[SEG_TR];
  const is32 = ((c.rights[SEG_TR] >>> 8) & 8) !== 0;
  if (is32) {
    sysWrite32(c, base + TSS32_EIP, eip);
    sysWrite32(c, base + TSS32_EIP + 4, flags);
    for (let r = 0; r < 8; r++) sysWrite32(c, base + TSS32_REGS + 4 * r, c.r32[r]);
    for (let s = 0; s < 6; s++) sysWrite16(c, base + TSS32_SEGS + 4 * s, c.selectors[s]);
  } else {
    sysWrite16(c, base + TSS16_IP, eip);
    sysWrite16(c, base + TSS16_IP + 2, flags);
    for (let r = 0; r < 8; r++) sysWrite16(c, base + TSS16_REGS + 2 * r, c.r16[r << 1]);
    for (let s = 0; s < 4; s++) sysWrite16(c, base + TSS16_SEGS + 2 * s, c.selectors[s]);
  }
}

/** Clears the busy bit of the TSS descriptor `selector` names in the GDT (the task being left). */
function clearBusy(c: CpuBase, selector: number): void {
  if (!fetchDescriptorQuiet(c, selector)) return;
  sysWrite8(c, (c.descAddr + 5) >>> 0, (c.descHi >>> 8) & 0xfd);
}

/** The GDT descriptor of a selector, without faulting (the old TSS of a switch was checked when it was loaded). */
function fetchDescriptorQuiet(c: CpuBase, selector: number): boolean {
  const index = selector & 0xfff8;
  if (index === 0 || index + 7 > c.st[S_GDTR_LIMIT] >>> 0) return false;
  const lin = (c.st[S_GDTR_BASE] + index) >>> 0;
  c.descHi = sysRead32(c, (lin + 4) >>> 0);
  c.descAddr = lin;
  return true;
}

/**
 * The new task's LDT and segment registers from c.tssImage, with the checks of SDM §7.3 step 14. The
 * selectors are in place (with unusable caches) before any check, so a fault shows the new task's values.
 */
function loadTaskSegments(c: CpuBase, ext: number): void {
  const img = c.tssImage;
  const ldt = img[I_LDT] & 0xffff;
  c.setSegCache(SEG_LDTR, ldt, 0, 0, 0);
  for (let s = SEG_ES; s <= SEG_GS; s++) c.setSegCache(s, img[I_SEGS + s] & 0xffff, 0, 0, 0);
  if (ldt & 0xfffc) {
    const code = (ldt & 0xfffc) | ext;
    if (ldt & 4) c.raiseCode(VEC_TS, code);
    fetchOrFault(c, ldt, VEC_TS, ext);
    if (typeOf(c.descHi) !== SYS_LDT || (c.descHi & DESC_P) === 0) c.raiseCode(VEC_TS, code);
    loadCache(c, SEG_LDTR, ldt);
  }
  if (c.mode === MODE_V86) {
    c.setCpl(3);
    for (let s = SEG_ES; s <= SEG_GS; s++) {
      const sel = img[I_SEGS + s] & 0xffff;
      c.setSegCache(s, sel, sel << 4, 0xffff, 0xf300);
    }
    return;
  }
  const cs = img[I_SEGS + SEG_CS] & 0xffff;
  c.setCpl(cs & 3);
  // CS: a present code segment; non-conforming with DPL = RPL, conforming with DPL ≤ RPL.
  const csCode = (cs & 0xfffc) | ext;
  if ((cs & 0xfffc) === 0) c.raiseCode(VEC_TS, csCode);
  fetchOrFault(c, cs, VEC_TS, ext);
  let hi = c.descHi;
  if ((hi & (DESC_S | DESC_CODE)) !== (DESC_S | DESC_CODE)) c.raiseCode(VEC_TS, csCode);
  if (hi & DESC_CE ? dplOf(hi) > (cs & 3) : dplOf(hi) !== (cs & 3)) c.raiseCode(VEC_TS, csCode);
  if ((hi & DESC_P) === 0) c.raiseCode(VEC_NP, csCode);
  markAccessed(c);
  loadCache(c, SEG_CS, cs);
  // SS: a present writable data segment with RPL = DPL = CPL.
  const ss = img[I_SEGS + SEG_SS] & 0xffff;
  const ssCode = (ss & 0xfffc) | ext;
  if ((ss & 0xfffc) === 0) c.raiseCode(VEC_TS, ssCode);
  fetchOrFault(c, ss, VEC_TS, ext);
  hi = c.descHi;
  if ((ss & 3) !== c.cpl || dplOf(hi) !== c.cpl || (hi & (DESC_S | DESC_CODE | DESC_RW)) !== (DESC_S | DESC_RW)) c.raiseCode(VEC_TS, ssCode);
  if ((hi & DESC_P) === 0) c.raiseCode(VEC_SS, ssCode);
  markAccessed(c);
  loadCache(c, SEG_SS, ss);
  for (const s of DATA_SEGMENTS) {
    const sel = img[I_SEGS + s] & 0xffff;
    if ((sel & 0xfffc) === 0) continue;
    const segCode = (sel & 0xfffc) | ext;
    fetchOrFault(c, sel, VEC_TS, ext);
    hi = c.descHi;
    if ((hi & DESC_S) === 0 || (hi & (DESC_CODE | DESC_RW)) === DESC_CODE) c.raiseCode(VEC_TS, segCode);
    const conformingCode = (hi & (DESC_CODE | DESC_CE)) === (DESC_CODE | DESC_CE);
    if (!conformingCode && (dplOf(hi) < c.cpl || dplOf(hi) < (sel & 3))) c.raiseCode(VEC_TS, segCode);
    if ((hi & DESC_P) === 0) c.raiseCode(VEC_NP, segCode);
    markAccessed(c);
    loadCache(c, s, sel);
  }
}
