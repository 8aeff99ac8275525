/**
 * Protected-mode control transfers (Intel SDM Vol. 3 §5.8, §6.12; Vol. 2 CALL, JMP, RET, IRET, INT):
 * far JMP and CALL to code segments, through call gates (to inner rings, with parameters copied) and to
 * tasks; far RET to the same or an outer ring; interrupt and exception delivery through interrupt, trap and
 * task gates, from any ring and from virtual-8086 mode; IRET to the same ring, an outer ring,
 * virtual-8086 mode, or the previous task (NT).
 *
 * Every check comes before anything changes: values are peeked from the old stack and pushed onto the new
 * one through a StackWriter that knows the new stack's base and bounds, and only then are registers,
 * CPL and the segment caches committed. A fault in between leaves the instruction restartable.
 */
import {
  ACCESS_V86, DATA_SEGMENTS, DESC_CE, DESC_CODE, DESC_P, DESC_RIGHTS_MASK, DESC_RW, DESC_S, HAS_ERROR_CODE, INT_EXCEPTION, INT_SOFTWARE, MODE_PROTECTED,
  MODE_V86, S_IDTR_BASE, S_IDTR_LIMIT, SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS, SEG_TR, SYS_CALL_GATE16,
  SYS_CALL_GATE32, SYS_INT_GATE16, SYS_INT_GATE32, SYS_TASK_GATE, SYS_TRAP_GATE16, SYS_TRAP_GATE32, SYS_TSS16_AVAIL,
  SYS_TSS32_AVAIL, VEC_BP, VEC_DB, VEC_GP, VEC_NP, VEC_OF, VEC_SS, VEC_TS,
} from './arch.js';
import type { CpuBase } from './cpu-base.js';
import { AC, EFLAGS_INDEX, ID, IF, IOPL, LZ_MASK, NT, readFlags, RF, TF, VM } from './flags.js';
import { readSlow, sysRead16, sysRead32, sysWrite8, writeSlow } from './paging.js';
import { descriptorBase, descriptorLimit, dplOf, fetchOrFault, invalidateOuterSegments, markAccessed, typeOf } from './pm-segments.js';
import { TASK_CALL, TASK_INT, TASK_IRET, TASK_JMP, taskSwitch } from './pm-tasks.js';

/** The segment registers of an IRETD frame back to virtual-8086 mode, after ESP, in stack order. */
const V86_FRAME_SEGMENTS: readonly number[] = [SEG_SS, SEG_ES, SEG_DS, SEG_FS, SEG_GS];
/** EFLAGS bits an IRET may restore at CPL 0 (VM is only set by the return to virtual-8086 mode). */
const IRET_FLAGS = 0x3f7fd5 & ~VM;

/**
 * A stack being written before it becomes SS:ESP: base, width, the valid offsets (expand-down aware),
 * the privilege of the writes, and the error code of an #SS when a push falls outside.
 */
export class StackWriter {
  base = 0;
  sp = 0;
  big = false;
  lo = 0;
  hi = 0;
  user = false;
  faultCode = 0;

  init(base: number, limit: number, rights: number, sp: number, user: boolean, faultCode: number): void {
    this.base = base;
    this.big = (rights & 0x400000) !== 0;
    this.sp = this.big ? sp >>> 0 : sp & 0xffff;
    if (rights & DESC_CE) {
      this.lo = limit + 1;
      this.hi = this.big ? 0xffffffff : 0xffff;
    } else {
      this.lo = 0;
      this.hi = limit;
    }
    this.user = user;
    this.faultCode = faultCode;
  }

  /** Starts from the current SS:eSP. */
  initCurrent(c: CpuBase, faultCode: number): void {
    this.init(c.bases[SEG_SS], c.limits[SEG_SS], c.mode === MODE_PROTECTED ? c.rights[SEG_SS] : 0, c.r32[4], c.user, faultCode);
  }

  push(c: CpuBase, bytes: number, v: number): void {
    const sp = this.big ? (this.sp - bytes) >>> 0 : (this.sp - bytes) & 0xffff;
    if (sp < this.lo || sp + bytes - 1 > this.hi) c.raiseCode(VEC_SS, this.faultCode);
    writeSlow(c, (this.base + sp) >>> 0, bytes, v, this.user);
    this.sp = sp;
  }

