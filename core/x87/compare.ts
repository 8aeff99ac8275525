/**
 * Comparisons (FCOM/FUCOM/FTST family) and FXAM. The result is the x87 condition code — C3 C2 C0 =
 * 000 greater, 001 less, 100 equal, 111 unordered — which FCOMI/FUCOMI map to ZF PF CF the same way.
 * FCOM signals IE for any NaN; FUCOM only for signalling NaNs. Unsupported encodings always signal.
 */
import {
  EXP_MASK,
  F80Context,
  Status,
  compareMagnitudes,
  flagDenormals,
  isNaNF80,
  isSNaNF80,
  isUnsupportedF80,
  isZeroF80,
  normalizeOperands,
} from './f80.js';

export const CC_GREATER = 0;
export const CC_LESS = Status.C0;
export const CC_EQUAL = Status.C3;
export const CC_UNORDERED = Status.C3 | Status.C2 | Status.C0;

/** Compare a with b; returns (and leaves in c.cc) the condition code. quiet = FUCOM semantics. */
export function compare(
  c: F80Context,
  aSE: number,
  aHi: number,
  aLo: number,
  bSE: number,
  bHi: number,
  bLo: number,
  quiet: boolean,
): number {
  c.setOperands(aSE, aHi, aLo, bSE, bHi, bLo);
  return compareParked(c, quiet);
}

function compareParked(c: F80Context, quiet: boolean): number {
  let cc: number;
  if (isUnsupportedF80(c.aSE, c.aHi) || isUnsupportedF80(c.bSE, c.bHi)) {
    c.flags |= Status.IE;
    cc = CC_UNORDERED;
  } else if (isNaNF80(c.aSE, c.aHi, c.aLo) || isNaNF80(c.bSE, c.bHi, c.bLo)) {
    if (!quiet || isSNaNF80(c.aSE, c.aHi, c.aLo) || isSNaNF80(c.bSE, c.bHi, c.bLo)) c.flags |= Status.IE;
    cc = CC_UNORDERED;
  } else {
    flagDenormals(c, c.aSE, c.aHi, c.aLo, c.bSE, c.bHi, c.bLo);
    cc = orderOf(c);
  }
  c.cc = cc;
  return cc;
}

/** Ordered comparison of the parked operands, two non-NaN supported values. */
function orderOf(c: F80Context): number {
  const aZero = isZeroF80(c.aSE, c.aHi, c.aLo);
  const bZero = isZeroF80(c.bSE, c.bHi, c.bLo);
  if (aZero && bZero) return CC_EQUAL; // +0 = −0
  const aNeg = c.aSE >>> 15;
  const bNeg = c.bSE >>> 15;
  if (aZero) return bNeg ? CC_GREATER : CC_LESS;
  if (bZero) return aNeg ? CC_LESS : CC_GREATER;
  if (aNeg !== bNeg) return aNeg ? CC_LESS : CC_GREATER;
  // Same sign: compare magnitudes (normalised, so pseudo-denormals compare by value).
  normalizeOperands(c);
  const m = compareMagnitudes(c);
  if (m === 0) return CC_EQUAL;
  return (aNeg ? -m : m) > 0 ? CC_GREATER : CC_LESS;
}

/** a = b, quiet (IE only for signalling NaNs), as IEEE compareQuietEqual. */
export function eq(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): boolean {
  return compare(c, aSE, aHi, aLo, bSE, bHi, bLo, true) === CC_EQUAL;
}

/** a < b, signalling (IE for any NaN). */
export function lt(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): boolean {
  return compare(c, aSE, aHi, aLo, bSE, bHi, bLo, false) === CC_LESS;
}

/** a ≤ b, signalling (IE for any NaN). */
export function le(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): boolean {
  const cc = compare(c, aSE, aHi, aLo, bSE, bHi, bLo, false);
  return cc === CC_LESS || cc === CC_EQUAL;
}

/**
 * FXAM's class code for a non-empty register (C3 C2 C0; the FPU supplies "empty" = C3|C0 from the
 * tag word) with C1 = sign. No exceptions.
 */
export function examine(c: F80Context, se: number, hi: number, lo: number): number {
  const exp = se & EXP_MASK;
  let cc: number;
  if (isUnsupportedF80(se, hi)) cc = 0;
  else if (exp === EXP_MASK) cc = (hi & 0x7fffffff) === 0 && lo === 0 ? Status.C2 | Status.C0 : Status.C0;
  else if (exp === 0) cc = (hi | lo) === 0 ? Status.C3 : Status.C3 | Status.C2;
  else cc = Status.C2;
  if (se & 0x8000) cc |= Status.C1;
  c.cc = cc;
  return cc;
}
