/**
 * A small floating point with a 96-bit significand, for the transcendental functions: enough guard
 * bits that one final rounding to the 64-bit extended format is almost always the correctly rounded
 * result. Values live in a register file (a Float64Array, five slots per register: sign, exponent,
 * three significand words), so nothing is allocated per operation.
 *
 * A register holds (−1)^sign × m × 2^(e − 95), m = m2:m1:m0 with m2's top bit set; m2 = 0 means zero.
 * Operations truncate (each error is below one unit of the 96th bit) but keep lost bits "sticky" in
 * bit 0, so the final rounding knows an inexact value from an exact one; exponents are unbounded.
 */
import { EXP_BIAS, EXP_MASK, F80Context, roundPack64 } from './f80.js';

const TWO32 = 4294967296;
const INV32 = 1 / TWO32;

/** Register slots. */
const SIGN = 0;
const EXP = 1;
const M2 = 2;
const M1 = 3;
const M0 = 4;

/** Registers the division and square root use internally (the top of the file). */
const T0 = 0;
const T1 = 1;
const T2 = 2;
const ONE = 3;
const INTERNAL = 4;

export class Wide {
  readonly r: Float64Array;
  private readonly base: number;
  /** 128-bit working value for pack(). */
  q3 = 0;
  q2 = 0;
  q1 = 0;
  q0 = 0;
  mulHi = 0;
  /** mulW's six 32-bit columns, least significant first. */
  readonly columns = new Float64Array(6);
  private readonly bits = new DataView(new ArrayBuffer(8));

  /** `registers` for the caller (numbered from 0); a few more are kept for internal use. */
  constructor(registers: number) {
    this.r = new Float64Array((registers + INTERNAL) * 5);
    this.base = registers;
    setWords(this, this.base + ONE, 0, 0, 0x80000000, 0, 0);
  }

  /** The index of an internal register. */
  internal(i: number): number {
    return this.base + i;
  }

  /** Bits of a double, for setDouble. */
  doubleBits(x: number): void {
    this.bits.setFloat64(0, x);
    this.q1 = this.bits.getUint32(0);
    this.q0 = this.bits.getUint32(4);
  }
}

export function isZeroW(w: Wide, a: number): boolean {
  return w.r[a * 5 + M2] === 0;
}
export function signW(w: Wide, a: number): number {
  return w.r[a * 5 + SIGN]!;
}
export function expW(w: Wide, a: number): number {
  return w.r[a * 5 + EXP]!;
}
/** The significand as a double in [1, 2) (zero for zero). */
export function mantW(w: Wide, a: number): number {
  const o = a * 5;
  return w.r[o + M2]! * 2 ** -31 + w.r[o + M1]! * 2 ** -63;
}

export function setWords(w: Wide, d: number, sign: number, e: number, m2: number, m1: number, m0: number): void {
  const r = w.r;
  const o = d * 5;
  r[o + SIGN] = sign;
  r[o + EXP] = e;
  r[o + M2] = m2;
  r[o + M1] = m1;
  r[o + M0] = m0;
}

export function copyW(w: Wide, d: number, a: number): void {
  const r = w.r;
  const o = a * 5;
  setWords(w, d, r[o]!, r[o + EXP]!, r[o + M2]!, r[o + M1]!, r[o + M0]!);
}

export function negW(w: Wide, d: number, a: number): void {
  copyW(w, d, a);
  w.r[d * 5 + SIGN] = 1 - w.r[d * 5 + SIGN]!;
}

export function absW(w: Wide, d: number, a: number): void {
  copyW(w, d, a);
  w.r[d * 5 + SIGN] = 0;
}

/** Scale by 2^k. */
export function scaleW(w: Wide, d: number, a: number, k: number): void {
  copyW(w, d, a);
  w.r[d * 5 + EXP] = w.r[d * 5 + EXP]! + k;
}

