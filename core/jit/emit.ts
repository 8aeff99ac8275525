/**
 * Wasm building blocks of the JIT's block compiler (compiler.ts): the function's locals, the lazy-flag
 * formulas of core/cpu/flags.ts rewritten as Wasm expressions, and the TLB fast path of cpu-base.ts
 * rd32/wr32. Everything here must compute exactly what the interpreter computes, so that the interpreter
 * can continue after any block with the same state.
 */
import type binaryenDefault from 'binaryen';
import { Layout } from '../layout.js';
import { AF, ARITH, CF, LAZY_ADD, LAZY_LOGIC, LAZY_RESULT, LAZY_SUB, OF, PF, SF, ZF } from '../cpu/flags.js';

export type Binaryen = typeof binaryenDefault;
export type Module = binaryenDefault.Module;
export type Expr = number;

// ------------------------------------------------------------------ locals of a region function
/**
 * Parameters: how many instructions the function may retire, the TLB fast bits for reads and writes, and
 * which of its blocks to start at (then the block to go to next, for the dispatch loop).
 */
export const L_BUDGET = 0;
export const L_FAST_RD = 1;
export const L_FAST_WR = 2;
export const L_NEXT = 3;
export const PARAM_COUNT = 4;
/** EAX..EDI, loaded at entry and stored at the exit. */
export const L_REG0 = 4;
export const L_EFLAGS = L_REG0 + 8;
/** The six lazy-flag words (flags.ts LZ_*), in their order in the state block. */
export const L_LOP = L_EFLAGS + 1;
export const L_LRES = L_LOP + 1;
export const L_LA = L_LOP + 2;
export const L_LB = L_LOP + 3;
export const L_LSIZE = L_LOP + 4;
export const L_LMASK = L_LOP + 5;
/** Instructions retired (the return value), retired by earlier blocks of this call, and the EIP to leave with. */
export const L_N = L_LOP + 6;
export const L_BASE = L_N + 1;
export const L_EIP = L_N + 2;
/** Scratch: a linear address, its physical address, values. */
export const L_LIN = L_EIP + 1;
export const L_PHYS = L_LIN + 1;
export const L_T0 = L_LIN + 2;
export const L_T1 = L_LIN + 3;
export const L_T2 = L_LIN + 4;
/** Types of the non-parameter locals (all i32 but the last, an i64 for IMUL's overflow). */
export const LOCAL_COUNT_I32 = L_T2 + 1 - PARAM_COUNT;
export const L_WIDE = L_T2 + 1;

/** Flags state of the lazy words as far as the compiler knows it (unknown at block entry and loop heads). */
export interface KnownFlags {
  known: boolean;
  op: number;
  size: number;
  mask: number;
  /** The lazy SUB is a plain a − b (CMP, SUB): conditions are direct compares of a and b (not after SBB). */
  compare: boolean;
}

/** Small helpers over one binaryen module, so the compiler reads like the interpreter. */
export class Emitter {
  readonly i32: number;
  constructor(readonly b: Binaryen, readonly m: Module) {
    this.i32 = b.i32;
  }
  get(l: number): Expr {
    return this.m.local.get(l, this.i32);
  }
  set(l: number, v: Expr): Expr {
    return this.m.local.set(l, v);
  }
  c(v: number): Expr {
    return this.m.i32.const(v | 0);
  }
  add(a: Expr, b: Expr): Expr {
    return this.m.i32.add(a, b);
  }
  sub(a: Expr, b: Expr): Expr {
    return this.m.i32.sub(a, b);
  }
  and(a: Expr, b: Expr): Expr {
    return this.m.i32.and(a, b);
  }
  or(a: Expr, b: Expr): Expr {
    return this.m.i32.or(a, b);
  }
  xor(a: Expr, b: Expr): Expr {
    return this.m.i32.xor(a, b);
  }
  shl(a: Expr, b: Expr): Expr {
    return this.m.i32.shl(a, b);
  }
  shru(a: Expr, b: Expr): Expr {
    return this.m.i32.shr_u(a, b);
  }
  shrs(a: Expr, b: Expr): Expr {
    return this.m.i32.shr_s(a, b);
  }
  eq(a: Expr, b: Expr): Expr {
    return this.m.i32.eq(a, b);
  }
  not(a: Expr): Expr {
    return this.m.i32.xor(a, this.c(-1));
  }
  block(list: Expr[]): Expr {
    return this.m.block(null, list, this.b.none);
  }
  /** Bit (size - 1) of v, as 0/1; `size` is a constant or (runtime) the lazy size local. */
  msb(v: Expr, size: number | null): Expr {
    const shift = size === null ? this.sub(this.get(L_LSIZE), this.c(1)) : this.c(size - 1);
    return this.and(this.shru(v, shift), this.c(1));
  }

