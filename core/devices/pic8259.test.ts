import { describe, expect, it } from 'vitest';
import { IoBus } from '../io.js';
import { Pic8259Pair } from './pic8259.js';

/** A PC/AT programmed as BIOSes do: master vectors 08h, slave 70h, cascade on IR2, 8086 mode. */
function setup(icw4 = 0x01) {
  const io = new IoBus();
  const intr: boolean[] = [];
  const pic = new Pic8259Pair({ io, onIntr: (level) => intr.push(level) });
  io.write8(0x20, 0x11);
  io.write8(0x21, 0x08);
  io.write8(0x21, 0x04);
  io.write8(0x21, icw4);
  io.write8(0xa0, 0x11);
  io.write8(0xa1, 0x70);
  io.write8(0xa1, 0x02);
  io.write8(0xa1, icw4);
  const isr = () => {
    io.write8(0x20, 0x0b);
    io.write8(0xa0, 0x0b);
    const value = io.read8(0x20) | (io.read8(0xa0) << 8);
    io.write8(0x20, 0x0a);
    io.write8(0xa0, 0x0a);
    return value;
  };
  const irr = () => io.read8(0x20) | (io.read8(0xa0) << 8);
  return { io, pic, intr, isr, irr };
}

describe('Pic8259Pair', () => {
  it('delivers an edge-triggered IRQ with its vector, in service until EOI', () => {
    const { io, pic, intr, isr } = setup();
    pic.line(0)(true);
    expect(pic.intr).toBe(true);
    expect(intr.at(-1)).toBe(true);
    expect(pic.acknowledge()).toBe(0x08);
    expect(pic.intr).toBe(false);
    expect(isr()).toBe(0x0001);
    io.write8(0x20, 0x20); // non-specific EOI
    expect(isr()).toBe(0);
    // The line is still high: no new edge, no new interrupt.
    expect(pic.intr).toBe(false);
    pic.line(0)(false);
    pic.line(0)(true);
    expect(pic.intr).toBe(true);
  });

  it('resolves priority and nests a higher-priority request', () => {
    const { io, pic, isr } = setup();
    pic.line(3)(true);
    pic.line(1)(true);
    expect(pic.acknowledge()).toBe(0x09);
    // IRQ 3 is lower priority than the in-service IRQ 1: held back.
    expect(pic.intr).toBe(false);
    pic.line(0)(true);
    expect(pic.intr).toBe(true);
    expect(pic.acknowledge()).toBe(0x08);
    expect(isr()).toBe(0x0003);
    io.write8(0x20, 0x20); // clears IRQ 0 (highest in service)
    expect(isr()).toBe(0x0002);
    expect(pic.intr).toBe(false);
    io.write8(0x20, 0x61); // specific EOI for IRQ 1
    expect(pic.intr).toBe(true);
    expect(pic.acknowledge()).toBe(0x0b);
  });

  it('masks through IMR', () => {
    const { io, pic } = setup();
    io.write8(0x21, 0xef); // everything but IRQ 4 masked
    expect(io.read8(0x21)).toBe(0xef);
    pic.line(5)(true);
    expect(pic.intr).toBe(false);
    io.write8(0x21, 0xcf);
    expect(pic.intr).toBe(true);
    expect(pic.acknowledge()).toBe(0x0d);
  });

  it('cascades the slave through IR2', () => {
    const { io, pic, isr } = setup();
    pic.line(12)(true);
    expect(pic.intr).toBe(true);
    expect(pic.acknowledge()).toBe(0x74);
    expect(isr()).toBe(0x1004);
    io.write8(0xa0, 0x20);
    io.write8(0x20, 0x20);
    expect(isr()).toBe(0);
    // ISA IRQ 2 is wired to IRQ 9.
    pic.line(2)(true);
    expect(pic.acknowledge()).toBe(0x71);
  });

  it('gives the spurious IR7 / IR15 vector when the request vanished before INTA', () => {
    const { pic, isr } = setup();
    pic.line(5)(true);
    pic.line(5)(false);
    expect(pic.acknowledge()).toBe(0x0f);
    expect(isr()).toBe(0);
    // A slave request that vanishes also drops the slave's INT, so the master sees nothing either.
    pic.line(11)(true);
    expect(pic.intr).toBe(true);
    pic.line(11)(false);
    expect(pic.acknowledge()).toBe(0x0f);
  });

  it('withdraws the master IR2 request when the slave request is masked', () => {
    const { io, pic, isr } = setup();
    pic.line(10)(true);
    expect(pic.intr).toBe(true);
    io.write8(0x20, 0x0a);
    expect(io.read8(0x20) & 0x04).toBe(0x04);
    // Masking in the slave drops its INT, which withdraws the master's IR2 request: spurious IRQ 7.
    io.write8(0xa1, 0x04);
    expect(pic.acknowledge()).toBe(0x0f);
    expect(isr()).toBe(0);
  });

  it('level-triggers inputs selected in the ELCR', () => {
    const { io, pic } = setup();
    pic.setElcr(1 << 10);
    expect(pic.getElcr()).toBe(0x400);
    pic.line(10)(true);
    expect(pic.acknowledge()).toBe(0x72);
    io.write8(0xa0, 0x20);
    io.write8(0x20, 0x20);
    // Still high: a level input interrupts again.
    expect(pic.intr).toBe(true);
    expect(pic.acknowledge()).toBe(0x72);
    io.write8(0xa0, 0x20);
    io.write8(0x20, 0x20);
    pic.line(10)(false);
    expect(pic.intr).toBe(false);
  });

  it('level-triggers everything with ICW1 LTIM', () => {
    const io = new IoBus();
    const pic = new Pic8259Pair({ io });
    io.write8(0x20, 0x19);
    io.write8(0x21, 0x20);
    io.write8(0x21, 0x04);
    io.write8(0x21, 0x01);
    pic.line(4)(true);
    expect(pic.acknowledge()).toBe(0x24);
    io.write8(0x20, 0x20);
    expect(pic.intr).toBe(true);
  });

  it('supports auto-EOI', () => {
    const { pic, isr } = setup(0x03);
    pic.line(1)(true);
    expect(pic.acknowledge()).toBe(0x09);
    expect(isr()).toBe(0);
    pic.line(0)(true);
    expect(pic.acknowledge()).toBe(0x08);
  });

  it('rotates priorities (set priority, rotate on EOI)', () => {
    const { io, pic } = setup();
    io.write8(0x20, 0xc0 | 3); // IRQ 3 lowest: IRQ 4 highest
    pic.line(2 + 0)(false);
    pic.line(1)(true);
    pic.line(5)(true);
    expect(pic.acknowledge()).toBe(0x0d);
    io.write8(0x20, 0xa0); // rotate on non-specific EOI: IRQ 5 becomes lowest
    expect(pic.acknowledge()).toBe(0x09);
    io.write8(0x20, 0x20);
    pic.line(5)(false);
    pic.line(5)(true);
    pic.line(7)(true);
    // After the rotation, 6 is highest, then 7, 0, 1, ..., 5 lowest.
    expect(pic.acknowledge()).toBe(0x0f);
  });

  it('lets lower priorities through in special mask mode', () => {
    const { io, pic } = setup();
    pic.line(1)(true);
    expect(pic.acknowledge()).toBe(0x09);
    pic.line(4)(true);
    expect(pic.intr).toBe(false);
    io.write8(0x21, 0x02); // mask the in-service level
    io.write8(0x20, 0x68); // set special mask mode
    expect(pic.intr).toBe(true);
    expect(pic.acknowledge()).toBe(0x0c);
    io.write8(0x20, 0x48); // reset special mask mode
  });

  it('reads IRR and ISR through OCW3 and polls', () => {
    const { io, pic, irr } = setup();
    pic.line(6)(true);
    pic.line(3)(true);
    expect(irr()).toBe(0x48);
    io.write8(0x20, 0x0c); // poll
    expect(io.read8(0x20)).toBe(0x83);
    io.write8(0x20, 0x0b);
    expect(io.read8(0x20)).toBe(0x08);
    io.write8(0x20, 0x0c);
    io.write8(0x20, 0x20);
    io.write8(0x20, 0x0c);
    expect(io.read8(0x20)).toBe(0x86);
  });

  it('restarts edge detection on ICW1', () => {
    const { io, pic } = setup();
    pic.line(3)(true);
    io.write8(0x20, 0x11);
    io.write8(0x21, 0x08);
    io.write8(0x21, 0x04);
    io.write8(0x21, 0x01);
    expect(pic.intr).toBe(false);
    expect(io.read8(0x21)).toBe(0);
  });

  it('round-trips its state', () => {
    const a = setup();
    a.pic.line(1)(true);
    a.pic.acknowledge();
    a.pic.line(0)(true);
    a.pic.line(12)(true);
    a.io.write8(0x21, 0x20);
    const saved = a.pic.saveState();
    const b = setup();
    b.pic.loadState(structuredClone(saved));
    expect(b.pic.registers()).toEqual(a.pic.registers());
    expect(b.pic.intr).toBe(a.pic.intr);
    expect(b.pic.acknowledge()).toBe(a.pic.acknowledge());
    expect(b.pic.acknowledge()).toBe(a.pic.acknowledge());
    expect(() => b.pic.loadState({ version: 99 })).toThrow(/version 99/);
    expect(() => b.pic.loadState({ version: 1, master: {}, slave: {} })).toThrow(/irr/);
  });
});
