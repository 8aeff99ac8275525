/**
 * The x86 CPU (a P6 for a 32-bit OS): the decode-and-dispatch loop, interrupts, debug traps, and the public
 * API the machine and the firmware use. State lives in the shared WebAssembly.Memory (core/layout.ts); see
 * cpu-base.ts for the memory paths, paging.ts and pm-*.ts for protected mode, and dispatch.ts for how the
 * handlers come from the instruction table.
 */
import type { CpuAccess, Reg, Reg8, Seg } from '../firmware.js';
import type { IoBus } from '../io.js';
import type { PhysicalMemory } from '../memory.js';
import {
  ACCESS_CODE, ACCESS_DATA, INT_EXCEPTION, INT_EXTERNAL, S_A20, S_CPL, S_CR0, S_DR0, S_DR6, S_EIP, S_GDTR_BASE, S_GDTR_LIMIT,
  S_HALTED, S_IDTR_BASE, S_IDTR_LIMIT, S_INSTR_F64, S_SCRATCH_END, S_TSC_OFFSET_F64, SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_LDTR, SEG_SS,
  SEG_TR, VEC_DB, VEC_GP, VEC_UD,
} from './arch.js';
import { CpuBase, REG8 } from './cpu-base.js';
import { codeBreakpointHits, DR6_BS, updateBreakpoints } from './debug.js';
import { buildDispatch, type Dispatch, NO_MODRM, PREFIX, PREFIX_BYTES } from './dispatch.js';
import { EFLAGS_INDEX, IF, LZ_MASK, readFlags, RF } from './flags.js';
import { Fpu } from './fpu/index.js';
import { CpuFpuHost } from './fpu-host.js';
import { CPU_SIGNATURE, readTsc } from './msr.js';
import type { Handler } from './operands.js';

export { CPU_SIGNATURE };

export interface CpuOptions {
  memory: PhysicalMemory;
  io: IoBus;
  /**
   * `0F FF ib` executed at a physical address inside the BIOS ROM (memory.isBiosAddress): called with ib.
   * true → continue after the 3 bytes; false → leave EIP on the trap and return from run(). Elsewhere 0F FF is #UD.
   */
  firmwareTrap?: (service: number) => boolean;
  /** INTA: the PIC returns the vector of the interrupt being acknowledged. */
  acknowledgeInterrupt?: () => number;
  /** Triple fault/shutdown: the machine resets. */
  onShutdown?: () => void;
  /** Called as each exception is delivered (debuggers, tests); not called for external interrupts or INT n. */
  onException?: (vector: number) => void;
  /** Machine time in nanoseconds, for the time-stamp counter (RDTSC; msr.ts TSC_HZ). Without it the TSC counts 10 ns per instruction. */
  timeNs?: () => number;
  /** FERR#: an unmasked x87 exception with CR0.NE clear (the machine routes it to IRQ 13); false when it clears. */
  onFerr?: (level: boolean) => void;
  /** Attach the x87 FPU (default true). */
  fpu?: boolean;
}

const CR0_RESET = 0x60000010;
const DR6_RESET = 0xffff0ff0 | 0;
const DR7_RESET = 0x400;
/** EFLAGS bits setFlags() may change: the arithmetic flags, TF IF DF, IOPL, NT (bit 1 always reads 1). */
const SETTABLE_FLAGS = 0x7fd5;
/** More prefixes than fit in the 15-byte instruction limit: #GP. */
const MAX_PREFIXES = 14;

/**
 * The JIT's entry (core/jit): runs compiled code at the CPU's EIP within `budget` instructions and returns
 * how many retired (0: nothing ran). The run loop calls it only at block starts and with nothing pending.
 */
export interface BlockRunner {
  enter(c: CpuBase, budget: number): number;
}

/** One-byte opcodes that may transfer control (Jcc, LOOP/JCXZ, CALL, JMP, RET, INT, IRET, group 5): a block starts after them. */
const TRANSFERS = new Uint8Array(256);
for (const b of [0x9a, 0xc2, 0xc3, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xff]) TRANSFERS[b] = 1;
TRANSFERS.fill(1, 0x70, 0x80);
TRANSFERS.fill(1, 0xe0, 0xec);

export class Cpu extends CpuBase implements CpuAccess {
  private readonly entries: Handler[];
  private readonly modrmTable: Uint8Array;
  private readonly lockable: Uint8Array;
  /** The dispatch tables (for tests and tools). */
  readonly dispatch: Dispatch;
  /** The JIT, when the machine enables one (core/jit); undefined: the interpreter alone. */
  blockRunner: BlockRunner | undefined = undefined;
  /** The next instruction may start a block (after a control transfer, a compiled block, an interrupt, a fault). */
  private atBlockStart = true;

