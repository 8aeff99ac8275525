import { describe, expect, it } from 'vitest';
import { IoBus } from '../io.js';
import { PIT_HZ, Pit8254 } from './pit8254.js';
import { PcSpeaker } from './speaker.js';
import { TestClock } from './testclock.js';

function setup() {
  const io = new IoBus();
  const clock = new TestClock();
  const pit = new Pit8254({ io, clock, irq: () => {} });
  const tones: number[] = [];
  const speaker = new PcSpeaker({ pit, onTone: (hz) => tones.push(hz) });
  /** Channel 2, square wave, as a BIOS beep does. */
  const program = (count: number) => {
    io.write8(0x43, 0xb6);
    io.write8(0x42, count & 0xff);
    io.write8(0x42, count >> 8);
  };
  return { io, clock, pit, speaker, tones, program };
}

describe('PcSpeaker', () => {
  it('sounds when port 61h bits 0-1 are set with channel 2 in mode 3, and stops when cleared', () => {
    const { io, speaker, tones, program } = setup();
    program(1193); // ~1 kHz
    expect(tones).toEqual([]);
    io.write8(0x61, io.read8(0x61) | 0x03);
    expect(tones).toHaveLength(1);
    expect(tones[0]).toBeCloseTo(PIT_HZ / 1193, 6);
    expect(speaker.frequency).toBe(tones[0]);
    io.write8(0x61, io.read8(0x61) & ~0x03);
    expect(tones).toEqual([PIT_HZ / 1193, 0]);
  });

  it('reports a new frequency when the count changes, and nothing for the same one', () => {
    const { io, tones, program } = setup();
    program(2711); // 440 Hz
    io.write8(0x61, 0x03);
    io.write8(0x61, 0x03);
    io.write8(0x42, 1355 & 0xff); // a new count alone takes over at the end of the period
    io.write8(0x42, 1355 >> 8);
    expect(tones.map(Math.round)).toEqual([440, 881]);
    program(2711); // a control word stops the counter (OUT high) until the count arrives
    expect(tones.map(Math.round)).toEqual([440, 881, 0, 440]);
  });

  it('only bit 1 (gate off) or only bit 0 (speaker data off) is silence', () => {
    const { io, tones, program } = setup();
    program(1193);
    io.write8(0x61, 0x01);
    io.write8(0x61, 0x02);
    expect(tones).toEqual([]);
  });

  it('ultrasonic counts are not a tone', () => {
    const { io, tones, program } = setup();
    program(30); // ~40 kHz
    io.write8(0x61, 0x03);
    expect(tones).toEqual([]);
  });

  it('re-reads the tone from the PIT after a state load', () => {
    const a = setup();
    a.program(1193);
    a.io.write8(0x61, 0x03);
    const b = setup();
    b.pit.loadState(a.pit.saveState());
    b.speaker.loadState(b.speaker.saveState());
    expect(b.speaker.frequency).toBeCloseTo(PIT_HZ / 1193, 6);
    const silent = setup();
    b.pit.loadState(silent.pit.saveState());
    b.speaker.loadState(silent.speaker.saveState());
    expect(b.speaker.frequency).toBe(0);
    expect(b.tones.at(-1)).toBe(0);
  });
});
