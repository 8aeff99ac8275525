/**
 * Differential tests: add/sub/mul/div/sqrt against an independent BigInt model of correct rounding
 * (every RC × PC, denormals, overflow, tininess after rounding), plus hand-picked edge cases.
 */
import { describe, expect, it } from 'vitest';
import { F80Context, Precision, Rounding, Status, add, div, mul, sqrt, sub } from './index.js';

const BIAS = 16383;
const EMIN = 1 - BIAS; // unbiased exponent of the smallest normal

/** The exact value as m × 2^k (m signed). */
function exact(se: number, hi: number, lo: number): { m: bigint; k: number } {
  const sig = (BigInt(hi) << 32n) | BigInt(lo);
  const e = Math.max(se & 0x7fff, 1) - BIAS - 63;
  return { m: se & 0x8000 ? -sig : sig, k: e };
}

const bitlen = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitlen(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** floor(|X| × 2^j) and whether that is exact, for the reference's real number X. */
type Scaled = (j: number) => [bigint, boolean];

function rational(n: bigint, d: bigint): Scaled {
  if (n < 0n) n = -n;
  return (j) => {
    const num = j >= 0 ? n << BigInt(j) : n;
    const den = j >= 0 ? d : d << BigInt(-j);
    return [num / den, num % den === 0n];
  };
}

/** √(m × 2^k) */
function root(m: bigint, k: number): Scaled {
  return (j) => {
    const e = k + 2 * j; // √(m·2^k)·2^j = √(m·2^(k+2j))
    let n = m;
    if (e >= 0) n <<= BigInt(e);
    else {
      // floor(√(m / 2^−e)) = floor(√(floor(m / 2^−e))) for a floor of a real ≥ 0
      const q = n >> BigInt(-e);
      const r = isqrt(q);
      return [r, r * r === q && q << BigInt(-e) === n];
    }
    const r = isqrt(n);
    return [r, r * r === n];
  };
}

function roundsUp(rc: number, neg: boolean, lsb: boolean, half: boolean, rest: boolean): boolean {
  if (rc === Rounding.NEAREST) return half && (rest || lsb);
  if (rc === Rounding.DOWN) return neg && (half || rest);
  if (rc === Rounding.UP) return !neg && (half || rest);
  return false;
}

/** floor(log2 X), or something far below the denormal range for even tinier X. */
function log2Floor(x: Scaled, probe: number): number {
  const [big] = x(probe);
  return big === 0n ? EMIN - 200 : bitlen(big) - 1 - probe;
}

/** Correctly round X (sign neg, X ≥ 2^e) to `prec` bits with extended's exponent range: [se, hi, lo, flags, c1]. */
function reference(neg: boolean, x: Scaled, e: number, isZero: boolean, rc: number, prec: number): number[] {
  const s = neg ? 0x8000 : 0;
  if (isZero) return [s, 0, 0, 0, 0];
  const drop = 64 - prec;
  // Round X at the scale where the integer bit sits at exponent es: returns [q, inexact, up].
  const at = (es: number): [bigint, boolean, boolean] => {
    const [t, ex] = x(63 - es - drop + 1); // 2q + half
    const q = t >> 1n;
    const half = (t & 1n) === 1n;
    const rest = !ex;
    const up = roundsUp(rc, neg, (q & 1n) === 1n, half, rest);
    return [up ? q + 1n : q, half || rest, up];
  };
  let [q, inexact, up] = at(e);
  let exp = e;
  if (q >> BigInt(prec) === 1n) {
    q >>= 1n;
    exp += 1;
  }
  const tiny = exp < EMIN;
  if (e < EMIN) {
    [q, inexact, up] = at(EMIN);
    exp = EMIN;
  }
  let sig = q << BigInt(drop);
  let biased = exp + BIAS;
  if (biased === 1 && sig >> 63n === 0n) biased = 0; // denormal
  if (sig >> 64n === 1n) {
    sig >>= 1n; // denormal path rounding into the normal range cannot carry this far; normal path handled
    biased += 1;
  }
  let flags = inexact ? Status.PE : 0;
  if (tiny && inexact) flags |= Status.UE;
  if (biased > 0x7ffe) {
    flags = Status.OE | Status.PE;
    const toInf = rc === Rounding.NEAREST || (rc === Rounding.DOWN && neg) || (rc === Rounding.UP && !neg);
    if (toInf) return [s | 0x7fff, 0x80000000, 0, flags, 1];
    const max = ((1n << BigInt(prec)) - 1n) << BigInt(drop);
    return [s | 0x7ffe, Number(max >> 32n), Number(max & 0xffffffffn), flags, 0];
  }
  return [s | biased, Number(sig >> 32n), Number(sig & 0xffffffffn), flags, up ? 1 : 0];
}

/** A deterministic generator of interesting finite operands. */
function* operands(seed: number, count: number): Generator<[number, number, number]> {
  let state = seed >>> 0;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>>= 0);
  };
  const sigPatterns = [
    (): [number, number] => [(next() | 0x80000000) >>> 0, next()],
    (): [number, number] => [0xffffffff, (0xffffffff - (next() & 0xff)) >>> 0],
    (): [number, number] => [0x80000000, next() & 0x7],
    (): [number, number] => [(0x80000000 | (next() & 0xffff0000)) >>> 0, 0],
    (): [number, number] => [(0x80000000 | next()) >>> 0, (next() & 0xfffff800) >>> 0],
  ];
  for (let i = 0; i < count; i++) {
    const r = next() % 10;
    const exp =
      r < 4 ? 0x3fff + ((next() % 80) - 40) : r < 6 ? next() % 80 : r < 8 ? 0x7ffe - (next() % 80) : (next() % 0x7ffe) + 1;
    let [hi, lo] = sigPatterns[next() % sigPatterns.length]!();
    let e = exp;
    if (r === 5) {
      // a denormal: exponent 0, integer bit clear
      e = 0;
      hi = (hi >>> (next() % 40)) & 0x7fffffff;
      if ((hi | lo) === 0) lo = 1;
    }
    yield [(next() & 1 ? 0x8000 : 0) | e, hi >>> 0, lo >>> 0];
  }
}

