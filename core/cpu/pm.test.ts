import { describe, expect, it } from 'vitest';
import {
  Access, CODE, GDT, IDT, record, runProtected, SEL, setDescriptor, setIdtGate, STACK0, STACK3, TSS, writeGate,
} from './pm-harness.js';
import type { Bench } from './test-harness.js';

const GP = 13, NP = 11, SS = 12, DF = 8, TS = 10;
const DATA = 0x40000;
const word = (b: Bench, at: number) => b.memory.read32(at);

describe('segment loads and checks', () => {
  it('a selector beyond the GDT limit is #GP(selector), with the faulting MOV as return address', () => {
    const b = runProtected('mov ax, 0x800\nfault: mov ds, ax');
    expect(record(b)).toMatchObject({ vector: GP, code: 0x800, eip: b.at.fault, cs: SEL.CODE0 });
  });

  it('SS needs a writable data segment at CPL; DS refuses execute-only code', () => {
    const setup = (b: Bench) => {
      setDescriptor(b, 0x40, 0, 0xfffff, 0x90, 0xc); // read-only data
      setDescriptor(b, 0x48, 0, 0xfffff, 0x98, 0xc); // execute-only code
    };
    expect(record(runProtected('mov ax, 0x40\nmov ss, ax', { setup }))).toMatchObject({ vector: GP, code: 0x40 });
    expect(record(runProtected('mov ax, 0x48\nmov ds, ax', { setup }))).toMatchObject({ vector: GP, code: 0x48 });
    expect(record(runProtected('mov ax, 0x40\nmov ds, ax\nmov eax, [0]', { setup })).vector).toBe(-1);
  });

  it('a segment that is not present: #NP for DS, #SS for SS', () => {
    const setup = (b: Bench) => setDescriptor(b, 0x40, 0, 0xfffff, 0x12, 0xc);
    expect(record(runProtected('mov ax, 0x40\nmov ds, ax', { setup }))).toMatchObject({ vector: NP, code: 0x40 });
    expect(record(runProtected('mov ax, 0x40\nmov ss, ax', { setup }))).toMatchObject({ vector: SS, code: 0x40 });
  });

  it('a null selector loads into DS; an access through it is #GP(0); SS refuses it', () => {
    const b = runProtected('xor eax, eax\nmov ds, ax\nnop\nfault: mov ebx, [0]');
    expect(record(b)).toMatchObject({ vector: GP, code: 0, eip: b.at.fault });
    expect(record(runProtected('xor eax, eax\nmov ss, ax'))).toMatchObject({ vector: GP, code: 0 });
  });

  it('limits: byte-granular, and expand-down segments whose valid offsets lie above the limit', () => {
    const setup = (b: Bench) => {
      setDescriptor(b, 0x40, DATA, 0xfff, Access.DATA, 0x4);
      setDescriptor(b, 0x48, DATA, 0xfff, 0x96, 0x4); // expand-down, B = 1: offsets 1000h..FFFFFFFFh
    };
    expect(record(runProtected('mov ax, 0x40\nmov es, ax\nmov ebx, [es:0xffc]', { setup })).vector).toBe(-1);
    expect(record(runProtected('mov ax, 0x40\nmov es, ax\nmov ebx, [es:0xffd]', { setup }))).toMatchObject({ vector: GP, code: 0 });
    expect(record(runProtected('mov ax, 0x48\nmov es, ax\nmov ebx, [es:0x1000]', { setup })).vector).toBe(-1);
    expect(record(runProtected('mov ax, 0x48\nmov es, ax\nmov ebx, [es:0xffe]', { setup }))).toMatchObject({ vector: GP, code: 0 });
    // A stack segment's limit violation is #SS(0) (at ring 3, so that the handler gets the ring-0 stack).
    const stack = (b: Bench) => setDescriptor(b, 0x50, DATA, 0xfff, Access.DATA3, 0x4);
    const ss = runProtected('mov ax, 0x53\nmov ss, ax\nmov esp, 0x1002\nfault: push eax', { setup: stack, ring3: true });
    expect(record(ss)).toMatchObject({ vector: SS, code: 0, eip: ss.at.fault });
  });

  it('writes to read-only data or through CS are #GP(0)', () => {
    const setup = (b: Bench) => setDescriptor(b, 0x40, 0, 0xfffff, 0x90, 0xc);
    expect(record(runProtected('mov ax, 0x40\nmov es, ax\nmov [es:0x40000], eax', { setup }))).toMatchObject({ vector: GP, code: 0 });
    expect(record(runProtected('mov [cs:0x40000], eax'))).toMatchObject({ vector: GP, code: 0 });
    // CMP and TEST only read their memory operand.
    expect(record(runProtected('mov ax, 0x40\nmov es, ax\ncmp dword [es:0x40000], 1\ntest [es:0x40000], eax', { setup })).vector).toBe(-1);
  });

  it('DPL and RPL: ring 3 cannot load a DPL-0 data segment; an RPL above DPL is refused at ring 0 too', () => {
    expect(record(runProtected('mov ax, 0x10\nmov ds, ax', { ring3: true }))).toMatchObject({ vector: GP, code: 0x10, cs: SEL.CODE3 });
    expect(record(runProtected('mov ax, 0x13\nmov ds, ax'))).toMatchObject({ vector: GP, code: 0x10 });
    const ok = runProtected('mov ax, 0x23\nmov ds, ax');
    expect(ok.cpu.getSeg(3)).toBe(0x23);
  });

  it('a segment load sets the descriptor accessed bit', () => {
    const b = runProtected('mov ax, 0x40\nmov ds, ax', { setup: (bench) => setDescriptor(bench, 0x40, 0, 0xfffff, 0x92, 0xc) });
    expect(b.memory.read8(GDT + 0x40 + 5)).toBe(0x93);
  });
});

