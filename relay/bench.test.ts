import { describe, expect, it } from 'vitest';
import { benchRelay } from './bench.js';

describe('benchRelay', () => {
  it('measures throughput and latency between two clients', async () => {
    const result = await benchRelay({ phaseMillis: 200 });
    expect(result.framesPerSecond).toBeGreaterThan(1000);
    expect(result.megabytesPerSecond).toBeGreaterThan(1);
    expect(result.latencyMicrosMedian).toBeGreaterThan(0);
    expect(result.latencyMicrosP95).toBeGreaterThanOrEqual(result.latencyMicrosMedian);
  });
});
