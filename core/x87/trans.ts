/**
 * Transcendental instructions — F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN, FCOS, FSINCOS, FPTAN — and the
 * constants of FLD1/FLDL2T/FLDL2E/FLDPI/FLDLG2/FLDLN2/FLDZ. Computed with 96-bit significands (wide.ts)
 * and rounded once under RC (PC does not apply), so results are the correctly rounded value except
 * when the true value lies within about 2^-90 of a rounding boundary. Real x87s are accurate to about
 * one ulp and not always correctly rounded, so bit-exact agreement with hardware is not promised.
 * Like the hardware, FSIN/FCOS/FSINCOS/FPTAN reduce their argument with a 66-bit π, and leave
 * arguments of magnitude 2^63 or more unchanged with C2 = 1.
 */
import {
  EXP_BIAS,
  EXP_MASK,
  F80Context,
  J_BIT,
  SIGN,
  Status,
  binaryNaNs,
  flagDenormals,
  isDenormalF80,
  isInfF80,
  isOneF80,
  isZeroF80,
  roundPack64,
  unaryNaNs,
} from './f80.js';
import {
  Wide,
  addW,
  copyW,
  divIntW,
  divW,
  expW,
  fromF80,
  isZeroW,
  mantW,
  mulW,
  negW,
  scaleW,
  seriesW,
  setInt,
  setWords,
  signW,
  sqrtW,
  subW,
  toF80,
} from './wide.js';

/** Constants as (exponent of the leading bit, three significand words): 96 correct bits each. */
const CONST_WORDS: readonly (readonly number[])[] = [
  [0, 0x80000000, 0, 0], // 1
  [1, 0xd49a784b, 0xcd1b8afe, 0x492bf6ff], // log2(10)
  [0, 0xb8aa3b29, 0x5c17f0bb, 0xbe87fed0], // log2(e)
  [1, 0xc90fdaa2, 0x2168c234, 0xc4c6628b], // π
  [-2, 0x9a209a84, 0xfbcff798, 0x8f8959ac], // log10(2)
  [-1, 0xb17217f7, 0xd1cf79ab, 0xc9e3b398], // ln(2)
];

/** FLDxx constant numbers, in opcode order D9 E8..EE. */
export const Constant = { ONE: 0, L2T: 1, L2E: 2, PI: 3, LG2: 4, LN2: 5, ZERO: 6 } as const;

/**
 * FLD1 … FLDZ: the constant rounded under RC (as the 387 and later do) into c. No exception flags;
 * c.cc = 0.
 */
export function loadConstant(c: F80Context, k: number): void {
  if (k === Constant.ZERO) {
    c.setResult(0, 0, 0);
    c.cc = 0;
    return;
  }
  const v = CONST_WORDS[k]!;
  const flags = c.flags;
  roundPack64(c, 0, v[0]! + EXP_BIAS, v[1]!, v[2]!, v[3]!);
  c.flags = flags;
  c.cc = 0;
}

// Wide registers: the constants, then working registers.
const PI = 0;
const LN2 = 1;
const LOG2E = 2;
const ONE = 3;
const P1 = 4; // π/2 rounded to 66 bits, as the x87 uses it, in three exact parts
const P2 = 5;
const P3 = 6;
const A = 7;
const B = 8;
const C = 9;
const D = 10;
const E = 11;
const F = 12;
const REGISTERS = 13;

/** The context's wide registers, made on first use. */
function wideOf(c: F80Context): Wide {
  let w = c.wide;
  if (w) return w;
  w = new Wide(REGISTERS);
  const v = CONST_WORDS;
  setWords(w, PI, 0, v[3]![0]!, v[3]![1]!, v[3]![2]!, v[3]![3]!);
  setWords(w, LN2, 0, v[5]![0]!, v[5]![1]!, v[5]![2]!, v[5]![3]!);
  setWords(w, LOG2E, 0, v[2]![0]!, v[2]![1]!, v[2]![2]!, v[2]![3]!);
  setWords(w, ONE, 0, 0, 0x80000000, 0, 0);
  // π/2 to 66 bits is C90FDAA2 2168C234 C (the next bit is 0): three parts whose products with a
  // reduction multiple of up to 53 bits are exact in 96 bits.
  setWords(w, P1, 0, 0, 0xc90fdaa2, 0, 0);
  setWords(w, P2, 0, -34, 0x85a308d0, 0, 0); // 2168C234 × 2^-63, normalised
  setWords(w, P3, 0, -64, 0xc0000000, 0, 0);
  c.wide = w;
  return w;
}

