/**
 * El Torito and the boot order: small ISOs built here (boot record, catalog, image), booted on the whole
 * machine with the deterministic clock.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice, assemble } from '../core/index.js';
import { parseBootRecord, parseCatalog } from './eltorito.js';
import { PRINT_ROUTINES, REAL_MODE_PROLOGUE, bootSector, image, testMachine } from './test-support.js';

const SECTOR = 2048;
const CATALOG = 19;
const IMAGE = 20;

/** An ISO with an El Torito boot record (sector 17), a catalog (19) and the boot image from sector 20. */
function iso(opts: { media: number; image: Uint8Array; loadSegment?: number; sectorCount?: number; sectors?: number }): Uint8Array {
  const size = Math.max(opts.sectors ?? 0, IMAGE + Math.ceil(opts.image.length / SECTOR) + 4) * SECTOR;
  const data = new Uint8Array(size);
  const put = (at: number, s: string) => data.set(Array.from(s, (c) => c.charCodeAt(0)), at);
  const view = new DataView(data.buffer);
  // 16: primary volume descriptor (only its signature matters here), 17: boot record, 18: terminator.
  data[16 * SECTOR] = 1;
  put(16 * SECTOR + 1, 'CD001');
  data[16 * SECTOR + 6] = 1;
  const br = 17 * SECTOR;
  put(br + 1, 'CD001');
  data[br + 6] = 1;
  put(br + 7, 'EL TORITO SPECIFICATION');
  view.setUint32(br + 0x47, CATALOG, true);
  data[18 * SECTOR] = 0xff;
  put(18 * SECTOR + 1, 'CD001');
  data[18 * SECTOR + 6] = 1;
  // Catalog: validation entry (platform 0, checksum word so the 16 words sum to 0), then the initial entry.
  const cat = CATALOG * SECTOR;
  data[cat] = 1;
  data[cat + 0x1e] = 0x55;
  data[cat + 0x1f] = 0xaa;
  let sum = 0;
  for (let i = 0; i < 0x20; i += 2) sum += view.getUint16(cat + i, true);
  view.setUint16(cat + 0x1c, -sum & 0xffff, true);
  data[cat + 0x20] = 0x88;
  data[cat + 0x21] = opts.media;
  view.setUint16(cat + 0x22, opts.loadSegment ?? 0, true);
  view.setUint16(cat + 0x26, opts.sectorCount ?? 1, true);
  view.setUint32(cat + 0x28, IMAGE, true);
  data.set(opts.image, IMAGE * SECTOR);
  return data;
}

/** A no-emulation boot image: code at 07C0:0000 (org 7C00h after a far jump to 0000), print helpers, a second marker at 1536. */
function noEmulationImage(code: string): Uint8Array {
  return assemble(`org 0x7c00
        jmp 0x0000:start
start:
${REAL_MODE_PROLOGUE}
${code}
${PRINT_ROUTINES}
        times 1536 - ($ - $$) db 0
tail:   db 'TAIL', 0
        times 2048 - ($ - $$) db 0`).bytes;
}

const cdMachine = (cd: Uint8Array, extra: Parameters<typeof testMachine>[0] = {}) =>
  testMachine({ cdroms: [new MemoryBlockDevice(cd, true)], bios: { menuTimeoutMs: 0 }, ...extra });

