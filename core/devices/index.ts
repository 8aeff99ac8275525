/** The PC's chips (one file each; see README.md for ports and IRQs). */
export { Pic8259Pair, type Pic8259PairOptions } from './pic8259.js';
export { Pit8254, PIT_HZ, type Pit8254Options } from './pit8254.js';
export { Mc146818, type Mc146818Options } from './mc146818.js';
export { I8042, type I8042Options } from './i8042.js';
export { Ps2Keyboard } from './ps2keyboard.js';
export { translateSet2, BREAK_PREFIX, type Ps2Device, type Ps2Host } from './ps2.js';
export { Uart16550, type Uart16550Options } from './uart16550.js';
export { Vga, type VgaOptions, type TextScreen, type DisplayMode } from './vga/vga.js';
export { CP437, CP437_CHARS } from './vga/cp437.js';
export { Port92, type Port92Options } from './port92.js';
export { DebugPorts, type DebugPortsOptions } from './debugports.js';
