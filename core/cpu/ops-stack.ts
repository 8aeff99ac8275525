/** Stack instructions: PUSH POP (registers, memory, immediates, segment registers), PUSHA POPA, PUSHF POPF, ENTER LEAVE. */
import { MODE_REAL } from './arch.js';
import { AC, EFLAGS_INDEX, ID, IF, IOPL, LZ_MASK, readFlags, RF, VM } from './flags.js';
import { iopl, requireV86Iopl } from './privilege.js';
import { type CpuBase, SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS } from './cpu-base.js';
import { getReg, readE, setReg, signExtend, spec, type SpecFactory, writeE } from './operands.js';

const SEGS: Record<string, number> = { ES: SEG_ES, CS: SEG_CS, SS: SEG_SS, DS: SEG_DS, FS: SEG_FS, GS: SEG_GS };

/** EFLAGS bits POPF/IRET may change in real mode: the arithmetic flags, TF IF DF, IOPL, NT. */
export const POPF_MASK = 0x7fd5;
/** POPFD adds AC and ID (VM, VIF, VIP are kept; RF is cleared). */
export const POPFD_MASK = POPF_MASK | AC | ID;
/** A real-mode (or virtual-8086) IRETD also restores RF. */
export const IRETD_MASK = POPFD_MASK | RF;

export function push(c: CpuBase, size: number, v: number): void {
  if (size === 32) c.push32(v);
  else c.push16(v);
}

export function pop(c: CpuBase, size: number): number {
  return size === 32 ? c.pop32() : c.pop16();
}

/** Replaces the flags POPF/IRET may change (all of them lazy-free afterwards). */
export function writeFlags(c: CpuBase, value: number, mask: number): void {
  c.st[EFLAGS_INDEX] = (readFlags(c) & ~mask) | (value & mask) | 2;
  c.lz[LZ_MASK] = 0;
  c.flagsChanged();
}

/** PUSH reg (50+r); PUSH SP pushes the value before the push (286 and later). */
export function pushReg(c: CpuBase, reg: number, size: number): void {
  push(c, size, getReg(c, size, reg));
}

export function pushE(c: CpuBase, size: number): void {
  push(c, size, readE(c, size));
}

/** PUSH imm: Iz, or a sign-extended byte (byte = 1). */
export function pushImm(c: CpuBase, size: number, byte: number): void {
  push(c, size, byte ? signExtend(c.fetch8(), 8) : size === 32 ? c.fetch32() : c.fetch16());
}

/** PUSH Sreg: zero-extended at 32 bits. */
export function pushSeg(c: CpuBase, seg: number, size: number): void {
  push(c, size, c.selectors[seg]);
}

const pushOp: SpecFactory = (row, o32) => {
  const src = row.operands[0];
  const size = o32 ? 32 : 16;
  const seg = SEGS[src];
  if (seg !== undefined) return spec(pushSeg, seg, size);
  if (src[0] === 'Z') return spec(pushReg, row.opcode & 7, size);
  if (src[0] === 'E') return spec(pushE, size);
  if (src === 'Ibs') return spec(pushImm, size, 1);
  if (src === 'Iz') return spec(pushImm, size, 0);
  return undefined;
};

/** POP reg; POP SP: the popped value wins over the increment. */
export function popReg(c: CpuBase, reg: number, size: number): void {
  setReg(c, size, reg, pop(c, size));
}

/**
 * POP r/m: the destination's address is computed after the stack pointer moves (it may use eSP); a
 * fault writing it leaves the stack pointer as it was.
 */
export function popE(c: CpuBase, size: number): void {
  const sp = c.sp();
  const v = size === 32 ? c.peek32(0) : c.peek16(0);
  c.addSp(size >> 3);
  try {
    writeE(c, size, v);
  } catch (e) {
    c.setSp(sp);
    throw e;
  }
}

/** POP Sreg: a 32-bit operand size pops 4 bytes and uses the low 16 bits. */
export function popSeg(c: CpuBase, seg: number, size: number): void {
  const v = size === 32 ? c.peek32(0) : c.peek16(0);
  c.loadSeg(seg, v & 0xffff);
  c.addSp(size >> 3);
}

const popOp: SpecFactory = (row, o32) => {
  const dst = row.operands[0];
  const size = o32 ? 32 : 16;
  const seg = SEGS[dst];
  if (seg !== undefined) return spec(popSeg, seg, size);
  if (dst[0] === 'Z') return spec(popReg, row.opcode & 7, size);
  if (dst[0] === 'E') return spec(popE, size);
  return undefined;
};

