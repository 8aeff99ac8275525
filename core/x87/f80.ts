import type { Wide } from './wide.js';

/**
 * The x87 80-bit extended format, held as three unsigned 32-bit numbers: `se` (sign bit 15, biased
 * exponent bits 0-14), `hi` and `lo` (the 64-bit significand with its explicit integer bit at hi bit 31).
 * No BigInt and no doubles for results: every operation works on these words, so results are exact to the
 * last bit. An F80Context carries the control word's rounding and precision control, the sticky exception
 * flags it accumulates, and the result of the last operation (returned in fields, so nothing is allocated).
 */

/** Rounding control, as in control-word bits 10-11. */
export const Rounding = { NEAREST: 0, DOWN: 1, UP: 2, ZERO: 3 } as const;

/** Precision control, as in control-word bits 8-9 (1 is reserved; we treat it as 64 bits). */
export const Precision = { P24: 0, P53: 2, P64: 3 } as const;

/** Status-word bits: the six sticky exception flags and the four condition codes. */
export const Status = {
  IE: 0x0001,
  DE: 0x0002,
  ZE: 0x0004,
  OE: 0x0008,
  UE: 0x0010,
  PE: 0x0020,
  SF: 0x0040,
  C0: 0x0100,
  C1: 0x0200,
  C2: 0x0400,
  C3: 0x4000,
} as const;

export const EXP_MASK = 0x7fff;
export const EXP_BIAS = 0x3fff;
export const SIGN = 0x8000;
/** Integer bit / quiet bit of the high significand word. */
export const J_BIT = 0x80000000;
export const QUIET_BIT = 0x40000000;
/** The "real indefinite" QNaN, FFFF C000000000000000: the masked response to an invalid operation. */
export const INDEFINITE_SE = 0xffff;
export const INDEFINITE_HI = 0xc0000000;

const TWO32 = 4294967296;
const INV32 = 1 / TWO32;

/**
 * One x87 arithmetic unit's state. Results of the last operation are in se/hi/lo (and se2/hi2/lo2 for
 * operations with two results, e.g. FXTRACT); `flags` accumulates IE..PE until the caller clears it;
 * `cc` holds the condition bits (C0 C1 C2 C3, status-word positions) the last operation produced — C1 is
 * "rounded up" after arithmetic. The remaining fields are scratch for multiword helpers.
 *
 * Every word passed in or returned is an unsigned 32-bit number (as f80Hi/f80Lo give them); `se` is
 * 0..0xFFFF. Hot operations are small wrappers (inlined by the JIT) that park their operands in the
 * aSE..bLo fields and call the implementation, so no word is ever boxed on the way. An implementation
 * reads the parked words into locals once (`const { aSE, aHi, aLo, bSE, bHi, bLo } = c`) and passes
 * them to the small helpers below: reading the fields again costs more than it looks (instruction
 * counts: ~5% on FADD, 9% on FMUL).
 */
export class F80Context {
  rc = 0;
  pc = Precision.P64 as number;
  /** Significand bits the precision control keeps (24, 53 or 64). */
  precBits = 64;
  flags = 0;
  cc = 0;
  se = 0;
  hi = 0;
  lo = 0;
  se2 = 0;
  hi2 = 0;
  lo2 = 0;
  /**
   * Operands parked by the public wrappers: V8 keeps 32-bit words above 2^30 unboxed in fields, while
   * passing them to a function that is not inlined allocates a HeapNumber per word.
   */
  aSE = 0;
  aHi = 0;
  aLo = 0;
  bSE = 0;
  bHi = 0;
  bLo = 0;
  // scratch: 96-bit shift results, normalised operands, 32x32 product high word, division remainder
  w2 = 0;
  w1 = 0;
  w0 = 0;
  nExp = 0;
  nHi = 0;
  nLo = 0;
  /** The parked operands normalised by normalizeOperands. */
  aExpN = 0;
  aHiN = 0;
  aLoN = 0;
  bExpN = 0;
  bHiN = 0;
  bLoN = 0;
  mulHi = 0;
  rHi = 0;
  rLo = 0;
  /** The transcendental functions' 96-bit registers, made on first use (trans.ts). */
  wide: Wide | null = null;

