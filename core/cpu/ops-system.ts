/**
 * System and flag instructions: IN OUT (IOPL and the I/O permission bitmap), HLT, CLI STI CLD STD CLC STC
 * CMC, WAIT and the x87 escapes (to the FPU, or none), MOV to/from control and debug registers, LGDT
 * LIDT SGDT SIDT SMSW LMSW CLTS, INVD WBINVD INVLPG, UD2, and the firmware trap BIOSCALL (0F FF ib).
 * CPUID, the MSRs, RDTSC and SYSENTER are in msr.ts.
 */
import {
  CR0_CD, CR0_EM, CR0_ET, CR0_MP, CR0_NW, CR0_PE, CR0_PG, CR0_TS, CR0_VALID, CR4_DE, S_CR0, S_CR2, S_CR4, S_DR0, S_DR6,
  S_DR7, VEC_DB, VEC_GP, VEC_NM, VEC_UD,
} from './arch.js';
import { CF, DF, EFLAGS_INDEX, IF, lazyCF, setEager } from './flags.js';
import { type CpuBase, S_EIP, S_GDTR_BASE, S_GDTR_LIMIT, S_HALTED, S_IDTR_BASE, S_IDTR_LIMIT } from './cpu-base.js';
import { checkIoBreakpoint, DR6_BD, DR7_GD, updateBreakpoints } from './debug.js';
import { cr4Valid } from './msr.js';
import { getReg, readE, setReg, sizeOf, spec, type SpecFactory, writeE } from './operands.js';
import { requireMemory } from './ops-move.js';
import { invalidatePage } from './paging.js';
import { checkIoPermission, requireCpl0, requireIopl } from './privilege.js';

/** IN AL/eAX, imm8 or DX (fromDx = 1) */
export function inPort(c: CpuBase, size: number, fromDx: number): void {
  const port = fromDx ? c.r16[4] : c.fetch8();
  checkIoPermission(c, port, size >> 3);
  const io = c.io;
  setReg(c, size, 0, size === 8 ? io.read8(port) : size === 16 ? io.read16(port) : io.read32(port));
  if (c.ioBreakpoints !== 0) checkIoBreakpoint(c, port, size >> 3);
  c.afterIo();
}

/** OUT imm8 or DX (toDx = 1), AL/eAX */
export function outPort(c: CpuBase, size: number, toDx: number): void {
  const port = toDx ? c.r16[4] : c.fetch8();
  checkIoPermission(c, port, size >> 3);
  const v = getReg(c, size, 0);
  const io = c.io;
  if (size === 8) io.write8(port, v);
  else if (size === 16) io.write16(port, v);
  else io.write32(port, v);
  if (c.ioBreakpoints !== 0) checkIoBreakpoint(c, port, size >> 3);
  c.afterIo();
}

export function hlt(c: CpuBase): void {
  requireCpl0(c);
  c.st[S_HALTED] = 1;
  c.stop();
}

/** Sets (value 1) or clears one EFLAGS bit kept outside the lazy set (IF, DF); IF is IOPL-sensitive. */
export function systemFlag(c: CpuBase, bit: number, value: number): void {
  const st = c.st;
  if (bit === IF) requireIopl(c);
  if (value) {
    // STI: interrupts stay off until after the next instruction when IF was clear.
    if (bit === IF && (st[EFLAGS_INDEX] & IF) === 0) c.inhibitShadow();
    st[EFLAGS_INDEX] |= bit;
  } else st[EFLAGS_INDEX] &= ~bit;
}

/** CLC (0), STC (1), CMC (2) */
export function carryFlag(c: CpuBase, how: number): void {
  setEager(c, CF, how === 2 ? lazyCF(c) ^ 1 : how, 0, 0, false);
}

/** WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set; then the FPU delivers a pending exception, if any. */
export function wait(c: CpuBase): void {
  if ((c.st[S_CR0] & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) c.raise(VEC_NM);
  if (c.fpu) {
    c.fpu.wait();
    if (c.fpuHost?.ferr) c.fpuHost.afterInstruction();
  }
}

/**
 * Bytes of an x87 memory operand by escape opcode (D8-DF) and ModRM.reg, for the segment limit check when
 * no FPU is attached. -1: FLDENV/FSTENV (14 bytes, 28 with a 32-bit operand size); -2: FSAVE/FRSTOR (94, 108).
 */
const X87_MEMORY_BYTES = [
  [4, 4, 4, 4, 4, 4, 4, 4], // D8: m32fp arithmetic
  [4, 0, 4, 4, -1, 2, -1, 2], // D9: FLD/FST/FSTP m32, FLDENV, FLDCW, FSTENV, FSTCW
  [4, 4, 4, 4, 4, 4, 4, 4], // DA: m32int arithmetic
  [4, 4, 4, 4, 0, 10, 0, 10], // DB: FILD/FISTTP/FIST/FISTP m32, FLD/FSTP m80
  [8, 8, 8, 8, 8, 8, 8, 8], // DC: m64fp arithmetic
  [8, 8, 8, 8, -2, 0, -2, 2], // DD: FLD/FISTTP/FST/FSTP m64, FRSTOR, FSAVE, FSTSW
  [2, 2, 2, 2, 2, 2, 2, 2], // DE: m16int arithmetic
  [2, 2, 2, 2, 10, 8, 10, 8], // DF: FILD/FISTTP/FIST/FISTP m16, FBLD, FILD m64, FBSTP, FISTP m64
];

/**
 * x87 escape D8-DF: #NM when CR0.EM or CR0.TS is set; then the FPU runs it with the operand's segment
 * and offset (offset -1 for register forms). Without an FPU the memory operand is addressed (and
 * limit-checked) but not transferred, as with no coprocessor attached: FNSTSW/FNSTCW leave memory
 * untouched, which is how software detects that no FPU is present.
 */
export function esc(c: CpuBase, escape: number, o32: number): void {
  if (c.st[S_CR0] & (CR0_EM | CR0_TS)) c.raise(VEC_NM);
  const fpu = c.fpu;
  if (fpu) {
    if (c.modrm >= 0xc0) fpu.escape(0xd8 + escape, c.modrm, -1, -1);
    else {
      const offset = c.ea();
      fpu.escape(0xd8 + escape, c.modrm, c.eaSeg, offset);
    }
    if (c.fpuHost?.ferr) c.fpuHost.afterInstruction();
    return;
  }
  if (c.modrm >= 0xc0) return;
  let bytes = X87_MEMORY_BYTES[escape][(c.modrm >> 3) & 7];
  if (bytes === -1) bytes = o32 ? 28 : 14;
  else if (bytes === -2) bytes = o32 ? 108 : 94;
  if (bytes > 0) c.eaLin(bytes);
  else c.ea();
}

/**
 * MOV to (toCr = 1) or from CRn: CR0 CR2 CR3 CR4 (CR1, CR5-CR7: #UD); CPL 0 only. The r/m field names a
 * 32-bit register whatever mod says.
 */
export function movCr(c: CpuBase, toCr: number): void {
  const cr = (c.modrm >> 3) & 7;
  if (cr === 1 || cr > 4) c.raise(VEC_UD);
  requireCpl0(c);
  const reg = c.modrm & 7;
  if (!toCr) {
    c.r32[reg] = c.st[S_CR0 + cr];
    return;
  }
  const v = c.r32[reg];
  if (cr === 0) writeCr0(c, v);
  else if (cr === 2) c.st[S_CR2] = v;
  else if (cr === 3) c.loadCr3(v);
  else {
    if (v & ~cr4Valid(c)) c.raise(VEC_GP);
    c.st[S_CR4] = v;
    c.syncTlb();
  }
}

/** CR0: PG needs PE, NW needs CD (#GP(0)); ET reads 1 on a P6; the mode, paging and TLB follow. */
export function writeCr0(c: CpuBase, v: number): void {
  if (v & CR0_PG && (v & CR0_PE) === 0) c.raise(VEC_GP);
  if (v & CR0_NW && (v & CR0_CD) === 0) c.raise(VEC_GP);
  c.st[S_CR0] = (v & CR0_VALID) | CR0_ET;
  c.refreshCaches();
}

/**
 * MOV to (toDr = 1) or from DRn; DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD). CPL 0 only; with DR7.GD
 * the access raises #DB (BD in DR6) instead. DR6 and DR7 keep their fixed bits.
 */
export function movDr(c: CpuBase, toDr: number): void {
  let dr = (c.modrm >> 3) & 7;
  if (dr === 4 || dr === 5) {
    if (c.st[S_CR4] & CR4_DE) c.raise(VEC_UD);
    dr += 2;
  }
  requireCpl0(c);
  const st = c.st;
  if (st[S_DR7] & DR7_GD) {
    st[S_DR6] |= DR6_BD;
    st[S_DR7] &= ~DR7_GD;
    c.raise(VEC_DB);
  }
  const reg = c.modrm & 7;
  if (!toDr) {
    c.r32[reg] = st[S_DR0 + dr];
    return;
  }
  let v = c.r32[reg];
  if (dr === 6) v = (v | 0xffff0ff0) & ~0x1000;
  else if (dr === 7) v = (v | 0x400) & ~0xd800;
  st[S_DR0 + dr] = v;
  if (dr !== 6) updateBreakpoints(c, () => c.flushAllTranslations());
}

/** LGDT/LIDT: 16-bit limit and base (24 bits with a 16-bit operand size). */
export function loadTable(c: CpuBase, baseIndex: number, limitIndex: number, o32: number): void {
  requireMemory(c);
  requireCpl0(c);
  const lin = c.eaLin(6);
  const limit = c.rd16(lin);
  const base = c.rd32(lin + 2);
  c.st[limitIndex] = limit;
  c.st[baseIndex] = o32 ? base : base & 0xffffff;
}

/** SGDT/SIDT: the full base with a 32-bit operand, else 24 bits and a zero high byte. */
export function storeTable(c: CpuBase, baseIndex: number, limitIndex: number, o32: number): void {
  requireMemory(c);
  const lin = c.eaLinW(6);
  const base = c.st[baseIndex];
  c.wr16(lin, c.st[limitIndex]);
  c.wr32(lin + 2, o32 ? base : base & 0xffffff);
}

/** SMSW: the low CR0 bits (a register destination with a 32-bit operand size gets all of CR0). */
export function smsw(c: CpuBase, o32: number): void {
  if (c.modrm >= 0xc0 && o32) c.r32[c.modrm & 7] = c.st[S_CR0];
  else writeE(c, 16, c.st[S_CR0] & 0xffff);
}

/** LMSW: loads PE MP EM TS; it can set PE but never clear it. */
export function lmsw(c: CpuBase): void {
  requireCpl0(c);
  const v = readE(c, 16);
  const cr0 = c.st[S_CR0];
  c.st[S_CR0] = (cr0 & ~(CR0_MP | CR0_EM | CR0_TS)) | (v & (CR0_PE | CR0_MP | CR0_EM | CR0_TS));
  c.refreshCaches();
}

export function clts(c: CpuBase): void {
  requireCpl0(c);
  c.st[S_CR0] &= ~CR0_TS;
}

export function undefinedOpcode(c: CpuBase): void {
  c.raise(VEC_UD);
}

/** INVD, WBINVD: no caches to write back or drop; CPL 0 only. */
export function cacheOp(c: CpuBase): void {
  requireCpl0(c);
}

/** INVLPG m: drops the TLB entry of the operand's linear address (no limit check, as on hardware). */
export function invlpg(c: CpuBase): void {
  requireMemory(c);
  requireCpl0(c);
  const offset = c.ea();
  invalidatePage(c, (c.bases[c.eaSeg] + offset) >>> 0);
}

/**
 * The firmware trap `0F FF ib`: honoured only when the instruction lies in the BIOS ROM (memory.isBiosAddress
 * of its physical address) and a firmware is attached; anywhere else it is #UD, as on hardware. The service
 * sees EIP after the trap and may change registers, CS:EIP and flags through CpuAccess.
 */
export function biosCall(c: CpuBase): void {
  const phys = c.translate((c.csBase + c.startIp) >>> 0);
  const trap = c.firmwareTrap;
  if (!trap || phys < 0 || !c.memory.isBiosAddress(phys)) return c.raise(VEC_UD);
  const service = c.fetch8();
  c.st[S_EIP] = c.nextIp();
  c.syncOut();
  const done = trap(service);
  c.syncIn();
  if (!done) {
    c.ip = c.startIp;
    c.trapPending = true;
    c.stop();
  }
}

const byO32 = (template: (c: CpuBase, o32: number) => void): SpecFactory => (_row, o32) => spec(template, o32 ? 1 : 0);

export const systemOps: Record<string, SpecFactory> = {
  IN: (row, o32) => spec(inPort, sizeOf(row.operands[0], o32), row.operands[1] === 'DX' ? 1 : 0),
  OUT: (row, o32) => spec(outPort, sizeOf(row.operands[1], o32), row.operands[0] === 'DX' ? 1 : 0),
  HLT: () => spec(hlt),
  CLI: () => spec(systemFlag, IF, 0), STI: () => spec(systemFlag, IF, 1), CLD: () => spec(systemFlag, DF, 0), STD: () => spec(systemFlag, DF, 1),
  CLC: () => spec(carryFlag, 0), STC: () => spec(carryFlag, 1), CMC: () => spec(carryFlag, 2),
  WAIT: () => spec(wait), ESC: (row, o32) => spec(esc, row.opcode - 0xd8, o32 ? 1 : 0),
  'MOV Rd,Cd': () => spec(movCr, 0), 'MOV Cd,Rd': () => spec(movCr, 1), 'MOV Rd,Dd': () => spec(movDr, 0), 'MOV Dd,Rd': () => spec(movDr, 1),
  LGDT: (_row, o32) => spec(loadTable, S_GDTR_BASE, S_GDTR_LIMIT, o32 ? 1 : 0),
  LIDT: (_row, o32) => spec(loadTable, S_IDTR_BASE, S_IDTR_LIMIT, o32 ? 1 : 0),
  SGDT: (_row, o32) => spec(storeTable, S_GDTR_BASE, S_GDTR_LIMIT, o32 ? 1 : 0),
  SIDT: (_row, o32) => spec(storeTable, S_IDTR_BASE, S_IDTR_LIMIT, o32 ? 1 : 0),
  SMSW: byO32(smsw), LMSW: () => spec(lmsw), CLTS: () => spec(clts), UD2: () => spec(undefinedOpcode), BIOSCALL: () => spec(biosCall),
  INVD: () => spec(cacheOp), WBINVD: () => spec(cacheOp), INVLPG: () => spec(invlpg),
};
