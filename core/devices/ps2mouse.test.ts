import { describe, expect, it } from 'vitest';
import { IoBus } from '../io.js';
import { I8042 } from './i8042.js';
import { Ps2Keyboard } from './ps2keyboard.js';
import { Ps2Mouse } from './ps2mouse.js';
import { TestClock } from './testclock.js';

function setup() {
  const io = new IoBus();
  const clock = new TestClock();
  const mouse = new Ps2Mouse();
  let irq12 = false;
  let irq12Edges = 0;
  const kbc = new I8042({
    io, clock, keyboard: new Ps2Keyboard(), aux: mouse, irq: () => {}, irq12: (level) => {
      if (level && !irq12) irq12Edges++;
      irq12 = level;
    },
  });
  /** Sends a byte to the mouse (D4h) as a driver does. */
  const send = (byte: number) => {
    io.write8(0x64, 0xd4);
    io.write8(0x60, byte);
  };
  /** Reads every byte the 8042 offers, letting the inter-byte gap pass; checks each came from the aux port. */
  const drain = () => {
    const out: number[] = [];
    for (let i = 0; i < 64; i++) {
      kbc.tick(clock.advance(1_000_000));
      const status = io.read8(0x64);
      if (!(status & 1)) break;
      expect(status & 0x20, 'aux data bit').toBe(0x20);
      out.push(io.read8(0x60));
    }
    return out;
  };
  const command = (...bytes: number[]) => {
    const out: number[] = [];
    for (const b of bytes) {
      send(b);
      out.push(...drain());
    }
    return out;
  };
  // Enable the aux port and its interrupt as a driver does: A8h, then command byte with bit 1.
  io.write8(0x64, 0xa8);
  io.write8(0x64, 0x60);
  io.write8(0x60, 0x47);
  return { io, clock, mouse, kbc, send, drain, command, irq12: () => irq12, irq12Edges: () => irq12Edges };
}

