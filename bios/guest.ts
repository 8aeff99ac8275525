/**
 * Guest-memory helpers for the BIOS services: the BIOS data area (all BIOS state lives there or in the
 * EBDA, never in TypeScript fields, so a snapshot captures it), result flags, and buffers at seg:off.
 */
import { Flag, Reg, Reg8, Seg, type FirmwareHost } from '../core/index.js';

/** Offsets in the BIOS data area (segment 40h). */
export const enum Bda {
  ComPorts = 0x00,
  Equipment = 0x10,
  MemoryKb = 0x13,
  KbdFlags1 = 0x17,
  KbdFlags2 = 0x18,
  AltKeypad = 0x19,
  KbdHead = 0x1a,
  KbdTail = 0x1c,
  FloppyStatus = 0x41,
  VideoMode = 0x49,
  Columns = 0x4a,
  PageSize = 0x4c,
  PageStart = 0x4e,
  CursorPos = 0x50,
  CursorShape = 0x60,
  ActivePage = 0x62,
  CrtcPort = 0x63,
  ModeControl = 0x65,
  Palette = 0x66,
  Ticks = 0x6c,
  Midnight = 0x70,
  BreakFlag = 0x71,
  ResetFlag = 0x72,
  HdStatus = 0x74,
  HdCount = 0x75,
  KbdStart = 0x80,
  KbdEnd = 0x82,
  Rows = 0x84,
  CharHeight = 0x85,
  EgaInfo = 0x87,
  EgaSwitches = 0x88,
  VgaFlags = 0x89,
  DccIndex = 0x8a,
  KbdFlags3 = 0x96,
  KbdLeds = 0x97,
  /** INT 15h AH=86h: the wait's deadline (machine time in µs, mod 2^32) and its active flag. */
  WaitDeadline = 0x9c,
  WaitActive = 0xa0,
  EbdaSegment = 0x0e,
}

export const BDA_BASE = 0x400;
/** The EBDA: 1 KiB at the top of conventional memory (POST puts its segment in BDA 0Eh). */
export const EBDA_SEGMENT = 0x9fc0;

export function bda8(host: FirmwareHost, off: Bda): number {
  return host.memory.read8(BDA_BASE + off);
}
export function bda16(host: FirmwareHost, off: Bda): number {
  return host.memory.read16(BDA_BASE + off);
}
export function setBda8(host: FirmwareHost, off: Bda, value: number): void {
  host.memory.write8(BDA_BASE + off, value);
}
export function setBda16(host: FirmwareHost, off: Bda, value: number): void {
  host.memory.write16(BDA_BASE + off, value);
}

/** seg:off → physical, the real-mode way (A20 included). */
export function physical(host: FirmwareHost, seg: number, off: number): number {
  return host.cpu.linearToPhysical(((seg << 4) + (off & 0xffff)) >>> 0);
}

export function readBytes(host: FirmwareHost, linear: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = host.memory.read8(host.cpu.linearToPhysical(linear + i));
  return out;
}

export function writeBytes(host: FirmwareHost, linear: number, bytes: Uint8Array): void {
  // Page by page: one translation per 4 KiB run instead of one per byte.
  let i = 0;
  while (i < bytes.length) {
    const lin = linear + i;
    const run = Math.min(bytes.length - i, 0x1000 - (lin & 0xfff));
    host.memory.writeBytes(host.cpu.linearToPhysical(lin), bytes.subarray(i, i + run));
    i += run;
  }
}

/** A flag for the ROM's own branch right after the trap (services called from inside a handler). */
export function setLiveFlag(host: FirmwareHost, flag: Flag, on: boolean): void {
  const cpu = host.cpu;
  cpu.setFlags(on ? cpu.getFlags() | flag : cpu.getFlags() & ~flag);
}

/**
 * Services reached from an INT handler run with the caller's IRET frame at SS:SP (IP, CS, FLAGS). A result
 * flag goes into both the live FLAGS (for the ROM's own branches) and the saved FLAGS (for the caller).
 */
export function setResultFlag(host: FirmwareHost, flag: Flag, on: boolean): void {
  setLiveFlag(host, flag, on);
  const addr = physical(host, host.cpu.getSeg(Seg.SS), host.cpu.get16(Reg.ESP) + 4);
  const saved = host.memory.read16(addr);
  host.memory.write16(addr, on ? saved | flag : saved & ~flag);
}

/** The usual BIOS result: AH = status, CF = (status ≠ 0). */
export function setStatus(host: FirmwareHost, status: number): void {
  host.cpu.set8(Reg8.AH, status);
  setResultFlag(host, Flag.CF, status !== 0);
}
