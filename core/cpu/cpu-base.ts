/**
 * The CPU's state and its paths to memory: typed-array views of the state block (core/layout.ts), the
 * segment checks and the TLB fast path of every access (paging.ts has the slow paths), instruction fetch,
 * effective addresses, segment-register loads, the stack, and the entry to interrupt and exception
 * delivery (real mode here; protected and virtual-8086 mode in pm-gates.ts). The instruction handlers
 * (ops-*.ts) work on this class; cpu.ts adds the run loop and the public API.
 */
import type { IoBus } from '../io.js';
import { Layout } from '../layout.js';
import type { PhysicalMemory } from '../memory.js';
import {
  ACCESS_V86, BENIGN, CONTRIBUTORY, CR0_AM, CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, DESC_CE, DESC_CODE, DESC_DB, DESC_P,
  DESC_RW, FAULT_CLASS, INT_EXCEPTION, MODE_PROTECTED, MODE_REAL, MODE_V86, PAGE_FAULT_CLASS, S_A20, S_CPL, S_CR0, S_CR3,
  S_CR4, S_EIP, S_HALTED, S_IDTR_BASE, S_IDTR_LIMIT, S_INSTR_F64, S_TLB_EPOCH, SEG_CS, SEG_DS, SEG_GS, SEG_SS, VEC_DF, VEC_GP, VEC_SS,
} from './arch.js';
import type { FpuUnit } from './fpu-host.js';
import { AC, EFLAGS_INDEX, IF, readFlags, RF, TF, VM, type FlagState } from './flags.js';
import { F_RS, F_RU, F_WS, F_WU, fetchTranslate, flushTlb, probe, readSlow, TLB_ENTRIES, TLB_LIST_SIZE, writeSlow } from './paging.js';
import { interruptProtected, StackWriter } from './pm-gates.js';
import { loadSegProtected } from './pm-segments.js';

export {
  ACCESS_CODE, ACCESS_DATA, ACCESS_V86, SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, VEC_DE, VEC_DB, VEC_BP, VEC_OF, VEC_BR, VEC_UD, VEC_NM, VEC_DF, VEC_SS,
  VEC_GP, S_EIP, S_INSTR_F64, S_HALTED, S_A20, S_CR0, S_DR0, S_GDTR_BASE, S_GDTR_LIMIT, S_IDTR_BASE, S_IDTR_LIMIT,
} from './arch.js';

/** Segment access rights (SEG_ACCESS holds bits 8..23 of a descriptor's high dword, in place). */
export const ACCESS_DB = DESC_DB;

/** Byte-register index (AL CL DL BL AH CH DH BH) → byte offset in the register file. */
export const REG8 = new Uint8Array([0, 4, 8, 12, 1, 5, 9, 13]);

const RAM = Layout.RAM;
/** CR0 and CR4 bits the TLB's contents depend on (a change flushes it). */
const CR0_TLB_BITS = CR0_PG | CR0_WP;
const CR4_TLB_BITS = CR4_PSE | CR4_PGE | CR4_PAE;

/** Thrown to abandon an instruction that faulted; one per CPU, never allocated per fault. */
export class CpuFault {
  vector = 0;
  /** The error code pushed in protected mode (for the vectors that have one). */
  code = 0;
}