/** Normalise the 128-bit w.q3:q2:q1:q0 × 2^(e − 127) into register d (96 bits, lost bits sticky). */
function pack(w: Wide, d: number, sign: number, e: number): void {
  let q3 = w.q3;
  let q2 = w.q2;
  let q1 = w.q1;
  let q0 = w.q0;
  if ((q3 | q2 | q1 | q0) === 0) {
    setWords(w, d, sign, 0, 0, 0, 0);
    return;
  }
  while (q3 === 0) {
    q3 = q2;
    q2 = q1;
    q1 = q0;
    q0 = 0;
    e -= 32;
  }
  const z = Math.clz32(q3);
  if (z !== 0) {
    q3 = ((q3 << z) | (q2 >>> (32 - z))) >>> 0;
    q2 = ((q2 << z) | (q1 >>> (32 - z))) >>> 0;
    q1 = ((q1 << z) | (q0 >>> (32 - z))) >>> 0;
    q0 = (q0 << z) >>> 0;
    e -= z;
  }
  setWords(w, d, sign, e, q3, q2, (q1 | (q0 !== 0 ? 1 : 0)) >>> 0);
}

/** An f80 operand (finite, non-zero, supported encoding). */
export function fromF80(w: Wide, d: number, se: number, hi: number, lo: number): void {
  w.q3 = hi;
  w.q2 = lo;
  w.q1 = 0;
  w.q0 = 0;
  pack(w, d, se >>> 15, Math.max(se & EXP_MASK, 1) - EXP_BIAS);
}

/** An integer-valued double (|n| < 2^64). */
export function setInt(w: Wide, d: number, n: number): void {
  const a = Math.abs(n);
  w.q3 = Math.floor(a * INV32);
  w.q2 = a - w.q3 * TWO32;
  w.q1 = 0;
  w.q0 = 0;
  pack(w, d, n < 0 ? 1 : 0, 63);
}

