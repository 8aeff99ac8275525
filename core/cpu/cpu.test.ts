import { describe, expect, it } from 'vitest';
import { assemble } from '../asm/index.js';
import { Layout } from '../layout.js';
import { makeBench, load, runToHalt, setVector, type Bench } from './test-harness.js';

const CODE_SEG = 0x1000;
const ORIGIN = 0x100;
const AT = { origin: ORIGIN, bits: 16 as const };
const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

/** Points `vector` at a HLT (CS:F000), so a test can see that the exception happened and where. */
function haltOn(b: Bench, vector: number): void {
  setVector(b, vector, CODE_SEG, 0xf000);
  ram(b)[linear(CODE_SEG, 0xf000)] = 0xf4;
}

/** Assembles a 16-bit program at CS=1000h:0100h, runs it to its HLT, returns the bench. */
function exec(source: string, setup?: (b: Bench) => void, bench = makeBench()): Bench {
  const { bytes } = assemble(`${source}\nhlt\n`, AT);
  load(bench, bytes, CODE_SEG, ORIGIN);
  setup?.(bench);
  runToHalt(bench);
  expect(bench.cpu.halted, 'program reached HLT').toBe(true);
  return bench;
}

const reg = (b: Bench, r: number) => b.cpu.get32(r);
const flags = (b: Bench) => b.cpu.getFlags() & ARITH;
const linear = (seg: number, off: number) => seg * 16 + off;
const ram = (b: Bench) => b.memory.u8.subarray(Layout.RAM);

describe('arithmetic flags', () => {
  it('ADD sets CF, ZF, AF, PF at 8 bits', () => {
    const b = exec('mov al, 0xff\nadd al, 1');
    expect(reg(b, EAX) & 0xff).toBe(0);
    expect(flags(b)).toBe(CF | ZF | AF | PF);
  });

  it('SUB/CMP set SF and OF on signed overflow at 16 bits', () => {
    const b = exec('mov ax, 0x8000\ncmp ax, 1');
    expect(flags(b)).toBe(OF | AF | PF); // 0x7FFF: positive, overflow, borrow from bit 4
  });

  it('ADD at 32 bits carries out of bit 31 and keeps OF clear for unlike signs', () => {
    const b = exec('mov eax, 0xffffffff\nmov ebx, 2\nadd eax, ebx');
    expect(reg(b, EAX)).toBe(1);
    expect(flags(b) & (CF | OF | ZF | SF)).toBe(CF);
  });

  it('ADC and SBB chain a 64-bit add and subtract through CF', () => {
    const b = exec(`
      mov eax, 0xffffffff
      mov edx, 1
      add eax, 1
      adc edx, 0
      mov esi, 0
      mov edi, 5
      sub esi, 1
      sbb edi, 0`);
    expect(reg(b, EAX)).toBe(0);
    expect(reg(b, EDX)).toBe(2);
    expect(reg(b, ESI)).toBe(0xffffffff);
    expect(reg(b, EDI)).toBe(4);
  });

  it('INC and DEC leave CF as it was', () => {
    const b = exec('stc\nmov cx, 0xffff\ninc cx');
    expect(flags(b)).toBe(CF | ZF | AF | PF);
    const c = exec('clc\nmov cl, 0x80\ndec cl');
    expect(flags(c)).toBe(OF | AF);
  });

  it('logic clears CF and OF; NEG sets CF for non-zero', () => {
    const b = exec('stc\nmov ax, 0x1234\nand ax, 0xff00');
    expect(flags(b)).toBe(PF);
    const c = exec('mov bx, 5\nneg bx');
    expect(reg(c, EBX) & 0xffff).toBe(0xfffb);
    expect(flags(c) & (CF | SF)).toBe(CF | SF);
  });

  it('PUSHF/POPF and LAHF/SAHF see the lazily computed flags', () => {
    const b = exec('mov al, 0x7f\nadd al, 1\npushf\npop bx\nlahf');
    expect(reg(b, EBX) & ARITH).toBe(OF | SF | AF);
    expect((reg(b, EAX) >> 8) & 0xd5).toBe(SF | AF);
    const c = exec('mov ah, 0xd5\nsahf\npushf\npop bx');
    expect(reg(c, EBX) & ARITH).toBe(SF | ZF | AF | PF | CF);
  });

  it('DAA adjusts packed BCD after addition', () => {
    const b = exec('mov al, 0x38\nadd al, 0x45\ndaa');
    expect(reg(b, EAX) & 0xff).toBe(0x83);
    const c = exec('mov al, 0x99\nadd al, 0x01\ndaa');
    expect(reg(c, EAX) & 0xff).toBe(0x00);
    expect(flags(c) & CF).toBe(CF);
  });
});

