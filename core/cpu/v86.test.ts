import { describe, expect, it } from 'vitest';
import { assemble } from '../asm/index.js';
import { record, runProtected, SEL, setIdtGate, TSS } from './pm-harness.js';
import type { Bench } from './test-harness.js';

const GP = 13;
const V86_CS = 0x5000;
const V86_SS = 0x6000;
const VM = 1 << 17;

/**
 * Ring-0 code that enters virtual-8086 mode at V86_CS:0 with IOPL `iopl`, SS:SP = V86_SS:0xFFF0 and
 * DS = ES = FS = GS = 0x1000; `v86` is the 16-bit code (copied to V86_CS:0 by setup).
 */
function enterV86(iopl: number): string {
  return `
    push 0x1000
    push 0x1000
    push 0x1000
    push 0x1000
    push ${V86_SS}
    push 0xfff0
    push ${VM | (iopl << 12) | 2}
    push ${V86_CS}
    push 0
    iretd`;
}

function runV86(v86: string, iopl: number, more?: string, setup?: (b: Bench, at: Record<string, number>) => void) {
  const code = assemble(v86, { origin: 0, bits: 16 });
  const b = runProtected(`${enterV86(iopl)}\n${more ?? ''}`, {
    setup: (bench, at) => {
      bench.memory.writeBytes(V86_CS * 16, code.bytes);
      setup?.(bench, at);
    },
  });
  return Object.assign(b, { v86at: code.labels });
}

/** The monitor's view of a trap from V86 mode: EIP CS EFLAGS ESP SS ES DS FS GS on the ring-0 stack. */
function frame(b: Bench): number[] {
  const esp = record(b).esp;
  return [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => b.memory.read32(esp + 4 * i));
}

describe('virtual-8086 mode', () => {
  it('IRETD with VM enters V86 mode: real-mode addressing at CPL 3; CLI with IOPL 0 traps to the ring-0 monitor', () => {
    const b = runV86('mov ax, 0x1234\nmov ds, ax\nmov [2], ax\nmov bx, [0]\nfault: cli', 0, '', (bench) => bench.memory.write16(0x12340, 0xbeef));
    expect(b.memory.read16(0x12342)).toBe(0x1234);
    expect(b.cpu.get32(3) & 0xffff).toBe(0xbeef);
    expect(record(b)).toMatchObject({ vector: GP, code: 0, eip: b.v86at.fault, cs: V86_CS });
    expect(record(b).eflags & VM).toBe(VM);
    const f = frame(b);
    expect(f.slice(3)).toEqual([0xfff0, V86_SS, 0x1000, 0x1234, 0x1000, 0x1000]);
    // The monitor runs with the data segments null.
    expect([b.cpu.getSeg(0), b.cpu.getSeg(3), b.cpu.getSeg(4), b.cpu.getSeg(5)]).toEqual([0, 0, 0, 0]);
  });

  it('PUSHF, POPF, INT n, IRET and STI are #GP(0) with IOPL < 3', () => {
    for (const op of ['pushf', 'popf', 'int 0x21', 'iret', 'sti']) {
      const b = runV86(op, 2);
      expect(record(b), op).toMatchObject({ vector: GP, code: 0, eip: 0, cs: V86_CS });
    }
  });

  it('with IOPL 3: CLI/STI, PUSHF/POPF work in place (IOPL itself stays); INT n goes through the IDT to ring 0 and IRETD returns', () => {
    const b = runV86(
      `
      cli
      pushf
      pop ax
      and ax, 0x0fff
      push ax
      popf
      pushf
      pop cx
      int 0x40
    back:
      mov bx, 0x77
      hlt`,
      3,
      `
    handler:
      mov eax, [esp]
      mov [ss:0x700], eax
      mov eax, [esp + 4]
      mov [ss:0x704], eax
      iretd`,
      (bench, at) => setIdtGate(bench, 0x40, SEL.CODE0, at.handler, 0x0e, 3),
    );
    expect(b.cpu.get32(1) & 0x3000).toBe(0x3000); // POPF could not clear IOPL
    expect(b.memory.read32(0x700)).toBe(b.v86at.back); // the return IP after INT 40h
    expect(b.memory.read32(0x704)).toBe(V86_CS);
    expect(b.cpu.get32(3) & 0xffff).toBe(0x77);
    expect(record(b)).toMatchObject({ vector: GP, cs: V86_CS }); // the HLT
  });

  it('IN and OUT consult the I/O bitmap whatever IOPL is', () => {
    const deny = (bench: Bench) => bench.memory.write8(TSS + 0x68 + (0x60 >> 3), 1);
    const denied = runV86('in al, 0x60', 3, '', deny);
    expect(record(denied)).toMatchObject({ vector: GP, code: 0, eip: 0 });
    const allowed = runV86('in al, 0x61\nmov bx, 5\nhlt', 0, '', deny);
    expect(allowed.cpu.get32(3) & 0xffff).toBe(5);
  });

  it('protected-mode-only instructions are #UD in V86 mode', () => {
    const b = runV86('db 0x0f, 0x00, 0xc0', 3); // SLDT ax
    expect(record(b)).toMatchObject({ vector: 6, eip: 0, cs: V86_CS });
  });
});
