import { describe, expect, it } from 'vitest';
import { IoBus } from './io.js';

describe('IoBus', () => {
  it('reads FFh from unclaimed ports and reports them', () => {
    const io = new IoBus();
    const unclaimed: number[] = [];
    io.onUnclaimed = (port) => unclaimed.push(port);
    expect(io.read8(0x1234)).toBe(0xff);
    expect(io.read16(0x1234)).toBe(0xffff);
    io.write8(0x80, 1);
    expect(unclaimed).toContain(0x80);
  });

  it('splits wide accesses into byte accesses unless the device handles them', () => {
    const io = new IoBus();
    const regs = new Uint8Array(4);
    io.registerRange('dev', 0x300, 4, { read8: (p) => regs[p - 0x300], write8: (p, v) => (regs[p - 0x300] = v) });
    io.write32(0x300, 0x04030201);
    expect([...regs]).toEqual([1, 2, 3, 4]);
    expect(io.read16(0x302)).toBe(0x0403);
    io.register('wide', 0x400, { read16: () => 0xbeef });
    expect(io.read16(0x400)).toBe(0xbeef);
  });

  it('gives ports back to their owner only, all or nothing', () => {
    const io = new IoBus();
    io.registerRange('card', 0xc000, 4, { read8: () => 0x12 });
    io.register('other', 0xc004, { read8: () => 0x34 });
    expect(() => io.unregisterRange('card', 0xc002, 3)).toThrow(/cannot release port 0xc004, it belongs to other/);
    expect(io.read8(0xc002)).toBe(0x12); // nothing released by the failed call
    expect(() => io.unregister('card', 0xd000)).toThrow(/unclaimed/);
    io.unregisterRange('card', 0xc000, 4);
    expect(io.read8(0xc002)).toBe(0xff);
    expect(io.owner(0xc000)).toBeUndefined();
    io.register('new', 0xc000, { read8: () => 0x56 }); // free for another device now
    expect(io.read8(0xc000)).toBe(0x56);
  });

  it('refuses a second owner for a port', () => {
    const io = new IoBus();
    io.register('pic', [0x20, 0x21], { read8: () => 0 });
    expect(() => io.register('other', 0x21, {})).toThrow(/0x0021 already claimed by pic/);
    expect(io.owner(0x20)).toBe('pic');
  });

  it('describes the port map in runs', () => {
    const io = new IoBus();
    io.register('pic', [0x20, 0x21], {});
    io.register('pit', [0x40, 0x41, 0x42, 0x43], {});
    expect(io.describe()).toEqual(['0x0020-0x0021 pic', '0x0040-0x0043 pit']);
  });
});