const MODES = [Rounding.NEAREST, Rounding.DOWN, Rounding.UP, Rounding.ZERO];
const PRECISIONS: [number, number][] = [
  [Precision.P24, 24],
  [Precision.P53, 53],
  [Precision.P64, 64],
];

function run(
  c: F80Context,
  rc: number,
  pc: number,
  op: (c: F80Context, a: number, b: number, d: number, e: number, f: number, g: number) => void,
  a: number[],
  b: number[],
): number[] {
  c.setControlWord((pc << 8) | (rc << 10) | 0x7f);
  c.flags = 0;
  op(c, a[0]!, a[1]!, a[2]!, b[0]!, b[1]!, b[2]!);
  return [c.se, c.hi, c.lo, c.flags & ~Status.DE, c.cc & Status.C1 ? 1 : 0];
}

describe('arithmetic against a BigInt model', () => {
  const c = new F80Context();
  const as = [...operands(12345, 150)];
  const bs = [...operands(777, 150)];

  const binaryCases: [string, typeof add, (x: { m: bigint; k: number }, y: { m: bigint; k: number }) => [boolean, Scaled, boolean]][] = [
    ['add', add, (x, y) => sumOf(x, y)],
    ['sub', sub, (x, y) => sumOf(x, { m: -y.m, k: y.k })],
    [
      'mul',
      mul,
      (x, y) => {
        const m = x.m * y.m;
        const k = x.k + y.k;
        return [m < 0n, k >= 0 ? rational(m << BigInt(k), 1n) : rational(m, 1n << BigInt(-k)), m === 0n];
      },
    ],
    [
      'div',
      div,
      (x, y) => {
        const m = x.m * (y.m < 0n ? -1n : 1n);
        const k = x.k - y.k;
        const d = y.m < 0n ? -y.m : y.m;
        return [m < 0n, k >= 0 ? rational(m << BigInt(k), d) : rational(m, d << BigInt(-k)), m === 0n];
      },
    ],
  ];

  function sumOf(x: { m: bigint; k: number }, y: { m: bigint; k: number }): [boolean, Scaled, boolean] {
    const k = Math.min(x.k, y.k);
    const m = (x.m << BigInt(x.k - k)) + (y.m << BigInt(y.k - k));
    return [m < 0n, k >= 0 ? rational(m << BigInt(k), 1n) : rational(m, 1n << BigInt(-k)), m === 0n];
  }

  for (const [name, op, model] of binaryCases) {
    it(`${name} is correctly rounded in every RC and PC`, () => {
      let checked = 0;
      for (let i = 0; i < as.length; i++) {
        const a = as[i]!;
        const b = bs[i]!;
        const [neg, x, zero] = model(exact(a[0], a[1], a[2]), exact(b[0], b[1], b[2]));
        const e = zero ? 0 : log2Floor(x, 16383 + 64 + 80);
        for (const rc of MODES) {
          for (const [pc, bits] of PRECISIONS) {
            let want = reference(neg, x, e, zero, rc, bits);
            if (zero && (name === 'add' || name === 'sub')) want = [rc === Rounding.DOWN ? 0x8000 : 0, 0, 0, 0, 0];
            const got = run(c, rc, pc, op, a, b);
            expect(got, `${name} ${a.map((v) => v.toString(16))} ${b.map((v) => v.toString(16))} rc=${rc} pc=${bits}`).toEqual(want);
            checked++;
          }
        }
      }
      expect(checked).toBe(150 * 12);
    });
  }

  it('sqrt is correctly rounded in every RC and PC', () => {
    for (const a of as) {
      const se = a[0] & 0x7fff; // positive operands only
      const v = exact(se, a[1], a[2]);
      const x = root(v.m, v.k);
      const e = log2Floor(x, 8300); // a root is never below 2^-8223
      for (const rc of MODES) {
        for (const [pc, bits] of PRECISIONS) {
          const want = reference(false, x, e, false, rc, bits);
          // sqrt never overflows or underflows
          expect(run(c, rc, pc, (cc, s, h, l) => sqrt(cc, s, h, l), [se, a[1], a[2]], [0, 0, 0])).toEqual(want);
        }
      }
    }
  });
});

