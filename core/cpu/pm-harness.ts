/**
 * A protected-mode machine for unit tests: a bare CPU whose real-mode boot code (assembled with core/asm)
 * loads a GDT, an IDT and a TSS written here, sets CR0.PE and far-jumps to the test's 32-bit code at
 * CODE. Every exception vector goes to a stub that records what the CPU pushed and halts, so a test
 * can check vector, error code and return address. Page-table helpers build paging structures. No
 * Node APIs: tests import it directly.
 *
 *   0500h  record: vector, error code (or FFFFFFFFh), EIP, CS, EFLAGS, CR2, ESP at entry (7 dwords)
 *   1000h  GDT (selectors below)           1800h  IDT (256 gates)        2000h  TSS (with an I/O bitmap)
 *   5000h  exception stubs (32 bytes each) 7000h  real-mode boot code    10000h test code (CODE)
 *   20000h top of the ring-0 stack         38000h top of the ring-3 stack 100000h page directory, tables after
 */
import { assemble } from '../asm/index.js';
import { Layout } from '../layout.js';
import type { CpuOptions } from './cpu.js';
import { makeBench, runToHalt, type Bench } from './test-harness.js';

export const RECORD = 0x500;
export const GDT = 0x1000;
export const IDT = 0x1800;
export const TSS = 0x2000;
export const STUBS = 0x5000;
export const BOOT = 0x7000;
export const CODE = 0x10000;
export const STACK0 = 0x20000;
export const STACK3 = 0x38000;
export const PAGE_DIR = 0x100000;

/** The GDT's selectors. */
export const SEL = {
  CODE0: 0x08, DATA0: 0x10, CODE3: 0x18 | 3, DATA3: 0x20 | 3, TSS: 0x28, CODE16: 0x30, DATA16: 0x38,
  /** Free slots for tests: 0x40 … 0xf8. */
  FREE: 0x40,
} as const;

export const enum Access {
  CODE = 0x9a, DATA = 0x92, CODE3 = 0xfa, DATA3 = 0xf2, TSS32 = 0x89, LDT = 0x82,
}

/** Writes a segment descriptor: base, limit (bytes, or pages with `pages`), access byte, flags nibble (G, D/B). */
export function setDescriptor(b: Bench, selector: number, base: number, limit: number, access: number, flags = 0x4): void {
  const at = GDT + (selector & ~7);
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  b.memory.write32(at, lo >>> 0);
  b.memory.write32(at + 4, hi >>> 0);
}

/** A gate descriptor (call 0Ch/04h, interrupt 0Eh/06h, trap 0Fh/07h, task 05h) at `at` (GDT or IDT entry address). */
export function writeGate(b: Bench, at: number, selector: number, offset: number, type: number, dpl: number, params = 0): void {
  b.memory.write32(at, (((selector & 0xffff) << 16) | (offset & 0xffff)) >>> 0);
  b.memory.write32(at + 4, ((offset & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8) | (params & 0x1f)) >>> 0);
}

export function setIdtGate(b: Bench, vector: number, selector: number, offset: number, type = 0x0e, dpl = 0): void {
  writeGate(b, IDT + vector * 8, selector, offset, type, dpl);
}

/** Vectors whose exceptions push an error code. */
const WITH_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);

/** The exception stubs: record vector, error code, EIP, CS, EFLAGS, CR2, ESP, then HLT. */
function stubSource(): string {
  const lines: string[] = ['bits 32'];
  for (let v = 0; v < 32; v++) {
    lines.push(`times ${v * 32} - ($ - $$) db 0`);
    lines.push(`mov dword [ss:${RECORD}], ${v}`);
    if (WITH_CODE.has(v)) lines.push(`pop dword [ss:${RECORD + 4}]`);
    else lines.push(`mov dword [ss:${RECORD + 4}], 0xffffffff`);
    lines.push(`jmp common`);
  }
  lines.push(
    `times ${32 * 32} - ($ - $$) db 0`,
    'common:',
    `mov [ss:${RECORD + 24}], esp`,
    `pop dword [ss:${RECORD + 8}]`,
    `pop dword [ss:${RECORD + 12}]`,
    `pop dword [ss:${RECORD + 16}]`,
    'mov eax, cr2',
    `mov [ss:${RECORD + 20}], eax`,
    'hlt',
  );
  return lines.join('\n');
}

export interface PmOptions {
  /** Extra setup before the CPU starts (descriptors, page tables, memory); `at` has the test code's labels. */
  setup?: (b: Bench, at: Record<string, number>) => void;
  /** Run the test code at CPL 3 (entered through an IRETD from ring 0). */
  ring3?: boolean;
  /** 32-bit ring-0 code the boot path runs before it enters the test code (e.g. enablePaging()). */
  prologue?: string;
  ram?: number;
  /** Options for the CPU (callbacks such as onFerr). */
  cpu?: Partial<CpuOptions>;
}

/** The bench after a run, and the labels of the test code. */
export type PmBench = Bench & { at: Record<string, number> };

/** Builds the machine, assembles `source` (32-bit, at CODE) and runs it until HLT. */
export function runProtected(source: string, opts: PmOptions = {}): PmBench {
  const b = buildProtected(source, opts);
  runToHalt(b, 200_000);
  return b;
}

