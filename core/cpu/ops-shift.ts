/** Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR (group 2), SHLD SHRD. Counts are masked to 5 bits (186+). */
import { AF, CF, lazyCF, OF, setEager } from './flags.js';
import type { CpuBase } from './cpu-base.js';
import { getReg, loadE, maskOf, regField, signExtend, sizeOf, spec, type SpecFactory, storeE } from './operands.js';

const ROL = 0, ROR = 1, RCL = 2, RCR = 3, SHL = 4, SHR = 5, SAR = 7;
/** Where a group-2 count comes from. */
const COUNT_ONE = 0, COUNT_CL = 1, COUNT_IMM = 2;

/** Shifts/rotates `a` (size bits) by `n` (1-31); writes the flags; returns the result. */
export function shift(c: CpuBase, op: number, a: number, n: number, size: number): number {
  const mask = maskOf(size);
  const msb = size - 1;
  let r: number;
  let cf: number;
  switch (op) {
    case ROL: {
      const k = n & msb;
      r = k ? ((a << k) | ((a & mask) >>> (size - k))) & mask : a;
      cf = r & 1;
      setEager(c, CF | OF, cf | ((((r >>> msb) & 1) ^ cf) ? OF : 0), 0, size, false);
      return r;
    }
    case ROR: {
      const k = n & msb;
      r = k ? (((a & mask) >>> k) | (a << (size - k))) & mask : a;
      cf = (r >>> msb) & 1;
      setEager(c, CF | OF, cf | ((cf ^ ((r >>> (msb - 1)) & 1)) ? OF : 0), 0, size, false);
      return r;
    }
    case RCL: {
      // Through the carry: size + 1 bits rotate, one bit at a time (rare, and exact for every size).
      const k = size === 32 ? n : n % (size + 1);
      r = a & mask;
      cf = lazyCF(c);
      for (let i = 0; i < k; i++) {
        const out = (r >>> msb) & 1;
        r = ((r << 1) | cf) & mask;
        cf = out;
      }
      setEager(c, CF | OF, cf | ((((r >>> msb) & 1) ^ cf) ? OF : 0), 0, size, false);
      return r;
    }
    case RCR: {
      const k = size === 32 ? n : n % (size + 1);
      r = a & mask;
      cf = lazyCF(c);
      for (let i = 0; i < k; i++) {
        const out = r & 1;
        r = ((r >>> 1) | (cf << msb)) & mask;
        cf = out;
      }
      setEager(c, CF | OF, cf | ((((r >>> msb) ^ (r >>> (msb - 1))) & 1) ? OF : 0), 0, size, false);
      return r;
    }
    case SHR: {
      const u = a & mask;
      r = n >= size ? 0 : u >>> n;
      cf = n > size ? 0 : (u >>> (n - 1)) & 1;
      setEager(c, CF | OF | AF, cf | ((u >>> msb) & 1 ? OF : 0), r, size, true);
      return r;
    }
    case SAR: {
      const s = signExtend(a, size);
      r = (s >> n) & mask;
      cf = (s >> (n - 1)) & 1;
      setEager(c, CF | OF | AF, cf, r, size, true);
      return r;
    }
    default: { // SHL, SAL
      const u = a & mask;
      r = n >= 32 ? 0 : (u << n) & mask;
      cf = n > size ? 0 : (u >>> (size - n)) & 1;
      setEager(c, CF | OF | AF, cf | (((r >>> msb) & 1) ^ cf ? OF : 0), r, size, true);
      return r;
    }
  }
}

/** Group 2: op r/m by 1, CL or imm8 (fetched after the displacement). A zero count changes nothing. */
export function group2(c: CpuBase, op: number, size: number, countFrom: number): void {
  const a = loadE(c, size);
  const n = countFrom === COUNT_ONE ? 1 : (countFrom === COUNT_CL ? c.r8[4] : c.fetch8()) & 31;
  if (n !== 0) storeE(c, size, shift(c, op, a, n, size));
}

function group2Spec(op: number): SpecFactory {
  return (row, o32) => {
    const [dst, count] = row.operands;
    return spec(group2, op, sizeOf(dst, o32), count === '1' ? COUNT_ONE : count === 'CL' ? COUNT_CL : COUNT_IMM);
  };
}

/** SHLD (left = 1) / SHRD: shift r/m, filling from the register; the count is imm8 or CL (byCl = 1). */
export function doubleShift(c: CpuBase, left: number, size: number, byCl: number): void {
  const mask = maskOf(size);
  const b = getReg(c, size, regField(c)) & mask;
  const a = loadE(c, size) & mask;
  const n = (byCl ? c.r8[4] : c.fetch8()) & 31;
  if (n === 0) return;
  let r: number;
  let cf: number;
  if (size === 32) {
    if (left) {
      r = (a << n) | (b >>> (32 - n));
      cf = (a >>> (32 - n)) & 1;
    } else {
      r = (a >>> n) | (b << (32 - n));
      cf = (a >>> (n - 1)) & 1;
    }
  } else if (left) {
    // 16-bit: shift the 32-bit pair a:b (b:a for SHRD); counts above 16 are undefined in the manual.
    const wide = n <= 16 ? ((a << 16) | b) >>> 0 : ((b << 16) | a) >>> 0;
    const k = n <= 16 ? n : n - 16;
    r = ((wide << k) >>> 16) & 0xffff;
    cf = k === 0 ? 0 : (wide >>> (32 - k)) & 1;
  } else {
    const wide = n <= 16 ? ((b << 16) | a) >>> 0 : ((a << 16) | b) >>> 0;
    const k = n <= 16 ? n : n - 16;
    r = (wide >>> k) & 0xffff;
    cf = (wide >>> (k - 1)) & 1;
  }
  r &= mask;
  const of = ((r ^ a) >>> (size - 1)) & 1 ? OF : 0;
  setEager(c, CF | OF | AF, cf | of, r, size, true);
  storeE(c, size, r);
}

function doubleShiftSpec(left: number): SpecFactory {
  return (row, o32) => spec(doubleShift, left, sizeOf(row.operands[0], o32), row.operands[2] === 'CL' ? 1 : 0);
}

export const shiftOps: Record<string, SpecFactory> = {
  ROL: group2Spec(ROL), ROR: group2Spec(ROR), RCL: group2Spec(RCL), RCR: group2Spec(RCR),
  SHL: group2Spec(SHL), SAL: group2Spec(SHL), SHR: group2Spec(SHR), SAR: group2Spec(SAR),
  SHLD: doubleShiftSpec(1), SHRD: doubleShiftSpec(0),
};
