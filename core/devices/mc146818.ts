import type { Clock } from '../clock.js';
import { checkStateVersion, type DeviceState, type IrqLine, type TimedDevice } from '../device.js';
import type { IoBus } from '../io.js';
import { loadFields, saveFields } from './fields.js';

const STATE_VERSION = 1;
const SECOND_NS = 1e9;
/** UIP rises this long before each update (time base 32.768 kHz). */
const UIP_LEAD_NS = 244_000;
/** After the divider leaves reset, the first update comes half a second later. */
const FIRST_UPDATE_NS = 500_000_000;
/** Catch-up in one tick: beyond this many seconds the time is advanced arithmetically, with one UF. */
const MAX_STEP_SECONDS = 4;

// Register indexes.
const SEC = 0x00;
const SEC_ALARM = 0x01;
const MIN = 0x02;
const MIN_ALARM = 0x03;
const HOUR = 0x04;
const HOUR_ALARM = 0x05;
const WEEKDAY = 0x06;
const DAY = 0x07;
const MONTH = 0x08;
const YEAR = 0x09;
const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
const CENTURY = 0x32;

// Register B bits.
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_BINARY = 0x04;
const B_24H = 0x02;
// Register C bits.
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;

const FIELDS = ['cmos', 'index', 'nmiMasked', 'nextUpdate', 'nextPeriodic', 'irqLevel'] as const;

function toBcd(n: number): number {
  return ((Math.floor(n / 10) % 10) << 4) | n % 10;
}

function fromBcd(v: number): number {
  return (v >> 4) * 10 + (v & 15);
}

