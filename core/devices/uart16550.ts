import type { Clock } from '../clock.js';
import { checkStateVersion, type DeviceState, type IrqLine, type TimedDevice } from '../device.js';
import type { IoBus } from '../io.js';
import { loadFields, saveFields } from './fields.js';

const STATE_VERSION = 1;
const FIFO_SIZE = 16;
/** The UART's 1.8432 MHz clock divided by 16: the baud rate at divisor 1. */
const BASE_BAUD = 115_200;
/** Input waiting "on the wire" beyond this is dropped (a host pasting megabytes). */
const MAX_WIRE_QUEUE = 1 << 20;
const RX_TRIGGER = [1, 4, 8, 14];

// Register bits.
const IER_RDA = 0x01;
const IER_THRE = 0x02;
const IER_LSR = 0x04;
const IER_MSR = 0x08;
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;
const LCR_DLAB = 0x80;
/** Modem inputs when not in loopback: a connected line (CTS, DSR, DCD asserted). */
const MSR_CONNECTED = 0xb0;

/** Interrupt identification codes (IIR bits 3..0), highest priority first. */
const enum Iid {
  None = 0x01,
  LineStatus = 0x06,
  ReceivedData = 0x04,
  CharTimeout = 0x0c,
  Thre = 0x02,
  ModemStatus = 0x00,
}

const FIELDS = [
  'ier', 'lcr', 'mcr', 'scr', 'dll', 'dlm', 'overrun', 'msrDeltas', 'msrInputs', 'fifoEnabled', 'rxTrigger',
  'rxFifo', 'rxHead', 'rxCount', 'threPending', 'timeoutPending', 'lastRxActivity', 'nextArrival', 'irqLevel',
] as const;

export interface Uart16550Options {
  io: IoBus;
  /** First port: 3F8h for COM1, 2F8h COM2, 3E8h COM3, 2E8h COM4. */
  base: number;
  irq: IrqLine;
  /** Device name (and snapshot key), e.g. "COM1". */
  name?: string;
  onTransmit?: (byte: number) => void;
  /** For the line rate and the character timeout; without one, the time of the last tick() is used. */
  clock?: Clock;
}

/**
 * A 16550A UART. Transmission is instantaneous: a byte written to THR goes straight to `onTransmit` (or
 * back to the receiver in loopback) and THR is empty again, so a THRE interrupt follows every write. Bytes
 * from `receive()` travel at the programmed line rate into the receive FIFO, with flow control: they wait
 * on the wire while the FIFO is full rather than overrun. The IRQ reaches the PIC only with MCR OUT2 set
 * and loopback off, as on PCs.
 */
export class Uart16550 implements TimedDevice {
  readonly name: string;
  onTransmit?: (byte: number) => void;
  private readonly irq: IrqLine;
  private readonly clock?: Clock;

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 12;
  private dlm = 0;
  private overrun = false;
  /** MSR bits 3..0: changes of the modem inputs since the last MSR read. */
  private msrDeltas = 0;
  /** MSR bits 7..4 as last seen. */
  private msrInputs = MSR_CONNECTED;
  private fifoEnabled = false;
  private rxTrigger = 1;
  private readonly rxFifo = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  private threPending = false;
  private timeoutPending = false;
  /** Last time a byte entered or left the receive FIFO (ns), for the character timeout. */
  private lastRxActivity = 0;
  /** When the next byte on the wire may arrive (ns). */
  private nextArrival = 0;
  private irqLevel = false;
  /** Bytes from `receive()` not yet in the FIFO. */
  private wire: number[] = [];
  private lastTick = 0;

  constructor(options: Uart16550Options) {
    this.name = options.name ?? 'uart';
    this.irq = options.irq;
    this.clock = options.clock;
    this.onTransmit = options.onTransmit;
    options.io.registerRange(this.name, options.base, 8, {
      read8: (port) => this.read(port - options.base),
      write8: (port, value) => this.write(port - options.base, value),
    });
    this.reset();
  }

  reset(): void {
    this.ier = this.lcr = this.mcr = this.scr = 0;
    this.dll = 12; // 9600 baud
    this.dlm = 0;
    this.overrun = false;
    this.msrDeltas = 0;
    this.msrInputs = MSR_CONNECTED;
    this.fifoEnabled = false;
    this.rxTrigger = 1;
    this.rxHead = this.rxCount = 0;
    this.threPending = this.timeoutPending = false;
    this.lastRxActivity = this.nextArrival = 0;
    this.irqLevel = false;
    this.irq(false);
  }

