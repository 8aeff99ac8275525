import { checkStateVersion, type Device, type DeviceState } from '../device.js';
import type { IoBus } from '../io.js';

const STATE_VERSION = 1;
const FAST_RESET = 0x01;
const FAST_A20 = 0x02;

export interface Port92Options {
  io: IoBus;
  /** Bit 1 was written. */
  setA20?: (on: boolean) => void;
  /** Bit 0 went from 0 to 1: reset the CPU. */
  resetSystem?: () => void;
}

/**
 * System control port A (92h, "fast A20"): bit 1 gates A20, a 0→1 write of bit 0 resets the CPU. The
 * other bits (CMOS lock, drive LEDs) are kept and read back.
 */
export class Port92 implements Device {
  readonly name = 'port92';
  private readonly setA20?: (on: boolean) => void;
  private readonly resetSystem?: () => void;
  private value = 0;

  constructor(options: Port92Options) {
    this.setA20 = options.setA20;
    this.resetSystem = options.resetSystem;
    options.io.register(this.name, 0x92, {
      read8: () => this.value,
      write8: (_port, value) => this.write(value),
    });
    this.reset();
  }

  reset(): void {
    this.value = 0;
  }

  private write(value: number): void {
    const old = this.value;
    this.value = value;
    // Always report bit 1: the machine combines it with the 8042's A20 output and must see every write.
    this.setA20?.((value & FAST_A20) !== 0);
    if (value & FAST_RESET && !(old & FAST_RESET)) this.resetSystem?.();
  }

  /** Is A20 enabled by this port? */
  get a20(): boolean {
    return (this.value & FAST_A20) !== 0;
  }

  saveState(): DeviceState {
    return { version: STATE_VERSION, value: this.value };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    if (typeof state.value !== 'number') throw new Error('port92: state field value is missing');
    this.value = state.value & 0xff;
  }
}
