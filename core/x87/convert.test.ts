import { describe, expect, it } from 'vitest';
import {
  F80Context,
  Rounding,
  Status,
  fromF32,
  fromF64,
  fromI32,
  fromI64,
  loadBcd,
  roundToInt,
  storeBcd,
  toF32,
  toF64,
  toI16,
  toI32,
  toI64,
} from './index.js';

const c = new F80Context();
const MODES = [Rounding.NEAREST, Rounding.DOWN, Rounding.UP, Rounding.ZERO];

function withRc(rc: number): F80Context {
  c.setControlWord(0x037f | (rc << 10));
  c.flags = 0;
  c.cc = 0;
  return c;
}

/** The f80 of a double (exact, through FLD m64). */
function f(x: number): number[] {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  fromF64(c, b.getUint32(0), b.getUint32(4));
  return [c.se, c.hi, c.lo];
}

/** The double an f64 result in c.hi:c.lo stands for. */
function asDouble(): number {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint32(0, c.hi);
  b.setUint32(4, c.lo);
  return b.getFloat64(0);
}

describe('FRNDINT', () => {
  it('rounds in each mode, with PE and C1 = rounded up', () => {
    const cases: [number, number[]][] = [
      [2.5, [2, 2, 3, 2]],
      [-2.5, [-2, -3, -2, -2]],
      [3.5, [4, 3, 4, 3]],
      [-0.25, [-0, -1, -0, -0]],
      [0.75, [1, 0, 1, 0]],
    ];
    for (const [x, want] of cases) {
      MODES.forEach((rc, i) => {
        const v = f(x);
        roundToInt(withRc(rc), v[0]!, v[1]!, v[2]!);
        toF64(c, c.se, c.hi, c.lo);
        expect(Object.is(asDouble(), want[i]), `${x} rc=${rc} → ${asDouble()}`).toBe(true);
      });
    }
    const v = f(2.5);
    roundToInt(withRc(Rounding.UP), v[0]!, v[1]!, v[2]!);
    expect([c.flags, c.cc]).toEqual([Status.PE, Status.C1]);
    roundToInt(withRc(Rounding.DOWN), v[0]!, v[1]!, v[2]!);
    expect([c.flags, c.cc]).toEqual([Status.PE, 0]);
  });

  it('leaves integers, infinities and huge values alone; quiets SNaNs', () => {
    const big = [0x3fff + 70, 0x80000001, 1];
    roundToInt(withRc(0), big[0]!, big[1]!, big[2]!);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([...big, 0]);
    roundToInt(withRc(0), 0x7fff, 0x80000001, 0);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0x7fff, 0xc0000001, 0, Status.IE]);
    roundToInt(withRc(0), 0x0000, 0, 5); // denormal → 0 with DE and PE
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0, 0, 0, Status.DE | Status.PE]);
  });
});

describe('FIST / FILD', () => {
  it('converts in range and rounds by RC', () => {
    const v = f(-32768.4);
    expect(toI16(withRc(Rounding.NEAREST), v[0]!, v[1]!, v[2]!)).toBe(-32768);
    expect(c.flags).toBe(Status.PE);
    expect(toI16(withRc(Rounding.DOWN), v[0]!, v[1]!, v[2]!)).toBe(-32768); // −32769: out of range → indefinite
    expect(c.flags).toBe(Status.IE);
    const w = f(2147483647.5);
    expect(toI32(withRc(Rounding.ZERO), w[0]!, w[1]!, w[2]!)).toBe(2147483647);
    expect(toI32(withRc(Rounding.NEAREST), w[0]!, w[1]!, w[2]!)).toBe(-0x80000000);
    expect(c.flags).toBe(Status.IE);
  });

  it('out of range, NaN and ∞ give the integer indefinite with IE', () => {
    for (const v of [f(32768), f(Infinity), f(-Infinity), [0x7fff, 0xc0000000, 0], [0x4000, 0x40000000, 0]]) {
      expect(toI16(withRc(0), v[0]!, v[1]!, v[2]!)).toBe(-32768);
      expect(c.flags).toBe(Status.IE);
    }
    const big = f(2 ** 63);
    toI64(withRc(0), big[0]!, big[1]!, big[2]!);
    expect([c.hi, c.lo, c.flags]).toEqual([0x80000000, 0, Status.IE]);
    const min = f(-(2 ** 63));
    toI64(withRc(0), min[0]!, min[1]!, min[2]!);
    expect([c.hi, c.lo, c.flags]).toEqual([0x80000000, 0, 0]); // −2^63 itself fits
    const neg = f(-5);
    toI64(withRc(0), neg[0]!, neg[1]!, neg[2]!);
    expect([c.hi, c.lo]).toEqual([0xffffffff, 0xfffffffb]);
  });

  it('FILD is exact for the extremes', () => {
    fromI32(c, -0x80000000);
    expect([c.se, c.hi, c.lo]).toEqual([0xc01e, 0x80000000, 0]);
    fromI32(c, 0);
    expect([c.se, c.hi, c.lo]).toEqual([0, 0, 0]);
    fromI64(c, 0x80000000, 0);
    expect([c.se, c.hi, c.lo]).toEqual([0xc03e, 0x80000000, 0]);
    fromI64(c, 0x7fffffff, 0xffffffff);
    expect([c.se, c.hi, c.lo]).toEqual([0x403d, 0xffffffff, 0xfffffffe]); // 2^63 − 1
  });
});

