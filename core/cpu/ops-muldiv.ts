/** Multiply, divide and decimal adjust: MUL IMUL DIV IDIV, DAA DAS AAA AAS AAM AAD. */
import { AF, CF, lazyAF, lazyCF, OF, setEager } from './flags.js';
import { type CpuBase, VEC_DE } from './cpu-base.js';
import { fetchImm, getReg, readE, regField, setReg, signExtend, sizeOf, spec, type SpecFactory } from './operands.js';

/** High 32 bits of the unsigned 64-bit product of two u32 values (the low half is Math.imul). */
export function mulHighU32(a: number, b: number): number {
  a >>>= 0;
  b >>>= 0;
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl;
  const mid = Math.floor(ll / 0x10000) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + Math.floor(lh / 0x10000) + Math.floor(hl / 0x10000) + Math.floor(mid / 0x10000)) >>> 0;
}

/** High 32 bits of the signed 64-bit product. */
export function mulHighS32(a: number, b: number): number {
  let hi = mulHighU32(a, b);
  if ((a | 0) < 0) hi -= b >>> 0;
  if ((b | 0) < 0) hi -= a >>> 0;
  return hi | 0;
}

/** Flags of MUL/IMUL: CF = OF = `overflow`; SF ZF PF from the low half (the manual leaves them undefined), AF 0. */
function mulFlags(c: CpuBase, overflow: boolean, low: number, size: number): void {
  setEager(c, CF | OF | AF, overflow ? CF | OF : 0, low, size, true);
}

/** MUL r/m: unsigned, into AX, DX:AX or EDX:EAX. */
export function mul(c: CpuBase, size: number): void {
  const src = readE(c, size);
  if (size === 8) {
    const r = c.r8[0] * src;
    c.r16[0] = r;
    mulFlags(c, r > 0xff, r & 0xff, 8);
  } else if (size === 16) {
    const r = c.r16[0] * src;
    c.r16[0] = r;
    c.r16[4] = r >>> 16;
    mulFlags(c, r > 0xffff, r & 0xffff, 16);
  } else {
    const a = c.r32[0];
    const hi = mulHighU32(a, src);
    const lo = Math.imul(a, src);
    c.r32[0] = lo;
    c.r32[2] = hi;
    mulFlags(c, hi !== 0, lo, 32);
  }
}

/** IMUL with one operand (F6/F7 /5): the accumulator times r/m into the double-width accumulator. */
export function imulOne(c: CpuBase, size: number): void {
  const src = signExtend(readE(c, size), size);
  if (size === 8) {
    const r = ((c.r8[0] << 24) >> 24) * src;
    c.r16[0] = r;
    mulFlags(c, r !== (r << 24) >> 24, r & 0xff, 8);
  } else if (size === 16) {
    const r = ((c.r16[0] << 16) >> 16) * src;
    c.r16[0] = r;
    c.r16[4] = r >> 16;
    mulFlags(c, r !== (r << 16) >> 16, r & 0xffff, 16);
  } else {
    const a = c.r32[0];
    const hi = mulHighS32(a, src);
    const lo = Math.imul(a, src);
    c.r32[0] = lo;
    c.r32[2] = hi;
    mulFlags(c, hi !== lo >> 31, lo, 32);
  }
}

/** Truncating signed multiply into one register (IMUL Gv,Ev / Gv,Ev,Ibs / Gv,Ev,Iz). */
function imulTrunc(c: CpuBase, a: number, b: number, size: number): number {
  if (size === 16) {
    const r = a * b;
    mulFlags(c, r !== (r << 16) >> 16, r & 0xffff, 16);
    return r & 0xffff;
  }
  const lo = Math.imul(a, b);
  mulFlags(c, mulHighS32(a, b) !== lo >> 31, lo, 32);
  return lo;
}

/** IMUL Gv, Ev */
export function imulGE(c: CpuBase, size: number): void {
  const reg = regField(c);
  const b = signExtend(readE(c, size), size);
  setReg(c, size, reg, imulTrunc(c, signExtend(getReg(c, size, reg), size), b, size));
}

/** IMUL Gv, Ev, imm (immSize 8: sign-extended byte) */
export function imulGEImm(c: CpuBase, size: number, immSize: number): void {
  const reg = regField(c);
  const a = signExtend(readE(c, size), size);
  const b = signExtend(fetchImm(c, immSize), immSize);
  setReg(c, size, reg, imulTrunc(c, a, b, size));
}

const imul: SpecFactory = (row, o32) => {
  const ops = row.operands;
  const size = sizeOf(ops[0], o32);
  if (ops.length === 1) return spec(imulOne, size);
  if (ops.length === 2) return spec(imulGE, size);
  return spec(imulGEImm, size, ops[2] === 'Ibs' ? 8 : size);
};

/**
 * Quotient of the unsigned 64-bit (hi:lo) / d for u32 values with hi < d, exact, through 16-bit digits
 * (every intermediate stays below 2^53). The remainder is then (lo - q × d) mod 2^32.
 */
function divU64(hi: number, lo: number, d: number): number {
  let x = hi * 0x10000 + (lo >>> 16);
  const q1 = Math.floor(x / d);
  x = (x - q1 * d) * 0x10000 + (lo & 0xffff);
  return q1 * 0x10000 + Math.floor(x / d);
}

