import { echoFloppy } from '../emulator/demo-disk.js';

/**
 * A small, fast guest for session tests and benchmarks: a 1.44 MB floppy whose boot sector (assembled
 * by our own encoder) echoes typed keys at a `> ` prompt, and on two control keys produces the screens
 * the session benchmark measures:
 *   Ctrl-L  a scrolling text console: one numbered line per timer tick (18.2 a second) until a key;
 *   Ctrl-G  a changing graphics mode: mode 13h, every pixel row recoloured each timer tick until a key;
 *   Ctrl-B  the same without waiting for the timer: as many frames as the CPU draws (a busy guest).
 */
export const SESSION_DEMO_BANNER = 'co86 session demo. Type something.';

/** Ctrl-L, Ctrl-G, Ctrl-B start the screens above. */
const ON_KEY = `
  cmp al, 12
  je scrolling
  cmp al, 7
  je graphics
  cmp al, 2
  je busy`;

const SCREENS = `
scrolling:
  xor bx, bx
.line:
  mov si, lorem
  call print
  mov ax, bx
  call hex
  mov si, crlf
  call print
  inc bx
  hlt
  mov ah, 1
  int 0x16
  jz .line
  xor ah, ah
  int 0x16
  jmp prompt

busy:
  xor bp, bp
  jmp draw
graphics:
  mov bp, 1
draw:
  mov ax, 0x0013
  int 0x10
  mov ax, 0xa000
  mov es, ax
  xor bx, bx
.frame:
  xor di, di
  mov dx, 200
.row:
  mov cx, 320
  mov al, dl
  add al, bl
  rep stosb
  dec dx
  jnz .row
  inc bx
  test bp, bp
  jz .poll
  hlt
.poll:
  mov ah, 1
  int 0x16
  jz .frame
  xor ah, ah
  int 0x16
  xor ax, ax
  mov es, ax
  mov ax, 0x0003
  int 0x10
  jmp prompt

hex:
  mov cx, 4
.digit:
  rol ax, 4
  push ax
  and al, 15
  add al, 48
  cmp al, 58
  jb .print
  add al, 7
.print:
  call putc
  pop ax
  loop .digit
  ret

lorem: db "scrolling: the quick brown fox jumps over the lazy dog ", 0
`;

export function sessionDemoFloppy(): Uint8Array {
  return echoFloppy({ banner: SESSION_DEMO_BANNER, onKey: ON_KEY, extra: SCREENS });
}
