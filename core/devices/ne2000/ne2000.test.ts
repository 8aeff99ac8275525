import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../io.js';
import { PciBus } from '../pci/pci.js';
import { multicastHashIndex } from './dp8390.js';
import { Ne2000Isa, Ne2000Pci } from './ne2000.js';

const BASE = 0x300;
const CMD = BASE, DATA = BASE + 0x10, RESET = BASE + 0x1f;
// Page 0 write registers.
const PSTART = BASE + 1, PSTOP = BASE + 2, BNRY = BASE + 3, TPSR = BASE + 4, TBCR0 = BASE + 5, TBCR1 = BASE + 6, ISR = BASE + 7;
const RSAR0 = BASE + 8, RSAR1 = BASE + 9, RBCR0 = BASE + 0x0a, RBCR1 = BASE + 0x0b, RCR = BASE + 0x0c, TCR = BASE + 0x0d, DCR = BASE + 0x0e, IMR = BASE + 0x0f;
const CNTR2 = BASE + 0x0f;
// Page 1.
const PAR0 = BASE + 1, CURR = BASE + 7, MAR0 = BASE + 8;

const MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const OTHER = Uint8Array.of(0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc);
const BROADCAST = new Uint8Array(6).fill(0xff);
const RX_START = 0x46;
const RX_STOP = 0x80;

function setup() {
  const io = new IoBus();
  const levels: boolean[] = [];
  const sent: Uint8Array[] = [];
  const card = new Ne2000Isa({ io, mac: MAC, irq: (level) => levels.push(level), onFrame: (f) => sent.push(f) });
  const irq = () => levels.at(-1) ?? false;
  return { io, card, sent, irq };
}

/** The register sequence a driver such as Linux's 8390 core uses to bring the card up (word mode). */
function open(io: IoBus, rcr = 0x04) {
  io.write8(CMD, 0x21); // stop, no DMA, page 0
  io.write8(DCR, 0x49); // word transfers, normal operation, FIFO threshold
  io.write8(RBCR0, 0);
  io.write8(RBCR1, 0);
  io.write8(RCR, 0x20); // monitor while setting up
  io.write8(TCR, 0x02); // internal loopback while setting up
  io.write8(TPSR, 0x40);
  io.write8(PSTART, RX_START);
  io.write8(BNRY, RX_STOP - 1); // one page behind the first frame to read (Linux's 8390 core does this)
  io.write8(PSTOP, RX_STOP);
  io.write8(ISR, 0xff);
  io.write8(IMR, 0);
  io.write8(CMD, 0x61); // page 1
  for (let i = 0; i < 6; i++) io.write8(PAR0 + i, MAC[i]);
  io.write8(CURR, RX_START);
  io.write8(CMD, 0x22); // start, page 0
  io.write8(ISR, 0xff);
  io.write8(IMR, 0x3f);
  io.write8(TCR, 0);
  io.write8(RCR, rcr);
}

function remoteRead(io: IoBus, address: number, count: number): Uint8Array {
  io.write8(RBCR0, count & 0xff);
  io.write8(RBCR1, count >> 8);
  io.write8(RSAR0, address & 0xff);
  io.write8(RSAR1, address >> 8);
  io.write8(CMD, 0x0a); // remote read, start
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i += 2) {
    const word = io.read16(DATA);
    out[i] = word & 0xff;
    if (i + 1 < count) out[i + 1] = word >> 8;
  }
  return out;
}

function remoteWrite(io: IoBus, address: number, bytes: Uint8Array) {
  const count = (bytes.length + 1) & ~1;
  io.write8(RBCR0, count & 0xff);
  io.write8(RBCR1, count >> 8);
  io.write8(RSAR0, address & 0xff);
  io.write8(RSAR1, address >> 8);
  io.write8(CMD, 0x12); // remote write, start
  for (let i = 0; i < count; i += 2) io.write16(DATA, bytes[i] | ((bytes[i + 1] ?? 0) << 8));
}