  /** Makes the written stack's pointer ESP (or SP, for a 16-bit stack). */
  commitSp(c: CpuBase): void {
    if (this.big) c.r32[4] = this.sp;
    else c.r16[8] = this.sp;
  }
}

// ------------------------------------------------------------------ code segment targets

/** Checks of a far JMP/CALL target code segment (in c.descHi) at the current CPL: type, privilege, present. */
function checkDirectCodeTarget(c: CpuBase, selector: number): void {
  const hi = c.descHi;
  const code = selector & 0xfffc;
  if ((hi & (DESC_S | DESC_CODE)) !== (DESC_S | DESC_CODE)) c.raiseCode(VEC_GP, code);
  const dpl = dplOf(hi);
  if (hi & DESC_CE) {
    if (dpl > c.cpl) c.raiseCode(VEC_GP, code);
  } else if ((selector & 3) > c.cpl || dpl !== c.cpl) c.raiseCode(VEC_GP, code);
  if ((hi & DESC_P) === 0) c.raiseCode(VEC_NP, code);
}

/** Loads CS from the descriptor in c.descLo/c.descHi with RPL = `rpl` and jumps to `offset` (#GP(0) beyond the limit). */
function enterCode(c: CpuBase, selector: number, offset: number, rpl: number): void {
  const lo = c.descLo;
  const hi = c.descHi;
  const limit = descriptorLimit(lo, hi);
  if (offset > limit) c.raise(VEC_GP);
  markAccessed(c);
  c.setSegCache(SEG_CS, (selector & 0xfffc) | rpl, descriptorBase(lo, hi), limit, c.descHi & DESC_RIGHTS_MASK);
  c.ip = offset;
}

/** The target code segment of a call gate (selector from the gate): a present code segment with DPL ≤ CPL. */
function fetchGateTarget(c: CpuBase, selector: number, ext: number): void {
  const code = selector & 0xfffc;
  if (code === 0) c.raiseCode(VEC_GP, ext);
  fetchOrFault(c, selector, VEC_GP, ext);
  const hi = c.descHi;
  if ((hi & (DESC_S | DESC_CODE)) !== (DESC_S | DESC_CODE) || dplOf(hi) > c.cpl) c.raiseCode(VEC_GP, code | ext);
  if ((hi & DESC_P) === 0) c.raiseCode(VEC_NP, code | ext);
}

/** Gate or TSS descriptor checks shared by JMP and CALL: DPL ≥ CPL and ≥ RPL, present. */
function checkGateAccess(c: CpuBase, selector: number): void {
  const dpl = dplOf(c.descHi);
  if (dpl < c.cpl || dpl < (selector & 3)) c.raiseCode(VEC_GP, selector & 0xfffc);
  if ((c.descHi & DESC_P) === 0) c.raiseCode(VEC_NP, selector & 0xfffc);
}

// ------------------------------------------------------------------ far JMP

/** JMP ptr16:16/32 or m16:16/32 in protected mode. */
export function farJumpProtected(c: CpuBase, selector: number, offset: number): void {
  if ((selector & 0xfffc) === 0) c.raise(VEC_GP);
  fetchOrFault(c, selector, VEC_GP);
  const hi = c.descHi;
  if (hi & DESC_S) {
    checkDirectCodeTarget(c, selector);
    enterCode(c, selector, offset, c.cpl);
    return;
  }
  const type = typeOf(hi);
  if (type === SYS_CALL_GATE16 || type === SYS_CALL_GATE32) {
    checkGateAccess(c, selector);
    const lo = c.descLo;
    const target = lo >>> 16;
    const gateOffset = type === SYS_CALL_GATE32 ? ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0 : lo & 0xffff;
    fetchGateTarget(c, target, 0);
    // A JMP cannot change privilege: non-conforming code must be at CPL.
    if ((c.descHi & DESC_CE) === 0 && dplOf(c.descHi) !== c.cpl) c.raiseCode(VEC_GP, target & 0xfffc);
    enterCode(c, target, gateOffset, c.cpl);
  } else if (type === SYS_TASK_GATE) {
    checkGateAccess(c, selector);
    taskSwitch(c, c.descLo >>> 16, TASK_JMP, 0, c.nextIp());
  } else if (type === SYS_TSS16_AVAIL || type === SYS_TSS32_AVAIL) {
    checkGateAccess(c, selector);
    taskSwitch(c, selector, TASK_JMP, 0, c.nextIp());
  } else c.raiseCode(VEC_GP, selector & 0xfffc);
}

