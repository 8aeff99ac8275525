/** INT 15h (system services), INT 14h (serial ports) and INT 17h (printers: none). */
import { Flag, Reg, Reg8, Seg, type FirmwareHost } from '../core/index.js';
import { BDA_BASE, Bda, bda16, physical, setLiveFlag, setResultFlag, setStatus } from './guest.js';
import { Entry, ROM_SEGMENT, ROM_SIZE } from './rom.js';

const SMAP = 0x534d4150;
const MIB = 1024 * 1024;
const NOT_SUPPORTED = 0x86;

export function int15(host: FirmwareHost): void {
  const cpu = host.cpu;
  const ah = cpu.get8(Reg8.AH);
  const al = cpu.get8(Reg8.AL);
  switch (ah) {
    case 0x24:
      return a20(host, al);
    case 0x87:
      return blockMove(host);
    case 0x88:
      cpu.set16(Reg.EAX, extendedKb(host, 0xffff));
      return setResultFlag(host, Flag.CF, false);
    case 0x90: // device busy / interrupt complete: nothing to wait for
    case 0x91:
      return setStatus(host, 0);
    case 0xc0:
      cpu.setSegReal(Seg.ES, ROM_SEGMENT);
      cpu.set16(Reg.EBX, Entry.configTable);
      return setStatus(host, 0);
    case 0xc1:
      cpu.setSegReal(Seg.ES, bda16(host, Bda.EbdaSegment));
      return setResultFlag(host, Flag.CF, false);
    case 0xe8:
      if (al === 0x01) {
        const low = extendedKb(host, 0x3c00);
        const high = Math.min(0xffff, Math.max(0, Math.floor((host.ramSize - 16 * MIB) / 65536)));
        cpu.set16(Reg.EAX, low);
        cpu.set16(Reg.ECX, low);
        cpu.set16(Reg.EBX, high);
        cpu.set16(Reg.EDX, high);
        return setResultFlag(host, Flag.CF, false);
      }
      if (al === 0x20) return e820(host);
      return setStatus(host, NOT_SUPPORTED);
    default:
      return setStatus(host, NOT_SUPPORTED);
  }
}

/** KiB of memory above 1 MiB, at most `max`. */
function extendedKb(host: FirmwareHost, max: number): number {
  return Math.min(max, Math.max(0, Math.floor((host.ramSize - MIB) / 1024)));
}

/**
 * AH=24h: A20. The board ORs two gates (8042 output port bit 1 and port 92h bit 1), so both are set. The
 * 8042's other output-port bits are written as at power-on (bit 0 high: no reset).
 */
function a20(host: FirmwareHost, al: number): void {
  const cpu = host.cpu;
  const io = host.io;
  switch (al) {
    case 0x00:
    case 0x01: {
      const port92 = io.read8(0x92) & ~0x01; // never write the reset bit
      io.write8(0x92, al ? port92 | 0x02 : port92 & ~0x02);
      io.write8(0x64, 0xd1);
      io.write8(0x60, al ? 0xcf : 0xcd);
      return setStatus(host, 0);
    }
    case 0x02: // whatever gate turned it on: does 1 MiB wrap to 0?
      cpu.set8(Reg8.AL, host.cpu.linearToPhysical(0x100000) === 0 ? 0 : 1);
      return setStatus(host, 0);
    case 0x03:
      cpu.set16(Reg.EBX, 0x0003); // keyboard controller and port 92h
      return setStatus(host, 0);
    default:
      return setStatus(host, NOT_SUPPORTED);
  }
}

/** AH=87h: copy CX words between the bases of descriptors 2 and 3 of the GDT at ES:SI (physical addresses). */
function blockMove(host: FirmwareHost): void {
  const cpu = host.cpu;
  const mem = host.memory;
  const gdt = physical(host, cpu.getSeg(Seg.ES), cpu.get16(Reg.ESI));
  const base = (desc: number) => (mem.read16(desc + 2) | (mem.read8(desc + 4) << 16) | (mem.read8(desc + 7) << 24)) >>> 0;
  const words = cpu.get16(Reg.ECX);
  if (words > 0x8000) return setStatus(host, 0x01);
  const src = base(gdt + 0x10);
  const dst = base(gdt + 0x18);
  for (let i = 0; i < words * 2; i++) mem.write8(dst + i, mem.read8(src + i));
  setStatus(host, 0);
}

