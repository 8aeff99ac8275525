/** FMUL / FDIV on the extended format: exact 128-bit product, 32-bit-digit long division. */
import {
  EXP_BIAS,
  EXP_MASK,
  F80Context,
  J_BIT,
  SIGN,
  Status,
  binaryNaNs,
  flagDenormals,
  isZeroF80,
  mul32,
  normalize,
  roundPack,
} from './f80.js';

const TWO32 = 4294967296;
const INV32 = 1 / TWO32;
/** 2^k for digit sizes 0..32 (a constant table: Math.pow is slow in hot loops). */
const POW2: readonly number[] = Array.from({ length: 33 }, (_, k) => 2 ** k);

/** a × b into c (FMUL). */
export function mul(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  c.setOperands(aSE, aHi, aLo, bSE, bHi, bLo);
  mulParked(c);
}

function mulParked(c: F80Context): void {
  if (binaryNaNs(c)) return;
  const { aSE, aHi, aLo, bSE, bHi, bLo } = c;
  const sign = ((aSE ^ bSE) >>> 15) & 1;
  const aZero = isZeroF80(aSE, aHi, aLo);
  const bZero = isZeroF80(bSE, bHi, bLo);
  if ((aSE & EXP_MASK) === EXP_MASK || (bSE & EXP_MASK) === EXP_MASK) {
    if (aZero || bZero) {
      c.invalid(); // ∞ × 0
      return;
    }
    flagDenormals(c, aSE, aHi, aLo, bSE, bHi, bLo);
    c.setResult((sign ? SIGN : 0) | EXP_MASK, J_BIT, 0);
    return;
  }
  flagDenormals(c, aSE, aHi, aLo, bSE, bHi, bLo);
  if (aZero || bZero) {
    c.setResult(sign ? SIGN : 0, 0, 0);
    return;
  }
  normalize(c, aSE, aHi, aLo);
  const { nExp: ae, nHi: ah, nLo: al } = c;
  normalize(c, bSE, bHi, bLo);
  const { nExp: be, nHi: bh, nLo: bl } = c;
  // 128-bit product in four words p3:p2:p1:p0.
  const p0 = mul32(c, al, bl);
  const ll = c.mulHi;
  const lhL = mul32(c, al, bh);
  const lhH = c.mulHi;
  const hlL = mul32(c, ah, bl);
  const hlH = c.mulHi;
  const hhL = mul32(c, ah, bh);
  const hhH = c.mulHi;
  let p1 = ll + lhL + hlL;
  const k1 = Math.floor(p1 * INV32);
  p1 -= k1 * TWO32;
  let p2 = lhH + hlH + hhL + k1;
  const k2 = Math.floor(p2 * INV32);
  p2 -= k2 * TWO32;
  const p3 = hhH + k2;
  const exp = ae + be - EXP_BIAS;
  const sticky = p0 !== 0 ? 1 : 0;
  if (p3 >= J_BIT) {
    roundPack(c, sign, exp + 1, p3, p2, (p1 | sticky) >>> 0);
  } else {
    // Product in [1, 2): shift left one bit.
    roundPack(
      c,
      sign,
      exp,
      ((p3 << 1) | (p2 >>> 31)) >>> 0,
      ((p2 << 1) | (p1 >>> 31)) >>> 0,
      ((p1 << 1) | (p0 >>> 31) | sticky) >>> 0,
    );
  }
}

/** a ÷ b into c (FDIV; FDIVR is div with the operands swapped). */
export function div(c: F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  c.setOperands(aSE, aHi, aLo, bSE, bHi, bLo);
  divParked(c);
}

