/** Bit instructions: BT BTS BTR BTC (register and immediate offsets), BSF BSR. */
import { CF, setEager, ZF } from './flags.js';
import type { CpuBase } from './cpu-base.js';
import { getReg, maskOf, readE, readMem, regField, setReg, signExtend, sizeOf, spec, type SpecFactory, writeMem } from './operands.js';

const BT = 0, BTS = 1, BTR = 2, BTC = 3;

/**
 * BT family. With a register bit offset and a memory operand the offset is signed and may reach outside the
 * addressed word: the address moves by (offset >> 4) × 2 bytes (or >> 5 × 4 at 32 bits) first.
 */
export function bitTest(c: CpuBase, op: number, size: number, immediate: number): void {
  const bytes = size >> 3;
  const m = c.modrm;
  let offset: number;
  let lin = -1;
  let value: number;
  if (m >= 0xc0) {
    offset = immediate ? c.fetch8() : getReg(c, size, regField(c));
    value = getReg(c, size, m & 7);
  } else {
    const ea = c.ea();
    const seg = c.eaSeg;
    if (immediate) {
      offset = c.fetch8();
      lin = op === BT ? c.linear(seg, ea, bytes) : c.linearW(seg, ea, bytes);
    } else {
      offset = signExtend(getReg(c, size, regField(c)), size);
      const moved = ea + (offset >> (size === 32 ? 5 : 4)) * bytes;
      const off = c.a32 ? moved >>> 0 : moved & 0xffff;
      lin = op === BT ? c.linear(seg, off, bytes) : c.linearW(seg, off, bytes);
    }
    value = readMem(c, size, lin);
  }
  const bit = offset & (size - 1);
  setEager(c, CF, (value >>> bit) & 1, 0, 0, false);
  if (op === BT) return;
  const mask = 1 << bit;
  const result = (op === BTS ? value | mask : op === BTR ? value & ~mask : value ^ mask) & maskOf(size);
  if (m >= 0xc0) setReg(c, size, m & 7, result);
  else writeMem(c, size, lin, result);
}

function bitTestSpec(op: number): SpecFactory {
  return (row, o32) => spec(bitTest, op, sizeOf(row.operands[0], o32), row.operands[1] === 'Ib' ? 1 : 0);
}

/** BSF/BSR (reverse = 1): index of the lowest/highest set bit; a zero source sets ZF and leaves the destination alone. */
export function bitScan(c: CpuBase, reverse: number, size: number): void {
  const v = readE(c, size) & maskOf(size);
  if (v === 0) {
    setEager(c, ZF, ZF, 0, 0, false);
    return;
  }
  setEager(c, ZF, 0, 0, 0, false);
  setReg(c, size, regField(c), reverse ? 31 - Math.clz32(v) : 31 - Math.clz32(v & -v));
}

export const bitOps: Record<string, SpecFactory> = {
  BT: bitTestSpec(BT), BTS: bitTestSpec(BTS), BTR: bitTestSpec(BTR), BTC: bitTestSpec(BTC),
  BSF: (row, o32) => spec(bitScan, 0, sizeOf(row.operands[0], o32)),
  BSR: (row, o32) => spec(bitScan, 1, sizeOf(row.operands[0], o32)),
};