function writeStack(c: CpuBase, size: number, sp: number, v: number): void {
  if (size === 32) c.wr32(c.linearW(SEG_SS, sp, 4), v);
  else c.wr16(c.linearW(SEG_SS, sp, 2), v);
}

/** PUSHA/PUSHAD: AX CX DX BX, the original SP, BP SI DI; all or nothing. */
export function pusha(c: CpuBase, size: number): void {
  const bytes = size >> 3;
  let sp = c.sp();
  for (let reg = 0; reg < 8; reg++) {
    sp = c.spAdd(sp, -bytes);
    writeStack(c, size, sp, getReg(c, size, reg));
  }
  c.setSp(sp);
}

/** POPA/POPAD: DI SI BP (the saved SP is skipped) BX DX CX AX. */
export function popa(c: CpuBase, size: number): void {
  const bytes = size >> 3;
  const values = c.scratch;
  for (let i = 0; i < 8; i++) values[i] = size === 32 ? c.peek32(i * bytes) : c.peek16(i * bytes);
  for (let i = 0; i < 8; i++) {
    const reg = 7 - i;
    if (reg !== 4) setReg(c, size, reg, values[i]);
  }
  c.addSp(8 * bytes);
}

/** PUSHF/PUSHFD: the image has VM and RF clear. #GP(0) in virtual-8086 mode with IOPL < 3. */
export function pushf(c: CpuBase, size: number): void {
  requireV86Iopl(c);
  if (size === 32) c.push32(readFlags(c) & ~(RF | VM));
  else c.push16(readFlags(c) & 0xffff);
}

/**
 * POPF/POPFD: IOPL changes only at CPL 0, IF only at CPL ≤ IOPL (silently kept otherwise); RF is
 * cleared. #GP(0) in virtual-8086 mode with IOPL < 3.
 */
export function popf(c: CpuBase, size: number): void {
  requireV86Iopl(c);
  let mask = size === 32 ? POPFD_MASK : POPF_MASK;
  if (c.mode !== MODE_REAL) {
    if (c.cpl > 0) mask &= ~IOPL;
    if (c.cpl > iopl(c)) mask &= ~IF;
  }
  const value = size === 32 ? c.pop32() : c.pop16();
  c.st[EFLAGS_INDEX] &= ~RF;
  writeFlags(c, value, mask);
}

/** ENTER Iw, Ib: make a stack frame with `level` nested frame pointers; everything written before registers change. */
export function enter(c: CpuBase, size: number): void {
  const bytes = size >> 3;
  const alloc = c.fetch16();
  const level = c.fetch8() & 31;
  let sp = c.spAdd(c.sp(), -bytes);
  writeStack(c, size, sp, getReg(c, size, 5));
  const frame = sp;
  let ptr = c.stack32 ? c.r32[5] >>> 0 : c.r16[10];
  for (let i = 1; i < level; i++) {
    ptr = c.spAdd(ptr, -bytes);
    const v = size === 32 ? c.rd32(c.linear(SEG_SS, ptr, 4)) : c.rd16(c.linear(SEG_SS, ptr, 2));
    sp = c.spAdd(sp, -bytes);
    writeStack(c, size, sp, v);
  }
  if (level > 0) {
    sp = c.spAdd(sp, -bytes);
    writeStack(c, size, sp, frame);
  }
  setReg(c, size, 5, frame);
  c.setSp(c.spAdd(sp, -alloc));
}

/** LEAVE: eSP = eBP, then pop eBP. */
export function leave(c: CpuBase, size: number): void {
  const bp = c.stack32 ? c.r32[5] >>> 0 : c.r16[10];
  const v = size === 32 ? c.rd32(c.linear(SEG_SS, bp, 4)) : c.rd16(c.linear(SEG_SS, bp, 2));
  c.setSp(c.spAdd(bp, size >> 3));
  setReg(c, size, 5, v);
}

const byOperandSize = (template: (c: CpuBase, size: number) => void): SpecFactory => (_row, o32) => spec(template, o32 ? 32 : 16);

export const stackOps: Record<string, SpecFactory> = {
  PUSH: pushOp, POP: popOp, PUSHA: byOperandSize(pusha), POPA: byOperandSize(popa), PUSHF: byOperandSize(pushf),
  POPF: byOperandSize(popf), ENTER: byOperandSize(enter), LEAVE: byOperandSize(leave),
};
