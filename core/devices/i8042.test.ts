import { describe, expect, it } from 'vitest';
import { IoBus } from '../io.js';
import { I8042 } from './i8042.js';
import { Ps2Keyboard } from './ps2keyboard.js';
import { TestClock } from './testclock.js';

const GAP = 100_000;

function setup() {
  const io = new IoBus();
  const clock = new TestClock(1_000_000);
  const keyboard = new Ps2Keyboard();
  const irq1: boolean[] = [];
  const irq12: boolean[] = [];
  const a20: boolean[] = [];
  let resets = 0;
  const kbc = new I8042({
    io, keyboard, clock,
    irq: (level) => irq1.push(level),
    irq12: (level) => irq12.push(level),
    setA20: (on) => a20.push(on),
    resetSystem: () => resets++,
  });
  /** Waits (in machine time) for the output buffer, then reads it; -1 if nothing comes. */
  const next = () => {
    for (let i = 0; i < 3; i++) {
      if (io.read8(0x64) & 1) return io.read8(0x60);
      clock.advance(GAP);
    }
    return -1;
  };
  const drain = () => {
    const bytes: number[] = [];
    for (let b = next(); b >= 0; b = next()) bytes.push(b);
    return bytes;
  };
  const command = (cmd: number, data?: number) => {
    io.write8(0x64, cmd);
    if (data !== undefined) io.write8(0x60, data);
  };
  return { io, clock, keyboard, kbc, irq1, irq12, a20, resets: () => resets, next, drain, command };
}

