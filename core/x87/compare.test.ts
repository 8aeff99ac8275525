import { describe, expect, it } from 'vitest';
import {
  CC_EQUAL,
  CC_GREATER,
  CC_LESS,
  CC_UNORDERED,
  F80Context,
  Status,
  compare,
  eq,
  examine,
  fabs,
  fchs,
  fscale,
  fxtract,
  le,
  lt,
} from './index.js';

const c = new F80Context();
const ONE = [0x3fff, 0x80000000, 0];
const TWO = [0x4000, 0x80000000, 0];
const QNAN = [0x7fff, 0xc0000000, 1];
const SNAN = [0x7fff, 0x80000000, 1];
const INF = [0x7fff, 0x80000000, 0];

function cmp(a: number[], b: number[], quiet: boolean): [number, number] {
  c.flags = 0;
  const cc = compare(c, a[0]!, a[1]!, a[2]!, b[0]!, b[1]!, b[2]!, quiet);
  return [cc, c.flags];
}

describe('FCOM / FUCOM', () => {
  it('orders numbers, zeros and infinities', () => {
    expect(cmp(ONE, TWO, false)).toEqual([CC_LESS, 0]);
    expect(cmp(TWO, ONE, false)).toEqual([CC_GREATER, 0]);
    expect(cmp([0x8000, 0, 0], [0, 0, 0], false)).toEqual([CC_EQUAL, 0]);
    expect(cmp([0xbfff, 0x80000000, 0], [0, 0, 0], false)).toEqual([CC_LESS, 0]);
    expect(cmp([0xbfff, 0x80000000, 0], [0xc000, 0x80000000, 0], false)).toEqual([CC_GREATER, 0]);
    expect(cmp(INF, TWO, false)).toEqual([CC_GREATER, 0]);
    expect(cmp([0xffff, 0x80000000, 0], [0xffff, 0x80000000, 0], false)).toEqual([CC_EQUAL, 0]);
  });

  it('FCOM signals IE for any NaN, FUCOM only for SNaNs', () => {
    expect(cmp(QNAN, ONE, false)).toEqual([CC_UNORDERED, Status.IE]);
    expect(cmp(QNAN, ONE, true)).toEqual([CC_UNORDERED, 0]);
    expect(cmp(ONE, SNAN, true)).toEqual([CC_UNORDERED, Status.IE]);
    expect(cmp([0x3fff, 0x40000000, 0], ONE, true)).toEqual([CC_UNORDERED, Status.IE]); // unnormal
  });

  it('raises DE for denormals and compares pseudo-denormals by value', () => {
    expect(cmp([0, 0, 1], [0, 0, 2], false)).toEqual([CC_LESS, Status.DE]);
    expect(cmp([0, 0x80000000, 0], [1, 0x80000000, 0], false)).toEqual([CC_EQUAL, Status.DE]);
  });

  it('eq is quiet, lt and le signal', () => {
    c.flags = 0;
    expect(eq(c, QNAN[0]!, QNAN[1]!, QNAN[2]!, ONE[0]!, ONE[1]!, ONE[2]!)).toBe(false);
    expect(c.flags).toBe(0);
    expect(lt(c, QNAN[0]!, QNAN[1]!, QNAN[2]!, ONE[0]!, ONE[1]!, ONE[2]!)).toBe(false);
    expect(c.flags).toBe(Status.IE);
    expect(le(c, ONE[0]!, ONE[1]!, ONE[2]!, ONE[0]!, ONE[1]!, ONE[2]!)).toBe(true);
    expect(lt(c, ONE[0]!, ONE[1]!, ONE[2]!, ONE[0]!, ONE[1]!, ONE[2]!)).toBe(false);
  });
});

describe('FXAM', () => {
  it('classifies with C1 = sign', () => {
    expect(examine(c, 0xbfff, 0x80000000, 0)).toBe(Status.C2 | Status.C1);
    expect(examine(c, 0, 0, 0)).toBe(Status.C3);
    expect(examine(c, 0, 0, 1)).toBe(Status.C3 | Status.C2);
    expect(examine(c, 0x7fff, 0x80000000, 0)).toBe(Status.C2 | Status.C0);
    expect(examine(c, 0xffff, 0xc0000000, 0)).toBe(Status.C0 | Status.C1);
    expect(examine(c, 0x3fff, 0x40000000, 0)).toBe(0);
  });
});

describe('FXTRACT / FSCALE / FABS / FCHS', () => {
  it('FXTRACT splits into exponent and significand', () => {
    c.flags = 0;
    fxtract(c, 0xc004, 0xc0000000, 0); // −48 = −1.5 × 2^5
    expect([c.se, c.hi, c.lo, c.se2, c.hi2, c.lo2]).toEqual([0xbfff, 0xc0000000, 0, 0x4001, 0xa0000000, 0]);
    fxtract(c, 0, 0, 1); // the smallest denormal: 2^-16445
    expect([c.se, c.hi, c.se2, c.hi2, c.flags]).toEqual([0x3fff, 0x80000000, 0xc00d, 0x807a0000, Status.DE]); // −16445
    c.flags = 0;
    fxtract(c, 0x8000, 0, 0);
    expect([c.se, c.se2, c.hi2, c.flags]).toEqual([0x8000, 0xffff, 0x80000000, Status.ZE]);
  });

  it('FSCALE multiplies by 2^trunc(b), overflowing and underflowing like arithmetic', () => {
    c.setControlWord(0x037f);
    c.flags = 0;
    fscale(c, ONE[0]!, ONE[1]!, ONE[2]!, 0x4000, 0xe0000000, 0); // 1 × 2^trunc(3.5)
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0x4002, 0x80000000, 0, 0]);
    fscale(c, ONE[0]!, ONE[1]!, ONE[2]!, 0xbffe, 0x80000000, 0); // 2^trunc(−0.5) = 1
    expect([c.se, c.flags]).toEqual([0x3fff, 0]);
    fscale(c, ONE[0]!, ONE[1]!, ONE[2]!, 0x401f, 0x80000000, 0); // 2^(2^32): overflow
    expect([c.se, c.hi, c.flags]).toEqual([0x7fff, 0x80000000, Status.OE | Status.PE]);
    c.flags = 0;
    fscale(c, 0x3fff, 0xc0000000, 0, 0xc00d, 0x80000000, 0); // 1.5 × 2^-16384: denormal, exact
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0, 0x30000000, 0, 0]);
    fscale(c, 0, 0, 0, INF[0]!, INF[1]!, INF[2]!); // 0 × 2^+∞
    expect([c.se, c.hi, c.flags]).toEqual([0xffff, 0xc0000000, Status.IE]);
  });

  it('FABS and FCHS only touch the sign, even of NaNs', () => {
    c.flags = 0;
    fabs(c, 0xffff, 0x80000001, 0);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0x7fff, 0x80000001, 0, 0]);
    fchs(c, 0x0000, 0, 0);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0x8000, 0, 0, 0]);
  });
});