describe('Ps2Mouse through the 8042', () => {
  it('resets with ACK, BAT AAh and ID 00', () => {
    const t = setup();
    expect(t.command(0xff)).toEqual([0xfa, 0xaa, 0x00]);
    expect(t.command(0xf2)).toEqual([0xfa, 0x00]);
  });

  it('raises IRQ 12 for aux bytes and drops it when read', () => {
    const t = setup();
    t.send(0xf2);
    t.kbc.tick(t.clock.advance(1_000_000));
    expect(t.irq12()).toBe(true);
    t.io.read8(0x60);
    expect(t.irq12()).toBe(false);
  });

  it('streams 3-byte packets once enabled, with sign and overflow bits', () => {
    const t = setup();
    t.mouse.move(5, -3, 0, 1);
    expect(t.drain()).toEqual([]); // reporting is off after power-on
    expect(t.command(0xf4)).toEqual([0xfa]);
    t.mouse.move(5, -3, 0, 1); // right 5, up 3 (PS/2 y is up)
    expect(t.drain()).toEqual([0x09, 5, 3]);
    t.mouse.move(-10, 4, 0, 0b110); // left, down; right and middle buttons
    expect(t.drain()).toEqual([0x08 | 0x06 | 0x10 | 0x20, 0xf6, 0xfc]);
    t.mouse.move(300, -400, 0, 0); // saturates at +255, y at +255 with both overflow bits
    expect(t.drain()).toEqual([0x08 | 0x40 | 0x80, 0xff, 0xff]);
    t.mouse.move(-300, 0, 0, 0);
    expect(t.drain()).toEqual([0x08 | 0x40 | 0x10, 0x00, 0x00]); // -256
    expect(t.command(0xf5)).toEqual([0xfa]);
    t.mouse.move(1, 1, 0, 0);
    expect(t.drain()).toEqual([]);
  });

  it('switches to a wheel mouse (ID 3) on the 200-100-80 knock and sends 4-byte packets', () => {
    const t = setup();
    expect(t.command(0xf3, 200, 0xf3, 100, 0xf3, 80)).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa]);
    expect(t.command(0xf2)).toEqual([0xfa, 0x03]);
    t.command(0xf4);
    t.mouse.move(0, 0, 2, 0);
    expect(t.drain()).toEqual([0x08, 0, 0, 2]);
    t.mouse.move(0, 0, -1, 0);
    expect(t.drain()).toEqual([0x08, 0, 0, 0xff]);
    expect(t.command(0xff)).toEqual([0xfa, 0xaa, 0x00]);
    expect(t.command(0xf2)).toEqual([0xfa, 0x00]);
  });

  it('reports status, resolution and sample rate; refuses bad arguments', () => {
    const t = setup();
    t.command(0xe8, 3, 0xf3, 40, 0xe7, 0xf4);
    t.mouse.move(0, 0, 0, 0b101); // left and middle
    t.drain();
    expect(t.command(0xe9)).toEqual([0xfa, 0x20 | 0x10 | 0x04 | 0x02, 3, 40]);
    expect(t.command(0xf3, 33)).toEqual([0xfa, 0xfe]);
    expect(t.command(0x21)).toEqual([0xfc]); // a second bad argument: error
    expect(t.command(0xf6, 0xe9)).toEqual([0xfa, 0xfa, 0x06, 2, 100]); // defaults; the buttons are still held
    expect(t.command(0x12)).toEqual([0xfe]); // unknown command
  });

  it('applies 2:1 scaling in stream mode', () => {
    const t = setup();
    t.command(0xe7, 0xf4);
    t.mouse.move(3, 0, 0, 0);
    expect(t.drain()).toEqual([0x08, 3, 0]);
    t.mouse.move(10, 0, 0, 0);
    expect(t.drain()).toEqual([0x08, 20, 0]);
  });

  it('in remote mode accumulates movement until read data (EBh)', () => {
    const t = setup();
    t.command(0xf0);
    t.mouse.move(3, 0, 0, 0);
    t.mouse.move(4, -2, 0, 2);
    expect(t.drain()).toEqual([]);
    expect(t.command(0xeb)).toEqual([0xfa, 0x0a, 7, 2]);
    expect(t.command(0xeb)).toEqual([0xfa, 0x0a, 0, 0]);
  });

  it('echoes in wrap mode until EC', () => {
    const t = setup();
    expect(t.command(0xee, 0x12, 0xf4)).toEqual([0xfa, 0x12, 0xf4]);
    expect(t.command(0xec, 0xf2)).toEqual([0xfa, 0xfa, 0x00]);
  });

  it('is silent while the 8042 aux port is disabled (A7h) and resumes on A8h', () => {
    const t = setup();
    t.command(0xf4);
    t.io.write8(0x64, 0xa7);
    t.mouse.move(1, 0, 0, 0);
    expect(t.drain()).toEqual([]);
    t.io.write8(0x64, 0xa8);
    expect(t.drain()).toEqual([0x08, 1, 0]);
  });

  it('saves and restores its state', () => {
    const t = setup();
    t.command(0xf3, 200, 0xf3, 100, 0xf3, 80, 0xf4);
    const saved = t.mouse.saveState();
    const u = setup();
    u.mouse.loadState(saved);
    expect(u.mouse.deviceId).toBe(3);
    u.mouse.move(1, 1, 1, 0);
    expect(u.drain()).toEqual([0x28, 1, 0xff, 1]);
    expect(() => u.mouse.loadState({ ...saved, version: 1 })).toThrow(/mouse: cannot load state version 1; this build reads version 2/);
    expect(() => u.mouse.loadState({ ...saved, queue: { bytes: new Uint8Array(3), head: 0, count: 0 } })).toThrow(/queue is not a 256-byte output queue/);
  });

  it('keeps queued bytes across a snapshot (the queue is saved with the mouse)', () => {
    const t = setup();
    t.command(0xf4);
    t.mouse.move(5, -3, 0, 1);
    t.mouse.move(1, 1, 0, 0);
    const saved = structuredClone(t.mouse.saveState());
    const kbc = structuredClone(t.kbc.saveState());
    const u = setup();
    u.mouse.loadState(saved);
    u.kbc.loadState(kbc);
    expect(u.drain()).toEqual([0x09, 5, 3, 0x28, 1, 0xff]); // screen y down → PS/2 y up
  });
});