/** A double approximation of a finite f80 (for choosing paths only). */
function approx(se: number, hi: number): number {
  const e = Math.max(se & EXP_MASK, 1) - EXP_BIAS;
  const v = hi * 2 ** (Math.max(Math.min(e, 1000), -1000) - 31);
  return se & SIGN ? -v : v;
}

/** d = e^t − 1 by Horner on t(1 + t/2(1 + t/3(…))), for |t| ≤ 0.7. */
function expm1W(w: Wide, d: number, t: number): void {
  copyW(w, F, ONE);
  for (let k = 27; k >= 2; k--) {
    mulW(w, F, F, t);
    divIntW(w, F, F, k);
    addW(w, F, ONE, F);
  }
  mulW(w, d, F, t);
}

/** F2XM1: 2^x − 1 (x in [−1, 1] architecturally; others are computed too). */
export function f2xm1(c: F80Context, se: number, hi: number, lo: number): void {
  if (unaryNaNs(c, se, hi, lo)) return;
  if (isZeroF80(se, hi, lo)) {
    c.setResult(se, 0, 0);
    return;
  }
  if (isInfF80(se, hi, lo)) {
    if (se & SIGN) c.setResult(0xbfff, J_BIT, 0); // 2^−∞ − 1 = −1
    else c.setResult(se, hi, lo);
    return;
  }
  if (isDenormalF80(se, hi, lo)) c.flags |= Status.DE;
  if (isOneF80(se, hi, lo)) {
    if (se & SIGN) c.setResult(0xbffe, J_BIT, 0); // 2^−1 − 1 = −0.5, exact
    else c.setResult(0x3fff, J_BIT, 0); // 2^1 − 1 = 1, exact
    return;
  }
  const w = wideOf(c);
  fromF80(w, A, se, hi, lo);
  const x = approx(se, hi);
  if (Math.abs(x) <= 1) {
    mulW(w, B, A, LN2);
    expm1W(w, C, B);
  } else {
    // Outside the documented range: 2^x − 1 = 2^n × 2^f − 1 with n = round(x), |f| ≤ 1/2.
    const n = Math.round(Math.max(Math.min(x, 40000), -40000));
    setInt(w, B, n);
    subW(w, B, A, B);
    mulW(w, B, B, LN2);
    expm1W(w, C, B);
    addW(w, C, C, ONE);
    scaleW(w, C, C, n);
    subW(w, C, C, ONE);
  }
  toF80(c, w, C);
}

/** d = log2(a) for a wide a > 0: a = m × 2^k, m in [√½, √2), ln m = 2 atanh((m − 1)/(m + 1)). */
function log2W(w: Wide, d: number, a: number): void {
  let k = expW(w, a);
  copyW(w, B, a);
  w.r[B * 5 + 1] = 0; // m in [1, 2)
  if (mantW(w, B) > Math.SQRT2) {
    scaleW(w, B, B, -1);
    k += 1;
  }
  subW(w, C, B, ONE);
  addW(w, D, B, ONE);
  divW(w, C, C, D); // s
  atanhSeries(w, C, C); // ln m / 2
  mulW(w, C, C, LOG2E);
  scaleW(w, C, C, 1);
  setInt(w, D, k);
  addW(w, d, D, C);
}

/** d = atanh(s) = s × Σ s^(2k) / (2k + 1), for |s| ≤ 0.1716. */
function atanhSeries(w: Wide, d: number, s: number): void {
  mulW(w, E, s, s);
  seriesW(w, E, E, 19, 2, 1, false);
  mulW(w, d, E, s);
}

/**
 * FYL2X: y × log2(x) (x = ST(0), y = ST(1); the result replaces ST(1)). Special cases as Intel's table:
 * x < 0 → IE; x = ±0 → ZE and ∓∞ for finite y ≠ 0; 0 × ∞ forms → IE.
 */
