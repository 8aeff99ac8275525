import { describe, expect, it } from 'vitest';
import { IoBus } from '../io.js';
import { DebugPorts } from './debugports.js';
import { Port92 } from './port92.js';

describe('Port92', () => {
  it('gates A20 with bit 1 and resets on a 0→1 write of bit 0', () => {
    const io = new IoBus();
    const a20: boolean[] = [];
    let resets = 0;
    const port = new Port92({ io, setA20: (on) => a20.push(on), resetSystem: () => resets++ });
    expect(io.read8(0x92)).toBe(0);
    io.write8(0x92, 0x02);
    expect(a20).toEqual([true]);
    expect(port.a20).toBe(true);
    expect(io.read8(0x92)).toBe(0x02);
    io.write8(0x92, 0x03);
    expect(resets).toBe(1);
    io.write8(0x92, 0x03); // bit 0 already set: no new reset
    expect(resets).toBe(1);
    io.write8(0x92, 0x00);
    expect(a20.at(-1)).toBe(false);
    port.reset();
    expect(io.read8(0x92)).toBe(0);
  });

  it('round-trips its state', () => {
    const io = new IoBus();
    const a = new Port92({ io });
    io.write8(0x92, 0x0a);
    const b = new Port92({ io: new IoBus() });
    b.loadState(structuredClone(a.saveState()));
    expect(b.a20).toBe(true);
    expect(b.saveState()).toEqual(a.saveState());
    expect(() => b.loadState({ version: 1 })).toThrow(/value/);
  });
});

describe('DebugPorts', () => {
  it('prints E9h bytes, reads back E9h, and exits with (V << 1) | 1 on F4h writes of any width', () => {
    const io = new IoBus();
    const out: number[] = [];
    const exits: number[] = [];
    const ports = new DebugPorts({ io, onDebugCon: (b) => out.push(b), onExit: (c) => exits.push(c) });
    io.write8(0xe9, 0x41);
    expect(out).toEqual([0x41]);
    expect(io.read8(0xe9)).toBe(0xe9);
    io.write8(0xf4, 0x10);
    io.write16(0xf4, 0x0100);
    io.write32(0xf4, 0x31);
    expect(exits).toEqual([0x21, 0x201, 0x63]);
    expect(ports.saveState()).toEqual({ version: 1 });
    ports.loadState(structuredClone(ports.saveState()));
    expect(() => ports.loadState({ version: 0 })).toThrow();
  });
});
