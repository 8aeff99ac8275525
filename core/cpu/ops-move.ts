/** Data movement: MOV (all forms but control/debug registers), LEA, XCHG, MOVZX MOVSX, LES LDS LSS LFS LGS, XLAT, CBW CWD, LAHF SAHF SALC, NOP, CMOVcc, BSWAP. */
import { AF, CF, condition, lazyCF, PF, readFlags, SF, setEager, ZF } from './flags.js';
import { type CpuBase, SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS, VEC_UD } from './cpu-base.js';
import {
  fetchImm, getReg, loadE, maskOf, readE, readMem, regField, setReg, signExtend, sizeOf, spec, type SpecFactory, storeE, writeE, writeMem,
} from './operands.js';

/** #UD unless the ModRM byte names memory (operands M, Mp, Ma, Ms, Mq). */
export function requireMemory(c: CpuBase): void {
  if (c.modrm >= 0xc0) c.raise(VEC_UD);
}

export function movEG(c: CpuBase, size: number): void {
  writeE(c, size, getReg(c, size, regField(c)));
}

export function movGE(c: CpuBase, size: number): void {
  setReg(c, size, regField(c), readE(c, size));
}

/** MOV reg, imm (B0+r, B8+r) */
export function movRegImm(c: CpuBase, reg: number, size: number): void {
  setReg(c, size, reg, fetchImm(c, size));
}

/** MOV r/m, imm (C6/C7): the immediate follows the displacement. */
export function movEImm(c: CpuBase, size: number): void {
  if (c.modrm >= 0xc0) setReg(c, size, c.modrm & 7, fetchImm(c, size));
  else {
    const lin = c.eaLinW(size >> 3);
    writeMem(c, size, lin, fetchImm(c, size));
  }
}

/** The moffs offset: 16 or 32 bits by address size. */
function moffs(c: CpuBase): number {
  return c.a32 ? c.fetch32() >>> 0 : c.fetch16();
}

/** MOV AL/eAX, [moffs] */
export function movAccMoffs(c: CpuBase, size: number): void {
  setReg(c, size, 0, readMem(c, size, c.linear(c.dataSeg(), moffs(c), size >> 3)));
}

/** MOV [moffs], AL/eAX */
export function movMoffsAcc(c: CpuBase, size: number): void {
  writeMem(c, size, c.linearW(c.dataSeg(), moffs(c), size >> 3), getReg(c, size, 0));
}

/** MOV r/m, Sreg: a register gets the selector zero-extended to the operand size; memory always 16 bits. */
export function movESreg(c: CpuBase, size: number): void {
  const s = regField(c);
  if (s > SEG_GS) c.raise(VEC_UD);
  const sel = c.selectors[s];
  if (c.modrm >= 0xc0) setReg(c, size, c.modrm & 7, sel);
  else c.wr16(c.eaLinW(2), sel);
}

/** MOV Sreg, r/m16: CS cannot be loaded this way. */
export function movSregE(c: CpuBase): void {
  const s = regField(c);
  if (s === SEG_CS || s > SEG_GS) c.raise(VEC_UD);
  c.loadSeg(s, readE(c, 16));
}

const mov: SpecFactory = (row, o32) => {
  const [dst, src] = row.operands;
  const size = sizeOf(dst === 'Sw' ? src : dst, o32);
  if (dst[0] === 'E' && src[0] === 'G') return spec(movEG, size);
  if (dst[0] === 'G' && src[0] === 'E') return spec(movGE, size);
  if (dst[0] === 'Z') return spec(movRegImm, row.opcode & 7, size);
  if (dst[0] === 'E' && src[0] === 'I') return spec(movEImm, size);
  if (src[0] === 'O') return spec(movAccMoffs, size);
  if (dst[0] === 'O') return spec(movMoffsAcc, size);
  if (src === 'Sw') return spec(movESreg, size);
  if (dst === 'Sw') return spec(movSregE);
  return undefined;
};

export function lea(c: CpuBase, size: number): void {
  requireMemory(c);
  setReg(c, size, regField(c), c.ea());
}

/** XCHG reg, eAX (91+r) */
export function xchgAcc(c: CpuBase, reg: number, size: number): void {
  const a = getReg(c, size, reg);
  setReg(c, size, reg, getReg(c, size, 0));
  setReg(c, size, 0, a);
}

/** XCHG r/m, reg */
export function xchgEG(c: CpuBase, size: number): void {
  const reg = regField(c);
  const a = loadE(c, size);
  storeE(c, size, getReg(c, size, reg));
  setReg(c, size, reg, a);
}