  /** Take RC and PC from an x87 control word. */
  setControlWord(cw: number): void {
    this.rc = (cw >> 10) & 3;
    this.pc = (cw >> 8) & 3;
    this.precBits = this.pc === 0 ? 24 : this.pc === 2 ? 53 : 64;
  }

  setResult(se: number, hi: number, lo: number): void {
    this.se = se;
    this.hi = hi;
    this.lo = lo;
  }

  /** The second result (FXTRACT, FSINCOS). */
  setResult2(se: number, hi: number, lo: number): void {
    this.se2 = se;
    this.hi2 = hi;
    this.lo2 = lo;
  }

  /** Both results the same: a two-result operation whose answer is a NaN or the indefinite. */
  copyResultTo2(): void {
    this.setResult2(this.se, this.hi, this.lo);
  }

  setIndefinite(): void {
    this.se = INDEFINITE_SE;
    this.hi = INDEFINITE_HI;
    this.lo = 0;
  }

  /** Park operand a (and b) for an implementation that reads them from the fields. */
  setA(se: number, hi: number, lo: number): void {
    this.aSE = se;
    this.aHi = hi;
    this.aLo = lo;
  }

  setB(se: number, hi: number, lo: number): void {
    this.bSE = se;
    this.bHi = hi;
    this.bLo = lo;
  }

  setOperands(aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
    this.setA(aSE, aHi, aLo);
    this.setB(bSE, bHi, bLo);
  }

  /** Raise IE and return the real indefinite. */
  invalid(): void {
    this.flags |= Status.IE;
    this.setIndefinite();
  }
}

// ---------------------------------------------------------------------------------------------------
// Memory: 10 bytes, little-endian significand then sign+exponent (the layout FSTP m80 writes).

export function f80SE(m: Uint8Array, off: number): number {
  return m[off + 8]! | (m[off + 9]! << 8);
}
export function f80Hi(m: Uint8Array, off: number): number {
  return (m[off + 4]! | (m[off + 5]! << 8) | (m[off + 6]! << 16) | (m[off + 7]! << 24)) >>> 0;
}
export function f80Lo(m: Uint8Array, off: number): number {
  return (m[off]! | (m[off + 1]! << 8) | (m[off + 2]! << 16) | (m[off + 3]! << 24)) >>> 0;
}

/** Load an f80 from memory into the context's result fields. */
export function loadF80(c: F80Context, m: Uint8Array, off: number): void {
  c.se = f80SE(m, off);
  c.hi = f80Hi(m, off);
  c.lo = f80Lo(m, off);
}

export function storeF80(m: Uint8Array, off: number, se: number, hi: number, lo: number): void {
  m[off] = lo;
  m[off + 1] = lo >>> 8;
  m[off + 2] = lo >>> 16;
  m[off + 3] = lo >>> 24;
  m[off + 4] = hi;
  m[off + 5] = hi >>> 8;
  m[off + 6] = hi >>> 16;
  m[off + 7] = hi >>> 24;
  m[off + 8] = se;
  m[off + 9] = se >>> 8;
}

// ---------------------------------------------------------------------------------------------------
// Classification. The x87 only accepts encodings whose integer bit matches the exponent; unnormals,
// pseudo-NaNs and pseudo-infinities are "unsupported" and raise IE. Pseudo-denormals (exponent 0,
// integer bit set) are accepted as denormal operands (DE) with the exponent of the smallest normal, as
// the 387 and later do (Intel SDM vol. 1 §8.2.2).