  constructor(opts: CpuOptions) {
    super(opts.memory, opts.io);
    this.firmwareTrap = opts.firmwareTrap;
    this.acknowledgeInterrupt = opts.acknowledgeInterrupt;
    this.onShutdown = opts.onShutdown;
    this.onException = opts.onException;
    this.timeNs = opts.timeNs;
    if (opts.fpu !== false) {
      const host = new CpuFpuHost(this, opts.onFerr);
      this.fpuHost = host;
      this.fpu = new Fpu(opts.memory.memory, host);
    }
    this.dispatch = buildDispatch();
    this.entries = this.dispatch.entries;
    // The prefix bytes enter the prefixed decoder (the 0F escape is step()'s own compare).
    for (const p of PREFIX_BYTES) this.entries[p] = this.entries[p | 0x200] = () => this.stepPrefixed(p);
    this.modrmTable = this.dispatch.modrm;
    this.lockable = this.dispatch.lockable;
    // A fresh memory has A20_MASK 0, which would map everything to address 0; the machine sets it, a bare CPU gets A20 on.
    if (this.st[S_A20] === 0) this.st[S_A20] = -1;
    this.reset();
  }

  /** Power-on/RESET state of a P6 (Intel SDM Vol. 3 §9.1.1, "Processor state after reset"). */
  reset(): void {
    this.r32.fill(0);
    this.r32[2] = CPU_SIGNATURE;
    this.st[S_EIP] = 0xfff0;
    this.st[EFLAGS_INDEX] = 2;
    this.lz.fill(0);
    for (let s = SEG_ES; s <= SEG_GS; s++) {
      this.selectors[s] = 0;
      this.bases[s] = 0;
      this.limits[s] = 0xffff;
      this.rights[s] = ACCESS_DATA;
    }
    this.selectors[SEG_CS] = 0xf000;
    this.bases[SEG_CS] = 0xffff0000;
    this.rights[SEG_CS] = ACCESS_CODE;
    // LDTR: a present LDT, TR: a busy 32-bit TSS, both at base 0 with limit FFFFh.
    for (const [s, rights] of [[SEG_LDTR, 0x8200], [SEG_TR, 0x8b00]]) {
      this.selectors[s] = 0;
      this.bases[s] = 0;
      this.limits[s] = 0xffff;
      this.rights[s] = rights;
    }
    // CPL, the MSRs and the TSC offset (the TSC restarts from 0).
    this.st.fill(0, S_CPL, S_SCRATCH_END);
    this.f64[S_TSC_OFFSET_F64] = -readTsc(this);
    for (let i = 0; i < 8; i++) {
      this.st[S_CR0 + i] = 0;
      this.st[S_DR0 + i] = 0;
    }
    this.st[S_CR0] = CR0_RESET;
    this.st[S_DR0 + 6] = DR6_RESET;
    this.st[S_DR0 + 7] = DR7_RESET;
    updateBreakpoints(this, () => {});
    this.pendingDebug = 0;
    this.st[S_GDTR_BASE] = 0;
    this.st[S_GDTR_LIMIT] = 0xffff;
    this.st[S_IDTR_BASE] = 0;
    this.st[S_IDTR_LIMIT] = 0xffff;
    this.st[S_HALTED] = 0;
    this.f64[S_INSTR_F64] = 0;
    this.sliceRetired = 0;
    this.inhibitUntil = -1;
    this.trapPending = false;
    this.fpu?.reset();
    if (this.fpuHost) this.fpuHost.ferr = false;
    this.syncIn();
    this.flushAllTranslations();
  }

  get halted(): boolean {
    return this.st[S_HALTED] !== 0;
  }

  get instructions(): number {
    return this.retiredCount();
  }

  setIntr(level: boolean): void {
    this.intrLine = level;
    this.updateAttention();
  }

  requestStop(): void {
    this.stop();
  }

