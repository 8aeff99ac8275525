/**
 * FPREM (truncated quotient, the 8087's partial remainder) and FPREM1 (IEEE remainder, quotient rounded
 * to nearest). Both are exact. When the exponents differ by 64 or more, one execution only reduces the
 * dividend by N quotient bits and sets C2 ("incomplete"); software loops until C2 clears. Intel leaves
 * N implementation-dependent in [32, 63]; we take N = 32 + (D mod 32), so the remaining difference
 * is a multiple of 32.
 */
import {
  EXP_MASK,
  F80Context,
  Status,
  binaryNaNs,
  isDenormalF80,
  normRoundPack,
  normalize,
} from './f80.js';
import { divStep } from './muldiv.js';

const TWO32 = 4294967296;

/** FPREM: ST(0) = a − b × trunc(a / b), C2 = incomplete, C0 C3 C1 = quotient bits 2 1 0. */
export function fprem(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  c.setOperands(aSE, aHi, aLo, bSE, bHi, bLo);
  partialRemainder(c, false);
}

/** FPREM1: as FPREM with the quotient rounded to nearest-even when complete. */
export function fprem1(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  c.setOperands(aSE, aHi, aLo, bSE, bHi, bLo);
  partialRemainder(c, true);
}

/** The IEEE remainder in one call: FPREM1 repeated until complete. Flags accumulate over the steps. */
export function remainder(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  c.setOperands(aSE, aHi, aLo, bSE, bHi, bLo);
  partialRemainder(c, true);
  while (c.cc & Status.C2) {
    c.setA(c.se, c.hi, c.lo);
    partialRemainder(c, true);
  }
}

/** Quotient bits Q2 Q1 Q0 → C0 C3 C1. */
function quotientFlags(q: number): number {
  return (q & 4 ? Status.C0 : 0) | (q & 2 ? Status.C3 : 0) | (q & 1 ? Status.C1 : 0);
}

/** One FPREM/FPREM1 step on the parked operands. */
function partialRemainder(c: F80Context, nearest: boolean): void {
  if (binaryNaNs(c)) return;
  const { aSE, aHi, aLo, bSE, bHi, bLo } = c;
  // Checks written out rather than isZeroF80()/flagDenormals(): here those calls tip V8's inlining
  // budget (divStep gets inlined instead) and FPREM costs 40% more (instruction counts).
  const aExp = aSE & EXP_MASK;
  const bExp = bSE & EXP_MASK;
  if (aExp === EXP_MASK || (bExp === 0 && (bHi | bLo) === 0)) {
    c.invalid(); // ∞ rem y, x rem 0
    return;
  }
  if (isDenormalF80(aSE, aHi, aLo) || isDenormalF80(bSE, bHi, bLo)) c.flags |= Status.DE;
  if (bExp === EXP_MASK || (aExp === 0 && (aHi | aLo) === 0)) {
    c.setResult(aSE, aHi, aLo); // x rem ∞ = x, 0 rem y = 0
    return;
  }
  const aSign = aSE >>> 15;
  normalize(c, aSE, aHi, aLo);
  const ae = c.nExp;
  let { nHi: rh, nLo: rl } = c;
  normalize(c, bSE, bHi, bLo);
  const { nExp: be, nHi: bh, nLo: bl } = c;
  const d = ae - be;
  if (d < 0) {
    // |a| < |b|: the truncated quotient is 0. Rounded, it is 1 only if |a| > |b|/2 (d = −1, sig a > sig b).
    if (nearest && d === -1 && (rh > bh || (rh === bh && rl > bl))) {
      // r = b − a at a's scale: 2·sig b − sig a, which is below sig b.
      let lo = bl * 2 - rl;
      let hi = bh * 2 - rh;
      if (lo < 0) {
        lo += TWO32;
        hi -= 1;
      } else if (lo >= TWO32) {
        lo -= TWO32;
        hi += 1;
      }
      normRoundPack(c, aSign ^ 1, ae, hi, lo, 0, 64);
      c.cc = Status.C1; // quotient 1
      return;
    }
    normRoundPack(c, aSign, ae, rh, rl, 0, 64);
    c.cc = 0;
    return;
  }
  const partial = d >= 64;
  const bits = partial ? 32 + (d % 32) : d;
  // r = (sig a × 2^bits) mod sig b, q = the low quotient bits.
  let q = 0;
  if (rh > bh || (rh === bh && rl >= bl)) {
    q = 1;
    rl -= bl;
    rh -= bh;
    if (rl < 0) {
      rl += TWO32;
      rh -= 1;
    }
  }
  let left = bits;
  while (left > 0) {
    const k = left >= 32 ? 32 : left;
    const digit = divStep(c, rh, rl, bh, bl, k);
    q = k >= 3 ? digit & 7 : ((q << k) | digit) & 7;
    rh = c.rHi;
    rl = c.rLo;
    left -= k;
  }
  const rExp = ae - bits; // the remainder's significand has b's scale shifted by the bits not yet reduced
  if (partial) {
    normRoundPack(c, aSign, rExp, rh, rl, 0, 64);
    c.cc = Status.C2; // incomplete; Intel leaves C0 C1 C3 undefined here, we report 0
    return;
  }
  let sign = aSign;
  if (nearest) {
    // Round the quotient: take b − r instead of r if r > b/2, or r = b/2 and q is odd.
    let th = bh - rh;
    let tl = bl - rl;
    if (tl < 0) {
      tl += TWO32;
      th -= 1;
    }
    if (rh > th || (rh === th && (rl > tl || (rl === tl && (q & 1) !== 0)))) {
      rh = th;
      rl = tl;
      sign ^= 1;
      q += 1;
    }
  }
  normRoundPack(c, sign, rExp, rh, rl, 0, 64); // exact; a zero remainder keeps the dividend's sign
  c.cc = quotientFlags(q);
}
