import { beforeAll, describe, expect, it } from 'vitest';
import { createBios } from '../../bios/index.js';
import { Machine, MemoryBlockDevice } from '../../core/index.js';
import { SESSION_DEMO_BANNER, sessionDemoFloppy } from './demo.js';
import { encode, KeyframeReason, Msg } from './protocol.js';
import { ScreenHost, ScreenView, type ScreenChannel } from './screen.js';
import { scancodes } from '../ui/keymap.js';

/** A data channel in memory: messages wait in `queue` (counted as bufferedAmount) until delivered. */
class MemoryChannel implements ScreenChannel {
  queue: Uint8Array[] = [];
  constructor(private readonly deliverTo: (data: Uint8Array) => void) {}
  get bufferedAmount(): number {
    return this.queue.reduce((n, m) => n + m.length, 0);
  }
  send(data: Uint8Array): void {
    this.queue.push(data);
  }
  deliver(): void {
    const queue = this.queue;
    this.queue = [];
    for (const m of queue) this.deliverTo(m);
  }
}

function pair(host: ScreenHost, id: string) {
  const up = new MemoryChannel((m) => host.receive(id, m));
  const view = new ScreenView((m) => up.send(m));
  const down = new MemoryChannel((m) => view.receive(m));
  host.addPeer(id, down);
  return { view, down, up };
}

async function bootDemo(): Promise<Machine> {
  const machine = new Machine({ memoryMB: 4, firmware: createBios(), floppies: [new MemoryBlockDevice(sessionDemoFloppy())] });
  const ok = await machine.runUntil(() => /^>$/m.test(machine.screenText()), { timeoutMs: 30_000 });
  if (!ok) throw new Error(`the demo did not boot: ${machine.screenText()}`);
  return machine;
}

function typeText(machine: Machine, text: string): void {
  for (const ch of text) {
    const code = ch === '\n' ? 'Enter' : ch === ' ' ? 'Space' : `Key${ch.toUpperCase()}`;
    machine.keyboard.sendScancodes([...scancodes(code, true)!, ...scancodes(code, false)!]);
  }
}

function chord(machine: Machine, modifier: string, key: string): void {
  machine.keyboard.sendScancodes([...scancodes(modifier, true)!, ...scancodes(key, true)!, ...scancodes(key, false)!, ...scancodes(modifier, false)!]);
}

/** The host's picture now, rendered afresh. */
function hostPixels(machine: Machine): Uint8ClampedArray {
  const { width, height } = machine.vga.renderSize();
  const out = new Uint8ClampedArray(width * height * 4);
  machine.vga.render(out);
  return out;
}

/** Byte-equal pictures (vitest's deep equality is far too slow for a megabyte). */
function samePixels(a: Uint8ClampedArray, b: Uint8ClampedArray): boolean {
  return a.length === b.length && Buffer.compare(new Uint8Array(a.buffer, a.byteOffset, a.length), new Uint8Array(b.buffer, b.byteOffset, b.length)) === 0;
}

