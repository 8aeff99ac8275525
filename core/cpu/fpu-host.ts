/**
 * The CPU side of the x87 unit (core/cpu/fpu): the FpuHost the unit calls back through (memory with the
 * CPU's segmentation, paging and faults; flags; #MF or FERR#), FXSAVE/FXRSTOR, and FERR# tracking. The
 * escape opcodes themselves are dispatched by ops-system.ts (esc, wait).
 */
import { Layout } from '../layout.js';
import { CR0_EM, CR0_NE, CR0_TS, MODE_PROTECTED, S_CR0, SEG_CS, VEC_GP, VEC_MF, VEC_NM, VEC_UD } from './arch.js';
import type { CpuBase } from './cpu-base.js';
import { AF, CF, OF, PF, readFlags, SF, setEager, ZF } from './flags.js';
import { FpuLayout } from './fpu/index.js';
import type { FpuHost } from './fpu/index.js';
import { spec, type SpecFactory } from './operands.js';
import { requireMemory } from './ops-move.js';

/** The x87 unit as the CPU drives it (core/cpu/fpu implements it; fpu-host.ts wires it in). */
export interface FpuUnit {
  /** One x87 instruction D8-DF: memory forms get the operand's segment register and offset, register forms -1, -1. */
  escape(opcode: number, modrm: number, seg: number, offset: number): void;
  /** FWAIT: delivers a pending unmasked exception. */
  wait(): void;
  reset(): void;
  /** FXSAVE/FXRSTOR (0F AE /0, /1) of the 512-byte area at seg:offset, when the unit has them. */
  fxsave?(seg: number, offset: number): void;
  fxrstor?(seg: number, offset: number): void;
}

/** Status word ES (exception summary): FERR# follows it when CR0.NE is clear. */
const SW_ES = 0x80;

export class CpuFpuHost implements FpuHost {
  /** FERR# is asserted (an unmasked exception was signalled with CR0.NE = 0 and ES is still set). */
  ferr = false;
  private readonly status: Uint32Array;

  constructor(
    private readonly c: CpuBase,
    private readonly onFerr?: (level: boolean) => void,
  ) {
    this.status = new Uint32Array(c.memory.memory.buffer, Layout.X87 + FpuLayout.SW, 1);
  }

  private offset(offset: number): number {
    return this.c.a32 ? offset >>> 0 : offset & 0xffff;
  }

  read8(seg: number, offset: number): number {
    return this.c.rd8(this.c.linear(seg, this.offset(offset), 1));
  }

  read16(seg: number, offset: number): number {
    return this.c.rd16(this.c.linear(seg, this.offset(offset), 2));
  }

  read32(seg: number, offset: number): number {
    return this.c.rd32(this.c.linear(seg, this.offset(offset), 4)) >>> 0;
  }

  write8(seg: number, offset: number, value: number): void {
    this.c.wr8(this.c.linearW(seg, this.offset(offset), 1), value);
  }

  write16(seg: number, offset: number, value: number): void {
    this.c.wr16(this.c.linearW(seg, this.offset(offset), 2), value);
  }

  write32(seg: number, offset: number, value: number): void {
    this.c.wr32(this.c.linearW(seg, this.offset(offset), 4), value);
  }

  operand32(): boolean {
    return this.c.o32;
  }

  protectedMode(): boolean {
    return this.c.mode === MODE_PROTECTED;
  }

  instructionCs(): number {
    return this.c.selectors[SEG_CS];
  }

  instructionEip(): number {
    return this.c.code32 ? this.c.startIp >>> 0 : this.c.startIp & 0xffff;
  }

  /** #MF with CR0.NE; otherwise FERR# (the machine's IRQ 13) and the instruction goes on. */
  raiseMathFault(): void {
    if (this.c.st[S_CR0] & CR0_NE) this.c.raise(VEC_MF);
    if (!this.ferr) {
      this.ferr = true;
      this.onFerr?.(true);
    }
  }

  undefinedOpcode(): void {
    this.c.raise(VEC_UD);
  }

  cr0(): number {
    return this.c.st[S_CR0];
  }

  flags(): number {
    return readFlags(this.c);
  }

  setFlags(zf: number, pf: number, cf: number): void {
    setEager(this.c, OF | SF | ZF | AF | PF | CF, (zf ? ZF : 0) | (pf ? PF : 0) | (cf ? CF : 0), 0, 0, false);
  }

  setAx(value: number): void {
    this.c.r16[0] = value;
  }

  /** After an x87 instruction: FERR# goes away once the exception summary is clear (FNCLEX, FNINIT, FRSTOR …). */
  afterInstruction(): void {
    if (this.ferr && (this.status[0] & SW_ES) === 0) {
      this.ferr = false;
      this.onFerr?.(false);
    }
  }
}

/**
 * FXSAVE / FXRSTOR (restore = 1) m512: #UD without an FPU that has them or with CR0.EM, #NM with CR0.TS,
 * #GP(0) unless the operand is 16-byte aligned; the limit covers all 512 bytes.
 */
export function fxsaveRestore(c: CpuBase, restore: number): void {
  requireMemory(c);
  const fpu = c.fpu;
  if (!fpu?.fxsave || !fpu.fxrstor || c.st[S_CR0] & CR0_EM) c.raise(VEC_UD);
  if (c.st[S_CR0] & CR0_TS) c.raise(VEC_NM);
  const offset = c.ea();
  const seg = c.eaSeg;
  const lin = restore ? c.linear(seg, offset, 512) : c.linearW(seg, offset, 512);
  if (lin & 15) c.raise(VEC_GP);
  if (restore) fpu.fxrstor(seg, offset);
  else fpu.fxsave(seg, offset);
}

export const fpuOps: Record<string, SpecFactory> = {
  FXSAVE: () => spec(fxsaveRestore, 0),
  FXRSTOR: () => spec(fxsaveRestore, 1),
};
