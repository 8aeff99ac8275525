/**
 * Berkeley TestFloat vectors for the x87 (../shared/testdata/testfloat-x87, format in its README) run
 * against core/x87. One file per function × rounding mode × precision control; each line holds the
 * operands, the expected result and SoftFloat's exception flags, which we map to the x87 status bits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { x87 } from '../../core/index.js';

export interface TestFloatResult {
  passed: number;
  failed: number;
  skipped: number;
  report: string[];
}

export interface TestFloatOptions {
  /** Only files whose name contains this string. */
  filter?: string;
  /** Report every failing line (otherwise the first few per file). */
  verbose?: boolean;
}

/** SoftFloat flag bits (the vectors' last column) → x87 status-word exception bits. */
const SOFTFLOAT_TO_X87: readonly [number, number][] = [
  [0x01, x87.Status.PE],
  [0x02, x87.Status.UE],
  [0x04, x87.Status.OE],
  [0x08, x87.Status.ZE],
  [0x10, x87.Status.IE],
];

/**
 * Everything we mask or skip, in one place (also in docs/CONFORMANCE-X87.md):
 * - DE (denormal operand) has no SoftFloat flag, so it is never compared.
 * - C1 (rounded up) has no column in the vectors, so it is never compared.
 * - PE after extF80_to_i32/_to_i64/_roundToInt: TestFloat generated these without `-exact`, so its
 *   SoftFloat raises no inexact flag there; the x87 (FIST, FRNDINT) does, and so do we.
 * - extF80_rem is the IEEE remainder; we run FPREM1 until C2 (incomplete) clears, as software does.
 */
const PE_NOT_COMPARED = new Set(['extF80_to_i32', 'extF80_to_i64', 'extF80_roundToInt']);

const ROUNDING: Record<string, number> = {
  rnear_even: x87.Rounding.NEAREST,
  rmin: x87.Rounding.DOWN,
  rmax: x87.Rounding.UP,
  rminMag: x87.Rounding.ZERO,
};
const PRECISION: Record<string, number> = { p32: x87.Precision.P24, p64: x87.Precision.P53, '': x87.Precision.P64 };

type F80 = [number, number, number];

function f80(hex: string): F80 {
  return [parseInt(hex.slice(0, 4), 16), parseInt(hex.slice(4, 12), 16), parseInt(hex.slice(12, 20), 16)];
}
const hex = (v: number, digits: number): string => (v >>> 0).toString(16).toUpperCase().padStart(digits, '0');
const resF80 = (c: x87.F80Context): string => hex(c.se, 4) + hex(c.hi, 8) + hex(c.lo, 8);

/** Runs one vector line's operation on c; returns the result in the vectors' notation. */
type Case = (c: x87.F80Context, ops: string[]) => string;

const binary =
  (op: (c: x87.F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number) => void): Case =>
  (c, ops) => {
    const [aSE, aHi, aLo] = f80(ops[0]!);
    const [bSE, bHi, bLo] = f80(ops[1]!);
    op(c, aSE, aHi, aLo, bSE, bHi, bLo);
    return resF80(c);
  };

const predicate =
  (op: (c: x87.F80Context, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number) => boolean): Case =>
  (c, ops) => {
    const [aSE, aHi, aLo] = f80(ops[0]!);
    const [bSE, bHi, bLo] = f80(ops[1]!);
    return op(c, aSE, aHi, aLo, bSE, bHi, bLo) ? '1' : '0';
  };

const unary =
  (op: (c: x87.F80Context, se: number, hi: number, lo: number) => string): Case =>
  (c, ops) => {
    const [se, hi, lo] = f80(ops[0]!);
    return op(c, se, hi, lo);
  };

