import { describe, expect, it } from 'vitest';
import { disassembleRange } from '../cpu/index.js';
import { Layout } from '../layout.js';
import { loadKernel } from './load-kernel.js';
import { buildTrampoline } from './trampoline.js';
import { bareMachine, fakeBzImage, fakeMultibootAout } from './test-images.js';

const GDT = [
  [0, 0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 0],
  [0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0], // 10h: base 0, limit 4 GiB, 32-bit, execute/read
  [0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0], // 18h: base 0, limit 4 GiB, 32-bit, read/write
].flat();

/** The instruction texts of `bytes`, without addresses and encodings. */
function listing(bytes: Uint8Array, ip: number, code32: boolean): string[] {
  const addressWidth = code32 ? 8 : 4;
  return disassembleRange(bytes, ip, 64, code32).map((line) => line.slice(addressWidth + 2 + 31));
}

describe('trampoline', () => {
  it('writes a flat GDT with __BOOT_CS 10h and __BOOT_DS 18h, a GDTR for it and a null IDTR', () => {
    const m = bareMachine();
    loadKernel(m, { kernel: fakeBzImage() });
    expect(Array.from(m.memory.readBytes(0x8000, 32))).toEqual(GDT);
    expect(Array.from(m.memory.readBytes(0x8020, 6))).toEqual([0x1f, 0, 0x00, 0x80, 0, 0]);
    expect(Array.from(m.memory.readBytes(0x8026, 6))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('is real-mode code that switches to protected mode, then 32-bit code that sets the Linux entry registers', () => {
    const t = buildTrampoline(0x100000, { esi: 0x90000 });
    expect(t.start).toBe(0x802c);
    expect(t.protectedEntry).toBe(0x805c);
    const real = t.bytes.subarray(t.start - 0x8000, t.protectedEntry - 0x8000);
    expect(listing(real, t.start, false)).toEqual([
      'cli', 'cld', 'xor ax, ax', 'mov ds, ax', 'o32 lgdt [0x8020]', 'o32 lidt [0x8026]', 'in al, 0x92', 'or al, 0x2', 'and al, 0xfe', 'out 0x92, al',
      'mov eax, cr0', 'and eax, 0x7fffffff', 'or al, 0x1', 'mov cr0, eax', 'o32 jmp 0x10:0x805c',
    ]);
    const pm = t.bytes.subarray(t.protectedEntry - 0x8000);
    expect(listing(pm, t.protectedEntry, true)).toEqual([
      'mov ax, 0x18', 'mov ds, ax', 'mov es, ax', 'mov fs, ax', 'mov gs, ax', 'mov ss, ax', 'mov esp, 0x8000',
      'xor eax, eax', 'xor ecx, ecx', 'xor edx, edx', 'xor ebx, ebx', 'xor ebp, ebp', 'mov esi, 0x90000', 'xor edi, edi',
      'jmp 0x10:0x100000',
    ]);
  });

  it('sets EAX = 2BADB002h and EBX = the info address for Multiboot', () => {
    const m = bareMachine();
    const info = loadKernel(m, { kernel: fakeMultibootAout() });
    const t = buildTrampoline(info.entry, { eax: 0x2badb002, ebx: 0x90000 });
    expect(m.memory.readBytes(0x8000, t.bytes.length)).toEqual(t.bytes);
    const text = listing(t.bytes.subarray(t.protectedEntry - 0x8000), t.protectedEntry, true);
    expect(text.slice(7)).toEqual(['mov eax, 0x2badb002', 'xor ecx, ecx', 'xor edx, edx', 'mov ebx, 0x90000', 'xor ebp, ebp', 'xor esi, esi', 'xor edi, edi', `jmp 0x10:0x${info.entry.toString(16)}`]);
  });

  it('runs its real-mode half on the CPU: GDTR and IDTR loaded, A20 on through port 92h, CR0.PE set, paging off', () => {
    const m = bareMachine();
    m.io.write8(0x92, 0); // A20 off at port 92h
    const info = loadKernel(m, { kernel: fakeBzImage() });
    expect(m.cpu.run(14)).toBe(14); // up to and including MOV CR0, EAX
    const state = new DataView(m.memory.memory.buffer);
    expect(state.getUint32(Layout.GDTR_BASE, true)).toBe(0x8000);
    expect(state.getUint32(Layout.GDTR_LIMIT, true)).toBe(31);
    expect(state.getUint32(Layout.IDTR_BASE, true)).toBe(0);
    expect(state.getUint32(Layout.IDTR_LIMIT, true)).toBe(0);
    const cr0 = state.getUint32(Layout.CR, true);
    expect(cr0 & 1).toBe(1);
    expect(cr0 >>> 31).toBe(0);
    expect(m.io.read8(0x92) & 3).toBe(2);
    expect(m.a20).toBe(true);
    expect(m.memory.read8(m.cpu.getEip())).toBe(0x66); // next: the 32-bit far jump (66 EA)
    expect(m.memory.read8(m.cpu.getEip() + 1)).toBe(0xea);
    expect(m.cpu.getEip()).toBeGreaterThan(info.trampoline);
  });

  it('refuses to start a kernel on a CPU that is halted or in protected mode', () => {
    const halted = bareMachine();
    halted.runSlice(10); // the all-HLT ROM halts at the reset vector
    expect(halted.cpu.halted).toBe(true);
    expect(() => loadKernel(halted, { kernel: fakeBzImage() })).toThrow(/the CPU is halted/);
    const pm = bareMachine();
    loadKernel(pm, { kernel: fakeBzImage() });
    pm.cpu.run(14);
    pm.memory.write8(0x100000, 0x42);
    expect(() => loadKernel(pm, { kernel: fakeBzImage() })).toThrow(/the CPU is in protected mode/);
    expect(pm.memory.read8(0x100000)).toBe(0x42); // refused before anything was written
  });
});