export function isNaNF80(se: number, hi: number, lo: number): boolean {
  return (se & EXP_MASK) === EXP_MASK && hi >>> 31 === 1 && ((hi & 0x7fffffff) | lo) !== 0;
}
export function isSNaNF80(se: number, hi: number, lo: number): boolean {
  return (se & EXP_MASK) === EXP_MASK && hi >>> 30 === 2 && ((hi & 0x3fffffff) | lo) !== 0;
}
export function isInfF80(se: number, hi: number, lo: number): boolean {
  return (se & EXP_MASK) === EXP_MASK && hi === J_BIT && lo === 0;
}
/** Unnormal, pseudo-NaN or pseudo-infinity: an encoding the 387+ rejects with IE. */
export function isUnsupportedF80(se: number, hi: number): boolean {
  return (se & EXP_MASK) !== 0 && hi >>> 31 === 0;
}
export function isZeroF80(se: number, hi: number, lo: number): boolean {
  return (se & EXP_MASK) === 0 && (hi | lo) === 0;
}
/** Denormal or pseudo-denormal: exponent 0, significand non-zero. */
export function isDenormalF80(se: number, hi: number, lo: number): boolean {
  return (se & EXP_MASK) === 0 && (hi | lo) !== 0;
}

/** Magnitude exactly 1. */
export function isOneF80(se: number, hi: number, lo: number): boolean {
  return (se & EXP_MASK) === EXP_BIAS && hi === J_BIT && lo === 0;
}

/** DE if either operand is a denormal (or pseudo-denormal). */
export function flagDenormals(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  if (isDenormalF80(aSE, aHi, aLo) || isDenormalF80(bSE, bHi, bLo)) c.flags |= Status.DE;
}

/** Special operands (exponent 0x7FFF or unsupported) need the slow path; zeros and denormals too. */
export function isSpecialF80(se: number, hi: number): boolean {
  const e = se & EXP_MASK;
  return e === EXP_MASK || e === 0 || hi >>> 31 === 0;
}

// ---------------------------------------------------------------------------------------------------
// NaN handling (Intel SDM vol. 1 table 4-7): an SNaN raises IE and is quieted; of two NaNs a QNaN beats
// an SNaN, otherwise the larger significand wins (the positive one on a tie).

/** Quiet a NaN operand into the result; IE if it was signalling. */
export function propagateNaN1(c: F80Context, se: number, hi: number, lo: number): void {
  if ((hi & QUIET_BIT) === 0) c.flags |= Status.IE;
  c.setResult(se, (hi | 0xc0000000) >>> 0, lo);
}

/** Result of an operation where at least one of the parked operands is a NaN (both supported encodings). */
export function propagateNaN2(c: F80Context): void {
  const { aSE, aHi, aLo, bSE, bHi, bLo } = c;
  const aNaN = isNaNF80(aSE, aHi, aLo);
  const bNaN = isNaNF80(bSE, bHi, bLo);
  const aSig = aNaN && (aHi & QUIET_BIT) === 0;
  const bSig = bNaN && (bHi & QUIET_BIT) === 0;
  if (aSig || bSig) c.flags |= Status.IE;
  let pickA: boolean;
  if (!bNaN) pickA = true;
  else if (!aNaN) pickA = false;
  else if (aSig !== bSig) pickA = bSig;
  else if (aHi !== bHi) pickA = aHi > bHi;
  else if (aLo !== bLo) pickA = aLo > bLo;
  else pickA = aSE < bSE;
  if (pickA) c.setResult(aSE, (aHi | 0xc0000000) >>> 0, aLo);
  else c.setResult(bSE, (bHi | 0xc0000000) >>> 0, bLo);
}

/**
 * The common front of every two-operand arithmetic operation on the parked operands: clears the
 * condition codes, then unsupported encodings → indefinite, NaNs → propagated. Returns true if the
 * result is already set (after it, a parked exponent of 0x7FFF means ∞).
 */
export function binaryNaNs(c: F80Context): boolean {
  c.cc = 0;
  if ((c.aSE & EXP_MASK) !== EXP_MASK && (c.bSE & EXP_MASK) !== EXP_MASK && c.aHi >= J_BIT && c.bHi >= J_BIT) {
    return false; // fast path: both exponents below 0x7FFF with the integer bit set
  }
  if (isUnsupportedF80(c.aSE, c.aHi) || isUnsupportedF80(c.bSE, c.bHi)) {
    c.invalid();
    return true;
  }
  if (isNaNF80(c.aSE, c.aHi, c.aLo) || isNaNF80(c.bSE, c.bHi, c.bLo)) {
    propagateNaN2(c);
    return true;
  }
  return false;
}

