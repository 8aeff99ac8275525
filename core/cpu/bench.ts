/**
 * Interpreter speed: a fixed real-mode integer workload (register ALU work, loads and stores through
 * several addressing forms, near calls, a 1 KiB REP MOVSB per outer loop) on a bare CPU, for about
 * `seconds` of host time. MIPS = instructions retired per microsecond (a REP counts as one).
 */
import { assemble } from '../asm/index.js';
import { buildProtected, enablePaging, identityMap, PTE } from './pm-harness.js';
import { makeBench, load, type Bench } from './test-harness.js';

export const BENCH_WORKLOAD = `
start:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7000
outer:
  mov cx, 1000
inner:
  mov bx, cx
  and bx, 0xfe
  add ax, [bx+0x1000]
  xor dx, ax
  mov [bx+0x1100], dx
  shl ax, 1
  adc ax, 0
  mov si, bx
  cmp byte [si+0x1200], 7
  jne .skip
  inc word [0x1300]
.skip:
  call work
  dec cx
  jnz inner
  mov si, 0x2000
  mov di, 0x3000
  mov cx, 1024
  cld
  rep movsb
  jmp outer
work:
  push bx
  lea bx, [bx+di+4]
  sub di, bx
  pop bx
  ret
`;

export interface BenchResult {
  mips: number;
  instructions: number;
  seconds: number;
}

export function benchInterpreter(seconds = 1): BenchResult {
  const bench = makeBench();
  const { bytes } = assemble(BENCH_WORKLOAD, { bits: 16, origin: 0x100 });
  load(bench, bytes, 0x1000, 0x100);
  return measure(bench, seconds);
}

/**
 * The same workload as 32-bit code at CPL 0 in flat protected mode with paging on (4 KiB pages, identity
 * mapped): what a 32-bit kernel's integer code costs, TLB fast path included.
 */
export const BENCH_WORKLOAD_32 = `
outer:
  mov ecx, 1000
inner:
  mov ebx, ecx
  and ebx, 0xfe
  add eax, [ebx+0x41000]
  xor edx, eax
  mov [ebx+0x41100], edx
  shl eax, 1
  adc eax, 0
  mov esi, ebx
  cmp byte [esi+0x41200], 7
  jne .skip
  inc dword [0x41300]
.skip:
  call work
  dec ecx
  jnz inner
  mov esi, 0x42000
  mov edi, 0x43000
  mov ecx, 1024
  cld
  rep movsb
  jmp outer
work:
  push ebx
  lea ebx, [ebx+edi+4]
  sub edi, ebx
  pop ebx
  ret
`;

export function benchProtected(seconds = 1): BenchResult {
  const bench = buildProtected(BENCH_WORKLOAD_32, {
    prologue: enablePaging(),
    setup: (b) => identityMap(b, 0, 0x200000, PTE.P | PTE.W),
  });
  return measure(bench, seconds);
}

function measure(bench: Bench, seconds: number): BenchResult {
  const cpu = bench.cpu;
  cpu.run(1_000_000); // warm up: let the JIT compile the hot handlers
  const start = performance.now();
  let instructions = 0;
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    instructions += cpu.run(1_000_000);
    elapsed = performance.now() - start;
  }
  return { mips: instructions / elapsed / 1000, instructions, seconds: elapsed / 1000 };
}
