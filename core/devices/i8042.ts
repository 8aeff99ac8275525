import type { Clock } from '../clock.js';
import { checkStateVersion, type DeviceState, type IrqLine, type TimedDevice } from '../device.js';
import type { IoBus } from '../io.js';
import { loadFields, saveFields } from './fields.js';
import { BREAK_PREFIX, translateSet2, type Ps2Device, type Ps2Host } from './ps2.js';

const STATE_VERSION = 1;
/**
 * After the guest reads a byte, the next one arrives this much later (a PS/2 byte takes about 1 ms on the
 * wire). Without the gap, an INT 9 chain where several handlers read port 60h would see different bytes.
 */
const BYTE_GAP_NS = 100_000;

// Status register (port 64h read).
const ST_OUTPUT_FULL = 0x01;
const ST_SYSTEM = 0x04;
const ST_COMMAND = 0x08;
const ST_UNLOCKED = 0x10;
const ST_AUX_DATA = 0x20;
const ST_TIMEOUT = 0x40;

// Command byte (controller RAM byte 0).
const CB_KBD_IRQ = 0x01;
const CB_AUX_IRQ = 0x02;
const CB_SYSTEM = 0x04;
const CB_KBD_DISABLED = 0x10;
const CB_AUX_DISABLED = 0x20;
const CB_TRANSLATE = 0x40;

/** Power-on command byte as a BIOS leaves it: keyboard IRQ on, system flag, translation on. */
const DEFAULT_COMMAND_BYTE = CB_KBD_IRQ | CB_SYSTEM | CB_TRANSLATE;
/** Output port: bit 0 = reset line released (active low), bit 1 = A20 on, bits 2-3 high, 6-7 clock/data idle. */
const DEFAULT_OUTPUT_PORT = 0xcf;
/** Input port (C0h): keyboard not inhibited, no manufacturing jumper, colour display. */
const INPUT_PORT = 0xa0;

/** Where the byte in the output buffer came from. */
const enum Source {
  Keyboard = 0,
  Aux = 1,
}

const FIELDS = [
  'ram', 'outputByte', 'outputFull', 'outputAux', 'lastWasCommand', 'systemFlag', 'timeout', 'outputPort',
  'pendingCommand', 'translateBreak', 'holdUntil', 'kbdIrq', 'auxIrq',
] as const;

export interface I8042Options {
  io: IoBus;
  keyboard: Ps2Device;
  /** The PS/2 mouse, when there is one; `attachAux` can add it later. */
  aux?: Ps2Device;
  /** IRQ 1 (keyboard). */
  irq: IrqLine;
  /** IRQ 12 (aux). */
  irq12?: IrqLine;
  /** Output port bit 1 was written. */
  setA20?: (on: boolean) => void;
  /** Output port bit 0 pulled low (D1h write or FEh pulse): reset the CPU. */
  resetSystem?: () => void;
  /** For the inter-byte gap; without one, the time of the last tick() is used. */
  clock?: Clock;
}

/**
 * The 8042 keyboard controller (ports 60h data, 64h status/command) with a keyboard and an optional aux
 * (mouse) port. The controller holds one output byte; devices queue the rest and the controller pulls the
 * next device byte once the guest has read the previous one and BYTE_GAP_NS has passed. Controller
 * replies (to 20h, AAh, D0h …) come at once.
 */
export class I8042 implements TimedDevice, Ps2Host {
  readonly name = 'kbc';
  private readonly keyboard: Ps2Device;
  private aux?: Ps2Device;
  private readonly irq1: IrqLine;
  private readonly irq12?: IrqLine;
  private readonly setA20?: (on: boolean) => void;
  private readonly resetSystem?: () => void;
  private readonly clock?: Clock;

  /** Controller RAM; byte 0 is the command byte. */
  private readonly ram = new Uint8Array(32);
  private outputByte = 0;
  private outputFull = false;
  private outputAux = false;
  private lastWasCommand = false;
  private systemFlag = false;
  private timeout = false;
  private outputPort = DEFAULT_OUTPUT_PORT;
  /** A controller command waiting for its data byte on port 60h, or -1. */
  private pendingCommand = -1;
  private translateBreak = false;
  /** No new byte enters the output buffer before this time (ns). */
  private holdUntil = 0;
  /** Controller replies not yet in the output buffer: byte | Source << 8. */
  private replies: number[] = [];
  private kbdIrq = false;
  private auxIrq = false;
  private lastTick = 0;
  /** The devices may have bytes queued. */
  private devicesHaveData = false;

