import { describe, expect, it } from 'vitest';
import { enablePaging, identityMap, PTE, record, runProtected, SEL, setIdtGate, STACK3 } from './pm-harness.js';
import type { Bench } from './test-harness.js';

const GP = 13, DB = 1, UD = 6;
const DATA = 0x40000;
const reg = (b: Bench, r: number) => b.cpu.get32(r);
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESI = 6, EDI = 7;

/** Bytes the assembler has no mnemonic for. */
const SYSENTER = 'db 0x0f, 0x34';
const SYSEXIT = 'db 0x0f, 0x35';
const RDPMC = 'db 0x0f, 0x33';
const CMPXCHG8B_ESI = 'db 0x0f, 0xc7, 0x0e';

describe('CPUID', () => {
  it('reports the vendor, family 6 and exactly the features we implement', () => {
    const b = runProtected(`xor eax, eax\ncpuid\nmov [${DATA}], ebx\nmov [${DATA + 4}], edx\nmov [${DATA + 8}], ecx\nmov esi, eax\nmov eax, 1\ncpuid`);
    expect(new TextDecoder().decode(b.memory.readBytes(DATA, 12))).toBe('co86co86co86');
    expect(reg(b, ESI)).toBe(1);
    expect(reg(b, EAX)).toBe(0x633);
    const edx = reg(b, EDX);
    const has = (bit: number) => (edx >>> bit) & 1;
    // FPU DE PSE TSC MSR CX8 SEP PGE CMOV present; VME PAE MCE APIC MTRR MCA MMX SSE absent.
    expect([0, 2, 3, 4, 5, 8, 11, 13, 15].map(has)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect([1, 6, 7, 9, 12, 14, 23, 25].map(has)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(reg(b, ECX)).toBe(0);
  });

  it('has a brand string in the extended leaves, and EFLAGS.ID toggles', () => {
    const b = runProtected(`
      mov eax, 0x80000000
      cpuid
      mov esi, eax
      mov eax, 0x80000002
      cpuid
      mov [${DATA}], eax
      mov [${DATA + 4}], ebx
      pushfd
      xor dword [esp], 0x200000
      popfd
      pushfd
      pop edi`);
    expect(reg(b, ESI)).toBe(0x80000004);
    expect(new TextDecoder().decode(b.memory.readBytes(DATA, 8))).toBe('co86 P6-');
    expect(reg(b, EDI) & 0x200000).toBe(0x200000);
  });
});

describe('MSRs and the time-stamp counter', () => {
  it('SYSENTER and MTRR MSRs read back what was written; MTRRcap is fixed; APIC_BASE reads as absent', () => {
    const b = runProtected(`
      mov ecx, 0x174
      mov eax, 0x10
      xor edx, edx
      wrmsr
      mov ecx, 0x201
      mov eax, 0xfff00800
      mov edx, 0xf
      wrmsr
      mov ecx, 0x174
      rdmsr
      mov [${DATA}], eax
      mov ecx, 0x201
      rdmsr
      mov [${DATA + 4}], eax
      mov [${DATA + 8}], edx
      mov ecx, 0xfe
      rdmsr
      mov [${DATA + 12}], eax
      mov ecx, 0x1b
      rdmsr
      mov [${DATA + 16}], eax`);
    const w = (i: number) => b.memory.read32(DATA + 4 * i);
    expect([w(0), w(1), w(2), w(3), w(4)]).toEqual([0x10, 0xfff00800, 0xf, 0x108, 0]);
  });

  it('an MSR we do not have is #GP(0) on RDMSR and WRMSR', () => {
    expect(record(runProtected('mov ecx, 0x179\nrdmsr'))).toMatchObject({ vector: GP, code: 0 });
    expect(record(runProtected('mov ecx, 0xc0000080\nwrmsr'))).toMatchObject({ vector: GP, code: 0 });
  });

  it('RDTSC follows machine time (timeNs × 1 GHz) and WRMSR moves it; CR4.TSD makes it privileged', () => {
    let now = 5000;
    const b = runProtected(`rdtsc\nmov esi, eax\nmov ecx, 0x10\nmov eax, 0x100000\nxor edx, edx\nwrmsr\nrdtsc`, {
      setup: (bench) => { bench.cpu.timeNs = () => (now += 1000); },
    });
    expect(reg(b, ESI)).toBeGreaterThan(0);
    expect(reg(b, EAX) - 0x100000).toBe(1000); // one more read of the clock after the write
    expect(reg(b, EDX)).toBe(0);
    const user = runProtected('rdtsc', { ring3: true, prologue: 'mov eax, 4\nmov cr4, eax' });
    expect(record(user)).toMatchObject({ vector: GP, code: 0 });
    expect(record(runProtected(RDPMC, { ring3: true })).vector).toBe(GP);
    expect(record(runProtected(`mov ecx, 1\n${RDPMC}`)).vector).toBe(-1);
  });
});

describe('P6 instructions', () => {
  it('CMPXCHG8B stores ECX:EBX when EDX:EAX matches (ZF=1), else loads the operand (ZF=0)', () => {
    const b = runProtected(`
      mov dword [${DATA}], 1
      mov dword [${DATA + 4}], 2
      mov esi, ${DATA}
      mov eax, 1
      mov edx, 2
      mov ebx, 0x33
      mov ecx, 0x44
      db 0xf0                 ; lock
      ${CMPXCHG8B_ESI}
      setz [${DATA + 16}]
      mov eax, 9
      ${CMPXCHG8B_ESI}
      setz [${DATA + 17}]`);
    expect([b.memory.read32(DATA), b.memory.read32(DATA + 4)]).toEqual([0x33, 0x44]);
    expect([b.memory.read8(DATA + 16), b.memory.read8(DATA + 17)]).toEqual([1, 0]);
    expect([reg(b, EAX), reg(b, EDX)]).toEqual([0x33, 0x44]);
  });

  it('CMOVcc, XADD, CMPXCHG and BSWAP', () => {
    const b = runProtected(`
      mov eax, 1
      mov ecx, 2
      cmp eax, ecx
      db 0x0f, 0x4c, 0xd9     ; cmovl ebx, ecx
      db 0x0f, 0x4f, 0xf1     ; cmovg esi, ecx
      mov dword [${DATA}], 10
      mov edx, 5
      xadd [${DATA}], edx
      mov eax, 15
      mov edi, 99
      cmpxchg [${DATA}], edi
      bswap ecx`);
    expect(reg(b, EBX)).toBe(2);
    expect(reg(b, ESI)).toBe(0);
    expect(reg(b, EDX)).toBe(10);
    expect(b.memory.read32(DATA)).toBe(99);
    expect(reg(b, ECX)).toBe(0x02000000);
  });

  it('SYSENTER goes to ring 0 with flat segments from SYSENTER_CS; SYSEXIT returns to ring 3 at EDX with ESP = ECX', () => {
    const b = runProtected(
      `
      mov ecx, ${STACK3 - 0x100}
      mov edx, back
      ${SYSENTER}
    back:
      mov [${DATA + 8}], esp
      hlt
    kernel:
      mov [${DATA}], esp
      mov ax, cs
      mov [${DATA + 4}], ax
      ${SYSEXIT}`,
      {
        ring3: true,
        // The kernel entry's address is left at 680h by setup (the prologue is assembled apart from the test code).
        prologue: `mov ecx, 0x174\nmov eax, ${SEL.CODE0}\nxor edx, edx\nwrmsr\nmov ecx, 0x175\nmov eax, 0x1f000\nwrmsr\nmov ecx, 0x176\nmov eax, [0x680]\nwrmsr`,
        setup: (bench, at) => bench.memory.write32(0x680, at.kernel),
      },
    );
    expect(b.memory.read32(DATA)).toBe(0x1f000);
    expect(b.memory.read16(DATA + 4)).toBe(SEL.CODE0);
    expect(b.memory.read32(DATA + 8)).toBe(STACK3 - 0x100);
    expect(record(b)).toMatchObject({ vector: GP, cs: SEL.CODE0 + 0x10 + 3 }); // HLT at ring 3 in SYSENTER_CS + 16
    expect(record(runProtected(SYSEXIT, { ring3: true })).vector).toBe(GP);
  });

  it('MOV to CR4 with a bit we do not have is #GP(0); PG without PE is #GP(0)', () => {
    expect(record(runProtected('mov eax, 0x20\nmov cr4, eax'))).toMatchObject({ vector: GP, code: 0 }); // PAE
    expect(record(runProtected('mov eax, 0x80000000\nmov cr0, eax'))).toMatchObject({ vector: GP, code: 0 });
  });

  it('UD2, a multi-byte NOP, and the hint-NOP space 0F 18-0F 1F (ENDBR32 is one)', () => {
    const b = runProtected('db 0x0f, 0x1f, 0x44, 0x00, 0x00\ndb 0xf3, 0x0f, 0x1e, 0xfb\ndb 0x0f, 0x18, 0x06\nmov ebx, 3\nud2');
    expect(reg(b, EBX)).toBe(3);
    expect(record(b).vector).toBe(UD);
  });
});

describe('debug registers', () => {
  it('an instruction breakpoint is a fault before the instruction (B0 in DR6); RF lets it run after IRETD', () => {
    const b = runProtected(
      `
      mov eax, target
      mov dr0, eax
      mov eax, 0x1
      mov dr7, eax
      nop
    target:
      inc esi
      hlt
    handler:
      mov eax, dr6
      mov [${DATA}], eax
      inc edi
      or dword [esp + 8], 0x10000
      iretd`,
      { setup: (bench, at) => setIdtGate(bench, DB, SEL.CODE0, at.handler) },
    );
    expect(b.memory.read32(DATA) & 0xf).toBe(1);
    expect(reg(b, EDI)).toBe(1); // one breakpoint hit
    expect(reg(b, ESI)).toBe(1); // and the instruction then ran once
  });

  it('a data write breakpoint traps after the writing instruction; reads of the word do not', () => {
    const b = runProtected(
      `
      mov eax, ${DATA + 0x100}
      mov dr1, eax
      mov eax, 0x00d00004   ; L1, R/W1 = 01 (write), LEN1 = 11 (4 bytes)
      mov dr7, eax
      mov ebx, [${DATA + 0x100}]
      mov dword [${DATA + 0x102}], 5
    after:
      hlt
    handler:
      mov eax, dr6
      mov [${DATA}], eax
      mov eax, [esp]
      mov [${DATA + 4}], eax
      iretd`,
      { setup: (bench, at) => setIdtGate(bench, DB, SEL.CODE0, at.handler) },
    );
    expect(b.memory.read32(DATA) & 0xf).toBe(2);
    expect(b.memory.read32(DATA + 4)).toBe(b.at.after);
  });

  it('single-stepping with TF sets DR6.BS and traps after each instruction', () => {
    const b = runProtected(
      `
      pushfd
      or dword [esp], 0x100
      popfd
      nop
      nop
      pushfd
      and dword [esp], ~0x100
      popfd
      hlt
    handler:
      inc edi
      mov eax, dr6
      mov [${DATA}], eax
      iretd`,
      { setup: (bench, at) => setIdtGate(bench, DB, SEL.CODE0, at.handler) },
    );
    expect(reg(b, EDI)).toBe(5); // after NOP, NOP, PUSHFD, AND and POPFD
    expect(b.memory.read32(DATA) & 0x4000).toBe(0x4000);
  });

  it('paging keeps working with a data breakpoint on a mapped page', () => {
    const b = runProtected(
      `${enablePaging()}
      mov eax, 0x1000
      mov dr0, eax
      mov eax, 0x00030001   ; L0, R/W0 = 11 (read or write), LEN0 = 1 byte
      mov dr7, eax
      mov ecx, [0x1000]
      hlt
    handler:
      mov eax, dr6
      mov [${DATA}], eax
      iretd`,
      { setup: (bench, at) => { identityMap(bench, 0, 0x200000, PTE.P | PTE.W); setIdtGate(bench, DB, SEL.CODE0, at.handler); } },
    );
    expect(b.memory.read32(DATA) & 0xf).toBe(1);
  });
});

describe('the x87 unit behind the CPU', () => {
  // No x87 mnemonics in core/asm yet: the encodings, with EBX as the memory operand.
  const FNINIT = 'db 0xdb, 0xe3', FNSTSW_AX = 'db 0xdf, 0xe0', FLD1 = 'db 0xd9, 0xe8', FLDZ = 'db 0xd9, 0xee';
  const FSTP_M32 = 'db 0xd9, 0x1b', FNSTCW = 'db 0xd9, 0x3b', FLDCW = 'db 0xd9, 0x2b', FDIVP = 'db 0xde, 0xf9', FWAIT = 'db 0x9b';

  it('runs x87 instructions with their memory operands: FNINIT, FNSTSW AX, FLD1, FSTP m32, FNSTCW', () => {
    const b = runProtected(`
      mov ax, 0xffff
      ${FNINIT}
      ${FNSTSW_AX}
      mov esi, eax
      mov ebx, ${DATA}
      ${FLD1}
      ${FSTP_M32}
      mov ebx, ${DATA + 4}
      ${FNSTCW}`);
    expect(reg(b, ESI) & 0xffff).toBe(0);
    expect(b.memory.read32(DATA)).toBe(0x3f800000);
    expect(b.memory.read16(DATA + 4)).toBe(0x037f);
  });

  it('#NM for an x87 instruction with CR0.TS or CR0.EM; WAIT only with TS and MP', () => {
    const NM = 7;
    expect(record(runProtected(`mov eax, cr0\nor eax, 8\nmov cr0, eax\n${FLD1}`)).vector).toBe(NM);
    expect(record(runProtected(`mov eax, cr0\nor eax, 4\nmov cr0, eax\n${FLD1}`)).vector).toBe(NM);
    expect(record(runProtected(`mov eax, cr0\nor eax, 8\nmov cr0, eax\n${FWAIT}`)).vector).toBe(-1);
    expect(record(runProtected(`mov eax, cr0\nor eax, 0xa\nmov cr0, eax\n${FWAIT}`)).vector).toBe(NM);
  });

  it('an unmasked exception: #MF at the next waiting x87 instruction with CR0.NE, FERR# without', () => {
    const divide = (ne: boolean) => `
      mov eax, cr0
      ${ne ? 'or eax, 0x20' : 'and eax, ~0x20'}
      mov cr0, eax
      ${FNINIT}
      mov word [${DATA}], 0x037b   ; ZE unmasked
      mov ebx, ${DATA}
      ${FLDCW}
      ${FLD1}
      ${FLDZ}
      ${FDIVP}
      mov esi, 1
    fault:
      ${FWAIT}
      mov edi, 1
      db 0xdb, 0xe2              ; fnclex`;
    const b = runProtected(divide(true));
    expect(record(b)).toMatchObject({ vector: 16, eip: b.at.fault });
    const levels: boolean[] = [];
    const c = runProtected(divide(false), { cpu: { onFerr: (level) => levels.push(level) } });
    expect(record(c).vector).toBe(-1);
    expect(reg(c, EDI)).toBe(1);
    expect(levels).toEqual([true, false]); // FERR# until FNCLEX clears the exception
  });
});

describe('alignment checking', () => {
  it('#AC(0) for a misaligned access at CPL 3 with CR0.AM and EFLAGS.AC; aligned ones are fine', () => {
    const enable = 'mov eax, cr0\nor eax, 0x40000\nmov cr0, eax';
    const b = runProtected(`pushfd\nor dword [esp], 0x40000\npopfd\nmov eax, [${DATA}]\nfault: mov eax, [${DATA + 2}]`, { ring3: true, prologue: enable });
    expect(record(b)).toMatchObject({ vector: 17, code: 0, eip: b.at.fault });
    const off = runProtected(`mov eax, [${DATA + 2}]\nmov ebx, 1`, { ring3: true, prologue: enable });
    expect(reg(off, EBX)).toBe(1);
  });
});
