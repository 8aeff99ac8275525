/**
 * The CPU's state and its paths to memory: typed-array views of the state block (core/layout.ts), the
 * one linear → physical translation, the one segment-register load, instruction fetch, effective
 * addresses, stack access and exception delivery. The instruction handlers (ops-*.ts) work on this class;
 * cpu.ts adds the run loop and the public API.
 */
import type { IoBus } from '../io.js';
import { Layout } from '../layout.js';
import { PageKind, type PhysicalMemory } from '../memory.js';
import { AC, EFLAGS_INDEX, IF, readFlags, RF, TF, type FlagState } from './flags.js';

export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;

/** Exception vectors. */
export const VEC_DE = 0;
export const VEC_DB = 1;
export const VEC_BP = 3;
export const VEC_OF = 4;
export const VEC_BR = 5;
export const VEC_UD = 6;
export const VEC_NM = 7;
export const VEC_DF = 8;
export const VEC_SS = 12;
export const VEC_GP = 13;

/** Word indices of the state block viewed as Int32Array. */
export const S_EIP = Layout.EIP >> 2;
export const S_INSTR_F64 = Layout.INSTRUCTIONS >> 3;
export const S_HALTED = Layout.HALTED >> 2;
export const S_A20 = Layout.A20_MASK >> 2;
export const S_CR0 = Layout.CR >> 2;
export const S_DR0 = Layout.DR >> 2;
export const S_GDTR_BASE = Layout.GDTR_BASE >> 2;
export const S_GDTR_LIMIT = Layout.GDTR_LIMIT >> 2;
export const S_IDTR_BASE = Layout.IDTR_BASE >> 2;
export const S_IDTR_LIMIT = Layout.IDTR_LIMIT >> 2;

/** Segment access rights (SEG_ACCESS holds bits 8..23 of a descriptor's high dword, in place). */
export const ACCESS_DB = 1 << 22;
/** Present, non-system, read/write data (accessed): what a real-mode data segment looks like. */
export const ACCESS_DATA = 0x9300;
/** Present, non-system, execute/read code (accessed). */
export const ACCESS_CODE = 0x9b00;

/** Byte-register index (AL CL DL BL AH CH DH BH) → byte offset in the register file. */
export const REG8 = new Uint8Array([0, 4, 8, 12, 1, 5, 9, 13]);

const RAM = Layout.RAM;
const ROM_KIND: number = PageKind.Rom;
const RAM_KIND: number = PageKind.Ram;

/** Thrown to abandon an instruction that faulted; one per CPU, never allocated per fault. */
export class CpuFault {
  vector = 0;
}

export class CpuBase implements FlagState {
  readonly memory: PhysicalMemory;
  readonly io: IoBus;
  /** The whole WebAssembly.Memory as bytes (RAM starts at Layout.RAM). */
  readonly u8: Uint8Array;
  readonly pageKind: Uint8Array;
  /** The state block as Int32 words (EFLAGS, EIP, CRs …). */
  readonly st: Int32Array;
  readonly lz: Int32Array;
  readonly f64: Float64Array;
  readonly r32: Int32Array;
  /** 16-bit halves: register i is r16[i << 1]. */
  readonly r16: Uint16Array;
  /** Bytes of the register file: byte register i is r8[REG8[i]]. */
  readonly r8: Uint8Array;
  readonly selectors: Uint32Array;
  readonly bases: Uint32Array;
  readonly limits: Uint32Array;
  readonly rights: Uint32Array;
  readonly fault = new CpuFault();