/** AX=E820h: the memory map, one 20-byte entry per call, EBX = continuation. */
function e820(host: FirmwareHost): void {
  const cpu = host.cpu;
  const entries: [number, number, number][] = [
    [0, 0x9fc00, 1],
    [0x9fc00, 0x400, 2], // EBDA
    [0x100000 - ROM_SIZE, ROM_SIZE, 2], // system ROM
    [MIB, host.ramSize - MIB, 1],
    [2 ** 32 - ROM_SIZE, ROM_SIZE, 2], // its alias below 4 GiB
  ];
  const index = cpu.get32(Reg.EBX);
  if (cpu.get32(Reg.EDX) !== SMAP || index >= entries.length || cpu.get32(Reg.ECX) < 20) return setStatus(host, NOT_SUPPORTED);
  const [base, length, type] = entries[index];
  const addr = physical(host, cpu.getSeg(Seg.ES), cpu.get16(Reg.EDI));
  const mem = host.memory;
  mem.write32(addr, base % 2 ** 32);
  mem.write32(addr + 4, Math.floor(base / 2 ** 32));
  mem.write32(addr + 8, length);
  mem.write32(addr + 12, 0);
  mem.write32(addr + 16, type);
  cpu.set32(Reg.EAX, SMAP);
  cpu.set32(Reg.ECX, 20);
  cpu.set32(Reg.EBX, index + 1 < entries.length ? index + 1 : 0);
  setResultFlag(host, Flag.CF, false);
}

/** AH=86h, first half: the deadline (machine time in µs, mod 2^32) into the BDA. Live CF=1: nothing to wait for. */
export function waitStart(host: FirmwareHost): void {
  const cpu = host.cpu;
  const micros = cpu.get16(Reg.ECX) * 65536 + cpu.get16(Reg.EDX);
  host.memory.write32(BDA_BASE + Bda.WaitDeadline, (nowMicros(host) + micros) >>> 0);
  host.memory.write8(BDA_BASE + Bda.WaitActive, micros ? 1 : 0);
  setResultFlag(host, Flag.CF, false);
  setLiveFlag(host, Flag.CF, micros === 0);
}

/** AH=86h, second half: live CF=1 while the deadline is ahead. */
export function waitPoll(host: FirmwareHost): void {
  const remaining = (host.memory.read32(BDA_BASE + Bda.WaitDeadline) - nowMicros(host)) | 0;
  if (remaining <= 0) host.memory.write8(BDA_BASE + Bda.WaitActive, 0);
  setLiveFlag(host, Flag.CF, remaining > 0);
}

function nowMicros(host: FirmwareHost): number {
  return Math.floor(host.clock.now() / 1000) % 2 ** 32;
}

/** INT 14h on the UART at the port the BDA lists for DX (COM1-COM4). */
export function int14(host: FirmwareHost): void {
  const cpu = host.cpu;
  const unit = cpu.get16(Reg.EDX);
  const base = unit < 4 ? bda16(host, (Bda.ComPorts + unit * 2) as Bda) : 0;
  if (!base) return cpu.set8(Reg8.AH, 0x80);
  const io = host.io;
  const lsr = () => io.read8(base + 5);
  const msr = () => io.read8(base + 6);
  const al = cpu.get8(Reg8.AL);
  switch (cpu.get8(Reg8.AH)) {
    case 0x00: {
      const divisors = [1047, 768, 384, 192, 96, 48, 24, 12]; // 110 … 9600 baud
      const divisor = divisors[al >> 5];
      io.write8(base + 3, 0x80);
      io.write8(base, divisor & 0xff);
      io.write8(base + 1, divisor >> 8);
      io.write8(base + 3, al & 0x1f); // word length, stop bits, parity: the same bits as the LCR
      cpu.set8(Reg8.AH, lsr());
      cpu.set8(Reg8.AL, msr());
      return;
    }
    case 0x01: {
      const status = lsr();
      if (!(status & 0x20)) return cpu.set8(Reg8.AH, status | 0x80);
      io.write8(base, al);
      return cpu.set8(Reg8.AH, lsr());
    }
    case 0x02: {
      const status = lsr();
      if (!(status & 0x01)) return cpu.set8(Reg8.AH, status | 0x80);
      cpu.set8(Reg8.AL, io.read8(base));
      return cpu.set8(Reg8.AH, status & 0x1e);
    }
    case 0x03:
      cpu.set8(Reg8.AH, lsr());
      cpu.set8(Reg8.AL, msr());
      return;
    default:
      return;
  }
}

/** INT 17h: there is no parallel port; every call times out. */
export function int17(host: FirmwareHost): void {
  host.cpu.set8(Reg8.AH, 0x01);
}
