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
import { fastIndex } from './paging.js';
import { checkIoPermission } from './privilege.js';

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
      writeMem(c, size, c.linearW(SEG_ES, dstOffset(c), bytes), v);
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
      writeMem(c, size, c.linearW(SEG_ES, dstOffset(c), bytes), getReg(c, size, 0));
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
      const lin = c.linearW(SEG_ES, dstOffset(c), bytes);
      const port = c.r16[4];
      checkIoPermission(c, port, bytes);
      const v = size === 8 ? c.io.read8(port) : size === 16 ? c.io.read16(port) : c.io.read32(port);
      c.afterIo();
      writeMem(c, size, lin, v);
      advance(c, 7, delta);
      return;
    }
    default: { // OUTS
      const v = readMem(c, size, c.linear(c.dataSeg(), srcOffset(c), bytes));
      const port = c.r16[4];
      checkIoPermission(c, port, bytes);
      if (size === 8) c.io.write8(port, v);
      else if (size === 16) c.io.write16(port, v);
      else c.io.write32(port, v);
      c.afterIo();
      advance(c, 6, delta);
    }
  }
}

/**
 * Up to `max` forward MOVS/STOS elements that stay inside one page of each operand, inside the segment
 * bounds and below the 16-bit offset wrap, where the TLB already allows the fast path (a RAM destination,
 * a RAM or ROM source): done directly on the RAM bytes, element by element in order (so overlapping copies
 * behave as on hardware). Returns how many were done (0: take the one-element path, which handles faults,
 * TLB misses and everything else).
 */
function bulkForward(c: CpuBase, kind: number, size: number, max: number): number {
  const bytes = size >> 3;
  const dOff = dstOffset(c);
  let n = elementsBefore(c, SEG_ES, dOff, c.segHiW[SEG_ES], bytes, max);
  if (n === 0) return 0;
  const d = fastIndex(c, (c.bases[SEG_ES] + dOff) >>> 0, true);
  if (d < 0) return 0;
  const u8 = c.u8;
  if (kind === STOS) {
    const v = getReg(c, size, 0);
    if (size === 8) u8.fill(v, d, d + n);
    else for (let i = 0; i < n * bytes; i++) u8[d + i] = v >> ((i % bytes) * 8);
    advance(c, 7, n * bytes);
    return n;
  }
  const seg = c.dataSeg();
  const sOff = srcOffset(c);
  n = elementsBefore(c, seg, sOff, c.segHiR[seg], bytes, n);
  if (n === 0) return 0;
  const src = fastIndex(c, (c.bases[seg] + sOff) >>> 0, false);
  if (src < 0) return 0;
  // A destination less than one element above the source: each element is read before it is written,
  // which a byte loop would not reproduce; leave that to the one-element path.
  if (d > src && d - src < bytes) return 0;
  const total = n * bytes;
  for (let i = 0; i < total; i++) u8[d + i] = u8[src + i];
  advance(c, 6, total);
  advance(c, 7, total);
  return n;
}

/** How many forward elements from seg:off fit before the page end, the segment bound `hi` and the offset wrap (at most `max`). */
function elementsBefore(c: CpuBase, seg: number, off: number, hi: number, bytes: number, max: number): number {
  if (off < c.segLo[seg]) return 0;
  const lin = (c.bases[seg] + off) >>> 0;
  let room = 0x1000 - (lin & 0xfff);
  const limitRoom = hi - off + 1;
  if (limitRoom < room) room = limitRoom;
  if (!c.a32 && 0x10000 - off < room) room = 0x10000 - off;
  const n = Math.floor(room / bytes);
  return n < max ? Math.max(0, n) : max;
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
  const bulk = delta > 0 && (kind === MOVS || kind === STOS);
  for (let burst = REP_BURST; ; ) {
    // Forward MOVS/STOS within RAM pages: many elements at once, without per-element translation.
    const done = bulk ? bulkForward(c, kind, size, Math.min(count, burst)) : 0;
    if (done > 0) {
      count -= done;
      burst -= done;
      if (c.a32) c.r32[1] = count;
      else c.r16[2] = count;
      if (count === 0) return;
      if (burst <= 0) {
        c.ip = c.startIp;
        return;
      }
      continue;
    }
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