  // ------------------------------------------------------------------ lazy flags (flags.ts)

  /** CF of a lazy ADD or SUB from the locals (size: constant, or null for the runtime size). */
  private lazyCarry(sub: boolean, size: number | null): Expr {
    const a = this.get(L_LA), b = this.get(L_LB), r = this.get(L_LRES);
    const v = sub
      ? this.or(this.and(this.not(a), b), this.and(this.or(this.not(this.get(L_LA)), this.get(L_LB)), r))
      : this.or(this.and(a, b), this.and(this.or(this.get(L_LA), this.get(L_LB)), this.not(r)));
    return this.msb(v, size);
  }

  private lazyOverflow(sub: boolean, size: number | null): Expr {
    const a = this.get(L_LA), b = this.get(L_LB), r = this.get(L_LRES);
    const v = sub
      ? this.and(this.xor(a, b), this.xor(this.get(L_LA), r))
      : this.and(this.xor(a, r), this.xor(b, this.get(L_LRES)));
    return this.msb(v, size);
  }

  /** The value of one arithmetic flag as 0/1, given what is known about the lazy state. */
  flag(f: number, k: KnownFlags): Expr {
    const fromEflags = this.and(this.shru(this.get(L_EFLAGS), this.c(31 - Math.clz32(f))), this.c(1));
    if (k.known && (k.mask & f) === 0) return fromEflags;
    const size = k.known ? k.size : null;
    let lazy: Expr;
    switch (f) {
      case ZF: lazy = this.m.i32.eqz(this.get(L_LRES)); break;
      case SF: lazy = this.msb(this.get(L_LRES), size); break;
      case PF: lazy = this.xor(this.and(this.m.i32.popcnt(this.and(this.get(L_LRES), this.c(0xff))), this.c(1)), this.c(1)); break;
      case AF: lazy = this.byOp(k, this.and(this.shru(this.xor(this.xor(this.get(L_LA), this.get(L_LB)), this.get(L_LRES)), this.c(4)), this.c(1)), null); break;
      case CF: lazy = this.byOp(k, this.lazyCarry(false, size), this.lazyCarry(true, size)); break;
      default: lazy = this.byOp(k, this.lazyOverflow(false, size), this.lazyOverflow(true, size)); break; // OF
    }
    if (k.known) return lazy;
    return this.m.select(this.and(this.get(L_LMASK), this.c(f)), lazy, fromEflags);
  }

  /**
   * A flag that only ADD and SUB produce (CF, OF, AF; 0 after logic/result ops). `subExpr` null: the
   * same formula for both.
   */
  private byOp(k: KnownFlags, addExpr: Expr, subExpr: Expr | null): Expr {
    if (k.known) {
      if (k.op === LAZY_ADD) return addExpr;
      if (k.op === LAZY_SUB) return subExpr ?? addExpr;
      return this.c(0);
    }
    const op = this.get(L_LOP);
    if (subExpr === null) {
      return this.m.select(this.m.i32.or(this.eq(op, this.c(LAZY_ADD)), this.eq(this.get(L_LOP), this.c(LAZY_SUB))), addExpr, this.c(0));
    }
    return this.m.select(this.eq(op, this.c(LAZY_ADD)), addExpr, this.m.select(this.eq(this.get(L_LOP), this.c(LAZY_SUB)), subExpr, this.c(0)));
  }