export function fyl2x(c: F80Context, xSE: number, xHi: number, xLo: number, ySE: number, yHi: number, yLo: number): void {
  c.setOperands(xSE, xHi, xLo, ySE, yHi, yLo);
  if (binaryNaNs(c)) return;
  const ySign = ySE & SIGN;
  const yZero = isZeroF80(ySE, yHi, yLo);
  const yInf = isInfF80(ySE, yHi, yLo);
  const xZero = isZeroF80(xSE, xHi, xLo);
  if (xSE & SIGN && !xZero) {
    c.invalid(); // log of a negative number
    return;
  }
  if (xZero) {
    if (yZero) c.invalid();
    else {
      if (!yInf) c.flags |= Status.ZE;
      c.setResult((ySign ^ SIGN) | EXP_MASK, J_BIT, 0); // y × −∞
    }
    return;
  }
  const xOne = isOneF80(xSE, xHi, xLo);
  if (isInfF80(xSE, xHi, xLo)) {
    if (yZero) c.invalid();
    else c.setResult(ySign | EXP_MASK, J_BIT, 0);
    return;
  }
  // log2(x) is +0 for x = 1, negative for x < 1, positive above.
  const logNeg = (xSE & EXP_MASK) < EXP_BIAS ? SIGN : 0;
  if (yInf) {
    if (xOne) c.invalid();
    else c.setResult((ySign ^ logNeg) | EXP_MASK, J_BIT, 0);
    return;
  }
  flagDenormals(c, xSE, xHi, xLo, ySE, yHi, yLo);
  if (yZero || xOne) {
    c.setResult(xOne ? ySign : ySign ^ logNeg, 0, 0);
    return;
  }
  const w = wideOf(c);
  fromF80(w, A, xSE, xHi, xLo);
  log2W(w, A, A);
  fromF80(w, F, ySE, yHi, yLo);
  mulW(w, A, A, F);
  toF80(c, w, A);
}

/** FYL2XP1: y × log2(1 + x) (x = ST(0), |x| < 1 − √2/2 architecturally; the result replaces ST(1)). */
export function fyl2xp1(c: F80Context, xSE: number, xHi: number, xLo: number, ySE: number, yHi: number, yLo: number): void {
  c.setOperands(xSE, xHi, xLo, ySE, yHi, yLo);
  if (binaryNaNs(c)) return;
  const xZero = isZeroF80(xSE, xHi, xLo);
  const yZero = isZeroF80(ySE, yHi, yLo);
  const xInf = isInfF80(xSE, xHi, xLo);
  const yInf = isInfF80(ySE, yHi, yLo);
  if ((xZero && yInf) || (yZero && xInf) || (xInf && xSE & SIGN)) {
    c.invalid();
    return;
  }
  flagDenormals(c, xSE, xHi, xLo, ySE, yHi, yLo);
  const sign = (xSE ^ ySE) & SIGN; // log2(1 + x) has x's sign
  if (xZero || yZero) {
    c.setResult(sign, 0, 0);
    return;
  }
  if (xInf || yInf) {
    c.setResult(sign | EXP_MASK, J_BIT, 0);
    return;
  }
  const w = wideOf(c);
  fromF80(w, A, xSE, xHi, xLo);
  const x = approx(xSE, xHi);
  if (Math.abs(x) < 0.29) {
    // ln(1 + x) = 2 atanh(x / (2 + x)), with no rounding of 1 + x.
    scaleW(w, B, ONE, 1);
    addW(w, B, B, A);
    divW(w, B, A, B);
    atanhSeries(w, B, B);
    mulW(w, A, B, LOG2E);
    scaleW(w, A, A, 1);
  } else {
    addW(w, A, A, ONE);
    if (signW(w, A) === 1 || isZeroW(w, A)) {
      if (isZeroW(w, A)) {
        c.flags |= Status.ZE; // log of 0
        c.setResult(((ySE & SIGN) ^ SIGN) | EXP_MASK, J_BIT, 0);
      } else c.invalid();
      return;
    }
    log2W(w, A, A);
  }
  fromF80(w, F, ySE, yHi, yLo);
  mulW(w, A, A, F);
  toF80(c, w, A);
}

