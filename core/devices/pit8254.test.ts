import { describe, expect, it } from 'vitest';
import { IoBus } from '../io.js';
import { PIT_HZ, Pit8254 } from './pit8254.js';
import { TestClock } from './testclock.js';

/** Machine time (ns) at which `ticks` PIT clocks have passed, a little past the edge. */
const at = (ticks: number) => Math.ceil((ticks * 1e9) / PIT_HZ) + 1;

function setup() {
  const io = new IoBus();
  const clock = new TestClock();
  const levels: boolean[] = [];
  const pit = new Pit8254({ io, clock, irq: (level) => levels.push(level) });
  const edges = () => levels.filter((level, i) => level && i > 0 && !levels[i - 1]).length;
  return { io, clock, pit, levels, edges };
}

function program(io: IoBus, channel: number, mode: number, count: number, bcd = false) {
  io.write8(0x43, (channel << 6) | 0x30 | (mode << 1) | (bcd ? 1 : 0));
  io.write8(0x40 + channel, count & 0xff);
  io.write8(0x40 + channel, count >> 8);
}

function latchRead(io: IoBus, channel: number): number {
  io.write8(0x43, channel << 6);
  return io.read8(0x40 + channel) | (io.read8(0x40 + channel) << 8);
}

describe('Pit8254', () => {
  it('raises IRQ 0 periodically in mode 2 and tells when next', () => {
    const { io, clock, pit, edges } = setup();
    program(io, 0, 2, 1193);
    let due = pit.tick(clock.t);
    expect(due).toBeGreaterThan(990_000);
    expect(due).toBeLessThan(1_010_000);
    for (let i = 0; i < 10; i++) {
      clock.t = due;
      due = pit.tick(clock.t);
    }
    expect(edges()).toBe(10);
    expect(clock.t).toBeGreaterThan(9_990_000);
    expect(clock.t).toBeLessThan(10_010_000);
  });

  it('counts down, and latches the count', () => {
    const { io, clock } = setup();
    program(io, 0, 2, 1000);
    clock.t = at(101); // loaded on the first clock, then 100 decrements
    expect(latchRead(io, 0)).toBe(900);
    clock.t = at(1001 + 250);
    expect(latchRead(io, 0)).toBe(750);
    // A latched value holds until read, even as time passes.
    io.write8(0x43, 0x00);
    clock.t = at(1001 + 500);
    expect(io.read8(0x40) | (io.read8(0x40) << 8)).toBe(750);
  });

  it('counts by two in mode 3 with OUT a square wave', () => {
    const { io, clock } = setup();
    program(io, 2, 3, 100);
    io.write8(0x61, 0x01); // gate 2 on (reloads the count)
    clock.t = at(1 + 10);
    expect(latchRead(io, 2)).toBe(80);
    expect(io.read8(0x61) & 0x20).toBe(0x20);
    clock.t = at(1 + 60);
    expect(io.read8(0x61) & 0x20).toBe(0);
    clock.t = at(1 + 100);
    expect(io.read8(0x61) & 0x20).toBe(0x20);
  });

  it('counts in BCD', () => {
    const { io, clock } = setup();
    program(io, 0, 2, 0x1000, true);
    clock.t = at(11);
    expect(latchRead(io, 0)).toBe(0x0990);
  });

  it('raises OUT at terminal count in mode 0 (gated channel 2, OUT2 in port 61h)', () => {
    const { io, clock } = setup();
    io.write8(0x61, 0x01);
    program(io, 2, 0, 500);
    expect(io.read8(0x61) & 0x20).toBe(0);
    clock.t = at(400);
    expect(io.read8(0x61) & 0x20).toBe(0);
    // Gate low pauses counting in mode 0.
    io.write8(0x61, 0x00);
    const held = latchRead(io, 2);
    clock.t = at(5000);
    expect(latchRead(io, 2)).toBe(held);
    io.write8(0x61, 0x01);
    clock.t = at(5000 + held + 2);
    expect(io.read8(0x61) & 0x20).toBe(0x20);
    expect(io.read8(0x61) & 0x01).toBe(0x01);
  });

  it('runs the gate-triggered one-shot (mode 1) and the strobes (modes 4 and 5)', () => {
    const { io, clock } = setup();
    const out2 = () => (io.read8(0x61) & 0x20) !== 0;
    program(io, 2, 1, 100);
    expect(out2()).toBe(true);
    clock.t = at(10);
    io.write8(0x61, 0x01); // trigger: the count loads on the next clock, OUT low
    const t0 = 10;
    clock.t = at(t0 + 50);
    expect(out2()).toBe(false);
    expect(latchRead(io, 2)).toBe(51);
    clock.t = at(t0 + 101);
    expect(out2()).toBe(true);
    // Mode 4: software strobe, OUT low for one clock at terminal count.
    clock.t = at(1000);
    program(io, 2, 4, 50);
    clock.t = at(1000 + 50);
    expect(out2()).toBe(true);
    clock.t = at(1000 + 51);
    expect(out2()).toBe(false);
    clock.t = at(1000 + 52);
    expect(out2()).toBe(true);
    // Mode 5: the same strobe, started by a gate rising edge.
    io.write8(0x61, 0x00);
    clock.t = at(2000);
    program(io, 2, 5, 20);
    clock.t = at(2100);
    expect(out2()).toBe(true);
    io.write8(0x61, 0x01);
    clock.t = at(2100 + 21);
    expect(out2()).toBe(false);
    clock.t = at(2100 + 22);
    expect(out2()).toBe(true);
  });

  it('delivers one IRQ 0 edge in mode 0 and none after', () => {
    const { io, clock, pit, edges } = setup();
    program(io, 0, 0, 100);
    const due = pit.tick(clock.t);
    clock.t = due;
    expect(pit.tick(clock.t)).toBe(Infinity);
    clock.t += 1e8;
    pit.tick(clock.t);
    expect(edges()).toBe(1);
  });

  it('answers the read-back command with status and count', () => {
    const { io, clock } = setup();
    program(io, 0, 2, 1000);
    clock.t = at(11);
    io.write8(0x43, 0xc2); // latch count and status of channel 0
    expect(io.read8(0x40)).toBe(0x80 | 0x30 | (2 << 1)); // OUT high, LSB+MSB, mode 2, binary
    expect(io.read8(0x40) | (io.read8(0x40) << 8)).toBe(990);
    io.write8(0x43, 0x34); // new control word: null count until the count is written
    io.write8(0x43, 0xe2); // status only
    expect(io.read8(0x40) & 0x40).toBe(0x40);
  });

  it('reads and writes LSB-only and MSB-only', () => {
    const { io, clock } = setup();
    io.write8(0x43, 0x14); // channel 0, LSB only, mode 2
    io.write8(0x40, 200);
    clock.t = at(51);
    expect(io.read8(0x40)).toBe(150);
    io.write8(0x43, 0x24); // MSB only
    io.write8(0x40, 0x02); // count 0x200
    clock.t += at(1 + 256);
    expect(io.read8(0x40)).toBe(0x01);
  });

  it('applies a new periodic count at the end of the current period', () => {
    const { io, clock } = setup();
    program(io, 0, 2, 1000);
    clock.t = at(501);
    io.write8(0x40, 100 & 0xff);
    io.write8(0x40, 0);
    expect(latchRead(io, 0)).toBe(500);
    clock.t = at(1001 + 10);
    expect(latchRead(io, 0)).toBe(90);
  });

  it('toggles the refresh bit and keeps port 61h bits', () => {
    const { io, clock } = setup();
    io.write8(0x61, 0x0c);
    const first = io.read8(0x61);
    clock.t += 15_085;
    const second = io.read8(0x61);
    expect((first ^ second) & 0x10).toBe(0x10);
    expect(second & 0x0f).toBe(0x0c);
  });

  it('reports the speaker tone', () => {
    const { io, pit } = setup();
    const tones: [boolean, number][] = [];
    pit.onSpeaker = (on, hz) => tones.push([on, hz]);
    program(io, 2, 3, 1193);
    io.write8(0x61, 0x03);
    expect(pit.speaker().on).toBe(true);
    expect(Math.round(pit.speaker().hz)).toBe(1000);
    io.write8(0x61, 0x00);
    expect(tones.at(-1)).toEqual([false, 0]);
  });

  it('catches up on missed IRQ 0 edges one per tick, boundedly', () => {
    const { io, clock, pit, edges } = setup();
    program(io, 0, 2, 1193); // ~1 kHz
    pit.tick(0);
    clock.t = 10e9; // the host stalled for ten seconds
    let due = pit.tick(clock.t);
    let ticks = 1;
    while (due <= clock.t + 100_000 && ticks < 1000) {
      clock.t = due;
      due = pit.tick(clock.t);
      ticks++;
    }
    expect(edges()).toBeLessThanOrEqual(70);
    expect(edges()).toBeGreaterThan(30);
    expect(due).toBeGreaterThan(clock.t);
  });

  it('round-trips its state', () => {
    const a = setup();
    program(a.io, 0, 2, 1000);
    program(a.io, 2, 3, 300);
    a.io.write8(0x61, 0x03);
    a.clock.t = at(123);
    a.io.write8(0x43, 0x80); // latch channel 2, leave it pending
    const saved = a.pit.saveState();
    const b = setup();
    b.clock.t = a.clock.t;
    b.pit.loadState(structuredClone(saved));
    expect(b.io.read8(0x42)).toBe(a.io.read8(0x42));
    expect(b.io.read8(0x42)).toBe(a.io.read8(0x42));
    a.clock.t = b.clock.t = at(777);
    expect(latchRead(b.io, 0)).toBe(latchRead(a.io, 0));
    expect(b.io.read8(0x61) & 0x2f).toBe(a.io.read8(0x61) & 0x2f);
    expect(b.pit.tick(b.clock.t)).toBe(a.pit.tick(a.clock.t));
    expect(() => b.pit.loadState({ version: 1, channels: [] })).toThrow(/three/);
  });
});
