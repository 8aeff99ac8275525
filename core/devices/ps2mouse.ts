import { checkStateVersion, type Device, type DeviceState } from '../device.js';
import { loadFields, saveFields } from './fields.js';
import { Ps2OutputQueue, type Ps2Device, type Ps2Host } from './ps2.js';

/** 2: the output queue is one `queue` record (Ps2OutputQueue). */
const STATE_VERSION = 2;
/** Bytes the mouse buffers for the host; a packet that does not fit is dropped whole. */
const QUEUE_SIZE = 256;
const ACK = 0xfa;
const RESEND = 0xfe;
const ERROR = 0xfc;
const BAT_OK = 0xaa;
/** Device IDs: a standard PS/2 mouse, and an IntelliMouse (wheel) after the 200-100-80 sample-rate knock. */
const ID_STANDARD = 0;
const ID_WHEEL = 3;
const SAMPLE_RATES = [10, 20, 40, 60, 80, 100, 200];
/** Remote-mode counters saturate here rather than wrap. */
const COUNTER_LIMIT = 1 << 15;

const FIELDS = [
  'reporting', 'remote', 'wrap', 'scaling21', 'resolution', 'sampleRate', 'id', 'rates',
  'pendingCommand', 'lastSent', 'invalidArgument', 'buttons', 'dx', 'dy', 'dz',
] as const;

/** 2:1 scaling of stream-mode deltas (applied to the magnitude). */
function scale21(v: number): number {
  const m = Math.abs(v);
  const s = m >= 6 ? 2 * m : [0, 1, 1, 3, 6, 9][m];
  return v < 0 ? -s : s;
}

/**
 * A PS/2 mouse on the 8042's aux port, with the IntelliMouse wheel extension. The outside world moves it
 * with `move(dx, dy, dz, buttons)`; in stream mode with reporting enabled each call queues one packet
 * (3 bytes, 4 with the wheel) whose 9-bit deltas saturate and set the overflow bits. In remote mode moves
 * accumulate until the host reads them (EBh). Sample rate and resolution are kept and reported but do not
 * pace or scale the packets: the host's input events already come at a human pace.
 */
export class Ps2Mouse implements Device, Ps2Device {
  readonly name = 'mouse';
  private host?: Ps2Host;
  private readonly queue = new Ps2OutputQueue(QUEUE_SIZE);
  private reporting = false;
  private remote = false;
  private wrap = false;
  private scaling21 = false;
  /** 0-3: 1, 2, 4, 8 counts/mm. */
  private resolution = 2;
  private sampleRate = 100;
  private id = ID_STANDARD;
  /** The last three sample rates set, oldest first (the wheel knock). */
  private readonly rates = new Uint8Array(3);
  /** A command waiting for its argument (E8h, F3h), or -1. */
  private pendingCommand = -1;
  private lastSent = 0;
  /** The previous argument was refused (a second refusal answers FCh). */
  private invalidArgument = false;
  /** Bit 0 left, bit 1 right, bit 2 middle. */
  private buttons = 0;
  /** Remote-mode movement counters (PS/2 directions: y up, z down). */
  private dx = 0;
  private dy = 0;
  private dz = 0;

  constructor() {
    this.reset();
  }

  connect(host: Ps2Host): void {
    this.host = host;
  }

  /** Power-on: as after a reset command, with the BAT bytes not sent. */
  reset(): void {
    this.queue.clear();
    this.setDefaults();
    this.remote = this.wrap = false;
    this.id = ID_STANDARD;
    this.rates.fill(0);
    this.pendingCommand = -1;
    this.invalidArgument = false;
    this.buttons = 0;
  }

  private setDefaults(): void {
    this.sampleRate = 100;
    this.resolution = 2;
    this.scaling21 = false;
    this.reporting = false;
    this.clearCounters();
  }

  private clearCounters(): void {
    this.dx = this.dy = this.dz = 0;
  }

  /** The ID the host reads with F2h: 0, or 3 once the wheel was switched on. */
  get deviceId(): number {
    return this.id;
  }

  /**
   * The mouse moved: `dx` right, `dy` down (screen directions, as DOM movementX/Y), `dz` wheel steps
   * (positive: towards the user, as DOM deltaY > 0), `buttons` bit 0 left, bit 1 right, bit 2 middle
   * (the DOM's MouseEvent.buttons order).
   */
  move(dx: number, dy: number, dz: number, buttons: number): void {
    this.buttons = buttons & 7;
    const x = Math.trunc(dx) | 0;
    const y = -Math.trunc(dy) | 0;
    const z = Math.trunc(dz) | 0;
    if (this.remote) {
      const sat = (v: number) => Math.max(-COUNTER_LIMIT, Math.min(COUNTER_LIMIT, v));
      this.dx = sat(this.dx + x);
      this.dy = sat(this.dy + y);
      this.dz = sat(this.dz + z);
      return;
    }
    if (!this.reporting || this.wrap) return;
    if (this.scaling21) this.packet(scale21(x), scale21(y), z, false);
    else this.packet(x, y, z, false);
    this.host?.deviceHasData();
  }