const xchg: SpecFactory = (row, o32) => {
  const size = sizeOf(row.operands[0], o32);
  return row.operands[0][0] === 'Z' ? spec(xchgAcc, row.opcode & 7, size) : spec(xchgEG, size);
};

/** MOVZX / MOVSX (signed = 1) */
export function movExtend(c: CpuBase, size: number, srcSize: number, signed: number): void {
  const v = readE(c, srcSize);
  setReg(c, size, regField(c), signed ? signExtend(v, srcSize) & maskOf(size) : v);
}

function extend(signed: number): SpecFactory {
  return (row, o32) => spec(movExtend, sizeOf(row.operands[0], o32), sizeOf(row.operands[1], o32), signed);
}

/** LES LDS LSS LFS LGS: offset then selector from memory; the segment is loaded first (it may fault). */
export function loadFar(c: CpuBase, seg: number, size: number): void {
  requireMemory(c);
  const bytes = size >> 3;
  const lin = c.eaLin(bytes + 2);
  const off = readMem(c, size, lin);
  const sel = c.rd16(lin + bytes);
  c.loadSeg(seg, sel);
  setReg(c, size, regField(c), off);
}

function loadFarSpec(seg: number): SpecFactory {
  return (_row, o32) => spec(loadFar, seg, o32 ? 32 : 16);
}

export function xlat(c: CpuBase): void {
  const off = c.a32 ? (c.r32[3] + c.r8[0]) >>> 0 : (c.r16[6] + c.r8[0]) & 0xffff;
  c.r8[0] = c.rd8(c.linear(c.dataSeg(), off, 1));
}

/** CBW / CWDE (o32 = 1) */
export function cbw(c: CpuBase, o32: number): void {
  if (o32) c.r32[0] = (c.r32[0] << 16) >> 16;
  else c.r16[0] = (c.r8[0] << 24) >> 24;
}

/** CWD / CDQ (o32 = 1) */
export function cwd(c: CpuBase, o32: number): void {
  if (o32) c.r32[2] = c.r32[0] >> 31;
  else c.r16[4] = c.r16[0] & 0x8000 ? 0xffff : 0;
}

export function lahf(c: CpuBase): void {
  c.r8[1] = (readFlags(c) & (SF | ZF | AF | PF | CF)) | 2;
}

export function sahf(c: CpuBase): void {
  setEager(c, SF | ZF | AF | PF | CF, c.r8[1], 0, 0, false);
}

/** SALC (undocumented D6): AL = CF ? FF : 00. */
export function salc(c: CpuBase): void {
  c.r8[0] = lazyCF(c) ? 0xff : 0;
}

export function nop(_c: CpuBase): void {}

/** NOP Ev (0F 1F /0, the P6's multi-byte NOP): the operand's address bytes are consumed, nothing is accessed. */
export function nopE(c: CpuBase): void {
  if (c.modrm < 0xc0) c.ea();
}

/** CMOVcc: the source is read (and may fault) whether or not the condition holds. */
export function cmov(c: CpuBase, cc: number, size: number): void {
  const v = readE(c, size);
  if (condition(c, cc)) setReg(c, size, regField(c), v);
}

export function bswap(c: CpuBase, reg: number): void {
  const v = c.r32[reg];
  c.r32[reg] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

const sized = (template: (c: CpuBase, size: number) => void): SpecFactory => (row, o32) => spec(template, sizeOf(row.operands[0], o32));
const byO32 = (template: (c: CpuBase, o32: number) => void): SpecFactory => (_row, o32) => spec(template, o32 ? 1 : 0);

export const moveOps: Record<string, SpecFactory> = {
  MOV: mov, LEA: sized(lea), XCHG: xchg, MOVZX: extend(0), MOVSX: extend(1),
  LES: loadFarSpec(SEG_ES), LDS: loadFarSpec(SEG_DS), LSS: loadFarSpec(SEG_SS), LFS: loadFarSpec(SEG_FS), LGS: loadFarSpec(SEG_GS),
  XLAT: () => spec(xlat), CBW: byO32(cbw), CWD: byO32(cwd), LAHF: () => spec(lahf), SAHF: () => spec(sahf), SALC: () => spec(salc),
  NOP: () => spec(nop), 'NOP Ev': () => spec(nopE), CMOVcc: (row, o32) => spec(cmov, row.cc, sizeOf(row.operands[0], o32)), BSWAP: (row) => spec(bswap, row.opcode & 7),
};
