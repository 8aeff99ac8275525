/** INT 1Ah: the tick count in the BDA (kept by IRQ0) and the MC146818 RTC through ports 70h/71h. */
import { Flag, Reg, Reg8, type FirmwareHost } from '../core/index.js';
import { Bda, bda16, bda8, setBda16, setBda8, setResultFlag } from './guest.js';

/** Ticks per day of the 18.2 Hz timer: 1800B0h. */
export const TICKS_PER_DAY = 0x1800b0;

const REG_B = 0x0b;
const B_SET = 0x80;
const B_ALARM = 0x20;
const B_BINARY = 0x04;
const B_24H = 0x02;
const B_DST = 0x01;

export function cmosRead(host: FirmwareHost, index: number): number {
  host.io.write8(0x70, index);
  return host.io.read8(0x71);
}

export function cmosWrite(host: FirmwareHost, index: number, value: number): void {
  host.io.write8(0x70, index);
  host.io.write8(0x71, value);
}

const toBcd = (n: number) => ((Math.floor(n / 10) % 10) << 4) | n % 10;
const fromBcd = (b: number) => (b >> 4) * 10 + (b & 0x0f);

/** An RTC register as BCD, whatever format register B says the chip keeps. */
function readBcd(host: FirmwareHost, index: number, hour = false): number {
  const b = cmosRead(host, REG_B);
  let v = cmosRead(host, index);
  const pm = hour && !(b & B_24H) && (v & 0x80) !== 0;
  if (hour && !(b & B_24H)) v &= 0x7f;
  let n = b & B_BINARY ? v : fromBcd(v);
  if (hour && !(b & B_24H)) n = (n % 12) + (pm ? 12 : 0);
  return toBcd(n);
}

/** Writes a BCD value into an RTC register in the chip's format. */
function writeBcd(host: FirmwareHost, index: number, bcd: number, hour = false): void {
  const b = cmosRead(host, REG_B);
  let n = fromBcd(bcd);
  let pm = 0;
  if (hour && !(b & B_24H)) {
    pm = n >= 12 ? 0x80 : 0;
    n = n % 12 || 12;
  }
  cmosWrite(host, index, (b & B_BINARY ? n : toBcd(n)) | pm);
}

/** Seconds since midnight from the RTC, for POST's tick count. */
export function rtcTicks(host: FirmwareHost): number {
  const seconds = fromBcd(readBcd(host, 4, true)) * 3600 + fromBcd(readBcd(host, 2)) * 60 + fromBcd(readBcd(host, 0));
  return Math.floor((seconds * TICKS_PER_DAY) / 86400) % TICKS_PER_DAY;
}

export function int1a(host: FirmwareHost): void {
  const cpu = host.cpu;
  const ok = () => setResultFlag(host, Flag.CF, false);
  switch (cpu.get8(Reg8.AH)) {
    case 0x00:
      cpu.set16(Reg.ECX, bda16(host, Bda.Ticks + 2));
      cpu.set16(Reg.EDX, bda16(host, Bda.Ticks));
      cpu.set8(Reg8.AL, bda8(host, Bda.Midnight));
      setBda8(host, Bda.Midnight, 0);
      return ok();
    case 0x01:
      setBda16(host, Bda.Ticks + 2, cpu.get16(Reg.ECX));
      setBda16(host, Bda.Ticks, cpu.get16(Reg.EDX));
      setBda8(host, Bda.Midnight, 0);
      return ok();
    case 0x02:
      cpu.set8(Reg8.CH, readBcd(host, 4, true));
      cpu.set8(Reg8.CL, readBcd(host, 2));
      cpu.set8(Reg8.DH, readBcd(host, 0));
      cpu.set8(Reg8.DL, cmosRead(host, REG_B) & B_DST);
      return ok();
    case 0x03: {
      const b = cmosRead(host, REG_B);
      cmosWrite(host, REG_B, b | B_SET);
      writeBcd(host, 4, cpu.get8(Reg8.CH), true);
      writeBcd(host, 2, cpu.get8(Reg8.CL));
      writeBcd(host, 0, cpu.get8(Reg8.DH));
      cmosWrite(host, REG_B, (b & ~(B_SET | B_DST)) | (cpu.get8(Reg8.DL) & B_DST));
      return ok();
    }
    case 0x04:
      cpu.set8(Reg8.CH, readBcd(host, 0x32));
      cpu.set8(Reg8.CL, readBcd(host, 9));
      cpu.set8(Reg8.DH, readBcd(host, 8));
      cpu.set8(Reg8.DL, readBcd(host, 7));
      return ok();
    case 0x05: {
      const b = cmosRead(host, REG_B);
      cmosWrite(host, REG_B, b | B_SET);
      writeBcd(host, 0x32, cpu.get8(Reg8.CH));
      writeBcd(host, 9, cpu.get8(Reg8.CL));
      writeBcd(host, 8, cpu.get8(Reg8.DH));
      writeBcd(host, 7, cpu.get8(Reg8.DL));
      cmosWrite(host, REG_B, b & ~B_SET);
      return ok();
    }
    case 0x06: {
      const b = cmosRead(host, REG_B);
      if (b & B_ALARM) return setResultFlag(host, Flag.CF, true);
      writeBcd(host, 5, cpu.get8(Reg8.CH), true);
      writeBcd(host, 3, cpu.get8(Reg8.CL));
      writeBcd(host, 1, cpu.get8(Reg8.DH));
      cmosWrite(host, REG_B, b | B_ALARM);
      host.io.write8(0xa1, host.io.read8(0xa1) & ~0x01); // IRQ8
      host.io.write8(0x21, host.io.read8(0x21) & ~0x04); // cascade
      return ok();
    }
    case 0x07:
      cmosWrite(host, REG_B, cmosRead(host, REG_B) & ~B_ALARM);
      return ok();
    default:
      // Includes B1xxh: no PCI BIOS yet.
      return setResultFlag(host, Flag.CF, true);
  }
}
