/**
 * co86's core: the public face of the emulator (DESIGN §2). Everything outside core/ imports from here,
 * never from deeper paths (enforced by eslint.config.js).
 */
export { Machine, type MachineConfig, type MachineSnapshot } from './machine.js';
export { Layout, WASM_PAGE } from './layout.js';
export { PhysicalMemory, PageKind, type MmioHandler } from './memory.js';
export { IoBus, type PortHandler } from './io.js';
export { type BlockDevice, MemoryBlockDevice } from './block.js';
export { CowBlockDevice, RangeBlockDevice, type RangeSource, type RangeBlockDeviceOptions } from './block/index.js';
export { type Clock, RealtimeClock, DeterministicClock } from './clock.js';
export { type Device, type DeviceState, type TimedDevice, type IrqLine, checkStateVersion } from './device.js';
export { type Firmware, type FirmwareHost, type CpuAccess, Reg, Reg8, Seg, Flag } from './firmware.js';
export * from './cpu/index.js';
export * from './devices/index.js';
export * from './asm/index.js';
export * as x87 from './x87/index.js';
export * from './loader/index.js';
