import { describe, expect, it } from 'vitest';
import { UNREAL_FS, UNREAL_GDT, runBootSector } from './test-support.js';

/**
 * A guest sets a VBE mode through INT 10h 4F02h, draws a known pattern into the linear framebuffer (from
 * "unreal" mode, FS with a 4 GiB limit) and prints what 4F03h returns; the test checks every pixel through
 * Vga.render().
 */
const LFB_PROGRAM = `
        mov di, 0x6000
        mov dword [di], 0x32454256      ; 'VBE2'
        mov ax, 0x4f00
        int 0x10
        cmp ax, 0x004f
        jne fail
        mov ax, 0x4f01
        mov cx, 0x142                   ; 640x480x32
        mov di, 0x6400
        int 0x10
        cmp ax, 0x004f
        jne fail
        mov ax, 0x4f02
        mov bx, 0x4142                  ; with the LFB
        int 0x10
        cmp ax, 0x004f
        jne fail
${UNREAL_FS}
        mov edi, [0x6400 + 0x28]        ; PhysBasePtr
        xor ebx, ebx
.row:   xor ecx, ecx
.col:   mov eax, ebx                    ; pixel = y << 16 | x: red = y, green = x >> 8, blue = x & FFh
        shl eax, 16
        or eax, ecx
        mov [fs:edi], eax
        add edi, 4
        inc ecx
        cmp ecx, 640
        jb .col
        inc ebx
        cmp ebx, 480
        jb .row
        mov byte [0x4f0], 1             ; print to COM1 only
        mov ax, 0x4f03
        int 0x10
        mov ax, bx
        call hex16
        mov si, ok
        call print
        jmp $
fail:   mov byte [0x4f0], 1
        call hex16
        mov si, bad
        call print
        jmp $
ok:     db ' VBE-OK', 0
bad:    db ' VBE-FAILED', 0
${UNREAL_GDT}
`;

describe('VBE (INT 10h 4Fxx on the Bochs DISPI interface)', () => {
  it('sets 640x480x32 with the LFB; a guest pattern in the framebuffer comes out of render() pixel for pixel', async () => {
    const { m, serial } = await runBootSector(LFB_PROGRAM, /VBE-(OK|FAILED)/, { timeoutMs: 20000 });
    expect(serial()).toContain('4142 VBE-OK');
    const info = (off: number) => m.memory.read16(0x6000 + off);
    expect(m.memory.read32(0x6000)).toBe(0x41534556); // 'VESA'
    expect(info(4)).toBe(0x0200);
    const list: number[] = [];
    for (let p = info(14) + info(16) * 16; m.memory.read16(p) !== 0xffff; p += 2) list.push(m.memory.read16(p));
    expect(list).toEqual(expect.arrayContaining([0x101, 0x111, 0x112, 0x142, 0x105, 0x107, 0x11b, 0x145]));
    const mode = (off: number) => m.memory.read16(0x6400 + off);
    expect([mode(0x12), mode(0x14), m.memory.read8(0x6400 + 0x19), mode(0x10)]).toEqual([640, 480, 32, 2560]);
    expect(m.memory.read32(0x6400 + 0x28)).toBe(m.vga.pci.config.barBase(0));
    expect(m.vga.displayMode()).toEqual({ text: false, width: 640, height: 480, bpp: 32 });
    const out = new Uint8ClampedArray(640 * 480 * 4);
    expect(m.vga.render(out)).toEqual({ width: 640, height: 480, changed: true });
    let wrong = 0;
    for (let y = 0; y < 480; y++) {
      for (let x = 0; x < 640; x++) {
        const p = (y * 640 + x) * 4;
        if (out[p] !== (y & 0xff) || out[p + 1] !== x >> 8 || out[p + 2] !== (x & 0xff) || out[p + 3] !== 255) wrong++;
      }
    }
    expect(wrong).toBe(0);
    // Nothing changed since: a second render reports no change and marks no tile.
    const dirty = new Uint8Array(20 * 15);
    expect(m.vga.render(out, dirty).changed).toBe(false);
    expect(dirty.every((v) => v === 0)).toBe(true);
  }, 30000);

  it('banked window, display start, scanline length, DAC width and palette (4F05h-4F09h)', async () => {
    const { m, serial } = await runBootSector(
      `       mov ax, 0x4f02
        mov bx, 0x0101                  ; 640x480x8, banked
        int 0x10
        mov ax, 0x4f05
        xor bx, bx
        mov dx, 2                       ; bank 2: offsets 128 KiB..
        int 0x10
        push 0xa000
        pop es
        mov byte [es:0], 0x77           ; vram offset 131072 = pixel (512, 204)
        push 0
        pop es
        mov ax, 0x4f08
        mov bx, 0x0800                  ; 8-bit DAC
        int 0x10
        mov [0x500], bh
        mov dword [0x6000], 0x00336699  ; B=99h G=66h R=33h
        mov ax, 0x4f09
        xor bx, bx
        mov cx, 1
        mov dx, 0x77
        mov di, 0x6000
        int 0x10
        mov ax, 0x4f06
        mov bl, 0
        mov cx, 1024                    ; virtual width 1024 pixels
        int 0x10
        mov [0x502], bx
        mov ax, 0x4f07
        xor bx, bx
        mov cx, 0
        mov dx, 10                      ; display from line 10
        int 0x10
        mov byte [0x4f0], 1
        mov si, done
        call print
        jmp $
done:   db 'DONE', 0`,
      'DONE',
      { timeoutMs: 10000 },
    );
    expect(serial()).toContain('DONE');
    expect(m.memory.read8(0x500)).toBe(8);
    expect(m.memory.read16(0x502)).toBe(1024); // bytes per scanline at 8 bpp
    const out = new Uint8ClampedArray(640 * 480 * 4);
    m.vga.render(out);
    // vram 131072 with a 1024-byte pitch is (0, 128); shown from line 10, it is at y = 118.
    const p = (118 * 640 + 0) * 4;
    expect(Array.from(out.subarray(p, p + 4))).toEqual([0x33, 0x66, 0x99, 255]);
  }, 20000);
});
