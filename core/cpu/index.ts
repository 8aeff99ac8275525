/** The x86 CPU: the interpreter, its instruction table, decoder and disassembler. */
export { Cpu, type CpuOptions, CPU_SIGNATURE } from './cpu.js';
export { ISA, OPCODES, Level, CPU_LEVEL, CONDITIONS, type IsaRow, allowsLock, hasModrm, operandInfo, flagMask } from './isa.js';
export { decode, type Decoded } from './decoder.js';
export { disassemble, disassembleRange, mnemonicOf, type Disassembly } from './disasm.js';
export { benchInterpreter, benchProtected, BENCH_WORKLOAD, BENCH_WORKLOAD_32, type BenchResult } from './bench.js';