describe('El Torito', () => {
  it('parses the boot record and catalog, and names what is wrong with a bad one', () => {
    const cd = iso({ media: 0, image: new Uint8Array(2048), loadSegment: 0x1000, sectorCount: 4 });
    expect(parseBootRecord(cd.subarray(17 * SECTOR, 18 * SECTOR))).toBe(CATALOG);
    expect(parseCatalog(cd.subarray(CATALOG * SECTOR, (CATALOG + 1) * SECTOR))).toEqual({ media: 0, loadSegment: 0x1000, sectorCount: 4, rba: IMAGE });
    expect(() => parseBootRecord(new Uint8Array(SECTOR))).toThrow(/not a boot record/);
    const bad = cd.slice(CATALOG * SECTOR, (CATALOG + 1) * SECTOR);
    bad[4] ^= 1;
    expect(() => parseCatalog(bad)).toThrow(/checksum/);
  });

  it('boots a no-emulation image as drive E0h and reads the CD through INT 13h 41h/42h/48h/4Bh with 2048-byte sectors', async () => {
    const boot = noEmulationImage(`
        mov [drive], dl
        mov al, dl
        call hex8
        mov si, tail            ; the image's 4th 512-byte sector: all sectorCount sectors were loaded
        call print
        mov ax, 0x4b01          ; the specification packet
        mov si, spec
        mov dl, [drive]
        int 0x13
        jc fail
        mov al, [spec + 1]      ; media: no emulation, ATAPI
        call hex8
        mov al, [spec + 2]      ; drive
        call hex8
        mov ax, [spec + 4]      ; the image's sector
        call hex16
        mov ah, 0x41
        mov bx, 0x55aa
        mov dl, [drive]
        int 0x13
        jc fail
        mov ax, cx
        call hex16
        mov ah, 0x48
        mov si, params
        mov dl, [drive]
        int 0x13
        jc fail
        mov ax, [params + 24]   ; bytes per sector
        call hex16
        mov ax, [params + 16]   ; sectors
        call hex16
        mov al, ' '
        call putc
        mov ah, 0x42            ; CD sector 30 → 1000:0000
        mov si, packet
        mov dl, [drive]
        int 0x13
        jc fail
        push ds
        mov ax, 0x1000
        mov ds, ax
        xor si, si
        call print
        pop ds
        mov ah, 0x43            ; writes: write protected
        mov si, packet
        mov dl, [drive]
        int 0x13
        mov al, ah
        call hex8
        mov si, done
        call print
        jmp $
fail:   mov al, '!'
        call putc
        mov al, ah
        call hex8
        jmp $
drive:  db 0
done:   db ' done', 0
spec:   times 0x13 db 0
params: dw 0x1e
        times 0x1c db 0
packet: db 0x10, 0
        dw 1
        dw 0, 0x1000
        dd 30, 0`);
    const cd = iso({ media: 0, image: boot, sectorCount: 4, sectors: 40 });
    cd.set(Array.from('CD-SECTOR-30\0', (c) => c.charCodeAt(0)), 30 * SECTOR);
    const t = cdMachine(cd);
    await t.m.runUntil(() => /done|!/.test(t.serial()), { timeoutMs: 5000 });
    expect(t.serial()).toBe('E0TAIL40E00014000308000028 CD-SECTOR-3003 done');
    expect(t.m.screenText()).toContain('Booting from CD-ROM');
  });

  it('honours the catalog load segment', async () => {
    const code = assemble(`org 0
        mov ax, cs
        mov ds, ax
        mov si, msg - 0
        mov dx, 0x3f8
.next:  lodsb
        test al, al
        jz .done
        out dx, al
        jmp .next
.done:  jmp $
msg:    db 'AT-2000', 0
        times 512 - ($ - $$) db 0`).bytes;
    const t = cdMachine(iso({ media: 0, image: code, loadSegment: 0x2000, sectorCount: 1 }));
    await t.m.runUntil(() => t.serial().includes('AT-2000'), { timeoutMs: 5000 });
    expect(t.serial()).toBe('AT-2000');
  });

  it('emulates a 1.44 MB floppy as drive 00h until INT 13h 4B00h terminates it', async () => {
    const floppy = image(1474560);
    floppy.set(
      bootSector(`
        mov al, dl
        call hex8
        mov ah, 0x08            ; drive type and geometry
        xor dl, dl
        int 0x13
        jc fail
        mov al, bl
        call hex8
        mov al, cl
        call hex8
        mov al, dh
        call hex8
        mov ax, 0x1000          ; cylinder 1, head 1, sector 3: LBA (1 * 2 + 1) * 18 + 2 = 56
        mov es, ax
        xor bx, bx
        mov ax, 0x0201
        mov cx, 0x0103
        mov dx, 0x0100
        int 0x13
        jc fail
        push ds
        mov ax, 0x1000
        mov ds, ax
        xor si, si
        call print
        pop ds
        mov ax, 0x4b00          ; terminate: the packet says what was emulated
        mov si, spec
        xor dl, dl
        int 0x13
        jc fail
        mov al, [spec + 1]
        call hex8
        mov ax, 0x0201          ; drive 00h is gone now (no real floppy)
        mov cx, 0x0001
        xor dx, dx
        xor bx, bx
        int 0x13
        mov al, 'C'
        adc al, 0
        call putc
        mov si, done
        call print
        jmp $
fail:   mov al, '!'
        call putc
        jmp $
spec:   times 0x13 db 0
done:   db ' done', 0`),
    );
    floppy.set(Array.from('LBA56\0', (c) => c.charCodeAt(0)), 56 * 512);
    const t = cdMachine(iso({ media: 2, image: floppy }));
    await t.m.runUntil(() => /done|!/.test(t.serial()), { timeoutMs: 5000 });
    // DL 00, type 4 (1.44M), 18 sectors, 2 heads; the sector; media 02h | ATAPI; then the read fails (CF → 'D').
    expect(t.serial()).toBe('00041201LBA5642D done');
  });

  it('emulates a hard disk as drive 80h with the geometry of its MBR, the real disk moving to 81h', async () => {
    const disk = image(64 * 4 * 32 * 512); // 64 cylinders of 4 heads x 32 sectors
    disk.set(
      bootSector(`
        mov al, dl
        call hex8
        mov ah, 0x08
        mov dl, 0x80
        int 0x13
        jc fail
        mov al, dl              ; hard disks: the emulated one and the real one
        call hex8
        mov al, dh              ; heads - 1
        call hex8
        mov al, cl              ; sectors
        call hex8
        mov ah, 0x42            ; LBA 100 of the emulated disk
        mov si, packet
        mov dl, 0x80
        int 0x13
        jc fail
        push ds
        mov ax, 0x1000
        mov ds, ax
        xor si, si
        call print
        pop ds
        mov ax, 0x0201          ; the real hard disk, now 81h: its sector 0
        mov cx, 0x0001
        mov dx, 0x0081
        mov bx, 0x1000
        mov es, bx
        xor bx, bx
        int 0x13
        jc fail
        push ds
        mov ax, 0x1000
        mov ds, ax
        xor si, si
        call print
        pop ds
        mov si, done
        call print
        jmp $
fail:   mov al, '!'
        call putc
        jmp $
packet: db 0x10, 0
        dw 1
        dw 0, 0x1000
        dd 100, 0
done:   db ' done', 0`),
    );
    // One partition laid out for 4 heads x 32 sectors, ending at the disk's last sector.
    const end = 64 * 4 * 32 - 1;
    disk.set([0x80, 0, 1, 0, 0x83, 3, 32 | ((63 >> 8) << 6), 63], 446);
    new DataView(disk.buffer).setUint32(446 + 8, 0, true);
    new DataView(disk.buffer).setUint32(446 + 12, end + 1, true);
    disk.set(Array.from('EMULATED-LBA100 \0', (c) => c.charCodeAt(0)), 100 * 512);
    const real = image(1024 * 1024);
    real.set(Array.from('REAL-DISK\0', (c) => c.charCodeAt(0)));
    real[510] = 0x55;
    real[511] = 0xaa;
    const t = cdMachine(iso({ media: 4, image: disk }), { hardDisks: [new MemoryBlockDevice(real)] });
    await t.m.runUntil(() => /done|!/.test(t.serial()), { timeoutMs: 5000 });
    expect(t.serial()).toBe('80020320EMULATED-LBA100 REAL-DISK done');
  });

  it('falls through to the next device when the CD is truncated or has no boot record, and says why', async () => {
    const cd = iso({ media: 0, image: noEmulationImage('jmp $'), sectorCount: 4 });
    const disk = image(1474560, bootSector(`mov si, msg\ncall print\njmp $\nmsg: db 'FLOPPY', 0`));
    const t = testMachine({ cdroms: [new MemoryBlockDevice(cd.slice(0, 18 * SECTOR), true)], floppies: [new MemoryBlockDevice(disk)], bios: { menuTimeoutMs: 0 } });
    await t.m.runUntil(() => t.serial().includes('FLOPPY'), { timeoutMs: 5000 });
    expect(t.serial()).toBe('FLOPPY');
    expect(t.log.join('\n')).toMatch(/CD-ROM e0h does not boot: the image ends before byte/);
  });
});