describe('far transfers', () => {
  it('far JMP into 16-bit code and back into 32-bit code', () => {
    const b = runProtected(`
      jmp 0x40:low - ${CODE}
    bits 16
    low:
      mov ax, 0x1234
      mov ebx, 0x56789abc
      jmp dword ${SEL.CODE0}:high
    bits 32
    high:
      mov ecx, 0x11223344`, { setup: (bench) => setDescriptor(bench, 0x40, CODE, 0xffff, Access.CODE, 0) });
    expect(b.cpu.get32(0) & 0xffff).toBe(0x1234);
    expect(b.cpu.get32(3)).toBe(0x56789abc);
    expect(b.cpu.get32(1)).toBe(0x11223344);
    expect(record(b).vector).toBe(-1);
  });

  it('16-bit protected mode: a 286 interrupt gate pushes a 16-bit frame on a 16-bit stack; IRET returns', () => {
    const b = runProtected(
      `
      jmp 0x40:low - ${CODE}
    bits 16
    low:
      mov ax, 0x50
      mov ds, ax
      mov ax, 0x48
      mov ss, ax
      mov sp, 0x100
      int 0x50
    back16:
      mov [0x0f00], sp
      jmp dword ${SEL.CODE0}:high
    handler16:
      mov [0x0f02], sp
      mov bp, sp
      mov ax, [bp]
      mov [0x0f04], ax
      mov ax, [bp + 2]
      mov [0x0f06], ax
      iret
    bits 32
    high:
      nop`,
      {
        setup: (bench, at) => {
          setDescriptor(bench, 0x40, CODE, 0xffff, Access.CODE, 0); // 16-bit code
          setDescriptor(bench, 0x48, DATA, 0xffff, Access.DATA, 0); // 16-bit stack
          setDescriptor(bench, 0x50, CODE, 0xffff, Access.DATA, 0); // a data alias of the code, for the results
          setIdtGate(bench, 0x50, 0x40, at.handler16 - CODE, 0x06, 0);
        },
      },
    );
    expect(record(b).vector).toBe(-1);
    const w = (off: number) => b.memory.read16(CODE + off);
    expect(w(0xf02)).toBe(0x100 - 6); // FLAGS, CS, IP: three words
    expect(w(0xf04)).toBe(b.at.back16 - CODE); // the IP after INT 50h
    expect(w(0xf06)).toBe(0x40);
    expect(w(0xf00)).toBe(0x100);
  });

  it('a call gate from ring 3 to ring 0 copies two parameters to the ring-0 stack; RETF 8 returns to ring 3', () => {
    const b = runProtected(
      `
      push 0x11111111
      push 0x22222222
      call 0x73:0
    back:
      mov [${DATA + 0x40}], esp
      hlt
    gate:
      mov ecx, 6
      mov esi, esp
      mov edi, ${DATA}
    copy:
      mov eax, [esi]
      mov [edi], eax
      add esi, 4
      add edi, 4
      loop copy
      retf 8`,
      {
        ring3: true,
        setup: (bench, at) => writeGate(bench, GDT + 0x70, SEL.CODE0, at.gate, 0x0c, 3, 2),
      },
    );
    const frame = [0, 1, 2, 3, 4, 5].map((i) => word(b, DATA + 4 * i));
    expect(frame).toEqual([b.at.back, SEL.CODE3, 0x22222222, 0x11111111, STACK3 - 8, SEL.DATA3]);
    expect(word(b, DATA + 0x40)).toBe(STACK3);
    expect(record(b)).toMatchObject({ vector: GP, cs: SEL.CODE3 }); // the HLT back at ring 3
  });

  it('a call gate whose DPL is below CPL is #GP(gate selector)', () => {
    const b = runProtected('call 0x70:0', { ring3: true, setup: (bench) => writeGate(bench, GDT + 0x70, SEL.CODE0, CODE, 0x0c, 0) });
    expect(record(b)).toMatchObject({ vector: GP, code: 0x70 });
  });

  it('a far RET to ring 3 nulls the data segments ring 3 may not use', () => {
    const b = runProtected(`
      mov ax, ${SEL.DATA0}
      mov fs, ax
      mov ax, ${SEL.DATA3}
      mov gs, ax
      push ${SEL.DATA3}
      push ${STACK3}
      push ${SEL.CODE3}
      push user
      retf
    user:
      hlt`);
    expect(record(b)).toMatchObject({ vector: GP, cs: SEL.CODE3 });
    expect(b.cpu.getSeg(4)).toBe(0);
    expect(b.cpu.getSeg(5)).toBe(SEL.DATA3);
  });
});