/** d = atan(z) for 0 ≤ z ≤ 1: two halvings z/(1 + √(1 + z²)) bring z below 0.2, then the series. */
function atanW(w: Wide, d: number, z: number): void {
  copyW(w, C, z);
  for (let i = 0; i < 2; i++) {
    mulW(w, D, C, C);
    addW(w, D, D, ONE);
    sqrtW(w, D, D);
    addW(w, D, D, ONE);
    divW(w, C, C, D);
  }
  mulW(w, E, C, C);
  seriesW(w, E, E, 21, 2, 1, true);
  mulW(w, d, E, C);
  scaleW(w, d, d, 2);
}

/** FPATAN: atan2(y, x) with x = ST(0), y = ST(1) (the result replaces ST(1)); IEEE atan2 special cases. */
export function fpatan(c: F80Context, xSE: number, xHi: number, xLo: number, ySE: number, yHi: number, yLo: number): void {
  c.setOperands(xSE, xHi, xLo, ySE, yHi, yLo);
  if (binaryNaNs(c)) return;
  const w = wideOf(c);
  const yNeg = (ySE & SIGN) !== 0 ? 1 : 0;
  const xNeg = (xSE & SIGN) !== 0;
  const yZero = isZeroF80(ySE, yHi, yLo);
  const xZero = isZeroF80(xSE, xHi, xLo);
  const yInf = isInfF80(ySE, yHi, yLo);
  const xInf = isInfF80(xSE, xHi, xLo);
  flagDenormals(c, xSE, xHi, xLo, ySE, yHi, yLo);
  if (yZero || xZero || yInf || xInf) {
    // Multiples of π/4: 0, 1 (π/4), 2 (π/2), 3 (3π/4), 4 (π).
    let quarters: number;
    if (yZero) quarters = xNeg ? 4 : 0;
    else if (yInf) quarters = xInf ? (xNeg ? 3 : 1) : 2;
    else if (xInf) quarters = xNeg ? 4 : 0;
    else quarters = 2; // x = ±0, y finite non-zero
    if (quarters === 0) {
      c.setResult(yNeg ? SIGN : 0, 0, 0);
      return;
    }
    setInt(w, A, quarters);
    mulW(w, A, A, PI);
    scaleW(w, A, A, -2);
    if (yNeg) negW(w, A, A);
    toF80(c, w, A);
    return;
  }
  fromF80(w, A, ySE & 0x7fff, yHi, yLo);
  fromF80(w, B, xSE & 0x7fff, xHi, xLo);
  const swap = expW(w, A) > expW(w, B) || (expW(w, A) === expW(w, B) && mantW(w, A) > mantW(w, B));
  if (swap) divW(w, F, B, A);
  else divW(w, F, A, B);
  atanW(w, F, F);
  if (swap) {
    scaleW(w, A, PI, -1);
    subW(w, F, A, F); // π/2 − atan(x/y)
  }
  if (xNeg) subW(w, F, PI, F);
  if (yNeg) negW(w, F, F);
  toF80(c, w, F);
}

/**
 * Reduce the operand (finite, |x| < 2^63) modulo the 66-bit π/2: leaves r in A and returns the
 * quadrant (k mod 4), where x = k × π66/2 + r exactly and |r| ≲ π/4.
 */
function reduce(w: Wide, se: number, hi: number, lo: number): number {
  fromF80(w, A, se, hi, lo);
  const x = approx(se, hi);
  if (Math.abs(x) < 0.78) return 0;
  let quadrant = 0;
  // Twice: the first multiple comes from doubles and may be off by a few hundred for huge x.
  for (let pass = 0; pass < 2; pass++) {
    const k = Math.round((pass === 0 ? x : mantW(w, A) * 2 ** expW(w, A) * (signW(w, A) ? -1 : 1)) / (Math.PI / 2));
    if (k === 0) break;
    quadrant = (quadrant + (k % 4) + 4) % 4;
    setInt(w, B, k); // a double: at most 53 significant bits, so each product below is exact
    mulW(w, C, B, P1);
    subW(w, A, A, C);
    mulW(w, C, B, P2);
    subW(w, A, A, C);
    mulW(w, C, B, P3);
    subW(w, A, A, C);
  }
  return quadrant;
}

