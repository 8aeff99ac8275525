/**
 * Boot tests: the whole machine (CPU, chips, this BIOS) with boot sectors assembled by core/asm, a
 * deterministic clock and bounded runs.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice } from '../core/index.js';
import { bootSector, image, press, release, runBootSector, slowDisk, tap, testMachine } from './test-support.js';

/** 16-bit sum of bytes, as the boot sectors below compute it. */
function sum16(bytes: Uint8Array): number {
  let s = 0;
  for (const b of bytes) s = (s + b) & 0xffff;
  return s;
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

/**
 * Boot-sector routines for the disk tests: `checksum` prints the marker string at ES:0, then the 16-bit
 * sum of the SI bytes there in hex, each followed by a space; `fail` prints FAILED and stops.
 */
const DISK_CHECK_ROUTINES = `
checksum:
        push ds
        mov ax, es
        mov ds, ax
        push si
        xor si, si
        call print
        pop cx
        xor si, si
        xor dx, dx
        xor ah, ah
.add:   lodsb
        add dx, ax
        loop .add
        pop ds
        mov al, ' '
        call putc
        mov ax, dx
        call hex16
        mov al, ' '
        call putc
        ret
fail:   mov si, failed
        call print
        jmp $
failed: db 'FAILED', 0`;

/** Sectors 1.. of an image: a marker at the start of sector 1 (CHS sector 2), then a byte pattern. */
function fillData(data: Uint8Array, marker: string, sectors: number, seed: number): Uint8Array {
  const region = data.subarray(512, 512 + sectors * 512);
  for (let i = 0; i < region.length; i++) region[i] = (i * seed + (i >> 9)) & 0xff;
  for (let i = 0; i < marker.length; i++) region[i] = marker.charCodeAt(i);
  region[marker.length] = 0;
  return region;
}

describe('POST and boot', () => {
  it('boots a floppy whose sector prints through INT 10h teletype and COM1', async () => {
    const { m, serial } = await runBootSector(
      `       mov si, msg
        call print
        jmp $
msg:    db 'Hello, co86!', 13, 10, 0`,
      'Hello, co86!\r\n',
    );
    expect(serial()).toBe('Hello, co86!\r\n');
    const screen = m.screenText().split('\n');
    expect(screen[0]).toBe('co86 BIOS');
    expect(screen).toContain('Hello, co86!');
    // Mode 3 with the cursor after the text, on the row below it (CRTC 0Eh/0Fh).
    const row = screen.indexOf('Hello, co86!') + 1;
    m.io.write8(0x3d4, 0x0e);
    const high = m.io.read8(0x3d5);
    m.io.write8(0x3d4, 0x0f);
    expect((high << 8) | m.io.read8(0x3d5)).toBe(row * 80);
    expect(m.memory.read8(0x449)).toBe(3);
  });

  it('sets up the IVT, BDA and PIC as POST should', async () => {
    const { m } = await runBootSector('mov al, 0x2e\n out 0xe9, al\n mov si, done\n call print\n jmp $\ndone: db "ok", 0', 'ok');
    const vector = (n: number) => [m.memory.read16(n * 4 + 2), m.memory.read16(n * 4)];
    for (const n of [0x08, 0x09, 0x10, 0x13, 0x16, 0x19, 0x1a, 0x70]) expect(vector(n)[0]).toBe(0xf000);
    expect(vector(0x1c)).toEqual([0xf000, 0xff53]); // INT 1Ch hook: the dummy IRET until someone hooks it
    expect(vector(0x1e)).toEqual([0xf000, 0xefc7]); // diskette parameters
    expect(m.memory.read8(0xfff53)).toBe(0xcf); // IRET
    expect(m.memory.read16(0x413)).toBe(639); // 640 KiB less the EBDA
    expect(m.memory.read16(0x40e)).toBe(0x9fc0);
    expect(m.memory.read16(0x400)).toBe(0x3f8);
    const equipment = m.memory.read16(0x410);
    expect(equipment & 1).toBe(1); // a floppy
    expect((equipment >> 4) & 3).toBe(2); // 80x25 colour
    expect(m.memory.read16(0x41a)).toBe(m.memory.read16(0x41c)); // empty keyboard buffer
    expect(m.memory.read16(0x480)).toBe(0x1e);
    expect(m.memory.read16(0x482)).toBe(0x3e);
    expect(m.memory.read8(0x475)).toBe(0); // no hard disk
    expect(m.io.read8(0x21) & 0x07).toBe(0); // timer, keyboard, cascade unmasked
  });

  it('keeps the tick count with IRQ0 (INT 08h) and answers INT 1Ah', async () => {
    const { m, serial } = await runBootSector(
      `       xor ah, ah
        int 0x1a
        mov bx, dx
        mov cx, 20              ; wait for 20 timer interrupts
.wait:  hlt
        loop .wait
        xor ah, ah
        int 0x1a
        sub dx, bx
        mov ax, dx
        call hex16
        mov al, '/'
        call putc
        mov ah, 0x04            ; RTC date
        int 0x1a
        mov ax, cx
        call hex16
        mov ax, dx
        call hex16
        mov al, '.'
        call putc
        jmp $`,
      '.',
    );
    // Other IRQs (keyboard) may wake HLT too, so at most 20 ticks; at least a few must have counted.
    const [ticks, date] = serial().replace('.', '').split('/');
    expect(parseInt(ticks, 16)).toBeGreaterThan(0);
    expect(parseInt(ticks, 16)).toBeLessThanOrEqual(20);
    expect(date).toMatch(/^20\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/); // century, year, month, day in BCD
    expect(m.memory.read32(0x46c)).toBeGreaterThan(0);
  });
  it('rolls the tick count over at midnight and reports it once through INT 1Ah AH=00h', async () => {
    const { serial } = await runBootSector(
      `       mov ah, 0x01            ; one tick before midnight: 1800AFh
        mov cx, 0x0018
        mov dx, 0x00af
        int 0x1a
.wait:  hlt
        xor ah, ah
        int 0x1a
        cmp cx, 0x0018
        je .wait
        call hex8               ; AL: midnight passed
        mov ax, cx
        call hex16
        xor ah, ah
        int 0x1a
        call hex8               ; read once: cleared
        mov al, '.'
        call putc
        jmp $`,
      '.',
    );
    expect(serial()).toBe('01000000.');
  });
});

describe('INT 13h', () => {
  it('reads sectors 2..N of a floppy (CHS) and of a hard disk (AH=42h) and finds their markers', async () => {
    const floppy = image(1474560);
    const floppyData = fillData(floppy, 'FLOPPY-MARK', 17, 7);
    const hdd = image(4 * 1024 * 1024);
    const hddData = fillData(hdd, 'DISK-MARK', 16, 13);
    floppy.set(
      bootSector(`
        mov ax, 0x1000          ; floppy sectors 2..18 (CHS) to 1000:0000
        mov es, ax
        xor bx, bx
        mov ax, 0x0211
        mov cx, 0x0002
        xor dx, dx
        int 0x13
        jc fail
        cmp al, 17
        jne fail
        mov si, 17 * 512
        call checksum
        mov ax, 0x0041          ; extensions present?
        mov bx, 0x55aa
        mov dl, 0x80
        mov ah, 0x41
        int 0x13
        jc fail
        cmp bx, 0xaa55
        jne fail
        mov si, packet          ; hard disk LBA 1..16 (AH=42h) to 2000:0000
        mov ah, 0x42
        mov dl, 0x80
        int 0x13
        jc fail
        mov ax, 0x2000
        mov es, ax
        mov si, 16 * 512
        call checksum
        mov si, done
        call print
        jmp $
packet: db 0x10, 0
        dw 16                   ; sectors
        dw 0, 0x2000            ; buffer 2000:0000
        dd 1, 0                 ; LBA 1
done:   db 'done', 0
${DISK_CHECK_ROUTINES}`),
    );
    const t = testMachine({ floppies: [new MemoryBlockDevice(floppy)], hardDisks: [new MemoryBlockDevice(hdd)] });
    await t.m.runUntil(() => /done|FAILED/.test(t.serial()), { timeoutMs: 5000 });
    expect(t.serial()).toBe(`FLOPPY-MARK ${hex4(sum16(floppyData))} DISK-MARK ${hex4(sum16(hddData))} done`);
    expect(t.m.screenText()).toContain('DISK-MARK');
    expect(t.m.memory.read8(0x475)).toBe(1);
  });

  it('boots a hard disk with 55AA and reads it by CHS with the geometry AH=08h reports', async () => {
    const hdd = image(8 * 1024 * 1024);
    const data = fillData(hdd, 'HD-CHS', 70, 3); // LBA 1..70: crosses a 63-sector track
    hdd.set(
      bootSector(`
        mov [drive], dl
        mov ah, 0x08
        int 0x13
        jc fail
        mov al, dh              ; heads - 1
        call hex8
        mov al, cl              ; sectors per track
        and al, 0x3f
        call hex8
        mov al, ' '
        call putc
        mov ax, 0x1000
        mov es, ax
        xor bx, bx
        mov ax, 0x023e          ; LBA 1..62: cylinder 0, head 0, sectors 2..63
        mov cx, 0x0002
        xor dh, dh
        mov dl, [drive]
        int 0x13
        jc fail
        mov bx, 62 * 512        ; LBA 63..70: cylinder 0, head 1, sectors 1..8
        mov ax, 0x0208
        mov cx, 0x0001
        mov dh, 1
        mov dl, [drive]
        int 0x13
        jc fail
        mov si, 70 * 512
        call checksum
        mov si, done
        call print
        jmp $
drive:  db 0
done:   db 'done', 0
${DISK_CHECK_ROUTINES}`),
    );
    const t = testMachine({ hardDisks: [new MemoryBlockDevice(hdd)] });
    await t.m.runUntil(() => /done|FAILED/.test(t.serial()), { timeoutMs: 5000 });
    expect(t.serial()).toBe(`0F3F HD-CHS ${hex4(sum16(data))} done`);
    expect(t.m.screenText()).toContain('Booting from hard disk');
  });

  it('reports a read past the end of a truncated image with CF=1 and AH=04h, and a partial count', async () => {
    // A 1.44 MB floppy missing its last 100 sectors (2780 of 2880 there): C1/H0/S1 is LBA 36,
    // C79/H1/S18 is LBA 2879 (gone), C77/H0/S5 is LBA 2776 (4 sectors left after it).
    const floppy = image(1474560 - 100 * 512);
    floppy.set(
      bootSector(`
        mov ax, 0x1000
        mov es, ax
        xor bx, bx
        mov ax, 0x0201          ; LBA 36: fine
        mov cx, 0x0101
        xor dx, dx
        int 0x13
        call report
        mov ax, 0x0201          ; LBA 2879: past the end
        mov cx, 0x4f12
        mov dh, 1
        xor dl, dl
        int 0x13
        call report
        mov ax, 0x0208          ; LBA 2776..2783: 4 sectors, then the end
        mov cx, 0x4d05
        xor dx, dx
        int 0x13
        call report
        mov ah, 0x01            ; last status
        xor dl, dl
        int 0x13
        call report
        mov si, done
        call print
        jmp $
report: pushf                   ; "CF AX;"
        push ax
        mov al, '0'
        adc al, 0
        call putc
        mov al, ' '
        call putc
        pop ax
        call hex16
        mov al, ';'
        call putc
        popf
        ret
done:   db 'done', 0`),
    );
    const t = testMachine({ floppies: [new MemoryBlockDevice(floppy)] });
    await t.m.runUntil(() => t.serial().includes('done'), { timeoutMs: 5000 });
    expect(t.serial()).toBe('0 0001;1 0400;1 0404;1 043B;done'); // AL of the last call: report's ';'
  });

  it('writes sectors by CHS and AH=43h, and refuses a read-only disk with 03h', async () => {
    const floppy = image(1474560, bootSector(`
        mov di, 0x1000          ; a sector of 'W' at 0000:1000
        mov cx, 512
        mov al, 'W'
        rep stosb
        mov bx, 0x1000
        mov ax, 0x0301          ; floppy (read-only): CHS write of sector 5
        mov cx, 0x0005
        xor dx, dx
        int 0x13
        call report
        mov ax, 0x0301          ; hard disk: CHS write of C0/H0/S5 = LBA 4
        mov cx, 0x0005
        mov dx, 0x0080
        int 0x13
        call report
        mov si, packet          ; hard disk: AH=43h write of LBA 9
        mov ax, 0x4300
        mov dl, 0x80
        int 0x13
        call report
        mov si, done
        call print
        jmp $
report: pushf
        mov al, ah
        call hex8
        popf
        mov al, '0'
        adc al, 0
        call putc
        mov al, ';'
        jmp putc
packet: db 0x10, 0
        dw 1
        dw 0x1000, 0
        dd 9, 0
done:   db 'done', 0`));
    const hdd = image(1024 * 1024);
    const t = testMachine({ floppies: [new MemoryBlockDevice(floppy, true)], hardDisks: [new MemoryBlockDevice(hdd)] });
    await t.m.runUntil(() => t.serial().includes('done'), { timeoutMs: 5000 });
    expect(t.serial()).toBe('031;000;000;done');
    expect(floppy[4 * 512]).toBe(0);
    expect(String.fromCharCode(...hdd.subarray(4 * 512, 4 * 512 + 4))).toBe('WWWW');
    expect(hdd.subarray(9 * 512, 10 * 512).every((b) => b === 0x57)).toBe(true);
    expect(hdd[10 * 512]).toBe(0);
  });

  it('works with disks that answer asynchronously (POST reading the MBR, then INT 13h)', async () => {
    const floppy = image(1474560, bootSector(`
        mov ah, 0x08            ; the hard disk's geometry, which POST took from its MBR
        mov dl, 0x80
        int 0x13
        jc .fail
        mov al, dh
        call hex8
        mov al, cl
        call hex8
        mov al, ' '
        call putc
        mov ax, 0x1000
        mov es, ax
        xor bx, bx
        mov ax, 0x0204
        mov cx, 0x0002
        xor dx, dx
        int 0x13
        jc .fail
        mov ax, es
        mov ds, ax
        xor si, si
        call print
        jmp $
.fail:  mov al, '!'
        call putc
        jmp $`));
    fillData(floppy, 'ASYNC-MARK', 4, 5);
    // A hard disk whose one partition is laid out for 4 heads x 32 sectors (see geometry.test.ts).
    const hdd = image(313 * 128 * 512);
    const e = 446;
    hdd.set([0x06, 3, 32 | (1 << 6), 312 & 0xff], e + 4);
    new DataView(hdd.buffer).setUint32(e + 8, 32, true);
    new DataView(hdd.buffer).setUint32(e + 12, 40032, true);
    hdd[510] = 0x55;
    hdd[511] = 0xaa;
    const fd = slowDisk(floppy);
    const hd = slowDisk(hdd);
    const t = testMachine({ floppies: [fd], hardDisks: [hd] });
    await t.m.runUntil(() => /ASYNC-MARK|!/.test(t.serial()), { timeoutMs: 5000 });
    // DH = 3 (heads - 1), CL = 32 sectors | cylinder 312's high bits (1 << 6).
    expect(t.serial()).toBe('0360 ASYNC-MARK');
    expect(fd.reads).toBeGreaterThanOrEqual(2); // the boot sector, then sectors 2-5
    expect(hd.reads).toBe(1); // its MBR, once
  });

  it('prints a message on screen and COM1 when nothing boots, and retries after a key', async () => {
    const t = testMachine({});
    await t.m.runUntil(() => t.serial().includes('press a key'), { timeoutMs: 5000 });
    expect(t.serial()).toBe('No bootable disk. Insert a boot disk and press a key to retry.\r\n');
    expect(t.m.screenText()).toContain('No bootable disk');
    expect(t.log.join('\n')).toMatch(/no bootable disk/);
    t.m.keyboard.sendScancodes(tap('x'));
    await t.m.runUntil(() => t.serial().split('No bootable').length === 3, { timeoutMs: 5000 });
    expect(t.serial().split('No bootable').length).toBe(3);
  });

  it('refuses a hard disk without the 55AA signature', async () => {
    const hdd = image(1024 * 1024);
    hdd.set(bootSector('jmp $').subarray(0, 510)); // no signature
    const t = testMachine({ hardDisks: [new MemoryBlockDevice(hdd)] });
    await t.m.runUntil(() => t.serial().includes('press a key'), { timeoutMs: 5000 });
    expect(t.serial()).toContain('no boot signature');
  });
});

describe('keyboard', () => {
  it('takes IRQ1, translates scancodes and wakes INT 16h AH=00h, which echoes to COM1', async () => {
    const t = await runBootSector(
      `       mov si, ready
        call print
.loop:  xor ah, ah
        int 0x16
        call putc
        cmp al, 'q'
        jne .loop
        mov al, '.'
        call putc
        jmp $
ready:  db 'ready:', 0`,
      'ready:',
    );
    expect(t.serial()).toBe('ready:');
    t.m.keyboard.sendScancodes([...tap('h'), ...tap('i'), ...press('lshift'), ...tap('a'), ...release('lshift'), ...tap('1')]);
    t.m.keyboard.sendScancodes([...tap('caps'), ...tap('b'), ...press('lshift'), ...tap('b'), ...release('lshift'), ...tap('caps')]);
    t.m.keyboard.sendScancodes([...press('lctrl'), ...tap('c'), ...release('lctrl'), ...tap('enter'), ...tap('q')]);
    await t.m.runUntil(() => t.serial().endsWith('.'), { timeoutMs: 5000 });
    expect(t.serial()).toBe('ready:hiA1Bb\x03\rq.');
  });

  it('resets the machine on Ctrl+Alt+Del, with the warm-boot flag set', async () => {
    const t = await runBootSector('mov si, hi\n call print\n jmp $\nhi: db "hi", 0', 'hi');
    let resets = 0;
    t.m.onReset = () => resets++;
    // Ctrl (14), Alt (11), Delete (E0 71) in set 2.
    t.m.keyboard.sendScancodes([0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14]);
    await t.m.runUntil(() => t.serial() === 'hihi', { timeoutMs: 5000 });
    expect(resets).toBe(1);
    expect(t.serial()).toBe('hihi');
    expect(t.m.memory.read16(0x472)).toBe(0x1234);
  });

  it('answers INT 16h AH=01h (ZF) and AH=05h (push a key) without waiting', async () => {
    const t = await runBootSector(
      `       mov ah, 0x01            ; nothing there: ZF=1
        int 0x16
        mov al, 'E'
        jz .empty
        mov al, 'X'
.empty: call putc
        mov ah, 0x05
        mov cx, 0x2e63          ; 'c'
        int 0x16
        mov ah, 0x01
        int 0x16
        jz .bad
        call putc               ; peeked, still there
        xor ah, ah
        int 0x16
        call putc
        mov ah, 0x02
        int 0x16
        call hex8
        mov al, '.'
        call putc
        jmp $
.bad:   mov al, '!'
        call putc
        jmp $`,
      /[.!]$/,
    );
    expect(t.serial()).toBe('Ecc00.');
  });
});

describe('INT 10h', () => {
  it('scrolls the screen when teletype output passes the last row', async () => {
    const { m } = await runBootSector(
      `       mov cx, 30
        mov bl, 'A'
.line:  mov al, bl
        call putc
        mov al, 13
        call putc
        mov al, 10
        call putc
        inc bl
        loop .line
        mov si, done
        call print
        jmp $
done:   db 'end', 0`,
      'end',
    );
    const rows = m.screenText().split('\n');
    expect(rows.length).toBe(25);
    // 2 lines of POST/boot messages + 30 lines + "end": the screen holds the last 25.
    expect(rows[24]).toBe('end');
    expect(rows[23]).toBe(String.fromCharCode('A'.charCodeAt(0) + 29));
    expect(rows[0]).toBe(String.fromCharCode('A'.charCodeAt(0) + 6));
  });

  it('sets mode 7 (monochrome at B0000h, CRTC at 3B4h) and draws text there', async () => {
    const { m, serial } = await runBootSector(
      `       mov ax, 0x0007
        int 0x10
        mov si, msg
        call print
        mov ah, 0x0f
        int 0x10
        call hex16
        jmp $
msg:    db 'mono ', 0`,
      /5007$/,
    );
    expect(serial()).toBe('mono 5007');
    expect(m.screenText().split('\n')[0]).toBe('mono 5007');
    expect(m.memory.read8(0xb0000)).toBe('m'.charCodeAt(0));
    expect(m.memory.read16(0x463)).toBe(0x3b4);
    expect((m.memory.read16(0x410) >> 4) & 3).toBe(3);
  });

  it('writes characters with attributes, reads them back, and reports the mode', async () => {
    const { m, serial } = await runBootSector(
      `       mov byte [0x4f0], 1     ; hex output to COM1 only: the cursor stays where the test puts it
        mov ah, 0x02            ; cursor to row 10, col 5
        xor bh, bh
        mov dx, 0x0a05
        int 0x10
        mov ax, 0x0958          ; 'X' x 3 in attribute 1Eh
        mov bx, 0x001e
        mov cx, 3
        int 0x10
        mov ah, 0x08
        int 0x10
        call hex16
        mov ah, 0x0f
        int 0x10
        call hex16
        mov ah, 0x03
        int 0x10
        mov ax, dx
        call hex16
        mov ax, 0x1a00
        int 0x10
        call hex8
        mov al, bl
        call hex8
        mov ax, 0x1301          ; write string at 12,0 with attribute 2Fh, cursor moves
        mov bx, 0x002f
        mov cx, 5
        mov dx, 0x0c00
        mov bp, text
        int 0x10
        mov ah, 0x03
        int 0x10
        mov ax, dx
        call hex16
        mov al, '.'
        call putc
        jmp $
text:   db 'hello'`,
      '.',
    );
    expect(serial()).toBe('1E58' + '5003' + '0A05' + '1A08' + '0C05' + '.');
    const rows = m.screenText().split('\n');
    expect(rows[10]).toBe('     XXX');
    expect(rows[12].startsWith('hello')).toBe(true);
    expect(m.memory.read8(0xb8000 + (10 * 80 + 6) * 2 + 1)).toBe(0x1e);
    expect(m.memory.read8(0xb8000 + 12 * 160 + 1)).toBe(0x2f);
  });
});

describe('INT 15h and INT 11h/12h', () => {
  it('reports memory (INT 12h, 88h, E801h, E820h), the configuration table and A20 control', async () => {
    const { serial } = await runBootSector(
      `       int 0x12
        call hex16
        mov al, ' '
        call putc
        mov ah, 0x88
        int 0x15
        call hex16
        mov al, ' '
        call putc
        mov ax, 0xe801
        int 0x15
        call hex16
        mov ax, bx
        call hex16
        mov al, ' '
        call putc
        xor ebx, ebx            ; E820: count entries and sum usable RAM in KiB
        xor esi, esi
        xor bp, bp
.e820:  mov eax, 0xe820
        mov edx, 0x534d4150
        mov ecx, 20
        mov di, 0x600
        int 0x15
        jc .e820done
        inc bp
        cmp dword [0x610], 1
        jne .next
        mov eax, [0x608]
        shr eax, 10
        add esi, eax
.next:  test ebx, ebx
        jnz .e820
.e820done:
        mov ax, bp
        call hex8
        mov eax, esi
        shr eax, 16
        call hex16
        mov ax, si
        call hex16
        mov al, ' '
        call putc
        mov ah, 0xc0
        int 0x15
        mov al, [es:bx+2]
        call hex8
        mov ax, 0x2402
        int 0x15
        call hex8
        mov ax, 0x2400
        int 0x15
        mov ax, 0x2402
        int 0x15
        call hex8
        mov ah, 0xaa            ; unsupported: CF=1, AH=86h
        int 0x15
        mov al, ah
        adc al, 0
        call hex8
        mov al, '.'
        call putc
        jmp $`,
      '.',
    );
    // 639 KiB, 15 MiB extended (16 MiB machine), E801: 3C00h KiB + 0 blocks, 5 E820 entries with
    // 639 + 15360 KiB usable, model byte FCh, A20 on then off, unsupported → 86h + CF.
    expect(serial()).toBe(`027F 3C00 3C000000 05${(639 + 15360).toString(16).toUpperCase().padStart(8, '0')} FC010087.`);
  });

  it('waits with INT 15h AH=86h for the machine time asked for', async () => {
    const t = await runBootSector(
      `       mov al, 's'
        call putc
        xor cx, cx              ; 4E20h µs = 20 ms
        mov dx, 0x4e20
        mov ah, 0x86
        int 0x15
        mov al, 'e'
        call putc
        jmp $`,
      's',
    );
    const start = t.m.clock.now();
    await t.m.runUntil(() => t.serial().endsWith('e'), { timeoutMs: 5000 });
    const waited = (t.m.clock.now() - start) / 1e6;
    expect(waited).toBeGreaterThanOrEqual(19.5); // 's' may have left COM1 a little before the wait began
    expect(waited).toBeLessThan(25);
  });
});