  constructor(options: I8042Options) {
    this.keyboard = options.keyboard;
    this.irq1 = options.irq;
    this.irq12 = options.irq12;
    this.setA20 = options.setA20;
    this.resetSystem = options.resetSystem;
    this.clock = options.clock;
    this.keyboard.connect(this);
    if (options.aux) this.attachAux(options.aux);
    options.io.register(this.name, 0x60, {
      read8: () => this.readData(),
      write8: (_port, value) => this.writeData(value),
    });
    options.io.register(this.name, 0x64, {
      read8: () => this.readStatus(),
      write8: (_port, value) => this.writeCommand(value),
    });
    this.reset();
  }

  /** Plugs a device (the PS/2 mouse) into the aux port. */
  attachAux(device: Ps2Device): void {
    this.aux = device;
    device.connect(this);
  }

  reset(): void {
    this.ram.fill(0);
    this.ram[0] = DEFAULT_COMMAND_BYTE;
    this.outputByte = 0;
    this.outputFull = this.outputAux = this.lastWasCommand = this.timeout = this.translateBreak = false;
    this.systemFlag = (DEFAULT_COMMAND_BYTE & CB_SYSTEM) !== 0;
    this.outputPort = DEFAULT_OUTPUT_PORT;
    this.pendingCommand = -1;
    this.holdUntil = 0;
    this.replies = [];
    this.devicesHaveData = true;
    this.kbdIrq = this.auxIrq = false;
    this.irq1(false);
    this.irq12?.(false);
  }

  private get commandByte(): number {
    return this.ram[0];
  }

  private now(): number {
    return this.clock ? this.clock.now() : this.lastTick;
  }

  deviceHasData(): void {
    this.devicesHaveData = true;
    this.service();
  }

  /** Moves the next byte (controller replies first, then keyboard, then aux) into a free output buffer. */
  private service(): void {
    if (this.outputFull) return;
    // Controller replies answer a command the guest just gave, so they skip the inter-byte gap.
    if (this.replies.length) {
      const reply = this.replies.shift()!;
      this.fill(reply & 0xff, (reply >> 8) as Source);
      return;
    }
    if (!this.devicesHaveData || this.now() < this.holdUntil) return;
    if (!(this.commandByte & CB_KBD_DISABLED)) {
      for (let byte = this.keyboard.read(); byte >= 0; byte = this.keyboard.read()) {
        if (!(this.commandByte & CB_TRANSLATE)) return this.fill(byte, Source.Keyboard);
        // Translation: F0 is swallowed and marks the next code as a break (bit 7).
        if (byte === BREAK_PREFIX) {
          this.translateBreak = true;
          continue;
        }
        const code = translateSet2(byte) | (this.translateBreak ? 0x80 : 0);
        this.translateBreak = false;
        return this.fill(code, Source.Keyboard);
      }
    }
    if (this.aux && !(this.commandByte & CB_AUX_DISABLED)) {
      const byte = this.aux.read();
      if (byte >= 0) return this.fill(byte, Source.Aux);
    }
    // Nothing came out; a disabled device may still hold bytes, which deviceHasData/AEh/A8h will revisit.
    this.devicesHaveData = (this.commandByte & (CB_KBD_DISABLED | CB_AUX_DISABLED)) !== 0;
  }

  private fill(byte: number, source: Source): void {
    this.outputByte = byte;
    this.outputFull = true;
    this.outputAux = source === Source.Aux;
    this.updateIrqs();
  }

  private reply(byte: number, source = Source.Keyboard): void {
    this.replies.push((byte & 0xff) | (source << 8));
    this.service();
  }

  private updateIrqs(): void {
    const kbd = this.outputFull && !this.outputAux && (this.commandByte & CB_KBD_IRQ) !== 0;
    const aux = this.outputFull && this.outputAux && (this.commandByte & CB_AUX_IRQ) !== 0;
    if (kbd !== this.kbdIrq) {
      this.kbdIrq = kbd;
      this.irq1(kbd);
    }
    if (aux !== this.auxIrq) {
      this.auxIrq = aux;
      this.irq12?.(aux);
    }
  }

  private readStatus(): number {
    this.service();
    return (
      (this.outputFull ? ST_OUTPUT_FULL : 0) |
      (this.systemFlag ? ST_SYSTEM : 0) |
      (this.lastWasCommand ? ST_COMMAND : 0) |
      ST_UNLOCKED |
      (this.outputFull && this.outputAux ? ST_AUX_DATA : 0) |
      (this.timeout ? ST_TIMEOUT : 0)
    );
  }

