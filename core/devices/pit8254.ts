import type { Clock } from '../clock.js';
import { checkStateVersion, type DeviceState, type IrqLine, type TimedDevice } from '../device.js';
import type { IoBus } from '../io.js';
import { loadFields, saveFields } from './fields.js';

const STATE_VERSION = 1;
/** The PIT's input clock (14.31818 MHz / 12). */
export const PIT_HZ = 1_193_182;
/** DRAM refresh requests toggle port 61h bit 4 every 15.085 µs. */
const REFRESH_NS = 15_085;
/** At most this many overdue IRQ0 edges are kept when the host falls behind; older ones are dropped. */
const MAX_BACKLOG_EDGES = 64;
/** While IRQ0 edges are overdue, the next one comes this much later, so the CPU can take each one. */
const CATCHUP_GAP_NS = 20_000;

/** PIT input-clock ticks elapsed at machine time `ns`. */
function ticksAt(ns: number): number {
  return Math.floor((ns * PIT_HZ) / 1e9);
}

/** The first machine time (ns) at which `ticksAt` reaches `tick`. */
function nsAt(tick: number): number {
  let ns = Math.ceil((tick * 1e9) / PIT_HZ);
  while (ticksAt(ns) < tick) ns++;
  return ns;
}

function toBcd(n: number): number {
  return (n % 10) | ((Math.floor(n / 10) % 10) << 4) | ((Math.floor(n / 100) % 10) << 8) | ((Math.floor(n / 1000) % 10) << 12);
}

function fromBcd(v: number): number {
  return (v & 15) + ((v >> 4) & 15) * 10 + ((v >> 8) & 15) * 100 + ((v >> 12) & 15) * 1000;
}

const CHANNEL_FIELDS = [
  'modeBits', 'bcd', 'access', 'reload', 'lowByte', 'writeMsbNext', 'readMsbNext', 'latch', 'latchMsbNext', 'status',
  'gate', 'running', 'start', 'count', 'heldValue', 'heldOut', 'tcDone', 'armed', 'nullCount', 'pendingAt', 'pendingCount',
] as const;

/**
 * One counter of the 8254, computed from time instead of clocked: while running it holds the tick at
 * which `count` was loaded (`start`) and derives value and OUT from the ticks elapsed since, so reads are
 * exact at any moment and nothing runs per PIT clock.
 */
class Channel {
  /** Mode bits as programmed (6 and 7 alias 2 and 3; the status byte returns them as written). */
  modeBits = 0;
  bcd = false;
  /** 1 = LSB only, 2 = MSB only, 3 = LSB then MSB. */
  access = 3;
  /** The count register as written (0 = the largest count). */
  reload = 0;
  lowByte = 0;
  writeMsbNext = false;
  readMsbNext = false;
  /** Latched count, or -1. */
  latch = -1;
  latchMsbNext = false;
  /** Latched status byte, or -1. */
  status = -1;
  gate = true;
  /** Counting from `count` loaded at tick `start`; otherwise the counter holds `heldValue` and OUT is `heldOut`. */
  running = false;
  start = 0;
  count = 0x10000;
  heldValue = 0;
  heldOut = true;
  /** A one-shot has passed its terminal count (after a gate pause): OUT stays high, no further edge. */
  tcDone = false;
  /** A count has been written since the control word (modes 1 and 5: waiting for a gate trigger). */
  armed = false;
  nullCount = true;
  /** Modes 2 and 3: a count written while counting takes over at the end of the period, at tick pendingAt (-1: none). */
  pendingAt = -1;
  pendingCount = 0;

  get mode(): number {
    return this.modeBits > 5 ? this.modeBits & 3 : this.modeBits;
  }

  private modulus(): number {
    return this.bcd ? 10000 : 0x10000;
  }

  /** The count register as a number of clocks (0 means the largest count). */
  private initialCount(): number {
    const n = this.bcd ? fromBcd(this.reload) % 10000 : this.reload;
    if (n === 0) return this.modulus();
    // A count of 1 is illegal in the periodic modes; treat it as 2 rather than interrupt every clock.
    return n === 1 && (this.mode === 2 || this.mode === 3) ? 2 : n;
  }

