import { describe, expect, it } from 'vitest';
import { F80Context, Status, fprem, fprem1, fromI32, remainder, toI32 } from './index.js';

const c = new F80Context();

function value(n: number): number[] {
  fromI32(c, n);
  return [c.se, c.hi, c.lo];
}

function rem(f: typeof fprem, a: number[], b: number[]): { result: number; cc: number; flags: number } {
  c.flags = 0;
  f(c, a[0]!, a[1]!, a[2]!, b[0]!, b[1]!, b[2]!);
  const cc = c.cc;
  const flags = c.flags;
  return { result: toI32(c, c.se, c.hi, c.lo), cc, flags };
}

/** Quotient bits → C0 (Q2) C3 (Q1) C1 (Q0). */
const q = (n: number): number => (n & 4 ? Status.C0 : 0) | (n & 2 ? Status.C3 : 0) | (n & 1 ? Status.C1 : 0);

describe('FPREM / FPREM1', () => {
  it('FPREM truncates the quotient and reports its low three bits', () => {
    expect(rem(fprem, value(23), value(3))).toEqual({ result: 2, cc: q(7), flags: 0 });
    expect(rem(fprem, value(-23), value(3))).toEqual({ result: -2, cc: q(7), flags: 0 });
    expect(rem(fprem, value(5), value(3))).toEqual({ result: 2, cc: q(1), flags: 0 });
    expect(rem(fprem, value(2), value(3))).toEqual({ result: 2, cc: q(0), flags: 0 });
  });

  it('FPREM1 rounds the quotient to nearest, ties to even', () => {
    expect(rem(fprem1, value(5), value(3))).toEqual({ result: -1, cc: q(2), flags: 0 });
    expect(rem(fprem1, value(2), value(3))).toEqual({ result: -1, cc: q(1), flags: 0 }); // exponent difference −1
    expect(rem(fprem1, value(3), value(2))).toEqual({ result: -1, cc: q(2), flags: 0 }); // 1.5 → 2
    expect(rem(fprem1, value(5), value(2))).toEqual({ result: 1, cc: q(2), flags: 0 }); // 2.5 → 2
    expect(rem(fprem1, value(1), value(3))).toEqual({ result: 1, cc: 0, flags: 0 });
  });

  it('a zero remainder keeps the dividend sign', () => {
    c.flags = 0;
    const a = value(-6);
    const b = value(3);
    fprem(c, a[0]!, a[1]!, a[2]!, b[0]!, b[1]!, b[2]!);
    expect([c.se, c.hi, c.lo]).toEqual([0x8000, 0, 0]);
  });

  it('reduces by 32 to 63 quotient bits per step and sets C2 until done', () => {
    // 2^200 rem 3: 2^200 = 1 (mod 3) since 2^even ≡ 1.
    const big = [0x3fff + 200, 0x80000000, 0];
    const three = value(3);
    let a = big;
    let steps = 0;
    for (;;) {
      c.flags = 0;
      const expBefore = a[0]! & 0x7fff;
      fprem(c, a[0]!, a[1]!, a[2]!, three[0]!, three[1]!, three[2]!);
      steps++;
      if (!(c.cc & Status.C2)) break;
      // At least 32 quotient bits per step (at most 63; a remainder with leading zeros drops further).
      expect(expBefore - (c.se & 0x7fff)).toBeGreaterThanOrEqual(32);
      a = [c.se, c.hi, c.lo];
    }
    expect(steps).toBeGreaterThan(2);
    expect(toI32(c, c.se, c.hi, c.lo)).toBe(1);
    remainder(c, big[0]!, big[1]!, big[2]!, three[0]!, three[1]!, three[2]!);
    expect(toI32(c, c.se, c.hi, c.lo)).toBe(1);
  });

  it('x rem 0 and ∞ rem y are invalid; x rem ∞ is x', () => {
    const inf = [0x7fff, 0x80000000, 0];
    const seven = value(7);
    c.flags = 0;
    fprem(c, seven[0]!, seven[1]!, seven[2]!, 0, 0, 0);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0xffff, 0xc0000000, 0, Status.IE]);
    c.flags = 0;
    fprem1(c, inf[0]!, inf[1]!, inf[2]!, seven[0]!, seven[1]!, seven[2]!);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0xffff, 0xc0000000, 0, Status.IE]);
    c.flags = 0;
    fprem(c, seven[0]!, seven[1]!, seven[2]!, inf[0]!, inf[1]!, inf[2]!);
    expect([[c.se, c.hi, c.lo], c.flags, c.cc]).toEqual([seven, 0, 0]);
  });

  it('is exact for denormal results (no UE, no PE)', () => {
    // 3 ulp rem 2 ulp = 1 ulp of the denormal range.
    const da = [0x0000, 0x00000000, 0x00000003];
    const db = [0x0000, 0x00000000, 0x00000002];
    c.flags = 0;
    fprem(c, da[0]!, da[1]!, da[2]!, db[0]!, db[1]!, db[2]!);
    expect([c.se, c.hi, c.lo, c.flags, c.cc]).toEqual([0, 0, 1, Status.DE, q(1)]);
  });
});