describe('interrupts and exceptions in protected mode', () => {
  it('INT 80h from ring 3 through a DPL-3 interrupt gate: ring-0 stack, frame, IF cleared; IRETD back', () => {
    const b = runProtected(
      `
      mov eax, 7
      int 0x80
    back:
      pushfd
      pop dword [${DATA + 0x40}]
      hlt
    handler:
      pushfd
      pop dword [${DATA + 0x20}]
      mov [${DATA + 0x24}], esp
      mov ecx, 5
      mov esi, esp
      mov edi, ${DATA}
    copy:
      mov ebx, [esi]
      mov [edi], ebx
      add esi, 4
      add edi, 4
      loop copy
      iretd`,
      { ring3: true, setup: (bench, at) => setIdtGate(bench, 0x80, SEL.CODE0, at.handler, 0x0e, 3) },
    );
    const frame = [0, 1, 2, 3, 4].map((i) => word(b, DATA + 4 * i));
    expect(frame).toEqual([b.at.back, SEL.CODE3, 0x202, STACK3, SEL.DATA3]);
    expect(word(b, DATA + 0x24)).toBe(STACK0 - 20);
    expect(word(b, DATA + 0x20) & 0x200).toBe(0); // IF clear in the handler
    expect(word(b, DATA + 0x40) & 0x200).toBe(0x200); // and back after IRETD
    expect(record(b)).toMatchObject({ vector: GP, cs: SEL.CODE3 });
  });

  it('a trap gate leaves IF as it was', () => {
    const b = runProtected(
      `
      int 0x81
      hlt
    handler:
      pushfd
      pop dword [${DATA}]
      iretd`,
      { ring3: true, setup: (bench, at) => setIdtGate(bench, 0x81, SEL.CODE0, at.handler, 0x0f, 3) },
    );
    expect(word(b, DATA) & 0x200).toBe(0x200);
  });

  it('INT n through a gate with DPL < CPL is #GP(vector × 8 + 2)', () => {
    const b = runProtected('int 0x30', { ring3: true, setup: (bench) => setIdtGate(bench, 0x30, SEL.CODE0, CODE, 0x0e, 0) });
    expect(record(b)).toMatchObject({ vector: GP, code: 0x30 * 8 + 2, eip: CODE });
  });

  it('a not-present gate is #NP(vector × 8 + 2), with EXT for an exception', () => {
    const clear = (v: number) => (bench: Bench) => bench.memory.write8(IDT + v * 8 + 5, 0x0e);
    expect(record(runProtected('int 0x31', { setup: clear(0x31) }))).toMatchObject({ vector: NP, code: 0x31 * 8 + 2 });
    expect(record(runProtected('ud2', { setup: clear(6) }))).toMatchObject({ vector: NP, code: 6 * 8 + 3 });
  });

  it('an exception at ring 3 pushes SS:ESP on the ring-0 stack', () => {
    const b = runProtected('mov ebx, [0xfffffffe]', { ring3: true });
    const r = record(b);
    expect(r).toMatchObject({ vector: GP, code: 0, eip: CODE, cs: SEL.CODE3 });
    expect(r.esp).toBe(STACK0 - 20);
    expect(word(b, r.esp + 12)).toBe(STACK3);
    expect(word(b, r.esp + 16)).toBe(SEL.DATA3);
  });

  it('a contributory fault while delivering one is a double fault with error code 0', () => {
    const b = runProtected('mov ebx, [0xfffffffe]', { setup: (bench) => bench.memory.write8(IDT + GP * 8 + 5, 0x0e) });
    expect(record(b)).toMatchObject({ vector: DF, code: 0 });
    expect(b.exceptions).toEqual([GP, DF]); // the #NP of the delivery became the #DF
  });

  it('a fault while delivering the double fault shuts the CPU down', () => {
    let shutdowns = 0;
    const setup = (bench: Bench) => {
      bench.cpu.onShutdown = () => shutdowns++;
      bench.memory.write8(IDT + GP * 8 + 5, 0x0e);
      bench.memory.write8(IDT + DF * 8 + 5, 0x0e);
    };
    runProtected('mov ebx, [0xfffffffe]', { setup });
    expect(shutdowns).toBe(1);
  });

  it('a vector beyond the IDT limit is #GP(vector × 8 + 2)', () => {
    const setup = (bench: Bench) => {
      bench.memory.write16(DATA, 0x6f); // gates 0-13
      bench.memory.write32(DATA + 2, IDT);
    };
    const b = runProtected(`lidt [${DATA}]\nfault: int 0x20`, { setup });
    expect(record(b)).toMatchObject({ vector: GP, code: 0x20 * 8 + 2, eip: b.at.fault });
  });
});