  /** Applies a pending reload (modes 2/3) once its period boundary has passed. */
  private advance(t: number): void {
    if (this.pendingAt >= 0 && t >= this.pendingAt) {
      this.start = this.pendingAt;
      this.count = this.pendingCount;
      this.pendingAt = -1;
      this.nullCount = false;
    }
  }

  /** The counting element's value at tick t (binary, 0 … modulus-1). */
  value(t: number): number {
    this.advance(t);
    if (!this.running) return this.heldValue;
    const e = Math.max(0, t - this.start);
    const n = this.count;
    const m = this.modulus();
    switch (this.mode) {
      case 2:
        return n - (e % n);
      case 3: {
        const k = e % n;
        const high = Math.ceil(n / 2);
        const inHalf = k < high ? k : k - high;
        return Math.max(2, (n & ~1) - 2 * inHalf) % m;
      }
      default:
        return (((n - e) % m) + m) % m;
    }
  }

  out(t: number): boolean {
    this.advance(t);
    if (!this.running) return this.heldOut;
    const e = Math.max(0, t - this.start);
    const n = this.count;
    switch (this.mode) {
      case 0:
      case 1:
        return this.tcDone || e >= n;
      case 2:
        return e % n !== n - 1;
      case 3:
        return e % n < Math.ceil(n / 2);
      default:
        return this.tcDone || e !== n;
    }
  }

  /** The first rising edge of OUT strictly after tick t, or Infinity. */
  nextRisingEdge(t: number): number {
    this.advance(t);
    if (!this.running) return Infinity;
    const n = this.count;
    const e = t - this.start;
    switch (this.mode) {
      case 0:
      case 1:
        return !this.tcDone && e < n ? this.start + n : Infinity;
      case 2:
      case 3:
        return e < 0 ? this.start + n : this.start + (Math.floor(e / n) + 1) * n;
      default:
        return !this.tcDone && e < n + 1 ? this.start + n + 1 : Infinity;
    }
  }

  private hold(t: number, out: boolean): void {
    this.heldValue = this.value(t);
    this.heldOut = out;
    this.running = false;
    this.pendingAt = -1;
  }

  /** Start counting `count` clocks; the count enters the counter on the next clock. */
  private load(t: number, count: number): void {
    this.running = true;
    this.start = t + 1;
    this.count = count;
    this.tcDone = false;
    this.nullCount = false;
    this.pendingAt = -1;
  }

  writeControl(t: number, value: number): void {
    this.hold(t, ((value >> 1) & 7) !== 0);
    this.modeBits = (value >> 1) & 7;
    this.bcd = (value & 1) !== 0;
    this.access = (value >> 4) & 3;
    this.writeMsbNext = this.readMsbNext = this.latchMsbNext = false;
    this.latch = this.status = -1;
    this.armed = false;
    this.tcDone = false;
    this.nullCount = true;
  }

  latchCount(t: number): void {
    if (this.latch < 0) {
      const v = this.value(t);
      this.latch = this.bcd ? toBcd(v) : v & 0xffff;
      this.latchMsbNext = false;
    }
  }

  latchStatus(t: number): void {
    if (this.status < 0) {
      this.advance(t);
      const out = this.out(t) ? 0x80 : 0;
      const nullCount = this.nullCount || this.pendingAt >= 0 ? 0x40 : 0;
      this.status = out | nullCount | (this.access << 4) | (this.modeBits << 1) | (this.bcd ? 1 : 0);
    }
  }

  read(t: number): number {
    if (this.status >= 0) {
      const s = this.status;
      this.status = -1;
      return s;
    }
    if (this.latch >= 0) {
      const v = this.latch;
      if (this.access === 3 && !this.latchMsbNext) {
        this.latchMsbNext = true;
        return v & 0xff;
      }
      this.latch = -1;
      this.latchMsbNext = false;
      return this.access === 2 || this.access === 3 ? v >> 8 : v & 0xff;
    }
    const raw = this.value(t);
    const v = this.bcd ? toBcd(raw) : raw & 0xffff;
    if (this.access === 1) return v & 0xff;
    if (this.access === 2) return v >> 8;
    this.readMsbNext = !this.readMsbNext;
    return this.readMsbNext ? v & 0xff : v >> 8;
  }

