import { describe, expect, it } from 'vitest';
import { FONT8X16, FONT8X8 } from '../core/index.js';
import { DONE, runBootSector, type TestMachine } from './test-support.js';

/** Renders the machine's screen and returns a pixel reader. */
function screen(m: TestMachine['m']) {
  const { width, height } = m.vga.renderSize();
  const out = new Uint8ClampedArray(width * height * 4);
  m.vga.render(out);
  const at = (x: number, y: number) => Array.from(out.subarray((y * width + x) * 4, (y * width + x) * 4 + 4));
  return { width, height, at };
}

/** The RGBA the card shows for attribute colour c (16-colour modes) or DAC index c (mode 13h). */
function attrRgba(m: TestMachine['m'], c: number): number[] {
  return [...m.vga.paletteRgb(m.vga.attributeRegister(c) & 0x3f), 255];
}
const dacRgba = (m: TestMachine['m'], c: number) => [...m.vga.paletteRgb(c), 255];


describe('INT 10h graphics modes', () => {
  it('mode 13h: a guest pattern at A000h, a pixel through AH=0Ch and a character in the 8x8 font', async () => {
    const { m } = await runBootSector(
      `       mov ax, 0x0013
        int 0x10
        push 0xa000
        pop es
        xor di, di
        mov cx, 64000
.fill:  mov ax, di
        add al, ah                      ; colour = (offset low + offset high) & FFh
        stosb
        loop .fill
        push 0
        pop es
        mov ax, 0x0c2a                  ; pixel (100, 150) colour 2Ah
        mov cx, 100
        mov dx, 150
        xor bh, bh
        int 0x10
        mov ax, 0x0e41                  ; 'A' at the cursor (0, 0), colour 0Eh
        mov bx, 0x000e
        int 0x10
        mov ah, 0x0d                    ; read back (100, 150)
        mov cx, 100
        mov dx, 150
        int 0x10
        mov [0x500], al
${DONE}`,
      'DONE',
    );
    expect(m.vga.displayMode()).toEqual({ text: false, width: 320, height: 200, bpp: 8 });
    expect(m.memory.read8(0x500)).toBe(0x2a);
    // INT 1Fh: the upper half (80h-FFh) of the 8×8 font; the lower half is in the system ROM at F000:FA6E.
    const int1f = (m.memory.read16(0x1f * 4 + 2) << 4) + m.memory.read16(0x1f * 4);
    expect(Array.from(m.memory.readBytes(int1f, 128 * 8))).toEqual(Array.from(FONT8X8.glyphs.subarray(128 * 8, 256 * 8)));
    expect(Array.from(m.memory.readBytes(0xffa6e, 128 * 8))).toEqual(Array.from(FONT8X8.glyphs.subarray(0, 128 * 8)));
    const s = screen(m);
    expect([s.width, s.height]).toEqual([320, 200]);
    let wrong = 0;
    for (let y = 8; y < 200; y++) {
      for (let x = 0; x < 320; x++) {
        const off = y * 320 + x;
        const colour = x === 100 && y === 150 ? 0x2a : ((off & 0xff) + (off >> 8)) & 0xff;
        if (s.at(x, y).join() !== dacRgba(m, colour).join()) wrong++;
      }
    }
    expect(wrong).toBe(0);
    for (let y = 0; y < 8; y++) {
      const bits = FONT8X8.glyphs[0x41 * 8 + y];
      for (let x = 0; x < 8; x++) expect(s.at(x, y)).toEqual(dacRgba(m, (bits << x) & 0x80 ? 0x0e : 0));
    }
    // The default mode 13h palette: CGA colours first, then greys.
    expect(m.vga.paletteRgb(4)).toEqual([0xaa, 0, 0]);
    expect(m.vga.paletteRgb(31)).toEqual([255, 255, 255]);
  });

  it('mode 12h: 640x480 planar pixels through AH=0Ch/0Dh and text in the 8x16 font', async () => {
    const { m } = await runBootSector(
      `       mov ax, 0x0012
        int 0x10
        mov bx, 1
.pix:   mov ax, bx
        mov ah, 0x0c
        mov cx, bx
        shl cx, 4                       ; x = colour × 16
        mov dx, 300
        push bx
        xor bh, bh
        int 0x10
        pop bx
        inc bx
        cmp bx, 16
        jb .pix
        mov ah, 0x0d
        mov cx, 7 * 16
        mov dx, 300
        xor bh, bh
        int 0x10
        mov [0x500], al
        mov ah, 0x02                    ; cursor to row 1, column 2
        xor bh, bh
        mov dx, 0x0102
        int 0x10
        mov ax, 0x0e48                  ; 'H' in yellow
        mov bx, 0x000e
        int 0x10
${DONE}`,
      'DONE',
    );
    expect(m.vga.displayMode()).toMatchObject({ text: false, width: 640, height: 480 });
    expect(m.memory.read8(0x500)).toBe(7);
    const s = screen(m);
    expect([s.width, s.height]).toEqual([640, 480]);
    for (let c = 1; c < 16; c++) {
      expect(s.at(c * 16, 300), `colour ${c}`).toEqual(attrRgba(m, c));
      expect(s.at(c * 16 + 1, 300)).toEqual(attrRgba(m, 0));
    }
    for (let y = 0; y < 16; y++) {
      const bits = FONT8X16.glyphs[0x48 * 16 + y];
      for (let x = 0; x < 8; x++) expect(s.at(16 + x, 16 + y)).toEqual(attrRgba(m, (bits << x) & 0x80 ? 14 : 0));
    }
  });

  it('mode 04h: CGA 320x200x4 with interleaved banks', async () => {
    const { m } = await runBootSector(
      `       mov ax, 0x0004
        int 0x10
        mov ax, 0x0c03                  ; (5, 1) colour 3: odd line, bank 2000h
        mov cx, 5
        mov dx, 1
        xor bh, bh
        int 0x10
        mov ax, 0x0c02                  ; (0, 0) colour 2
        xor cx, cx
        xor dx, dx
        int 0x10
${DONE}`,
      'DONE',
    );
    expect(m.memory.read8(0xb8000)).toBe(0x80);
    expect(m.memory.read8(0xba001)).toBe(0x30); // pixel 1 of the byte: bits 5-4
    const s = screen(m);
    expect([s.width, s.height]).toEqual([320, 200]);
    expect(s.at(0, 0)).toEqual(attrRgba(m, 2));
    expect(s.at(5, 1)).toEqual(attrRgba(m, 3));
    expect(s.at(5, 0)).toEqual(attrRgba(m, 0));
    expect(s.at(0, 0)).not.toEqual(s.at(1, 0));
  });
});

