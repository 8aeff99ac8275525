/** FXTRACT, FSCALE, FABS, FCHS: exponent and sign manipulation. */
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
  isZeroF80,
  normalize,
  packInteger,
  roundPack64,
  unaryNaNs,
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
  const { aSE: se, aHi: hi, aLo: lo } = c;
  if (unaryNaNs(c, se, hi, lo)) {
    c.copyResultTo2();
    return;
  }
  if ((se & EXP_MASK) === EXP_MASK) {
    c.setResult2(EXP_MASK, J_BIT, 0); // +∞ exponent, ±∞ significand
    c.setResult(se, hi, lo);
    return;
  }
  if (isZeroF80(se, hi, lo)) {
    c.flags |= Status.ZE;
    c.setResult2(SIGN | EXP_MASK, J_BIT, 0);
    c.setResult(se, 0, 0);
    return;
  }
  if (isDenormalF80(se, hi, lo)) c.flags |= Status.DE;
  normalize(c, se, hi, lo);
  const e = c.nExp - EXP_BIAS;
  const sigHi = c.nHi;
  const sigLo = c.nLo;
  packInteger(c, e < 0 ? 1 : 0, 0, Math.abs(e));
  c.copyResultTo2();
  c.setResult((se & SIGN) | EXP_BIAS, sigHi, sigLo);
  c.cc = 0;
}

/** Scale exponents beyond this saturate: they overflow or underflow any finite operand anyway. */
const SCALE_LIMIT = 0x10000;

/** FSCALE: a × 2^trunc(b), rounded under RC at 64 bits (PC does not apply). */
export function fscale(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  c.setOperands(aSE, aHi, aLo, bSE, bHi, bLo);
  fscaleParked(c);
}

function fscaleParked(c: F80Context): void {
  if (binaryNaNs(c)) return;
  const { aSE, aHi, aLo, bSE, bHi, bLo } = c;
  const aInf = (aSE & EXP_MASK) === EXP_MASK;
  const aZero = isZeroF80(aSE, aHi, aLo);
  const aSign = aSE & SIGN;
  if ((bSE & EXP_MASK) === EXP_MASK) {
    // b = ±∞: 0 × 2^+∞ and ∞ × 2^−∞ are invalid; otherwise ∞ or 0 with a's sign.
    const up = (bSE & SIGN) === 0;
    if ((up && aZero) || (!up && aInf)) {
      c.invalid();
      return;
    }
    flagDenormals(c, aSE, aHi, aLo, bSE, bHi, bLo);
    if (up) c.setResult(aSign | EXP_MASK, J_BIT, 0);
    else c.setResult(aSign, 0, 0);
    return;
  }
  flagDenormals(c, aSE, aHi, aLo, bSE, bHi, bLo);
  if (aInf || aZero) {
    c.setResult(aSE, aHi, aLo);
    return;
  }
  // n = trunc(b), saturated.
  const be = Math.max(bSE & EXP_MASK, 1) - EXP_BIAS;
  let n = 0;
  if (be >= 16) n = SCALE_LIMIT;
  else if (be >= 0) n = bHi >>> (31 - be);
  if (bSE & SIGN) n = -n;
  normalize(c, aSE, aHi, aLo);
  roundPack64(c, aSign >>> 15, c.nExp + n, c.nHi, c.nLo, 0);
}