/** Function name → how to run it; one operand list per line, result last but one, flags last. */
const CASES: Record<string, Case> = {
  extF80_add: binary(x87.add),
  extF80_sub: binary(x87.sub),
  extF80_mul: binary(x87.mul),
  extF80_div: binary(x87.div),
  extF80_rem: binary(x87.remainder),
  extF80_eq: predicate(x87.eq),
  extF80_lt: predicate(x87.lt),
  extF80_le: predicate(x87.le),
  extF80_roundToInt: unary((c, se, hi, lo) => {
    x87.roundToInt(c, se, hi, lo);
    return resF80(c);
  }),
  extF80_to_i32: unary((c, se, hi, lo) => hex(x87.toI32(c, se, hi, lo), 8)),
  extF80_to_i64: unary((c, se, hi, lo) => {
    x87.toI64(c, se, hi, lo);
    return hex(c.hi, 8) + hex(c.lo, 8);
  }),
  extF80_to_f32: unary((c, se, hi, lo) => hex(x87.toF32(c, se, hi, lo), 8)),
  extF80_to_f64: unary((c, se, hi, lo) => {
    x87.toF64(c, se, hi, lo);
    return hex(c.hi, 8) + hex(c.lo, 8);
  }),
  i32_to_extF80: (c, ops) => {
    x87.fromI32(c, parseInt(ops[0]!, 16) | 0);
    return resF80(c);
  },
  i64_to_extF80: (c, ops) => {
    x87.fromI64(c, parseInt(ops[0]!.slice(0, 8), 16), parseInt(ops[0]!.slice(8), 16));
    return resF80(c);
  },
  f32_to_extF80: (c, ops) => {
    x87.fromF32(c, parseInt(ops[0]!, 16));
    return resF80(c);
  },
  f64_to_extF80: (c, ops) => {
    x87.fromF64(c, parseInt(ops[0]!.slice(0, 8), 16), parseInt(ops[0]!.slice(8), 16));
    return resF80(c);
  },
  extF80_sqrt: unary((c, se, hi, lo) => {
    x87.sqrt(c, se, hi, lo);
    return resF80(c);
  }),
};

function parseName(file: string): { fn: string; rounding: string; precision: string } | undefined {
  const m = /^(\w+)\.(rnear_even|rminMag|rmin|rmax)(?:\.(p32|p64))?\.txt\.gz$/.exec(file);
  if (!m) return undefined;
  return { fn: m[1]!, rounding: m[2]!, precision: m[3] ?? '' };
}

export async function runTestFloat(dir: string, opts: TestFloatOptions = {}): Promise<TestFloatResult> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.txt.gz') && (!opts.filter || f.includes(opts.filter)))
    .sort();
  const perFunction = new Map<string, { passed: number; failed: number; skipped: number }>();
  const failures: string[] = [];
  const c = new x87.F80Context();
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const file of files) {
    const name = parseName(file);
    const lines = gunzipSync(readFileSync(join(dir, file))).toString('latin1').split('\n');
    const count = lines.filter((l) => l.trim() !== '').length;
    const run = name ? CASES[name.fn] : undefined;
    const key = name?.fn ?? file;
    const stats = perFunction.get(key) ?? { passed: 0, failed: 0, skipped: 0 };
    perFunction.set(key, stats);
    if (!name || !run) {
      stats.skipped += count;
      skipped += count;
      continue;
    }
    const maskPE = PE_NOT_COMPARED.has(name.fn);
    let fileFailures = 0;
    for (const line of lines) {
      const ops = line.trim().split(/\s+/);
      if (ops.length < 3) continue;
      const expectFlags = parseInt(ops[ops.length - 1]!, 16);
      const expect = ops[ops.length - 2]!.toUpperCase();
      c.setControlWord(0x007f | (PRECISION[name.precision]! << 8) | (ROUNDING[name.rounding]! << 10));
      c.flags = 0;
      const got = run(c, ops);
      let gotFlags = 0;
      for (const [sf, x] of SOFTFLOAT_TO_X87) if (c.flags & x) gotFlags |= sf;
      if (maskPE) gotFlags &= ~0x01;
      if (got === expect && gotFlags === expectFlags) {
        stats.passed++;
        passed++;
      } else {
        stats.failed++;
        failed++;
        if (opts.verbose || fileFailures < 3) {
          failures.push(`${file}: ${ops.slice(0, -2).join(' ')} → ${got} ${hex(gotFlags, 2)}, expected ${expect} ${hex(expectFlags, 2)}`);
        }
        fileFailures++;
      }
    }
  }
  const report: string[] = [];
  for (const [fn, s] of perFunction) {
    const total = s.passed + s.failed;
    const rate = total ? ((100 * s.passed) / total).toFixed(2) : '-';
    report.push(`${fn}: ${s.passed}/${total} passed (${rate}%)${s.skipped ? `, ${s.skipped} skipped` : ''}`);
  }
  report.push(...failures);
  return { passed, failed, skipped, report };
}
