/**
 * End to end: tiny 32-bit "kernels" assembled with core/asm, loaded by loadKernel into a Machine, that
 * check the entry contract, read what the loader gave them and print it on COM1.
 *
 * These need the CPU's protected mode (CR0.PE, far jumps into 32-bit code segments). The first test checks
 * that with its own GDT and no loader, so a CPU failure is reported as one and not as a loader bug.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../asm/index.js';
import { Reg, Seg } from '../firmware.js';
import type { Machine } from '../machine.js';
import { loadKernel } from './load-kernel.js';
import { bareMachine, fakeBzImage, fakeMultibootAout } from './test-images.js';

/** True when the CPU can switch to protected mode and run 32-bit code (its own GDT, no loader involved). */
function cpuRunsProtectedMode(): boolean {
  const m = bareMachine(2);
  const { bytes, labels } = assemble(
    `
bits 16
gdt:
  dd 0, 0
  db 0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0
gdtr:
  dw 15
  dd gdt
start:
  cli
  xor ax, ax
  mov ds, ax
  o32 lgdt [gdtr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp dword 0x08:pm
bits 32
pm:
  mov eax, 0x12345678   ; in 16-bit code: mov ax, 0x5678 / xor al, 0x12
  hlt
`,
    { origin: 0x1000, bits: 16 },
  );
  m.memory.writeBytes(0x1000, bytes);
  m.cpu.setSegReal(Seg.CS, 0);
  m.cpu.setEip(labels.start);
  try {
    m.cpu.run(100);
  } catch {
    return false;
  }
  return m.cpu.get32(Reg.EAX) === 0x12345678 && m.cpu.halted;
}

/** putc: AL to COM1, waiting for the transmitter. Clobbers AH, DX. */
const PUTC = `
putc:
  mov ah, al
  mov dx, 0x3fd
.wait:
  in al, dx
  test al, 0x20
  jz .wait
  mov dx, 0x3f8
  mov al, ah
  out dx, al
  ret
`;

/** Prints the NUL-terminated string at EBX. */
const PUTS = `
puts:
  mov al, [ebx]
  test al, al
  jz .done
  call putc
  inc ebx
  jmp puts
.done:
  ret
`;

/** Runs until the guest writes to the debug-exit port; returns the serial output. */
function runToExit(m: Machine): string {
  let out = '';
  let exited = false;
  m.onSerial = (byte) => (out += String.fromCharCode(byte));
  m.onDebugExit = () => (exited = true);
  for (let slice = 0; slice < 500 && !exited; slice++) m.runSlice(20_000);
  return out;
}

describe('direct kernel boot on a Machine', () => {
  it('has a CPU that switches to protected mode and runs 32-bit code (what the tests below need)', () => {
    expect(cpuRunsProtectedMode()).toBe(true);
  });

  it('enters a Linux kernel with the 32-bit boot protocol contract and a zero page it can read', () => {
    const kernel = assemble(
      `
bits 32
entry:
  mov eax, ebp              ; EBP, EDI, EBX are zero
  or eax, edi
  or eax, ebx
  jnz bad
  mov ax, cs                ; CS = __BOOT_CS, DS = ES = SS = __BOOT_DS
  cmp ax, 0x10
  jne bad
  mov ax, ds
  cmp ax, 0x18
  jne bad
  mov ax, es
  cmp ax, 0x18
  jne bad
  mov ax, ss
  cmp ax, 0x18
  jne bad
  pushfd                    ; interrupts off
  pop eax
  test eax, 0x200
  jnz bad
  mov eax, cr0              ; protected mode, paging off
  test eax, 1
  jz bad
  test eax, 0x80000000
  jnz bad
  mov ebx, [esi + 0x228]    ; cmd_line_ptr
  call puts
  mov al, '|'
  call putc
  mov al, [esi + 0x1e8]     ; e820_entries
  add al, '0'
  call putc
  mov al, '|'
  call putc
  mov ebx, [esi + 0x218]    ; ramdisk_image: the initrd holds a string
  call puts
  mov al, '|'
  call putc
  mov al, [esi + 0x210]     ; type_of_loader
  call hex8
  mov al, 0
  out 0xf4, al
  hlt
bad:
  mov al, '!'
  call putc
  out 0xf4, al
  hlt
hex8:
  push eax
  shr al, 4
  call nibble
  pop eax
nibble:
  and al, 15
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 7
.out:
  jmp putc
${PUTC}
${PUTS}
`,
      { origin: 0x100000, bits: 32 },
    ).bytes;
    const m = bareMachine(16);
    const initrd = new TextEncoder().encode('initramfs\0');
    loadKernel(m, { kernel: fakeBzImage({ kernel }), cmdline: 'console=ttyS0 root=/dev/ram0', initrd });
    expect(runToExit(m)).toBe('console=ttyS0 root=/dev/ram0|4|initramfs|FF');
  });

  it('enters a Multiboot kernel with EAX = 2BADB002h and EBX = a multiboot_info it can read', () => {
    const entry = 0x100000 + 16 + 32;
    const code = assemble(
      `
bits 32
entry:
  cmp eax, 0x2badb002
  jne bad
  mov esi, ebx
  mov ebx, [esi + 16]       ; cmdline
  call puts
  mov al, '|'
  call putc
  mov al, [esi + 20]        ; mods_count
  add al, '0'
  call putc
  mov al, '|'
  call putc
  mov ebx, [esi + 24]       ; mods_addr -> the module's start
  mov ebx, [ebx]
  call puts
  mov al, '|'
  call putc
  mov ebx, [esi + 64]       ; boot_loader_name
  call puts
  mov al, 0
  out 0xf4, al
  hlt
bad:
  mov al, '!'
  call putc
  out 0xf4, al
  hlt
${PUTC}
${PUTS}
`,
      { origin: entry, bits: 32 },
    ).bytes;
    const m = bareMachine(16);
    loadKernel(m, { kernel: fakeMultibootAout({ code, bss: 0x100 }), cmdline: 'hello multiboot', initrd: new TextEncoder().encode('module!\0') });
    expect(runToExit(m)).toBe('hello multiboot|1|module!|co86');
  });
});

