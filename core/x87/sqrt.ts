/** FSQRT: a double-precision estimate of the 64-bit root, one Newton step, then exact correction. */
import { EXP_BIAS, EXP_MASK, F80Context, Status, isDenormalF80, isZeroF80, mul32, normalize, roundPack, unaryNaNs } from './f80.js';

const TWO32 = 4294967296;
const TWO64 = TWO32 * TWO32;
const TWO96 = TWO64 * TWO32;
const INV32 = 1 / TWO32;

/** √a into c (FSQRT). */
export function sqrt(c: F80Context, se: number, hi: number, lo: number): void {
  c.setA(se, hi, lo);
  sqrtParked(c);
}

function sqrtParked(c: F80Context): void {
  const { aSE: se, aHi: hi, aLo: lo } = c;
  if (unaryNaNs(c, se, hi, lo)) return;
  if (isZeroF80(se, hi, lo)) {
    c.setResult(se, 0, 0); // √±0 = ±0
    return;
  }
  if (se & 0x8000) {
    c.invalid(); // negative, including −∞
    return;
  }
  if ((se & EXP_MASK) === EXP_MASK) {
    c.setResult(se, hi, lo); // √+∞
    return;
  }
  if (isDenormalF80(se, hi, lo)) c.flags |= Status.DE;
  normalize(c, se, hi, lo);
  const e = c.nExp - EXP_BIAS;
  const odd = e & 1;
  // N = sig × 2^64 (odd exponent) or sig × 2^63 (even), so Q = ⌊√N⌋ has exactly 64 bits.
  const sh = c.nHi;
  const sl = c.nLo;
  const n3 = odd ? sh : sh >>> 1;
  const n2 = odd ? sl : ((sh << 31) | (sl >>> 1)) >>> 0;
  const n1 = odd ? 0 : (sl << 31) >>> 0;
  // Estimate from below (double error < 2^12), then one Newton step from there, in doubles.
  const x = Math.sqrt(n3 * TWO96 + n2 * TWO64 + n1 * TWO32) - 16384;
  let qh = Math.floor(x / TWO32);
  let ql = x - qh * TWO32;
  remainder(c, n3, n2, n1, qh, ql);
  const d = Math.floor((c.w2 * TWO64 + c.w1 * TWO32 + c.w0) / (2 * x));
  ql += d;
  if (ql >= TWO32) {
    ql -= TWO32;
    qh += 1;
  }
  // Now Q is right within one: fix it so that 0 ≤ N − Q² ≤ 2Q.
  remainder(c, n3, n2, n1, qh, ql);
  let r2 = c.w2;
  let r1 = c.w1;
  let r0 = c.w0;
  if (r2 < 0) {
    // Q one too big: Q −= 1, R += 2Q + 1 (with the new Q).
    if (ql === 0) {
      ql = 0xffffffff;
      qh -= 1;
    } else ql -= 1;
    addTo(c, r2, r1, r0, qh * 2 + (ql >>> 31), ((ql << 1) | 1) >>> 0);
    r2 = c.w2;
    r1 = c.w1;
    r0 = c.w0;
  } else if (greater(r2, r1, r0, qh * 2 + (ql >>> 31), (ql << 1) >>> 0)) {
    // Q one too small: R −= 2Q + 1, Q += 1.
    addTo(c, r2, r1, r0, -(qh * 2 + (ql >>> 31)), -(((ql << 1) | 1) >>> 0));
    r2 = c.w2;
    r1 = c.w1;
    r0 = c.w0;
    ql += 1;
    if (ql === TWO32) {
      ql = 0;
      qh += 1;
    }
  }
  // The root is never exactly halfway between integers, so R > Q means "above half" with bits below.
  const above = greater(r2, r1, r0, qh, ql);
  const rest = (r2 | r1 | r0) !== 0;
  roundPack(c, 0, (e >> 1) + EXP_BIAS, qh, ql, above ? 0x80000001 : rest ? 1 : 0);
}

/** c.w2:w1:w0 = N − Q² for N = n3:n2:n1:0 and Q = qh:ql, where |N − Q²| < 2^95; w2 is signed. */
function remainder(c: F80Context, n3: number, n2: number, n1: number, qh: number, ql: number): void {
  // Q² = qh²·2^64 + 2·qh·ql·2^32 + ql²  (four words s3:s2:s1:s0)
  const s0 = mul32(c, ql, ql);
  let s1 = c.mulHi;
  let s2 = mul32(c, qh, qh);
  let s3 = c.mulHi;
  const m0 = mul32(c, qh, ql);
  const m1 = c.mulHi;
  s1 += 2 * m0;
  s2 += 2 * m1;
  let k = Math.floor(s1 * INV32);
  s1 -= k * TWO32;
  s2 += k;
  k = Math.floor(s2 * INV32);
  s2 -= k * TWO32;
  s3 += k;
  let r0 = -s0;
  let b = 0;
  if (r0 < 0) {
    r0 += TWO32;
    b = 1;
  }
  let r1 = n1 - s1 - b;
  b = 0;
  if (r1 < 0) {
    r1 += TWO32;
    b = 1;
  }
  let r2 = n2 - s2 - b;
  b = 0;
  if (r2 < 0) {
    r2 += TWO32;
    b = 1;
  }
  const r3 = n3 - s3 - b; // 0 or −1 given the bound
  c.w2 = r3 < 0 ? r2 - TWO32 : r2;
  c.w1 = r1;
  c.w0 = r0;
}

/** c.w2:w1:w0 = r2:r1:r0 + (ah·2^32 + al), for small signed r2 and |a| < 2^66. */
function addTo(c: F80Context, r2: number, r1: number, r0: number, ah: number, al: number): void {
  let x0 = r0 + al;
  let k = Math.floor(x0 * INV32);
  x0 -= k * TWO32;
  let x1 = r1 + ah + k;
  k = Math.floor(x1 * INV32);
  x1 -= k * TWO32;
  c.w2 = r2 + k;
  c.w1 = x1;
  c.w0 = x0;
}

/** Is r2:r1:r0 (r2 ≥ 0, small) greater than ah·2^32 + al (al < 2^32, ah < 2^34)? */
function greater(r2: number, r1: number, r0: number, ah: number, al: number): boolean {
  const rh = r2 * TWO32 + r1; // < 2^35: exact
  return rh > ah || (rh === ah && r0 > al);
}
