/** The whole TestFloat x87 set (../shared/testdata/testfloat-x87 beside the repo) must pass ≥ 99.9%. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTestFloat } from './testfloat.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(repoRoot, '..', 'shared', 'testdata', 'testfloat-x87');
const present = existsSync(dir);

describe('TestFloat x87 conformance', () => {
  it.runIf(!present && !!process.env.CI)('has its data in CI', () => {
    expect.fail(`TestFloat vectors missing: ${dir}`);
  });

  it.runIf(present)('passes at least 99.9% of the vectors', async () => {
    const result = await runTestFloat(dir);
    const total = result.passed + result.failed;
    const rate = result.passed / total;
    if (rate < 1) console.log(result.report.join('\n'));
    expect(total).toBeGreaterThan(200_000);
    expect(result.skipped).toBe(0);
    expect(rate).toBeGreaterThanOrEqual(0.999);
  });
});