/** A finite non-zero normal double. */
export function setDouble(w: Wide, d: number, x: number): void {
  w.doubleBits(x);
  const hi = w.q1;
  const lo = w.q0;
  setWords(
    w,
    d,
    hi >>> 31,
    ((hi >>> 20) & 0x7ff) - 1023,
    (0x80000000 | ((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0,
    (lo << 11) >>> 0,
    0,
  );
}

/** Round register a into c as an extended value (c.se/hi/lo), with flags and C1 from the rounding. */
export function toF80(c: F80Context, w: Wide, a: number): void {
  const o = a * 5;
  const r = w.r;
  const e = r[o + EXP]! + EXP_BIAS;
  // Far outside the format: clamp so the rounding still sees an overflow or a total underflow.
  const clamped = e > 0x8000 ? 0x8000 : e < -0x8000 ? -0x8000 : e;
  roundPack64(c, r[o + SIGN]!, clamped, r[o + M2]!, r[o + M1]!, r[o + M0]!);
}

/** d = a + b (or a − b when negB = 1). */
export function addW(w: Wide, d: number, a: number, b: number, negB = 0): void {
  const r = w.r;
  let oa = a * 5;
  let ob = b * 5;
  let sa = r[oa + SIGN]!;
  let sb = r[ob + SIGN]! ^ negB;
  if (r[ob + M2] === 0) {
    copyW(w, d, a);
    return;
  }
  if (r[oa + M2] === 0) {
    copyW(w, d, b);
    r[d * 5 + SIGN] = sb;
    return;
  }
  // Make a the larger magnitude.
  const ea0 = r[oa + EXP]!;
  const eb0 = r[ob + EXP]!;
  if (
    ea0 < eb0 ||
    (ea0 === eb0 &&
      (r[oa + M2]! < r[ob + M2]! ||
        (r[oa + M2] === r[ob + M2] && (r[oa + M1]! < r[ob + M1]! || (r[oa + M1] === r[ob + M1] && r[oa + M0]! < r[ob + M0]!)))))
  ) {
    const t = oa;
    oa = ob;
    ob = t;
    const s = sa;
    sa = sb;
    sb = s;
  }
  const e = r[oa + EXP]!;
  let n = e - r[ob + EXP]!;
  // b's significand, 128 bits wide, shifted right by n (bits beyond 128 are dropped).
  let b3 = r[ob + M2]!;
  let b2 = r[ob + M1]!;
  let b1 = r[ob + M0]!;
  let b0 = 0;
  let lost = 0;
  if (n >= 128) {
    b3 = b2 = b1 = 0;
    b0 = 1; // b is non-zero: all of it is sticky
  } else {
    while (n >= 32) {
      lost |= b0;
      b0 = b1;
      b1 = b2;
      b2 = b3;
      b3 = 0;
      n -= 32;
    }
    if (n > 0) {
      lost |= b0 << (32 - n);
      b0 = ((b0 >>> n) | (b1 << (32 - n))) >>> 0;
      b1 = ((b1 >>> n) | (b2 << (32 - n))) >>> 0;
      b2 = ((b2 >>> n) | (b3 << (32 - n))) >>> 0;
      b3 = b3 >>> n;
    }
    if (lost !== 0) b0 = (b0 | 1) >>> 0;
  }
  if (sa === sb) {
    let x0 = b0;
    let x1 = r[oa + M0]! + b1;
    let x2 = r[oa + M1]! + b2 + (x1 >= TWO32 ? 1 : 0);
    x1 = x1 >= TWO32 ? x1 - TWO32 : x1;
    let x3 = r[oa + M2]! + b3 + (x2 >= TWO32 ? 1 : 0);
    x2 = x2 >= TWO32 ? x2 - TWO32 : x2;
    if (x3 >= TWO32) {
      // carry out: shift right one bit
      x3 -= TWO32;
      x0 = ((x0 >>> 1) | (x1 << 31)) >>> 0;
      x1 = ((x1 >>> 1) | (x2 << 31)) >>> 0;
      x2 = ((x2 >>> 1) | (x3 << 31)) >>> 0;
      x3 = (0x80000000 | (x3 >>> 1)) >>> 0;
      w.q3 = x3;
      w.q2 = x2;
      w.q1 = x1;
      w.q0 = x0;
      pack(w, d, sa, e + 1);
      return;
    }
    w.q3 = x3;
    w.q2 = x2;
    w.q1 = x1;
    w.q0 = x0;
  } else {
    let x0 = -b0;
    let borrow = x0 < 0 ? 1 : 0;
    if (borrow) x0 += TWO32;
    let x1 = r[oa + M0]! - b1 - borrow;
    borrow = x1 < 0 ? 1 : 0;
    if (borrow) x1 += TWO32;
    let x2 = r[oa + M1]! - b2 - borrow;
    borrow = x2 < 0 ? 1 : 0;
    if (borrow) x2 += TWO32;
    const x3 = r[oa + M2]! - b3 - borrow;
    w.q3 = x3;
    w.q2 = x2;
    w.q1 = x1;
    w.q0 = x0;
  }
  pack(w, d, sa, e);
}

export function subW(w: Wide, d: number, a: number, b: number): void {
  addW(w, d, a, b, 1);
}

/** Exact 32×32 product: returns the low word, leaves the high word in w.mulHi. */
function mul32(w: Wide, a: number, b: number): number {
  const a1 = a >>> 16;
  const a0 = a & 0xffff;
  const b1 = b >>> 16;
  const b0 = b & 0xffff;
  const m1 = a1 * b0;
  const m2 = a0 * b1;
  const low = a0 * b0 + (m1 & 0xffff) * 65536 + (m2 & 0xffff) * 65536;
  const carry = Math.floor(low * INV32);
  w.mulHi = a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + carry;
  return low - carry * TWO32;
}

/** d = a × b (the top 128 of the 192 product bits, then truncated to 96). */
export function mulW(w: Wide, d: number, a: number, b: number): void {
  const r = w.r;
  const oa = a * 5;
  const ob = b * 5;
  const sign = r[oa + SIGN]! ^ r[ob + SIGN]!;
  if (r[oa + M2] === 0 || r[ob + M2] === 0) {
    setWords(w, d, sign, 0, 0, 0, 0);
    return;
  }
  // Column sums (each below 2^35, exact in doubles): word i of a times word j of b lands in columns
  // i + j and i + j + 1 (word 0 is the least significant, in slot M0). Then carries upward.
  const col = w.columns;
  col.fill(0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      col[i + j] += mul32(w, r[oa + M0 - i]!, r[ob + M0 - j]!);
      col[i + j + 1] += w.mulHi;
    }
  }
  for (let i = 0; i < 5; i++) {
    const k = Math.floor(col[i]! * INV32);
    col[i] -= k * TWO32;
    col[i + 1] += k;
  }
  w.q3 = col[5]!;
  w.q2 = col[4]!;
  w.q1 = col[3]!;
  w.q0 = (col[2]! | (col[1] !== 0 || col[0] !== 0 ? 1 : 0)) >>> 0;
  // value = P × 2^(ea + eb − 190), and Q = P / 2^64
  pack(w, d, sign, r[oa + EXP]! + r[ob + EXP]! + 1);
}

/** d = a / n for an integer 0 < n < 2^21. */
export function divIntW(w: Wide, d: number, a: number, n: number): void {
  const r = w.r;
  const o = a * 5;
  let rem = 0;
  let x = r[o + M2]!;
  w.q3 = Math.floor(x / n);
  rem = x - w.q3 * n;
  x = rem * TWO32 + r[o + M1]!;
  w.q2 = Math.floor(x / n);
  rem = x - w.q2 * n;
  x = rem * TWO32 + r[o + M0]!;
  w.q1 = Math.floor(x / n);
  rem = x - w.q1 * n;
  x = rem * TWO32;
  w.q0 = Math.floor(x / n);
  if (x !== w.q0 * n) w.q0 = (w.q0 | 1) >>> 0; // a remainder left: sticky
  pack(w, d, r[o + SIGN]!, r[o + EXP]!);
}

/** d = a / b (b ≠ 0): a double-precision reciprocal, one Newton step, one multiplication. */
export function divW(w: Wide, d: number, a: number, b: number): void {
  const t0 = w.internal(T0);
  const t1 = w.internal(T1);
  const t2 = w.internal(T2);
  const one = w.internal(ONE);
  setDouble(w, t0, 1 / mantW(w, b)); // y ≈ 1/b
  w.r[t0 * 5 + EXP] = w.r[t0 * 5 + EXP]! - expW(w, b);
  w.r[t0 * 5 + SIGN] = signW(w, b);
  mulW(w, t1, b, t0); // b·y ≈ 1
  subW(w, t1, one, t1); // ε = 1 − b·y
  mulW(w, t2, t0, t1);
  addW(w, t0, t0, t2); // y += y·ε
  mulW(w, d, a, t0);
}

/** d = √a for a > 0: reciprocal square root by Newton from a double, then one multiplication. */
export function sqrtW(w: Wide, d: number, a: number): void {
  const t0 = w.internal(T0);
  const t1 = w.internal(T1);
  const t2 = w.internal(T2);
  const one = w.internal(ONE);
  const e = expW(w, a);
  const odd = e & 1;
  const half = (e - odd) / 2;
  setDouble(w, t0, 1 / Math.sqrt(mantW(w, a) * (odd ? 2 : 1))); // y ≈ 1/√a
  w.r[t0 * 5 + EXP] = w.r[t0 * 5 + EXP]! - half;
  mulW(w, t1, t0, t0);
  mulW(w, t1, t1, a); // a·y² ≈ 1
  subW(w, t1, one, t1);
  mulW(w, t2, t0, t1);
  scaleW(w, t2, t2, -1);
  addW(w, t0, t0, t2); // y += y·(1 − a·y²)/2
  mulW(w, d, a, t0);
}

/**
 * d = Σ coeff_k × x^k for k = 0..n by Horner's rule, with coeff_k = 1 / (k × step + offset) and
 * alternating signs if `alternate`: the shape of every series the transcendentals use.
 */
export function seriesW(w: Wide, d: number, x: number, n: number, step: number, offset: number, alternate: boolean): void {
  const acc = w.internal(T2);
  const t = w.internal(T1);
  const one = w.internal(ONE);
  divIntW(w, acc, one, n * step + offset);
  for (let k = n - 1; k >= 0; k--) {
    mulW(w, acc, acc, x);
    divIntW(w, t, one, k * step + offset);
    addW(w, acc, t, acc, alternate ? 1 : 0);
  }
  copyW(w, d, acc);
}