export class CpuBase implements FlagState {
  readonly memory: PhysicalMemory;
  readonly io: IoBus;
  /** The whole WebAssembly.Memory as bytes (RAM starts at Layout.RAM). */
  readonly u8: Uint8Array;
  /** The same bytes as 16- and 32-bit words (little-endian hosts): aligned accesses take one load. */
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
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
  /** The TLB (paging.ts): one entry per 4 KiB linear page at Layout.TLB. */
  readonly tlb: Int32Array;
  /** Pages with a non-global TLB entry, so that a flush need not clear 4 MiB (tlbOverflow: more than fit). */
  readonly tlbList = new Int32Array(TLB_LIST_SIZE);
  tlbCount = 0;
  tlbOverflow = true;
  /** Global entries may be in the TLB (only a full flush removes them). */
  tlbGlobal = false;
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
  /** Linear address of a read-modify-write memory operand (operands.ts loadE/storeE; unused for a register). */
  rmwLin = -1;
  /** Scratch words for multi-part instructions (POPA); instance-scoped, never allocated per instruction. */
  readonly scratch = new Int32Array(8);
  /** The descriptor last read by pm-segments.ts fetchDescriptor: low and high dword, linear address. */
  descLo = 0;
  descHi = 0;
  descAddr = 0;
  /** The new stack of an interrupt or far call being built (pm-gates.ts). */
  readonly stackWriter = new StackWriter();
  /** A TSS's dynamic fields, read before a task switch commits (pm-tasks.ts). */
  readonly tssImage = new Int32Array(24);

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
  /** MODE_REAL, MODE_PROTECTED or MODE_V86. */
  mode = MODE_REAL;
  /** Current privilege level (0 in real mode, 3 in virtual-8086 mode). */
  cpl = 0;
  /** CPL 3: memory accesses are user-mode accesses for paging. */
  user = false;
  /** CR0.PG. */
  paging = false;
  /** CR0.AM, EFLAGS.AC and CPL 3: misaligned data accesses raise #AC (all accesses take the slow path). */
  alignCheck = false;
  /** TLB bits that let a read / write / instruction fetch at the current privilege take the fast path. */
  fastRd = F_RS;
  fastWr = F_WS;
  fastFetch = F_RS;
  /**
   * Per segment register, the offsets an access may touch: [segLo, segHiR] for reads, [segLo, segHiW]
   * for writes (-1: none), from the cached limit and type (expand-down, read-only, execute-only, null).
   */
  readonly segLo = new Float64Array(6);
  readonly segHiR = new Float64Array(6);
  readonly segHiW = new Float64Array(6);
  /** Advanced whenever a segment's bounds are recomputed (the JIT re-checks for flat segments then). */
  segGen = 0;
  /** Instruction-fetch window: IPs in [fetchLo, fetchHi) read u8[ip + fetchDelta] directly. */
  fetchLo = 1;
  fetchHi = 0;
  fetchDelta = 0;
  /**
   * What the TLB was filled under (CR0.PG/WP, CR3, CR4.PSE/PGE, A20) and the epoch this CPU last wrote to
   * the state block (S_TLB_EPOCH, advanced by every run()): a difference found by refreshCaches flushes it.
   */
  private tlbEpoch = (Math.random() * 0x7fffffff) | 0;
  private tlbCr0 = -1;
  private tlbCr3 = -1;
  private tlbCr4 = -1;
  private tlbA20 = -1;

  // --- debug registers (debug.ts) ---
  /** Enabled data breakpoints (DR7): their pages bypass the fast path so every access is checked. */
  dataBreakpoints = 0;
  /** Enabled instruction breakpoints: the run loop checks each instruction's address. */
  codeBreakpoints = 0;
  /** Enabled I/O breakpoints (with CR4.DE): IN/OUT check their ports. */
  ioBreakpoints = 0;
  /** DR6 bits (B0-B3 of data and I/O breakpoints, BT) the current instruction raised: #DB after it completes. */
  pendingDebug = 0;

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
  /** The x87 unit, when one is attached, and its host's FERR# state (fpu-host.ts). */
  fpu: FpuUnit | undefined = undefined;
  fpuHost: { ferr: boolean; afterInstruction(): void } | undefined = undefined;
  /** Machine time in ns, for the TSC (msr.ts); without it the TSC follows instructions retired. */
  timeNs: (() => number) | undefined = undefined;

  constructor(memory: PhysicalMemory, io: IoBus) {
    this.memory = memory;
    this.io = io;
    const buf = memory.memory.buffer;
    this.u8 = memory.u8;
    this.u16 = new Uint16Array(buf);
    this.i32 = new Int32Array(buf);
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
    this.tlb = new Int32Array(buf, Layout.TLB, TLB_ENTRIES);
  }

