/**
 * Conversions: FRNDINT, FIST/FISTP (i16/i32/i64), FILD, and FST/FLD of f32/f64. Loads are exact; stores
 * round under the control word's RC (never PC) with the target format's exponent range, denormals and
 * tininess after rounding.
 */
import {
  EXP_BIAS,
  EXP_MASK,
  F80Context,
  J_BIT,
  SIGN,
  Status,
  isDenormalF80,
  isNaNF80,
  isUnsupportedF80,
  isZeroF80,
  normRoundPack,
  normalize,
  packInteger,
  propagateNaN1,
  roundPackTo,
  roundsUp,
} from './f80.js';

const TWO32 = 4294967296;

/**
 * Round the parked finite operand a to an integer under RC: c.nHi:nLo = |integer| (64 bits). Returns 0
 * if exact, 1 if inexact and truncated, 2 if inexact and rounded up in magnitude, −1 if the magnitude is
 * 2^64 or more (too large for any x87 integer format; the value is then already integral).
 */
export function integerPart(c: F80Context): number {
  const { aSE: se, aHi: hi, aLo: lo } = c;
  const sign = se >>> 15;
  const e = Math.max(se & EXP_MASK, 1) - EXP_BIAS; // unbiased; denormals share the smallest normal's scale
  if ((hi | lo) === 0) {
    c.nHi = 0;
    c.nLo = 0;
    return 0;
  }
  if (e >= 63) {
    c.nHi = hi;
    c.nLo = lo;
    return e === 63 ? 0 : -1;
  }
  let ih = 0;
  let il = 0;
  let half: number;
  let rest: number;
  if (e < -1) {
    half = 0;
    rest = 1;
  } else if (e === -1) {
    half = hi >>> 31;
    rest = (hi & 0x7fffffff) | lo;
  } else {
    const f = 63 - e; // fraction bits, 1..63
    if (f < 32) {
      il = ((lo >>> f) | (hi << (32 - f))) >>> 0;
      ih = hi >>> f;
      half = (lo >>> (f - 1)) & 1;
      rest = f > 1 ? lo << (33 - f) : 0;
    } else if (f === 32) {
      il = hi;
      half = lo >>> 31;
      rest = lo & 0x7fffffff;
    } else {
      const g = f - 32;
      il = hi >>> g;
      half = (hi >>> (g - 1)) & 1;
      rest = (g > 1 ? hi << (33 - g) : 0) | lo;
    }
  }
  if ((half | rest) === 0) {
    c.nHi = ih;
    c.nLo = il;
    return 0;
  }
  if (!roundsUp(c.rc, sign, il & 1, half, rest)) {
    c.nHi = ih;
    c.nLo = il;
    return 1;
  }
  il += 1;
  if (il === TWO32) {
    il = 0;
    ih += 1; // |x| < 2^63 here, so no carry out of 64 bits
  }
  c.nHi = ih;
  c.nLo = il;
  return 2;
}

/** FRNDINT: round to an integral value under RC (PC does not apply). */
export function roundToInt(c: F80Context, se: number, hi: number, lo: number): void {
  c.setA(se, hi, lo);
  roundToIntParked(c);
}

function roundToIntParked(c: F80Context): void {
  const { aSE: se, aHi: hi, aLo: lo } = c;
  // The NaN front written out rather than unaryNaNs(): in this function the call tips V8's inlining
  // budget and FRNDINT costs 9% more (instruction counts).
  c.cc = 0;
  if (isUnsupportedF80(se, hi)) {
    c.invalid();
    return;
  }
  const exp = se & EXP_MASK;
  if (exp === EXP_MASK) {
    if (isNaNF80(se, hi, lo)) propagateNaN1(c, se, hi, lo);
    else c.setResult(se, hi, lo);
    return;
  }
  if (isDenormalF80(se, hi, lo)) c.flags |= Status.DE;
  const outcome = integerPart(c);
  if (outcome <= 0 && exp !== 0) {
    c.setResult(se, hi, lo); // already integral
    return;
  }
  normRoundPack(c, se >>> 15, EXP_BIAS + 63, c.nHi, c.nLo, 0, 64);
  if (outcome > 0) c.flags |= Status.PE;
  c.cc = outcome === 2 ? Status.C1 : 0;
}

