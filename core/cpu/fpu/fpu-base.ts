/**
 * The x87 unit's state and the rules every instruction shares: the register stack over the physical
 * registers, tags, stack faults, the exception flags with their masked/unmasked responses, condition
 * codes, the instruction/data pointers, and memory operand access through the host. The instruction
 * families (ops-*.ts) are functions on this class; fpu.ts decodes D8-DF onto them.
 *
 * Arithmetic itself is core/x87 (an F80Context per FPU); this file only moves its results around.
 */
import { Layout } from '../../layout.js';
import {
  EXP_MASK,
  F80Context,
  INDEFINITE_HI,
  INDEFINITE_SE,
  fromF32,
  fromF64,
  fromI32,
} from '../../x87/index.js';
import type { FpuHost } from './host.js';
import { W_CW, W_FCS, W_FDP, W_FDS, W_FIP, W_FOP, W_REGS, W_SIZE, W_SW, W_TOP, W_VALID } from './layout.js';

// Status-word bits (exception flags are also the control word's mask bits).
export const IE = 0x0001;
export const DE = 0x0002;
export const ZE = 0x0004;
export const OE = 0x0008;
export const UE = 0x0010;
export const PE = 0x0020;
export const EXCEPTIONS = 0x003f;
export const SF = 0x0040;
export const ES = 0x0080;
export const C0 = 0x0100;
export const C1 = 0x0200;
export const C2 = 0x0400;
export const TOP_BITS = 0x3800;
export const C3 = 0x4000;
export const B = 0x8000;
export const CC = C0 | C1 | C2 | C3;

/** FNINIT's control word: all exceptions masked, 64-bit precision, round to nearest. */
export const CW_INIT = 0x037f;
/** Control-word bits that hold what is written (masks, PC, RC, the 287's infinity bit); bit 6 reads 1. */
const CW_WRITABLE = 0x1f3f;
const CW_ONE = 0x0040;

/** Memory operand formats. */
export const M32 = 0; // m32 real
export const I32 = 1; // m32 int
export const M64 = 2; // m64 real
export const I16 = 3; // m16 int
export const M80 = 4; // m80 real
export const BCD = 5; // m80 packed BCD
export const I64 = 6; // m64 int
/** The arithmetic escapes D8, DA, DC, DE (escape >> 1) take these operand formats. */
const ARITH_FORMAT = [M32, I32, M64, I16];

export interface FpuOptions {
  /** Accept FISTTP (DB/1, DD/1, DF/1 memory forms, an SSE3 instruction). Off for a P6: those are #UD. */
  fisttp?: boolean;
}

export class FpuBase {
  /** The x87 block of the state (core/cpu/fpu/layout.ts), as u32 words. */
  readonly s: Uint32Array;
  /** The CPU's segment selectors (Layout.SEG_SELECTOR), for FDS. */
  readonly selectors: Uint32Array;
  readonly host: FpuHost;
  /** The soft-float unit: rounding/precision control, flags and results of the last operation. */
  readonly c = new F80Context();
  /** Memory images (FSAVE/FRSTOR, FXSAVE/FXRSTOR, BCD) are built or read whole here, so state changes come last. */
  readonly buf = new Uint8Array(512);
  readonly fisttp: boolean;
  /** The control word c was last set from (a snapshot restore may change it behind our back). */
  private cwApplied = -1;

  // --- the instruction executing ---
  seg = 0;
  /** Offset of the memory operand, -1 for register forms. */
  offset = -1;
  /** The memory operand of an arithmetic instruction, converted to extended format. */
  mSE = 0;
  mHi = 0;
  mLo = 0;

  constructor(memory: WebAssembly.Memory, host: FpuHost, options: FpuOptions = {}) {
    this.s = new Uint32Array(memory.buffer, Layout.X87, W_SIZE);
    this.selectors = new Uint32Array(memory.buffer, Layout.SEG_SELECTOR, 8);
    this.host = host;
    this.fisttp = options.fisttp ?? false;
  }

  /** Take rounding and precision control from the control word if it changed. */
  syncControl(): void {
    const cw = this.s[W_CW];
    if (cw !== this.cwApplied) {
      this.c.setControlWord(cw);
      this.cwApplied = cw;
    }
  }

  setControlWord(value: number): void {
    this.s[W_CW] = (value & CW_WRITABLE) | CW_ONE;
    this.syncControl();
  }

  // ---------------------------------------------------------------------------------------------
  // The register stack. `p` names a physical register, `i` a stack position.

  phys(i: number): number {
    return (this.s[W_TOP] + i) & 7;
  }

  isEmpty(p: number): boolean {
    return ((this.s[W_VALID] >> p) & 1) === 0;
  }

  se(p: number): number {
    return this.s[W_REGS + (p << 2) + 2];
  }

  hi(p: number): number {
    return this.s[W_REGS + (p << 2) + 1];
  }