/** d = sin r (sin) or cos r by Horner, for |r| ≲ π/4. */
function sinCosW(w: Wide, d: number, r: number, cos: boolean): void {
  mulW(w, B, r, r);
  copyW(w, C, ONE);
  for (let k = cos ? 14 : 13; k >= 1; k--) {
    mulW(w, C, C, B);
    divIntW(w, C, C, cos ? (2 * k - 1) * 2 * k : 2 * k * (2 * k + 1));
    subW(w, C, ONE, C);
  }
  if (cos) copyW(w, d, C);
  else mulW(w, d, C, r);
}

const SIN = 1;
const COS = 2;
const TAN = 4;

/**
 * The trigonometric core: returns false (C2 set, nothing computed) when |x| ≥ 2^63; otherwise puts
 * the requested functions into c (the first into se/hi/lo, cos into se2/hi2/lo2 for FSINCOS).
 */
function trig(c: F80Context, se: number, hi: number, lo: number, which: number): boolean {
  if (unaryNaNs(c, se, hi, lo)) {
    c.copyResultTo2();
    return true;
  }
  if ((se & EXP_MASK) === EXP_MASK) {
    c.invalid(); // ±∞
    c.copyResultTo2();
    return true;
  }
  if ((se & EXP_MASK) >= EXP_BIAS + 63) {
    c.cc = Status.C2; // out of range: the operand stays, software reduces it (e.g. with FPREM)
    return false;
  }
  if (isZeroF80(se, hi, lo)) {
    // sin ±0 = ±0, tan ±0 = ±0, cos ±0 = 1, all exact
    if (which === COS) c.setResult(0x3fff, J_BIT, 0);
    else c.setResult(se, 0, 0);
    c.setResult2(0x3fff, J_BIT, 0);
    return true;
  }
  if (isDenormalF80(se, hi, lo)) c.flags |= Status.DE;
  const w = wideOf(c);
  const q = reduce(w, se, hi, lo);
  // sin(x) = ±sin r or ±cos r by quadrant; cos(x) = sin(x + π/2).
  sinCosW(w, D, A, false);
  sinCosW(w, E, A, true);
  if (which === TAN) {
    if (q & 1) {
      divW(w, F, E, D);
      negW(w, F, F); // tan(r + π/2) = −cot r
    } else divW(w, F, D, E);
    toF80(c, w, F);
    return true;
  }
  // sin: quadrant 0 sin r, 1 cos r, 2 −sin r, 3 −cos r
  copyW(w, F, q & 1 ? E : D);
  if (q & 2) negW(w, F, F);
  // cos: quadrant 0 cos r, 1 −sin r, 2 −cos r, 3 sin r
  copyW(w, B, q & 1 ? D : E);
  if (((q + 1) & 2) !== 0) negW(w, B, B);
  if (which === SIN) toF80(c, w, F);
  else if (which === COS) toF80(c, w, B);
  else {
    // FSINCOS: sin goes to ST(1), cos to the new ST(0); C1 follows cos, rounded last.
    toF80(c, w, F);
    const sSE = c.se;
    const sHi = c.hi;
    const sLo = c.lo;
    toF80(c, w, B);
    c.copyResultTo2();
    c.setResult(sSE, sHi, sLo);
  }
  return true;
}

/** FSIN: sin x into c; C2 = 1 and nothing else if |x| ≥ 2^63. */
export function fsin(c: F80Context, se: number, hi: number, lo: number): void {
  trig(c, se, hi, lo, SIN);
}

/** FCOS: cos x into c; C2 = 1 and nothing else if |x| ≥ 2^63. */
export function fcos(c: F80Context, se: number, hi: number, lo: number): void {
  trig(c, se, hi, lo, COS);
}

/** FSINCOS: sin x into c.se/hi/lo (it goes to ST(1)), cos x into c.se2/hi2/lo2 (the new ST(0)). */
export function fsincos(c: F80Context, se: number, hi: number, lo: number): void {
  trig(c, se, hi, lo, SIN | COS);
}

/** FPTAN: tan x into c (the FPU then pushes 1.0); C2 = 1 and nothing else if |x| ≥ 2^63. */
export function fptan(c: F80Context, se: number, hi: number, lo: number): void {
  trig(c, se, hi, lo, TAN);
}