  // --- the instruction being executed (set by the decoder in cpu.ts) ---
  /** Offset in CS of the next byte to fetch; EIP lives here while run() executes. */
  ip = 0;
  /** EIP of the first byte (prefixes included) of the current instruction: faults restart here. */
  startIp = 0;
  modrm = 0;
  /** Segment override prefix, or -1. */
  seg = -1;
  /** Operand / address size is 32 bits. */
  o32 = false;
  a32 = false;
  /** 0, 0xF2 (REPNE) or 0xF3 (REP/REPE). */
  rep = 0;
  lock = false;
  /** Segment of the last effective address (override or the default of its base register). */
  eaSeg = SEG_DS;
  /** Linear address of a read-modify-write memory operand, -1 when it is a register (operands.ts loadE/storeE). */
  rmwLin = -1;
  /** Scratch words for multi-part instructions (POPA); instance-scoped, never allocated per instruction. */
  readonly scratch = new Int32Array(8);

  // --- caches of state-block values, refreshed by refreshCaches() ---
  csBase = 0;
  csLimit = 0xffff;
  /** CS.D: default operand and address size 32. */
  code32 = false;
  /** 0x200 when code32: the dispatch index bit for a 32-bit operand size. */
  sizeBits = 0;
  /** SS.B: the stack pointer is ESP rather than SP. */
  stack32 = false;
  a20 = 0xffffffff;
  /** Instruction-fetch window: IPs in [fetchLo, fetchHi) read u8[ip + fetchDelta] directly. */
  fetchLo = 1;
  fetchHi = 0;
  fetchDelta = 0;

  // --- control ---
  /** Instructions retired in the current run() call (folded into INSTRUCTIONS when it returns). */
  sliceRetired = 0;
  stopRequested = false;
  /** EFLAGS.TF, cached: a single-step trap follows each instruction that starts with it set. */
  singleStep = false;
  /** Non-zero when the run loop must look at more than the next instruction (see updateAttention). */
  attention = 0;
  /** The PIC's INTR output. */
  intrLine = false;
  /** Instruction count before which interrupts stay inhibited (STI, MOV SS, POP SS shadow; see inhibitShadow). */
  inhibitUntil = -1;
  firmwareTrap?: (service: number) => boolean;
  acknowledgeInterrupt?: () => number;
  onShutdown?: () => void;
  onException?: (vector: number) => void;
  /** A firmware trap asked to be retried: run() returns. */
  trapPending = false;

  constructor(memory: PhysicalMemory, io: IoBus) {
    this.memory = memory;
    this.io = io;
    const buf = memory.memory.buffer;
    this.u8 = memory.u8;
    this.pageKind = memory.pageKind;
    this.st = new Int32Array(buf, 0, Layout.STATE_SIZE >> 2);
    this.lz = new Int32Array(buf, Layout.LAZY_OP, 6);
    this.f64 = new Float64Array(buf, 0, Layout.STATE_SIZE >> 3);
    this.r32 = new Int32Array(buf, Layout.REGS, 8);
    this.r16 = new Uint16Array(buf, Layout.REGS, 16);
    this.r8 = new Uint8Array(buf, Layout.REGS, 32);
    this.selectors = new Uint32Array(buf, Layout.SEG_SELECTOR, 8);
    this.bases = new Uint32Array(buf, Layout.SEG_BASE, 8);
    this.limits = new Uint32Array(buf, Layout.SEG_LIMIT, 8);
    this.rights = new Uint32Array(buf, Layout.SEG_ACCESS, 8);
  }

  /** Re-reads everything cached in fields from the state block (after a snapshot load, A20 change …). */
  refreshCaches(): void {
    this.csBase = this.bases[SEG_CS];
    this.csLimit = this.limits[SEG_CS];
    this.code32 = (this.rights[SEG_CS] & ACCESS_DB) !== 0 && this.protectedMode();
    this.stack32 = (this.rights[SEG_SS] & ACCESS_DB) !== 0 && this.protectedMode();
    this.sizeBits = this.code32 ? 0x200 : 0;
    this.a20 = this.st[S_A20];
    this.clearPrefixes();
    this.flagsChanged();
    this.invalidateFetch();
  }

