import { assemble } from '../../core/index.js';

/**
 * The default VM until the Debian guest arrives (issue 6): a 1.44 MB floppy whose boot sector, assembled
 * by our own encoder, greets the user through INT 10h and COM1 and echoes what is typed (INT 16h).
 */
export const DEMO_BANNER = 'co86 demo floppy: BIOS v0 booted. Type something.';

const BOOT_SECTOR = `
  bits 16
  cli
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  sti
  mov si, banner
  call print
prompt:
  mov si, ps1
  call print
read:
  xor ah, ah
  int 0x16
  cmp al, 13
  je newline
  cmp al, 8
  je read
  call putc
  jmp read
newline:
  mov si, crlf
  call print
  jmp prompt
print:
  lodsb
  test al, al
  jz .done
  call putc
  jmp print
.done:
  ret
putc:
  push ax
  mov ah, 0x0e
  mov bx, 0x0007
  int 0x10
  pop ax
  mov dx, 0x3f8
  out dx, al
  ret
banner: db "${DEMO_BANNER}", 13, 10, 0
ps1: db "> ", 0
crlf: db 13, 10, 0
  times 510 - ($ - $$) db 0
  dw 0xaa55
`;

export function demoFloppy(): Uint8Array {
  const image = new Uint8Array(1_474_560);
  image.set(assemble(BOOT_SECTOR, { origin: 0x7c00, bits: 16 }).bytes);
  return image;
}
