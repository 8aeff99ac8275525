/**
 * PCI at POST (BARs, decoding, PIRQ routing, ELCR, Interrupt Lines), the PCI BIOS from a boot sector, and the
 * `$PIR` and BIOS32 tables in the ROM — on the whole machine with its real i440FX/PIIX3 bus.
 */
import { describe, expect, it } from 'vitest';
import { Machine, MemoryBlockDevice, Reg, Reg8 } from '../core/index.js';
import { createBios, buildRom, Svc } from './index.js';
import { PIRQ_IRQS } from './pci.js';
import { bootSector, image, matches } from './test-support.js';

function machine(code: string): { m: Machine; serial: () => string } {
  const m = new Machine({
    firmware: createBios({ menuTimeoutMs: 0 }),
    clock: 'deterministic',
    floppies: [new MemoryBlockDevice(image(1474560, bootSector(code)))],
    nic: { bus: 'pci', mac: '52:54:00:12:34:56' },
  });
  const bytes: number[] = [];
  m.onSerial = (b) => bytes.push(b);
  return { m, serial: () => String.fromCharCode(...bytes) };
}

/** Configuration mechanism #1 from the test's side. */
function config(m: Machine, dev: number, fn: number, offset: number): number {
  m.io.write32(0xcf8, (0x80000000 | (dev << 11) | (fn << 8) | offset) >>> 0);
  return m.io.read32(0xcfc) >>> 0;
}

describe('PCI at POST', () => {
  it('assigns BARs, turns on decoding and bus mastering, routes PIRQs and writes Interrupt Lines', async () => {
    const { m, serial } = machine(`mov si, msg\ncall print\njmp $\nmsg: db 'up', 0`);
    await m.runUntil(() => serial() === 'up', { timeoutMs: 5000 });
    expect(serial()).toBe('up');
    // VGA (slot 2): the largest memory BAR goes first, at E0000000h; memory and I/O decoding on.
    expect((config(m, 2, 0, 0x10) & 0xfffffff0) >>> 0).toBe(0xe0000000);
    expect(config(m, 2, 0, 0x04) & 0x03).toBe(0x03);
    // NE2000 (slot 3, INTA → PIRQD): an I/O BAR from C000h, I/O decoding and bus master, IRQ 11.
    const nicBar = config(m, 3, 0, 0x10);
    expect(nicBar & 1).toBe(1);
    expect(nicBar & 0xfffc).toBeGreaterThanOrEqual(0xc000);
    expect((nicBar & 0xfffc) % 32).toBe(0);
    expect(config(m, 3, 0, 0x04) & 0x05).toBe(0x05);
    expect(config(m, 3, 0, 0x3c) & 0xff).toBe(PIRQ_IRQS[3]);
    // IDE (1.1): the bus-master BAR4 (16 ports) and bus mastering.
    const bm = config(m, 1, 1, 0x20);
    expect(bm & 0xfff0).toBeGreaterThanOrEqual(0xc000);
    expect(config(m, 1, 1, 0x04) & 0x05).toBe(0x05);
    // BARs do not overlap: the NIC's 32 ports and the IDE's 16.
    const nicBase = nicBar & 0xfffc;
    const bmBase = bm & 0xfff0;
    expect(nicBase + 32 <= bmBase || bmBase + 16 <= nicBase).toBe(true);
    // PIIX3: PIRQ A–D routed, and those IRQs level-triggered in the ELCR.
    expect(config(m, 1, 0, 0x60)).toBe(PIRQ_IRQS[0] | (PIRQ_IRQS[1] << 8) | (PIRQ_IRQS[2] << 16) | (PIRQ_IRQS[3] << 24));
    const elcr = m.io.read8(0x4d0) | (m.io.read8(0x4d1) << 8);
    for (const irq of PIRQ_IRQS) expect(elcr & (1 << irq)).not.toBe(0);
  });
});

