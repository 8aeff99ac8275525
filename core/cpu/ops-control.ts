/** Control transfer: Jcc JMP CALL RET (near and far), LOOP/LOOPE/LOOPNE/JCXZ, INT INT3 INTO INT1 IRET, BOUND, SETcc. */
import { INT_ICEBP, INT_SOFTWARE, MODE_PROTECTED, MODE_REAL } from './arch.js';
import { condition, IOPL, lazyOF, lazyZF } from './flags.js';
import { type CpuBase, SEG_CS, SEG_SS, VEC_BP, VEC_BR, VEC_DB, VEC_GP, VEC_OF } from './cpu-base.js';
import { getReg, readE, readMem, regField, signExtend, sizeOf, spec, type SpecFactory, writeE } from './operands.js';
import { requireMemory } from './ops-move.js';
import { IRETD_MASK, POPF_MASK, push, writeFlags } from './ops-stack.js';
import { farCallProtected, farJumpProtected, farReturnProtected, iretProtected } from './pm-gates.js';
import { requireV86Iopl } from './privilege.js';

/** A relative displacement of 1, 2 or 4 bytes, sign-extended. */
function fetchRel(c: CpuBase, bytes: number): number {
  if (bytes === 1) return (c.fetch8() << 24) >> 24;
  if (bytes === 2) return (c.fetch16() << 16) >> 16;
  return c.fetch32();
}

/** Bytes of a J operand: Jb 1, Jz 2 or 4 by operand size. */
function relBytes(code: string, o32: boolean): number {
  return code === 'Jb' ? 1 : o32 ? 4 : 2;
}

export function jcc(c: CpuBase, cc: number, bytes: number): void {
  const rel = fetchRel(c, bytes);
  if (condition(c, cc)) c.jumpNear(c.ip + rel);
}

export function jmpRel(c: CpuBase, bytes: number): void {
  const rel = fetchRel(c, bytes);
  c.jumpNear(c.ip + rel);
}

export function jmpE(c: CpuBase, size: number): void {
  c.jumpNear(readE(c, size));
}

/** The new IP for a near transfer, checked before anything is pushed (so a #GP leaves the stack alone). */
function nearTarget(c: CpuBase, target: number): number {
  target = c.o32 ? target >>> 0 : target & 0xffff;
  if (target > c.csLimit) c.raise(VEC_GP);
  return target;
}

export function callRel(c: CpuBase, bytes: number, size: number): void {
  const rel = fetchRel(c, bytes);
  const target = nearTarget(c, c.ip + rel);
  push(c, size, c.nextIp());
  c.ip = target;
}

export function callE(c: CpuBase, size: number): void {
  const target = nearTarget(c, readE(c, size));
  push(c, size, c.nextIp());
  c.ip = target;
}

/** Far CALL/JMP operands: Ap (immediate offset then selector) or Mp (the same in memory). Selector in scratch[0]. */
function farPointer(c: CpuBase, memory: number, size: number): number {
  if (!memory) {
    const off = size === 32 ? c.fetch32() >>> 0 : c.fetch16();
    c.scratch[0] = c.fetch16();
    return off;
  }
  requireMemory(c);
  const lin = c.eaLin((size >> 3) + 2);
  const off = readMem(c, size, lin) >>> 0;
  c.scratch[0] = c.rd16(lin + (size >> 3));
  return off;
}

export function jmpFar(c: CpuBase, memory: number, size: number): void {
  const off = farPointer(c, memory, size);
  if (c.mode === MODE_PROTECTED) farJumpProtected(c, c.scratch[0], off);
  else c.jumpFar(c.scratch[0], off);
}

/** CALLF: both pushes happen before any register changes (a fault on the second leaves SP intact). */
export function callFar(c: CpuBase, memory: number, size: number): void {
  const bytes = size >> 3;
  const off = farPointer(c, memory, size);
  const sel = c.scratch[0];
  if (c.mode === MODE_PROTECTED) {
    farCallProtected(c, sel, off, size);
    return;
  }
  const sp1 = c.spAdd(c.sp(), -bytes);
  const sp2 = c.spAdd(sp1, -bytes);
  const lin1 = c.linearW(SEG_SS, sp1, bytes);
  const lin2 = c.linearW(SEG_SS, sp2, bytes);
  if (size === 32) {
    c.wr32(lin1, c.selectors[SEG_CS]);
    c.wr32(lin2, c.nextIp());
  } else {
    c.wr16(lin1, c.selectors[SEG_CS]);
    c.wr16(lin2, c.nextIp());
  }
  c.setSp(sp2);
  c.jumpFar(sel, off);
}

/** RET / RET imm16 (withImm = 1) */
export function ret(c: CpuBase, size: number, withImm: number): void {
  const extra = withImm ? c.fetch16() : 0;
  const target = nearTarget(c, size === 32 ? c.peek32(0) : c.peek16(0));
  c.addSp((size >> 3) + extra);
  c.ip = target;
}

/** RETF / RETF imm16 (withImm = 1) */
export function retf(c: CpuBase, size: number, withImm: number): void {
  const bytes = size >> 3;
  const extra = withImm ? c.fetch16() : 0;
  if (c.mode === MODE_PROTECTED) {
    farReturnProtected(c, size, extra);
    return;
  }
  const off = size === 32 ? c.peek32(0) >>> 0 : c.peek16(0);
  const sel = size === 32 ? c.peek32(bytes) & 0xffff : c.peek16(bytes);
  c.addSp(2 * bytes + extra);
  c.jumpFar(sel, off);
}