  /**
   * Executes up to `maxInstructions`; returns how many retired. Returns early when the CPU halts (HLT,
   * shutdown), a firmware trap asks to be retried, or requestStop() is called.
   */
  run(maxInstructions: number): number {
    const st = this.st;
    const jit = this.blockRunner;
    this.syncIn();
    this.atBlockStart = true;
    this.stopRequested = false;
    this.trapPending = false;
    this.sliceRetired = 0;
    this.updateAttention();
    if (maxInstructions <= 0 || (st[S_HALTED] !== 0 && !this.interruptReady())) return 0;
    for (;;) {
      try {
        for (;;) {
          // One field says whether anything but the next instruction needs looking at: an interrupt
          // request, single-stepping, or a stop (HLT, a pending firmware trap, requestStop()).
          if (this.attention !== 0) {
            this.atBlockStart = true;
            if (this.stopRequested) {
              // HLT with an interrupt already waiting: take it now instead of returning.
              if (st[S_HALTED] === 0 || this.trapPending || !this.interruptReady()) break;
              this.stopRequested = false;
              this.updateAttention();
            }
            // Debug traps of the last instruction (data breakpoints, a task's T bit) come before interrupts.
            if (this.pendingDebug !== 0) this.debugTrap(0);
            if (this.intrLine && this.interruptReady()) this.acceptInterrupt();
            if (this.singleStep || this.codeBreakpoints !== 0 || st[EFLAGS_INDEX] & RF) {
              if (this.stepDebug()) this.sliceRetired++;
              if (this.sliceRetired >= maxInstructions) break;
              continue;
            }
          }
          if (jit !== undefined) {
            if (this.atBlockStart && this.attention === 0) {
              const n = jit.enter(this, maxInstructions - this.sliceRetired);
              if (n !== 0) {
                if ((this.sliceRetired += n) >= maxInstructions) break;
                continue;
              }
            }
            this.atBlockStart = this.stepTransfer();
          } else this.step();
          if (++this.sliceRetired >= maxInstructions) break;
        }
        break;
      } catch (e) {
        if (e !== this.fault) {
          // Not an x86 exception (a device or firmware handler threw): leave the state block consistent.
          this.finishRun();
          throw e;
        }
        this.clearPrefixes();
        this.pendingDebug = 0;
        this.atBlockStart = true;
        // A fault: the instruction restarts (its own EIP on the stack), counted as executed.
        this.sliceRetired++;
        this.exception(this.fault.vector, this.startIpWrapped(), this.fault.code);
        if (this.sliceRetired >= maxInstructions) break;
      }
    }
    return this.finishRun();
  }

  /** Folds the slice's instruction count into the state block and writes EIP back; returns the count. */
  private finishRun(): number {
    const done = this.sliceRetired;
    this.f64[S_INSTR_F64] += done;
    this.sliceRetired = 0;
    this.clearPrefixes();
    this.syncOut();
    this.nextTlbEpoch();
    return done;
  }

  private exception(vector: number, returnIp: number, code: number): void {
    this.deliverException(vector, returnIp, code, INT_EXCEPTION);
  }

  /**
   * One instruction under debug conditions: an instruction breakpoint first (a fault, unless RF), then the
   * instruction, then its traps (single step, data breakpoints) as one #DB. RF is cleared by the
   * instruction after the one that set it. Returns false when a breakpoint fault ran instead.
   */
  private stepDebug(): boolean {
    const st = this.st;
    const rf = st[EFLAGS_INDEX] & RF;
    if (this.codeBreakpoints !== 0 && !rf) {
      const hits = codeBreakpointHits(this, (this.csBase + this.nextIp()) >>> 0);
      if (hits !== 0) {
        st[S_DR6] = (st[S_DR6] & ~0xf) | hits;
        this.exception(VEC_DB, this.nextIp(), 0);
        return false;
      }
    }
    const trap = this.singleStep;
    this.step();
    if (rf) {
      st[EFLAGS_INDEX] &= ~RF;
      this.updateAttention();
    }
    // The single-step trap follows the instruction (not one that halted the CPU).
    this.debugTrap(trap && st[S_HALTED] === 0 ? DR6_BS : 0);
    return true;
  }

  /** Delivers the #DB trap of the instruction just done: pending breakpoint hits plus `bits` (BS). */
  private debugTrap(bits: number): void {
    const hits = this.pendingDebug | bits;
    this.pendingDebug = 0;
    if (hits === 0) return;
    const st = this.st;
    st[S_DR6] = hits & 0xf ? (st[S_DR6] & ~0xf) | hits : st[S_DR6] | hits;
    this.updateAttention();
    this.exception(VEC_DB, this.nextIp(), 0);
  }

  private startIpWrapped(): number {
    return this.code32 ? this.startIp >>> 0 : this.startIp & 0xffff;
  }

  /** IF set, INTR high, and not in an interrupt shadow (after STI, MOV SS, POP SS). */
  private interruptReady(): boolean {
    return this.intrLine && (this.st[EFLAGS_INDEX] & IF) !== 0 && this.retiredCount() >= this.inhibitUntil;
  }