/** The same front for one operand: clears the condition codes; unsupported → IE; NaN → propagated. */
export function unaryNaNs(c: F80Context, se: number, hi: number, lo: number): boolean {
  c.cc = 0;
  if (isUnsupportedF80(se, hi)) {
    c.invalid();
    return true;
  }
  if (isNaNF80(se, hi, lo)) {
    propagateNaN1(c, se, hi, lo);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Multiword helpers on 32-bit words.

/** Exact 32×32→64 product: returns the low word, leaves the high word in c.mulHi. */
export function mul32(c: F80Context, a: number, b: number): number {
  const a1 = a >>> 16;
  const a0 = a & 0xffff;
  const b1 = b >>> 16;
  const b0 = b & 0xffff;
  const m1 = a1 * b0; // each partial product < 2^32, so the bit operations below are exact
  const m2 = a0 * b1;
  const low = a0 * b0 + (m1 & 0xffff) * 65536 + (m2 & 0xffff) * 65536; // < 3 × 2^32
  const carry = Math.floor(low * INV32);
  c.mulHi = a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + carry;
  return low - carry * TWO32;
}

/** Leading zeros of a 64-bit value (64 for zero). */
export function clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

/** Shift the 96-bit value hi:lo:ext right by n, ORing lost bits into bit 0 ("jamming"); into c.w2:w1:w0. */
export function shiftRightJam96(c: F80Context, hi: number, lo: number, ext: number, n: number): void {
  if (n >= 96) {
    c.w2 = 0;
    c.w1 = 0;
    c.w0 = (hi | lo | ext) !== 0 ? 1 : 0;
    return;
  }
  let sticky = 0;
  while (n >= 32) {
    sticky |= ext;
    ext = lo;
    lo = hi;
    hi = 0;
    n -= 32;
  }
  if (n > 0) {
    sticky |= ext << (32 - n);
    ext = ((ext >>> n) | (lo << (32 - n))) >>> 0;
    lo = ((lo >>> n) | (hi << (32 - n))) >>> 0;
    hi = hi >>> n;
  }
  c.w2 = hi;
  c.w1 = lo;
  c.w0 = (ext | (sticky !== 0 ? 1 : 0)) >>> 0;
}

/** Shift the 96-bit value hi:lo:ext left by n (< 96); into c.w2:w1:w0. */
export function shiftLeft96(c: F80Context, hi: number, lo: number, ext: number, n: number): void {
  while (n >= 32) {
    hi = lo;
    lo = ext;
    ext = 0;
    n -= 32;
  }
  if (n > 0) {
    hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    lo = ((lo << n) | (ext >>> (32 - n))) >>> 0;
    ext = (ext << n) >>> 0;
  }
  c.w2 = hi;
  c.w1 = lo;
  c.w0 = ext;
}

/**
 * Unpack a finite non-zero operand: c.nExp = biased exponent of the normalised significand (may be ≤ 0
 * for denormals), c.nHi:nLo = significand shifted so its top bit is set.
 */
export function normalize(c: F80Context, se: number, hi: number, lo: number): void {
  let e = se & EXP_MASK;
  if (e === 0) e = 1; // denormals and pseudo-denormals share the smallest normal's scale
  const z = clz64(hi, lo);
  if (z === 0) {
    c.nHi = hi;
    c.nLo = lo;
  } else if (z < 32) {
    c.nHi = ((hi << z) | (lo >>> (32 - z))) >>> 0;
    c.nLo = (lo << z) >>> 0;
  } else {
    c.nHi = (lo << (z - 32)) >>> 0;
    c.nLo = 0;
  }
  c.nExp = e - z;
}

/** Normalise both parked operands (finite or ∞, non-zero) into c.aExpN:aHiN:aLoN and c.bExpN:bHiN:bLoN. */
export function normalizeOperands(c: F80Context): void {
  normalize(c, c.bSE, c.bHi, c.bLo);
  c.bExpN = c.nExp;
  c.bHiN = c.nHi;
  c.bLoN = c.nLo;
  normalize(c, c.aSE, c.aHi, c.aLo);
  c.aExpN = c.nExp;
  c.aHiN = c.nHi;
  c.aLoN = c.nLo;
}

/** |a| against |b| for the normalised operands: 1, 0 or −1. */
export function compareMagnitudes(c: F80Context): number {
  if (c.aExpN !== c.bExpN) return c.aExpN > c.bExpN ? 1 : -1;
  if (c.aHiN !== c.bHiN) return c.aHiN > c.bHiN ? 1 : -1;
  if (c.aLoN !== c.bLoN) return c.aLoN > c.bLoN ? 1 : -1;
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// Rounding. One routine serves the register format under precision control and the memory formats
// (f32/f64): the exponent is biased for the target, the significand is always 64 bits + 32 extra bits.

/** Does rounding add one unit in the last place? (lsb, half = first dropped bit, rest = any lower bit) */
export function roundsUp(rc: number, sign: number, lsb: number, half: number, rest: number): boolean {
  switch (rc) {
    case Rounding.NEAREST:
      return half !== 0 && (rest !== 0 || lsb !== 0);
    case Rounding.DOWN:
      return sign !== 0 && (half | rest) !== 0;
    case Rounding.UP:
      return sign === 0 && (half | rest) !== 0;
    default:
      return false;
  }
}

/** 0 = exact, 1 = inexact and truncated, 2 = inexact and incremented, at `prec` bits. */
function roundingOutcome(rc: number, sign: number, hi: number, lo: number, ext: number, prec: number): number {
  let lsb: number, half: number, rest: number;
  if (prec === 64) {
    lsb = lo & 1;
    half = ext >>> 31;
    rest = ext & 0x7fffffff;
  } else if (prec === 53) {
    lsb = (lo >>> 11) & 1;
    half = (lo >>> 10) & 1;
    rest = (lo & 0x3ff) | ext;
  } else {
    lsb = (hi >>> 8) & 1;
    half = (hi >>> 7) & 1;
    rest = (hi & 0x7f) | lo | ext;
  }
  if ((half | rest) === 0) return 0;
  return roundsUp(rc, sign, lsb, half, rest) ? 2 : 1;
}

/** Are all `prec` kept bits of hi:lo ones (so an increment carries out)? */
function keptAllOnes(hi: number, lo: number, prec: number): boolean {
  if (prec === 64) return hi === 0xffffffff && lo === 0xffffffff;
  if (prec === 53) return hi === 0xffffffff && lo >>> 11 === 0x1fffff;
  return hi >>> 8 === 0xffffff;
}

/**
 * Round sign × hi:lo:ext × 2^(exp − bias − 63) to `prec` bits for a format whose largest biased exponent
 * is maxExp, and pack it as sign<<15 | exp, hi, lo into c (overflow gives exponent maxExp+1 with
 * significand 8000…, i.e. infinity in the target's terms). hi's top bit must be set unless hi:lo:ext is
 * zero. Raises PE, UE (tiny after rounding and inexact: the masked response), OE; c.cc = C1 if the
 * magnitude was rounded up.
 */
export function roundPackTo(
  c: F80Context,
  sign: number,
  exp: number,
  hi: number,
  lo: number,
  ext: number,
  prec: number,
  maxExp: number,
): void {
  // The words travel through context fields: a call that is not inlined would box them otherwise.
  c.w2 = hi;
  c.w1 = lo;
  c.w0 = ext;
  roundPackWords(c, sign, exp, prec, maxExp);
}

/** roundPackTo with the significand already in c.w2:w1:w0. */
function roundPackWords(c: F80Context, sign: number, exp: number, prec: number, maxExp: number): void {
  let hi = c.w2;
  let lo = c.w1;
  let ext = c.w0;
  const s = sign !== 0 ? SIGN : 0;
  c.cc = 0;
  if ((hi | lo | ext) === 0) {
    c.setResult(s, 0, 0);
    return;
  }
  const rc = c.rc;
  let tiny = false;
  const denormal = exp <= 0;
  if (denormal) {
    // Tininess after rounding: would rounding with an unbounded exponent still stay below 2^emin?
    tiny = exp < 0 || !(keptAllOnes(hi, lo, prec) && roundingOutcome(rc, s, hi, lo, ext, prec) === 2);
    shiftRightJam96(c, hi, lo, ext, 1 - exp);
    hi = c.w2;
    lo = c.w1;
    ext = c.w0;
    exp = 0;
  }
  const outcome = roundingOutcome(rc, s, hi, lo, ext, prec);
  if (prec === 53) lo = (lo & ~0x7ff) >>> 0;
  else if (prec === 24) {
    hi = (hi & ~0xff) >>> 0;
    lo = 0;
  }
  if (outcome === 2) {
    const unitLo = prec === 64 ? 1 : prec === 53 ? 0x800 : 0;
    const unitHi = prec === 24 ? 0x100 : 0;
    let l = lo + unitLo;
    let h = hi + unitHi;
    if (l >= TWO32) {
      l -= TWO32;
      h += 1;
    }
    if (h >= TWO32) {
      h = J_BIT; // carried out of 64 bits: 1.000… at the next exponent
      exp += 1;
    }
    hi = h;
    lo = l;
  }
  if (denormal && hi >>> 31 !== 0) exp = 1;
  if (exp > maxExp) {
    c.flags |= Status.OE | Status.PE;
    const toInf = rc === Rounding.NEAREST || (rc === Rounding.DOWN && s !== 0) || (rc === Rounding.UP && s === 0);
    if (toInf) {
      c.setResult(s | (maxExp + 1), J_BIT, 0);
      c.cc = Status.C1;
    } else {
      c.setResult(s | maxExp, prec === 24 ? 0xffffff00 : 0xffffffff, prec === 64 ? 0xffffffff : prec === 53 ? 0xfffff800 : 0);
    }
    return;
  }
  if (outcome !== 0) {
    c.flags |= tiny ? Status.PE | Status.UE : Status.PE;
    if (outcome === 2) c.cc = Status.C1;
  }
  c.setResult(s | exp, hi, lo);
}

/** roundPackTo for the register format under the context's precision control. */
export function roundPack(c: F80Context, sign: number, exp: number, hi: number, lo: number, ext: number): void {
  // Parks the words itself rather than calling roundPackTo: one inlining level less on the hottest path.
  c.w2 = hi;
  c.w1 = lo;
  c.w0 = ext;
  roundPackWords(c, sign, exp, c.precBits, 0x7ffe);
}

/**
 * roundPackTo for the register format at 64 bits whatever PC says: FSCALE, the transcendentals and the
 * constants round under RC only.
 */
export function roundPack64(c: F80Context, sign: number, exp: number, hi: number, lo: number, ext: number): void {
  roundPackTo(c, sign, exp, hi, lo, ext, 64, 0x7ffe);
}

/** Normalise hi:lo:ext (any leading zeros) and round it; zero gives a zero of the given sign. */
export function normRoundPack(c: F80Context, sign: number, exp: number, hi: number, lo: number, ext: number, prec: number): void {
  if ((hi | lo | ext) === 0) {
    c.cc = 0;
    c.setResult(sign !== 0 ? SIGN : 0, 0, 0);
    return;
  }
  const z = hi !== 0 ? Math.clz32(hi) : lo !== 0 ? 32 + Math.clz32(lo) : 64 + Math.clz32(ext);
  if (z !== 0) shiftLeft96(c, hi, lo, ext, z);
  else {
    c.w2 = hi;
    c.w1 = lo;
    c.w0 = ext;
  }
  roundPackWords(c, sign, exp - z, prec, 0x7ffe);
}

/** The integer ±hi:lo (below 2^64) as an extended value: exact (FILD, FBLD, FRNDINT, FXTRACT). */
export function packInteger(c: F80Context, sign: number, hi: number, lo: number): void {
  normRoundPack(c, sign, EXP_BIAS + 63, hi, lo, 0, 64);
}