const LOOP = 0, LOOPE = 1, LOOPNE = 2, JCXZ = 3;

/** LOOP, LOOPE, LOOPNE, JCXZ/JECXZ: the counter is CX or ECX by address size. */
export function loop(c: CpuBase, kind: number): void {
  const rel = (c.fetch8() << 24) >> 24;
  let count: number;
  if (kind === JCXZ) count = c.a32 ? c.r32[1] : c.r16[2];
  else if (c.a32) count = c.r32[1] = c.r32[1] - 1;
  else count = c.r16[2] = (c.r16[2] - 1) & 0xffff;
  let taken: boolean;
  if (kind === JCXZ) taken = count === 0;
  else if (kind === LOOP) taken = count !== 0;
  else if (kind === LOOPE) taken = count !== 0 && lazyZF(c) === 1;
  else taken = count !== 0 && lazyZF(c) === 0;
  if (taken) c.jumpNear(c.ip + rel);
}

/**
 * INT n / INT3 / INT1 (vector < 0: from the imm8): the return address is the next instruction. In
 * virtual-8086 mode INT n with IOPL < 3 is #GP(0) (to the monitor); INT3 and INT1 are not IOPL-sensitive.
 */
export function softwareInterrupt(c: CpuBase, vector: number): void {
  if (vector < 0) {
    vector = c.fetch8();
    requireV86Iopl(c);
  }
  c.interrupt(vector, c.nextIp(), 0, vector === VEC_DB ? INT_ICEBP : INT_SOFTWARE);
}

export function into(c: CpuBase): void {
  if (lazyOF(c)) c.interrupt(VEC_OF, c.nextIp(), 0, INT_SOFTWARE);
}

/**
 * IRET/IRETD. Real mode: IP, CS, FLAGS from the stack. Virtual-8086 mode: the same when IOPL is 3 (IOPL
 * itself is kept), #GP(0) otherwise. Protected mode: pm-gates.ts.
 */
export function iret(c: CpuBase, size: number): void {
  if (c.mode === MODE_PROTECTED) {
    iretProtected(c, size);
    return;
  }
  requireV86Iopl(c);
  const keep = c.mode === MODE_REAL ? 0 : IOPL;
  if (size === 32) {
    const ip = c.peek32(0) >>> 0;
    const cs = c.peek32(4) & 0xffff;
    const flags = c.peek32(8);
    if (ip > c.csLimit) c.raise(VEC_GP);
    c.addSp(12);
    c.jumpFar(cs, ip);
    writeFlags(c, flags, IRETD_MASK & ~keep);
    return;
  }
  const ip = c.peek16(0);
  const cs = c.peek16(2);
  const flags = c.peek16(4);
  c.addSp(6);
  c.jumpFar(cs, ip);
  writeFlags(c, flags, POPF_MASK & ~keep);
}

/** BOUND Gv, Ma: #BR unless lower ≤ index ≤ upper (signed). */
export function bound(c: CpuBase, size: number): void {
  requireMemory(c);
  const bytes = size >> 3;
  const lin = c.eaLin(2 * bytes);
  const lower = signExtend(readMem(c, size, lin), size);
  const upper = signExtend(readMem(c, size, lin + bytes), size);
  const index = signExtend(getReg(c, size, regField(c)), size);
  if (index < lower || index > upper) c.raise(VEC_BR);
}

export function setcc(c: CpuBase, cc: number): void {
  writeE(c, 8, condition(c, cc) ? 1 : 0);
}

const size16or32 = (o32: boolean) => (o32 ? 32 : 16);

export const controlOps: Record<string, SpecFactory> = {
  Jcc: (row, o32) => spec(jcc, row.cc, relBytes(row.operands[0], o32)),
  JMP: (row, o32) => (row.operands[0][0] === 'J' ? spec(jmpRel, relBytes(row.operands[0], o32)) : spec(jmpE, size16or32(o32))),
  CALL: (row, o32) => (row.operands[0][0] === 'J' ? spec(callRel, relBytes(row.operands[0], o32), size16or32(o32)) : spec(callE, size16or32(o32))),
  JMPF: (row, o32) => spec(jmpFar, row.operands[0] === 'Mp' ? 1 : 0, size16or32(o32)),
  CALLF: (row, o32) => spec(callFar, row.operands[0] === 'Mp' ? 1 : 0, size16or32(o32)),
  RET: (row, o32) => spec(ret, size16or32(o32), row.operands.length),
  RETF: (row, o32) => spec(retf, size16or32(o32), row.operands.length),
  LOOP: () => spec(loop, LOOP), LOOPE: () => spec(loop, LOOPE), LOOPNE: () => spec(loop, LOOPNE), JCXZ: () => spec(loop, JCXZ),
  INT: () => spec(softwareInterrupt, -1), INT3: () => spec(softwareInterrupt, VEC_BP), INT1: () => spec(softwareInterrupt, VEC_DB),
  INTO: () => spec(into), IRET: (_row, o32) => spec(iret, size16or32(o32)),
  BOUND: (row, o32) => spec(bound, sizeOf(row.operands[0], o32)),
  SETcc: (row) => spec(setcc, row.cc),
};