describe('FST / FLD of f32 and f64', () => {
  it('round-trips every class through f32', () => {
    for (const bits of [0x3f800000, 0xbf800000, 0x00000001, 0x807fffff, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00001, 0]) {
      withRc(0);
      fromF32(c, bits);
      expect(toF32(c, c.se, c.hi, c.lo)).toBe(bits);
    }
    fromF32(withRc(0), 0x00000001);
    expect(c.flags).toBe(Status.DE);
    fromF32(withRc(0), 0x7f800001); // SNaN
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0x7fff, 0xc0000100, 0, Status.IE]);
  });

  it('overflows per rounding mode and underflows to denormals with UE only when inexact', () => {
    const big = f(2 ** 200);
    expect(toF32(withRc(Rounding.NEAREST), big[0]!, big[1]!, big[2]!)).toBe(0x7f800000);
    expect(c.flags).toBe(Status.OE | Status.PE);
    expect(toF32(withRc(Rounding.ZERO), big[0]!, big[1]!, big[2]!)).toBe(0x7f7fffff);
    expect(toF32(withRc(Rounding.DOWN), big[0]!, big[1]!, big[2]!)).toBe(0x7f7fffff);
    const tiny = f(2 ** -149); // exactly the smallest f32 denormal
    expect(toF32(withRc(0), tiny[0]!, tiny[1]!, tiny[2]!)).toBe(1);
    expect(c.flags).toBe(0);
    const tinier = f(2 ** -151);
    expect(toF32(withRc(Rounding.NEAREST), tinier[0]!, tinier[1]!, tinier[2]!)).toBe(0);
    expect(c.flags).toBe(Status.UE | Status.PE);
    expect(toF32(withRc(Rounding.UP), tinier[0]!, tinier[1]!, tinier[2]!)).toBe(1);
    expect(c.cc).toBe(Status.C1);
  });

  it('stores doubles exactly when they fit and rounds extended values', () => {
    for (const x of [1, -0, 0.1, 2 ** -1074, -(2 ** -1022), 1.7976931348623157e308, Infinity]) {
      const v = f(x);
      toF64(withRc(0), v[0]!, v[1]!, v[2]!);
      expect(Object.is(asDouble(), x)).toBe(true);
      expect(c.flags).toBe(0);
    }
    // 1 + 2^-60 rounds to 1 (nearest) or 1 + 2^-52 (up).
    toF64(withRc(Rounding.NEAREST), 0x3fff, 0x80000000, 0x00000008);
    expect([asDouble(), c.flags]).toEqual([1, Status.PE]);
    toF64(withRc(Rounding.UP), 0x3fff, 0x80000000, 0x00000008);
    expect(asDouble()).toBe(1 + 2 ** -52);
    // NaN: quieted, significand truncated; unsupported → indefinite.
    toF64(withRc(0), 0xffff, 0x80000000, 0x00001000);
    expect([c.hi, c.lo, c.flags]).toEqual([0xfff80000, 0x00000002, Status.IE]);
    toF64(withRc(0), 0x4000, 0x12345678, 0);
    expect([c.hi, c.lo, c.flags]).toEqual([0xfff80000, 0, Status.IE]);
  });
});

describe('FBLD / FBSTP', () => {
  const m = new Uint8Array(12);

  it('round-trips 18 digits and the sign', () => {
    m.set([0x21, 0x43, 0x65, 0x87, 0x09, 0x21, 0x43, 0x65, 0x87, 0x80], 1); // −987654321098765421... digits
    loadBcd(c, m, 1);
    const v = [c.se, c.hi, c.lo];
    toI64(withRc(0), v[0]!, v[1]!, v[2]!);
    const n = (BigInt(c.hi) << 32n) | BigInt(c.lo);
    expect(BigInt.asIntN(64, n)).toBe(-876543210987654321n);
    const out = new Uint8Array(12);
    storeBcd(withRc(0), v[0]!, v[1]!, v[2]!, out, 1);
    expect([...out.subarray(1, 11)]).toEqual([...m.subarray(1, 11)]);
    expect(c.flags).toBe(0);
  });

  it('rounds by RC and stores the indefinite for too many digits or NaN', () => {
    const out = new Uint8Array(10);
    const v = f(-12.5);
    storeBcd(withRc(Rounding.DOWN), v[0]!, v[1]!, v[2]!, out, 0);
    expect([...out]).toEqual([0x13, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]);
    expect([c.flags, c.cc]).toEqual([Status.PE, Status.C1]);
    const big = f(1e18);
    storeBcd(withRc(0), big[0]!, big[1]!, big[2]!, out, 0);
    expect([...out]).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
    expect(c.flags).toBe(Status.IE);
    fromI64(c, 0x0de0b6b3, 0xa763ffff); // 10^18 − 1, the largest 18-digit value
    storeBcd(withRc(0), c.se, c.hi, c.lo, out, 0);
    expect([...out]).toEqual([0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0]);
  });
});
