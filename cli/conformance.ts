import { parseArgs, UsageError } from './args.js';

interface SuiteResult {
  passed: number;
  failed: number;
  skipped: number;
  report: string[];
}

/** The suites, their runners and the pass rate each must reach (the issues' targets). */
const SUITES: Record<string, { target: number; run: (dir: string, opts: { filter?: string; verbose?: boolean }) => Promise<SuiteResult> }> = {
  singlestep: { target: 0.995, run: async (dir, opts) => (await import('./conformance/singlestep.js')).runSingleStep(dir, opts) },
  testfloat: { target: 0.999, run: async (dir, opts) => (await import('./conformance/testfloat.js')).runTestFloat(dir, opts) },
};

/** `co86 conformance SUITE DIR [--filter TEXT] [--verbose]`: prints the report, then 'N passed, M failed'. Exits 1 below the target. */
export async function conformance(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['filter'], flags: ['verbose'] });
  const [suite, dir, extra] = args.positionals;
  const entry = SUITES[suite ?? ''];
  if (!entry) throw new UsageError(`conformance needs a suite: ${Object.keys(SUITES).join(' or ')}`);
  if (!dir || extra) throw new UsageError(`conformance ${suite} needs exactly one directory`);
  const result = await entry.run(dir, { filter: args.values.get('filter'), verbose: args.flags.has('verbose') });
  for (const line of result.report) process.stdout.write(line + '\n');
  const total = result.passed + result.failed;
  const rate = total ? result.passed / total : 0;
  process.stdout.write(`${suite}: ${(rate * 100).toFixed(3)}% (target ${(entry.target * 100).toFixed(1)}%), ${result.skipped} skipped\n`);
  process.stdout.write(`${result.passed} passed, ${result.failed} failed\n`);
  return rate >= entry.target ? 0 : 1;
}