describe('I8042 + Ps2Keyboard', () => {
  it('passes the controller and interface self-tests', () => {
    const { io, command, next } = setup();
    command(0xaa);
    expect(io.read8(0x64) & 0x0d).toBe(0x0d); // output full, system flag, last write was a command
    expect(next()).toBe(0x55);
    command(0xab);
    expect(next()).toBe(0x00);
    command(0xa9);
    expect(next()).toBe(0x00);
    expect(io.read8(0x64) & 1).toBe(0);
  });

  it('reads and writes the command byte', () => {
    const { command, next, io } = setup();
    command(0x20);
    expect(next()).toBe(0x45);
    command(0x60, 0x61);
    command(0x20);
    expect(next()).toBe(0x61);
    expect(io.read8(0x64) & 0x04).toBe(0); // system flag follows bit 2
  });

  it('translates set 2 to set 1 and raises IRQ 1 while the buffer is full', () => {
    const { keyboard, drain, irq1, io } = setup();
    keyboard.sendScancodes([0x1c, 0xf0, 0x1c]); // A down, up
    expect(irq1.at(-1)).toBe(true);
    expect(io.read8(0x60)).toBe(0x1e);
    expect(irq1.at(-1)).toBe(false);
    keyboard.sendScancodes([0xe0, 0x75, 0xe0, 0xf0, 0x75]); // up arrow down, up
    expect(drain()).toEqual([0x9e, 0xe0, 0x48, 0xe0, 0xc8]);
  });

  it('passes set 2 through with translation off', () => {
    const { keyboard, drain, command } = setup();
    command(0x60, 0x05);
    keyboard.sendScancodes([0x1c, 0xf0, 0x1c]);
    expect(drain()).toEqual([0x1c, 0xf0, 0x1c]);
  });

  it('holds the next byte back after a read, so a second read sees the same byte', () => {
    const { keyboard, io, clock } = setup();
    keyboard.sendScancodes([0x1c, 0x32]);
    expect(io.read8(0x60)).toBe(0x1e);
    expect(io.read8(0x60)).toBe(0x1e);
    expect(io.read8(0x64) & 1).toBe(0);
    clock.advance(GAP);
    expect(io.read8(0x64) & 1).toBe(1);
    expect(io.read8(0x60)).toBe(0x30);
  });

  it('delivers held bytes from tick() without a clock', () => {
    const io = new IoBus();
    const keyboard = new Ps2Keyboard();
    const irq1: boolean[] = [];
    const kbc = new I8042({ io, keyboard, irq: (level) => irq1.push(level) });
    keyboard.sendScancodes([0x1c, 0x32]);
    expect(io.read8(0x60)).toBe(0x1e);
    const due = kbc.tick(0);
    expect(due).toBe(GAP);
    expect(irq1.at(-1)).toBe(false);
    expect(kbc.tick(due)).toBe(Infinity);
    expect(irq1.at(-1)).toBe(true);
    expect(io.read8(0x60)).toBe(0x30);
  });

  it('keeps IRQ 1 low when the command byte disables it', () => {
    const { keyboard, command, irq1, io } = setup();
    command(0x60, 0x44);
    keyboard.sendScancodes([0x1c]);
    expect(io.read8(0x64) & 1).toBe(1);
    expect(irq1.includes(true)).toBe(false);
  });

  it('answers keyboard commands: reset, identify, echo, LEDs, scancode set', () => {
    const { io, drain, keyboard } = setup();
    const leds: number[] = [];
    keyboard.onLeds = (l) => leds.push(l);
    io.write8(0x60, 0xff);
    expect(drain()).toEqual([0xfa, 0xaa]);
    io.write8(0x60, 0xf2);
    expect(drain()).toEqual([0xfa, 0xab, 0x41]); // 83h translated, as real 8042s do
    io.write8(0x60, 0xee);
    expect(drain()).toEqual([0xee]);
    io.write8(0x60, 0xed);
    io.write8(0x60, 0x04);
    expect(drain()).toEqual([0xfa, 0xfa]);
    expect(leds).toEqual([0, 4]);
    io.write8(0x60, 0xf0);
    io.write8(0x60, 0x00);
    expect(drain()).toEqual([0xfa, 0xfa, 0x41]); // ACKs for F0h and 00h, then set 2 (translated)
    io.write8(0x60, 0xf0);
    io.write8(0x60, 0x03);
    expect(drain()).toEqual([0xfa, 0xfe]); // set 3 refused
    io.write8(0x60, 0xf3);
    io.write8(0x60, 0x20);
    expect(drain()).toEqual([0xfa, 0xfa]);
    io.write8(0x60, 0x12); // not a command
    expect(drain()).toEqual([0xfe]);
    io.write8(0x60, 0xfe); // resend
    expect(drain()).toEqual([0xfe]);
  });

  it('emits set 1 itself when the host selects it (translation off)', () => {
    const { io, drain, keyboard, command } = setup();
    command(0x60, 0x05);
    io.write8(0x60, 0xf0);
    io.write8(0x60, 0x01);
    expect(drain()).toEqual([0xfa, 0xfa]);
    keyboard.sendScancodes([0x1c, 0xf0, 0x1c]);
    expect(drain()).toEqual([0x1e, 0x9e]);
  });

  it('stops and restarts scanning (F5/F4), and puts command answers ahead of queued keys', () => {
    const { io, drain, keyboard } = setup();
    io.write8(0x60, 0xf5);
    expect(drain()).toEqual([0xfa]);
    keyboard.sendScancodes([0x1c]);
    expect(drain()).toEqual([]);
    io.write8(0x60, 0xf4);
    expect(drain()).toEqual([0xfa]);
    keyboard.sendScancodes([0x1c, 0xf0]);
    io.write8(0x60, 0xee);
    keyboard.sendScancodes([0x1c]);
    expect(drain()).toEqual([0x1e, 0xee, 0x9e]);
  });

  it('holds keys while the keyboard interface is disabled (ADh/AEh)', () => {
    const { keyboard, command, drain, kbc, clock } = setup();
    command(0xad);
    keyboard.sendScancodes([0x1c]);
    expect(drain()).toEqual([]);
    expect(kbc.tick(clock.t)).toBe(Infinity);
    command(0xae);
    expect(drain()).toEqual([0x1e]);
  });

  it('drives A20 and reset through the output port, and pulses reset with FEh', () => {
    const s = setup();
    s.command(0xd0);
    expect(s.next()).toBe(0xcf);
    s.command(0xd1, 0xdd);
    expect(s.a20.at(-1)).toBe(false);
    expect(s.kbc.a20).toBe(false);
    s.command(0xd1, 0xdf);
    expect(s.a20.at(-1)).toBe(true);
    expect(s.resets()).toBe(0);
    s.command(0xfe);
    expect(s.resets()).toBe(1);
    s.command(0xd1, 0xde);
    expect(s.resets()).toBe(2);
    s.command(0xff); // pulses nothing
    expect(s.resets()).toBe(2);
  });

  it('injects bytes with D2h/D3h and times out D4h with no aux device', () => {
    const s = setup();
    s.command(0xd2, 0x99);
    expect(s.irq1.at(-1)).toBe(true);
    expect(s.next()).toBe(0x99);
    s.command(0x60, 0x47); // IRQ 12 on
    s.command(0xd3, 0x5a);
    expect(s.io.read8(0x64) & 0x21).toBe(0x21);
    expect(s.irq12.at(-1)).toBe(true);
    expect(s.next()).toBe(0x5a);
    expect(s.irq12.at(-1)).toBe(false);
    s.clock.advance(GAP);
    s.command(0xd4, 0xff);
    expect(s.io.read8(0x64) & 0x61).toBe(0x61);
    expect(s.next()).toBe(0xfe);
    s.command(0xa7);
    s.command(0x20);
    expect(s.next() & 0x20).toBe(0x20);
  });

  it('round-trips controller and keyboard state', () => {
    const a = setup();
    a.command(0x60, 0x65);
    a.keyboard.sendScancodes([0x1c, 0xf0, 0x1c, 0x32]);
    a.io.read8(0x60);
    const kbcState = structuredClone(a.kbc.saveState());
    const kbdState = structuredClone(a.keyboard.saveState());
    const b = setup();
    b.keyboard.loadState(kbdState);
    b.kbc.loadState(kbcState);
    b.clock.t = a.clock.t;
    expect(b.drain()).toEqual(a.drain());
    b.command(0x20);
    expect(b.next()).toBe(0x65);
    expect(() => b.kbc.loadState({ version: 1, replies: [] })).toThrow(/ram/);
    expect(() => b.keyboard.loadState({ ...kbdState, version: 1 })).toThrow(/keyboard: cannot load state version 1; this build reads version 2/);
    expect(() => b.keyboard.loadState({ ...kbdState, queue: undefined })).toThrow(/queue/);
  });
});
