import { describe, expect, it } from 'vitest';
import { Ps2OutputQueue } from './ps2.js';

describe('Ps2OutputQueue', () => {
  it('queues in order, refuses a byte when full, and lets answers jump ahead by dropping the newest byte', () => {
    const q = new Ps2OutputQueue(4);
    for (const b of [1, 2, 3, 4]) expect(q.push(b)).toBe(true);
    expect(q.push(5)).toBe(false);
    q.replaceNewest(0xff); // a keyboard's overrun marker in place of the newest key
    q.pushFront(0xfa); // an ACK ahead of everything: 0xff goes
    expect(q.length).toBe(4);
    expect([q.shift(), q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([0xfa, 1, 2, 3, -1]);
    expect(q.free).toBe(4);
  });

  it('wraps around and survives save/load; a foreign record is refused', () => {
    const q = new Ps2OutputQueue(4);
    q.push(1);
    q.push(2);
    q.shift();
    q.push(3);
    q.push(4);
    q.push(5); // wrapped
    const r = new Ps2OutputQueue(4);
    r.load('dev', structuredClone(q.save()));
    expect([r.shift(), r.shift(), r.shift(), r.shift(), r.shift()]).toEqual([2, 3, 4, 5, -1]);
    expect(() => r.load('dev', { bytes: new Uint8Array(8), head: 0, count: 0 })).toThrow(/dev: state field queue is not a 4-byte output queue/);
    expect(() => r.load('dev', undefined)).toThrow(/queue/);
  });
});
