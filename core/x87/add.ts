/** FADD / FSUB on the extended format: exact alignment in 96 bits, then one rounding. */
import {
  EXP_MASK,
  F80Context,
  J_BIT,
  Rounding,
  SIGN,
  binaryNaNs,
  flagDenormals,
  normRoundPack,
  normalize,
  roundPack,
  shiftRightJam96,
} from './f80.js';

const TWO32 = 4294967296;

/** a + b into c (FADD). */
export function add(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  c.setOperands(aSE, aHi, aLo, bSE, bHi, bLo);
  addParked(c, 0);
}

/** a − b into c (FSUB; FSUBR is sub with the operands swapped). */
export function sub(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  c.setOperands(aSE, aHi, aLo, bSE, bHi, bLo);
  addParked(c, SIGN);
}

/** a + (b with its sign flipped by `flip`), operands parked in c. */
function addParked(c: F80Context, flip: number): void {
  // NaNs keep their own sign, so flip b only after they are handled.
  if (binaryNaNs(c)) return;
  const { aSE, aHi, aLo, bHi, bLo } = c;
  const bSE = c.bSE ^ flip;
  const aInf = (aSE & EXP_MASK) === EXP_MASK;
  const bInf = (bSE & EXP_MASK) === EXP_MASK;
  const aSign = aSE >>> 15;
  const bSign = bSE >>> 15;
  if (aInf || bInf) {
    if (aInf && bInf && aSign !== bSign) {
      c.invalid(); // ∞ − ∞
      return;
    }
    flagDenormals(c, aSE, aHi, aLo, bSE, bHi, bLo);
    c.setResult(aInf ? aSE : bSE, J_BIT, 0);
    return;
  }
  flagDenormals(c, aSE, aHi, aLo, bSE, bHi, bLo);
  const aZero = (aHi | aLo) === 0;
  const bZero = (bHi | bLo) === 0;
  if (aZero || bZero) {
    if (aZero && bZero) {
      // Exact zero sum: same signs keep it, opposite signs give +0 except when rounding down.
      const neg = aSign === bSign ? aSign : c.rc === Rounding.DOWN ? 1 : 0;
      c.setResult(neg ? SIGN : 0, 0, 0);
      return;
    }
    // x ± 0 = x, but still rounded to the precision control (and a denormal x may underflow there).
    if (aZero) normalize(c, bSE, bHi, bLo);
    else normalize(c, aSE, aHi, aLo);
    roundPack(c, aZero ? bSign : aSign, c.nExp, c.nHi, c.nLo, 0);
    return;
  }
  normalize(c, aSE, aHi, aLo);
  let { nExp: ae, nHi: ah, nLo: al } = c;
  normalize(c, bSE, bHi, bLo);
  let { nExp: be, nHi: bh, nLo: bl } = c;
  // Work from the larger magnitude (a after the swap); the result takes its sign.
  let sign = aSign;
  if (ae < be || (ae === be && (ah < bh || (ah === bh && al < bl)))) {
    const te = ae, th = ah, tl = al;
    ae = be;
    ah = bh;
    al = bl;
    be = te;
    bh = th;
    bl = tl;
    sign = bSign;
  } else if (aSign !== bSign && ae === be && ah === bh && al === bl) {
    c.setResult(c.rc === Rounding.DOWN ? SIGN : 0, 0, 0); // x − x
    return;
  }
  shiftRightJam96(c, bh, bl, 0, ae - be);
  if (aSign !== bSign) {
    // Opposite signs: subtract the smaller magnitude from the larger.
    let ext = -c.w0;
    let borrow = 0;
    if (ext < 0) {
      ext += TWO32;
      borrow = 1;
    }
    let lo = al - c.w1 - borrow;
    borrow = 0;
    if (lo < 0) {
      lo += TWO32;
      borrow = 1;
    }
    normRoundPack(c, sign, ae, ah - c.w2 - borrow, lo, ext, c.precBits);
    return;
  }
  const ext = c.w0;
  let lo = al + c.w1;
  let hi = ah + c.w2;
  if (lo >= TWO32) {
    lo -= TWO32;
    hi += 1;
  }
  if (hi < TWO32) {
    roundPack(c, sign, ae, hi, lo, ext);
    return;
  }
  // Carry out: shift the 97-bit sum right by one, keeping the lost bit sticky.
  const e2 = ((ext >>> 1) | ((lo & 1) << 31) | (ext & 1)) >>> 0;
  const l2 = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
  roundPack(c, sign, ae + 1, (J_BIT | ((hi - TWO32) >>> 1)) >>> 0, l2, e2);
}
