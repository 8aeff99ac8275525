import { checkStateVersion, type Device, type DeviceState } from '../device.js';
import { loadFields, saveFields } from './fields.js';
import { BREAK_PREFIX, Ps2OutputQueue, translateSet2, type Ps2Device, type Ps2Host } from './ps2.js';

/** 2: the output queue is one `queue` record (Ps2OutputQueue). */
const STATE_VERSION = 2;
/** Bytes the keyboard buffers for the host (a real one holds 16; more makes pasted text survive). */
const QUEUE_SIZE = 256;
/** Sent in place of the newest byte when the buffer overflows (set 2; the 8042 translates it to FFh). */
const OVERRUN = 0x00;
const ACK = 0xfa;
const RESEND = 0xfe;
const BAT_OK = 0xaa;
const ECHO = 0xee;
/** 10.9 characters/s after 500 ms, the power-on typematic setting. */
const DEFAULT_TYPEMATIC = 0x2b;

const FIELDS = ['scanning', 'scanSet', 'leds', 'typematic', 'pendingCommand', 'lastSent', 'set1Break'] as const;

/**
 * A PS/2 (MF2) keyboard. The outside world types with `sendScancodes(set-2 bytes)`; the keyboard queues
 * them (converted when the host selected set 1) and answers the host's commands. Set 3 is refused.
 */
export class Ps2Keyboard implements Device, Ps2Device {
  readonly name = 'keyboard';
  /** The host set the LEDs: bit 0 Scroll Lock, bit 1 Num Lock, bit 2 Caps Lock. */
  onLeds?: (leds: number) => void;
  private host?: Ps2Host;
  private readonly queue = new Ps2OutputQueue(QUEUE_SIZE);
  private scanning = true;
  private scanSet = 2;
  private leds = 0;
  private typematic = DEFAULT_TYPEMATIC;
  /** A command waiting for its argument byte (EDh, F0h, F3h), or -1. */
  private pendingCommand = -1;
  private lastSent = RESEND;
  /** Converting to set 1: an F0 prefix was seen. */
  private set1Break = false;

  constructor() {
    this.reset();
  }

  connect(host: Ps2Host): void {
    this.host = host;
  }

  reset(): void {
    this.clear();
    this.setDefaults();
    this.scanning = true;
    this.leds = 0;
    this.pendingCommand = -1;
    this.lastSent = RESEND;
  }

  private setDefaults(): void {
    this.scanSet = 2;
    this.typematic = DEFAULT_TYPEMATIC;
    this.set1Break = false;
  }

  private clear(): void {
    this.queue.clear();
  }

  /** Keys from outside: scancode set 2 bytes (e.g. 1C for A pressed, F0 1C released, E0-prefixed extended keys). */
  sendScancodes(bytes: readonly number[]): void {
    if (!this.scanning) return;
    for (const raw of bytes) {
      const byte = raw & 0xff;
      if (this.scanSet === 1) {
        if (byte === BREAK_PREFIX) {
          this.set1Break = true;
          continue;
        }
        this.push(translateSet2(byte) | (this.set1Break ? 0x80 : 0));
        this.set1Break = false;
      } else {
        this.push(byte);
      }
    }
    this.host?.deviceHasData();
  }

  /** Has the host enabled scanning (after F4h, or after a reset)? */
  get isScanning(): boolean {
    return this.scanning;
  }

  get ledState(): number {
    return this.leds;
  }

  private push(byte: number): void {
    if (!this.queue.push(byte)) this.queue.replaceNewest(this.scanSet === 1 ? 0xff : OVERRUN);
  }

  /** Command responses go ahead of queued keys, so a driver waiting for its ACK sees it first. */
  private reply(...bytes: number[]): void {
    // When full, the newest key is dropped rather than the answer.
    for (let i = bytes.length - 1; i >= 0; i--) this.queue.pushFront(bytes[i]);
    this.host?.deviceHasData();
  }

  read(): number {
    const byte = this.queue.shift();
    if (byte >= 0) this.lastSent = byte;
    return byte;
  }

  write(byte: number): void {
    byte &= 0xff;
    const pending = this.pendingCommand;
    // An argument byte that looks like a command aborts the pending command and runs as one.
    if (pending >= 0 && byte < 0xed) {
      this.pendingCommand = -1;
      this.argument(pending, byte);
      return;
    }
    this.pendingCommand = -1;
    switch (byte) {
      case 0xed: // set LEDs
      case 0xf0: // get/set scancode set
      case 0xf3: // set typematic rate/delay
        this.pendingCommand = byte;
        this.reply(ACK);
        break;
      case 0xee:
        this.reply(ECHO);
        break;
      case 0xf2: // identify: an MF2 keyboard
        this.reply(ACK, 0xab, 0x83);
        break;
      case 0xf4: // enable scanning
        this.clear();
        this.scanning = true;
        this.reply(ACK);
        break;
      case 0xf5: // disable scanning, restore defaults
        this.clear();
        this.setDefaults();
        this.scanning = false;
        this.reply(ACK);
        break;
      case 0xf6: // restore defaults
        this.clear();
        this.setDefaults();
        this.reply(ACK);
        break;
      case 0xf7: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd:
        this.reply(ACK); // set-3 key attributes: accepted and ignored
        break;
      case 0xfe:
        this.reply(this.lastSent);
        break;
      case 0xff: // reset: ACK, then the basic assurance test passes
        this.clear();
        this.setDefaults();
        this.scanning = true;
        this.leds = 0;
        this.onLeds?.(0);
        this.reply(ACK, BAT_OK);
        break;
      default:
        this.reply(RESEND);
    }
  }

  private argument(command: number, value: number): void {
    switch (command) {
      case 0xed:
        this.leds = value & 7;
        this.onLeds?.(this.leds);
        this.reply(ACK);
        break;
      case 0xf3:
        this.typematic = value & 0x7f;
        this.reply(ACK);
        break;
      default: // 0xf0
        if (value === 0) this.reply(ACK, this.scanSet);
        else if (value === 1 || value === 2) {
          this.scanSet = value;
          this.set1Break = false;
          this.reply(ACK);
        } else this.reply(RESEND);
    }
  }

  saveState(): DeviceState {
    return { version: STATE_VERSION, queue: this.queue.save(), ...saveFields(this, FIELDS) };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    loadFields(this.name, this, state, FIELDS);
    this.queue.load(this.name, state.queue);
  }
}