/**
 * Integer conversion core for FIST: returns true with c.nHi:nLo = |value| if the parked operand fits
 * `bits` (16, 32, 64) as a signed integer; false (IE raised) for NaN, ∞, unsupported and out-of-range.
 */
function toInteger(c: F80Context, bits: number): boolean {
  const se = c.aSE;
  const hi = c.aHi;
  c.cc = 0;
  if (isUnsupportedF80(se, hi) || (se & EXP_MASK) === EXP_MASK) {
    c.flags |= Status.IE;
    return false;
  }
  const outcome = integerPart(c);
  const neg = se >>> 15;
  // Largest magnitude: 2^(bits−1) − 1, or 2^(bits−1) for a negative value.
  let fits: boolean;
  if (outcome < 0) fits = false;
  else if (bits === 64) fits = c.nHi < J_BIT || (neg === 1 && c.nHi === J_BIT && c.nLo === 0);
  else {
    const limit = 2 ** (bits - 1);
    fits = c.nHi === 0 && (c.nLo < limit || (neg === 1 && c.nLo === limit));
  }
  if (!fits) {
    c.flags |= Status.IE;
    return false;
  }
  if (outcome > 0) c.flags |= Status.PE;
  if (outcome === 2) c.cc = Status.C1;
  return true;
}

/** FIST m16: the two's-complement value as a signed number; integer indefinite (−32768) on IE. */
export function toI16(c: F80Context, se: number, hi: number, lo: number): number {
  c.setA(se, hi, lo);
  if (!toInteger(c, 16)) return -0x8000;
  return se & SIGN ? -c.nLo : c.nLo;
}

/** FIST m32: signed value; integer indefinite (−2^31) on IE. */
export function toI32(c: F80Context, se: number, hi: number, lo: number): number {
  c.setA(se, hi, lo);
  if (!toInteger(c, 32)) return -0x80000000;
  return se & SIGN ? -c.nLo | 0 : c.nLo;
}

/** FISTP m64: the two's-complement result in c.hi:c.lo; integer indefinite (8000000000000000) on IE. */
export function toI64(c: F80Context, se: number, hi: number, lo: number): void {
  c.setA(se, hi, lo);
  if (!toInteger(c, 64)) {
    c.hi = J_BIT;
    c.lo = 0;
    return;
  }
  let h = c.nHi;
  let l = c.nLo;
  if (se & SIGN && (h | l) !== 0) {
    l = l === 0 ? 0 : TWO32 - l;
    h = (~h + (l === 0 ? 1 : 0)) >>> 0;
  }
  c.hi = h;
  c.lo = l;
}

/** FILD m16/m32: exact. */
export function fromI32(c: F80Context, v: number): void {
  c.cc = 0;
  const neg = v < 0 ? 1 : 0;
  packInteger(c, neg, 0, neg ? -v : v);
}

