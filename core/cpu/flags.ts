/**
 * Lazy arithmetic flags (DESIGN §2): an ALU operation records its kind, operands, result and size in the
 * LAZY_* words of the state block instead of computing six flags; a flag is computed only when something
 * reads it (a Jcc, PUSHF, an interrupt). LAZY_MASK says which of CF PF AF ZF SF OF are lazy; the others
 * are in EFLAGS. Operands and result are stored truncated to the operation's size.
 */
import { Layout } from '../layout.js';

export const CF = 1 << 0;
export const PF = 1 << 2;
export const AF = 1 << 4;
export const ZF = 1 << 6;
export const SF = 1 << 7;
export const TF = 1 << 8;
export const IF = 1 << 9;
export const DF = 1 << 10;
export const OF = 1 << 11;
export const IOPL = 3 << 12;
export const NT = 1 << 14;
export const RF = 1 << 16;
export const VM = 1 << 17;
export const AC = 1 << 18;
export const ID = 1 << 21;
/** The six arithmetic flags. */
export const ARITH = CF | PF | AF | ZF | SF | OF;

/** Kinds of lazy operation (LAZY_OP). */
export const LAZY_ADD = 1;
export const LAZY_SUB = 2;
/** AND/OR/XOR/TEST: CF = OF = AF = 0. */
export const LAZY_LOGIC = 3;
/** Only SF ZF PF come from the result (the other flags were written eagerly). */
export const LAZY_RESULT = 4;

/** Indices into the Int32Array view of the lazy words (LAZY_OP … LAZY_MASK, consecutive). */
export const LZ_OP = 0;
export const LZ_RESULT = (Layout.LAZY_RESULT - Layout.LAZY_OP) >> 2;
export const LZ_SRC1 = (Layout.LAZY_SRC1 - Layout.LAZY_OP) >> 2;
export const LZ_SRC2 = (Layout.LAZY_SRC2 - Layout.LAZY_OP) >> 2;
export const LZ_SIZE = (Layout.LAZY_SIZE - Layout.LAZY_OP) >> 2;
export const LZ_MASK = (Layout.LAZY_MASK - Layout.LAZY_OP) >> 2;
/** EFLAGS as an index into the Int32Array view of the whole state block. */
export const EFLAGS_INDEX = Layout.EFLAGS >> 2;

/** PF for each byte value: 1 when the number of set bits is even. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let b = i; b; b >>= 1) bits += b & 1;
  PARITY[i] = bits & 1 ? 0 : 1;
}

/** What the flag functions need: the two typed-array views. */
export interface FlagState {
  /** The whole state block as Int32 words. */
  readonly st: Int32Array;
  /** The six lazy words. */
  readonly lz: Int32Array;
}

export function lazyCF(c: FlagState): number {
  const lz = c.lz;
  if ((lz[LZ_MASK] & CF) === 0) return c.st[EFLAGS_INDEX] & CF;
  const a = lz[LZ_SRC1], b = lz[LZ_SRC2], r = lz[LZ_RESULT];
  switch (lz[LZ_OP]) {
    case LAZY_ADD: return (((a & b) | ((a | b) & ~r)) >>> (lz[LZ_SIZE] - 1)) & 1;
    case LAZY_SUB: return (((~a & b) | ((~a | b) & r)) >>> (lz[LZ_SIZE] - 1)) & 1;
    default: return 0;
  }
}

export function lazyZF(c: FlagState): number {
  const lz = c.lz;
  if ((lz[LZ_MASK] & ZF) === 0) return (c.st[EFLAGS_INDEX] >> 6) & 1;
  return lz[LZ_RESULT] === 0 ? 1 : 0;
}

export function lazySF(c: FlagState): number {
  const lz = c.lz;
  if ((lz[LZ_MASK] & SF) === 0) return (c.st[EFLAGS_INDEX] >> 7) & 1;
  return (lz[LZ_RESULT] >>> (lz[LZ_SIZE] - 1)) & 1;
}

export function lazyOF(c: FlagState): number {
  const lz = c.lz;
  if ((lz[LZ_MASK] & OF) === 0) return (c.st[EFLAGS_INDEX] >> 11) & 1;
  const a = lz[LZ_SRC1], b = lz[LZ_SRC2], r = lz[LZ_RESULT];
  switch (lz[LZ_OP]) {
    case LAZY_ADD: return (((a ^ r) & (b ^ r)) >>> (lz[LZ_SIZE] - 1)) & 1;
    case LAZY_SUB: return (((a ^ b) & (a ^ r)) >>> (lz[LZ_SIZE] - 1)) & 1;
    default: return 0;
  }
}