  /** Re-reads everything cached in fields from the state block (after a snapshot load, a mode change …). */
  refreshCaches(): void {
    const st = this.st;
    const cr0 = st[S_CR0];
    this.mode = cr0 & CR0_PE ? (st[EFLAGS_INDEX] & VM ? MODE_V86 : MODE_PROTECTED) : MODE_REAL;
    if (this.mode === MODE_REAL) st[S_CPL] = 0;
    else if (this.mode === MODE_V86) st[S_CPL] = 3;
    this.cpl = st[S_CPL] & 3;
    this.paging = (cr0 & CR0_PG) !== 0 && this.mode !== MODE_REAL;
    this.a20 = st[S_A20];
    this.syncTlb();
    this.csBase = this.bases[SEG_CS];
    this.csLimit = this.limits[SEG_CS];
    this.code32 = (this.rights[SEG_CS] & ACCESS_DB) !== 0 && this.mode === MODE_PROTECTED;
    this.stack32 = (this.rights[SEG_SS] & ACCESS_DB) !== 0 && this.mode === MODE_PROTECTED;
    this.sizeBits = this.code32 ? 0x200 : 0;
    for (let s = 0; s <= SEG_GS; s++) this.updateSegBounds(s);
    this.clearPrefixes();
    this.flagsChanged();
    this.updatePrivilege();
    this.invalidateFetch();
  }

  /** Flushes the whole TLB when what it was filled under changed behind the CPU's back (snapshot, A20, CR writes). */
  syncTlb(): void {
    const st = this.st;
    const cr0 = st[S_CR0] & CR0_TLB_BITS;
    const cr4 = st[S_CR4] & CR4_TLB_BITS;
    const stale = st[S_TLB_EPOCH] !== this.tlbEpoch;
    if (stale || cr0 !== this.tlbCr0 || st[S_CR3] !== this.tlbCr3 || cr4 !== this.tlbCr4 || this.a20 !== this.tlbA20) {
      st[S_TLB_EPOCH] = this.tlbEpoch;
      if (stale) this.tlbOverflow = true; // a restored snapshot: forget everything, globals included
      this.tlbCr0 = cr0;
      this.tlbCr3 = st[S_CR3];
      this.tlbCr4 = cr4;
      this.tlbA20 = this.a20;
      flushTlb(this, false);
    }
  }

  /** A CR3 load: the non-global translations go (all of them without CR4.PGE). */
  loadCr3(value: number): void {
    this.st[S_CR3] = value;
    this.tlbCr3 = value;
    flushTlb(this, (this.st[S_CR4] & CR4_PGE) !== 0);
  }

  /** Forgets every translation (the memory map or the page tables changed under a restored snapshot). */
  flushAllTranslations(): void {
    this.tlbOverflow = true;
    flushTlb(this, false);
  }

  /** Sets CPL (and with it the user/supervisor view of paging). */
  setCpl(cpl: number): void {
    this.cpl = cpl;
    this.st[S_CPL] = cpl;
    this.updatePrivilege();
  }

  /** Recomputes the fast-path masks from CPL, CR0.AM and EFLAGS.AC. */
  updatePrivilege(): void {
    const user = this.cpl === 3;
    this.user = user;
    this.alignCheck = user && (this.st[S_CR0] & CR0_AM) !== 0 && (this.st[EFLAGS_INDEX] & AC) !== 0;
    const fetch = user ? F_RU : F_RS;
    if (fetch !== this.fastFetch) {
      this.fastFetch = fetch;
      this.invalidateFetch();
    }
    this.fastRd = this.alignCheck ? 0 : fetch;
    this.fastWr = this.alignCheck ? 0 : user ? F_WU : F_WS;
  }

  /** The offsets segment register `seg` lets reads and writes touch, from its cached limit and rights. */
  updateSegBounds(seg: number): void {
    const limit = this.limits[seg];
    const r = this.rights[seg];
    let lo = 0;
    let hiR = limit;
    let hiW = limit;
    if (this.mode === MODE_PROTECTED) {
      if ((r & DESC_P) === 0) hiR = hiW = -1; // a null selector: every access is #GP(0)
      else if (r & DESC_CODE) {
        if ((r & DESC_RW) === 0) hiR = -1; // execute-only
        hiW = -1;
      } else {
        if (r & DESC_CE) {
          // Expand-down: the valid offsets lie above the limit, up to FFFFh or FFFFFFFFh by the B bit.
          lo = limit + 1;
          hiR = hiW = r & DESC_DB ? 0xffffffff : 0xffff;
        }
        if ((r & DESC_RW) === 0) hiW = -1;
      }
    }
    this.segLo[seg] = lo;
    this.segHiR[seg] = hiR;
    this.segHiW[seg] = hiW;
    this.segGen++;
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
    if (this.alignCheck !== (this.user && (this.st[S_CR0] & CR0_AM) !== 0 && (this.st[EFLAGS_INDEX] & AC) !== 0)) this.updatePrivilege();
    this.updateAttention();
  }