// ------------------------------------------------------------------ far CALL

/** CALL ptr16:16/32 or m16:16/32 in protected mode; `size` is the operand size (16/32). */
export function farCallProtected(c: CpuBase, selector: number, offset: number, size: number): void {
  if ((selector & 0xfffc) === 0) c.raise(VEC_GP);
  fetchOrFault(c, selector, VEC_GP);
  const hi = c.descHi;
  const returnIp = c.nextIp();
  const oldCs = c.selectors[SEG_CS];
  if (hi & DESC_S) {
    checkDirectCodeTarget(c, selector);
    const limit = descriptorLimit(c.descLo, hi);
    if (offset > limit) c.raise(VEC_GP);
    const w = c.stackWriter;
    w.initCurrent(c, 0);
    w.push(c, size >> 3, oldCs);
    w.push(c, size >> 3, returnIp);
    enterCode(c, selector, offset, c.cpl);
    w.commitSp(c);
    return;
  }
  const type = typeOf(hi);
  if (type === SYS_TASK_GATE) {
    checkGateAccess(c, selector);
    taskSwitch(c, c.descLo >>> 16, TASK_CALL, 0, returnIp);
    return;
  }
  if (type === SYS_TSS16_AVAIL || type === SYS_TSS32_AVAIL) {
    checkGateAccess(c, selector);
    taskSwitch(c, selector, TASK_CALL, 0, returnIp);
    return;
  }
  if (type !== SYS_CALL_GATE16 && type !== SYS_CALL_GATE32) c.raiseCode(VEC_GP, selector & 0xfffc);
  checkGateAccess(c, selector);
  const gateLo = c.descLo;
  const gateHi = hi;
  const bytes = type === SYS_CALL_GATE32 ? 4 : 2;
  const target = gateLo >>> 16;
  const gateOffset = bytes === 4 ? ((gateLo & 0xffff) | (gateHi & 0xffff0000)) >>> 0 : gateLo & 0xffff;
  fetchGateTarget(c, target, 0);
  const codeLo = c.descLo;
  const codeHi = c.descHi;
  const codeAddr = c.descAddr;
  const dpl = dplOf(codeHi);
  const limit = descriptorLimit(codeLo, codeHi);
  if (gateOffset > limit) c.raise(VEC_GP);
  const w = c.stackWriter;
  if ((codeHi & DESC_CE) === 0 && dpl < c.cpl) {
    // To an inner ring: a new stack from the TSS, with the old SS:ESP and the parameters on it.
    const ss = innerStack(c, dpl, 0);
    const esp = c.scratch[1];
    checkInnerStack(c, ss, dpl, 0);
    const ssLo = c.descLo;
    const ssHi = c.descHi;
    w.init(descriptorBase(ssLo, ssHi), descriptorLimit(ssLo, ssHi), ssHi, esp, false, ss & 0xfffc);
    w.push(c, bytes, c.selectors[SEG_SS]);
    w.push(c, bytes, c.r32[4]);
    const count = gateHi & 0x1f;
    for (let i = count - 1; i >= 0; i--) {
      const off = c.stack32 ? (c.r32[4] + i * bytes) >>> 0 : (c.r16[8] + i * bytes) & 0xffff;
      w.push(c, bytes, readSlow(c, c.linear(SEG_SS, off, bytes), bytes, c.user));
    }
    w.push(c, bytes, oldCs);
    w.push(c, bytes, returnIp);
    // Commit: the new stack, CPL, then CS.
    markDescriptorAccessed(c, c.descAddr, ssHi);
    c.setCpl(dpl);
    c.setSegCache(SEG_SS, (ss & 0xfffc) | dpl, descriptorBase(ssLo, ssHi), descriptorLimit(ssLo, ssHi), (ssHi | 0x100) & DESC_RIGHTS_MASK);
    w.commitSp(c);
    setCode(c, target, codeLo, codeHi, codeAddr, gateOffset, dpl);
    return;
  }
  w.initCurrent(c, 0);
  w.push(c, bytes, oldCs);
  w.push(c, bytes, returnIp);
  setCode(c, target, codeLo, codeHi, codeAddr, gateOffset, c.cpl);
  w.commitSp(c);
}