  write(t: number, value: number): void {
    if (this.access === 3 && !this.writeMsbNext) {
      this.lowByte = value;
      this.writeMsbNext = true;
      // Mode 0: writing the first byte of a new count stops the count and drops OUT.
      if (this.mode === 0) this.hold(t, false);
      return;
    }
    this.writeMsbNext = false;
    this.reload = this.access === 1 ? value : this.access === 2 ? value << 8 : this.lowByte | (value << 8);
    this.countWritten(t);
  }

  private countWritten(t: number): void {
    const n = this.initialCount();
    this.armed = true;
    switch (this.mode) {
      case 0:
      case 4:
        if (this.gate) this.load(t, n);
        else {
          this.hold(t, this.mode === 4);
          this.heldValue = n % this.modulus();
        }
        break;
      case 1:
      case 5:
        this.nullCount = true;
        break;
      default:
        if (!this.running) {
          if (this.gate) this.load(t, n);
        } else {
          // A new count in a periodic mode takes effect at the end of the current period.
          this.pendingAt = this.nextRisingEdge(t);
          this.pendingCount = n;
          this.nullCount = true;
        }
    }
  }

  setGate(t: number, level: boolean): void {
    if (level === this.gate) return;
    this.gate = level;
    const mode = this.mode;
    if (level) {
      if (!this.armed) return;
      if (mode === 1 || mode === 5 || mode === 2 || mode === 3) {
        this.load(t, this.initialCount());
      } else if (!this.running) {
        // Modes 0/4: resume from the held value.
        const held = this.heldValue === 0 ? this.modulus() : this.heldValue;
        const passed = this.heldOut && (mode === 0 || mode === 4);
        this.load(t, held);
        this.tcDone = passed && mode === 0;
      }
    } else if (mode === 2 || mode === 3) {
      this.hold(t, true);
    } else if (mode === 0 || mode === 4) {
      if (this.running) this.hold(t, this.out(t));
    }
  }

  /** The programmed period in clocks for a periodic mode, or 0. */
  period(): number {
    return this.running && (this.mode === 2 || this.mode === 3) ? this.count : 0;
  }
}

export interface Pit8254Options {
  io: IoBus;
  clock: Clock;
  /** Channel 0's OUT: IRQ 0. */
  irq: IrqLine;
  /** The speaker tone changed: on, and its frequency (Hz) when on. */
  onSpeaker?: (on: boolean, hz: number) => void;
}

/**
 * The 8254 programmable interval timer (ports 40h-43h) and the board's "system control port B" (61h),
 * which gates channel 2, enables the speaker and shows OUT2 and the refresh toggle.
 *
 * IRQ 0 is delivered as a rising edge on the line (low then high, left high as a mode 2 OUT is), one
 * edge per tick(); when the host falls behind, overdue edges follow CATCHUP_GAP_NS apart so the CPU can
 * take each one, and beyond MAX_BACKLOG_EDGES the oldest are dropped.
 */
export class Pit8254 implements TimedDevice {
  readonly name = 'pit';
  onSpeaker?: (on: boolean, hz: number) => void;
  private readonly channels = [new Channel(), new Channel(), new Channel()];
  private readonly clock: Clock;
  private readonly irq: IrqLine;
  /** Port 61h bits 0-3 as written: gate 2, speaker data, parity/IO-check enables. */
  private portB = 0;
  /** The tick of the next IRQ 0 edge to deliver (Infinity when none). */
  private irqNext = Infinity;
  private speakerOn = false;
  private speakerHz = 0;

  constructor(options: Pit8254Options) {
    this.clock = options.clock;
    this.irq = options.irq;
    this.onSpeaker = options.onSpeaker;
    options.io.register(this.name, [0x40, 0x41, 0x42, 0x43], {
      read8: (port) => (port === 0x43 ? 0xff : this.channels[port & 3].read(this.now())),
      write8: (port, value) => (port === 0x43 ? this.writeControl(value) : this.writeCount(port & 3, value)),
    });
    options.io.register('system control port B', 0x61, {
      read8: () => this.readPortB(),
      write8: (_port, value) => this.writePortB(value),
    });
    this.reset();
  }

  private now(): number {
    return ticksAt(this.clock.now());
  }

  reset(): void {
    const t = this.now();
    for (const ch of this.channels) {
      ch.writeControl(t, 0x36);
      ch.gate = true;
    }
    this.channels[2].gate = false;
    this.portB = 0;
    this.irqNext = Infinity;
    this.irq(false);
    this.updateSpeaker();
  }