describe('privilege and the I/O permission bitmap', () => {
  const privileged = ['hlt', 'cli', 'mov cr0, eax', `lgdt [${DATA}]`, 'mov ax, 0x28\nltr ax', `invlpg [${DATA}]`, 'rdmsr', 'wrmsr', 'mov dr0, eax', 'clts', 'wbinvd'];
  it.each(privileged)('%s at CPL 3 is #GP(0)', (instruction) => {
    const b = runProtected(instruction, { ring3: true });
    expect(record(b)).toMatchObject({ vector: GP, code: 0, cs: SEL.CODE3 });
  });

  it('IN/OUT at CPL 3 consult the TSS bitmap: a set bit is #GP(0), a clear one is allowed', () => {
    const deny = (bench: Bench) => bench.memory.write8(TSS + 0x68 + (0x70 >> 3), 1 << (0x70 & 7));
    expect(record(runProtected('in al, 0x70', { ring3: true, setup: deny }))).toMatchObject({ vector: GP, code: 0 });
    expect(record(runProtected('mov dx, 0x6f\nin ax, dx', { ring3: true, setup: deny }))).toMatchObject({ vector: GP, code: 0 });
    const ok = runProtected('in al, 0x71\nmov ebx, 1\nhlt', { ring3: true, setup: deny });
    expect(ok.cpu.get32(3)).toBe(1);
  });

  it('POPF at CPL 3 keeps IOPL and (with IOPL 0) IF; at CPL 0 it changes both', () => {
    const user = runProtected(`pushfd\nor dword [esp], 0x3000\nand dword [esp], ~0x200\npopfd\npushfd\npop dword [${DATA}]`, { ring3: true });
    expect(word(user, DATA) & 0x3200).toBe(0x200);
    const kernel = runProtected(`pushfd\nor dword [esp], 0x3200\npopfd\npushfd\npop dword [${DATA}]`);
    expect(word(kernel, DATA) & 0x3200).toBe(0x3200);
  });
});