describe('PCI BIOS (INT 1Ah AH=B1h)', () => {
  it('answers installation check, find device/class, config reads and writes, and the routing options', async () => {
    const { m, serial } = machine(`
        mov ax, 0xb101
        int 0x1a
        jc fail
        call hex16              ; AH = 00, AL = 01 (mechanism #1)
        mov ax, bx              ; version 0210
        call hex16
        mov ax, dx              ; 'PC' of 'PCI '
        call hex16
        call space
        mov ax, 0xb102          ; 8086:7000, the PIIX3 → BX = 0008
        mov cx, 0x7000
        mov dx, 0x8086
        xor si, si
        int 0x1a
        jc fail
        mov ax, bx
        call hex16
        mov ax, 0xb103          ; class 030000h (VGA) → BX = 0010
        mov ecx, 0x030000
        xor si, si
        int 0x1a
        jc fail
        mov ax, bx
        call hex16
        mov ax, 0xb10a          ; slot 3's ID dword
        mov bx, 0x0018
        xor di, di
        int 0x1a
        jc fail
        mov eax, ecx
        shr eax, 16
        call hex16
        mov ax, cx
        call hex16
        call space
        mov ax, 0xb10c          ; write slot 3's Interrupt Line word, read the byte back
        mov bx, 0x0018
        mov di, 0x3c
        mov cx, 0x0105
        int 0x1a
        mov ax, 0xb108
        mov di, 0x3c
        int 0x1a
        mov al, cl
        call hex8
        mov ax, 0xb109          ; an odd register for a word: 87h, CF
        mov di, 0x3d
        int 0x1a
        mov al, ah
        adc al, 0
        call hex8
        mov ax, 0xb102          ; a device that is not there: 86h
        mov cx, 0x1234
        mov dx, 0x5678
        xor si, si
        int 0x1a
        mov al, ah
        call hex8
        call space
        mov word [opts], 16     ; routing options in a buffer too small: 89h, and the size needed
        mov ax, 0xb10e
        xor bx, bx
        mov di, opts
        int 0x1a
        mov al, ah
        call hex8
        mov ax, [opts]
        call hex16
        mov word [opts], 1024
        mov ax, 0xb10e
        xor bx, bx
        mov di, opts
        int 0x1a
        jc fail
        mov al, [0x6001]        ; the first entry: slot 1 (devfn 08h), INTA → link 61h
        call hex8
        mov al, [0x6002]
        call hex8
        mov si, done
        call print
        jmp $
space:  mov al, ' '
        jmp putc
fail:   mov al, '!'
        call putc
        jmp $
opts:   dw 0
        dw 0x6000, 0            ; buffer at 0000:6000
done:   db ' done', 0`);
    await m.runUntil(() => matches(serial(), /done|!/), { timeoutMs: 5000 });
    expect(serial()).toBe('000102104350 00080010802910EC 058886 8901F00861 done');
  });
});

