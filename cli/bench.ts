import { loadavg } from 'node:os';
import { benchInterpreter, benchProtected, type BenchResult } from '../core/index.js';
import { benchRelay } from '../relay/index.js';
import { numberOption, parseArgs, UsageError } from './args.js';

/**
 * `co86 bench [--runs N] [--only NAME]`: one JSON line per benchmark with every run and the median.
 * Benchmarks, not timed tests: nothing here passes or fails.
 */
export async function bench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['runs', 'only'], flags: [] });
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const runs = numberOption(args, 'runs', 5, 1, 100);
  const only = args.values.get('only');
  for (const [name, run] of Object.entries(BENCHMARKS)) {
    if (only && only !== name) continue;
    const results: Record<string, number>[] = [];
    for (let i = 0; i < runs; i++) results.push(await run());
    const keys = Object.keys(results[0]);
    const median = Object.fromEntries(keys.map((k) => [k, medianOf(results.map((r) => r[k]))]));
    process.stdout.write(JSON.stringify({ bench: name, runs: results, median, node: process.version, loadAverage: loadavg()[0] }) + '\n');
  }
  return 0;
}

const BENCHMARKS: Record<string, () => Promise<Record<string, number>>> = {
  /** The interpreter on a fixed real-mode integer workload (core/cpu/bench.ts), about 1 s per run. */
  'interpreter-real-mode': async () => interpreterRun(benchInterpreter),
  /** The same kind of workload as 32-bit code in flat protected mode with paging on. */
  'interpreter-protected-mode': async () => interpreterRun(benchProtected),
  /** The relay on loopback: frames/s with 64-byte frames, MB/s with 1514-byte frames, added latency. */
  relay: async () => ({ ...(await benchRelay()) }),
  /** The Debian guest booted directly: first kernel line, BOOT-OK, in-guest benchmark (minutes per run). */
  'linux-boot': async () => (await import('./bench-linux.js')).benchLinuxBoot(),
  /** Two Debian guests on one relay room: 1 MiB over TCP with busybox nc, median of 3 transfers (minutes per run). */
  'guest-tcp': async () => (await import('./bench-guest-tcp.js')).benchGuestTcp(),
  /** The first 500 M instructions of the Linux boot (the in-kernel decompressor), interpreter then JIT, per CPU-second. */
  'jit-window': async () => {
    const { benchJitWindow } = await import('./bench-jit.js');
    const interpreter = await benchJitWindow(500e6, false);
    const jit = await benchJitWindow(500e6, true);
    return {
      interpreterMipsPerCpuSecond: interpreter.mipsPerCpuSecond,
      jitMipsPerCpuSecond: jit.mipsPerCpuSecond,
      speedup: jit.mipsPerCpuSecond / interpreter.mipsPerCpuSecond,
    };
  },
};

function interpreterRun(run: (seconds: number) => BenchResult): Record<string, number> {
  const cpuBefore = process.cpuUsage();
  const { mips, instructions, seconds } = run(1);
  const cpu = process.cpuUsage(cpuBefore);
  // MIPS per second of this process's own CPU time: steadier than wall time on a shared machine.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { mips, mipsPerCpuSecond: instructions / cpuSeconds / 1e6, instructions, seconds };
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