  /** Condition code 0-15 (Jcc) as 0/1: flags.ts condition(), with shortcuts after a known CMP/SUB or logic op. */
  condition(cc: number, k: KnownFlags): Expr {
    const fast = this.knownCondition(cc >> 1, k);
    let r: Expr;
    if (fast !== null) r = fast;
    else {
      switch (cc >> 1) {
        case 0: r = this.flag(OF, k); break;
        case 1: r = this.flag(CF, k); break;
        case 2: r = this.flag(ZF, k); break;
        case 3: r = this.or(this.flag(CF, k), this.flag(ZF, k)); break;
        case 4: r = this.flag(SF, k); break;
        case 5: r = this.flag(PF, k); break;
        case 6: r = this.xor(this.flag(SF, k), this.flag(OF, k)); break;
        default: r = this.or(this.xor(this.flag(SF, k), this.flag(OF, k)), this.flag(ZF, k)); break;
      }
    }
    return cc & 1 ? this.m.i32.eqz(r) : r;
  }

  /** Direct compares when the last flag-setting instruction in the block is known to be CMP/SUB or a logic op. */
  private knownCondition(pair: number, k: KnownFlags): Expr | null {
    if (!k.known || k.mask !== ARITH || (k.size !== 8 && k.size !== 32)) return null;
    const shift = 32 - k.size;
    const signed = (v: Expr): Expr => (shift ? this.shl(v, this.c(shift)) : v);
    if (k.op === LAZY_SUB) {
      if (!k.compare) return null;
      const a = this.get(L_LA), b = this.get(L_LB);
      switch (pair) {
        case 1: return this.m.i32.lt_u(a, b);
        case 2: return this.eq(a, b);
        case 3: return this.m.i32.le_u(a, b);
        case 6: return this.m.i32.lt_s(signed(a), signed(b));
        case 7: return this.m.i32.le_s(signed(a), signed(b));
        default: return null;
      }
    }
    if (k.op === LAZY_LOGIC) {
      const r = signed(this.get(L_LRES));
      switch (pair) {
        case 0: case 1: return this.c(0);
        case 2: case 3: return this.m.i32.eqz(this.get(L_LRES));
        case 4: case 6: return this.m.i32.lt_s(r, this.c(0));
        case 7: return this.m.i32.le_s(r, this.c(0));
        default: return null;
      }
    }
    return null;
  }

  /** setLazy (flags.ts): all six flags lazy from op, result, operands and size. */
  setLazy(k: KnownFlags, op: number, result: Expr, a: Expr, b: Expr, size: number, compare = false): Expr[] {
    k.known = true;
    k.compare = compare;
    k.op = op;
    k.size = size;
    k.mask = ARITH;
    return [
      this.set(L_LA, a), this.set(L_LB, b), this.set(L_LRES, result),
      this.set(L_LOP, this.c(op)), this.set(L_LSIZE, this.c(size)), this.set(L_LMASK, this.c(ARITH)),
    ];
  }

  /** setLazyKeepCF (INC/DEC): CF resolved into EFLAGS first, then the other five lazy. `a` must be a local. */
  setLazyKeepCF(k: KnownFlags, op: number, result: Expr, a: Expr, size: number): Expr[] {
    const cf = this.set(L_EFLAGS, this.or(this.and(this.get(L_EFLAGS), this.c(~CF)), this.flag(CF, k)));
    k.known = true;
    k.compare = false;
    k.op = op;
    k.size = size;
    k.mask = ARITH & ~CF;
    return [
      cf, this.set(L_LA, a), this.set(L_LB, this.c(1)), this.set(L_LRES, result),
      this.set(L_LOP, this.c(op)), this.set(L_LSIZE, this.c(size)), this.set(L_LMASK, this.c(ARITH & ~CF)),
    ];
  }