function frame(dest: Uint8Array, length: number, fill = 0): Uint8Array {
  const f = new Uint8Array(length);
  f.set(dest);
  f.set(OTHER, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  for (let i = 14; i < length; i++) f[i] = (i + fill) & 0xff;
  return f;
}

/** Reads the frame at BNRY + 1 as a driver does: header, then data; returns the header and moves BNRY on. */
function takeFrame(io: IoBus) {
  io.write8(CMD, 0x62);
  const curr = io.read8(CURR);
  io.write8(CMD, 0x22);
  let page = io.read8(BNRY) + 1;
  if (page >= RX_STOP) page = RX_START;
  if (page === curr) return undefined;
  const header = remoteRead(io, page << 8, 4);
  const count = header[2] | (header[3] << 8);
  const data = remoteRead(io, (page << 8) + 4, count - 4);
  const next = header[1];
  io.write8(BNRY, next - 1); // PSTART - 1 after a frame that ends the ring, as Linux writes it
  return { status: header[0], next, count, data, page };
}

describe('NE2000 (DP8390) through its ports', () => {
  it('reads the PROM: the MAC doubled, WW at the end; byte reads in word mode take words', () => {
    const { io } = setup();
    io.write8(CMD, 0x21);
    io.write8(DCR, 0x48); // byte mode: the raw 32 bytes
    io.write8(RBCR0, 32);
    io.write8(RBCR1, 0);
    io.write8(RSAR0, 0);
    io.write8(RSAR1, 0);
    io.write8(CMD, 0x0a);
    const raw = Array.from({ length: 32 }, () => io.read8(DATA));
    expect(raw.slice(0, 12)).toEqual([0x52, 0x52, 0x54, 0x54, 0x00, 0x00, 0x12, 0x12, 0x34, 0x34, 0x56, 0x56]);
    expect(raw.slice(28)).toEqual([0x57, 0x57, 0x57, 0x57]);
    expect(io.read8(ISR) & 0x40).toBe(0x40); // remote DMA complete
    // Word mode (as ne2k-pci probes): each inb moves a word, so the bytes come out once each.
    io.write8(DCR, 0x49);
    io.write8(RBCR0, 32);
    io.write8(RSAR0, 0);
    io.write8(CMD, 0x0a);
    const mac = Array.from({ length: 6 }, () => io.read8(DATA));
    expect(mac).toEqual(Array.from(MAC));
  });

  it('resets through the reset port (ISR.RST), and RST stays until the start command', () => {
    const { io } = setup();
    open(io);
    expect(io.read8(ISR) & 0x80).toBe(0);
    io.write8(RESET, io.read8(RESET));
    expect(io.read8(ISR) & 0x80).toBe(0x80);
    io.write8(ISR, 0xff);
    expect(io.read8(ISR) & 0x80).toBe(0x80);
    io.write8(CMD, 0x22);
    expect(io.read8(ISR) & 0x80).toBe(0);
  });

  it('keeps MAR writable on page 1 and clears the tally counters on read (ne.c probe)', () => {
    const { io } = setup();
    io.write8(CMD, 0x61);
    io.write8(BASE + 0x0d, 0xff);
    expect(io.read8(BASE + 0x0d)).toBe(0xff);
    io.write8(CMD, 0x21);
    io.read8(BASE + 0x0d);
    expect(io.read8(BASE + 0x0d)).toBe(0);
  });

  it('transmits TBCR bytes from TPSR out of onFrame, with PTX and an interrupt', () => {
    const { io, sent, irq } = setup();
    open(io);
    const out = frame(OTHER, 60, 3);
    remoteWrite(io, 0x4000, out);
    expect(io.read8(ISR) & 0x40).toBe(0x40);
    io.write8(ISR, 0x40);
    io.write8(TPSR, 0x40);
    io.write8(TBCR0, 60);
    io.write8(TBCR1, 0);
    io.write8(CMD, 0x26); // transmit
    expect(sent).toHaveLength(1);
    expect(sent[0]).toEqual(out);
    expect(io.read8(CMD) & 0x04).toBe(0); // TXP clears when the frame is out
    expect(io.read8(BASE + 4) & 1).toBe(1); // TSR.PTX
    expect(io.read8(ISR) & 0x02).toBe(0x02);
    expect(irq()).toBe(true);
    io.write8(ISR, 0x02);
    expect(irq()).toBe(false);
  });

  it('loops a frame back to its own receiver in loopback mode instead of sending it', () => {
    const { io, sent } = setup();
    open(io);
    io.write8(TCR, 0x02);
    const out = frame(MAC, 64);
    remoteWrite(io, 0x4000, out);
    io.write8(TBCR0, 64);
    io.write8(CMD, 0x26);
    expect(sent).toHaveLength(0);
    expect(takeFrame(io)?.data).toEqual(out);
  });

  it('receives into the ring with 4-byte headers, pads runts to 60, and interrupts', () => {
    const { io, card, irq } = setup();
    open(io);
    expect(card.receive(frame(MAC, 100))).toBe(true);
    expect(io.read8(ISR) & 0x01).toBe(1);
    expect(irq()).toBe(true);
    const first = takeFrame(io)!;
    expect(first.status).toBe(0x01);
    expect(first.page).toBe(RX_START);
    expect(first.count).toBe(104);
    expect(first.next).toBe(RX_START + 1);
    expect(first.data).toEqual(frame(MAC, 100));
    const runt = frame(MAC, 42);
    card.receive(runt);
    const second = takeFrame(io)!;
    expect(second.count).toBe(64);
    expect(second.data.subarray(0, 42)).toEqual(runt);
    expect(second.data.subarray(42)).toEqual(new Uint8Array(18));
    expect(takeFrame(io)).toBeUndefined();
    io.write8(ISR, 0x01);
    expect(irq()).toBe(false);
  });

  it('wraps frames from PSTOP to PSTART, and remote DMA reads wrap the same way', () => {
    const { io, card } = setup();
    open(io);
    // 1000-byte frames take 4 pages each: the ring (58 pages) wraps inside the 15th frame, and after the
    // 29th the next frame starts exactly at PSTART (BNRY then goes to PSTART - 1, outside the ring).
    let endedRing = 0;
    for (let n = 0; n < 32; n += 2) {
      const f = frame(MAC, 1000, n);
      expect(card.receive(f)).toBe(true);
      expect(card.receive(frame(MAC, 1000, n + 1))).toBe(true);
      for (const expected of [f, frame(MAC, 1000, n + 1)]) {
        const got = takeFrame(io)!;
        expect(got.data).toEqual(expected);
        expect(got.next).toBeGreaterThanOrEqual(RX_START);
        expect(got.next).toBeLessThan(RX_STOP);
        if (got.next === RX_START) endedRing++;
      }
    }
    expect(endedRing).toBeGreaterThan(0);
    expect(takeFrame(io)).toBeUndefined();
  });

  it('never overwrites unread frames when BNRY is PSTART - 1', () => {
    const { io, card } = setup();
    open(io);
    // Fill and drain until a frame ends exactly at PSTOP: 29 two-page frames fill 58 pages.
    for (let n = 0; n < 29; n++) {
      card.receive(frame(MAC, 400, n));
      expect(takeFrame(io)!.next).toBe(n === 28 ? RX_START : RX_START + 2 * (n + 1));
    }
    io.write8(CMD, 0x22);
    expect(io.read8(BNRY)).toBe(RX_START - 1);
    let accepted = 0;
    while (card.receive(frame(MAC, 400, accepted))) accepted++;
    expect(accepted).toBe(28); // 57 free pages: the page behind BNRY stays free
    for (let n = 0; n < accepted; n++) expect(takeFrame(io)!.data).toEqual(frame(MAC, 400, n));
    expect(takeFrame(io)).toBeUndefined();
  });

  it('filters: physical match, broadcast with AB, multicast by hash with AM, everything with PRO', () => {
    const { io, card } = setup();
    open(io, 0x00);
    expect(card.receive(frame(OTHER, 60))).toBe(false);
    expect(card.receive(frame(BROADCAST, 60))).toBe(false);
    expect(card.receive(frame(MAC, 60))).toBe(true);
    io.write8(RCR, 0x04);
    expect(card.receive(frame(BROADCAST, 60))).toBe(true);
    const group = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);
    const otherGroup = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x02);
    // The index the Linux 8390 driver computes: the top 6 bits of the bit-reversed little-endian CRC-32.
    const linuxIndex = (a: Uint8Array) => bitReverse32(~crc32(a) >>> 0) >>> 26;
    expect(multicastHashIndex(group)).toBe(linuxIndex(group));
    expect(multicastHashIndex(otherGroup)).not.toBe(multicastHashIndex(group));
    io.write8(RCR, 0x0c);
    expect(card.receive(frame(group, 60))).toBe(false); // MAR all zero
    const index = linuxIndex(group);
    io.write8(CMD, 0x62);
    io.write8(MAR0 + (index >> 3), 1 << (index & 7));
    io.write8(CMD, 0x22);
    expect(card.receive(frame(group, 60))).toBe(true);
    expect(card.receive(frame(otherGroup, 60))).toBe(false);
    io.write8(RCR, 0x14);
    expect(card.receive(frame(OTHER, 60))).toBe(true);
    const statuses: number[] = [];
    for (let f = takeFrame(io); f; f = takeFrame(io)) statuses.push(f.status);
    expect(statuses).toEqual([0x01, 0x21, 0x21, 0x01]); // PHY marks broadcast/multicast
  });

  it('overflows when the ring is full: OVW, missed-packet tally, CNT past 127, nothing overwritten', () => {
    const { io, card, irq } = setup();
    open(io);
    let accepted = 0;
    while (card.receive(frame(MAC, 1500, accepted))) accepted++;
    expect(accepted).toBe(9); // 6 pages each in a 58-page ring that keeps BNRY's page free
    expect(io.read8(ISR) & 0x10).toBe(0x10);
    expect(irq()).toBe(true);
    for (let n = 0; n < 130; n++) card.receive(frame(MAC, 1500));
    expect(io.read8(ISR) & 0x20).toBe(0x20);
    expect(io.read8(CNTR2)).toBe(131);
    expect(io.read8(CNTR2)).toBe(0);
    expect(io.read8(ISR) & 0x20).toBe(0);
    for (let n = 0; n < accepted; n++) expect(takeFrame(io)!.data).toEqual(frame(MAC, 1500, n));
    io.write8(ISR, 0x10);
    expect(card.receive(frame(MAC, 1500))).toBe(true);
  });

  it('counts frames as missed in monitor mode and ignores everything while stopped', () => {
    const { io, card } = setup();
    open(io, 0x24);
    expect(card.receive(frame(MAC, 60))).toBe(false);
    expect(io.read8(CNTR2)).toBe(1);
    io.write8(RCR, 0x04);
    io.write8(CMD, 0x21);
    expect(card.receive(frame(MAC, 60))).toBe(false);
    expect(io.read8(CNTR2)).toBe(0);
  });

  it('moves dwords through the data port (ne2k-pci uses insl/outsl)', () => {
    const { io } = setup();
    open(io);
    io.write8(RBCR0, 8);
    io.write8(RBCR1, 0);
    io.write8(RSAR0, 0x00);
    io.write8(RSAR1, 0x50);
    io.write8(CMD, 0x12);
    io.write32(DATA, 0x04030201);
    io.write32(DATA, 0x08070605);
    expect(Array.from(remoteRead(io, 0x5000, 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    io.write8(RBCR0, 4);
    io.write8(RSAR0, 0x04);
    io.write8(RSAR1, 0x50);
    io.write8(CMD, 0x0a);
    expect(io.read32(DATA)).toBe(0x08070605);
  });

  it('survives a saveState → loadState round trip with frames in the ring', () => {
    const { io, card } = setup();
    open(io);
    card.receive(frame(MAC, 200, 7));
    const state = structuredClone(card.saveState());
    const other = setup();
    other.card.loadState(state);
    expect(takeFrame(other.io)!.data).toEqual(frame(MAC, 200, 7));
    expect(() => other.card.loadState({ version: 99 })).toThrow(/version/);
  });
});

describe('NE2000 on PCI (RTL8029)', () => {
  it('answers as 10ec:8029 with a 32-port I/O BAR, and decodes wherever BAR0 goes', () => {
    const io = new IoBus();
    const bus = new PciBus({ io });
    const card = new Ne2000Pci({ io, mac: MAC });
    card.connectIrq(bus.attach(3, 0, card));
    const config = (offset: number) => {
      io.write32(0xcf8, 0x80000000 | (3 << 11) | offset);
      return io.read32(0xcfc);
    };
    const setConfig = (offset: number, value: number) => {
      io.write32(0xcf8, 0x80000000 | (3 << 11) | offset);
      io.write32(0xcfc, value);
    };
    expect(config(0x00)).toBe(0x802910ec);
    expect(config(0x08) >>> 8).toBe(0x020000);
    expect((config(0x3c) >>> 8) & 0xff).toBe(1); // INTA
    setConfig(0x10, 0xffffffff);
    expect(config(0x10)).toBe(0xffffffe1);
    setConfig(0x10, 0xc000);
    setConfig(0x04, 0x0001);
    expect(card.portBase).toBe(0xc000);
    expect(io.read8(0xc00a)).toBe(0x50); // RTL8029 ID on page 0
    expect(io.read8(0xc00b)).toBe(0x43);
    setConfig(0x10, 0xc100);
    expect(io.read8(0xc00a)).toBe(0xff);
    expect(io.read8(0xc10a)).toBe(0x50);
    // The old window is free again: nobody owns it, and another device may take it.
    expect(io.owner(0xc00a)).toBeUndefined();
    setConfig(0x04, 0);
    expect(io.read8(0xc10a)).toBe(0xff);
    expect(io.owner(0xc10a)).toBeUndefined();
  });
});

function bitReverse32(x: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) r = (r << 1) | ((x >>> i) & 1);
  return r >>> 0;
}