  private writeControl(value: number): void {
    const t = this.now();
    const select = value >> 6;
    if (select === 3) {
      // Read-back: bits 1-3 pick the counters; bit 5 clear latches counts, bit 4 clear latches status.
      for (let i = 0; i < 3; i++) {
        if (!(value & (2 << i))) continue;
        if (!(value & 0x20)) this.channels[i].latchCount(t);
        if (!(value & 0x10)) this.channels[i].latchStatus(t);
      }
      return;
    }
    const ch = this.channels[select];
    if ((value & 0x30) === 0) {
      ch.latchCount(t);
      return;
    }
    ch.writeControl(t, value);
    this.channelChanged(select, t);
  }

  private writeCount(index: number, value: number): void {
    const t = this.now();
    this.channels[index].write(t, value);
    this.channelChanged(index, t);
  }

  private channelChanged(index: number, t: number): void {
    if (index === 0) {
      // Reprogramming can drop OUT0 (mode 0); the line rises only at the edges tick() delivers, so
      // programming the timer does not itself raise an interrupt.
      if (!this.channels[0].out(t)) this.irq(false);
      this.irqNext = this.channels[0].nextRisingEdge(t);
    } else if (index === 2) {
      this.updateSpeaker();
    }
  }

  private readPortB(): number {
    const ns = this.clock.now();
    const refresh = Math.floor(ns / REFRESH_NS) & 1 ? 0x10 : 0;
    const out2 = this.channels[2].out(ticksAt(ns)) ? 0x20 : 0;
    return (this.portB & 0x0f) | refresh | out2;
  }

  private writePortB(value: number): void {
    this.portB = value & 0x0f;
    this.channels[2].setGate(this.now(), (value & 1) !== 0);
    this.updateSpeaker();
  }

  private updateSpeaker(): void {
    const ch = this.channels[2];
    // A count written while the square wave runs takes over at the end of this period: report the new tone now.
    const period = ch.pendingAt >= 0 && ch.period() > 0 ? ch.pendingCount : ch.period();
    const on = (this.portB & 3) === 3 && ch.mode === 3 && period > 0;
    const hz = on ? PIT_HZ / period : 0;
    if (on !== this.speakerOn || hz !== this.speakerHz) {
      this.speakerOn = on;
      this.speakerHz = hz;
      this.onSpeaker?.(on, hz);
    }
  }

  /** Is the speaker sounding, and at what frequency (Hz)? */
  speaker(): { on: boolean; hz: number } {
    return { on: this.speakerOn, hz: this.speakerHz };
  }

  tick(nowNs: number): number {
    const t = ticksAt(nowNs);
    const ch = this.channels[0];
    if (this.irqNext > t) return this.irqNext === Infinity ? Infinity : nsAt(this.irqNext);
    // Deliver one rising edge; the PIC latches it in IRR until the CPU acknowledges it.
    this.irq(false);
    this.irq(true);
    let next = ch.nextRisingEdge(this.irqNext);
    const period = ch.period();
    if (period > 0 && next <= t && t - next > period * MAX_BACKLOG_EDGES) {
      next += Math.floor((t - next) / period - MAX_BACKLOG_EDGES) * period;
    }
    this.irqNext = next;
    if (next === Infinity) return Infinity;
    return next <= t ? nowNs + CATCHUP_GAP_NS : nsAt(next);
  }

  saveState(): DeviceState {
    return {
      version: STATE_VERSION,
      channels: this.channels.map((ch) => saveFields(ch, CHANNEL_FIELDS)),
      portB: this.portB,
      irqNext: this.irqNext === Infinity ? -1 : this.irqNext,
    };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    const channels = state.channels as unknown[];
    if (!Array.isArray(channels) || channels.length !== 3) throw new Error('pit: state needs three channels');
    channels.forEach((saved, i) => loadFields(this.name, this.channels[i], saved, CHANNEL_FIELDS));
    this.portB = Number(state.portB) & 0x0f;
    const irqNext = Number(state.irqNext);
    this.irqNext = irqNext >= 0 ? irqNext : Infinity;
    this.speakerOn = false;
    this.speakerHz = 0;
    this.updateSpeaker();
  }
}