function daysInMonth(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 ? 29 : 28; // the chip's leap rule: every fourth year
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export interface Mc146818Options {
  io: IoBus;
  clock: Clock;
  /** IRQ 8. */
  irq: IrqLine;
  /** Wall-clock time (ms since 1970, read as UTC) at machine time 0; default: the host's time at construction. */
  epochMs?: number;
}

/**
 * The MC146818 real-time clock with 128 bytes of CMOS RAM (ports 70h index + NMI mask, 71h data).
 *
 * The time registers hold the time in whatever format register B says, as the chip does: changing
 * binary/BCD or 12/24 h does not convert them. Updates happen once a second of machine time (tick);
 * reset() is the chip's RESET pin and keeps the time and the RAM (they are battery-backed).
 */
export class Mc146818 implements TimedDevice {
  readonly name = 'rtc';
  private readonly clock: Clock;
  private readonly irq: IrqLine;
  private readonly cmos = new Uint8Array(128);
  private index = 0;
  private nmiMasked = false;
  /** Machine time of the next update cycle (ns); Infinity while the divider is held in reset. */
  private nextUpdate = SECOND_NS;
  /** Machine time of the next periodic flag (ns); Infinity when the rate is 0 or the divider is stopped. */
  private nextPeriodic = Infinity;
  private irqLevel = false;

  constructor(options: Mc146818Options) {
    this.clock = options.clock;
    this.irq = options.irq;
    this.cmos[REG_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    this.cmos[REG_B] = B_24H; // BCD, 24-hour, as PC BIOSes keep it
    this.cmos[REG_D] = 0x80;
    this.setTime(options.epochMs ?? Date.now());
    this.nextUpdate = this.clock.now() + SECOND_NS;
    options.io.register(this.name, [0x70, 0x71], {
      read8: (port) => (port === 0x70 ? 0xff : this.readData()),
      write8: (port, value) => (port === 0x70 ? this.writeIndex(value) : this.writeData(value)),
    });
    this.reset();
  }

  /** The RESET pin: interrupt enables and flags cleared; time, rate and RAM kept. */
  reset(): void {
    this.cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | 0x08);
    this.cmos[REG_C] = 0;
    this.updateIrq();
    this.schedulePeriodic(this.clock.now());
  }

  /** Sets the clock to a wall-clock time (ms since 1970, UTC), in the current register formats. */
  setTime(epochMs: number): void {
    const d = new Date(epochMs);
    this.storeTime({
      sec: d.getUTCSeconds(), min: d.getUTCMinutes(), hour: d.getUTCHours(), weekday: d.getUTCDay() + 1,
      day: d.getUTCDate(), month: d.getUTCMonth() + 1, year: d.getUTCFullYear() % 100,
    });
    this.cmos[CENTURY] = toBcd(Math.floor(d.getUTCFullYear() / 100));
  }

  /** The machine or firmware presets a CMOS byte (equipment, memory sizes, disk types, century...). */
  setByte(index: number, value: number): void {
    this.cmos[index & 0x7f] = value;
  }

  getByte(index: number): number {
    return this.cmos[index & 0x7f];
  }

  /** Recomputes the standard checksum at 2Eh-2Fh over bytes 10h-2Dh. */
  updateChecksum(): void {
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.cmos[i];
    this.cmos[0x2e] = (sum >> 8) & 0xff;
    this.cmos[0x2f] = sum & 0xff;
  }

  /** Port 70h bit 7: the NMI mask (set = NMI disabled). */
  get nmiDisabled(): boolean {
    return this.nmiMasked;
  }

  private writeIndex(value: number): void {
    this.nmiMasked = (value & 0x80) !== 0;
    this.index = value & 0x7f;
  }

  private readData(): number {
    const now = this.clock.now();
    this.catchUp(now);
    switch (this.index) {
      case REG_A:
        return (this.cmos[REG_A] & 0x7f) | (this.updateInProgress(now) ? 0x80 : 0);
      case REG_C: {
        const c = this.cmos[REG_C];
        this.cmos[REG_C] = 0;
        this.updateIrq();
        return c;
      }
      case REG_D:
        return 0x80; // valid RAM and time: the battery is good
      default:
        return this.cmos[this.index];
    }
  }

  private writeData(value: number): void {
    const now = this.clock.now();
    this.catchUp(now);
    switch (this.index) {
      case REG_A: {
        const wasRunning = this.dividerRunning();
        this.cmos[REG_A] = value & 0x7f;
        const running = this.dividerRunning();
        if (!running) this.nextUpdate = Infinity;
        else if (!wasRunning) this.nextUpdate = now + FIRST_UPDATE_NS;
        this.schedulePeriodic(now);
        break;
      }
      case REG_B:
        // Setting SET stops updates and clears UIE (datasheet).
        this.cmos[REG_B] = value & B_SET ? value & ~B_UIE : value;
        this.updateIrq();
        this.schedulePeriodic(now);
        break;
      case REG_C:
      case REG_D:
        break; // read-only
      default:
        this.cmos[this.index] = value;
    }
  }

  /** DV bits 6..4 = 11x hold the divider chain in reset; anything else runs. */
  private dividerRunning(): boolean {
    return (this.cmos[REG_A] & 0x60) !== 0x60;
  }

  private updateInProgress(now: number): boolean {
    if (this.cmos[REG_B] & B_SET || this.nextUpdate === Infinity) return false;
    return this.nextUpdate - now <= UIP_LEAD_NS;
  }

  /** Periodic rate from register A bits 3..0: 1 → 256 Hz, 2 → 128 Hz, 3..15 → 32768 >> (n - 1) Hz. */
  private periodicNs(): number {
    const rate = this.cmos[REG_A] & 0x0f;
    if (rate === 0 || !this.dividerRunning()) return 0;
    const hz = rate <= 2 ? 32768 >> (rate + 6) : 32768 >> (rate - 1);
    return SECOND_NS / hz;
  }

  private schedulePeriodic(now: number): void {
    const period = this.periodicNs();
    this.nextPeriodic = period ? (Math.floor(now / period) + 1) * period : Infinity;
  }

  /** Runs the update cycles and periodic flags that fell due up to `now`. */
  private catchUp(now: number): void {
    // A clock that restarted (machine reset, snapshot from elsewhere) must not leave the schedule far ahead.
    if (this.nextUpdate !== Infinity && this.nextUpdate > now + SECOND_NS) this.nextUpdate = now + SECOND_NS;
    if (this.nextPeriodic !== Infinity && this.nextPeriodic > now + this.periodicNs()) this.schedulePeriodic(now);
    if (now >= this.nextPeriodic) {
      const period = this.periodicNs();
      this.cmos[REG_C] |= C_PF;
      this.nextPeriodic = period ? (Math.floor(now / period) + 1) * period : Infinity;
    }
    if (now >= this.nextUpdate) {
      const seconds = Math.floor((now - this.nextUpdate) / SECOND_NS) + 1;
      this.nextUpdate += seconds * SECOND_NS;
      if (!(this.cmos[REG_B] & B_SET)) this.update(seconds);
    }
    this.updateIrq();
  }

  /** An update cycle covering `seconds` seconds: advance the time, then flag UF and (on a match) AF. */
  private update(seconds: number): void {
    if (seconds <= MAX_STEP_SECONDS) {
      for (let i = 0; i < seconds; i++) {
        this.advance(1);
        this.checkAlarm();
      }
    } else {
      this.advance(seconds);
      this.checkAlarm();
    }
    this.cmos[REG_C] |= C_UF;
  }

  private checkAlarm(): void {
    const match = (alarm: number, value: number) => (alarm & 0xc0) === 0xc0 || alarm === value;
    const c = this.cmos;
    if (match(c[SEC_ALARM], c[SEC]) && match(c[MIN_ALARM], c[MIN]) && match(c[HOUR_ALARM], c[HOUR])) c[REG_C] |= C_AF;
  }

  private decode(v: number): number {
    return this.cmos[REG_B] & B_BINARY ? v : fromBcd(v);
  }

  private encode(n: number): number {
    return this.cmos[REG_B] & B_BINARY ? n : toBcd(n);
  }

  private loadTime() {
    const c = this.cmos;
    let hour = c[HOUR];
    if (!(c[REG_B] & B_24H)) hour = (this.decode(hour & 0x7f) % 12) + (hour & 0x80 ? 12 : 0);
    else hour = this.decode(hour);
    return {
      sec: this.decode(c[SEC]), min: this.decode(c[MIN]), hour, weekday: this.decode(c[WEEKDAY]),
      day: this.decode(c[DAY]), month: this.decode(c[MONTH]), year: this.decode(c[YEAR]),
    };
  }

  private storeTime(t: { sec: number; min: number; hour: number; weekday: number; day: number; month: number; year: number }): void {
    const c = this.cmos;
    c[SEC] = this.encode(t.sec);
    c[MIN] = this.encode(t.min);
    if (c[REG_B] & B_24H) c[HOUR] = this.encode(t.hour);
    else c[HOUR] = this.encode(t.hour % 12 || 12) | (t.hour >= 12 ? 0x80 : 0);
    c[WEEKDAY] = this.encode(t.weekday);
    c[DAY] = this.encode(t.day);
    c[MONTH] = this.encode(t.month);
    c[YEAR] = this.encode(t.year);
  }

  /** Advances the time registers; garbage written by the guest rolls over as sanely as it can. */
  private advance(seconds: number): void {
    const t = this.loadTime();
    let total = (t.sec % 60) + (t.min % 60) * 60 + (t.hour % 24) * 3600 + seconds;
    let days = Math.floor(total / 86400);
    total -= days * 86400;
    t.hour = Math.floor(total / 3600);
    t.min = Math.floor((total % 3600) / 60);
    t.sec = total % 60;
    t.weekday = ((((t.weekday - 1) % 7) + 7 + (days % 7)) % 7) + 1;
    if (t.month < 1 || t.month > 12) t.month = 1;
    if (t.day < 1) t.day = 1;
    while (days > 0) {
      const left = daysInMonth(t.month, t.year) - t.day;
      if (days <= left) {
        t.day += days;
        break;
      }
      days -= left + 1;
      t.day = 1;
      if (++t.month > 12) {
        t.month = 1;
        t.year = (t.year + 1) % 100;
      }
    }
    this.storeTime(t);
  }

  private updateIrq(): void {
    const c = this.cmos[REG_C] & 0x70;
    const enabled = this.cmos[REG_B] & (B_PIE | B_AIE | B_UIE);
    const level = (c & enabled) !== 0;
    if (level) this.cmos[REG_C] |= C_IRQF;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  tick(now: number): number {
    this.catchUp(now);
    const b = this.cmos[REG_B];
    let next = Infinity;
    if (b & (B_UIE | B_AIE) && !(b & B_SET)) next = this.nextUpdate;
    if (b & B_PIE) next = Math.min(next, this.nextPeriodic);
    return next;
  }

  saveState(): DeviceState {
    const state = saveFields(this, FIELDS);
    return {
      version: STATE_VERSION,
      ...state,
      nextUpdate: this.nextUpdate === Infinity ? -1 : this.nextUpdate,
      nextPeriodic: this.nextPeriodic === Infinity ? -1 : this.nextPeriodic,
    };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    loadFields(this.name, this, state, FIELDS);
    if (this.nextUpdate < 0) this.nextUpdate = Infinity;
    if (this.nextPeriodic < 0) this.nextPeriodic = Infinity;
    this.index &= 0x7f;
    this.irq(this.irqLevel);
  }
}