describe('INT 10h fonts', () => {
  it('AX=1112h loads the 8x8 font: 80x50 text drawn with it; AX=1130h points at the ROM fonts', async () => {
    const { m } = await runBootSector(
      `       mov ax, 0x1112
        xor bl, bl
        int 0x10
        mov ax, 0x1130
        mov bh, 6                       ; the 8x16 ROM font
        int 0x10
        mov [0x500], bp
        mov [0x502], es
        push 0
        pop es
        push 0xb800
        pop es
        mov word [es:49*160], 0x0758    ; 'X' on the last (50th) row
        push 0
        pop es
${DONE}`,
      'DONE',
    );
    const font = m.memory.read16(0x502) * 16 + m.memory.read16(0x500);
    expect(Array.from(m.memory.readBytes(font + 0x41 * 16, 16))).toEqual(Array.from(FONT8X16.glyphs.subarray(0x41 * 16, 0x42 * 16)));
    expect(m.vga.textScreen().rows).toBe(50);
    expect(m.screenText().split('\n')[49]).toBe('X');
    const s = screen(m);
    expect([s.width, s.height]).toEqual([720, 400]);
    for (let y = 0; y < 8; y++) {
      const bits = FONT8X8.glyphs[0x58 * 8 + y];
      for (let x = 0; x < 8; x++) expect(s.at(x, 49 * 8 + y)).toEqual((bits << x) & 0x80 ? [0xaa, 0xaa, 0xaa, 255] : [0, 0, 0, 255]);
    }
  });
});