  private now(): number {
    return this.clock ? this.clock.now() : this.lastTick;
  }

  /** A byte arriving from the outside world (the other end of the cable). */
  receive(byte: number): void {
    if (this.wire.length >= MAX_WIRE_QUEUE) return;
    const now = this.now();
    if (this.wire.length === 0 && this.nextArrival < now) this.nextArrival = now;
    this.wire.push(byte & 0xff);
    this.pump(now);
  }

  /** Bytes waiting to reach the receive FIFO. */
  get pendingInput(): number {
    return this.wire.length;
  }

  /** One character on the wire (start, data, parity, stop bits) at the programmed rate, in ns. */
  private charNs(): number {
    const divisor = this.dll | (this.dlm << 8) || 0x10000;
    const dataBits = 5 + (this.lcr & 3);
    const stopBits = this.lcr & 4 ? (dataBits === 5 ? 1.5 : 2) : 1;
    const bits = 1 + dataBits + (this.lcr & 8 ? 1 : 0) + stopBits;
    return (bits * 1e9 * divisor) / BASE_BAUD;
  }

  private capacity(): number {
    return this.fifoEnabled ? FIFO_SIZE : 1;
  }

  /** Moves bytes whose time has come from the wire into the FIFO while it has room. */
  private pump(now: number): void {
    let moved = false;
    while (this.wire.length && this.rxCount < this.capacity() && this.nextArrival <= now) {
      this.pushRx(this.wire.shift()!, now);
      this.nextArrival += this.charNs();
      moved = true;
    }
    if (moved) this.updateIrq();
  }

  private pushRx(byte: number, now: number): void {
    if (this.rxCount >= this.capacity()) {
      this.overrun = true;
      return;
    }
    this.rxFifo[(this.rxHead + this.rxCount) % FIFO_SIZE] = byte;
    this.rxCount++;
    this.lastRxActivity = now;
    this.timeoutPending = false;
  }

  /** When the character timeout fires: four character times after the last byte in or out of the FIFO. */
  private timeoutAt(): number {
    return this.lastRxActivity + 4 * this.charNs();
  }

  private checkTimeout(now: number): void {
    // The same expression as the deadline tick() reports: `now - last >= 4 × char` can round below it and
    // leave the timeout forever one rounding error away.
    if (this.fifoEnabled && this.rxCount > 0 && !this.timeoutPending && now >= this.timeoutAt()) {
      this.timeoutPending = true;
    }
  }

  /** The highest-priority pending interrupt. */
  private pendingInterrupt(): Iid {
    if (this.ier & IER_LSR && this.overrun) return Iid.LineStatus;
    if (this.ier & IER_RDA) {
      if (this.rxCount >= (this.fifoEnabled ? this.rxTrigger : 1)) return Iid.ReceivedData;
      if (this.timeoutPending) return Iid.CharTimeout;
    }
    if (this.ier & IER_THRE && this.threPending) return Iid.Thre;
    if (this.ier & IER_MSR && this.msrDeltas) return Iid.ModemStatus;
    return Iid.None;
  }