function divParked(c: F80Context): void {
  if (binaryNaNs(c)) return;
  const { aSE, aHi, aLo, bSE, bHi, bLo } = c;
  const sign = ((aSE ^ bSE) >>> 15) & 1;
  const s = sign ? SIGN : 0;
  const aInf = (aSE & EXP_MASK) === EXP_MASK;
  const bInf = (bSE & EXP_MASK) === EXP_MASK;
  const aZero = isZeroF80(aSE, aHi, aLo);
  if (aInf || bInf) {
    if (aInf && bInf) {
      c.invalid(); // ∞ / ∞
      return;
    }
    flagDenormals(c, aSE, aHi, aLo, bSE, bHi, bLo);
    if (aInf) c.setResult(s | EXP_MASK, J_BIT, 0);
    else c.setResult(s, 0, 0);
    return;
  }
  if (isZeroF80(bSE, bHi, bLo)) {
    if (aZero) {
      c.invalid(); // 0 / 0
      return;
    }
    c.flags |= Status.ZE;
    c.setResult(s | EXP_MASK, J_BIT, 0);
    return;
  }
  flagDenormals(c, aSE, aHi, aLo, bSE, bHi, bLo);
  if (aZero) {
    c.setResult(s, 0, 0);
    return;
  }
  normalize(c, aSE, aHi, aLo);
  const ae = c.nExp;
  let { nHi: rh, nLo: rl } = c;
  normalize(c, bSE, bHi, bLo);
  const { nExp: be, nHi: bh, nLo: bl } = c;
  const exp = ae - be + EXP_BIAS;
  // Quotient = q0 . d1 d2 d3 (32-bit digits), remainder kept below b throughout.
  let q0 = 0;
  if (rh > bh || (rh === bh && rl >= bl)) {
    q0 = 1;
    rl -= bl;
    rh -= bh;
    if (rl < 0) {
      rl += TWO32;
      rh -= 1;
    }
  }
  const d1 = divStep(c, rh, rl, bh, bl, 32);
  const d2 = divStep(c, c.rHi, c.rLo, bh, bl, 32);
  const d3 = divStep(c, c.rHi, c.rLo, bh, bl, 32);
  const sticky = (c.rHi | c.rLo) !== 0 ? 1 : 0;
  if (q0) {
    roundPack(
      c,
      sign,
      exp,
      (J_BIT | (d1 >>> 1)) >>> 0,
      ((d1 << 31) | (d2 >>> 1)) >>> 0,
      ((d2 << 31) | (d3 >>> 1) | (d3 & 1) | sticky) >>> 0,
    );
  } else {
    roundPack(c, sign, exp - 1, d1, d2, (d3 | sticky) >>> 0);
  }
}

/**
 * One digit of long division: given r = rh:rl < b = bh:bl (b normalised) and 1 ≤ k ≤ 32, returns
 * floor(r × 2^k / b) and leaves the new remainder in c.rHi:rLo. The digit is estimated in double
 * precision (off by at most one either way, since the estimate's error is below 2^-19) and corrected exactly.
 */
export function divStep(c: F80Context, rh: number, rl: number, bh: number, bl: number, k: number): number {
  const scale = POW2[k]!;
  let d = Math.floor(((rh * TWO32 + rl) / (bh * TWO32 + bl)) * scale);
  if (d >= scale) d = scale - 1;
  // y2:y1:y0 = r × 2^k
  let y2: number, y1: number, y0: number;
  if (k === 32) {
    y2 = rh;
    y1 = rl;
    y0 = 0;
  } else {
    y2 = rh >>> (32 - k);
    y1 = ((rh << k) | (rl >>> (32 - k))) >>> 0;
    y0 = (rl << k) >>> 0;
  }
  // x2:x1:x0 = y − d × b, with x2 the signed top word.
  const p0 = mul32(c, d, bl);
  let m1 = c.mulHi;
  m1 += mul32(c, d, bh);
  let m2 = c.mulHi;
  if (m1 >= TWO32) {
    m1 -= TWO32;
    m2 += 1;
  }
  let x0 = y0 - p0;
  let borrow = 0;
  if (x0 < 0) {
    x0 += TWO32;
    borrow = 1;
  }
  let x1 = y1 - m1 - borrow;
  borrow = 0;
  if (x1 < 0) {
    x1 += TWO32;
    borrow = 1;
  }
  const x2 = y2 - m2 - borrow;
  if (x2 < 0) {
    // Estimate one too large: add b back.
    d -= 1;
    x0 += bl;
    x1 += bh;
    if (x0 >= TWO32) {
      x0 -= TWO32;
      x1 += 1;
    }
    if (x1 >= TWO32) x1 -= TWO32;
  } else if (x2 > 0 || x1 > bh || (x1 === bh && x0 >= bl)) {
    // Estimate one too small: subtract b once more.
    d += 1;
    x0 -= bl;
    x1 -= bh;
    if (x0 < 0) {
      x0 += TWO32;
      x1 -= 1;
    }
    if (x1 < 0) x1 += TWO32;
  }
  c.rHi = x1;
  c.rLo = x0;
  return d;
}