/** FILD m64: exact; hi:lo is the two's-complement value. */
export function fromI64(c: F80Context, hi: number, lo: number): void {
  c.cc = 0;
  const neg = hi >>> 31;
  if (neg) {
    lo = lo === 0 ? 0 : TWO32 - lo;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  packInteger(c, neg, hi >>> 0, lo >>> 0);
}

/** FLD m32: exact; SNaN → IE and quieted, denormal → DE. */
export function fromF32(c: F80Context, bits: number): void {
  c.cc = 0;
  const s = (bits >>> 16) & SIGN;
  const e = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (e === 0xff) {
    if (frac === 0) c.setResult(s | EXP_MASK, J_BIT, 0);
    else propagateNaN1(c, s | EXP_MASK, (J_BIT | (frac << 8)) >>> 0, 0);
    return;
  }
  if (e === 0) {
    if (frac === 0) {
      c.setResult(s, 0, 0);
      return;
    }
    c.flags |= Status.DE;
    const z = Math.clz32(frac) - 8; // shift to bring the top bit to the integer position
    c.setResult(s | (1 - 127 + EXP_BIAS - z), (frac << (8 + z)) >>> 0, 0);
    return;
  }
  c.setResult(s | (e - 127 + EXP_BIAS), (J_BIT | (frac << 8)) >>> 0, 0);
}

/** FLD m64 (hi:lo = the double's bits): exact; SNaN → IE and quieted, denormal → DE. */
export function fromF64(c: F80Context, hi: number, lo: number): void {
  c.cc = 0;
  const s = (hi >>> 16) & SIGN;
  const e = (hi >>> 20) & 0x7ff;
  const fh = hi & 0xfffff;
  const sh = ((fh << 11) | (lo >>> 21)) >>> 0; // fraction bits 51..0 placed below the integer bit
  const sl = (lo << 11) >>> 0;
  if (e === 0x7ff) {
    if ((fh | lo) === 0) c.setResult(s | EXP_MASK, J_BIT, 0);
    else propagateNaN1(c, s | EXP_MASK, (J_BIT | sh) >>> 0, sl);
    return;
  }
  if (e === 0) {
    if ((fh | lo) === 0) {
      c.setResult(s, 0, 0);
      return;
    }
    c.flags |= Status.DE;
    normalize(c, 1, sh, sl); // biased 1 on f64's scale (2^-1022); rebias the normalised exponent
    c.setResult(s | (c.nExp - 1023 + EXP_BIAS), c.nHi, c.nLo);
    return;
  }
  c.setResult(s | (e - 1023 + EXP_BIAS), (J_BIT | sh) >>> 0, sl);
}

/**
 * The common front of FST m32/m64 on the parked operand: handles unsupported, NaN, ∞ and zero (returns
 * 1 with the operand class in c.nExp: 0 zero, 1 ∞, 2 NaN already quieted into c.hi:c.lo, 3 indefinite)
 * or rounds a finite value into c (se: biased target exponent, hi:lo: significand) and returns 0.
 */
function storeFront(c: F80Context, bias: number, prec: number, maxExp: number): number {
  const { aSE: se, aHi: hi, aLo: lo } = c;
  c.cc = 0;
  const exp = se & EXP_MASK;
  if (isUnsupportedF80(se, hi)) {
    c.flags |= Status.IE;
    c.nExp = 3;
    return 1;
  }
  if (exp === EXP_MASK) {
    if ((hi & 0x7fffffff) === 0 && lo === 0) {
      c.nExp = 1;
    } else {
      propagateNaN1(c, se, hi, lo);
      c.nExp = 2;
    }
    return 1;
  }
  if (isZeroF80(se, hi, lo)) {
    c.nExp = 0;
    return 1;
  }
  normalize(c, se, hi, lo);
  roundPackTo(c, se >>> 15, c.nExp - EXP_BIAS + bias, c.nHi, c.nLo, 0, prec, maxExp);
  return 0;
}

/** FST m32: the single's bits (unsigned). */
export function toF32(c: F80Context, se: number, hi: number, lo: number): number {
  const s = (se & SIGN) << 16;
  c.setA(se, hi, lo);
  if (storeFront(c, 127, 24, 0xfe) !== 0) {
    switch (c.nExp) {
      case 0:
        return s >>> 0;
      case 1:
        return (s | 0x7f800000) >>> 0;
      case 2:
        return (s | 0x7f800000 | ((c.hi >>> 8) & 0x7fffff)) >>> 0;
      default:
        return 0xffc00000;
    }
  }
  return (s | ((c.se & EXP_MASK) << 23) | ((c.hi >>> 8) & 0x7fffff)) >>> 0;
}

/** FST m64: the double's bits in c.hi (sign, exponent, top of fraction) and c.lo. */
export function toF64(c: F80Context, se: number, hi: number, lo: number): void {
  const s = (se & SIGN) << 16;
  c.setA(se, hi, lo);
  if (storeFront(c, 1023, 53, 0x7fe) !== 0) {
    switch (c.nExp) {
      case 0:
        c.hi = s >>> 0;
        c.lo = 0;
        return;
      case 1:
        c.hi = (s | 0x7ff00000) >>> 0;
        c.lo = 0;
        return;
      case 2:
        hi = c.hi;
        c.hi = (s | 0x7ff00000 | ((hi >>> 11) & 0xfffff)) >>> 0;
        c.lo = ((hi << 21) | (c.lo >>> 11)) >>> 0;
        return;
      default:
        c.hi = 0xfff80000;
        c.lo = 0;
        return;
    }
  }
  const e = c.se & EXP_MASK;
  hi = c.hi;
  c.hi = (s | (e << 20) | ((hi >>> 11) & 0xfffff)) >>> 0;
  c.lo = ((hi << 21) | (c.lo >>> 11)) >>> 0;
}