describe('multiply and divide', () => {
  it('MUL and IMUL at 32 bits give the full 64-bit product', () => {
    const b = exec('mov eax, 0xfffffffe\nmov ecx, 0xfffffffd\nmul ecx');
    // (2^32-2)(2^32-3) = 2^64 - 5·2^32 + 6
    expect(reg(b, EDX)).toBe(0xfffffffb);
    expect(reg(b, EAX)).toBe(6);
    expect(flags(b) & (CF | OF)).toBe(CF | OF);
    const c = exec('mov eax, -3\nmov ecx, 7\nimul ecx');
    expect(reg(c, EAX)).toBe(0xffffffeb);
    expect(reg(c, EDX)).toBe(0xffffffff);
    expect(flags(c) & (CF | OF)).toBe(0);
  });

  it('IMUL with three operands truncates and flags overflow', () => {
    const b = exec('mov bx, 300\nimul ax, bx, 200');
    expect(reg(b, EAX) & 0xffff).toBe((300 * 200) & 0xffff);
    expect(flags(b) & (CF | OF)).toBe(CF | OF);
  });

  it('DIV and IDIV at 32 bits divide EDX:EAX exactly', () => {
    const b = exec('mov edx, 0x12345678\nmov eax, 0x9abcdef0\nmov ecx, 0x87654321\ndiv ecx');
    const n = (0x12345678n << 32n) | 0x9abcdef0n;
    expect(BigInt(reg(b, EAX))).toBe(n / 0x87654321n);
    expect(BigInt(reg(b, EDX))).toBe(n % 0x87654321n);
    const c = exec('mov eax, -1000001\ncdq\nmov ecx, 1000\nidiv ecx');
    expect(reg(c, EAX) | 0).toBe(-1000);
    expect(reg(c, EDX) | 0).toBe(-1);
  });

  it('division by zero and quotient overflow raise #DE with the DIV itself as return address', () => {
    const b = exec(
      `
      jmp start
    handler:
      mov bp, sp
      mov si, [bp]          ; the pushed IP
      hlt
    start:
      xor cx, cx
    faulting:
      div cx`,
      (bench) => setVector(bench, 0, CODE_SEG, ORIGIN + 2),
    );
    const labels = assemble(`jmp start\nhandler:\nmov bp, sp\nmov si, [bp]\nhlt\nstart:\nxor cx, cx\nfaulting:\ndiv cx\nhlt`, AT).labels;
    expect(b.exceptions).toEqual([0]);
    expect(reg(b, ESI)).toBe(labels.faulting);
    const c = exec('mov dx, 2\nmov ax, 0\nmov bx, 2\ndiv bx', (bench) => haltOn(bench, 0));
    expect(c.exceptions).toEqual([0]);
  });

  it('AAM 0 raises #DE; AAM 10 splits AL', () => {
    const b = exec('mov al, 0x7b\naam 10');
    expect(reg(b, EAX) & 0xffff).toBe(0x0c03);
    const c = exec('mov al, 5\naam 0', (bench) => haltOn(bench, 0));
    expect(c.exceptions).toEqual([0]);
  });
});

