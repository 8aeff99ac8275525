import { describe, expect, it } from 'vitest';
import { IoBus } from '../io.js';
import { Mc146818 } from './mc146818.js';
import { TestClock } from './testclock.js';

const EPOCH = Date.UTC(2024, 1, 29, 23, 59, 58); // a Thursday, leap day

function setup(epochMs = EPOCH) {
  const io = new IoBus();
  const clock = new TestClock();
  const levels: boolean[] = [];
  const rtc = new Mc146818({ io, clock, irq: (level) => levels.push(level), epochMs });
  const read = (index: number) => {
    io.write8(0x70, index);
    return io.read8(0x71);
  };
  const write = (index: number, value: number) => {
    io.write8(0x70, index);
    io.write8(0x71, value);
  };
  const time = () => [0, 2, 4, 6, 7, 8, 9].map(read);
  return { io, clock, rtc, levels, read, write, time };
}

describe('Mc146818', () => {
  it('starts at epochMs in BCD 24-hour form, with the century in CMOS', () => {
    const { read, time } = setup();
    expect(time()).toEqual([0x58, 0x59, 0x23, 5, 0x29, 0x02, 0x24]);
    expect(read(0x32)).toBe(0x20);
    expect(read(0x0a)).toBe(0x26);
    expect(read(0x0b)).toBe(0x02);
    expect(read(0x0d)).toBe(0x80);
  });

  it('advances with machine time across midnight and the leap day', () => {
    const { clock, time } = setup();
    clock.t = 2.5e9;
    expect(time()).toEqual([0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24]);
    clock.t = 2.5e9 + 86400e9 * 31; // a month later, advanced in one step
    expect(time()).toEqual([0x00, 0x00, 0x00, 2, 0x01, 0x04, 0x24]);
  });

  it('rolls the year over without touching the century byte', () => {
    const { clock, time, read } = setup(Date.UTC(2099, 11, 31, 23, 59, 59));
    clock.t = 1.1e9;
    expect(time()).toEqual([0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x00]);
    expect(read(0x32)).toBe(0x20);
  });

  it('keeps binary and 12-hour values as written, and counts in that format', () => {
    const { clock, read, write } = setup();
    write(0x0b, 0x82); // SET while changing
    write(0x0b, 0x86); // binary, 24 h
    write(0x04, 13);
    write(0x02, 59);
    write(0x00, 59);
    write(0x0b, 0x06);
    clock.t = 1.1e9;
    expect([read(0x04), read(0x02), read(0x00)]).toEqual([14, 0, 0]);
    write(0x0b, 0x80); // 12-hour BCD
    write(0x04, 0x91); // 11 PM
    write(0x02, 0x59);
    write(0x00, 0x59);
    write(0x0b, 0x00);
    clock.t = 2.1e9;
    expect(read(0x04)).toBe(0x12); // 12 AM
    expect(read(0x07)).toBe(0x01);
  });

  it('freezes the time while SET is on', () => {
    const { clock, read, write } = setup();
    write(0x0b, 0x82);
    clock.t = 5e9;
    expect(read(0x00)).toBe(0x58);
    write(0x0b, 0x02);
    clock.t = 6.1e9;
    expect(read(0x00)).toBe(0x59);
  });

  it('shows update-in-progress just before the update', () => {
    const { clock, read } = setup();
    clock.t = 1e9 - 100_000;
    expect(read(0x0a) & 0x80).toBe(0x80);
    clock.t = 1e9 - 300_000;
    expect(read(0x0a) & 0x80).toBe(0);
    clock.t = 1e9 + 100_000;
    expect(read(0x0a) & 0x80).toBe(0);
  });

  it('raises the periodic interrupt at the register A rate; reading C clears and lowers IRQ 8', () => {
    const { clock, rtc, levels, read, write } = setup();
    write(0x0b, 0x42); // PIE
    const due = rtc.tick(clock.t);
    expect(due).toBeCloseTo(976_562.5, 0);
    clock.t = due;
    rtc.tick(clock.t);
    expect(levels.at(-1)).toBe(true);
    expect(read(0x0c)).toBe(0xc0);
    expect(levels.at(-1)).toBe(false);
    expect(read(0x0c)).toBe(0);
    write(0x0a, 0x2f); // 2 Hz
    clock.t += 1;
    const next = rtc.tick(clock.t);
    expect(next - clock.t).toBeGreaterThan(0);
    expect(next - clock.t).toBeLessThanOrEqual(500e6);
  });

  it('sets PF without interrupting when PIE is off', () => {
    const { clock, levels, read } = setup();
    clock.t = 2e6;
    expect(read(0x0c) & 0x40).toBe(0x40);
    expect(levels.includes(true)).toBe(false);
  });

  it('raises update-ended and alarm interrupts', () => {
    const { clock, rtc, levels, read, write } = setup();
    write(0x01, 0x00);
    write(0x03, 0x00);
    write(0x05, 0xc0); // any hour
    write(0x0b, 0x32); // AIE + UIE
    let due = rtc.tick(clock.t);
    expect(due).toBe(1e9);
    clock.t = due;
    rtc.tick(clock.t);
    expect(levels.at(-1)).toBe(true);
    expect(read(0x0c) & 0xb0).toBe(0x90); // 23:59:59: update only (PF runs regardless)
    clock.t = due = rtc.tick(clock.t);
    rtc.tick(clock.t);
    expect(read(0x0c) & 0xb0).toBe(0xb0); // 00:00:00: alarm matches
  });

  it('holds updates while the divider is in reset, then updates after half a second', () => {
    const { clock, read, write } = setup();
    write(0x0a, 0x76);
    clock.t = 10e9;
    expect(read(0x00)).toBe(0x58);
    write(0x0a, 0x26);
    clock.t = 10e9 + 400e6;
    expect(read(0x00)).toBe(0x58);
    clock.t = 10e9 + 600e6;
    expect(read(0x00)).toBe(0x59);
  });

  it('keeps CMOS RAM, the NMI mask bit, and the battery-backed state across reset', () => {
    const { io, rtc, read, write } = setup();
    write(0x40, 0x5a);
    rtc.setByte(0x15, 0x80);
    rtc.setByte(0x16, 0x02);
    rtc.updateChecksum();
    io.write8(0x70, 0x80 | 0x40);
    expect(rtc.nmiDisabled).toBe(true);
    expect(io.read8(0x71)).toBe(0x5a);
    write(0x0b, 0x72);
    rtc.reset();
    expect(read(0x0b)).toBe(0x02);
    expect(read(0x40)).toBe(0x5a);
    expect(read(0x2e) * 256 + read(0x2f)).toBe(0x82);
    expect(rtc.nmiDisabled).toBe(false);
  });

  it('round-trips its state', () => {
    const a = setup();
    a.write(0x0b, 0x52);
    a.write(0x50, 0x77);
    a.clock.t = 3.3e9;
    a.rtc.tick(a.clock.t);
    const saved = a.rtc.saveState();
    const b = setup(0);
    b.clock.t = a.clock.t;
    b.rtc.loadState(structuredClone(saved));
    expect(b.time()).toEqual(a.time());
    expect(b.read(0x50)).toBe(0x77);
    expect(b.rtc.tick(b.clock.t)).toBe(a.rtc.tick(a.clock.t));
    expect(b.read(0x0c)).toBe(a.read(0x0c));
    expect(() => b.rtc.loadState({ version: 1 })).toThrow(/cmos/);
  });
});
