import { assemble, Machine, type Firmware } from '../core/index.js';
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
    process.stdout.write(JSON.stringify({ bench: name, runs: results, median, node: process.version }) + '\n');
  }
  return 0;
}

const BENCHMARKS: Record<string, () => Promise<Record<string, number>>> = {
  'interpreter-real-mode': async () => interpreterRealMode(),
};

/**
 * A fixed real-mode integer workload, run as the machine's ROM (no BIOS in the way): ALU work on
 * registers, loads and stores through several addressing forms, a near call, a REP MOVSB of 1 KiB, in
 * a loop. Reports guest instructions per second over a fixed number of instructions.
 */
export const WORKLOAD = `
  bits 16
start:
  cli
  xor ax, ax
  mov ss, ax
  mov sp, 0x7000
  mov ds, ax
  mov es, ax
  cld
outer:
  mov cx, 200
  mov si, 0x1000
  xor bx, bx
inner:
  add ax, [si]
  adc dx, bx
  xor ax, 0x5a5a
  rol ax, 3
  mov [si+2], ax
  inc bx
  lea di, [bx+si+4]
  and di, 0x0ffe
  cmp ax, dx
  jbe .skip
  sub ax, dx
.skip:
  call work
  loop inner
  mov si, 0x2000
  mov di, 0x3000
  mov cx, 1024
  rep movsb
  jmp outer
work:
  push bx
  imul bx, bx, 7
  shr bx, 1
  mov [0x4000], bx
  pop bx
  ret
  times 0xfff0 - ($ - $$) db 0x90
reset:
  jmp 0xf000:start
  times 0x10000 - ($ - $$) db 0xf4
`;

const BENCH_INSTRUCTIONS = 40_000_000;

function interpreterRealMode(): Record<string, number> {
  const rom = assemble(WORKLOAD, { origin: 0, bits: 16 }).bytes;
  const firmware: Firmware = { rom };
  const machine = new Machine({ memoryMB: 16, firmware, clock: 'deterministic' });
  machine.runSlice(1000); // warm up past the reset vector
  const start = performance.now();
  let executed = 0;
  while (executed < BENCH_INSTRUCTIONS) executed += machine.runSlice(100_000);
  const seconds = (performance.now() - start) / 1000;
  return { mips: executed / seconds / 1e6, seconds };
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
