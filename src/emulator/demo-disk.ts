import { assemble } from '../../core/index.js';

/**
 * Small boot floppies assembled by our own encoder: the app's demo VM (below) and the session demo
 * (src/session/demo.ts) share one builder — a boot sector that prints a banner, then echoes typed keys
 * (INT 16h → INT 10h) at a `> ` prompt.
 */
export interface EchoFloppyOptions {
  /** The first line on the screen (no quotes). */
  banner: string;
  /** Echo to COM1 as well as the screen. */
  serial?: boolean;
  /** Key handling before a key is echoed: code that jumps away on its keys (AL holds the ASCII code). */
  onKey?: string;
  /** More code and data (it may `jmp prompt`; `print` prints the zero-terminated string at SI). */
  extra?: string;
}

export function echoFloppy({ banner, serial = false, onKey = '', extra = '' }: EchoFloppyOptions): Uint8Array {
  if (banner.includes('"')) throw new Error('the banner cannot hold a double quote');
  const source = `
  bits 16
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
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
${onKey}
  cmp al, 32
  jb read
  call putc
  jmp read
newline:
  mov si, crlf
  call print
  jmp prompt
${extra}
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
  push bx
  mov ah, 0x0e
  mov bx, 0x0007
  int 0x10
  pop bx
  pop ax
${serial ? '  push dx\n  mov dx, 0x3f8\n  out dx, al\n  pop dx' : ''}
  ret
banner: db "${banner}", 13, 10, 0
ps1: db "> ", 0
crlf: db 13, 10, 0
  times 510 - ($ - $$) db 0
  dw 0xaa55
`;
  const image = new Uint8Array(1_474_560);
  image.set(assemble(source, { origin: 0x7c00, bits: 16 }).bytes);
  return image;
}

/** The app's demo VM (a boot choice, and the app e2e's quick guest): greets through INT 10h and COM1, echoes keys. */
export const DEMO_BANNER = 'co86 demo floppy: BIOS v0 booted. Type something.';

export function demoFloppy(): Uint8Array {
  return echoFloppy({ banner: DEMO_BANNER, serial: true });
}