/** Commits CS from saved descriptor words (after another descriptor was fetched in between). */
function setCode(c: CpuBase, selector: number, lo: number, hi: number, addr: number, offset: number, rpl: number): void {
  markDescriptorAccessed(c, addr, hi);
  c.setSegCache(SEG_CS, (selector & 0xfffc) | rpl, descriptorBase(lo, hi), descriptorLimit(lo, hi), (hi | 0x100) & DESC_RIGHTS_MASK);
  c.ip = offset;
}

function markDescriptorAccessed(c: CpuBase, addr: number, hi: number): void {
  if ((hi & 0x100) === 0) sysWrite8(c, (addr + 5) >>> 0, ((hi >>> 8) & 0xff) | 1);
}

/** The stack for ring `dpl` from the current TSS: returns SS, leaves ESP in c.scratch[1]; #TS when the TSS is too short. */
function innerStack(c: CpuBase, dpl: number, ext: number): number {
  const type = (c.rights[SEG_TR] >>> 8) & 0xf;
  const base = c.bases[SEG_TR];
  const limit = c.limits[SEG_TR];
  const tsFault = (c.selectors[SEG_TR] & 0xfffc) | ext;
  if (type & 8) {
    const off = 4 + dpl * 8;
    if (off + 5 > limit) c.raiseCode(VEC_TS, tsFault);
    c.scratch[1] = sysRead32(c, (base + off) >>> 0);
    return sysRead16(c, (base + off + 4) >>> 0);
  }
  const off = 2 + dpl * 4;
  if (off + 3 > limit) c.raiseCode(VEC_TS, tsFault);
  c.scratch[1] = sysRead16(c, (base + off) >>> 0);
  return sysRead16(c, (base + off + 2) >>> 0);
}

/** The inner ring's SS: a present, writable data segment with RPL = DPL = the new CPL (#TS, #SS otherwise). */
function checkInnerStack(c: CpuBase, ss: number, dpl: number, ext: number): void {
  const code = ss & 0xfffc;
  if (code === 0) c.raiseCode(VEC_TS, ext);
  if ((ss & 3) !== dpl) c.raiseCode(VEC_TS, code | ext);
  fetchOrFault(c, ss, VEC_TS, ext);
  const hi = c.descHi;
  if (dplOf(hi) !== dpl || (hi & (DESC_S | DESC_CODE | DESC_RW)) !== (DESC_S | DESC_RW)) c.raiseCode(VEC_TS, code | ext);
  if ((hi & DESC_P) === 0) c.raiseCode(VEC_SS, code | ext);
}

// ------------------------------------------------------------------ far RET

/** RETF [imm16] in protected mode: to the same ring, or to an outer ring with its SS:ESP. */
export function farReturnProtected(c: CpuBase, size: number, extra: number): void {
  const bytes = size >> 3;
  const offset = bytes === 4 ? c.peek32(0) >>> 0 : c.peek16(0);
  const selector = (bytes === 4 ? c.peek32(4) : c.peek16(2)) & 0xffff;
  const rpl = selector & 3;
  const code = selector & 0xfffc;
  if (code === 0) c.raise(VEC_GP);
  if (rpl < c.cpl) c.raiseCode(VEC_GP, code);
  checkReturnCode(c, selector);
  if (rpl === c.cpl) {
    enterCode(c, selector, offset, rpl);
    c.addSp(2 * bytes + extra);
    return;
  }
  const codeLo = c.descLo;
  const codeHi = c.descHi;
  const codeAddr = c.descAddr;
  const newSp = bytes === 4 ? c.peek32(2 * bytes + extra) >>> 0 : c.peek16(2 * bytes + extra);
  const ss = (bytes === 4 ? c.peek32(3 * bytes + extra) : c.peek16(3 * bytes + extra)) & 0xffff;
  returnToOuter(c, selector, codeLo, codeHi, codeAddr, offset, ss, newSp, extra);
}