describe('invalid opcodes and faults through the IVT', () => {
  it('#UD for UD2, FF /7, an unassigned 0F opcode, protected-mode-only instructions and CMPXCHG8B on a register', () => {
    const sources = ['db 0x0f, 0x0b', 'db 0xff, 0xf8', 'db 0x0f, 0x0d, 0xc0', 'db 0x63, 0xc0', 'db 0x0f, 0x00, 0xc0', 'db 0x0f, 0x02, 0xc0', 'db 0x0f, 0xc7, 0xc8'];
    for (const src of sources) {
      const b = exec(src, (bench) => haltOn(bench, 6));
      expect(b.exceptions, src).toEqual([6]);
      expect(b.cpu.getEip()).toBe(0xf001);
    }
  });

  it('#UD for LOCK on a register destination or a non-lockable instruction', () => {
    for (const src of ['db 0xf0, 0x01, 0xc0', 'db 0xf0, 0x90']) {
      const b = exec(src, (bench) => haltOn(bench, 6));
      expect(b.exceptions, src).toEqual([6]);
    }
    const ok = exec('lock add [bx], ax');
    expect(ok.exceptions).toEqual([]);
  });

  it('#GP for a word that runs past offset FFFF; #SS when the segment is SS', () => {
    const b = exec('mov bx, 0xffff\nmov ax, [bx]', (bench) => haltOn(bench, 13));
    expect(b.exceptions).toEqual([13]);
    const c = exec('mov sp, 0xffff\npop ax', (bench) => haltOn(bench, 12));
    expect(c.exceptions).toEqual([12]);
    expect(reg(c, ESP)).toBe(0xfff9); // the POP did not move SP; the exception frame did
  });

  it('PUSH with SP=1 shuts the CPU down (no room for the exception frame either)', () => {
    let shutdowns = 0;
    const bench = makeBench({ onShutdown: () => shutdowns++ });
    exec('mov sp, 1\npush ax', undefined, bench);
    expect(shutdowns).toBe(1);
  });

  it('BOUND raises #BR outside the bounds', () => {
    const b = exec('mov word [0x200], 10\nmov word [0x202], 20\nmov ax, 21\nbound ax, [0x200]', (bench) => haltOn(bench, 5));
    expect(b.exceptions).toEqual([5]);
    const c = exec('mov word [0x200], 10\nmov word [0x202], 20\nmov ax, 20\nbound ax, [0x200]');
    expect(c.exceptions).toEqual([]);
  });

  it('a fault while delivering a fault is a double fault; a third shuts down', () => {
    let shutdowns = 0;
    const bench = makeBench({ onShutdown: () => shutdowns++ });
    const { bytes } = assemble(`lidt [idt]\nint 0x21\nhlt\nidt: dw 0, 0, 0`, AT);
    load(bench, bytes, CODE_SEG, ORIGIN);
    bench.cpu.setSegReal(3, CODE_SEG);
    runToHalt(bench);
    expect(shutdowns).toBe(1);
  });
});