export function lazyPF(c: FlagState): number {
  const lz = c.lz;
  if ((lz[LZ_MASK] & PF) === 0) return (c.st[EFLAGS_INDEX] >> 2) & 1;
  return PARITY[lz[LZ_RESULT] & 0xff];
}

export function lazyAF(c: FlagState): number {
  const lz = c.lz;
  if ((lz[LZ_MASK] & AF) === 0) return (c.st[EFLAGS_INDEX] >> 4) & 1;
  const op = lz[LZ_OP];
  if (op !== LAZY_ADD && op !== LAZY_SUB) return 0;
  return ((lz[LZ_SRC1] ^ lz[LZ_SRC2] ^ lz[LZ_RESULT]) >>> 4) & 1;
}

/** Full EFLAGS with the lazy flags resolved. */
export function readFlags(c: FlagState): number {
  const f = c.st[EFLAGS_INDEX];
  const mask = c.lz[LZ_MASK];
  if (mask === 0) return f;
  const computed = lazyCF(c) | (lazyPF(c) << 2) | (lazyAF(c) << 4) | (lazyZF(c) << 6) | (lazySF(c) << 7) | (lazyOF(c) << 11);
  return (f & ~mask) | (computed & mask);
}

/** Resolves every lazy flag into EFLAGS (before an instruction changes some flags and keeps others). */
export function materialize(c: FlagState): void {
  if (c.lz[LZ_MASK] === 0) return;
  c.st[EFLAGS_INDEX] = readFlags(c);
  c.lz[LZ_MASK] = 0;
}

/** Records an operation whose six flags are all lazy. */
export function setLazy(c: FlagState, op: number, result: number, a: number, b: number, size: number): void {
  const lz = c.lz;
  lz[LZ_OP] = op;
  lz[LZ_RESULT] = result;
  lz[LZ_SRC1] = a;
  lz[LZ_SRC2] = b;
  lz[LZ_SIZE] = size;
  lz[LZ_MASK] = ARITH;
}

/** INC/DEC: like ADD/SUB of 1 but CF is kept. */
export function setLazyKeepCF(c: FlagState, op: number, result: number, a: number, size: number): void {
  const cf = lazyCF(c);
  const st = c.st;
  st[EFLAGS_INDEX] = (st[EFLAGS_INDEX] & ~CF) | cf;
  const lz = c.lz;
  lz[LZ_OP] = op;
  lz[LZ_RESULT] = result;
  lz[LZ_SRC1] = a;
  lz[LZ_SRC2] = 1;
  lz[LZ_SIZE] = size;
  lz[LZ_MASK] = ARITH & ~CF;
}

/**
 * Shifts, rotates, multiplies, BCD: the caller computes some flags itself (`eager`, the bits in
 * `eagerMask`); SF ZF PF come lazily from the result when `szp` is set.
 */
export function setEager(c: FlagState, eagerMask: number, eager: number, result: number, size: number, szp: boolean): void {
  const st = c.st;
  const lz = c.lz;
  if (szp) {
    // Resolve flags that are lazy now but neither recomputed nor in the new lazy set, so they survive.
    const keep = lz[LZ_MASK] & ~eagerMask & ~(SF | ZF | PF);
    if (keep) st[EFLAGS_INDEX] = (st[EFLAGS_INDEX] & ~keep) | (readFlags(c) & keep);
    st[EFLAGS_INDEX] = (st[EFLAGS_INDEX] & ~eagerMask) | (eager & eagerMask);
    lz[LZ_OP] = LAZY_RESULT;
    lz[LZ_RESULT] = result;
    lz[LZ_SIZE] = size;
    lz[LZ_MASK] = SF | ZF | PF;
  } else {
    materialize(c);
    st[EFLAGS_INDEX] = (st[EFLAGS_INDEX] & ~eagerMask) | (eager & eagerMask);
  }
}

/** Evaluates condition code 0-15 (Jcc/SETcc/CMOVcc). */
export function condition(c: FlagState, cc: number): boolean {
  let r: number;
  switch (cc >> 1) {
    case 0: r = lazyOF(c); break;
    case 1: r = lazyCF(c); break;
    case 2: r = lazyZF(c); break;
    case 3: r = lazyCF(c) | lazyZF(c); break;
    case 4: r = lazySF(c); break;
    case 5: r = lazyPF(c); break;
    case 6: r = lazySF(c) ^ lazyOF(c); break;
    default: r = (lazySF(c) ^ lazyOF(c)) | lazyZF(c); break;
  }
  return (r ^ (cc & 1)) !== 0;
}