  lo(p: number): number {
    return this.s[W_REGS + (p << 2)];
  }

  /** Write a value into physical register p and tag it non-empty. */
  write(p: number, se: number, hi: number, lo: number): void {
    this.setWords(p, se, hi, lo);
    this.s[W_VALID] |= 1 << p;
  }

  /** Write physical register p, tags untouched (FRSTOR, FXRSTOR). */
  setWords(p: number, se: number, hi: number, lo: number): void {
    const at = W_REGS + (p << 2);
    const s = this.s;
    s[at] = lo;
    s[at + 1] = hi;
    s[at + 2] = se & 0xffff;
  }

  writeIndefinite(p: number): void {
    this.write(p, INDEFINITE_SE, INDEFINITE_HI, 0);
  }

  copy(from: number, to: number): void {
    this.write(to, this.se(from), this.hi(from), this.lo(from));
  }

  /** The physical register a push would fill. */
  pushSlot(): number {
    return (this.s[W_TOP] - 1) & 7;
  }

  push(se: number, hi: number, lo: number): void {
    const p = this.pushSlot();
    this.s[W_TOP] = p;
    this.write(p, se, hi, lo);
  }

  /** Tag ST(0) empty and move TOP up. */
  pop(): void {
    const top = this.s[W_TOP];
    this.s[W_VALID] &= ~(1 << top);
    this.s[W_TOP] = (top + 1) & 7;
  }

  /** The two-bit tag of physical register p: 0 valid, 1 zero, 2 special (NaN, ∞, denormal, unsupported), 3 empty. */
  tagOf(p: number): number {
    if (this.isEmpty(p)) return 3;
    const e = this.se(p) & EXP_MASK;
    const hi = this.hi(p);
    if (e === EXP_MASK) return 2;
    if (e === 0) return (hi | this.lo(p)) === 0 ? 1 : 2;
    return hi >>> 31 !== 0 ? 0 : 2;
  }

  /** The full tag word, computed from the registers' contents (FSTENV, FSAVE). */
  tagWord(): number {
    let tw = 0;
    for (let p = 0; p < 8; p++) tw |= this.tagOf(p) << (p << 1);
    return tw;
  }

  /** The status word with TOP in bits 11-13. */
  statusWord(): number {
    return (this.s[W_SW] & ~TOP_BITS) | (this.s[W_TOP] << 11);
  }

  controlWord(): number {
    return this.s[W_CW];
  }

  /** Load a whole status word (FLDENV, FRSTOR, FXRSTOR): TOP apart, ES and B recomputed. */
  setStatusWord(value: number): void {
    this.s[W_TOP] = (value >> 11) & 7;
    this.s[W_SW] = value & ~(TOP_BITS | ES | B) & 0xffff;
    this.updateSummary();
  }

  /** ES and B: set while any exception flag is set whose mask is clear (after FLDCW, FLDENV …). */
  updateSummary(): void {
    const sw = this.s[W_SW];
    this.s[W_SW] = sw & EXCEPTIONS & ~this.s[W_CW] ? sw | ES | B : sw & ~(ES | B);
  }

  // ---------------------------------------------------------------------------------------------
  // Condition codes and exceptions.

  /** Set the condition-code bits in `mask` to those of `bits`. */
  setCC(bits: number, mask: number): void {
    this.s[W_SW] = (this.s[W_SW] & ~mask) | (bits & mask);
  }

  /** Are all exceptions among `flags` masked? */
  masked(flags: number): boolean {
    return (flags & ~this.s[W_CW] & EXCEPTIONS) === 0;
  }

  /** Add exception flags to the status word; an unmasked one sets ES and B (delivered at the next waiting instruction). */
  record(flags: number): void {
    let sw = this.s[W_SW] | flags;
    if (flags & ~this.s[W_CW] & EXCEPTIONS) sw |= ES | B;
    this.s[W_SW] = sw;
  }

  /**
   * Record the exceptions an operation raised and decide whether its result is delivered: not when one
   * of them in `blocking` is unmasked. IE, DE and ZE block every destination (the operation does not take
   * place, so only those flags are recorded); OE and UE block memory destinations only.
   */
  settle(flags: number, blocking: number): boolean {
    if (flags === 0) return true;
    const unmasked = flags & ~this.s[W_CW] & blocking;
    if (unmasked === 0) {
      this.record(flags);
      return true;
    }
    this.record(unmasked & (IE | DE | ZE) ? flags & (IE | DE | ZE) : flags);
    return false;
  }

  /**
   * Stack overflow (a push onto a non-empty register: C1 = 1) or underflow (an empty operand: C1 = 0):
   * IE and SF. Returns true when IE is masked and the caller must deliver the masked response (the
   * real indefinite in the destination); unmasked, nothing else changes.
   */
  stackFault(overflow: boolean): boolean {
    const masked = (this.s[W_CW] & IE) !== 0;
    this.s[W_SW] = (this.s[W_SW] & ~C1) | (overflow ? C1 : 0) | IE | SF | (masked ? 0 : ES | B);
    return masked;
  }