/** The code segment a RETF or IRET returns to (in c.descHi after the call): code, DPL by conforming, present. */
function checkReturnCode(c: CpuBase, selector: number): void {
  const code = selector & 0xfffc;
  fetchOrFault(c, selector, VEC_GP);
  const hi = c.descHi;
  if ((hi & (DESC_S | DESC_CODE)) !== (DESC_S | DESC_CODE)) c.raiseCode(VEC_GP, code);
  const dpl = dplOf(hi);
  if (hi & DESC_CE ? dpl > (selector & 3) : dpl !== (selector & 3)) c.raiseCode(VEC_GP, code);
  if ((hi & DESC_P) === 0) c.raiseCode(VEC_NP, code);
}

/** Checks the outer ring's SS, then commits CS:EIP, CPL, SS:ESP (+ extra) and nulls what the outer ring may not see. */
function returnToOuter(
  c: CpuBase, selector: number, codeLo: number, codeHi: number, codeAddr: number, offset: number, ss: number, sp: number, extra: number,
): void {
  const rpl = selector & 3;
  const ssCode = ss & 0xfffc;
  if (ssCode === 0) c.raise(VEC_GP);
  if ((ss & 3) !== rpl) c.raiseCode(VEC_GP, ssCode);
  fetchOrFault(c, ss, VEC_GP);
  const ssHi = c.descHi;
  const ssLo = c.descLo;
  if (dplOf(ssHi) !== rpl || (ssHi & (DESC_S | DESC_CODE | DESC_RW)) !== (DESC_S | DESC_RW)) c.raiseCode(VEC_GP, ssCode);
  if ((ssHi & DESC_P) === 0) c.raiseCode(VEC_SS, ssCode);
  if (offset > descriptorLimit(codeLo, codeHi)) c.raise(VEC_GP);
  markDescriptorAccessed(c, c.descAddr, ssHi);
  c.setCpl(rpl);
  setCode(c, selector, codeLo, codeHi, codeAddr, offset, rpl);
  c.setSegCache(SEG_SS, ss, descriptorBase(ssLo, ssHi), descriptorLimit(ssLo, ssHi), (ssHi | 0x100) & DESC_RIGHTS_MASK);
  if (c.stack32) c.r32[4] = (sp + extra) >>> 0;
  else c.r16[8] = (sp + extra) & 0xffff;
  invalidateOuterSegments(c);
}

// ------------------------------------------------------------------ IRET

/** IRET/IRETD in protected mode (virtual-8086 mode's IRET is the real-mode one, ops-control.ts). */
export function iretProtected(c: CpuBase, size: number): void {
  const st = c.st;
  if (st[EFLAGS_INDEX] & NT) {
    // Return from a nested task: to the back link of the current TSS.
    const link = sysRead16(c, c.bases[SEG_TR]);
    taskSwitch(c, link, TASK_IRET, 0, c.nextIp());
    return;
  }
  const bytes = size >> 3;
  const offset = bytes === 4 ? c.peek32(0) >>> 0 : c.peek16(0);
  const selector = (bytes === 4 ? c.peek32(4) : c.peek16(2)) & 0xffff;
  const flags = bytes === 4 ? c.peek32(8) : c.peek16(4);
  if (bytes === 4 && flags & VM && c.cpl === 0) {
    returnToV86(c, offset, selector, flags);
    return;
  }
  const rpl = selector & 3;
  const code = selector & 0xfffc;
  if (code === 0) c.raise(VEC_GP);
  if (rpl < c.cpl) c.raiseCode(VEC_GP, code);
  checkReturnCode(c, selector);
  const oldCpl = c.cpl;
  if (rpl === oldCpl) {
    enterCode(c, selector, offset, rpl);
    c.addSp(3 * bytes);
  } else {
    const sp = bytes === 4 ? c.peek32(12) >>> 0 : c.peek16(6);
    const ss = (bytes === 4 ? c.peek32(16) : c.peek16(8)) & 0xffff;
    returnToOuter(c, selector, c.descLo, c.descHi, c.descAddr, offset, ss, sp, 0);
  }
  restoreFlags(c, flags, bytes, oldCpl);
}