  /** Puts the prefix fields back to their defaults (after a prefixed instruction, or a fault). */
  clearPrefixes(): void {
    this.seg = -1;
    this.rep = 0;
    this.lock = false;
    this.o32 = this.code32;
    this.a32 = this.code32;
  }

  /** Call after EFLAGS changed other than through lazy arithmetic (POPF, IRET, setFlags). */
  flagsChanged(): void {
    this.singleStep = (this.st[EFLAGS_INDEX] & TF) !== 0;
    this.updateAttention();
  }

  /** Recomputes `attention` from INTR, TF and a pending stop. */
  updateAttention(): void {
    this.attention = this.intrLine || this.singleStep || this.stopRequested ? 1 : 0;
  }

  /** Ends the current run() after this instruction (HLT, a firmware trap to retry, shutdown, requestStop). */
  stop(): void {
    this.stopRequested = true;
    this.attention = 1;
  }

  invalidateFetch(): void {
    this.fetchLo = 1;
    this.fetchHi = 0;
  }

  protectedMode(): boolean {
    return (this.st[S_CR0] & 1) !== 0;
  }

  // ------------------------------------------------------------------ exceptions

  /** Abandons the current instruction with an exception (delivered by the run loop). */
  raise(vector: number): never {
    this.fault.vector = vector;
    throw this.fault;
  }

  /** The limit violation of a data access: #SS for the stack segment, #GP otherwise. */
  segFault(seg: number): never {
    return this.raise(seg === SEG_SS ? VEC_SS : VEC_GP);
  }

  // ------------------------------------------------------------------ translation and memory

  /** Linear → physical: the one translation every access goes through (paging slots in here). */
  translate(linear: number): number {
    return (linear & this.a20) >>> 0;
  }

  /** seg:offset → linear for an access of `size` bytes, after the segment limit check. */
  linear(seg: number, offset: number, size: number): number {
    if (offset + size - 1 > this.limits[seg]) this.segFault(seg);
    return (this.bases[seg] + offset) >>> 0;
  }

  rd8(lin: number): number {
    const p = this.translate(lin);
    if (this.pageKind[p >>> 12] <= ROM_KIND) return this.u8[RAM + p];
    return this.memory.read8(p);
  }

  rd16(lin: number): number {
    const p = this.translate(lin);
    if ((p & 0xfff) !== 0xfff && this.pageKind[p >>> 12] <= ROM_KIND) {
      const i = RAM + p;
      return this.u8[i] | (this.u8[i + 1] << 8);
    }
    return this.rd8(lin) | (this.rd8(lin + 1) << 8);
  }

  rd32(lin: number): number {
    const p = this.translate(lin);
    if ((p & 0xfff) <= 0xffc && this.pageKind[p >>> 12] <= ROM_KIND) {
      const i = RAM + p;
      const u8 = this.u8;
      return u8[i] | (u8[i + 1] << 8) | (u8[i + 2] << 16) | (u8[i + 3] << 24);
    }
    return this.rd16(lin) | (this.rd16(lin + 2) << 16);
  }

  wr8(lin: number, v: number): void {
    const p = this.translate(lin);
    if (this.pageKind[p >>> 12] === RAM_KIND) this.u8[RAM + p] = v;
    else this.memory.write8(p, v & 0xff);
  }

  wr16(lin: number, v: number): void {
    const p = this.translate(lin);
    if ((p & 0xfff) !== 0xfff && this.pageKind[p >>> 12] === RAM_KIND) {
      const i = RAM + p;
      this.u8[i] = v;
      this.u8[i + 1] = v >> 8;
      return;
    }
    this.wr8(lin, v);
    this.wr8(lin + 1, v >> 8);
  }

  wr32(lin: number, v: number): void {
    const p = this.translate(lin);
    if ((p & 0xfff) <= 0xffc && this.pageKind[p >>> 12] === RAM_KIND) {
      const i = RAM + p;
      const u8 = this.u8;
      u8[i] = v;
      u8[i + 1] = v >> 8;
      u8[i + 2] = v >> 16;
      u8[i + 3] = v >> 24;
      return;
    }
    this.wr16(lin, v);
    this.wr16(lin + 2, v >>> 16);
  }

