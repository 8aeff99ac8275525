/**
 * A PCI BAR moved over RAM while the CPU runs: the CPU's TLB held a direct translation to that RAM page, so
 * the memory map change must flush it (PhysicalMemory.onMapChange → cpu.flushAllTranslations in Machine).
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice } from '../core/index.js';
import { DONE, UNREAL_FS, UNREAL_GDT, bootSector, image, testMachine } from './test-support.js';

const PROGRAM = `
${UNREAL_FS}
        mov edi, 0x01000000
        mov byte [fs:edi], 0x5a         ; RAM at 16 MiB; the TLB now maps the page straight to RAM
        mov al, [fs:edi]
        mov [0x500], al
        mov dx, 0xcf8
        mov eax, 0x80001010             ; 00:02.0 (VGA) BAR0
        out dx, eax
        mov dx, 0xcfc
        in eax, dx
        mov [0x504], eax
        mov eax, 0x01000000             ; the framebuffer over that RAM
        out dx, eax
        mov al, [fs:edi]
        mov [0x501], al
        mov eax, [0x504]                ; and back where the BIOS put it
        out dx, eax
        mov al, [fs:edi]
        mov [0x502], al
${DONE}
${UNREAL_GDT}
`;

describe('moving a PCI BAR while the CPU runs', () => {
  it('the framebuffer answers at once where RAM answered, and RAM comes back when it moves away', async () => {
    const t = testMachine({ floppies: [new MemoryBlockDevice(image(1474560, bootSector(PROGRAM)))], memoryMB: 32 });
    t.m.vga.vbe.vram[0] = 0xc3;
    await t.m.runUntil(() => t.serial().includes('DONE'), { timeoutMs: 5000 });
    const mem = t.m.memory;
    expect(mem.read32(0x504)).toBe(0xe0000000); // where our POST put BAR0
    expect([mem.read8(0x500), mem.read8(0x501), mem.read8(0x502)]).toEqual([0x5a, 0xc3, 0x5a]);
    expect(t.m.vga.pci.config.barBase(0)).toBe(0xe0000000);
  });
});
