import { checkStateVersion, type Device, type DeviceState } from '../device.js';
import type { IoBus } from '../io.js';

const STATE_VERSION = 1;
const DEBUGCON_PORT = 0xe9;
const EXIT_PORT = 0xf4;

export interface DebugPortsOptions {
  io: IoBus;
  /** A byte written to port E9h (the Bochs/QEMU debug console). */
  onDebugCon?: (byte: number) => void;
  /** A value V written to port F4h (isa-debug-exit): the run should end with exit code (V << 1) | 1. */
  onExit?: (code: number) => void;
}

/**
 * The emulator's debug ports: E9h debug console (reads return E9h so software can detect it) and F4h
 * isa-debug-exit. F4h takes byte, word and dword writes whole, so `out dx, eax` exits once with all of V.
 */
export class DebugPorts implements Device {
  readonly name = 'debugports';
  onDebugCon?: (byte: number) => void;
  onExit?: (code: number) => void;

  constructor(options: DebugPortsOptions) {
    this.onDebugCon = options.onDebugCon;
    this.onExit = options.onExit;
    options.io.register('debug console', DEBUGCON_PORT, {
      read8: () => DEBUGCON_PORT,
      write8: (_port, value) => this.onDebugCon?.(value),
    });
    const exit = (_port: number, value: number) => this.onExit?.(((value << 1) | 1) >>> 0);
    options.io.register('isa-debug-exit', EXIT_PORT, { write8: exit, write16: exit, write32: exit });
    this.reset();
  }

  reset(): void {}

  saveState(): DeviceState {
    return { version: STATE_VERSION };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
  }
}
