/** Shared set-up for the IDE tests: a PIIX IDE function on its own bus, driven through ports alone. */
import { MemoryBlockDevice } from '../../block.js';
import { IoBus } from '../../io.js';
import { PhysicalMemory } from '../../memory.js';
import { PiixIde } from './piix-ide.js';

export const BM_BASE = 0xc000;

/** A PIIX IDE function driven through its ports, with the IRQ 14/15 levels recorded. */
export function rig(drives: ConstructorParameters<typeof PiixIde>[0]['drives']) {
  const io = new IoBus();
  const memory = new PhysicalMemory(1 << 20);
  const irq = { 14: false, 15: false, edges14: 0, edges15: 0 };
  const ide = new PiixIde({
    io, memory, drives,
    irq14: (l) => { if (l && !irq[14]) irq.edges14++; irq[14] = l; },
    irq15: (l) => { if (l && !irq[15]) irq.edges15++; irq[15] = l; },
  });
  // Put BAR4 at C000h and enable I/O decoding and bus mastering, as a BIOS would.
  ide.config.write(0x20, BM_BASE, 4);
  ide.config.write(0x04, 0x0005, 2);
  return { io, memory, irq, ide };
}

export function disk(sectors: number, fill = (lba: number, i: number) => (lba * 7 + i) & 0xff): MemoryBlockDevice {
  const data = new Uint8Array(sectors * 512);
  for (let lba = 0; lba < sectors; lba++) for (let i = 0; i < 512; i++) data[lba * 512 + i] = fill(lba, i);
  return new MemoryBlockDevice(data);
}

export function readWords(io: IoBus, port: number, words: number): Uint8Array {
  const out = new Uint8Array(words * 2);
  for (let i = 0; i < words; i++) {
    const w = io.read16(port);
    out[i * 2] = w & 0xff;
    out[i * 2 + 1] = w >>> 8;
  }
  return out;
}