describe('arithmetic edge cases', () => {
  const c = new F80Context();
  const one = [0x3fff, 0x80000000, 0];
  const at = (rc: number, pc: number = Precision.P64): F80Context => {
    c.setControlWord((pc << 8) | (rc << 10) | 0x7f);
    c.flags = 0;
    return c;
  };

  it('rounds 1 + 2^-64 (a half ulp) to even, and by direction in the directed modes', () => {
    const halfUlp = [0x3fff - 64, 0x80000000, 0];
    const results = MODES.map((rc) => {
      add(at(rc), one[0]!, one[1]!, one[2]!, halfUlp[0]!, halfUlp[1]!, halfUlp[2]!);
      return [c.lo, c.flags, c.cc];
    });
    expect(results).toEqual([
      [0, Status.PE, 0], // nearest: tie to even (down)
      [0, Status.PE, 0], // down
      [1, Status.PE, Status.C1], // up: rounded up, C1
      [0, Status.PE, 0], // toward zero
    ]);
  });

  it('precision control rounds the significand to 24 and 53 bits', () => {
    // 1 + 2^-30 at PC=24 rounds to 1 (nearest), at PC=53 stays exact.
    const tiny = [0x3fff - 30, 0x80000000, 0];
    add(at(Rounding.NEAREST, Precision.P24), one[0]!, one[1]!, one[2]!, tiny[0]!, tiny[1]!, tiny[2]!);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0x3fff, 0x80000000, 0, Status.PE]);
    add(at(Rounding.UP, Precision.P24), one[0]!, one[1]!, one[2]!, tiny[0]!, tiny[1]!, tiny[2]!);
    expect([c.hi, c.lo]).toEqual([0x80000100, 0]);
    add(at(Rounding.NEAREST, Precision.P53), one[0]!, one[1]!, one[2]!, tiny[0]!, tiny[1]!, tiny[2]!);
    expect([c.hi, c.lo, c.flags]).toEqual([0x80000002, 0, 0]);
  });

  it('x − x is +0, except −0 when rounding down', () => {
    sub(at(Rounding.NEAREST), one[0]!, one[1]!, one[2]!, one[0]!, one[1]!, one[2]!);
    expect(c.se).toBe(0);
    sub(at(Rounding.DOWN), one[0]!, one[1]!, one[2]!, one[0]!, one[1]!, one[2]!);
    expect(c.se).toBe(0x8000);
  });

  it('overflow: ∞ when rounding toward it, the largest finite otherwise', () => {
    const big = [0x7ffe, 0xffffffff, 0xffffffff];
    mul(at(Rounding.NEAREST), big[0]!, big[1]!, big[2]!, big[0]!, big[1]!, big[2]!);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0x7fff, 0x80000000, 0, Status.OE | Status.PE]);
    mul(at(Rounding.ZERO), big[0]!, big[1]!, big[2]!, big[0]!, big[1]!, big[2]!);
    expect([c.se, c.hi, c.lo]).toEqual([0x7ffe, 0xffffffff, 0xffffffff]);
    mul(at(Rounding.DOWN, Precision.P24), big[0]!, big[1]!, big[2]!, big[0]!, big[1]!, big[2]!);
    expect([c.se, c.hi, c.lo]).toEqual([0x7ffe, 0xffffff00, 0]);
  });

  it('underflow: denormal results, UE only when inexact, tininess after rounding', () => {
    // 2^-16382 × 0.5 = 2^-16383: an exact denormal, no UE.
    const minNormal = [0x0001, 0x80000000, 0];
    const half = [0x3ffe, 0x80000000, 0];
    mul(at(Rounding.NEAREST), minNormal[0]!, minNormal[1]!, minNormal[2]!, half[0]!, half[1]!, half[2]!);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0, 0x40000000, 0, 0]);
    // 2^-16382 × (1 − 2^-64) is tiny with an unbounded exponent at 64 bits (UE), yet the denormal rounds up
    // to the smallest normal. At PC=24 the unbounded rounding already reaches 2^-16382: not tiny, no UE.
    const belowOne = [0x3ffe, 0xffffffff, 0xffffffff];
    mul(at(Rounding.NEAREST), minNormal[0]!, minNormal[1]!, minNormal[2]!, belowOne[0]!, belowOne[1]!, belowOne[2]!);
    expect([c.se, c.hi, c.lo, c.flags, c.cc]).toEqual([0x0001, 0x80000000, 0, Status.UE | Status.PE, Status.C1]);
    mul(at(Rounding.NEAREST, Precision.P24), minNormal[0]!, minNormal[1]!, minNormal[2]!, belowOne[0]!, belowOne[1]!, belowOne[2]!);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0x0001, 0x80000000, 0, Status.PE]);
    // A denormal operand raises DE.
    add(at(Rounding.NEAREST), 0, 1, 0, minNormal[0]!, minNormal[1]!, minNormal[2]!);
    expect(c.flags).toBe(Status.DE);
    const third = [0x3ffd, 0xaaaaaaaa, 0xaaaaaaab];
    mul(at(Rounding.NEAREST), minNormal[0]!, minNormal[1]!, minNormal[2]!, third[0]!, third[1]!, third[2]!);
    expect(c.flags).toBe(Status.UE | Status.PE);
  });

  it('special operands: ∞ − ∞, 0 × ∞, 0/0 and √−1 are invalid; x/0 is ZE', () => {
    const inf = [0x7fff, 0x80000000, 0];
    const negInf = [0xffff, 0x80000000, 0];
    const zero = [0, 0, 0];
    const indefinite = [0xffff, 0xc0000000, 0, Status.IE];
    add(at(0), inf[0]!, inf[1]!, inf[2]!, negInf[0]!, negInf[1]!, negInf[2]!);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual(indefinite);
    mul(at(0), zero[0]!, zero[1]!, zero[2]!, negInf[0]!, negInf[1]!, negInf[2]!);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual(indefinite);
    div(at(0), zero[0]!, zero[1]!, zero[2]!, zero[0]!, zero[1]!, zero[2]!);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual(indefinite);
    sqrt(at(0), 0xbfff, 0x80000000, 0);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual(indefinite);
    div(at(0), 0xbfff, 0x80000000, 0, zero[0]!, zero[1]!, zero[2]!);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0xffff, 0x80000000, 0, Status.ZE]);
    sqrt(at(0), 0x8000, 0, 0);
    expect([c.se, c.hi, c.lo, c.flags]).toEqual([0x8000, 0, 0, 0]); // √−0 = −0
  });
});