describe('screen deltas from a real machine', () => {
  let machine: Machine;
  beforeAll(async () => {
    machine = await bootDemo();
  });

  it('two guests see the host\'s text and pixels; deltas are small', async () => {
    const host = new ScreenHost(machine.vga);
    const a = pair(host, 'a');
    const b = pair(host, 'b');
    host.tick();
    a.down.deliver();
    b.down.deliver();
    expect(a.view.synced).toBe(true);
    expect(a.view.text()).toBe(machine.screenText());
    expect(a.view.text()).toContain(SESSION_DEMO_BANNER);
    expect(samePixels(a.view.pixels, hostPixels(machine))).toBe(true);
    const keyframeBytes = host.stats('a')!.bytes;

    typeText(machine, 'hello');
    await machine.runUntil(() => machine.screenText().includes('> hello'), { timeoutMs: 10_000 });
    host.tick();
    const before = host.stats('a')!.bytes;
    a.down.deliver();
    b.down.deliver();
    const deltaBytes = host.stats('a')!.bytes - before;
    expect(deltaBytes).toBeLessThan(keyframeBytes / 4);
    for (const { view } of [a, b]) {
      expect(view.text()).toBe(machine.screenText());
      expect(samePixels(view.pixels, hostPixels(machine))).toBe(true);
      expect(view.cursor).toEqual(machine.vga.textScreen().cursor);
    }
    // Nothing changed: nothing sent.
    const idle = host.stats('a')!.bytes;
    host.tick();
    expect(host.stats('a')!.bytes - idle).toBeLessThan(200); // at most the cursor's blink tile
  });

  it('a slow peer is skipped, then gets one coalesced delta; the fast one is never held up', async () => {
    const host = new ScreenHost(machine.vga, { highWater: 1024 });
    const fast = pair(host, 'fast');
    const slow = pair(host, 'slow');
    host.tick();
    fast.down.deliver(); // the slow peer's keyframe stays queued: its channel is full
    for (let i = 0; i < 5; i++) {
      typeText(machine, 'ab');
      await machine.runUntil(() => false, { timeoutMs: 30 });
      host.tick();
      fast.down.deliver();
      expect(fast.view.text()).toBe(machine.screenText());
    }
    expect(host.stats('slow')!.skipped).toBe(5);
    expect(host.stats('slow')!.frames).toBe(1);
    slow.down.deliver();
    host.tick();
    slow.down.deliver();
    expect(host.stats('slow')!.frames).toBe(2);
    expect(slow.view.text()).toBe(machine.screenText());
    expect(samePixels(slow.view.pixels, hostPixels(machine))).toBe(true);
  });

  it('a changing graphics mode: tiles only, pixel-identical; back to text', async () => {
    const host = new ScreenHost(machine.vga);
    const g = pair(host, 'g');
    chord(machine, 'ControlLeft', 'KeyG');
    await machine.runUntil(() => !machine.vga.displayMode().text, { timeoutMs: 10_000 });
    await machine.runUntil(() => false, { timeoutMs: 200 });
    for (let i = 0; i < 3; i++) {
      host.tick();
      g.down.deliver();
      expect(g.view.mode).toMatchObject({ width: 320, height: 200, text: false });
      expect(samePixels(g.view.pixels, hostPixels(machine))).toBe(true);
      await machine.runUntil(() => false, { timeoutMs: 100 });
    }
    expect(g.view.text()).toBe('');
    typeText(machine, 'q');
    await machine.runUntil(() => machine.vga.displayMode().text && machine.screenText().includes('>'), { timeoutMs: 10_000 });
    host.tick();
    g.down.deliver();
    expect(g.view.mode?.text).toBe(true);
    expect(g.view.text()).toBe(machine.screenText());
    expect(samePixels(g.view.pixels, hostPixels(machine))).toBe(true);
    expect(host.stats('g')!.keyframes).toBe(2); // joining, and the mode change back
  });

  it('malformed input: the guest asks for a keyframe and recovers; the host drops garbage and answers pings', () => {
    const host = new ScreenHost(machine.vga);
    const p = pair(host, 'p');
    host.tick();
    p.down.deliver();
    p.view.receive(new Uint8Array([Msg.TextDelta, 1, 0, 0xff, 0xff, 1, 0, 0x41, 0x07])); // a run beyond any screen
    expect(p.view.errors).toBe(1);
    expect(p.view.synced).toBe(false);
    p.view.receive(encode({ type: Msg.TextDelta, runs: [{ offset: 3000, cells: new Uint16Array([0x0741]) }] })); // ignored while waiting
    expect(p.view.errors).toBe(1);
    p.up.deliver(); // the keyframe request
    host.tick();
    p.down.deliver();
    expect(p.view.synced).toBe(true);
    expect(p.view.text()).toBe(machine.screenText());

    host.receive('p', new Uint8Array([99, 1, 2]));
    host.receive('p', encode({ type: Msg.Frame, frame: 1, keyframe: false }));
    host.receive('p', new Uint8Array(20_000));
    expect(host.malformed).toBe(3);
    host.receive('p', encode({ type: Msg.Ping, id: 7, time: 123.5 }));
    const pong = p.down.queue.at(-1)!;
    expect(pong[0]).toBe(Msg.Pong);
    p.view.requestKeyframe(KeyframeReason.Gap);
    expect(p.up.queue.at(-1)).toEqual(new Uint8Array([Msg.KeyframeRequest, KeyframeReason.Gap]));
  });
});