describe('ROM tables', () => {
  const { image: rom, labels } = buildRom();
  const sum = (from: number, length: number) => rom.subarray(from, from + length).reduce((a, b) => a + b, 0) & 0xff;
  const find = (signature: string) => {
    const bytes = Array.from(signature, (c) => c.charCodeAt(0));
    for (let at = 0; at < rom.length; at += 16) if (bytes.every((b, i) => rom[at + i] === b)) return at;
    return -1;
  };

  it('has a $PIR table on a paragraph with a zero checksum, the PIIX3 as router and slot entries', () => {
    const at = find('$PIR');
    expect(at).toBeGreaterThan(0);
    const size = rom[at + 6] | (rom[at + 7] << 8);
    expect(size).toBe(32 + 31 * 16);
    expect(sum(at, size)).toBe(0);
    expect(rom[at + 9]).toBe(0x08); // router 00:01.0
    expect(rom[at + 12] | (rom[at + 13] << 8)).toBe(0x8086);
    expect(rom[at + 14] | (rom[at + 15] << 8)).toBe(0x7000);
    // Slot 3 (the NIC): INTA..INTD on PIRQ D, A, B, C.
    const slot3 = at + 32 + 2 * 16;
    expect(rom[slot3 + 1]).toBe(3 << 3);
    expect([rom[slot3 + 2], rom[slot3 + 5], rom[slot3 + 8], rom[slot3 + 11]]).toEqual([0x63, 0x60, 0x61, 0x62]);
  });

  it('has a BIOS32 service directory whose entry knows $PCI, and a 32-bit PCI BIOS entry', () => {
    const at = find('_32_');
    expect(at).toBeGreaterThan(0);
    expect(sum(at, 16)).toBe(0);
    expect(rom[at + 9]).toBe(1); // one paragraph
    const entry = (rom[at + 4] | (rom[at + 5] << 8) | (rom[at + 6] << 16) | (rom[at + 7] << 24)) >>> 0;
    expect(entry).toBe(0xf0000 + labels.bios32_entry);
    expect(labels.pci32_entry).toBeGreaterThan(labels.bios32_entry);
  });

  it('answers BIOS32 and the 32-bit PCI BIOS when called far from 32-bit protected mode', async () => {
    const { m, serial } = machine(`
        cli
        lgdt [gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp 0x08:pm32
bits 32
pm32:   mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x7000
        mov eax, 0x49435024     ; '$PCI'
        xor ebx, ebx
        call far [bios32]
        mov [r_status], al
        add edx, ebx            ; the service's entry: base + offset
        mov [pci32], edx
        mov eax, 0xb101
        call far [pci32]
        mov [r_ax], ax
        mov [r_bx], bx
        mov [r_edx], edx
        mov eax, 0xb102         ; the NIC, 10ec:8029 → 00:03.0
        mov ecx, 0x8029
        mov edx, 0x10ec
        xor esi, esi
        call far [pci32]
        mov [r_find], bx
        jmp 0x18:pm16
bits 16
pm16:   mov ax, 0x20
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov eax, cr0
        and al, 0xfe
        mov cr0, eax
        jmp 0x0000:real
real:   xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        mov al, [r_status]
        call hex8
        mov ax, [r_ax]
        call hex16
        mov ax, [r_bx]
        call hex16
        mov ax, [r_edx + 2]
        call hex16
        mov ax, [r_edx]
        call hex16
        mov ax, [r_find]
        call hex16
        mov si, done
        call print
        jmp $
done:     db ' done', 0
r_status: db 0xff
r_ax:     dw 0
r_bx:     dw 0
r_edx:    dd 0
r_find:   dw 0
bios32:   dd BIOS32_ENTRY
          dw 0x08
pci32:    dd 0
          dw 0x08
gdtr:     dw 0x27
          dd gdt
gdt:      dd 0, 0
          dw 0xffff, 0, 0x9a00, 0x00cf ; 08h: flat 32-bit code
          dw 0xffff, 0, 0x9200, 0x00cf ; 10h: flat data
          dw 0xffff, 0, 0x9a00, 0x0000 ; 18h: 16-bit code, base 0
          dw 0xffff, 0, 0x9200, 0x0000 ; 20h: 16-bit data`.replace('BIOS32_ENTRY', String(0xf0000 + labels.bios32_entry)));
    await m.runUntil(() => matches(serial(), /done/), { timeoutMs: 5000 });
    // Found (00); AH 00 AL 01; version 0210; EDX 'PCI '; the NIC at devfn 18h.
    expect(serial()).toBe('000001021020494350' + '0018 done');
  });

  it('answers the 32-bit PCI BIOS through the live flags (called far, no IRET frame)', () => {
    const { m } = machine('jmp $');
    m.runSlice(300_000);
    const host = {
      cpu: m.cpu, memory: m.memory, io: m.io, clock: m.clock, ramSize: m.ramSize, floppies: m.floppies, hardDisks: m.hardDisks, cdroms: m.cdroms,
      requestReset: () => {}, log: () => {},
    };
    m.cpu.set32(Reg.EAX, 0xb102);
    m.cpu.set32(Reg.ECX, 0x8029);
    m.cpu.set32(Reg.EDX, 0x10ec);
    m.cpu.set32(Reg.ESI, 0);
    m.cpu.setFlags(m.cpu.getFlags() | 1);
    m.firmware.trap!(Svc.Pci32, host);
    expect(m.cpu.get8(Reg8.AH)).toBe(0);
    expect(m.cpu.get16(Reg.EBX)).toBe(0x0018);
    expect(m.cpu.getFlags() & 1).toBe(0);
  });
});
