/**
 * The ISA NE2000 (300h, IRQ 9) driven by guest code the way a DOS packet driver drives it: probe through the
 * reset port and a byte-wide read of the station-address PROM (doubled bytes, "WW" signature), word-mode set-up
 * of the receive ring, a transmit by remote DMA, and a receive taken by an interrupt handler on IRQ 9 (INT 71h,
 * through the slave 8259). Everything runs in the emulated CPU after the BIOS boots a floppy; the test only
 * watches the wire (onFrame / receiveFrame) and COM1.
 */
import { describe, expect, it } from 'vitest';
import { Machine, MemoryBlockDevice } from '../core/index.js';
import { createBios } from './index.js';
import { bootSector, DONE, image } from './test-support.js';

const MAC = [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30];

const DRIVER = `
NE      equ 0x300
buf     equ 0x600           ; receive header + start of the frame
prom    equ 0x640           ; the 32 PROM bytes
seen    equ 0x680           ; ISR bits the interrupt handler saw
        mov byte [0x4f0], 1 ; print to COM1
        mov byte [seen], 0
        mov word [0x71*4], irq
        mov word [0x71*4+2], 0
        in al, 0xa1         ; unmask IRQ 9 (slave) and the cascade (IRQ 2)
        and al, 0xfd
        out 0xa1, al
        in al, 0x21
        and al, 0xfb
        out 0x21, al
        mov dx, NE+0x1f     ; reset: read and write the reset port, wait for ISR.RST
        in al, dx
        out dx, al
        mov dx, NE+7
.rst:   in al, dx
        test al, 0x80
        jz .rst
        mov si, probe
        call regs
        mov dx, NE+0x10
        mov di, prom
        mov cx, 32
        rep insb
        cmp word [prom+28], 0x5757
        jne fail
        mov si, setup
        call regs
        mov dx, NE+1        ; page 1: station address from the PROM (every other byte)
        mov si, prom
        mov di, frame+6
        mov cx, 6
.par:   lodsw
        out dx, al
        stosb
        inc dx
        loop .par
        mov si, start
        call regs
        mov si, write       ; the frame to 4000h by remote DMA, then transmit it
        call regs
        mov dx, NE+0x10
        mov si, frame
        mov cx, 30
        rep outsw
        mov si, transmit
        call regs
        mov dx, NE+7
.ptx:   in al, dx
        test al, 0x02
        jz .ptx
        mov si, sent
        call print
.wait:  sti
        hlt
        test byte [seen], 1
        jz .wait
        mov si, read        ; the first frame, at BNRY+1 = 47h: 4-byte header, then the frame
        call regs
        mov dx, NE+0x10
        mov di, buf
        mov cx, 16
        rep insw
        mov si, got
        call print
        mov al, [buf]
        call hex8
        mov al, ' '
        call putc
        mov si, buf+4+14
        call print
        jmp finish
fail:   mov si, nocard
        call print
        jmp $
regs:   lodsb               ; SI: (register, value) pairs up to FFh, written to NE+register
        cmp al, 0xff
        je .end
        mov dx, NE
        or dl, al
        lodsb
        out dx, al
        jmp regs
.end:   ret
irq:    push ax
        push dx
        mov dx, NE+7
        in al, dx
        out dx, al          ; acknowledge what we saw
        or [cs:seen], al
        mov al, 0x20
        out 0xa0, al
        out 0x20, al
        pop dx
        pop ax
        iret
probe:  db 0x00,0x21, 0x0e,0x48, 0x0a,32, 0x0b,0, 0x08,0, 0x09,0, 0x00,0x0a, 0xff
setup:  db 0x00,0x21, 0x0e,0x49, 0x0a,0, 0x0b,0, 0x0c,0x04, 0x0d,0x02, 0x04,0x40
        db 0x01,0x46, 0x02,0x80, 0x03,0x46, 0x07,0xff, 0x0f,0x11, 0x00,0x61, 0x07,0x47, 0xff
start:  db 0x00,0x22, 0x0d,0x00, 0xff
write:  db 0x0a,60, 0x0b,0, 0x08,0, 0x09,0x40, 0x00,0x12, 0xff
transmit: db 0x04,0x40, 0x05,60, 0x06,0, 0x00,0x26, 0xff
read:   db 0x0a,32, 0x0b,0, 0x08,0, 0x09,0x47, 0x00,0x0a, 0xff
frame:  db 0xff,0xff,0xff,0xff,0xff,0xff, 0,0,0,0,0,0, 0x88,0xb5, 'HELLO FROM DOS'
        times 60 - ($ - frame) db 0
sent:   db 'SENT', 13, 10, 0
got:    db 'GOT ', 0
nocard: db 'NO NE2000', 0
finish:
${DONE}`;

function ethernet(dst: number[], payload: string): Uint8Array {
  const f = new Uint8Array(60);
  f.set(dst, 0);
  f.set([0x02, 0, 0, 0, 0, 0x99], 6);
  f.set([0x88, 0xb5], 12);
  f.set([...payload].map((c) => c.charCodeAt(0)), 14);
  return f;
}

describe('the ISA NE2000 under a packet-driver-style guest program', () => {
  it('probes, sends a broadcast with the PROM address, and receives by IRQ 9 only the frame for its address', async () => {
    const m = new Machine({
      firmware: createBios({ order: ['floppy'], menuTimeoutMs: 0 }),
      clock: 'deterministic',
      floppies: [new MemoryBlockDevice(image(1474560, bootSector(DRIVER)))],
      nic: { bus: 'isa', mac: Uint8Array.from(MAC) },
    });
    let serial = '';
    m.onSerial = (b) => (serial += String.fromCharCode(b));
    const wire: Uint8Array[] = [];
    m.onFrame = (f) => wire.push(f.slice());

    await m.runUntil(() => serial.includes('SENT') || serial.includes('NO NE2000'), { timeoutMs: 5000 });
    expect(serial).toContain('SENT');
    expect(wire).toHaveLength(1);
    expect([...wire[0].subarray(0, 14)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...MAC, 0x88, 0xb5]);
    expect(String.fromCharCode(...wire[0].subarray(14, 28))).toBe('HELLO FROM DOS');

    // A frame for another station is filtered out; the one for ours lands first in the ring.
    m.receiveFrame(ethernet([0x02, 0, 0, 0, 0, 0x42], 'NOT FOR YOU'));
    m.receiveFrame(ethernet(MAC, 'PING FROM HOST'));
    await m.runUntil(() => serial.includes('DONE'), { timeoutMs: 5000 });
    // Receive status 01h: received intact (PRX), a physical-address match.
    expect(serial).toContain('GOT 01 PING FROM HOST');
  });
});
