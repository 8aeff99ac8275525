import { describe, expect, it } from 'vitest';
import { benchInterpreter, benchProtected } from './bench.js';

describe('benchInterpreter', () => {
  it('runs the fixed workload and reports instructions per microsecond', () => {
    const r = benchInterpreter(0.05);
    expect(r.instructions).toBeGreaterThan(100_000);
    expect(r.mips).toBeCloseTo(r.instructions / r.seconds / 1e6, 3);
  });

  it('runs the 32-bit workload in paged protected mode without faults', () => {
    const r = benchProtected(0.05);
    expect(r.instructions).toBeGreaterThan(100_000);
  });
});
