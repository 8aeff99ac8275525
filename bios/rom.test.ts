import { describe, expect, it } from 'vitest';
import { FONT8X8, MemoryBlockDevice, Reg, Reg8, Seg } from '../core/index.js';
import { Entry, ROM_SIZE, buildRom } from './rom.js';
import { Svc } from './services.js';
import { bootSector, image, tap, testMachine } from './test-support.js';

describe('ROM image', () => {
  const { image: rom, labels } = buildRom();

  it('is 64 KiB with a zero checksum, the reset vector, date and model byte', () => {
    expect(rom.length).toBe(ROM_SIZE);
    expect(rom.reduce((a, b) => (a + b) & 0xff, 0)).toBe(0);
    expect(Array.from(rom.subarray(0xfff0, 0xfff5))).toEqual([0xea, 0x5b, 0xe0, 0x00, 0xf0]); // jmp F000:E05B
    expect(String.fromCharCode(...rom.subarray(0xfff5, 0xfffd))).toMatch(/^\d\d\/\d\d\/\d\d$/);
    expect(rom[0xfffe]).toBe(0xfc);
  });

  it('has the IBM fixed entry points, each jumping to its handler', () => {
    const jumpTarget = (at: number) => {
      expect(rom[at]).toBe(0xe9); // jmp rel16
      return (at + 3 + (rom[at + 1] | (rom[at + 2] << 8))) & 0xffff;
    };
    const handlers: [number, string][] = [
      [Entry.post, 'post'], [Entry.int13hd, 'int13'], [Entry.int19, 'int19'], [Entry.int14, 'int14'], [Entry.int16, 'int16'],
      [Entry.int09, 'int09'], [Entry.int13, 'int13'], [Entry.int17, 'int17'], [Entry.int10, 'int10'], [Entry.int12, 'int12'],
      [Entry.int11, 'int11'], [Entry.int15, 'int15'], [Entry.int1a, 'int1a'], [Entry.int08, 'int08'],
    ];
    for (const [at, handler] of handlers) expect(jumpTarget(at), handler).toBe(labels[handler]);
    expect(rom[Entry.dummyIret]).toBe(0xcf);
    expect(labels.config_table).toBe(Entry.configTable);
    expect(labels.diskette_params).toBe(Entry.disketteParams);
    expect(rom[Entry.disketteParams + 4]).toBe(18); // sectors per track
  });

  it('holds the 8×8 glyphs of characters 00h-7Fh at F000:FA6E, as the IBM BIOS does', () => {
    expect(labels.crt_char_gen).toBe(Entry.charGen);
    expect(Array.from(rom.subarray(Entry.charGen, Entry.charGen + 128 * 8))).toEqual(Array.from(FONT8X8.glyphs.subarray(0, 128 * 8)));
    const glyph = (c: number) => Array.from(rom.subarray(Entry.charGen + c * 8, Entry.charGen + c * 8 + 8));
    expect(glyph(0x20)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]); // space
    expect(glyph(0x41).filter((row) => row !== 0).length).toBeGreaterThan(4); // 'A' has ink
    expect(glyph(0x41)).not.toEqual(glyph(0x42));
  });

  it('only traps with service numbers the TypeScript side knows', () => {
    const known = new Set<number>(Object.values(Svc));
    const used = new Set<number>();
    // Code ends where the fixed area's padding starts; a trap is 0F FF ib.
    for (let i = 0; i + 2 < labels.msg_no_boot; i++) if (rom[i] === 0x0f && rom[i + 1] === 0xff) used.add(rom[i + 2]);
    expect(used.size).toBeGreaterThan(8);
    for (const n of used) expect(known.has(n), `service ${n.toString(16)}`).toBe(true);
  });
});

describe('BIOS state lives in guest memory', () => {
  it('survives a snapshot into another machine: the keyboard buffer and video state carry on', async () => {
    const code = bootSector(`
        mov si, ready
        call print
.loop:  xor ah, ah
        int 0x16
        call putc
        jmp .loop
ready:  db 'ready:', 0`);
    const disk = () => new MemoryBlockDevice(image(1474560, code));
    const a = testMachine({ floppies: [disk()] });
    await a.m.runUntil(() => a.serial() === 'ready:', { timeoutMs: 5000 });
    a.m.keyboard.sendScancodes([...tap('a'), ...tap('b')]);
    await a.m.runUntil(() => a.serial() === 'ready:ab', { timeoutMs: 5000 });
    const snapshot = a.m.saveState();

    const b = testMachine({ floppies: [disk()] });
    b.m.loadState(snapshot);
    b.m.keyboard.sendScancodes(tap('c'));
    await b.m.runUntil(() => b.serial() === 'c', { timeoutMs: 5000 });
    expect(b.serial()).toBe('c');
    expect(b.m.screenText()).toContain('ready:abc');
    // The first machine is untouched by the second.
    expect(a.serial()).toBe('ready:ab');
  });

  it('runs two machines in one process with different disks', async () => {
    const machine = (text: string) => {
      const t = testMachine({ floppies: [new MemoryBlockDevice(image(1474560, bootSector(`mov si, msg\ncall print\njmp $\nmsg: db '${text}', 0`)))] });
      return t;
    };
    const one = machine('first');
    const two = machine('second');
    for (let i = 0; i < 200 && (one.serial() !== 'first' || two.serial() !== 'second'); i++) {
      one.m.runSlice(20_000);
      two.m.runSlice(20_000);
    }
    expect(one.serial()).toBe('first');
    expect(two.serial()).toBe('second');
  });
});

describe('services with hostile arguments', () => {
  it('never throw, whatever the registers hold (seeded random calls of every service)', () => {
    const { m, log } = testMachine({
      floppies: [new MemoryBlockDevice(image(1474560 - 4096))],
      hardDisks: [new MemoryBlockDevice(image(2 * 1024 * 1024)), new MemoryBlockDevice(image(1000), true)],
    });
    m.runSlice(200_000); // through POST: BDA and EBDA are set up
    const host = {
      cpu: m.cpu, memory: m.memory, io: m.io, clock: m.clock, ramSize: m.ramSize, floppies: m.floppies, hardDisks: m.hardDisks, cdroms: m.cdroms,
      requestReset: () => {}, log: (s: string) => log.push(s),
    };
    let seed = 99;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed % n;
    };
    const services = Object.values(Svc).filter((s) => s !== Svc.PostInit);
    const interesting = [0, 1, 2, 3, 0x80, 0x81, 0xff, 0x55aa, 0xffff, 0x1234];
    for (let i = 0; i < 4000; i++) {
      for (let r = 0; r < 8; r++) if (r !== Reg.ESP) m.cpu.set32(r, random(3) ? interesting[random(interesting.length)] * (random(2) ? 1 : 0x10001) : random(0x7fffffff));
      m.cpu.set8(Reg8.AH, random(0x100));
      for (const s of [Seg.DS, Seg.ES]) m.cpu.setSegReal(s, random(0x10000));
      m.cpu.setSegReal(Seg.SS, 0);
      m.cpu.set16(Reg.ESP, 0x7000);
      m.firmware.trap!(services[random(services.length)], host);
    }
    expect(log.filter((line) => / failed: /.test(line))).toEqual([]);
  });
});