  private acceptInterrupt(): void {
    if (!this.interruptReady()) return;
    const vector = this.acknowledgeInterrupt ? this.acknowledgeInterrupt() & 0xff : 0;
    this.st[S_HALTED] = 0;
    this.deliverException(vector, this.nextIp(), 0, INT_EXTERNAL);
  }

  /**
   * Fetches the opcode and enters its handler. The entry (dispatch.ts) fetches the ModRM byte and picks a
   * group's row itself, so the common path here is one load, one compare and one call. Prefixed
   * instructions take stepPrefixed(); the prefix fields (seg, rep, lock, o32, a32) hold their defaults
   * between instructions, so the common path never touches them.
   */
  private step(): void {
    this.startIp = this.ip;
    const b = this.fetch8();
    if (b === 0x0f) this.entries[0x100 | this.fetch8() | this.sizeBits](this);
    else this.entries[b | this.sizeBits](this);
  }

  /** step() for the JIT's loop: also says whether the instruction may have transferred control. */
  private stepTransfer(): boolean {
    this.startIp = this.ip;
    const b = this.fetch8();
    if (b === 0x0f) {
      const b2 = this.fetch8();
      this.entries[0x100 | b2 | this.sizeBits](this);
      return (b2 & 0xf0) === 0x80 || b2 === 0x34 || b2 === 0x35;
    }
    this.entries[b | this.sizeBits](this);
    return TRANSFERS[b] !== 0;
  }

  private stepPrefixed(first: number): void {
    let b = first;
    let o32 = this.code32;
    let a32 = this.code32;
    for (let prefixes = 1; this.modrmTable[b] === PREFIX; prefixes++) {
      switch (b) {
        case 0x26: this.seg = SEG_ES; break;
        case 0x2e: this.seg = SEG_CS; break;
        case 0x36: this.seg = SEG_SS; break;
        case 0x3e: this.seg = SEG_DS; break;
        case 0x64: this.seg = SEG_FS; break;
        case 0x65: this.seg = SEG_GS; break;
        case 0x66: o32 = !this.code32; break;
        case 0x67: a32 = !this.code32; break;
        case 0xf0: this.lock = true; break;
        default: this.rep = b; break; // F2, F3
      }
      if (prefixes > MAX_PREFIXES) this.raise(VEC_GP);
      b = this.fetch8();
    }
    this.o32 = o32;
    this.a32 = a32;
    if (b === 0x0f) b = 0x100 | this.fetch8();
    const index = o32 ? b | 0x200 : b;
    if (this.lock) this.checkLock(index);
    this.entries[index](this);
    this.clearPrefixes();
  }

  /**
   * LOCK is #UD unless the instruction is one of the lockable ones with a memory destination: look at the
   * ModRM byte ahead of the entry (which fetches it again).
   */
  private checkLock(index: number): void {
    const kind = this.modrmTable[index];
    if (kind === NO_MODRM) this.raise(VEC_UD);
    const modrm = this.fetch8();
    this.ip--;
    if (modrm >= 0xc0 || this.lockable[index * 8 + ((modrm >> 3) & 7)] === 0) this.raise(VEC_UD);
  }

  // ------------------------------------------------------------------ CpuAccess

  get32(r: Reg): number {
    return this.r32[r] >>> 0;
  }

  set32(r: Reg, value: number): void {
    this.r32[r] = value;
  }

  get16(r: Reg): number {
    return this.r16[r << 1];
  }

  set16(r: Reg, value: number): void {
    this.r16[r << 1] = value;
  }

  get8(r: Reg8): number {
    return this.r8[REG8[r]];
  }

  set8(r: Reg8, value: number): void {
    this.r8[REG8[r]] = value;
  }

  getSeg(s: Seg): number {
    return this.selectors[s];
  }

  setSegReal(s: Seg, selector: number): void {
    selector &= 0xffff;
    this.selectors[s] = selector;
    this.bases[s] = selector << 4;
    this.segmentLoaded(s);
  }

  segBase(s: Seg): number {
    return this.bases[s];
  }

  getEip(): number {
    return this.st[S_EIP] >>> 0;
  }

  setEip(value: number): void {
    this.st[S_EIP] = value;
  }

  getFlags(): number {
    return readFlags(this) >>> 0;
  }

  setFlags(value: number): void {
    this.st[EFLAGS_INDEX] = (value & SETTABLE_FLAGS) | 2;
    this.lz[LZ_MASK] = 0;
    this.flagsChanged();
  }

  /** Linear → physical in the current mode without side effects; -1 when paging maps nothing there. */
  linearToPhysical(linear: number): number {
    return this.translate(linear >>> 0);
  }
}
