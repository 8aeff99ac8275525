/**
 * Operand access shared by the instruction templates: registers and ModRM operands of a given size in
 * bits (8, 16, 32). The size is a constant of each generated handler, so the branches on it fold away.
 */
import { type CpuBase, REG8 } from './cpu-base.js';
import type { IsaRow } from './isa.js';

/** A handler executes one decoded instruction (the opcode and ModRM byte are already consumed). */
export type Handler = (c: CpuBase) => void;

/**
 * An instruction's semantics as a function of constant parameters (operation, size, register …). The
 * dispatch calls `template(c, ...args)` through a small wrapper per table row and operand size, generated
 * into handlers.generated.ts so that the engine sees the arguments as constants and folds them.
 */
export type Template = (c: CpuBase, ...args: number[]) => void;

export interface Spec {
  readonly template: Template;
  readonly args: readonly number[];
}

/** The spec of a table row at one operand size, or undefined when the row is not implemented. */
export type SpecFactory = (row: IsaRow, o32: boolean) => Spec | undefined;

export function spec(template: Template, ...args: number[]): Spec {
  return { template, args };
}

/** All ones in the low `size` bits (32 → -1, as an int32). */
export function maskOf(size: number): number {
  return size === 32 ? -1 : (1 << size) - 1;
}

/** Operand size in bits of an operand code (`b` → 8, `w` → 16, `d` → 32, `v`/`z` → by operand size). */
export function sizeOf(code: string, o32: boolean): number {
  const last = code[code.length - 1];
  if (code === 'AL' || code === 'CL' || last === 'b') return 8;
  if (last === 'w' || code === 'DX') return 16;
  if (last === 'd') return 32;
  return o32 ? 32 : 16;
}

export function getReg(c: CpuBase, size: number, r: number): number {
  if (size === 8) return c.r8[REG8[r]];
  if (size === 16) return c.r16[r << 1];
  return c.r32[r];
}

export function setReg(c: CpuBase, size: number, r: number, v: number): void {
  if (size === 8) c.r8[REG8[r]] = v;
  else if (size === 16) c.r16[r << 1] = v;
  else c.r32[r] = v;
}

export function readMem(c: CpuBase, size: number, lin: number): number {
  if (size === 8) return c.rd8(lin);
  if (size === 16) return c.rd16(lin);
  return c.rd32(lin);
}

export function writeMem(c: CpuBase, size: number, lin: number, v: number): void {
  if (size === 8) c.wr8(lin, v);
  else if (size === 16) c.wr16(lin, v);
  else c.wr32(lin, v);
}

/** The ModRM reg field. */
export function regField(c: CpuBase): number {
  return (c.modrm >> 3) & 7;
}

/** Reads the r/m operand (register or memory). */
export function readE(c: CpuBase, size: number): number {
  const m = c.modrm;
  if (m >= 0xc0) return getReg(c, size, m & 7);
  return readMem(c, size, c.eaLin(size >> 3));
}

/** Writes the r/m operand (computes the address: for write-only operands). */
export function writeE(c: CpuBase, size: number, v: number): void {
  const m = c.modrm;
  if (m >= 0xc0) setReg(c, size, m & 7, v);
  else writeMem(c, size, c.eaLinW(size >> 3), v);
}

/**
 * Read-modify-write of the r/m operand: loadE checks that it may be written, returns the value and
 * remembers where it came from (rmwLin, for a memory operand); storeE writes back there.
 */
export function loadE(c: CpuBase, size: number): number {
  const m = c.modrm;
  if (m >= 0xc0) return getReg(c, size, m & 7);
  const lin = c.eaLinW(size >> 3);
  c.rmwLin = lin;
  return readMem(c, size, lin);
}

export function storeE(c: CpuBase, size: number, v: number): void {
  if (c.modrm >= 0xc0) setReg(c, size, c.modrm & 7, v);
  else writeMem(c, size, c.rmwLin, v);
}

/** Fetches an immediate of `size` bits. */
export function fetchImm(c: CpuBase, size: number): number {
  if (size === 8) return c.fetch8();
  if (size === 16) return c.fetch16();
  return c.fetch32();
}

/** Sign-extends the low `size` bits of v to 32 bits. */
export function signExtend(v: number, size: number): number {
  if (size === 8) return (v << 24) >> 24;
  if (size === 16) return (v << 16) >> 16;
  return v | 0;
}
