/** INT 15h services the Linux boot path uses: the E820 map entry by entry, and the AH=87h block move. */
import { describe, expect, it } from 'vitest';
import { runBootSector } from './test-support.js';

describe('INT 15h', () => {
  it('lists the E820 map: low RAM up to the EBDA, the EBDA and ROM reserved, RAM from 1 MiB, the ROM alias', async () => {
    const { serial } = await runBootSector(
      `       xor ebx, ebx
        mov di, 0x6000
.next:  mov eax, 0xe820
        mov ecx, 24
        mov edx, 0x534d4150
        int 0x15
        jc .done
        cmp eax, 0x534d4150
        jne .done
        mov ax, [di + 2]        ; base bits 16-31, 0-15, length 16-31, 0-15, type
        call hex16
        mov ax, [di]
        call hex16
        mov al, '+'
        call putc
        mov ax, [di + 10]
        call hex16
        mov ax, [di + 8]
        call hex16
        mov al, ':'
        call putc
        mov al, [di + 16]
        call hex8
        mov al, ' '
        call putc
        test ebx, ebx
        jnz .next
.done:  mov si, done
        call print
        jmp $
done:   db 'done', 0`,
      'done',
    );
    expect(serial()).toBe('00000000+0009FC00:01 0009FC00+00000400:02 000F0000+00010000:02 00100000+00F00000:01 FFFF0000+00010000:02 done');
  });

  it('copies memory above 1 MiB and back with AH=87h (GDT at ES:SI, CX words)', async () => {
    const { serial } = await runBootSector(
      `       mov ah, 0x87            ; 7C00h (this sector) → 200000h, 256 words
        mov cx, 256
        mov si, gdt
        int 0x15
        jc fail
        mov byte [gdt + 0x12 + 0], 0x00 ; then 200000h → 10000h
        mov byte [gdt + 0x12 + 1], 0x00
        mov byte [gdt + 0x12 + 2], 0x20
        mov byte [gdt + 0x1a + 0], 0x00
        mov byte [gdt + 0x1a + 1], 0x00
        mov byte [gdt + 0x1a + 2], 0x01
        mov ah, 0x87
        mov cx, 256
        mov si, gdt
        int 0x15
        jc fail
        push ds
        mov ax, 0x1000
        mov ds, ax
        mov si, msg - 0x7c00
        call print
        pop ds
        mov ah, 0x87            ; more than 32 Ki words: refused
        mov cx, 0x8001
        mov si, gdt
        int 0x15
        mov al, ah
        adc al, 0
        call hex8
        jmp $
fail:   mov al, '!'
        call putc
        jmp $
msg:    db 'MOVED ', 0
gdt:    times 16 db 0
        dw 0xffff, 0x7c00       ; source: limit, base 0-15
        db 0x00, 0x93, 0, 0x00  ; base 16-23, access, limit/flags, base 24-31
        dw 0xffff, 0x0000       ; destination 200000h
        db 0x20, 0x93, 0, 0x00
        times 16 db 0`,
      /MOVED \w\w|!/,
    );
    expect(serial()).toBe('MOVED 02');
  });
});