  private readData(): number {
    this.service();
    if (this.outputFull) {
      this.outputFull = false;
      this.timeout = false;
      this.holdUntil = this.now() + BYTE_GAP_NS;
      this.updateIrqs();
    }
    // An empty buffer reads back its last byte, as the chip does.
    return this.outputByte;
  }

  private writeData(value: number): void {
    this.lastWasCommand = false;
    const command = this.pendingCommand;
    this.pendingCommand = -1;
    if (command < 0) {
      this.keyboard.write(value);
      return;
    }
    if (command >= 0x60 && command < 0x80) {
      this.ram[command & 0x1f] = value;
      if (command === 0x60) {
        this.systemFlag = (value & CB_SYSTEM) !== 0;
        this.updateIrqs();
        this.devicesHaveData = true;
        this.service();
      }
      return;
    }
    switch (command) {
      case 0xd1:
        this.writeOutputPort(value);
        break;
      case 0xd2: // as if from the keyboard (untranslated)
        this.reply(value, Source.Keyboard);
        break;
      case 0xd3: // as if from the aux device
        this.reply(value, Source.Aux);
        break;
      case 0xd4:
        if (this.aux) this.aux.write(value);
        else {
          // Nothing plugged in: the transfer times out and the controller reports FEh with the timeout bit.
          this.timeout = true;
          this.reply(0xfe, Source.Aux);
        }
        break;
    }
  }

  private writeOutputPort(value: number): void {
    this.outputPort = value;
    this.setA20?.((value & 0x02) !== 0);
    if (!(value & 0x01)) this.resetSystem?.();
  }

  private writeCommand(command: number): void {
    this.lastWasCommand = true;
    this.pendingCommand = -1;
    if (command >= 0x20 && command < 0x40) return this.reply(this.ram[command & 0x1f]);
    if ((command >= 0x60 && command < 0x80) || (command >= 0xd1 && command <= 0xd4)) {
      this.pendingCommand = command;
      return;
    }
    if (command >= 0xf0) {
      // Pulse output-port bits whose mask bit is 0 for ~6 µs; bit 0 is the CPU reset line.
      if (!(command & 0x01)) this.resetSystem?.();
      return;
    }
    switch (command) {
      case 0xa4: // password installed? no
        return this.reply(0xf1);
      case 0xa7:
        this.ram[0] |= CB_AUX_DISABLED;
        return;
      case 0xa8:
        this.ram[0] &= ~CB_AUX_DISABLED;
        this.devicesHaveData = true;
        return this.service();
      case 0xa9: // aux interface test: lines fine (whether or not a device is plugged in)
        return this.reply(0x00);
      case 0xaa: // self-test passed
        this.systemFlag = true;
        return this.reply(0x55);
      case 0xab: // keyboard interface test: no error
        return this.reply(0x00);
      case 0xad:
        this.ram[0] |= CB_KBD_DISABLED;
        return;
      case 0xae:
        this.ram[0] &= ~CB_KBD_DISABLED;
        this.devicesHaveData = true;
        return this.service();
      case 0xc0:
        return this.reply(INPUT_PORT);
      case 0xd0: {
        const buffers = (this.outputFull && !this.outputAux ? 0x10 : 0) | (this.outputFull && this.outputAux ? 0x20 : 0);
        return this.reply((this.outputPort & ~0x30) | buffers);
      }
      case 0xe0: // test inputs: clock and data low
        return this.reply(0x00);
      default:
        return; // unknown or vendor-specific: ignored
    }
  }

  /** Is A20 enabled by the output port? */
  get a20(): boolean {
    return (this.outputPort & 0x02) !== 0;
  }

  tick(now: number): number {
    this.lastTick = now;
    this.service();
    // Only a byte held back by the inter-byte gap needs a wake-up; anything else waits for the guest.
    const waiting = !this.outputFull && this.devicesHaveData;
    return waiting && this.holdUntil > now ? this.holdUntil : Infinity;
  }

  saveState(): DeviceState {
    return { version: STATE_VERSION, ...saveFields(this, FIELDS), replies: this.replies.slice() };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    const replies = state.replies;
    if (!Array.isArray(replies) || replies.some((r) => typeof r !== 'number')) throw new Error('kbc: state field replies is not a list of numbers');
    loadFields(this.name, this, state, FIELDS);
    this.replies = replies.slice();
    this.devicesHaveData = true;
    // A snapshot taken on another clock may carry a hold far in the future.
    this.holdUntil = Math.min(this.holdUntil, this.now() + BYTE_GAP_NS);
    this.irq1(this.kbdIrq);
    this.irq12?.(this.auxIrq);
  }
}