  // ------------------------------------------------------------------ instruction fetch

  fetch8(): number {
    const ip = this.ip;
    if (ip >= this.fetchLo && ip < this.fetchHi) {
      this.ip = ip + 1;
      return this.u8[ip + this.fetchDelta];
    }
    return this.fetch8Slow();
  }

  fetch16(): number {
    const ip = this.ip;
    if (ip >= this.fetchLo && ip + 1 < this.fetchHi) {
      this.ip = ip + 2;
      const i = ip + this.fetchDelta;
      return this.u8[i] | (this.u8[i + 1] << 8);
    }
    const lo = this.fetch8Slow();
    return lo | (this.fetch8() << 8);
  }

  fetch32(): number {
    const ip = this.ip;
    if (ip >= this.fetchLo && ip + 3 < this.fetchHi) {
      this.ip = ip + 4;
      const i = ip + this.fetchDelta;
      const u8 = this.u8;
      return u8[i] | (u8[i + 1] << 8) | (u8[i + 2] << 16) | (u8[i + 3] << 24);
    }
    const lo = this.fetch16();
    return lo | (this.fetch16() << 16);
  }

  /** Fetch outside the window: wraps IP in 16-bit code, checks the CS limit, and opens a new window. */
  private fetch8Slow(): number {
    let ip = this.ip;
    if (!this.code32) ip &= 0xffff;
    if (ip > this.csLimit) this.raise(VEC_GP);
    const lin = (this.csBase + ip) >>> 0;
    const p = this.translate(lin);
    this.ip = ip + 1;
    if (this.pageKind[p >>> 12] <= ROM_KIND) {
      const inPage = lin & 0xfff;
      this.fetchLo = ip - inPage;
      let hi = ip - inPage + 0x1000;
      if (hi > this.csLimit + 1) hi = this.csLimit + 1;
      if (!this.code32 && hi > 0x10000) hi = 0x10000;
      this.fetchHi = hi;
      this.fetchDelta = RAM + p - ip;
      return this.u8[RAM + p];
    }
    this.invalidateFetch();
    return this.memory.read8(p);
  }

  // ------------------------------------------------------------------ effective addresses

  /** Offset of the ModRM memory operand (fetches displacement and SIB); sets eaSeg. */
  ea(): number {
    return this.a32 ? this.ea32() : this.ea16();
  }

  /** Linear address of the ModRM memory operand for an access of `size` bytes. */
  eaLin(size: number): number {
    const off = this.a32 ? this.ea32() : this.ea16();
    return this.linear(this.eaSeg, off, size);
  }

  private ea16(): number {
    const m = this.modrm;
    const mod = m >> 6;
    const r16 = this.r16;
    let off: number;
    let seg = SEG_DS;
    switch (m & 7) {
      case 0: off = r16[3 << 1] + r16[6 << 1]; break; // BX+SI
      case 1: off = r16[3 << 1] + r16[7 << 1]; break; // BX+DI
      case 2: off = r16[5 << 1] + r16[6 << 1]; seg = SEG_SS; break; // BP+SI
      case 3: off = r16[5 << 1] + r16[7 << 1]; seg = SEG_SS; break; // BP+DI
      case 4: off = r16[6 << 1]; break; // SI
      case 5: off = r16[7 << 1]; break; // DI
      case 6:
        if (mod === 0) {
          this.eaSeg = this.seg >= 0 ? this.seg : SEG_DS;
          return this.fetch16();
        }
        off = r16[5 << 1]; seg = SEG_SS; break; // BP
      default: off = r16[3 << 1]; break; // BX
    }
    if (mod === 1) off += (this.fetch8() << 24) >> 24;
    else if (mod === 2) off += this.fetch16();
    this.eaSeg = this.seg >= 0 ? this.seg : seg;
    return off & 0xffff;
  }