/** Builds the machine with `source` at CODE and the CPU at the real-mode boot code, ready to run. */
export function buildProtected(source: string, opts: PmOptions = {}): PmBench {
  const b = makeBench(opts.cpu ?? {}, opts.ram ?? 4 << 20);
  const mem = b.memory;
  mem.u8.fill(0, Layout.RAM, Layout.RAM + 0x40000);
  // GDT: flat code and data for rings 0 and 3, the TSS, 16-bit code and data.
  setDescriptor(b, SEL.CODE0, 0, 0xfffff, Access.CODE, 0xc);
  setDescriptor(b, SEL.DATA0, 0, 0xfffff, Access.DATA, 0xc);
  setDescriptor(b, SEL.CODE3, 0, 0xfffff, Access.CODE3, 0xc);
  setDescriptor(b, SEL.DATA3, 0, 0xfffff, Access.DATA3, 0xc);
  setDescriptor(b, SEL.TSS, TSS, 0x67 + 0x2001, Access.TSS32, 0);
  setDescriptor(b, SEL.CODE16, 0, 0xffff, Access.CODE, 0);
  setDescriptor(b, SEL.DATA16, 0, 0xffff, Access.DATA, 0);
  // TSS: ring-0 stack, the I/O bitmap right after the 104 bytes (all ports allowed), ending in FFh.
  mem.write32(TSS + 4, STACK0);
  mem.write32(TSS + 8, SEL.DATA0);
  mem.write16(TSS + 0x66, 0x68);
  mem.write8(TSS + 0x68 + 0x2000, 0xff);
  for (let v = 0; v < 32; v++) setIdtGate(b, v, SEL.CODE0, STUBS + v * 32);
  mem.writeBytes(STUBS, assemble(stubSource(), { origin: STUBS, bits: 32 }).bytes);
  const enter = opts.ring3
    ? `mov ax, ${SEL.DATA3}\nmov ds, ax\nmov es, ax\npush ${SEL.DATA3}\npush ${STACK3}\npush 0x202\npush ${SEL.CODE3}\npush ${CODE}\niretd`
    : `jmp ${SEL.CODE0}:${CODE}`;
  const boot = assemble(
    `bits 16
      cli
      xor ax, ax
      mov ds, ax
      o32 lgdt [gdtr]
      o32 lidt [idtr]
      mov eax, cr0
      or al, 1
      mov cr0, eax
      jmp dword ${SEL.CODE0}:pm
    bits 32
    pm:
      mov ax, ${SEL.DATA0}
      mov ds, ax
      mov es, ax
      mov fs, ax
      mov gs, ax
      mov ss, ax
      mov esp, ${STACK0}
      mov ax, ${SEL.TSS}
      ltr ax
      ${opts.prologue ?? ''}
      ${enter}
    gdtr: dw 0x7ff
      dd ${GDT}
    idtr: dw 0x7ff
      dd ${IDT}`,
    { origin: BOOT, bits: 16 },
  );
  mem.writeBytes(BOOT, boot.bytes);
  const code = assemble(source + '\nhlt', { origin: CODE, bits: 32 });
  mem.writeBytes(CODE, code.bytes);
  opts.setup?.(b, code.labels);
  b.cpu.setSegReal(1, 0);
  b.cpu.setEip(BOOT);
  return Object.assign(b, { at: code.labels });
}

export interface ExceptionRecord {
  vector: number;
  code: number;
  eip: number;
  cs: number;
  eflags: number;
  cr2: number;
  esp: number;
}

/** What the exception stub recorded (vector -1 when none ran). */
export function record(b: Bench): ExceptionRecord {
  const r = (i: number) => b.memory.read32(RECORD + 4 * i);
  return b.exceptions.length === 0
    ? { vector: -1, code: 0, eip: 0, cs: 0, eflags: 0, cr2: 0, esp: 0 }
    : { vector: r(0), code: r(1) === 0xffffffff ? -1 : r(1), eip: r(2), cs: r(3), eflags: r(4), cr2: r(5), esp: r(6) };
}

// ------------------------------------------------------------------ paging

/** Page-table entry bits. */
export const PTE = { P: 1, W: 2, U: 4, A: 0x20, D: 0x40, PS: 0x80, G: 0x100 } as const;

/** Maps the 4 KiB page at `linear` to `phys` with `flags`; page tables come after the directory, one per 4 MiB. */
export function mapPage(b: Bench, linear: number, phys: number, flags: number, dirFlags = PTE.P | PTE.W | PTE.U): void {
  const pdi = linear >>> 22;
  const table = PAGE_DIR + 0x1000 * (1 + pdi);
  b.memory.write32(PAGE_DIR + pdi * 4, (table | dirFlags) >>> 0);
  b.memory.write32(table + ((linear >>> 12) & 0x3ff) * 4, ((phys & ~0xfff) | flags) >>> 0);
}

/** Identity-maps [start, end) with 4 KiB pages. */
export function identityMap(b: Bench, start: number, end: number, flags: number): void {
  for (let a = start; a < end; a += 0x1000) mapPage(b, a, a, flags);
}

/** A 4 MiB page (CR4.PSE) at `linear` → `phys`. */
export function mapLarge(b: Bench, linear: number, phys: number, flags: number): void {
  b.memory.write32(PAGE_DIR + (linear >>> 22) * 4, ((phys & 0xffc00000) | flags | PTE.PS) >>> 0);
}

export function pte(b: Bench, linear: number): number {
  return b.memory.read32(PAGE_DIR + 0x1000 * (1 + (linear >>> 22)) + ((linear >>> 12) & 0x3ff) * 4);
}

export function pde(b: Bench, linear: number): number {
  return b.memory.read32(PAGE_DIR + (linear >>> 22) * 4);
}

/** Code that turns paging on with the directory at PAGE_DIR (and CR4 bits `cr4`). */
export function enablePaging(cr4 = 0): string {
  return `
    mov eax, ${cr4}
    mov cr4, eax
    mov eax, ${PAGE_DIR}
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp $+2`;
}
