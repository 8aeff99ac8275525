/**
 * The trampoline: a few bytes of real-mode code that take the CPU from its reset state into 32-bit
 * protected mode and jump to a kernel, the way a boot loader does on hardware. The CPU needs no special
 * entry point for this: the loader writes the code and its GDT to low RAM and points CS:IP at it.
 *
 *   GDT at 8000h:  00h null, 08h null (unused, as in Linux's boot GDT),
 *                  10h flat 4 GiB code (execute/read, 32-bit, DPL 0) = Linux's __BOOT_CS,
 *                  18h flat 4 GiB data (read/write, 32-bit, DPL 0)   = Linux's __BOOT_DS
 *   then the GDTR image, an IDTR image with limit 0, and the code:
 *
 *   real mode:  CLI, CLD; DS = 0; LGDT; LIDT (limit 0: any exception before the kernel loads its own IDT
 *               shuts the CPU down instead of jumping through the real-mode IVT); A20 on through port
 *               92h; CR0.PG off, CR0.PE on; far JMP 10h:pm32
 *   32-bit:     DS ES FS GS SS = 18h, ESP = 8000h, the entry registers (all others zero), far JMP 10h:entry
 */
import { assemble } from '../asm/index.js';
import { Reg, Seg } from '../firmware.js';
import type { Machine } from '../machine.js';
import { ENTRY_STACK_TOP, TRAMPOLINE, TRAMPOLINE_END, hex, writeRam } from './boot-memory.js';

export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;

/** The eight general registers by the names the assembler knows, in encoding order. */
const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
export type EntryRegisters = Partial<Record<Exclude<(typeof REG_NAMES)[number], 'esp'>, number>>;

export interface Trampoline {
  /** The bytes written at TRAMPOLINE. */
  bytes: Uint8Array;
  /** Real-mode offset (CS = 0) of the first instruction. */
  start: number;
  /** Address of the 32-bit half (after the far jump). */
  protectedEntry: number;
  gdt: number;
}

/** Assembles the trampoline for a kernel entry point and the registers it expects there. */
export function buildTrampoline(entry: number, registers: EntryRegisters): Trampoline {
  const setRegisters = REG_NAMES.filter((name) => name !== 'esp')
    .map((name) => {
      const value = registers[name] ?? 0;
      return value === 0 ? `  xor ${name}, ${name}` : `  mov ${name}, ${value >>> 0}`;
    })
    .join('\n');
  // Descriptor bytes: limit 0-15, base 0-15, base 16-23, access, flags+limit 16-19, base 24-31.
  // Access 9Bh = present, DPL 0, code, execute/read, accessed; 93h = present, data, read/write, accessed.
  // Flags CFh = 4 KiB granularity, 32-bit default size, limit 16-19 = Fh: 4 GiB.
  const source = `
bits 16
gdt:
  dd 0, 0
  dd 0, 0
  db 0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0
  db 0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0
gdt_end:
gdtr:
  dw gdt_end - gdt - 1
  dd gdt
idtr:
  dw 0
  dd 0
start:
  cli
  cld
  xor ax, ax
  mov ds, ax
  o32 lgdt [gdtr]
  o32 lidt [idtr]
  in al, 0x92
  or al, 2
  and al, 0xfe          ; bit 0 would reset the machine
  out 0x92, al
  mov eax, cr0
  and eax, 0x7fffffff
  or al, 1
  mov cr0, eax
  jmp dword ${BOOT_CS}:pm32
bits 32
pm32:
  mov ax, ${BOOT_DS}
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, ${ENTRY_STACK_TOP}
${setRegisters}
  jmp ${BOOT_CS}:${entry >>> 0}
`;
  const { bytes, labels } = assemble(source, { origin: TRAMPOLINE, bits: 16 });
  if (TRAMPOLINE + bytes.length > TRAMPOLINE_END) throw new Error(`trampoline is ${bytes.length} bytes, more than its ${TRAMPOLINE_END - TRAMPOLINE}`);
  return { bytes, start: labels.start, protectedEntry: labels.pm32, gdt: labels.gdt };
}

/**
 * Writes the trampoline and points the CPU at it: real mode, CS = 0, IP = start, interrupts off, every
 * register zero. The machine must be in real mode and running (fresh from power-on, reset, or a
 * firmware service), because the trampoline is real-mode code.
 */
export function enterTrampoline(machine: Machine, trampoline: Trampoline): void {
  const cpu = machine.cpu;
  checkCpuReady(machine);
  if (trampoline.start > 0xffff) throw new Error(`trampoline start ${hex(trampoline.start)} is beyond real-mode reach`);
  writeRam(machine.memory, TRAMPOLINE, trampoline.bytes);
  for (let r = Reg.EAX; r <= Reg.EDI; r++) cpu.set32(r, 0);
  cpu.set32(Reg.ESP, ENTRY_STACK_TOP);
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS, Seg.CS]) cpu.setSegReal(s, 0);
  cpu.setFlags(0x2);
  cpu.setEip(trampoline.start);
}

/** The trampoline is real-mode code: the CPU must be in real mode and running. Checked before anything is written. */
export function checkCpuReady(machine: Machine): void {
  const cpu = machine.cpu;
  if (cpu.protectedMode()) throw new Error('cannot start a kernel: the CPU is in protected mode (load the kernel into a machine fresh from reset)');
  if (cpu.halted) throw new Error('cannot start a kernel: the CPU is halted (load the kernel into a machine fresh from reset)');
}
