/** Direct kernel boot (`--kernel`): Linux bzImage and Multiboot v1. See README.md in this folder. */
export { loadKernel } from './load-kernel.js';
export { type KernelInfo, type KernelOptions, describeKernel } from './types.js';
export { memoryMap, type MemoryRegion } from './boot-memory.js';