  /** Recomputes `attention` from INTR, TF, RF, breakpoints and a pending stop. */
  updateAttention(): void {
    this.attention =
      this.intrLine || this.singleStep || this.stopRequested || this.codeBreakpoints !== 0 || this.pendingDebug !== 0 || (this.st[EFLAGS_INDEX] & RF) !== 0 ? 1 : 0;
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
    return (this.st[S_CR0] & CR0_PE) !== 0;
  }

  // ------------------------------------------------------------------ exceptions

  /** Abandons the current instruction with an exception (error code 0 where one is pushed). */
  raise(vector: number): never {
    this.fault.vector = vector;
    this.fault.code = 0;
    throw this.fault;
  }

  /** Abandons the current instruction with an exception and its error code. */
  raiseCode(vector: number, code: number): never {
    this.fault.vector = vector;
    this.fault.code = code;
    throw this.fault;
  }

  /** The limit or type violation of a data access: #SS(0) for the stack segment, #GP(0) otherwise. */
  segFault(seg: number): never {
    return this.raise(seg === SEG_SS ? VEC_SS : VEC_GP);
  }

  // ------------------------------------------------------------------ segmentation and memory

  /** Linear → physical without side effects (-1: not mapped); for the firmware, debuggers and tools. */
  translate(linear: number): number {
    return probe(this, linear);
  }

  /**
   * seg:offset → linear for a read of `size` bytes, after the segment's limit and type checks. The offset
   * may come signed or unsigned; the linear address is returned as a signed int32, so that kernel addresses
   * (C0000000h and up) stay small integers instead of boxed doubles where they cross a call. The rd and
   * wr methods and the slow paths take either form; never use the sign of a linear address as a flag.
   */
  linear(seg: number, offset: number, size: number): number {
    offset >>>= 0;
    if (offset < this.segLo[seg] || offset + size - 1 > this.segHiR[seg]) this.segFault(seg);
    return (this.bases[seg] + offset) | 0;
  }

  /** seg:offset → linear for a write (or read-modify-write) of `size` bytes. */
  linearW(seg: number, offset: number, size: number): number {
    offset >>>= 0;
    if (offset < this.segLo[seg] || offset + size - 1 > this.segHiW[seg]) this.segFault(seg);
    return (this.bases[seg] + offset) | 0;
  }

  rd8(lin: number): number {
    const e = this.tlb[lin >>> 12];
    if (e & this.fastRd) return this.u8[RAM + (((e & -4096) | (lin & 0xfff)) >>> 0)];
    return readSlow(this, lin, 1, this.user);
  }

  rd16(lin: number): number {
    const e = this.tlb[lin >>> 12];
    if ((lin & 0xfff) !== 0xfff && e & this.fastRd) {
      const i = RAM + (((e & -4096) | (lin & 0xfff)) >>> 0);
      if ((i & 1) === 0) return this.u16[i >>> 1];
      return this.u8[i] | (this.u8[i + 1] << 8);
    }
    return readSlow(this, lin, 2, this.user);
  }

  rd32(lin: number): number {
    const e = this.tlb[lin >>> 12];
    if ((lin & 0xfff) <= 0xffc && e & this.fastRd) {
      const i = RAM + (((e & -4096) | (lin & 0xfff)) >>> 0);
      if ((i & 3) === 0) return this.i32[i >>> 2];
      const u8 = this.u8;
      return u8[i] | (u8[i + 1] << 8) | (u8[i + 2] << 16) | (u8[i + 3] << 24);
    }
    return readSlow(this, lin, 4, this.user);
  }

  wr8(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    if (e & this.fastWr) this.u8[RAM + (((e & -4096) | (lin & 0xfff)) >>> 0)] = v;
    else writeSlow(this, lin, 1, v, this.user);
  }

  wr16(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    if ((lin & 0xfff) !== 0xfff && e & this.fastWr) {
      const i = RAM + (((e & -4096) | (lin & 0xfff)) >>> 0);
      if ((i & 1) === 0) this.u16[i >>> 1] = v;
      else {
        this.u8[i] = v;
        this.u8[i + 1] = v >> 8;
      }
      return;
    }
    writeSlow(this, lin, 2, v, this.user);
  }