/** DIV r/m: #DE on a zero divisor or a quotient that does not fit. */
export function div(c: CpuBase, size: number): void {
  const d = readE(c, size) >>> 0;
  if (d === 0) c.raise(VEC_DE);
  if (size === 8) {
    const n = c.r16[0];
    const q = Math.floor(n / d);
    if (q > 0xff) c.raise(VEC_DE);
    c.r8[0] = q;
    c.r8[1] = n % d;
  } else if (size === 16) {
    const n = c.r16[4] * 0x10000 + c.r16[0];
    const q = Math.floor(n / d);
    if (q > 0xffff) c.raise(VEC_DE);
    c.r16[0] = q;
    c.r16[4] = n % d;
  } else {
    const hi = c.r32[2] >>> 0;
    if (hi >= d) c.raise(VEC_DE);
    const lo = c.r32[0];
    const q = divU64(hi, lo >>> 0, d);
    c.r32[0] = q;
    c.r32[2] = lo - Math.imul(q, d);
  }
}

/** IDIV r/m: signed, quotient truncated toward zero. */
export function idiv(c: CpuBase, size: number): void {
  const d = signExtend(readE(c, size), size);
  if (d === 0) c.raise(VEC_DE);
  if (size === 8) {
    const n = (c.r16[0] << 16) >> 16;
    const q = Math.trunc(n / d);
    if (q > 0x7f || q < -0x80) c.raise(VEC_DE);
    c.r8[0] = q;
    c.r8[1] = n % d;
  } else if (size === 16) {
    const n = (c.r16[4] << 16) | c.r16[0];
    const q = Math.trunc(n / d);
    if (q > 0x7fff || q < -0x8000) c.raise(VEC_DE);
    c.r16[0] = q;
    c.r16[4] = n % d;
  } else {
    let hi = c.r32[2], lo = c.r32[0] >>> 0;
    const negN = hi < 0;
    if (negN) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    } else hi >>>= 0;
    const ad = Math.abs(d);
    if (hi >= ad) c.raise(VEC_DE);
    const uq = divU64(hi, lo, ad);
    const ur = (lo - Math.imul(uq, ad)) >>> 0;
    const q = negN !== d < 0 ? -uq : uq;
    if (q > 0x7fffffff || q < -0x80000000) c.raise(VEC_DE);
    c.r32[0] = q;
    c.r32[2] = negN ? -ur : ur;
  }
}

/** Decimal adjust after addition (DAA) or subtraction (DAS, sub = 1); OF is undefined and left clear. */
export function decimalAdjust(c: CpuBase, sub: number): void {
  const old = c.r8[0];
  const oldCf = lazyCF(c);
  let al = old;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || lazyAF(c)) {
    al = sub ? al - 6 : al + 6;
    cf = oldCf | (al >> 8 ? 1 : 0);
    af = AF;
    al &= 0xff;
  }
  if (old > 0x99 || oldCf) {
    al = (sub ? al - 0x60 : al + 0x60) & 0xff;
    cf = 1;
  }
  c.r8[0] = al;
  setEager(c, CF | AF | OF, cf | af, al, 8, true);
}

/** ASCII adjust after addition (AAA) or subtraction (AAS, sub = 1): AX ± 106h as the 286 and later do. */
export function asciiAdjust(c: CpuBase, sub: number): void {
  let flags = 0;
  if ((c.r8[0] & 0xf) > 9 || lazyAF(c)) {
    c.r16[0] = sub ? c.r16[0] - 0x106 : c.r16[0] + 0x106;
    flags = AF | CF;
  }
  c.r8[0] &= 0xf;
  setEager(c, CF | AF | OF, flags, c.r8[0], 8, true);
}

/** AAM imm8: AH = AL / imm, AL = AL mod imm; imm 0 raises #DE. */
export function aam(c: CpuBase): void {
  const base = c.fetch8();
  if (base === 0) c.raise(VEC_DE);
  const al = c.r8[0];
  c.r8[1] = Math.floor(al / base);
  c.r8[0] = al % base;
  setEager(c, CF | AF | OF, 0, c.r8[0], 8, true);
}

/** AAD imm8: AL = AL + AH × imm, AH = 0. */
export function aad(c: CpuBase): void {
  const base = c.fetch8();
  const al = (c.r8[0] + c.r8[1] * base) & 0xff;
  c.r16[0] = al;
  setEager(c, CF | AF | OF, 0, al, 8, true);
}

const sized = (template: (c: CpuBase, size: number) => void): SpecFactory => (row, o32) => spec(template, sizeOf(row.operands[0], o32));

export const mulDivOps: Record<string, SpecFactory> = {
  MUL: sized(mul), IMUL: imul, DIV: sized(div), IDIV: sized(idiv),
  DAA: () => spec(decimalAdjust, 0), DAS: () => spec(decimalAdjust, 1), AAA: () => spec(asciiAdjust, 0), AAS: () => spec(asciiAdjust, 1),
  AAM: () => spec(aam), AAD: () => spec(aad),
};