  private ea32(): number {
    const m = this.modrm;
    const mod = m >> 6;
    const rm = m & 7;
    const r32 = this.r32;
    let off: number;
    let seg = SEG_DS;
    if (rm === 4) {
      const sib = this.fetch8();
      const base = sib & 7;
      const index = (sib >> 3) & 7;
      if (base === 5 && mod === 0) off = this.fetch32();
      else {
        off = r32[base];
        if (base === 4 || base === 5) seg = SEG_SS;
      }
      if (index !== 4) off += r32[index] << (sib >> 6);
    } else if (rm === 5 && mod === 0) {
      off = this.fetch32();
    } else {
      off = r32[rm];
      if (rm === 5) seg = SEG_SS;
    }
    if (mod === 1) off += (this.fetch8() << 24) >> 24;
    else if (mod === 2) off += this.fetch32();
    this.eaSeg = this.seg >= 0 ? this.seg : seg;
    return off >>> 0;
  }

  /** Segment for an instruction's default-DS memory access (string source, XLAT, moffs): DS or the override. */
  dataSeg(): number {
    return this.seg >= 0 ? this.seg : SEG_DS;
  }

  // ------------------------------------------------------------------ segments

  /**
   * The one segment-register load. Real mode (and, later, virtual-8086 mode): selector and base = selector × 16;
   * the limit and attributes stay as they are, as on a 386 (that is what "unreal mode" relies on).
   */
  loadSeg(seg: number, selector: number): void {
    selector &= 0xffff;
    this.selectors[seg] = selector;
    this.bases[seg] = selector << 4;
    if (seg === SEG_CS) {
      this.csBase = selector << 4;
      this.invalidateFetch();
    } else if (seg === SEG_SS) {
      // MOV SS / POP SS hold off interrupts until after the next instruction.
      this.inhibitShadow();
    }
  }

  /**
   * Interrupts wait until the instruction after the current one has run (STI, MOV SS, POP SS). The
   * current instruction is not yet counted: it retires as count + 1, the next as count + 2.
   */
  inhibitShadow(): void {
    this.inhibitUntil = this.retiredCount() + 2;
  }

  /** Instructions retired since reset, including the current slice. */
  retiredCount(): number {
    return this.f64[S_INSTR_F64] + this.sliceRetired;
  }

  // ------------------------------------------------------------------ stack

  sp(): number {
    return this.stack32 ? this.r32[4] >>> 0 : this.r16[8];
  }

  setSp(v: number): void {
    if (this.stack32) this.r32[4] = v;
    else this.r16[8] = v;
  }

  /** Stack pointer after moving by `delta` (wrapping at the stack's width). */
  spAdd(sp: number, delta: number): number {
    return this.stack32 ? (sp + delta) >>> 0 : (sp + delta) & 0xffff;
  }

  push16(v: number): void {
    const sp = this.spAdd(this.sp(), -2);
    this.wr16(this.linear(SEG_SS, sp, 2), v);
    this.setSp(sp);
  }

  push32(v: number): void {
    const sp = this.spAdd(this.sp(), -4);
    this.wr32(this.linear(SEG_SS, sp, 4), v);
    this.setSp(sp);
  }

  pop16(): number {
    const sp = this.sp();
    const v = this.rd16(this.linear(SEG_SS, sp, 2));
    this.setSp(this.spAdd(sp, 2));
    return v;
  }

  pop32(): number {
    const sp = this.sp();
    const v = this.rd32(this.linear(SEG_SS, sp, 4));
    this.setSp(this.spAdd(sp, 4));
    return v;
  }

  /** Reads the stack `offset` bytes above the stack pointer without popping (for multi-part pops that may fault). */
  peek16(offset: number): number {
    return this.rd16(this.linear(SEG_SS, this.spAdd(this.sp(), offset), 2));
  }