  /**
   * setEager with eagerMask CF|OF|AF and szp (shifts, IMUL): those three written into EFLAGS, SF ZF PF
   * lazy from the result. No other lazy flag survives (the mask is a subset of the six), so nothing to resolve.
   */
  setEagerCOA(k: KnownFlags, eager: Expr, result: Expr, size: number): Expr[] {
    k.known = true;
    k.compare = false;
    k.op = LAZY_RESULT;
    k.size = size;
    k.mask = SF | ZF | PF;
    return [
      this.set(L_EFLAGS, this.or(this.and(this.get(L_EFLAGS), this.c(~(CF | OF | AF))), eager)),
      this.set(L_LRES, result), this.set(L_LOP, this.c(LAZY_RESULT)), this.set(L_LSIZE, this.c(size)), this.set(L_LMASK, this.c(SF | ZF | PF)),
    ];
  }

  /**
   * setEager without szp (rotates): every lazy flag resolved into EFLAGS (flags.ts materialize), then
   * `eagerMask` bits from `eager`; nothing lazy afterwards.
   */
  setEagerAll(k: KnownFlags, eagerMask: number, eager: Expr): Expr[] {
    const flags = [CF, PF, AF, ZF, SF, OF];
    let computed: Expr | null = null;
    for (const f of flags) {
      const bit = this.shl(this.flag(f, k), this.c(31 - Math.clz32(f)));
      computed = computed === null ? bit : this.or(computed, bit);
    }
    // EFLAGS = (EFLAGS & ~mask) | (computed & mask), as readFlags; computed from EFLAGS where a flag is not lazy.
    const resolved = this.or(this.and(this.get(L_EFLAGS), this.not(this.get(L_LMASK))), this.and(computed!, this.get(L_LMASK)));
    k.known = true;
    k.compare = false;
    k.mask = 0;
    return [
      this.set(L_EFLAGS, resolved),
      this.set(L_LMASK, this.c(0)),
      this.set(L_EFLAGS, this.or(this.and(this.get(L_EFLAGS), this.c(~eagerMask)), eager)),
    ];
  }

  // ------------------------------------------------------------------ memory through the TLB

  /**
   * The TLB fast-path test of cpu-base.ts rd32/wr32 for the linear address in L_LIN: true (non-zero) when
   * the access must leave the block (a miss, a slow page, or a page-crossing access). Leaves the physical
   * address in L_PHYS as a side effect of a separate statement (physStatement).
   */
  tlbMiss(size: number, write: boolean): Expr {
    const entry = this.m.i32.load(Layout.TLB, 4, this.shl(this.shru(this.get(L_LIN), this.c(12)), this.c(2)));
    const slow = this.m.i32.eqz(this.and(this.m.local.tee(L_PHYS, entry, this.i32), this.get(write ? L_FAST_WR : L_FAST_RD)));
    if (size === 1) return slow;
    return this.or(slow, this.m.i32.gt_u(this.and(this.get(L_LIN), this.c(0xfff)), this.c(0x1000 - size)));
  }

  /** L_PHYS (holding the TLB entry after tlbMiss) → the physical address of L_LIN. */
  physStatement(): Expr {
    return this.set(L_PHYS, this.or(this.and(this.get(L_PHYS), this.c(-4096)), this.and(this.get(L_LIN), this.c(0xfff))));
  }

  load(size: number, signed = false): Expr {
    const p = this.get(L_PHYS);
    if (size === 8) return signed ? this.m.i32.load8_s(Layout.RAM, 1, p) : this.m.i32.load8_u(Layout.RAM, 1, p);
    if (size === 16) return signed ? this.m.i32.load16_s(Layout.RAM, 1, p) : this.m.i32.load16_u(Layout.RAM, 1, p);
    return this.m.i32.load(Layout.RAM, 1, p);
  }

  store(size: number, v: Expr): Expr {
    const p = this.get(L_PHYS);
    if (size === 8) return this.m.i32.store8(Layout.RAM, 1, p, v);
    if (size === 16) return this.m.i32.store16(Layout.RAM, 1, p, v);
    return this.m.i32.store(Layout.RAM, 1, p, v);
  }
}
