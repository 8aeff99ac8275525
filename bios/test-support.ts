/**
 * For the BIOS tests: boot sectors assembled by core/asm and machines with a deterministic clock that
 * record COM1 and the firmware log. Not part of the BIOS itself.
 */
import { Machine, MemoryBlockDevice, assemble, type BlockDevice } from '../core/index.js';
import { createBios, type BiosOptions } from './index.js';

/** Routines boot-sector tests share: print (DS:SI, to screen and COM1), hex output of AX and AL. */
export const PRINT_ROUTINES = `
print:                  ; DS:SI zero-terminated → INT 10h teletype and COM1
        push ax
        push bx
        push dx
        push si
.next:  lodsb
        test al, al
        jz .done
        call putc
        jmp .next
.done:  pop si
        pop dx
        pop bx
        pop ax
        ret
putc:                   ; AL → screen and COM1 (COM1 only while byte 0:04F0h is 1)
        push ax
        push bx
        push dx
        test byte [cs:0x4f0], 1
        jnz .serial
        mov ah, 0x0e
        mov bx, 0x0007
        int 0x10
.serial:
        mov dx, 0x3f8
        out dx, al
        pop dx
        pop bx
        pop ax
        ret
hex16:                  ; AX as 4 hex digits
        xchg al, ah
        call hex8
        xchg al, ah
hex8:                   ; AL as 2 hex digits
        push ax
        push cx
        mov cl, 4
        push ax
        shr al, cl
        call .digit
        pop ax
        call .digit
        pop cx
        pop ax
        ret
.digit: and al, 0x0f
        add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'A' - '9' - 1
.out:   jmp putc
`;

/** Ends a boot-sector test: COM1 output on (byte 0:04F0h), prints DONE, halts in a loop. */
export const DONE = `
        mov byte [0x4f0], 1
        mov si, done
        call print
        jmp $
done:   db 'DONE', 0`;

/** Gives FS base 0 and a 4 GiB limit ("unreal" mode: protected mode and back) so [fs:edi] reaches any address; needs UNREAL_GDT. */
export const UNREAL_FS = `
        cli
        lgdt [gdt_desc]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        mov bx, 8
        mov fs, bx
        and al, 0xfe
        mov cr0, eax
        xor bx, bx
        mov fs, bx                      ; real-mode FS again, the 4 GiB limit stays
        sti`;
export const UNREAL_GDT = `
gdt:    dd 0, 0
        dd 0x0000ffff, 0x00cf9200       ; data, base 0, 4 GiB
gdt_desc:
        dw 15
        dd gdt`;

/** What every test boot image does first: DS = ES = SS = 0, the stack below 7C00h, interrupts on, DF clear. */
export const REAL_MODE_PROLOGUE = `
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        cld`;

/** A 512-byte boot sector: `code` at 0000:7C00 (DS=ES=0 set up first), the print routines, 55AA. */
export function bootSector(code: string): Uint8Array {
  const src = `org 0x7c00
${REAL_MODE_PROLOGUE}
${code}
${PRINT_ROUTINES}
        times 510 - ($ - $$) db 0
        dw 0xaa55`;
  return assemble(src).bytes;
}

export function image(size: number, boot?: Uint8Array): Uint8Array {
  const data = new Uint8Array(size);
  if (boot) data.set(boot);
  return data;
}

export interface TestMachine {
  m: Machine;
  serial: () => string;
  log: string[];
}

export interface TestMachineConfig {
  floppies?: (BlockDevice | undefined)[];
  hardDisks?: (BlockDevice | undefined)[];
  cdroms?: (BlockDevice | undefined)[];
  memoryMB?: number;
  /** BIOS options; by default the v0 behaviour the older tests were written for: floppy, hard disk, CD-ROM, no F12 prompt. */
  bios?: BiosOptions;
}

export function testMachine(config: TestMachineConfig): TestMachine {
  const { bios = { order: ['floppy', 'hd', 'cdrom'], menuTimeoutMs: 0 }, ...machine } = config;
  const m = new Machine({ firmware: createBios(bios), clock: 'deterministic', ...machine });
  const bytes: number[] = [];
  const log: string[] = [];
  m.onSerial = (b) => bytes.push(b);
  m.onLog = (s) => log.push(s);
  return { m, serial: () => String.fromCharCode(...bytes), log };
}

/** Boots a floppy image holding `code` and runs until COM1 shows `until` (or the time is up). */
export async function runBootSector(code: string, until: string | RegExp, opts: { hardDisk?: Uint8Array; timeoutMs?: number } = {}): Promise<TestMachine> {
  const t = testMachine({
    floppies: [new MemoryBlockDevice(image(1474560, bootSector(code)))],
    hardDisks: opts.hardDisk ? [new MemoryBlockDevice(opts.hardDisk)] : [],
  });
  await t.m.runUntil(() => matches(t.serial(), until), { timeoutMs: opts.timeoutMs ?? 5000 });
  return t;
}

export function matches(text: string, until: string | RegExp): boolean {
  return typeof until === 'string' ? text.includes(until) : until.test(text);
}

/** A disk that answers every read a little later, as an HTTP-backed image does; counts its reads. */
export function slowDisk(data: Uint8Array): BlockDevice & { reads: number } {
  const inner = new MemoryBlockDevice(data);
  return {
    size: inner.size,
    readOnly: false,
    reads: 0,
    read(offset, dest) {
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          this.reads++;
          inner.read(offset, dest);
          resolve();
        }, 1),
      );
    },
    write: (offset, src) => inner.write(offset, src),
  };
}

/** Set-2 make/break bytes for the keys the tests type. */
export const SET2: Record<string, number> = {
  a: 0x1c, b: 0x32, c: 0x21, d: 0x23, e: 0x24, h: 0x33, i: 0x43, l: 0x4b, o: 0x44, q: 0x15, x: 0x22, '1': 0x16, enter: 0x5a,
  lshift: 0x12, caps: 0x58, lctrl: 0x14,
};

export function press(key: string): number[] {
  return [SET2[key]];
}
export function release(key: string): number[] {
  return [0xf0, SET2[key]];
}
export function tap(key: string): number[] {
  return [...press(key), ...release(key)];
}
