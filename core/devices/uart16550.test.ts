import { describe, expect, it } from 'vitest';
import { IoBus } from '../io.js';
import { TestClock } from './testclock.js';
import { Uart16550 } from './uart16550.js';

const BASE = 0x3f8;
const RBR = BASE, IER = BASE + 1, IIR = BASE + 2, FCR = BASE + 2, LCR = BASE + 3, MCR = BASE + 4, LSR = BASE + 5, MSR = BASE + 6, SCR = BASE + 7;
/** One 8N1 character at 115200 baud. */
const CHAR_NS = (10 * 1e9) / 115200;

function setup() {
  const io = new IoBus();
  const clock = new TestClock();
  const levels: boolean[] = [];
  const sent: number[] = [];
  const uart = new Uart16550({ io, base: BASE, irq: (level) => levels.push(level), name: 'COM1', clock, onTransmit: (b) => sent.push(b) });
  // 115200 8N1, as drivers set it up.
  io.write8(LCR, 0x80);
  io.write8(BASE, 1);
  io.write8(BASE + 1, 0);
  io.write8(LCR, 0x03);
  const irq = () => levels.at(-1) ?? false;
  return { io, clock, uart, levels, sent, irq };
}

describe('Uart16550', () => {
  it('transmits instantly with THR empty at once', () => {
    const { io, sent } = setup();
    expect(io.read8(LSR)).toBe(0x60);
    io.write8(RBR, 0x41);
    io.write8(RBR, 0x42);
    expect(sent).toEqual([0x41, 0x42]);
    expect(io.read8(LSR)).toBe(0x60);
  });

  it('keeps the divisor latch behind DLAB, and the scratch register', () => {
    const { io } = setup();
    io.write8(LCR, 0x83);
    io.write8(BASE, 0x0c);
    io.write8(BASE + 1, 0x00);
    expect(io.read8(BASE)).toBe(0x0c);
    io.write8(LCR, 0x03);
    expect(io.read8(IER)).toBe(0);
    io.write8(SCR, 0x5a);
    expect(io.read8(SCR)).toBe(0x5a);
  });

  it('receives a byte and interrupts, gated by OUT2', () => {
    const { io, uart, irq } = setup();
    io.write8(IER, 0x01);
    uart.receive(0x41);
    expect(io.read8(LSR) & 1).toBe(1);
    expect(io.read8(IIR)).toBe(0x04);
    expect(irq()).toBe(false); // OUT2 off: the PC's IRQ gate is closed
    io.write8(MCR, 0x0b);
    expect(irq()).toBe(true);
    expect(io.read8(RBR)).toBe(0x41);
    expect(irq()).toBe(false);
    expect(io.read8(IIR)).toBe(0x01);
  });

  it('raises THRE when enabled, clears it on IIR read, re-raises after each write', () => {
    const { io, levels, irq } = setup();
    io.write8(MCR, 0x08);
    io.write8(IER, 0x02);
    expect(irq()).toBe(true);
    expect(io.read8(IIR)).toBe(0x02);
    expect(irq()).toBe(false);
    expect(io.read8(IIR)).toBe(0x01);
    const before = levels.length;
    io.write8(RBR, 0x20);
    // An edge for an edge-triggered PIC: low, then high again.
    expect(levels.slice(before)).toEqual([true]);
    expect(io.read8(IIR)).toBe(0x02);
  });

  // Regression: at a machine time this large, `now - last >= 4 × char` rounded below the deadline tick()
  // reported, so the timeout never fired and a halted Linux waited forever for the rest of a typed line.
  it('fires the character timeout at exactly the deadline it reports, whatever the rounding', () => {
    const { io, uart, clock, irq } = setup();
    io.write8(LCR, 0x80);
    io.write8(BASE, 12); // 9600 baud, Linux's default console rate
    io.write8(LCR, 0x03);
    io.write8(FCR, 0x87); // FIFO, trigger 8
    io.write8(MCR, 0x08);
    io.write8(IER, 0x01);
    clock.t = 34796250084.66663;
    uart.receive(0x41);
    const due = uart.tick(clock.t);
    expect(due).toBeGreaterThan(clock.t);
    clock.t = due;
    uart.tick(clock.t);
    expect(irq()).toBe(true);
    expect(io.read8(IIR)).toBe(0xcc);
  });

  it('uses the FIFO with its trigger level and character timeout', () => {
    const { io, uart, clock, irq } = setup();
    io.write8(FCR, 0xc7); // enable, clear, trigger 14
    io.write8(MCR, 0x08);
    io.write8(IER, 0x01);
    expect(io.read8(IIR) & 0xc0).toBe(0xc0);
    for (let i = 0; i < 5; i++) {
      uart.receive(0x30 + i);
      clock.advance(CHAR_NS);
      uart.tick(clock.t);
    }
    expect(io.read8(IIR)).toBe(0xc1);
    const due = uart.tick(clock.t);
    expect(due).toBeCloseTo(clock.t + 3 * CHAR_NS, -1);
    clock.t = due;
    uart.tick(clock.t);
    expect(irq()).toBe(true);
    expect(io.read8(IIR)).toBe(0xcc);
    expect(io.read8(RBR)).toBe(0x30);
    expect(io.read8(IIR)).toBe(0xc1);
    for (let i = 0; i < 14; i++) {
      uart.receive(0x40);
      clock.advance(CHAR_NS);
      uart.tick(clock.t);
    }
    expect(io.read8(IIR)).toBe(0xc4);
  });

  it('paces input at the line rate and never overruns the FIFO from the wire', () => {
    const { io, uart, clock } = setup();
    io.write8(FCR, 0x01);
    for (let i = 0; i < 40; i++) uart.receive(i);
    expect(uart.pendingInput).toBe(39);
    clock.t = 100 * CHAR_NS;
    uart.tick(clock.t);
    expect(uart.pendingInput).toBe(24);
    const got: number[] = [];
    while (io.read8(LSR) & 1) got.push(io.read8(RBR));
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(io.read8(LSR) & 0x02).toBe(0);
  });

  it('loops back in loopback mode, with the modem lines and no IRQ', () => {
    const { io, sent, levels } = setup();
    io.write8(MCR, 0x18);
    io.write8(IER, 0x0d);
    io.write8(RBR, 0x55);
    expect(sent).toEqual([]);
    expect(io.read8(RBR)).toBe(0x55);
    io.write8(MCR, 0x1f);
    expect(io.read8(MSR) & 0xf0).toBe(0xf0);
    io.write8(MCR, 0x1d); // RTS off: CTS changes
    expect(io.read8(IIR)).toBe(0x00); // modem status pending
    expect(io.read8(MSR)).toBe(0xe1);
    expect(levels.includes(true)).toBe(false);
    io.write8(MCR, 0x00);
    expect(io.read8(MSR) & 0xf0).toBe(0xb0);
  });

  it('reports an overrun as a line status interrupt', () => {
    const { io } = setup();
    io.write8(MCR, 0x10);
    io.write8(IER, 0x04);
    io.write8(RBR, 1);
    io.write8(RBR, 2);
    expect(io.read8(IIR)).toBe(0x06);
    expect(io.read8(LSR) & 0x03).toBe(0x03);
    expect(io.read8(IIR)).toBe(0x01);
    expect(io.read8(RBR)).toBe(1);
  });

  it('round-trips its state', () => {
    const a = setup();
    a.io.write8(FCR, 0x81);
    a.io.write8(IER, 0x03);
    a.io.write8(MCR, 0x0b);
    a.io.write8(SCR, 0x99);
    for (let i = 0; i < 20; i++) a.uart.receive(0x61 + i);
    const saved = structuredClone(a.uart.saveState());
    const b = setup();
    b.uart.loadState(saved);
    expect(b.io.read8(IIR)).toBe(a.io.read8(IIR));
    expect(b.io.read8(SCR)).toBe(0x99);
    const drain = (s: ReturnType<typeof setup>) => {
      const out: number[] = [];
      for (let t = 0; t < 50; t++) {
        s.clock.advance(CHAR_NS);
        s.uart.tick(s.clock.t);
        while (s.io.read8(LSR) & 1) out.push(s.io.read8(RBR));
      }
      return out;
    };
    expect(drain(b)).toEqual(drain(a));
    expect(() => b.uart.loadState({ version: 1, wire: 'x' })).toThrow(/wire/);
  });
});
