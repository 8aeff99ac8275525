/** ALU instructions: ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC NEG NOT, XADD CMPXCHG. */
import { LAZY_ADD, LAZY_LOGIC, LAZY_SUB, lazyCF, setLazy, setLazyKeepCF } from './flags.js';
import type { CpuBase } from './cpu-base.js';
import {
  fetchImm, getReg, loadE, maskOf, readE, regField, setReg, signExtend, sizeOf, spec, type SpecFactory, storeE,
} from './operands.js';

export const ALU_ADD = 0, ALU_OR = 1, ALU_ADC = 2, ALU_SBB = 3, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7, ALU_TEST = 8;

/** One ALU operation with its lazy flags; returns the result truncated to `size`. Kept small so it inlines. */
export function alu(c: CpuBase, op: number, a: number, b: number, size: number): number {
  const mask = maskOf(size);
  let r: number;
  let kind = LAZY_LOGIC;
  switch (op) {
    case ALU_ADD: r = (a + b) & mask; kind = LAZY_ADD; break;
    case ALU_ADC: r = (a + b + lazyCF(c)) & mask; kind = LAZY_ADD; break;
    case ALU_SBB: r = (a - b - lazyCF(c)) & mask; kind = LAZY_SUB; break;
    case ALU_SUB: case ALU_CMP: r = (a - b) & mask; kind = LAZY_SUB; break;
    case ALU_OR: r = a | b; break;
    case ALU_XOR: r = a ^ b; break;
    default: r = a & b; break; // AND, TEST
  }
  setLazy(c, kind, r, a, b, size);
  return r;
}

/** CMP and TEST only set flags. */
function writes(op: number): boolean {
  return op !== ALU_CMP && op !== ALU_TEST;
}

/** op E, G */
export function aluEG(c: CpuBase, op: number, size: number): void {
  const b = getReg(c, size, regField(c));
  const r = alu(c, op, writes(op) ? loadE(c, size) : readE(c, size), b, size);
  if (writes(op)) storeE(c, size, r);
}

/** op G, E */
export function aluGE(c: CpuBase, op: number, size: number): void {
  const reg = regField(c);
  const b = readE(c, size);
  const r = alu(c, op, getReg(c, size, reg), b, size);
  if (writes(op)) setReg(c, size, reg, r);
}

/** op AL/eAX, imm */
export function aluAccImm(c: CpuBase, op: number, size: number): void {
  const b = fetchImm(c, size);
  const r = alu(c, op, getReg(c, size, 0), b, size);
  if (writes(op)) setReg(c, size, 0, r);
}

/** op E, imm (the immediate follows the displacement) */
export function aluEImm(c: CpuBase, op: number, size: number): void {
  const a = writes(op) ? loadE(c, size) : readE(c, size);
  const r = alu(c, op, a, fetchImm(c, size), size);
  if (writes(op)) storeE(c, size, r);
}

/** op Ev, Ibs: a sign-extended byte immediate */
export function aluEImm8s(c: CpuBase, op: number, size: number): void {
  const a = writes(op) ? loadE(c, size) : readE(c, size);
  const b = signExtend(c.fetch8(), 8) & maskOf(size);
  const r = alu(c, op, a, b, size);
  if (writes(op)) storeE(c, size, r);
}

function binary(op: number): SpecFactory {
  return (row, o32) => {
    const [dst, src] = row.operands;
    const size = sizeOf(dst, o32);
    if (dst[0] === 'E' && src[0] === 'G') return spec(aluEG, op, size);
    if (dst[0] === 'G' && src[0] === 'E') return spec(aluGE, op, size);
    if (dst === 'AL' || dst === 'eAX') return spec(aluAccImm, op, size);
    if (dst[0] === 'E' && src === 'Ibs') return spec(aluEImm8s, op, size);
    if (dst[0] === 'E' && src[0] === 'I') return spec(aluEImm, op, size);
    return undefined;
  };
}

/** INC/DEC of the register in the opcode (40+r, 48+r). */
export function incDecReg(c: CpuBase, reg: number, size: number, sub: number): void {
  const a = getReg(c, size, reg);
  const r = (sub ? a - 1 : a + 1) & maskOf(size);
  setLazyKeepCF(c, sub ? LAZY_SUB : LAZY_ADD, r, a, size);
  setReg(c, size, reg, r);
}

/** INC/DEC of r/m (FE/FF /0, /1). */
export function incDecE(c: CpuBase, size: number, sub: number): void {
  const a = loadE(c, size);
  const r = (sub ? a - 1 : a + 1) & maskOf(size);
  setLazyKeepCF(c, sub ? LAZY_SUB : LAZY_ADD, r, a, size);
  storeE(c, size, r);
}

function incDec(sub: number): SpecFactory {
  return (row, o32) => {
    const operand = row.operands[0];
    const size = sizeOf(operand, o32);
    return operand[0] === 'Z' ? spec(incDecReg, row.opcode & 7, size, sub) : spec(incDecE, size, sub);
  };
}

export function neg(c: CpuBase, size: number): void {
  const a = loadE(c, size);
  const r = -a & maskOf(size);
  setLazy(c, LAZY_SUB, r, 0, a, size);
  storeE(c, size, r);
}

export function not(c: CpuBase, size: number): void {
  storeE(c, size, ~loadE(c, size) & maskOf(size));
}

/** XADD: exchange and add (486). */
export function xadd(c: CpuBase, size: number): void {
  const reg = regField(c);
  const a = loadE(c, size);
  const r = alu(c, ALU_ADD, a, getReg(c, size, reg), size);
  storeE(c, size, r);
  setReg(c, size, reg, a);
}

/** CMPXCHG: accumulator equal to the destination → store the source, else load the accumulator (486). */
export function cmpxchg(c: CpuBase, size: number): void {
  const src = getReg(c, size, regField(c));
  const dst = loadE(c, size);
  const acc = getReg(c, size, 0);
  alu(c, ALU_CMP, acc, dst, size);
  if (acc === dst) storeE(c, size, src);
  else {
    storeE(c, size, dst); // the processor always writes the destination
    setReg(c, size, 0, dst);
  }
}

const sized = (template: (c: CpuBase, size: number) => void): SpecFactory => (row, o32) => spec(template, sizeOf(row.operands[0], o32));

export const aluOps: Record<string, SpecFactory> = {
  ADD: binary(ALU_ADD), OR: binary(ALU_OR), ADC: binary(ALU_ADC), SBB: binary(ALU_SBB),
  AND: binary(ALU_AND), SUB: binary(ALU_SUB), XOR: binary(ALU_XOR), CMP: binary(ALU_CMP), TEST: binary(ALU_TEST),
  INC: incDec(0), DEC: incDec(1), NEG: sized(neg), NOT: sized(not), XADD: sized(xadd), CMPXCHG: sized(cmpxchg),
};