/** EFLAGS from an IRET image: IOPL only at CPL 0, IF only at CPL ≤ IOPL, the high half only at 32 bits. */
function restoreFlags(c: CpuBase, value: number, bytes: number, cpl: number): void {
  let mask = IRET_FLAGS;
  if (cpl !== 0) mask &= ~IOPL;
  if (cpl > (c.st[EFLAGS_INDEX] & IOPL) >>> 12) mask &= ~IF;
  if (bytes === 2) mask &= 0xffff;
  c.st[EFLAGS_INDEX] = (readFlags(c) & ~mask) | (value & mask) | 2;
  c.lz[LZ_MASK] = 0;
  c.flagsChanged();
}

/** IRETD at CPL 0 with VM in the image: EIP CS EFLAGS ESP SS ES DS FS GS, all real-mode style, CPL 3. */
function returnToV86(c: CpuBase, offset: number, cs: number, flags: number): void {
  const values = c.scratch;
  for (let i = 0; i < 6; i++) values[i] = c.peek32(12 + 4 * i);
  c.st[EFLAGS_INDEX] = (flags & (IRET_FLAGS | VM)) | 2;
  c.lz[LZ_MASK] = 0;
  c.mode = MODE_V86;
  c.setCpl(3);
  for (let i = 0; i < 5; i++) loadV86Seg(c, V86_FRAME_SEGMENTS[i], values[i + 1] & 0xffff);
  loadV86Seg(c, SEG_CS, cs & 0xffff);
  c.r32[4] = values[0];
  c.ip = offset & 0xffff;
  c.flagsChanged();
}

/** A segment register in virtual-8086 mode: base = selector × 16, limit FFFFh, DPL-3 data. */
export function loadV86Seg(c: CpuBase, seg: number, selector: number): void {
  c.setSegCache(seg, selector, selector << 4, 0xffff, ACCESS_V86);
  c.stack32 = false;
}

// ------------------------------------------------------------------ interrupts and exceptions

/**
 * Delivers `vector` through the IDT in protected or virtual-8086 mode. `returnIp` is what the frame
 * saves; `code` is pushed for exceptions that have one; `kind` (arch.ts INT_*) decides the gate-DPL check
 * (software interrupts) and the EXT bit of the error codes of faults during delivery.
 */
