import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSingleStep } from './singlestep.js';

/** The shared test data lives beside the repository: `../shared` from its root. */
const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/testdata/singlestep-80286');
const present = existsSync(DIR);

describe('SingleStepTests 80286 real mode', () => {
  it.runIf(!present)('has its data when running in CI', () => {
    expect(process.env.CI, `${DIR} is missing`).toBeFalsy();
  });

  it.runIf(present)('passes at least 99.5% of the vectors', async () => {
    const result = await runSingleStep(DIR);
    const rate = result.passed / (result.passed + result.failed);
    console.log([...result.report, `${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`].join('\n'));
    expect(result.passed + result.failed + result.skipped).toBeGreaterThan(90_000);
    expect(rate).toBeGreaterThanOrEqual(0.995);
  });
});
