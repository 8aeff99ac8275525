import { describe, expect, it } from 'vitest';
import { F80Context, Status, add, f80Hi, f80Lo, f80SE, loadF80, mul, sqrt, storeF80, sub } from './index.js';

const QNAN = (sig: number, sign = 0): number[] => [sign | 0x7fff, (0xc0000000 | sig) >>> 0, 0];
const SNAN = (sig: number, sign = 0): number[] => [sign | 0x7fff, (0x80000000 | sig) >>> 0, 0];

function op2(f: typeof add, a: number[], b: number[]): number[] {
  const c = new F80Context();
  f(c, a[0]!, a[1]!, a[2]!, b[0]!, b[1]!, b[2]!);
  return [c.se, c.hi, c.lo, c.flags];
}

describe('f80 in memory', () => {
  it('stores and loads 10 bytes little-endian at any offset', () => {
    const m = new Uint8Array(32);
    storeF80(m, 13, 0xc00d, 0x87654321, 0xfedcba98);
    expect([...m.subarray(13, 23)]).toEqual([0x98, 0xba, 0xdc, 0xfe, 0x21, 0x43, 0x65, 0x87, 0x0d, 0xc0]);
    expect([f80SE(m, 13), f80Hi(m, 13), f80Lo(m, 13)]).toEqual([0xc00d, 0x87654321, 0xfedcba98]);
    const c = new F80Context();
    loadF80(c, m, 13);
    expect([c.se, c.hi, c.lo]).toEqual([0xc00d, 0x87654321, 0xfedcba98]);
    expect(m[12]).toBe(0);
    expect(m[23]).toBe(0);
  });

  it('takes RC and PC from the control word', () => {
    const c = new F80Context();
    c.setControlWord(0x0c7f);
    expect([c.rc, c.pc, c.precBits]).toEqual([3, 0, 24]);
    c.setControlWord(0x027f);
    expect([c.rc, c.pc, c.precBits]).toEqual([0, 2, 53]);
    c.setControlWord(0x037f);
    expect(c.precBits).toBe(64);
  });
});

describe('NaN rules', () => {
  const one = [0x3fff, 0x80000000, 0];

  it('quiets an SNaN operand and raises IE', () => {
    expect(op2(add, SNAN(0x1234), one)).toEqual([0x7fff, 0xc0001234, 0, Status.IE]);
    expect(op2(add, one, SNAN(0x1234, 0x8000))).toEqual([0xffff, 0xc0001234, 0, Status.IE]);
  });

  it('passes a QNaN through without IE', () => {
    expect(op2(mul, one, QNAN(5))).toEqual([0x7fff, 0xc0000005, 0, 0]);
  });

  it('prefers the QNaN over an SNaN, whatever the significands', () => {
    expect(op2(add, SNAN(0x3fffffff), QNAN(1))).toEqual([0x7fff, 0xc0000001, 0, Status.IE]);
    expect(op2(add, QNAN(1), SNAN(0x3fffffff))).toEqual([0x7fff, 0xc0000001, 0, Status.IE]);
  });

  it('of two NaNs of one kind takes the larger significand, the positive one on a tie', () => {
    expect(op2(add, QNAN(1), QNAN(2, 0x8000))).toEqual([0xffff, 0xc0000002, 0, 0]);
    expect(op2(add, SNAN(7, 0x8000), SNAN(3))).toEqual([0xffff, 0xc0000007, 0, Status.IE]);
    expect(op2(add, QNAN(9, 0x8000), QNAN(9))).toEqual([0x7fff, 0xc0000009, 0, 0]);
  });

  it('keeps the NaN sign in a subtraction (only numbers are negated)', () => {
    expect(op2(sub, one, QNAN(4))).toEqual([0x7fff, 0xc0000004, 0, 0]);
  });
});

describe('x87 operand encodings', () => {
  const one = [0x3fff, 0x80000000, 0];
  const indefinite = [0xffff, 0xc0000000, 0, Status.IE];

  it('rejects unnormals, pseudo-NaNs and pseudo-infinities with IE and the real indefinite', () => {
    expect(op2(add, [0x3fff, 0x40000000, 0], one)).toEqual(indefinite); // unnormal
    expect(op2(add, one, [0x7fff, 0x40000000, 0])).toEqual(indefinite); // pseudo-NaN
    expect(op2(mul, [0xffff, 0, 0], one)).toEqual(indefinite); // pseudo-infinity
    expect(op2(add, [0x7fff, 0x00000000, 1], QNAN(3))).toEqual(indefinite); // beats a QNaN
    const c = new F80Context();
    sqrt(c, 0x4000, 0x7fffffff, 0xffffffff);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual(indefinite);
  });

  it('accepts a pseudo-denormal as a denormal operand (DE) with the smallest normal exponent', () => {
    // 0000 8000000000000000 has the value of 0001 8000000000000000.
    const pseudo = [0x0000, 0x80000000, 0];
    const minNormal = [0x0001, 0x80000000, 0];
    expect(op2(add, pseudo, pseudo)).toEqual([0x0002, 0x80000000, 0, Status.DE]);
    expect(op2(add, minNormal, minNormal)).toEqual([0x0002, 0x80000000, 0, 0]);
  });

  it('never produces a pseudo-denormal: a result of 2^-16382 is encoded with exponent 1', () => {
    const c = new F80Context();
    add(c, 0x0000, 0x40000000, 0, 0x0000, 0x40000000, 0); // two denormals summing to the smallest normal
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0x0001, 0x80000000, 0, Status.DE]);
  });
});