export function interruptProtected(c: CpuBase, vector: number, returnIp: number, code: number, kind: number): void {
  const st = c.st;
  const ext = kind === INT_SOFTWARE ? 0 : 1;
  const idtCode = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > st[S_IDTR_LIMIT] >>> 0) c.raiseCode(VEC_GP, idtCode);
  const gateLin = (st[S_IDTR_BASE] + vector * 8) >>> 0;
  const lo = sysRead32(c, gateLin);
  const hi = sysRead32(c, (gateLin + 4) >>> 0);
  const type = typeOf(hi);
  if (type !== SYS_TASK_GATE && type !== SYS_INT_GATE16 && type !== SYS_TRAP_GATE16 && type !== SYS_INT_GATE32 && type !== SYS_TRAP_GATE32) {
    c.raiseCode(VEC_GP, idtCode);
  }
  if (kind === INT_SOFTWARE && dplOf(hi) < c.cpl) c.raiseCode(VEC_GP, idtCode);
  if ((hi & DESC_P) === 0) c.raiseCode(VEC_NP, idtCode);
  const pushCode = kind === INT_EXCEPTION && HAS_ERROR_CODE[vector] !== 0;
  if (type === SYS_TASK_GATE) {
    taskSwitch(c, lo >>> 16, TASK_INT, ext, returnIp);
    if (pushCode) {
      if ((c.rights[SEG_TR] >>> 8) & 8) c.push32(code);
      else c.push16(code);
    }
    return;
  }
  const bytes = type >= SYS_INT_GATE32 ? 4 : 2;
  const trapGate = (type & 1) !== 0;
  const selector = lo >>> 16;
  const offset = bytes === 4 ? ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0 : lo & 0xffff;
  fetchGateTarget(c, selector, ext);
  const codeLo = c.descLo;
  const codeHi = c.descHi;
  const codeAddr = c.descAddr;
  const dpl = dplOf(codeHi);
  if (offset > descriptorLimit(codeLo, codeHi)) c.raiseCode(VEC_GP, ext);
  const fromV86 = c.mode === MODE_V86;
  let flags = readFlags(c);
  // A fault's saved image has RF set, so that the restarted instruction does not hit its breakpoint again.
  if (kind === INT_EXCEPTION && vector !== VEC_DB && vector !== VEC_BP && vector !== VEC_OF) flags |= RF;
  const w = c.stackWriter;
  let newCpl = c.cpl;
  let ss = 0;
  let ssLo = 0;
  let ssHi = 0;
  if ((codeHi & DESC_CE) === 0 && dpl < c.cpl) {
    if (fromV86 && dpl !== 0) c.raiseCode(VEC_GP, (selector & 0xfffc) | ext);
    ss = innerStack(c, dpl, ext);
    const esp = c.scratch[1];
    checkInnerStack(c, ss, dpl, ext);
    ssLo = c.descLo;
    ssHi = c.descHi;
    w.init(descriptorBase(ssLo, ssHi), descriptorLimit(ssLo, ssHi), ssHi, esp, false, (ss & 0xfffc) | ext);
    if (fromV86) {
      w.push(c, bytes, c.selectors[SEG_GS]);
      w.push(c, bytes, c.selectors[SEG_FS]);
      w.push(c, bytes, c.selectors[SEG_DS]);
      w.push(c, bytes, c.selectors[SEG_ES]);
    }
    w.push(c, bytes, c.selectors[SEG_SS]);
    w.push(c, bytes, c.r32[4]);
    newCpl = dpl;
  } else if ((codeHi & DESC_CE) !== 0 || dpl === c.cpl) {
    if (fromV86) c.raiseCode(VEC_GP, (selector & 0xfffc) | ext);
    w.initCurrent(c, ext);
  } else c.raiseCode(VEC_GP, (selector & 0xfffc) | ext);
  w.push(c, bytes, flags);
  w.push(c, bytes, c.selectors[SEG_CS]);
  w.push(c, bytes, returnIp);
  if (pushCode) w.push(c, bytes, code);

  // Commit: flags and mode, CPL, the stack, the data segments of a virtual-8086 interrupt, CS:EIP.
  let eflags = st[EFLAGS_INDEX] & ~(TF | NT | RF | VM);
  if (!trapGate) eflags &= ~IF;
  st[EFLAGS_INDEX] = eflags;
  c.mode = MODE_PROTECTED;
  if (newCpl !== c.cpl || fromV86) {
    markDescriptorAccessed(c, c.descAddr, ssHi);
    c.setCpl(newCpl);
    c.setSegCache(SEG_SS, (ss & 0xfffc) | newCpl, descriptorBase(ssLo, ssHi), descriptorLimit(ssLo, ssHi), (ssHi | 0x100) & DESC_RIGHTS_MASK);
    if (fromV86) for (const s of DATA_SEGMENTS) c.setSegCache(s, 0, 0, 0, 0);
  }
  w.commitSp(c);
  setCode(c, selector, codeLo, codeHi, codeAddr, offset, newCpl);
  c.flagsChanged();
}

/** POPF/IRET/INT in virtual-8086 mode keep their real-mode behaviour; this names the flags VM86 IRET may change. */
export const V86_IRET_FLAGS = 0x7fd5 & ~IOPL;
/** The 32-bit EFLAGS bits of POPFD and IRETD beyond the low word: AC and ID (RF is cleared, VM VIF VIP kept). */
export const HIGH_FLAGS = AC | ID;

export { TASK_CALL, TASK_INT, TASK_IRET, TASK_JMP };
