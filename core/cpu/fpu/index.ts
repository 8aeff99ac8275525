/** The x87 FPU unit of the CPU: state in Layout.X87 (./layout.ts), arithmetic from core/x87. */
export { Fpu } from './fpu.js';
export type { FpuHost } from './host.js';
export type { FpuOptions } from './fpu-base.js';
export { FpuLayout } from './layout.js';
