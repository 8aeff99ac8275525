import { describe, expect, it } from 'vitest';
import { IoBus } from '../io.js';
import { PhysicalMemory } from '../memory.js';
import { Dma8237 } from './dma8237.js';

function setup() {
  const io = new IoBus();
  const memory = new PhysicalMemory(1 << 20);
  const dma = new Dma8237({ io, memory });
  return { io, memory, dma };
}

/** Programs a DMA1 channel (0-3) the way a driver does: mask, flip-flop, address, count, page, mode, unmask. */
function program(io: IoBus, channel: number, address: number, count: number, mode: number, page: number) {
  io.write8(0x0a, 0x04 | channel);
  io.write8(0x0c, 0);
  io.write8(channel * 2, address & 0xff);
  io.write8(channel * 2, address >> 8);
  io.write8(0x0c, 0);
  io.write8(channel * 2 + 1, count & 0xff);
  io.write8(channel * 2 + 1, count >> 8);
  io.write8([0x87, 0x83, 0x81, 0x82][channel], page);
  io.write8(0x0b, mode | channel);
  io.write8(0x0a, channel);
}

const WRITE_SINGLE = 0x44; // single mode, write (device → memory)
const READ_SINGLE = 0x48; // single mode, read (memory → device)

describe('Dma8237', () => {
  it('reads back address and count through the flip-flop, and page registers', () => {
    const { io } = setup();
    program(io, 1, 0x1234, 0x0fff, WRITE_SINGLE, 0x05);
    io.write8(0x0c, 0);
    expect(io.read8(0x02) | (io.read8(0x02) << 8)).toBe(0x1234);
    expect(io.read8(0x03) | (io.read8(0x03) << 8)).toBe(0x0fff);
    expect(io.read8(0x83)).toBe(0x05);
    io.write8(0x80, 0x42); // POST code port: a plain register
    expect(io.read8(0x80)).toBe(0x42);
  });

  it('moves count+1 bytes from a device into memory, then reports terminal count and masks the channel', () => {
    const { io, memory, dma } = setup();
    program(io, 2, 0x0100, 9, WRITE_SINGLE, 0x03);
    const data = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    expect(dma.transfer(2, data, 0, 16)).toBe(10);
    expect(dma.terminalCount(2)).toBe(true);
    expect(Array.from(memory.readBytes(0x30100, 11))).toEqual([0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0]);
    const status = io.read8(0x08);
    expect(status & 0x0f).toBe(0x04);
    expect(io.read8(0x08) & 0x0f).toBe(0); // TC bits clear on read
    expect(io.read8(0x0f) & 0x04).toBe(0x04); // masked after TC
    expect(dma.transfer(2, data, 0, 1)).toBe(0);
  });

  it('reads memory for a device, in decrement mode, and reloads in auto-init mode', () => {
    const { io, memory, dma } = setup();
    memory.writeBytes(0x2000, Uint8Array.from([1, 2, 3, 4]));
    program(io, 3, 0x2003, 3, READ_SINGLE | 0x20 | 0x10, 0);
    const into = new Uint8Array(4);
    expect(dma.transfer(3, into, 0, 4)).toBe(4);
    expect(Array.from(into)).toEqual([4, 3, 2, 1]);
    expect(dma.terminalCount(3)).toBe(true);
    // Auto-init: the channel stays unmasked with its base address and count back.
    expect(dma.ready(3)).toBe(true);
    io.write8(0x0c, 0);
    expect(io.read8(0x06) | (io.read8(0x06) << 8)).toBe(0x2003);
  });

  it('stops partway without terminal count and goes on from there', () => {
    const { io, memory, dma } = setup();
    program(io, 1, 0x0000, 7, WRITE_SINGLE, 0x01);
    dma.transfer(1, Uint8Array.from([1, 2, 3]), 0, 3);
    expect(dma.terminalCount(1)).toBe(false);
    dma.transfer(1, Uint8Array.from([4, 5]), 0, 2);
    expect(Array.from(memory.readBytes(0x10000, 5))).toEqual([1, 2, 3, 4, 5]);
    io.write8(0x0c, 0);
    expect(io.read8(0x03) | (io.read8(0x03) << 8)).toBe(2);
  });

  it('verify mode moves nothing but counts', () => {
    const { io, memory, dma } = setup();
    program(io, 1, 0x0500, 1, 0x40, 0);
    expect(dma.transfer(1, Uint8Array.from([9, 9]), 0, 2)).toBe(2);
    expect(Array.from(memory.readBytes(0x500, 2))).toEqual([0, 0]);
  });

  it('word channels address words with page bits 7-1', () => {
    const { io, memory, dma } = setup();
    io.write8(0xd4, 0x05); // mask channel 5
    io.write8(0xd8, 0);
    io.write8(0xc4, 0x00);
    io.write8(0xc4, 0x10); // word address 1000h = byte 2000h
    io.write8(0xc6, 1);
    io.write8(0xc6, 0); // two words
    io.write8(0x8b, 0x03); // page bit 0 ignored for word channels
    io.write8(0xd6, WRITE_SINGLE | 1);
    io.write8(0xd4, 0x01);
    io.write8(0xdc, 0); // clear all DMA2 masks, channel 4 (cascade) included
    expect(dma.transfer(5, Uint8Array.from([1, 2, 3, 4]), 0, 4)).toBe(4);
    expect(Array.from(memory.readBytes(0x22000, 4))).toEqual([1, 2, 3, 4]);
  });

  it('calls the device when a masked channel with DREQ held is unmasked', () => {
    const { io, memory, dma } = setup();
    let calls = 0;
    dma.attach(2, () => {
      calls++;
      dma.transfer(2, Uint8Array.from([7]), 0, 1);
    });
    program(io, 2, 0x0600, 0, WRITE_SINGLE, 0);
    io.write8(0x0a, 0x06); // mask again
    calls = 0;
    dma.setDreq(2, true);
    expect(calls).toBe(0);
    io.write8(0x0a, 0x02);
    expect(calls).toBe(1);
    expect(memory.read8(0x600)).toBe(7);
    expect(io.read8(0x08) & 0x40).toBe(0x40); // DREQ 2 in the status
  });

  it('a masked cascade channel blocks DMA1, and master clear masks all', () => {
    const { io, dma } = setup();
    program(io, 2, 0, 0, WRITE_SINGLE, 0);
    expect(dma.ready(2)).toBe(true); // channel 4 is left unmasked, as after POST
    io.write8(0xd4, 0x04);
    expect(dma.ready(2)).toBe(false);
    io.write8(0xd4, 0x00);
    expect(dma.ready(2)).toBe(true);
    io.write8(0x0d, 0);
    expect(dma.ready(2)).toBe(false);
  });

  it('saves and restores its state', () => {
    const { io, dma } = setup();
    program(io, 2, 0xbeef, 0x1ff, WRITE_SINGLE, 0x12);
    const saved = dma.saveState();
    const other = setup();
    other.dma.loadState(saved);
    other.io.write8(0x0c, 0);
    expect(other.io.read8(0x04) | (other.io.read8(0x04) << 8)).toBe(0xbeef);
    expect(other.io.read8(0x81)).toBe(0x12);
    expect(() => other.dma.loadState({ version: 99 })).toThrow(/version/);
  });
});
