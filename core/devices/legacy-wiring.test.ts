import { describe, expect, it } from 'vitest';
import { assemble } from '../asm/index.js';
import { MemoryBlockDevice } from '../block.js';
import { Machine } from '../machine.js';

/** A 64 KiB ROM whose reset vector jumps to `source` at F000:0000 (no BIOS in the way). */
function rom(source: string): Uint8Array {
  return assemble(`bits 16\nstart:\n${source}\ntimes 0xfff0 - ($ - $$) db 0xf4\njmp 0xf000:start\ntimes 0x10000 - ($ - $$) db 0xf4\n`, { origin: 0, bits: 16 }).bytes;
}

function floppy(): MemoryBlockDevice {
  const data = new Uint8Array(1_474_560);
  for (let lba = 0; lba < 2880; lba++) data.fill(lba & 0xff, lba * 512, lba * 512 + 512);
  return new MemoryBlockDevice(data);
}

/**
 * Guest code that drives the floppy controller as a DOS or Linux driver does: PIC set up with IRQ 6
 * unmasked and a handler at vector 0Eh, DMA channel 2 programmed for 512 bytes at 1000h, motor on,
 * READ DATA of C0 H0 R2, wait for the interrupt, then the seven result bytes stored at 610h.
 */
const READ_SECTOR = `
  cli
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7000
  mov al, 0x11
  out 0x20, al
  mov al, 0x08
  out 0x21, al
  mov al, 0x04
  out 0x21, al
  mov al, 0x01
  out 0x21, al
  mov al, 0xbf
  out 0x21, al
  mov word [0x0e*4], irq6
  mov word [0x0e*4+2], 0xf000
  mov al, 0x06
  out 0x0a, al
  out 0x0c, al
  mov al, 0x00
  out 0x04, al
  mov al, 0x10
  out 0x04, al
  mov al, 0x00
  out 0x81, al
  mov al, 0xff
  out 0x05, al
  mov al, 0x01
  out 0x05, al
  mov al, 0x46
  out 0x0b, al
  mov al, 0x02
  out 0x0a, al
  mov dx, 0x3f2
  mov al, 0x1c
  out dx, al
  sti
  mov al, 0x46
  call send
  mov al, 0
  call send
  mov al, 0
  call send
  mov al, 0
  call send
  mov al, 2
  call send
  mov al, 2
  call send
  mov al, 18
  call send
  mov al, 0x1b
  call send
  mov al, 0xff
  call send
wait_irq:
  cmp byte [0x600], 0
  jne got_irq
  hlt
  jmp wait_irq
got_irq:
  mov di, 0x610
  mov cx, 7
result:
  mov dx, 0x3f4
result_wait:
  in al, dx
  and al, 0xd0
  cmp al, 0xd0
  jne result_wait
  mov dx, 0x3f5
  in al, dx
  mov [di], al
  inc di
  loop result
  mov byte [0x601], 1
  cli
  hlt
send:
  mov ah, al
  mov dx, 0x3f4
send_wait:
  in al, dx
  and al, 0xc0
  cmp al, 0x80
  jne send_wait
  mov dx, 0x3f5
  mov al, ah
  out dx, al
  ret
irq6:
  push ax
  mov byte [0x600], 1
  mov al, 0x20
  out 0x20, al
  pop ax
  iret
`;

describe('floppy, DMA, mouse and speaker in the machine', () => {
  it('guest code reads a floppy sector by DMA and takes IRQ 6', () => {
    const m = new Machine({ memoryMB: 2, firmware: { rom: rom(READ_SECTOR) }, clock: 'deterministic', floppies: [floppy()] });
    for (let i = 0; i < 200 && m.memory.read8(0x601) === 0; i++) m.runSlice(10_000);
    expect(m.memory.read8(0x600)).toBe(1);
    expect(Array.from(m.memory.readBytes(0x610, 7))).toEqual([0x00, 0, 0, 0, 0, 3, 2]);
    expect(m.memory.readBytes(0x1000, 512).every((b) => b === 1)).toBe(true);
    expect(m.memory.read8(0x1200)).toBe(0);
  });

  it('mouseMove reaches the guest through the 8042 aux port', () => {
    const m = new Machine({ memoryMB: 2, firmware: { rom: rom('jmp start') }, clock: 'deterministic' });
    const drain = () => {
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        m.runSlice(100_000);
        if (!(m.io.read8(0x64) & 0x01)) break;
        out.push(m.io.read8(0x60));
      }
      return out;
    };
    m.io.write8(0x64, 0xa8);
    m.io.write8(0x64, 0xd4);
    m.io.write8(0x60, 0xf4);
    expect(drain()).toEqual([0xfa]);
    m.mouseMove(4, 2, 0, 1);
    expect(drain()).toEqual([0x29, 4, 0xfe]);
  });

  it('onTone reports the speaker, and the new devices survive a snapshot', () => {
    const m = new Machine({ memoryMB: 2, firmware: { rom: rom('jmp start') }, clock: 'deterministic', floppies: [floppy()] });
    const tones: number[] = [];
    m.onTone = (hz) => tones.push(Math.round(hz));
    m.io.write8(0x43, 0xb6);
    m.io.write8(0x42, 2711 & 0xff);
    m.io.write8(0x42, 2711 >> 8);
    m.io.write8(0x61, 0x03);
    expect(tones).toEqual([440]);
    m.io.write8(0x3f5, 0x0f); // SEEK drive 0 to cylinder 9
    m.io.write8(0x3f5, 0x00);
    m.io.write8(0x3f5, 9);
    const snapshot = m.saveState();
    const n = new Machine({ memoryMB: 2, firmware: { rom: rom('jmp start') }, clock: 'deterministic', floppies: [floppy()] });
    n.onTone = (hz) => tones.push(Math.round(hz));
    n.loadState(snapshot);
    expect(tones).toEqual([440, 440]);
    n.io.write8(0x3f5, 0x08);
    expect([n.io.read8(0x3f5), n.io.read8(0x3f5)]).toEqual([0x20, 9]);
    n.insertFloppy(0, undefined);
    expect(n.io.read8(0x3f7) & 0x80).toBe(0x80);
    expect(n.floppies[0]).toBeUndefined();
  });
});