  wr32(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    if ((lin & 0xfff) <= 0xffc && e & this.fastWr) {
      const i = RAM + (((e & -4096) | (lin & 0xfff)) >>> 0);
      if ((i & 3) === 0) this.i32[i >>> 2] = v;
      else {
        const u8 = this.u8;
        u8[i] = v;
        u8[i + 1] = v >> 8;
        u8[i + 2] = v >> 16;
        u8[i + 3] = v >> 24;
      }
      return;
    }
    writeSlow(this, lin, 4, v, this.user);
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
    this.ip = ip + 1;
    let e = this.tlb[lin >>> 12];
    if ((e & this.fastFetch) === 0) {
      // A miss (walk, maybe #PF) or not RAM/ROM: translate as a read of code.
      const p = fetchTranslate(this, lin);
      e = this.tlb[lin >>> 12];
      if ((e & this.fastFetch) === 0) {
        this.invalidateFetch();
        return this.memory.read8(p);
      }
    }
    const p = ((e & -4096) | (lin & 0xfff)) >>> 0;
    const inPage = lin & 0xfff;
    this.fetchLo = ip - inPage;
    let hi = ip - inPage + 0x1000;
    if (hi > this.csLimit + 1) hi = this.csLimit + 1;
    if (!this.code32 && hi > 0x10000) hi = 0x10000;
    this.fetchHi = hi;
    this.fetchDelta = RAM + p - ip;
    return this.u8[RAM + p];
  }

  // ------------------------------------------------------------------ effective addresses

  /** Offset of the ModRM memory operand (fetches displacement and SIB); sets eaSeg. 32-bit offsets come signed (`| 0`). */
  ea(): number {
    return this.a32 ? this.ea32() : this.ea16();
  }

  /** Linear address of the ModRM memory operand for a read of `size` bytes. */
  eaLin(size: number): number {
    const off = this.a32 ? this.ea32() : this.ea16();
    return this.linear(this.eaSeg, off, size);
  }

  /** Linear address of the ModRM memory operand for a write (or read-modify-write) of `size` bytes. */
  eaLinW(size: number): number {
    const off = this.a32 ? this.ea32() : this.ea16();
    return this.linearW(this.eaSeg, off, size);
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
    // Signed: kernel addresses (C0000000h and up) stay small integers across calls instead of boxed doubles.
    return off | 0;
  }

  /** Segment for an instruction's default-DS memory access (string source, XLAT, moffs): DS or the override. */
  dataSeg(): number {
    return this.seg >= 0 ? this.seg : SEG_DS;
  }

  // ------------------------------------------------------------------ segments

  /**
   * The one segment-register load of MOV/POP/LxS. Protected mode: the descriptor checks of pm-segments.ts.
   * Real mode: selector and base = selector × 16; the limit and attributes stay as they are, as on a 386
   * (what "unreal mode" relies on). Virtual-8086 mode: also limit FFFFh and DPL-3 data attributes.
   */
  loadSeg(seg: number, selector: number): void {
    selector &= 0xffff;
    if (this.mode === MODE_PROTECTED && seg !== SEG_CS) loadSegProtected(this, seg, selector);
    else {
      this.selectors[seg] = selector;
      this.bases[seg] = selector << 4;
      if (this.mode === MODE_V86) {
        this.limits[seg] = 0xffff;
        this.rights[seg] = ACCESS_V86;
      }
    }
    this.segmentLoaded(seg);
  }

  /** After a segment register's cache changed: the derived fields (bounds, CS fetch state, stack size). */
  segmentLoaded(seg: number): void {
    this.updateSegBounds(seg);
    if (seg === SEG_CS) {
      this.csBase = this.bases[SEG_CS];
      this.csLimit = this.limits[SEG_CS];
      const code32 = this.mode === MODE_PROTECTED && (this.rights[SEG_CS] & ACCESS_DB) !== 0;
      this.code32 = code32;
      this.sizeBits = code32 ? 0x200 : 0;
      this.o32 = this.a32 = code32;
      this.invalidateFetch();
    } else if (seg === SEG_SS) {
      this.stack32 = this.mode === MODE_PROTECTED && (this.rights[SEG_SS] & ACCESS_DB) !== 0;
      // MOV SS / POP SS hold off interrupts until after the next instruction.
      this.inhibitShadow();
    }
  }