describe('descriptor instructions', () => {
  it('LAR, LSL, VERR, VERW report on visible descriptors and set ZF', () => {
    const b = runProtected(`
      mov bx, ${SEL.CODE0}
      lar eax, bx
      lsl ecx, bx
      mov bx, 0x800
      mov edx, 0x5a5a
      lar edx, bx
      setz [${DATA}]
      mov bx, ${SEL.CODE0}
      verr bx
      setz [${DATA + 1}]
      verw bx
      setz [${DATA + 2}]
      mov bx, ${SEL.DATA0}
      verw bx
      setz [${DATA + 3}]`);
    expect(b.cpu.get32(0)).toBe(0x00cf9b00);
    expect(b.cpu.get32(1)).toBe(0xffffffff);
    expect(b.cpu.get32(2)).toBe(0x5a5a);
    expect(Array.from(b.memory.readBytes(DATA, 4))).toEqual([0, 1, 0, 1]);
  });

  it('ARPL raises the RPL; SLDT and STR store the selectors; LLDT makes LDT selectors work', () => {
    const b = runProtected(
      `
      mov ax, 0x10
      mov bx, 0x13
      arpl ax, bx
      setz [${DATA}]
      mov si, ax
      mov ax, 0x48
      lldt ax
      sldt cx
      str dx
      mov ax, 0x04
      mov fs, ax
      mov eax, [fs:0]`,
      {
        setup: (bench) => {
          setDescriptor(bench, 0x48, DATA + 0x100, 0xf, Access.LDT, 0);
          bench.memory.write32(DATA + 0x100, 0x0000ffff); // LDT entry 0: flat data at base 50000h
          bench.memory.write32(DATA + 0x104, 0x00cf9205);
          bench.memory.write32(0x50000, 0xcafef00d);
        },
      },
    );
    expect(b.memory.read8(DATA)).toBe(1);
    expect(b.cpu.get32(6) & 0xffff).toBe(0x13);
    expect(b.cpu.get32(1) & 0xffff).toBe(0x48);
    expect(b.cpu.get32(2) & 0xffff).toBe(SEL.TSS);
    expect(b.cpu.segBase(4)).toBe(0x50000);
    expect(b.cpu.get32(0)).toBe(0xcafef00d);
  });
});

describe('task switches', () => {
  const TSS2 = 0x4200;
  const setupTask = (bench: Bench, eip: number) => {
    setDescriptor(bench, 0x78, TSS2, 0x67, Access.TSS32, 0);
    const m = bench.memory;
    m.write32(TSS2 + 0x20, eip);
    m.write32(TSS2 + 0x24, 0x2);
    m.write32(TSS2 + 0x38, 0x30000); // ESP
    m.write32(TSS2 + 0x28, 0xaaaa); // EAX
    for (const [off, sel] of [[0x48, SEL.DATA0], [0x4c, SEL.CODE0], [0x50, SEL.DATA0], [0x54, SEL.DATA0], [0x58, SEL.DATA0], [0x5c, SEL.DATA0]]) m.write16(TSS2 + off, sel);
  };

  it('INT through a task gate runs the task with NT and the back link; IRETD returns and restores the registers', () => {
    const b = runProtected(
      `
      mov eax, 0x1111
      int 0x40
      mov [${DATA + 8}], eax
      hlt
    task:
      str [${DATA}]
      pushfd
      pop dword [${DATA + 4}]
      mov [${DATA + 12}], eax
      mov eax, 0x2222
      iretd
      jmp task`,
      { setup: (bench, at) => { setupTask(bench, at.task); setIdtGate(bench, 0x40, 0x78, 0, 0x05, 0); } },
    );
    expect(b.memory.read16(DATA)).toBe(0x78);
    expect(word(b, DATA + 4) & 0x4000).toBe(0x4000); // NT
    expect(word(b, DATA + 12)).toBe(0xaaaa);
    expect(word(b, DATA + 8)).toBe(0x1111); // the first task's EAX came back from its TSS
    expect(b.memory.read16(TSS2)).toBe(SEL.TSS); // back link
    expect(b.memory.read8(GDT + 0x78 + 5) & 2).toBe(0); // the nested task is available again
    expect(b.memory.read8(GDT + SEL.TSS + 5) & 2).toBe(2); // the first task is busy (running)
    expect(record(b).vector).toBe(-1);
  });

  it('JMP to a TSS switches without a back link; jumping to a busy TSS is #GP(selector)', () => {
    const b = runProtected(`jmp 0x78:0\nback:\ntask:\nmov [${DATA}], eax\nhlt`, { setup: (bench, at) => setupTask(bench, at.task) });
    expect(word(b, DATA)).toBe(0xaaaa);
    expect(b.memory.read8(GDT + SEL.TSS + 5) & 2).toBe(0);
    expect(b.memory.read8(GDT + 0x78 + 5) & 2).toBe(2);
    expect(word(b, TSS + 0x20)).toBe(b.at.back); // the old task's EIP was saved
    const busy = runProtected(`jmp ${SEL.TSS}:0`);
    expect(record(busy)).toMatchObject({ vector: GP, code: SEL.TSS });
  });

  it('a task whose TSS limit is too small is #TS(selector)', () => {
    const b = runProtected('jmp 0x78:0', { setup: (bench) => { setupTask(bench, CODE); setDescriptor(bench, 0x78, TSS2, 0x50, Access.TSS32, 0); } });
    expect(record(b)).toMatchObject({ vector: TS, code: 0x78 });
  });
});
