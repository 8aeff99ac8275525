/** The JIT (DESIGN §2): hot 32-bit blocks compiled to WebAssembly with binaryen. See README.md. */
export { HOT_THRESHOLD, Jit, type JitOptions, type JitStats } from './jit.js';

/**
 * Whether machines compile hot code unless their config says otherwise (docs/BENCHMARKS.md "JIT": the
 * Linux boot is 4× faster). Every write into guest RAM that does not come from the CPU's fast path — the CPU's
 * slow path, the BIOS, floppy and IDE bus-master DMA — goes through PhysicalMemory.write8/16/32 or writeBytes, which tell
 * the JIT about pages holding compiled code.
 */
export const JIT_DEFAULT = true;