  /** Queues one movement packet (or puts it ahead of the queue, as the answer to EBh). */
  private packet(x: number, y: number, z: number, asReply: boolean): void {
    const xo = x > 255 || x < -256;
    const yo = y > 255 || y < -256;
    const cx = Math.max(-256, Math.min(255, x));
    const cy = Math.max(-256, Math.min(255, y));
    const first = 0x08 | this.buttons | (cx < 0 ? 0x10 : 0) | (cy < 0 ? 0x20 : 0) | (xo ? 0x40 : 0) | (yo ? 0x80 : 0);
    const wheel = this.id === ID_WHEEL;
    const cz = Math.max(-8, Math.min(7, z)) & 0xff;
    if (asReply) {
      if (wheel) this.reply(ACK, first, cx & 0xff, cy & 0xff, cz);
      else this.reply(ACK, first, cx & 0xff, cy & 0xff);
      return;
    }
    const length = wheel ? 4 : 3;
    if (this.queue.free < length) return;
    this.queue.push(first);
    this.queue.push(cx & 0xff);
    this.queue.push(cy & 0xff);
    if (wheel) this.queue.push(cz);
  }

  /** A command's answer: anything queued before the command is dropped (the mouse aborts its output). */
  private reply(...bytes: number[]): void {
    this.queue.clear();
    for (const byte of bytes) this.queue.push(byte);
    this.host?.deviceHasData();
  }

  read(): number {
    const byte = this.queue.shift();
    if (byte >= 0) this.lastSent = byte;
    return byte;
  }

  write(byte: number): void {
    byte &= 0xff;
    if (this.wrap && byte !== 0xec && byte !== 0xff) {
      this.reply(byte); // wrap mode echoes
      return;
    }
    const pending = this.pendingCommand;
    this.pendingCommand = -1;
    if (pending >= 0) return this.argument(pending, byte);
    switch (byte) {
      case 0xff: // reset: ACK, self-test passed, ID
        this.reset();
        return this.reply(ACK, BAT_OK, ID_STANDARD);
      case 0xfe:
        return this.reply(this.lastSent);
      case 0xf6:
        this.setDefaults();
        this.remote = false;
        return this.reply(ACK);
      case 0xf5:
        this.reporting = false;
        this.clearCounters();
        return this.reply(ACK);
      case 0xf4:
        this.reporting = true;
        this.clearCounters();
        return this.reply(ACK);
      case 0xf3: // set sample rate
      case 0xe8: // set resolution
        this.pendingCommand = byte;
        return this.reply(ACK);
      case 0xf2:
        this.clearCounters();
        return this.reply(ACK, this.id);
      case 0xf0:
        this.remote = true;
        this.clearCounters();
        return this.reply(ACK);
      case 0xee:
        this.wrap = true;
        this.clearCounters();
        return this.reply(ACK);
      case 0xec:
        this.wrap = false;
        this.clearCounters();
        return this.reply(ACK);
      case 0xeb: {
        const { dx, dy, dz } = this;
        this.clearCounters();
        return this.packet(dx, dy, dz, true);
      }
      case 0xea:
        this.remote = false;
        this.clearCounters();
        return this.reply(ACK);
      case 0xe9: {
        const b = this.buttons;
        // Status byte 1: remote, enabled, scaling 2:1, then left, middle, right.
        const status = (this.remote ? 0x40 : 0) | (this.reporting ? 0x20 : 0) | (this.scaling21 ? 0x10 : 0) | ((b & 1) << 2) | ((b & 4) >> 1) | ((b & 2) >> 1);
        return this.reply(ACK, status, this.resolution, this.sampleRate);
      }
      case 0xe7:
        this.scaling21 = true;
        return this.reply(ACK);
      case 0xe6:
        this.scaling21 = false;
        return this.reply(ACK);
      default:
        return this.reply(RESEND);
    }
  }

  private argument(command: number, value: number): void {
    const valid = command === 0xf3 ? SAMPLE_RATES.includes(value) : value <= 3;
    if (!valid) {
      // A bad argument is asked for again; a second one in a row is an error.
      this.pendingCommand = this.invalidArgument ? -1 : command;
      const answer = this.invalidArgument ? ERROR : RESEND;
      this.invalidArgument = !this.invalidArgument;
      return this.reply(answer);
    }
    this.invalidArgument = false;
    if (command === 0xe8) this.resolution = value;
    else {
      this.sampleRate = value;
      this.rates[0] = this.rates[1];
      this.rates[1] = this.rates[2];
      this.rates[2] = value;
      if (this.rates[0] === 200 && this.rates[1] === 100 && this.rates[2] === 80) this.id = ID_WHEEL;
    }
    this.reply(ACK);
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
