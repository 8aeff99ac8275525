/**
 * String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE. The source is DS:eSI (the
 * segment may be overridden), the destination ES:eDI; eSI/eDI/eCX are 16- or 32-bit by address size.
 * A long REP runs in bursts: after REP_BURST iterations the instruction restarts itself, so interrupts
 * and the end of a time slice are not held off (the registers always hold the progress so far).
 */
import { DF, EFLAGS_INDEX, LZ_RESULT } from './flags.js';
import { type CpuBase, SEG_ES } from './cpu-base.js';
import { alu, ALU_CMP } from './ops-alu.js';
import { getReg, readMem, setReg, sizeOf, spec, type SpecFactory, writeMem } from './operands.js';

const REP_BURST = 4096;

const MOVS = 0, CMPS = 1, STOS = 2, LODS = 3, SCAS = 4, INS = 5, OUTS = 6;

function srcOffset(c: CpuBase): number {
  return c.a32 ? c.r32[6] >>> 0 : c.r16[12];
}

function dstOffset(c: CpuBase): number {
  return c.a32 ? c.r32[7] >>> 0 : c.r16[14];
}

function advance(c: CpuBase, reg: number, delta: number): void {
  if (c.a32) c.r32[reg] += delta;
  else c.r16[reg << 1] += delta;
}

/** One iteration: the accesses first (they may fault), then the index registers. */
function iterate(c: CpuBase, kind: number, size: number, delta: number): void {
  const bytes = size >> 3;
  switch (kind) {
    case MOVS: {
      const v = readMem(c, size, c.linear(c.dataSeg(), srcOffset(c), bytes));
      writeMem(c, size, c.linear(SEG_ES, dstOffset(c), bytes), v);
      advance(c, 6, delta);
      advance(c, 7, delta);
      return;
    }
    case CMPS: {
      const a = readMem(c, size, c.linear(c.dataSeg(), srcOffset(c), bytes));
      const b = readMem(c, size, c.linear(SEG_ES, dstOffset(c), bytes));
      alu(c, ALU_CMP, a, b, size);
      advance(c, 6, delta);
      advance(c, 7, delta);
      return;
    }
    case STOS:
      writeMem(c, size, c.linear(SEG_ES, dstOffset(c), bytes), getReg(c, size, 0));
      advance(c, 7, delta);
      return;
    case LODS:
      setReg(c, size, 0, readMem(c, size, c.linear(c.dataSeg(), srcOffset(c), bytes)));
      advance(c, 6, delta);
      return;
    case SCAS: {
      const b = readMem(c, size, c.linear(SEG_ES, dstOffset(c), bytes));
      alu(c, ALU_CMP, getReg(c, size, 0), b, size);
      advance(c, 7, delta);
      return;
    }
    case INS: {
      const lin = c.linear(SEG_ES, dstOffset(c), bytes);
      const port = c.r16[4];
      const v = size === 8 ? c.io.read8(port) : size === 16 ? c.io.read16(port) : c.io.read32(port);
      c.afterIo();
      writeMem(c, size, lin, v);
      advance(c, 7, delta);
      return;
    }
    default: { // OUTS
      const v = readMem(c, size, c.linear(c.dataSeg(), srcOffset(c), bytes));
      const port = c.r16[4];
      if (size === 8) c.io.write8(port, v);
      else if (size === 16) c.io.write16(port, v);
      else c.io.write32(port, v);
      c.afterIo();
      advance(c, 6, delta);
    }
  }
}

/** A string instruction of `kind` and operand `size`, with or without a REP prefix. */
export function stringOp(c: CpuBase, kind: number, size: number): void {
  const delta = c.st[EFLAGS_INDEX] & DF ? -(size >> 3) : size >> 3;
  if (c.rep === 0) {
    iterate(c, kind, size, delta);
    return;
  }
  let count = c.a32 ? c.r32[1] >>> 0 : c.r16[2];
  if (count === 0) return;
  const conditional = kind === CMPS || kind === SCAS;
  const whileEqual = c.rep === 0xf3;
  for (let burst = REP_BURST; ; ) {
    iterate(c, kind, size, delta);
    count--;
    if (c.a32) c.r32[1] = count;
    else c.r16[2] = count;
    if (count === 0) return;
    if (conditional && (c.lz[LZ_RESULT] === 0) !== whileEqual) return;
    if (--burst === 0) {
      c.ip = c.startIp; // not finished: execute the instruction again
      return;
    }
  }
}

function stringSpec(kind: number): SpecFactory {
  return (row, o32) => spec(stringOp, kind, sizeOf(row.operands[kind === OUTS ? 1 : 0], o32));
}

export const stringOps: Record<string, SpecFactory> = {
  MOVSB: stringSpec(MOVS), MOVSW: stringSpec(MOVS), CMPSB: stringSpec(CMPS), CMPSW: stringSpec(CMPS),
  STOSB: stringSpec(STOS), STOSW: stringSpec(STOS), LODSB: stringSpec(LODS), LODSW: stringSpec(LODS),
  SCASB: stringSpec(SCAS), SCASW: stringSpec(SCAS), INSB: stringSpec(INS), INSW: stringSpec(INS),
  OUTSB: stringSpec(OUTS), OUTSW: stringSpec(OUTS),
};