describe('boot order', () => {
  const cd = () => new MemoryBlockDevice(iso({ media: 0, image: noEmulationImage(`mov si, msg\ncall print\njmp $\nmsg: db 'FROM-CD', 0`), sectorCount: 4 }), true);
  const floppy = () => new MemoryBlockDevice(image(1474560, bootSector(`mov si, msg\ncall print\njmp $\nmsg: db 'FROM-FLOPPY', 0`)));

  it('tries the CD before a floppy by default, and follows a configured order', async () => {
    const byDefault = testMachine({ cdroms: [cd()], floppies: [floppy()], bios: { menuTimeoutMs: 0 } });
    await byDefault.m.runUntil(() => byDefault.serial().includes('FROM'), { timeoutMs: 5000 });
    expect(byDefault.serial()).toBe('FROM-CD');
    const configured = testMachine({ cdroms: [cd()], floppies: [floppy()], bios: { order: ['floppy', 'cdrom'], menuTimeoutMs: 0 } });
    await configured.m.runUntil(() => configured.serial().includes('FROM'), { timeoutMs: 5000 });
    expect(configured.serial()).toBe('FROM-FLOPPY');
  });

  it('offers an F12 boot menu at POST whose choice boots first, and clears the prompt when no key comes', async () => {
    const t = testMachine({ cdroms: [cd()], floppies: [floppy()], bios: { menuTimeoutMs: 2000 } });
    await t.m.runUntil(() => t.m.screenText().includes('Press F12'), { timeoutMs: 5000 });
    t.m.keyboard.sendScancodes([0x07, 0xf0, 0x07]); // F12 (set 2)
    await t.m.runUntil(() => t.m.screenText().includes('Boot menu'), { timeoutMs: 5000 });
    t.m.keyboard.sendScancodes([0x26, 0xf0, 0x26]); // '3': floppy
    await t.m.runUntil(() => t.serial().includes('FROM'), { timeoutMs: 5000 });
    expect(t.serial()).toBe('FROM-FLOPPY');

    const idle = testMachine({ cdroms: [cd()], floppies: [floppy()], bios: { menuTimeoutMs: 500 } });
    await idle.m.runUntil(() => idle.serial().includes('FROM'), { timeoutMs: 5000 });
    expect(idle.serial()).toBe('FROM-CD');
    expect(idle.m.screenText()).not.toContain('Press F12');
  });
});