  peek32(offset: number): number {
    return this.rd32(this.linear(SEG_SS, this.spAdd(this.sp(), offset), 4));
  }

  /** Moves the stack pointer (after peeks, or RET imm16). */
  addSp(delta: number): void {
    this.setSp(this.spAdd(this.sp(), delta));
  }

  // ------------------------------------------------------------------ control transfer

  /** Near jump: the new IP, truncated to the operand size, checked against the CS limit. */
  jumpNear(target: number): void {
    if (!this.o32) target &= 0xffff;
    else target >>>= 0;
    if (target > this.csLimit) this.raise(VEC_GP);
    this.ip = target;
  }

  /** Far jump in real mode: CS:IP. */
  jumpFar(selector: number, offset: number): void {
    this.loadSeg(SEG_CS, selector);
    this.ip = offset;
  }

  /** IP of the next instruction as the stack sees it (wrapped to 16 bits in 16-bit code). */
  nextIp(): number {
    return this.code32 ? this.ip >>> 0 : this.ip & 0xffff;
  }

  /**
   * Real-mode interrupt or exception: push FLAGS, CS, IP (of `returnIp`), clear IF/TF/AC/RF and enter
   * the handler from the IVT (at IDTR.base, normally 0).
   */
  interruptReal(vector: number, returnIp: number): void {
    const idtOffset = vector << 2;
    if (idtOffset + 3 > this.st[S_IDTR_LIMIT]) this.raise(VEC_GP);
    const flags = readFlags(this);
    const vecLin = (this.st[S_IDTR_BASE] + idtOffset) >>> 0;
    const newIp = this.rd16(vecLin);
    const newCs = this.rd16(vecLin + 2);
    // Three pushes as one: a fault in the middle leaves SP untouched.
    let sp = this.sp();
    sp = this.spAdd(sp, -2);
    this.wr16(this.linear(SEG_SS, sp, 2), flags);
    sp = this.spAdd(sp, -2);
    this.wr16(this.linear(SEG_SS, sp, 2), this.selectors[SEG_CS]);
    sp = this.spAdd(sp, -2);
    this.wr16(this.linear(SEG_SS, sp, 2), returnIp);
    this.setSp(sp);
    this.st[EFLAGS_INDEX] = this.st[EFLAGS_INDEX] & ~(IF | TF | AC | RF);
    this.singleStep = false;
    this.updateAttention();
    this.loadSeg(SEG_CS, newCs);
    this.ip = newIp;
  }

  /**
   * Delivers an exception raised by the current instruction: the return address is the faulting
   * instruction itself (faults restart). A fault while delivering becomes #DF; a fault delivering #DF
   * shuts the CPU down (the machine resets).
   */
  deliverException(vector: number, returnIp: number): void {
    try {
      this.interruptReal(vector, returnIp);
      return;
    } catch (e) {
      if (e !== this.fault) throw e;
    }
    if (vector !== VEC_DF) {
      try {
        this.interruptReal(VEC_DF, returnIp);
        return;
      } catch (e) {
        if (e !== this.fault) throw e;
      }
    }
    this.shutdown();
  }

  /** Triple fault: the CPU stops and the machine is told to reset. */
  shutdown(): void {
    this.st[S_HALTED] = 1;
    this.stop();
    this.onShutdown?.();
  }

  // ------------------------------------------------------------------ leaving and entering run()

  /** Writes what run() keeps in fields back to the state block (before firmware or anyone else looks). */
  syncOut(): void {
    this.st[S_EIP] = this.nextIp();
  }

  /** Takes EIP and the cached values from the state block (after someone else may have changed it). */
  syncIn(): void {
    this.ip = this.st[S_EIP] >>> 0;
    this.refreshCaches();
  }

  // ------------------------------------------------------------------ I/O

  /** After a port access the machine may have changed A20 or the memory map: re-read what is cached. */
  afterIo(): void {
    this.a20 = this.st[S_A20];
    this.invalidateFetch();
  }
}
