import { describe, expect, it } from 'vitest';
import { DONE, runBootSector, type TestMachine } from './test-support.js';

/** A state call with the buffer at `seg`:0: VBE 4F04h with DL = `fn` (all four parts), or AH=1Ch with AL = `fn` (CX = 7). */
const call4f04 = (seg: number, fn: number) => `push ${seg}
        pop es
        xor bx, bx
        mov ax, 0x4f04
        mov dl, ${fn}
        mov cx, 0x000f
        int 0x10`;
const call1c = (seg: number, fn: number) => `push ${seg}
        pop es
        xor bx, bx
        mov ax, 0x1c0${fn}
        mov cx, 7
        int 0x10`;

/** Back to ES = 0 and mode 3, then the DONE marker. */
const END = `        push 0
        pop es
        mov ax, 0x0003
        int 0x10
${DONE}`;

/** The guest's save buffers at `seg`:0, so the test can compare a state before a mode change with the one restored. */
function buffers(m: TestMachine['m'], segs: number[], length: number): Uint8Array[] {
  return segs.map((seg) => m.memory.readBytes(seg << 4, length));
}

/** The part at header word `index` of a saved buffer, `size` bytes. */
function part(buffer: Uint8Array, index: number, size: number): Uint8Array {
  const offset = buffer[index * 2] | (buffer[index * 2 + 1] << 8);
  expect(offset, `part ${index} is in the buffer`).toBeGreaterThan(0);
  return buffer.subarray(offset, offset + size);
}

describe('video state save/restore', () => {
  it('VBE 4F04h: sizes the buffer, and restores VGA registers, BIOS data, DAC and DISPI registers after a mode change', async () => {
    const { m } = await runBootSector(
      `       mov ax, 0x4f02
        mov bx, 0x4101                  ; 640x480x8 with the LFB
        int 0x10
        mov dx, 0x3c8                   ; DAC entry 5 = 11h, 22h, 33h
        mov al, 5
        out dx, al
        inc dx
        mov al, 0x11
        out dx, al
        mov al, 0x22
        out dx, al
        mov al, 0x33
        out dx, al
        mov ax, 0x4f04
        xor dl, dl
        mov cx, 0x000f
        int 0x10
        mov [0x500], bx                 ; blocks for everything
        mov ax, 0x4f04
        xor dl, dl
        mov cx, 0x0008
        int 0x10
        mov [0x502], bx                 ; blocks for the DISPI registers alone
        ${call4f04(0x1000, 1)} ; save (VBE mode) into 1000:0
        mov [0x504], ax
        mov ax, 0x0003
        int 0x10                        ; a different mode
        ${call4f04(0x2000, 1)} ; save (mode 3) into 2000:0
        ${call4f04(0x1000, 2)} ; restore the VBE mode's state
        mov [0x506], ax
        ${call4f04(0x3000, 1)} ; and save it again into 3000:0
${END}`,
      'DONE',
    );
    const blocks = m.memory.read16(0x500);
    expect(blocks).toBeGreaterThanOrEqual(Math.ceil((0x20 + 66 + 768 + 16) / 64));
    expect(m.memory.read16(0x502)).toBe(1);
    expect(m.memory.read16(0x504)).toBe(0x004f);
    expect(m.memory.read16(0x506)).toBe(0x004f);
    const [vbe, mode3, restored] = buffers(m, [0x1000, 0x2000, 0x3000], blocks * 64);
    expect(Array.from(restored)).toEqual(Array.from(vbe));
    // The buffers say what they should: BIOS data, DAC and DISPI parts differ between the modes (the VGA
    // registers may not: a DISPI mode leaves them alone; the AH=1Ch test covers those).
    for (let i = 1; i < 4; i++) expect(Array.from(part(mode3, i, 16)), `part ${i}`).not.toEqual(Array.from(part(vbe, i, 16)));
    const dac = part(vbe, 2, 3 + 768);
    expect(Array.from(dac.subarray(3 + 5 * 3, 3 + 6 * 3))).toEqual([0x11, 0x22, 0x33]);
    const dispi = part(vbe, 3, 16);
    expect(dispi[0] | (dispi[1] << 8)).toBe(640); // XRES
    expect(dispi[4] | (dispi[5] << 8)).toBe(8); // BPP
    expect(dispi[6] & 1).toBe(1); // ENABLE
    expect(part(mode3, 1, 1)[0]).toBe(3); // the BDA's mode byte is the first saved byte
  });

  it('INT 10h AH=1Ch: saves and restores a VGA mode 12h state over mode 3', async () => {
    const { m } = await runBootSector(
      `       mov ax, 0x0012
        int 0x10
        mov ax, 0x1c00
        mov cx, 7
        int 0x10
        mov [0x500], bx
        mov [0x502], al
        ${call1c(0x1000, 1)} ; save mode 12h
        mov ax, 0x0003
        int 0x10
        mov ax, 0x1c02
        mov cx, 7
        int 0x10                        ; restore it
        ${call1c(0x2000, 1)} ; save again
        mov dx, 0x3ce                   ; and read the graphics controller's misc register: graphics mode
        mov al, 6
        out dx, al
        inc dx
        in al, dx
        mov [0x504], al
${END}`,
      'DONE',
    );
    expect(m.memory.read8(0x502)).toBe(0x1c);
    const blocks = m.memory.read16(0x500);
    expect(blocks).toBeGreaterThan(0);
    const [saved, restored] = buffers(m, [0x1000, 0x2000], blocks * 64);
    expect(Array.from(restored)).toEqual(Array.from(saved));
    expect(m.memory.read8(0x504) & 1).toBe(1); // GC 06h bit 0: graphics, as mode 12h has it
    expect(saved[0] | saved[1]).toBe(0x20); // the VGA registers come first, after the header
    expect(saved[6] | saved[7]).toBe(0); // no extension part through AH=1Ch
  });
});