describe('string instructions', () => {
  it('REP MOVSB copies with a segment override on the source', () => {
    const b = exec(
      'mov ax, 0x2000\nmov es, ax\nmov si, 0x10\nmov di, 0x40\nmov cx, 5\ncld\nrep fs movsb',
      (bench) => {
        bench.cpu.setSegReal(4, 0x3000);
        ram(bench).set([1, 2, 3, 4, 5, 6], linear(0x3000, 0x10));
      },
    );
    expect(Array.from(ram(b).subarray(linear(0x2000, 0x40), linear(0x2000, 0x46)))).toEqual([1, 2, 3, 4, 5, 0]);
    expect(reg(b, ECX)).toBe(0);
    expect(reg(b, ESI)).toBe(0x15);
    expect(reg(b, EDI)).toBe(0x45);
  });

  it('REP STOSW backwards and REPE CMPSB stopping at the first difference', () => {
    const b = exec('mov ax, 0x2000\nmov es, ax\nmov di, 0x106\nmov cx, 4\nmov ax, 0xabcd\nstd\nrep stosw\ncld');
    const words = new Uint16Array(ram(b).slice(linear(0x2000, 0x100), linear(0x2000, 0x108)).buffer);
    expect(Array.from(words)).toEqual([0xabcd, 0xabcd, 0xabcd, 0xabcd]);
    expect(reg(b, EDI)).toBe(0xfe);
    const c = exec('push ds\npop es\nmov si, 0x300\nmov di, 0x400\nmov cx, 8\nrepe cmpsb', (bench) => {
      ram(bench).set([1, 2, 3, 4], 0x300);
      ram(bench).set([1, 2, 9, 4], 0x400);
    });
    expect(reg(c, ECX)).toBe(5);
    expect(reg(c, ESI)).toBe(0x303);
    expect(flags(c) & ZF).toBe(0);
  });

  it('overlapping forward copies behave element by element (a byte pattern fill; words one byte apart)', () => {
    const b = exec('push ds\npop es\nmov byte [0x500], 0xab\nmov si, 0x500\nmov di, 0x501\nmov cx, 10\nrep movsb');
    expect(Array.from(ram(b).subarray(0x500, 0x50c))).toEqual([...new Array(11).fill(0xab), 0]);
    const c = exec('push ds\npop es\nmov si, 0x600\nmov di, 0x601\nmov cx, 2\nrep movsw', (bench) => ram(bench).set([1, 2, 3, 4, 5], 0x600));
    // word 1 reads (1,2) and writes it to 601; word 2 reads [602,603] = (2,4) and writes it to 603
    expect(Array.from(ram(c).subarray(0x600, 0x605))).toEqual([1, 1, 2, 2, 4]);
  });

  it('REP STOSD and MOVSW across a page boundary and into ROM (writes dropped there)', () => {
    const bench = makeBench();
    bench.memory.loadBios(new Uint8Array(0x10000).fill(0xf4));
    const b = exec('mov ax, 0xef00\nmov es, ax\nmov di, 0xff0\nmov eax, 0x11223344\nmov cx, 8\nrep stosd', undefined, bench);
    expect(b.memory.read32(0xefff0)).toBe(0x11223344); // RAM below the ROM
    expect(b.memory.read32(0xf0000)).toBe(0xf4f4f4f4); // ROM unchanged
    expect(reg(b, EDI)).toBe(0x1010);
  });

  it('32-bit addressing uses ESI/EDI/ECX', () => {
    const b = exec('xor ax, ax\nmov es, ax\nmov esi, 0x500\nmov edi, 0x600\nmov ecx, 2\na32 rep movsd', (bench) => {
      ram(bench).set([1, 2, 3, 4, 5, 6, 7, 8], 0x500);
    });
    expect(Array.from(ram(b).subarray(0x600, 0x608))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(reg(b, ESI)).toBe(0x508);
    expect(reg(b, ECX)).toBe(0);
  });

  it('a long REP yields to interrupts and resumes where it was', () => {
    const b = makeBench({ acknowledgeInterrupt: () => 0x40 });
    const { bytes } = assemble(`sti\nxor ax, ax\nmov es, ax\nmov di, 0x1000\nmov cx, 0x8000\nrep stosb\nhlt`, AT);
    load(b, bytes, CODE_SEG, ORIGIN);
    setVector(b, 0x40, CODE_SEG, 0xf000);
    ram(b).set(assemble('inc bx\niret', AT).bytes, linear(CODE_SEG, 0xf000));
    b.cpu.run(7); // into the REP
    b.cpu.setIntr(true);
    b.cpu.run(1);
    b.cpu.setIntr(false);
    runToHalt(b);
    expect(reg(b, EBX)).toBe(1);
    expect(reg(b, ECX)).toBe(0);
    expect(reg(b, EDI)).toBe(0x9000);
  });

  it('INS and OUTS go through the I/O bus', () => {
    const out: number[] = [];
    const bench = makeBench();
    bench.io.register('test', 0x300, { read8: () => 0x5a, write8: (_p, v) => out.push(v) });
    const b = exec('push ds\npop es\nmov dx, 0x300\nmov di, 0x700\nmov cx, 3\nrep insb\nmov si, 0x700\nmov cx, 2\nrep outsb', undefined, bench);
    expect(Array.from(ram(b).subarray(0x700, 0x703))).toEqual([0x5a, 0x5a, 0x5a]);
    expect(out).toEqual([0x5a, 0x5a]);
  });
});

describe('32-bit operands and addressing in real mode', () => {
  it('SIB forms with scale, index and displacement', () => {
    const b = exec('mov ebx, 0x100\nmov esi, 3\nmov eax, [ebx+esi*4+0x10]\nmov ecx, [ebx*2+0x20]', (bench) => {
      new DataView(ram(bench).buffer, ram(bench).byteOffset).setUint32(0x11c, 0xdeadbeef, true);
      new DataView(ram(bench).buffer, ram(bench).byteOffset).setUint32(0x220, 0x01020304, true);
    });
    expect(reg(b, EAX)).toBe(0xdeadbeef);
    expect(reg(b, ECX)).toBe(0x01020304);
  });

  it('EBP as a base selects SS', () => {
    const b = exec('mov ax, 0x2000\nmov ss, ax\nmov ebp, 0x10\nmov eax, [ebp+4]', (bench) => {
      ram(bench).set([0x78, 0x56, 0x34, 0x12], linear(0x2000, 0x14));
    });
    expect(reg(b, EAX)).toBe(0x12345678);
  });

  it('a 32-bit offset above FFFF is #GP in real mode (the limit is FFFF)', () => {
    const b = exec('mov ebx, 0x10000\nmov al, [ebx]', (bench) => haltOn(bench, 13));
    expect(b.exceptions).toEqual([13]);
  });

  it('MOVZX, MOVSX, CWDE, CDQ, SETcc, BSWAP-free byte work', () => {
    const b = exec('mov bl, 0x80\nmovzx eax, bl\nmovsx ecx, bl\nmov dx, 0x8000\nmovsx edx, dx\nmov si, 0xff\ncmp si, 0x100\nsetb bh');
    expect(reg(b, EAX)).toBe(0x80);
    expect(reg(b, ECX)).toBe(0xffffff80);
    expect(reg(b, EDX)).toBe(0xffff8000);
    expect((reg(b, EBX) >> 8) & 0xff).toBe(1);
  });

  it('SHLD/SHRD and 32-bit shifts and rotates', () => {
    const b = exec('mov eax, 0x12345678\nmov ebx, 0x9abcdef0\nshld eax, ebx, 8\nmov ecx, 0x12345678\nshrd ecx, ebx, 4\nmov edx, 0x80000001\nrol edx, 1\nmov esi, 0x80000000\nsar esi, 31');
    expect(reg(b, EAX)).toBe(0x3456789a);
    expect(reg(b, ECX)).toBe(0x01234567);
    expect(reg(b, EDX)).toBe(3);
    expect(reg(b, ESI)).toBe(0xffffffff);
  });

  it('BT/BTS/BTR/BTC with a register offset reach beyond the addressed dword; BSF/BSR', () => {
    const b = exec('mov bx, 0x400\nmov eax, 35\nbts dword [bx], eax\nmov eax, -1\nbts dword [bx], eax\nmov edx, 0x00f0\nbsf ecx, edx\nbsr esi, edx\nbt dx, 4', (bench) => {
      ram(bench).fill(0, 0x3f0, 0x410);
    });
    expect(ram(b)[0x404]).toBe(0x08); // bit 35 = byte 4, bit 3
    expect(ram(b)[0x3ff]).toBe(0x80); // bit -1 = the top bit of the byte below
    expect(reg(b, ECX)).toBe(4);
    expect(reg(b, ESI)).toBe(7);
    expect(flags(b) & CF).toBe(CF);
  });

  it('Jcc near, LOOP with ECX, and CALL/RET with 32-bit operands', () => {
    const b = exec(`
      mov ecx, 3
      xor ax, ax
    again:
      inc ax
      a32 loop again
      cmp ax, 3
      jz near fine
      mov ax, 0xdead
    fine:
      o32 call sub
      jmp done
    sub:
      mov bx, 0x77
      o32 ret
    done:`);
    expect(reg(b, EAX) & 0xffff).toBe(3);
    expect(reg(b, EBX) & 0xffff).toBe(0x77);
    expect(reg(b, ESP)).toBe(0x8000);
  });

  it('LSS, PUSH/POP FS and GS, PUSHAD/POPAD, ENTER/LEAVE', () => {
    const b = exec(`
      mov word [0x200], 0x7000
      mov word [0x202], 0x3000
      lss sp, [0x200]
      mov ax, 0x1234
      mov fs, ax
      push fs
      pop gs
      mov eax, 0x11111111
      mov edi, 0x22222222
      pushad
      xor eax, eax
      xor edi, edi
      popad
      mov bp, 0x5555
      enter 16, 0
      mov cx, sp
      mov dx, bp
      leave`);
    expect(b.cpu.getSeg(2)).toBe(0x3000);
    expect(b.cpu.getSeg(5)).toBe(0x1234);
    expect(reg(b, EAX)).toBe(0x11111111);
    expect(reg(b, EDI)).toBe(0x22222222);
    expect(reg(b, EDX) & 0xffff).toBe(0x6ffe);
    expect(reg(b, ECX) & 0xffff).toBe(0x6ffe - 16);
    expect(reg(b, EBP) & 0xffff).toBe(0x5555);
    expect(reg(b, ESP) & 0xffff).toBe(0x7000);
  });

  it('control registers, descriptor-table registers and the machine status word', () => {
    const b = exec(`
      mov word [0x200], 0x3ff
      mov dword [0x202], 0x00012345
      lgdt [0x200]
      sgdt [0x210]
      mov eax, cr0
      mov ebx, eax
      or eax, 8
      mov cr0, eax
      smsw cx
      clts
      mov edx, cr0
      mov eax, 0x1000
      mov cr3, eax
      mov esi, cr3`);
    expect(b.memory.read16(0x210)).toBe(0x3ff);
    expect(b.memory.read32(0x212)).toBe(0x12345);
    expect(reg(b, EBX)).toBe(0x60000010);
    expect(reg(b, ECX) & 0xffff).toBe(0x18);
    expect(reg(b, EDX)).toBe(0x60000010);
    expect(reg(b, ESI)).toBe(0x1000);
  });
});

describe('the firmware trap', () => {
  const trapProgram = (service: number) => new Uint8Array([0x0f, 0xff, service, 0xf4]);

  it('is honoured inside the BIOS ROM: the service runs and execution continues after it', () => {
    const calls: number[] = [];
    const bench = makeBench({
      firmwareTrap: (service) => {
        calls.push(service);
        bench.cpu.set16(0, 0x4242);
        return true;
      },
    });
    const rom = new Uint8Array(0x10000).fill(0xf4);
    rom.set(trapProgram(0x13), 0x1000);
    bench.memory.loadBios(rom);
    bench.cpu.setSegReal(1, 0xf000);
    bench.cpu.setEip(0x1000);
    runToHalt(bench);
    expect(calls).toEqual([0x13]);
    expect(bench.cpu.get16(0)).toBe(0x4242);
    expect(bench.cpu.getEip()).toBe(0x1004);
  });

  it('returning false leaves EIP on the trap and ends the slice; it runs again next time', () => {
    let ready = false;
    let calls = 0;
    const bench = makeBench({ firmwareTrap: () => (calls++, ready) });
    const rom = new Uint8Array(0x10000).fill(0xf4);
    rom.set(trapProgram(1), 0x2000);
    bench.memory.loadBios(rom);
    bench.cpu.setSegReal(1, 0xf000);
    bench.cpu.setEip(0x2000);
    expect(bench.cpu.run(100)).toBe(1);
    expect(bench.cpu.getEip()).toBe(0x2000);
    ready = true;
    runToHalt(bench);
    expect(calls).toBe(2);
    expect(bench.cpu.getEip()).toBe(0x2004);
  });

  it('is #UD in RAM', () => {
    const calls: number[] = [];
    const bench = makeBench({ firmwareTrap: (s) => (calls.push(s), true) });
    bench.memory.loadBios(new Uint8Array(0x10000).fill(0xf4));
    const b = exec('db 0x0f, 0xff, 0x13', (x) => haltOn(x, 6), bench);
    expect(calls).toEqual([]);
    expect(b.exceptions).toEqual([6]);
  });
});

describe('interrupts, HLT and single-step', () => {
  function interruptBench(vector = 0x08) {
    let acks = 0;
    const bench = makeBench({ acknowledgeInterrupt: () => (acks++, vector) });
    setVector(bench, vector, CODE_SEG, 0x800);
    ram(bench).set(assemble('inc bx\niret', AT).bytes, linear(CODE_SEG, 0x800));
    return { bench, acks: () => acks };
  }

  it('a halted CPU with IF=1 wakes on INTR inside run() and takes the interrupt', () => {
    const { bench, acks } = interruptBench();
    const { bytes } = assemble(`sti\nhlt\nmov cx, 7\nhlt`, AT);
    load(bench, bytes, CODE_SEG, ORIGIN);
    bench.cpu.run(100);
    expect(bench.cpu.halted).toBe(true);
    expect(bench.cpu.run(100)).toBe(0); // nothing pending: stays halted
    bench.cpu.setIntr(true);
    bench.cpu.run(2); // wake, handler's INC BX; the handler deasserts nothing, so lower INTR now
    bench.cpu.setIntr(false);
    runToHalt(bench);
    expect(acks()).toBe(1);
    expect(bench.cpu.get16(3)).toBe(1);
    expect(bench.cpu.get16(1)).toBe(7);
  });

  it('IF=0 holds INTR off, and STI waits one instruction', () => {
    const { bench, acks } = interruptBench();
    const { bytes } = assemble(`cli\nnop\nsti\nmov dx, bx\nhlt`, AT);
    load(bench, bytes, CODE_SEG, ORIGIN);
    bench.cpu.setIntr(true);
    bench.cpu.run(3); // CLI, NOP, STI: nothing taken
    expect(acks()).toBe(0);
    bench.cpu.run(1); // MOV DX,BX runs in the STI shadow
    expect(acks()).toBe(0);
    bench.cpu.run(1); // now the interrupt
    bench.cpu.setIntr(false);
    expect(acks()).toBe(1);
    runToHalt(bench);
    expect(bench.cpu.get16(2)).toBe(0);
    expect(bench.cpu.get16(3)).toBe(1);
  });

  it('TF traps after each instruction through vector 1 (from the one after POPF; not after HLT)', () => {
    const b = exec('pushf\npop ax\nor ax, 0x100\npush ax\npopf\nnop\nnop\nhlt', (bench) => {
      setVector(bench, 1, CODE_SEG, 0x900);
      ram(bench).set(assemble('inc si\niret', AT).bytes, linear(CODE_SEG, 0x900));
    });
    expect(b.exceptions).toEqual([1, 1]);
    expect(reg(b, ESI)).toBe(2);
  });
});

describe('instances', () => {
  it('two CPUs in one process keep separate state', () => {
    const a = exec('mov ax, 1\nmov bx, 0xaaaa');
    const b = exec('mov ax, 2');
    expect(a.cpu.get16(0)).toBe(1);
    expect(b.cpu.get16(0)).toBe(2);
    expect(a.cpu.get16(3)).toBe(0xaaaa);
    expect(b.cpu.get16(3)).toBe(0);
    expect(a.cpu.instructions).toBe(3);
  });

  it('reset puts the CPU at F000:FFF0 with base FFFF0000 and the P6 signature (family 6) in EDX', () => {
    const b = makeBench();
    b.cpu.reset();
    expect(b.cpu.getSeg(1)).toBe(0xf000);
    expect(b.cpu.segBase(1)).toBe(0xffff0000);
    expect(b.cpu.getEip()).toBe(0xfff0);
    expect(b.cpu.getFlags()).toBe(2);
    expect((b.cpu.get32(2) >> 8) & 0xf).toBe(6);
  });

  it('starts from the ROM alias at the top of 4 GiB after reset', () => {
    const bench = makeBench();
    const rom = new Uint8Array(0x10000).fill(0xf4);
    rom.set([0xb8, 0x34, 0x12, 0xf4], 0xfff0); // mov ax, 0x1234; hlt
    bench.memory.loadBios(rom);
    bench.cpu.reset();
    runToHalt(bench);
    expect(bench.cpu.get16(0)).toBe(0x1234);
  });
});
