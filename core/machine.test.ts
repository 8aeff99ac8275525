import { describe, expect, it } from 'vitest';
import { assemble } from './asm/index.js';
import { Machine } from './machine.js';

/** A 64 KiB ROM whose reset vector jumps to `source` at F000:0000 — a machine with no BIOS in the way. */
function rom(source: string): Uint8Array {
  return assemble(`bits 16\nstart:\n${source}\ntimes 0xfff0 - ($ - $$) db 0xf4\njmp 0xf000:start\ntimes 0x10000 - ($ - $$) db 0xf4\n`, { origin: 0, bits: 16 }).bytes;
}

function machineFor(source: string): Machine {
  return new Machine({ memoryMB: 2, firmware: { rom: rom(source) }, clock: 'deterministic' });
}

const COUNTER = (step: number) => `
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x8000
again:
  add word [0x500], ${step}
  adc word [0x502], 0
  jmp again
`;

const read32 = (m: Machine, addr: number) => m.memory.read32(addr);

describe('Machine', () => {
  it('runs two machines in one process without sharing anything', () => {
    const a = machineFor(COUNTER(1));
    const b = machineFor(COUNTER(3));
    for (let i = 0; i < 10; i++) {
      a.runSlice(1000);
      b.runSlice(1000);
    }
    expect(a.instructions).toBe(b.instructions);
    expect(read32(b, 0x500)).toBe(3 * read32(a, 0x500));
    expect(read32(a, 0x500)).toBeGreaterThan(1000);
  });

  it('saves and restores a snapshot: the copy continues exactly as the original', () => {
    const a = machineFor(COUNTER(5));
    a.runSlice(5000);
    const snapshot = a.saveState();
    a.runSlice(7000);
    const b = machineFor(COUNTER(5));
    b.loadState(snapshot);
    b.runSlice(7000);
    expect(read32(b, 0x500)).toBe(read32(a, 0x500));
    expect(b.cpu.getEip()).toBe(a.cpu.getEip());
    expect(() => machineFor('hlt').loadState({ ...snapshot, version: 99 })).toThrow(/snapshot version 99/);
  });

  it('resets on a triple fault (an interrupt with an empty IDT in real mode) and says why', () => {
    const m = machineFor(`
      xor ax, ax
      mov ds, ax
      inc word [0x600]
      cmp word [0x600], 2
      jae done
      lidt [zero]
      int 0x21
    done:
      hlt
    zero: dw 0, 0, 0`);
    const reasons: string[] = [];
    m.onReset = (reason) => reasons.push(reason);
    for (let i = 0; i < 20; i++) m.runSlice(1000);
    expect(reasons).toEqual(['triple fault']);
    expect(m.memory.read16(0x600)).toBe(2); // RAM survived the reset, and the second run went the other way
    expect(m.cpu.halted).toBe(true);
  });

  it('gates A20 as the OR of the 8042 output port and port 92h', () => {
    const m = machineFor(`
      mov ax, 0xffff
      mov es, ax
      xor ax, ax
      mov ds, ax
      mov byte [es:0x20], 0x22   ; FFFF:0020 = 0x100010 with A20 on (the reset state)
      mov al, 0xd1
      out 0x64, al
      mov al, 0xdd
      out 0x60, al               ; 8042 output port: A20 off; port 92h is off too
      mov byte [es:0x30], 0x33   ; wraps to 0x000020
      mov al, 2
      out 0x92, al               ; fast A20 on
      mov byte [es:0x40], 0x44   ; 0x100030
      hlt`);
    for (let i = 0; i < 10; i++) m.runSlice(1000);
    expect(m.memory.read8(0x100010)).toBe(0x22);
    expect(m.memory.read8(0x20)).toBe(0x33);
    expect(m.memory.read8(0x100020)).toBe(0);
    expect(m.memory.read8(0x100030)).toBe(0x44);
    expect(m.a20).toBe(true);
  });

  it('lets time pass while halted with a deterministic clock, so timer interrupts still come', () => {
    const m = machineFor(`
      cli
      xor ax, ax
      mov ds, ax
      mov ss, ax
      mov sp, 0x8000
      mov word [8*4], tick
      mov word [8*4+2], 0xf000
      mov al, 0x11
      out 0x20, al
      mov al, 0x08
      out 0x21, al
      mov al, 0x04
      out 0x21, al
      mov al, 0x01
      out 0x21, al
      mov al, 0xfe
      out 0x21, al               ; only IRQ0
      mov al, 0x34
      out 0x43, al
      mov al, 0x9c
      out 0x40, al
      mov al, 0x2e
      out 0x40, al               ; 0x2e9c: about 100 Hz
      sti
    idle:
      hlt
      jmp idle
    tick:
      inc word [0x700]
      mov al, 0x20
      out 0x20, al
      iret`);
    let guard = 0;
    while (m.memory.read16(0x700) < 5 && guard++ < 10_000) m.runSlice(10_000);
    expect(m.memory.read16(0x700)).toBe(5);
    const ms = m.clock.now() / 1e6;
    expect(ms).toBeGreaterThan(40);
    expect(ms).toBeLessThan(60);
    expect(m.instructions).toBeLessThan(10_000); // it slept rather than spun
  });
});