  /** Loads a segment cache directly (far transfers, task switches, SYSENTER): selector, base, limit, rights. */
  setSegCache(seg: number, selector: number, base: number, limit: number, rights: number): void {
    this.selectors[seg] = selector;
    this.bases[seg] = base;
    this.limits[seg] = limit;
    this.rights[seg] = rights;
    if (seg <= SEG_GS) {
      this.updateSegBounds(seg);
      if (seg === SEG_CS) this.segmentLoaded(SEG_CS);
      else if (seg === SEG_SS) this.stack32 = this.mode === MODE_PROTECTED && (rights & ACCESS_DB) !== 0;
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
    this.wr16(this.linearW(SEG_SS, sp, 2), v);
    this.setSp(sp);
  }

  push32(v: number): void {
    const sp = this.spAdd(this.sp(), -4);
    this.wr32(this.linearW(SEG_SS, sp, 4), v);
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

  /** Far jump in real or virtual-8086 mode: CS:IP (protected mode goes through pm-gates.ts). */
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
    this.wr16(this.linearW(SEG_SS, sp, 2), flags);
    sp = this.spAdd(sp, -2);
    this.wr16(this.linearW(SEG_SS, sp, 2), this.selectors[SEG_CS]);
    sp = this.spAdd(sp, -2);
    this.wr16(this.linearW(SEG_SS, sp, 2), returnIp);
    this.setSp(sp);
    this.st[EFLAGS_INDEX] = this.st[EFLAGS_INDEX] & ~(IF | TF | AC | RF);
    this.flagsChanged();
    this.loadSeg(SEG_CS, newCs);
    this.ip = newIp;
  }

  /**
   * An interrupt or exception in the current mode. `kind` (arch.ts INT_*) says whether it is an exception
   * (with `code` pushed where the vector has one), an external interrupt, or INT n/INT3/INTO (gate DPL checked).
   */
  interrupt(vector: number, returnIp: number, code: number, kind: number): void {
    if (this.mode === MODE_REAL) this.interruptReal(vector, returnIp);
    else interruptProtected(this, vector, returnIp, code, kind);
  }

  /**
   * Delivers an exception or external interrupt from the run loop. A fault while delivering it is
   * delivered in turn, or becomes #DF by the double-fault rules; a fault while delivering #DF shuts the CPU
   * down (the machine resets).
   */
  deliverException(vector: number, returnIp: number, code: number, kind: number): void {
    for (let attempt = 0; attempt < 8; attempt++) {
      if (kind === INT_EXCEPTION) this.onException?.(vector);
      try {
        this.interrupt(vector, returnIp, code, kind);
        return;
      } catch (e) {
        if (e !== this.fault) throw e;
      }
      if (vector === VEC_DF) break;
      const first = kind === INT_EXCEPTION ? FAULT_CLASS[vector] : BENIGN;
      const second = FAULT_CLASS[this.fault.vector];
      if ((first === CONTRIBUTORY && second === CONTRIBUTORY) || (first === PAGE_FAULT_CLASS && second !== BENIGN)) {
        vector = VEC_DF;
        code = 0;
      } else {
        vector = this.fault.vector;
        code = this.fault.code;
      }
      kind = INT_EXCEPTION;
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

  /** At the end of run(): a new epoch, so that a state block saved now and restored later is recognised. */
  nextTlbEpoch(): void {
    this.tlbEpoch = (this.tlbEpoch + 1) | 0;
    this.st[S_TLB_EPOCH] = this.tlbEpoch;
  }

  /** Takes EIP and the cached values from the state block (after someone else may have changed it). */
  syncIn(): void {
    this.ip = this.st[S_EIP] >>> 0;
    this.refreshCaches();
  }

  // ------------------------------------------------------------------ I/O

  /** After a port access the machine may have changed A20 or the memory map: re-read what is cached. */
  afterIo(): void {
    if (this.st[S_A20] !== this.a20) {
      this.a20 = this.st[S_A20];
      this.syncTlb();
    }
    this.invalidateFetch();
  }
}