  /**
   * Deliver the result in c to physical register p unless an unmasked IE/DE/ZE blocks it; C1 = rounded up.
   * With UE unmasked, a tiny result is an underflow even when exact (the masked rule needs inexactness).
   */
  deliver(p: number): boolean {
    const c = this.c;
    let flags = c.flags;
    if ((this.s[W_CW] & UE) === 0 && (c.se & EXP_MASK) === 0 && (c.hi | c.lo) !== 0) flags |= UE;
    if (!this.settle(flags, IE | DE | ZE)) return false;
    this.write(p, c.se, c.hi, c.lo);
    this.setCC(c.cc, C1);
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Pointers.

  /** FIP/FCS/FOP (and FDP/FDS for a memory operand) after a non-control instruction. */
  notePointers(escape: number, modrm: number): void {
    const s = this.s;
    s[W_FIP] = this.host.instructionEip();
    s[W_FCS] = this.host.instructionCs() & 0xffff;
    s[W_FOP] = (escape << 8) | modrm;
    if (modrm < 0xc0) {
      s[W_FDP] = this.offset;
      s[W_FDS] = this.selectors[this.seg & 7] & 0xffff;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Memory operands.

  at(k: number): number {
    return (this.offset + k) >>> 0;
  }

  /**
   * Read the memory operand of an arithmetic escape (D8 DA DC DE → escape 0 2 4 6) and convert it into
   * mSE/mHi/mLo; conversion exceptions (SNaN → IE, denormal → DE) accumulate in c.flags.
   */
  loadOperand(escape: number): void {
    const host = this.host;
    const c = this.c;
    const seg = this.seg;
    switch (ARITH_FORMAT[escape >> 1]) {
      case M32:
        fromF32(c, host.read32(seg, this.offset) >>> 0);
        break;
      case I32:
        fromI32(c, host.read32(seg, this.offset) | 0);
        break;
      case M64: {
        const lo = host.read32(seg, this.offset) >>> 0;
        fromF64(c, host.read32(seg, this.at(4)) >>> 0, lo);
        break;
      }
      default:
        fromI32(c, (host.read16(seg, this.offset) << 16) >> 16);
    }
    this.mSE = c.se;
    this.mHi = c.hi;
    this.mLo = c.lo;
  }

  /** Read n bytes at the operand (+ start) into buf (+ start), in 32-bit pieces. */
  readImage(start: number, n: number): void {
    const host = this.host;
    const buf = this.buf;
    let k = start;
    const end = start + n;
    for (; k + 4 <= end; k += 4) {
      const v = host.read32(this.seg, this.at(k));
      buf[k] = v;
      buf[k + 1] = v >>> 8;
      buf[k + 2] = v >>> 16;
      buf[k + 3] = v >>> 24;
    }
    if (k + 2 <= end) {
      const v = host.read16(this.seg, this.at(k));
      buf[k] = v;
      buf[k + 1] = v >>> 8;
      k += 2;
    }
    if (k < end) buf[k] = host.read8(this.seg, this.at(k));
  }

  /** Write n bytes of buf (+ start) to the operand (+ start), in 32-bit pieces. */
  writeImage(start: number, n: number): void {
    const host = this.host;
    const buf = this.buf;
    let k = start;
    const end = start + n;
    for (; k + 4 <= end; k += 4) host.write32(this.seg, this.at(k), buf[k] | (buf[k + 1] << 8) | (buf[k + 2] << 16) | (buf[k + 3] << 24));
    if (k + 2 <= end) {
      host.write16(this.seg, this.at(k), buf[k] | (buf[k + 1] << 8));
      k += 2;
    }
    if (k < end) host.write8(this.seg, this.at(k), buf[k]);
  }

  // Little-endian fields of buf.
  get16(k: number): number {
    return this.buf[k] | (this.buf[k + 1] << 8);
  }

  get32(k: number): number {
    return (this.get16(k) | (this.get16(k + 2) << 16)) >>> 0;
  }

  put16(k: number, v: number): void {
    this.buf[k] = v;
    this.buf[k + 1] = v >>> 8;
  }

  put32(k: number, v: number): void {
    this.put16(k, v);
    this.put16(k + 2, v >>> 16);
  }

  /** Physical register p as ten bytes (m80 layout) at buf + k. */
  putRegister(k: number, p: number): void {
    this.put32(k, this.lo(p));
    this.put32(k + 4, this.hi(p));
    this.put16(k + 8, this.se(p));
  }

  /** Ten bytes at buf + k into physical register p (its tag is the caller's business). */
  getRegister(k: number, p: number): void {
    this.setWords(p, this.get16(k + 8), this.get32(k + 4), this.get32(k));
  }
}
