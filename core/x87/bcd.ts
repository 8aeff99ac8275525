/**
 * FBLD / FBSTP: 10-byte packed BCD — 18 digits, two per byte, least significant byte first, then a
 * sign byte (bit 7). The BCD indefinite stored on IE is FFFF C000 0000 0000 0000.
 */
import { EXP_MASK, F80Context, Status, isUnsupportedF80, mul32, packInteger } from './f80.js';
import { integerPart } from './convert.js';

const TWO32 = 4294967296;

/** Nine packed digits starting at digit `first` (0 = least significant). */
function nineDigits(m: Uint8Array, off: number, first: number): number {
  let v = 0;
  for (let d = first + 8; d >= first; d--) {
    const byte = m[off + (d >> 1)]!;
    v = v * 10 + ((d & 1 ? byte >> 4 : byte) & 0xf);
  }
  return v;
}

/**
 * FBLD: exact. Digits A-F are undefined on real hardware; we weigh them like 10-15 (the result stays
 * below 2^64), so bad input still gives a deterministic number.
 */
export function loadBcd(c: F80Context, m: Uint8Array, off: number): void {
  c.cc = 0;
  const low = nineDigits(m, off, 0);
  const high = nineDigits(m, off, 9);
  let lo = mul32(c, high, 1000000000) + low;
  let hi = c.mulHi;
  if (lo >= TWO32) {
    lo -= TWO32;
    hi += 1;
  }
  packInteger(c, m[off + 9]! >> 7, hi, lo);
}

/** FBSTP: round under RC; NaN, ∞, unsupported or more than 18 digits store the indefinite with IE. */
export function storeBcd(c: F80Context, se: number, hi: number, lo: number, m: Uint8Array, off: number): void {
  c.cc = 0;
  let outcome = -1;
  c.setA(se, hi, lo);
  if (!isUnsupportedF80(se, hi) && (se & EXP_MASK) !== EXP_MASK) outcome = integerPart(c);
  // 10^18 − 1 = 0DE0B6B3_A763FFFF
  const ih = c.nHi;
  const il = c.nLo;
  if (outcome < 0 || ih > 0x0de0b6b3 || (ih === 0x0de0b6b3 && il > 0xa763ffff)) {
    c.flags |= Status.IE;
    m.fill(0, off, off + 7);
    m[off + 7] = 0xc0;
    m[off + 8] = 0xff;
    m[off + 9] = 0xff;
    return;
  }
  if (outcome > 0) c.flags |= Status.PE;
  if (outcome === 2) c.cc = Status.C1;
  // Split into two 9-digit halves: divide by 10^9 in 16-bit steps so every intermediate is exact.
  const t1 = ih * 65536 + (il >>> 16);
  const q1 = Math.floor(t1 / 1e9);
  const t2 = (t1 - q1 * 1e9) * 65536 + (il & 0xffff);
  const q2 = Math.floor(t2 / 1e9);
  writeNine(m, off, t2 - q2 * 1e9);
  writeNine(m, off + 4, q1 * 65536 + q2, true);
  m[off + 9] = se & 0x8000 ? 0x80 : 0;
}

/**
 * Write nine digits: the low half fills bytes 0-3 and the low nibble of byte 4; the high half
 * (odd = true) fills the high nibble of byte 4 and bytes 5-8.
 */
function writeNine(m: Uint8Array, off: number, v: number, odd = false): void {
  let d = odd ? 1 : 0;
  for (let i = 0; i < 9; i++, d++) {
    const digit = v % 10;
    v = (v - digit) / 10;
    const at = off + (d >> 1);
    if (d & 1) m[at] = (m[at]! & 0x0f) | (digit << 4);
    else m[at] = digit;
  }
}