  private updateIrq(): void {
    const gated = (this.mcr & (MCR_OUT2 | MCR_LOOP)) === MCR_OUT2;
    const level = gated && this.pendingInterrupt() !== Iid.None;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  private read(offset: number): number {
    const now = this.now();
    switch (offset) {
      case 0: {
        if (this.lcr & LCR_DLAB) return this.dll;
        let byte = 0;
        if (this.rxCount) {
          byte = this.rxFifo[this.rxHead];
          this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
          this.rxCount--;
        }
        this.lastRxActivity = now;
        this.timeoutPending = false;
        this.pump(now);
        this.updateIrq();
        return byte;
      }
      case 1:
        return this.lcr & LCR_DLAB ? this.dlm : this.ier;
      case 2: {
        this.checkTimeout(now);
        const id = this.pendingInterrupt();
        // Reading IIR acknowledges a THRE interrupt (only when it is the one reported).
        if (id === Iid.Thre) {
          this.threPending = false;
          this.updateIrq();
        }
        return id | (this.fifoEnabled ? 0xc0 : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const lsr = (this.rxCount ? LSR_DR : 0) | (this.overrun ? LSR_OE : 0) | LSR_THRE | LSR_TEMT;
        this.overrun = false;
        this.updateIrq();
        return lsr;
      }
      case 6: {
        const msr = this.msrInputs | this.msrDeltas;
        this.msrDeltas = 0;
        this.updateIrq();
        return msr;
      }
      default:
        return this.scr;
    }
  }

  private write(offset: number, value: number): void {
    switch (offset) {
      case 0:
        if (this.lcr & LCR_DLAB) this.dll = value;
        else this.transmit(value);
        return;
      case 1:
        if (this.lcr & LCR_DLAB) {
          this.dlm = value;
          return;
        }
        // Enabling the THRE interrupt while THR is empty raises it at once (drivers test for this).
        if (value & IER_THRE && !(this.ier & IER_THRE)) this.threPending = true;
        this.ier = value & 0x0f;
        break;
      case 2:
        this.writeFcr(value);
        break;
      case 3:
        this.lcr = value;
        return;
      case 4:
        this.mcr = value & 0x1f;
        this.updateModemInputs();
        break;
      case 7:
        this.scr = value;
        return;
      default:
        return; // LSR and MSR are read-only (factory test writes ignored)
    }
    this.updateIrq();
  }

  private transmit(byte: number): void {
    // THR empties at once: drop and re-raise the THRE interrupt so an edge-triggered PIC sees each one.
    this.threPending = false;
    this.updateIrq();
    if (this.mcr & MCR_LOOP) this.pushRx(byte, this.now());
    else this.onTransmit?.(byte);
    this.threPending = true;
    this.updateIrq();
  }

  private writeFcr(value: number): void {
    const enable = (value & 1) !== 0;
    if (enable !== this.fifoEnabled) {
      this.rxHead = this.rxCount = 0;
      this.timeoutPending = false;
    }
    this.fifoEnabled = enable;
    if (value & 0x02) {
      this.rxHead = this.rxCount = 0;
      this.timeoutPending = false;
    }
    this.rxTrigger = RX_TRIGGER[value >> 6];
    this.pump(this.now());
  }

  /** In loopback the modem outputs drive the inputs (RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD). */
  private updateModemInputs(): void {
    const m = this.mcr;
    const inputs = m & MCR_LOOP
      ? (m & MCR_RTS ? 0x10 : 0) | (m & MCR_DTR ? 0x20 : 0) | (m & MCR_OUT1 ? 0x40 : 0) | (m & MCR_OUT2 ? 0x80 : 0)
      : MSR_CONNECTED;
    const changed = inputs ^ this.msrInputs;
    if (changed & 0x10) this.msrDeltas |= 0x01;
    if (changed & 0x20) this.msrDeltas |= 0x02;
    if (changed & 0x40 && !(inputs & 0x40)) this.msrDeltas |= 0x04; // RI trailing edge
    if (changed & 0x80) this.msrDeltas |= 0x08;
    this.msrInputs = inputs;
  }

  tick(now: number): number {
    this.lastTick = now;
    this.pump(now);
    this.checkTimeout(now);
    this.updateIrq();
    let next = Infinity;
    if (this.wire.length && this.rxCount < this.capacity()) next = Math.max(this.nextArrival, now + 1);
    if (this.fifoEnabled && this.rxCount > 0 && !this.timeoutPending) next = Math.min(next, this.timeoutAt());
    return next;
  }

  saveState(): DeviceState {
    return { version: STATE_VERSION, ...saveFields(this, FIELDS), wire: this.wire.slice() };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    const wire = state.wire;
    if (!Array.isArray(wire) || wire.some((b) => typeof b !== 'number')) throw new Error(`${this.name}: state field wire is not a list of bytes`);
    loadFields(this.name, this, state, FIELDS);
    if (!RX_TRIGGER.includes(this.rxTrigger)) this.rxTrigger = 1;
    this.rxHead %= FIFO_SIZE;
    this.rxCount = Math.min(Math.max(0, this.rxCount), FIFO_SIZE);
    this.wire = wire.map((b) => b & 0xff);
    this.irq(this.irqLevel);
  }
}
