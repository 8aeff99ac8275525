/** FXTRACT, FSCALE, FABS, FCHS: exponent and sign manipulation. */
import {
  EXP_BIAS,
  EXP_MASK,
  F80Context,
  J_BIT,
  SIGN,
  Status,
  binaryNaNs,
  isDenormalF80,
  isNaNF80,
  isUnsupportedF80,
  normRoundPack,
  normalize,
  propagateNaN1,
  roundPackTo,
} from './f80.js';

/** FABS: clear the sign; no exceptions, NaNs included. */
export function fabs(c: F80Context, se: number, hi: number, lo: number): void {
  c.cc = 0;
  c.setResult(se & EXP_MASK, hi, lo);
}

/** FCHS: flip the sign; no exceptions, NaNs included. */
export function fchs(c: F80Context, se: number, hi: number, lo: number): void {
  c.cc = 0;
  c.setResult(se ^ SIGN, hi, lo);
}

/**
 * FXTRACT: c.se/hi/lo = the significand (exponent 0, i.e. in [1, 2), sign kept) — the new ST(0) —
 * and c.se2/hi2/lo2 = the unbiased exponent as a value — the new ST(1). ±0 gives ZE, exponent −∞.
 */
export function fxtract(c: F80Context, se: number, hi: number, lo: number): void {
  c.setA(se, hi, lo);
  fxtractParked(c);
}

function fxtractParked(c: F80Context): void {
  const se = c.aSE;
  const hi = c.aHi;
  const lo = c.aLo;
  c.cc = 0;
  if (isUnsupportedF80(se, hi)) {
    c.invalid();
    c.se2 = c.se;
    c.hi2 = c.hi;
    c.lo2 = c.lo;
    return;
  }
  const exp = se & EXP_MASK;
  if (exp === EXP_MASK) {
    if (isNaNF80(se, hi, lo)) {
      propagateNaN1(c, se, hi, lo);
      c.se2 = c.se;
      c.hi2 = c.hi;
      c.lo2 = c.lo;
    } else {
      c.se2 = EXP_MASK; // +∞ exponent, ±∞ significand
      c.hi2 = J_BIT;
      c.lo2 = 0;
      c.setResult(se, hi, lo);
    }
    return;
  }
  if (exp === 0 && (hi | lo) === 0) {
    c.flags |= Status.ZE;
    c.se2 = SIGN | EXP_MASK;
    c.hi2 = J_BIT;
    c.lo2 = 0;
    c.setResult(se, 0, 0);
    return;
  }
  if (isDenormalF80(se, hi, lo)) c.flags |= Status.DE;
  normalize(c, se, hi, lo);
  const e = c.nExp - EXP_BIAS;
  const sigHi = c.nHi;
  const sigLo = c.nLo;
  const neg = e < 0 ? 1 : 0;
  normRoundPack(c, neg, EXP_BIAS + 63, 0, neg ? -e : e, 0, 64); // exact
  c.se2 = c.se;
  c.hi2 = c.hi;
  c.lo2 = c.lo;
  c.setResult((se & SIGN) | EXP_BIAS, sigHi, sigLo);
  c.cc = 0;
}

/** Scale exponents beyond this saturate: they overflow or underflow any finite operand anyway. */
const SCALE_LIMIT = 0x10000;

/** FSCALE: a × 2^trunc(b), rounded under RC at 64 bits (PC does not apply). */
export function fscale(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  c.setA(aSE, aHi, aLo);
  c.setB(bSE, bHi, bLo);
  fscaleParked(c);
}

function fscaleParked(c: F80Context): void {
  c.cc = 0;
  if (binaryNaNs(c)) return;
  const aSE = c.aSE;
  const aHi = c.aHi;
  const aLo = c.aLo;
  const bSE = c.bSE;
  const bHi = c.bHi;
  const bLo = c.bLo;
  const aExp = aSE & EXP_MASK;
  const bExp = bSE & EXP_MASK;
  const aZero = aExp === 0 && (aHi | aLo) === 0;
  const aSign = aSE & SIGN;
  if (bExp === EXP_MASK) {
    // b = ±∞: 0 × 2^+∞ and ∞ × 2^−∞ are invalid; otherwise ∞ or 0 with a's sign.
    const up = (bSE & SIGN) === 0;
    if ((up && aZero) || (!up && aExp === EXP_MASK)) {
      c.invalid();
      return;
    }
    if (isDenormalF80(aSE, aHi, aLo)) c.flags |= Status.DE;
    if (up) c.setResult(aSign | EXP_MASK, J_BIT, 0);
    else c.setResult(aSign, 0, 0);
    return;
  }
  if (isDenormalF80(aSE, aHi, aLo) || isDenormalF80(bSE, bHi, bLo)) c.flags |= Status.DE;
  if (aExp === EXP_MASK || aZero) {
    c.setResult(aSE, aHi, aLo);
    return;
  }
  // n = trunc(b), saturated.
  const be = Math.max(bExp, 1) - EXP_BIAS;
  let n = 0;
  if (be >= 16) n = SCALE_LIMIT;
  else if (be >= 0) n = bHi >>> (31 - be);
  if (bSE & SIGN) n = -n;
  normalize(c, aSE, aHi, aLo);
  roundPackTo(c, aSign >>> 15, c.nExp + n, c.nHi, c.nLo, 0, 64, 0x7ffe);
}
