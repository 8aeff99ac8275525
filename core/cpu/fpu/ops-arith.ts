/**
 * Arithmetic, comparisons and the one- and two-operand functions of ST(0): FADD FMUL FSUB(R) FDIV(R) in
 * every operand form, FCOM FCOMP FCOMPP FUCOM* FICOM* FTST FXAM FCOMI* FUCOMI*, FABS FCHS FSQRT FRNDINT
 * FSCALE FXTRACT FPREM FPREM1 and the transcendentals. Each follows the same x87 order: stack faults
 * first (masked response: the real indefinite), then the operation in core/x87, then the exception
 * rules of FpuBase.settle/deliver decide whether the result lands.
 */
import {
  CC_UNORDERED,
  EXP_BIAS,
  EXP_MASK,
  type F80Context,
  J_BIT,
  SIGN,
  add,
  compare,
  div,
  examine,
  f2xm1,
  fabs,
  fchs,
  fcos,
  fpatan,
  fprem,
  fprem1,
  fptan,
  fscale,
  fsin,
  fsincos,
  fxtract,
  fyl2x,
  fromI32,
  fyl2xp1,
  isNaNF80,
  mul,
  normalize,
  roundToInt,
  sqrt,
  sub,
} from '../../x87/index.js';
import { C0, C1, C2, C3, CC, DE, type FpuBase, IE, OE, UE, ZE } from './fpu-base.js';

/** Operation numbers: ModRM.reg of D8 (memory and register forms): a = destination, b = source. */
const ADD = 0;
const MUL = 1;
const SUB = 4; // a − b
const SUBR = 5; // b − a
const DIV = 6; // a / b
const DIVR = 7; // b / a

function compute(c: F80Context, k: number, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  switch (k) {
    case ADD:
      return add(c, aSE, aHi, aLo, bSE, bHi, bLo);
    case MUL:
      return mul(c, aSE, aHi, aLo, bSE, bHi, bLo);
    case SUB:
      return sub(c, aSE, aHi, aLo, bSE, bHi, bLo);
    case SUBR:
      return sub(c, bSE, bHi, bLo, aSE, aHi, aLo);
    case DIV:
      return div(c, aSE, aHi, aLo, bSE, bHi, bLo);
    default: // DIVR
      return div(c, bSE, bHi, bLo, aSE, aHi, aLo);
  }
}

/** D8/DA/DC/DE with a memory operand: ST(0) = ST(0) op m32real/m32int/m64real/m16int, or FCOM/FICOM(P). */
export function arithMemory(f: FpuBase, escape: number, reg: number): void {
  const c = f.c;
  c.flags = 0;
  f.loadOperand(escape); // the read comes first: a fault leaves everything as it was
  if (reg === 2 || reg === 3) {
    compareWith(f, f.mSE, f.mHi, f.mLo, false, reg - 2, false);
    return;
  }
  const p = f.phys(0);
  if (f.isEmpty(p)) {
    if (f.stackFault(false)) f.writeIndefinite(p);
    return;
  }
  deliverArith(f, p, reg, f.se(p), f.hi(p), f.lo(p), f.mSE, f.mHi, f.mLo);
}

/**
 * Register forms: D8 ST(0) = ST(0) op ST(i); DC ST(i) = ST(i) op ST(0); DE the same and pop. In DC/DE the
 * reversed and plain forms swap encodings (DC E8+i is FSUB ST(i),ST(0) = ST(i) − ST(0)), hence reg ^ 1.
 */
export function arithRegister(f: FpuBase, escape: number, reg: number, i: number): void {
  const c = f.c;
  const toTop = escape === 0;
  const pd = f.phys(toTop ? 0 : i);
  const ps = f.phys(toTop ? i : 0);
  const pop = escape === 6;
  if (f.isEmpty(pd) || f.isEmpty(ps)) {
    if (f.stackFault(false)) {
      f.writeIndefinite(pd);
      if (pop) f.pop();
    }
    return;
  }
  c.flags = 0;
  const k = toTop || reg < 4 ? reg : reg ^ 1;
  if (deliverArith(f, pd, k, f.se(pd), f.hi(pd), f.lo(pd), f.se(ps), f.hi(ps), f.lo(ps)) && pop) f.pop();
}

/** The 387's bias adjust: an unmasked overflow delivers the result × 2^−24576, an unmasked underflow × 2^24576. */
const WRAP = 0x6000;

/**
 * Compute a k b into physical register p (c.flags may hold the memory operand's conversion flags).
 * With OE or UE unmasked and raised, the register gets the correctly rounded result with its exponent
 * wrapped by ∓24576, which the masked computation cannot give: the operation runs again on operands
 * scaled into range, and the scale goes back onto the exponent.
 */
function deliverArith(f: FpuBase, p: number, k: number, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): boolean {
  const c = f.c;
  const before = c.flags;
  compute(c, k, aSE, aHi, aLo, bSE, bHi, bLo);
  const cw = f.controlWord();
  let flags = c.flags;
  if ((cw & UE) === 0 && (c.se & EXP_MASK) === 0 && (c.hi | c.lo) !== 0) flags |= UE;
  const wrap = flags & ~cw & (OE | UE);
  if (wrap === 0 || flags & ~cw & (IE | DE | ZE)) return f.deliver(p);
  c.flags = before;
  const delta = scaledCompute(c, k, aSE, aHi, aLo, bSE, bHi, bLo);
  const e = (c.se & EXP_MASK) + delta + (wrap & OE ? -WRAP : WRAP);
  if (e < 1 || e > 0x7ffe || c.hi < J_BIT) {
    c.flags = flags; // beyond even the wrapped range: the masked result
    return f.deliver(p);
  }
  f.record(c.flags | (flags & (OE | UE | DE))); // PE from the exact rounding; DE from the real operands
  f.write(p, (c.se & SIGN) | e, c.hi, c.lo);
  f.setCC(c.cc, C1);
  return true;
}

/**
 * a k b on copies of the (finite) operands with exponents moved near the bias, so the result is in
 * range and rounds exactly as with an unbounded exponent; returns what to add to its exponent.
 */
function scaledCompute(c: F80Context, k: number, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): number {
  const aZero = (aHi | aLo) === 0;
  const bZero = (bHi | bLo) === 0;
  let ae = 0;
  let be = 0;
  if (!aZero) {
    normalize(c, aSE, aHi, aLo);
    ae = c.nExp;
    aHi = c.nHi;
    aLo = c.nLo;
  }
  if (!bZero) {
    normalize(c, bSE, bHi, bLo);
    be = c.nExp;
    bHi = c.nHi;
    bLo = c.nLo;
  }
  let da: number;
  let db: number;
  if (k === MUL || k === DIV || k === DIVR) {
    da = ae - EXP_BIAS;
    db = be - EXP_BIAS;
  } else {
    // One shift for both keeps the sum exact; an operand pushed below the range is only sticky anyway.
    da = db = (aZero ? be : bZero ? ae : Math.max(ae, be)) - EXP_BIAS;
  }
  const aExp = aZero ? 0 : Math.max(ae - da, 1);
  const bExp = bZero ? 0 : Math.max(be - db, 1);
  compute(c, k, (aSE & SIGN) | aExp, aHi, aLo, (bSE & SIGN) | bExp, bHi, bLo);
  if (k === MUL) return da + db;
  if (k === DIV) return da - db;
  if (k === DIVR) return db - da;
  return da;
}

/**
 * Compare ST(0) with b (c.flags may already hold the operand's conversion exceptions). Sets C3 C2 C0 and
 * clears C1, or with `eflags` sets ZF PF CF (FCOMI) and clears C1; then pops `pops` times. Unmasked IE
 * or DE: nothing but the flags.
 */
export function compareWith(f: FpuBase, bSE: number, bHi: number, bLo: number, quiet: boolean, pops: number, eflags: boolean): void {
  const c = f.c;
  const p = f.phys(0);
  let cc: number;
  if (f.isEmpty(p)) {
    if (!f.stackFault(false)) return;
    cc = CC_UNORDERED;
  } else {
    cc = compare(c, f.se(p), f.hi(p), f.lo(p), bSE, bHi, bLo, quiet);
    if (!f.settle(c.flags, IE | DE)) return;
  }
  conclude(f, cc, pops, eflags);
}

/** FCOM, FCOMP, FCOMPP, FUCOM(P)(P), FCOMI(P), FUCOMI(P) with ST(i). */
export function compareRegister(f: FpuBase, i: number, quiet: boolean, pops: number, eflags: boolean): void {
  f.c.flags = 0;
  const p = f.phys(i);
  if (f.isEmpty(f.phys(0)) || f.isEmpty(p)) {
    if (f.stackFault(false)) conclude(f, CC_UNORDERED, pops, eflags);
    return;
  }
  compareWith(f, f.se(p), f.hi(p), f.lo(p), quiet, pops, eflags);
}

function conclude(f: FpuBase, cc: number, pops: number, eflags: boolean): void {
  if (eflags) {
    f.host.setFlags(cc & C3 ? 1 : 0, cc & C2 ? 1 : 0, cc & C0 ? 1 : 0);
    f.setCC(0, C1);
  } else f.setCC(cc, CC);
  for (; pops > 0; pops--) f.pop();
}

/** FTST: compare ST(0) with +0.0. */
export function ftst(f: FpuBase): void {
  f.c.flags = 0;
  compareWith(f, 0, 0, 0, false, 0, false);
}

/** FXAM: the class of ST(0) in C3 C2 C0 (empty = C3|C0), its sign in C1. Never an exception. */
export function fxam(f: FpuBase): void {
  const p = f.phys(0);
  const sign = f.se(p) & 0x8000 ? C1 : 0;
  if (f.isEmpty(p)) f.setCC(C3 | C0 | sign, CC);
  else f.setCC(examine(f.c, f.se(p), f.hi(p), f.lo(p)), CC);
}

// One-operand functions of ST(0), by D9 ModRM.
export const FCHS = 0xe0;
export const FABS = 0xe1;
export const F2XM1 = 0xf0;
export const FSQRT = 0xfa;
export const FRNDINT = 0xfc;
export const FSIN = 0xfe;
export const FCOS = 0xff;

/** ST(0) = fn(ST(0)). FSIN/FCOS leave an operand of magnitude ≥ 2^63 alone and set C2. */
export function unary(f: FpuBase, which: number): void {
  const c = f.c;
  const p = f.phys(0);
  if (f.isEmpty(p)) {
    if (f.stackFault(false)) f.writeIndefinite(p);
    return;
  }
  const se = f.se(p);
  const hi = f.hi(p);
  const lo = f.lo(p);
  c.flags = 0;
  switch (which) {
    case FCHS:
    case FABS:
      if (which === FCHS) fchs(c, se, hi, lo);
      else fabs(c, se, hi, lo);
      f.write(p, c.se, c.hi, c.lo); // sign changes only: no exception, NaNs included
      f.setCC(0, C1);
      return;
    case F2XM1:
      f2xm1(c, se, hi, lo);
      break;
    case FSQRT:
      sqrt(c, se, hi, lo);
      break;
    case FRNDINT:
      roundToInt(c, se, hi, lo);
      break;
    case FSIN:
    case FCOS:
      if (which === FSIN) fsin(c, se, hi, lo);
      else fcos(c, se, hi, lo);
      if (c.cc & C2) {
        f.setCC(C2, C1 | C2);
        return;
      }
      if (f.deliver(p)) f.setCC(0, C2);
      return;
  }
  f.deliver(p);
}

// Functions of ST(0) and ST(1), by D9 ModRM.
export const FYL2X = 0xf1;
export const FPATAN = 0xf3;
export const FPREM1 = 0xf5;
export const FPREM = 0xf8;
export const FYL2XP1 = 0xf9;
export const FSCALE = 0xfd;

/**
 * FPREM FPREM1 FSCALE: ST(0) = fn(ST(0), ST(1)). FYL2X FYL2XP1 FPATAN: ST(1) = fn(ST(0), ST(1)), then pop.
 * FPREM/FPREM1 report C2 (incomplete) and the quotient's low bits in C0 C3 C1.
 */
export function binary(f: FpuBase, which: number): void {
  const c = f.c;
  const p0 = f.phys(0);
  const p1 = f.phys(1);
  const toST1 = which === FYL2X || which === FYL2XP1 || which === FPATAN;
  const pd = toST1 ? p1 : p0;
  if (f.isEmpty(p0) || f.isEmpty(p1)) {
    if (f.stackFault(false)) {
      f.writeIndefinite(pd);
      if (toST1) f.pop();
    }
    return;
  }
  const aSE = f.se(p0);
  const aHi = f.hi(p0);
  const aLo = f.lo(p0);
  const bSE = f.se(p1);
  const bHi = f.hi(p1);
  const bLo = f.lo(p1);
  c.flags = 0;
  switch (which) {
    case FPREM:
    case FPREM1:
      if (which === FPREM) fprem(c, aSE, aHi, aLo, bSE, bHi, bLo);
      else fprem1(c, aSE, aHi, aLo, bSE, bHi, bLo);
      if (f.deliver(p0)) f.setCC(c.cc, CC);
      return;
    case FSCALE:
      fscale(c, aSE, aHi, aLo, bSE, bHi, bLo);
      wrapScale(f, aSE, aHi, aLo, bSE, bHi, bLo);
      break;
    case FYL2X:
      fyl2x(c, aSE, aHi, aLo, bSE, bHi, bLo);
      break;
    case FYL2XP1:
      fyl2xp1(c, aSE, aHi, aLo, bSE, bHi, bLo);
      break;
    default:
      fpatan(c, aSE, aHi, aLo, bSE, bHi, bLo);
  }
  if (f.deliver(pd) && toST1) f.pop();
}

/**
 * FSCALE with OE or UE unmasked and raised: scale again by trunc(ST(1)) ∓ 24576, the wrapped result
 * (left in c with the flags of the first try). Beyond even that range the masked result stays.
 */
function wrapScale(f: FpuBase, aSE: number, aHi: number, aLo: number, bSE: number, bHi: number, bLo: number): void {
  const c = f.c;
  const cw = f.controlWord();
  let flags = c.flags;
  if ((cw & UE) === 0 && (c.se & EXP_MASK) === 0 && (c.hi | c.lo) !== 0) flags |= UE; // tiny, even if exact
  const wrap = flags & ~cw & (OE | UE);
  if (wrap === 0 || flags & ~cw & (IE | DE | ZE)) return;
  const e = (bSE & EXP_MASK) - EXP_BIAS;
  const n = e < 0 ? 0 : e >= 20 ? 1 << 20 : bHi >>> (31 - e); // |trunc(ST(1))|, saturated far out of range
  fromI32(c, (bSE & SIGN ? -n : n) + (wrap & OE ? -WRAP : WRAP));
  c.flags = 0;
  fscale(c, aSE, aHi, aLo, c.se, c.hi, c.lo);
  if (c.flags & (OE | UE)) {
    fscale(c, aSE, aHi, aLo, bSE, bHi, bLo); // still out of range: the masked result
    c.flags = flags;
    return;
  }
  c.flags |= flags & (OE | UE);
}

// Functions that replace ST(0) and push a second result, by D9 ModRM.
export const FPTAN = 0xf2;
export const FXTRACT = 0xf4;
export const FSINCOS = 0xfb;

/**
 * FPTAN (ST(0) = tan, push 1), FSINCOS (ST(0) = sin, push cos), FXTRACT (ST(0) = exponent, push the
 * significand). Stack faults (ST(0) empty, or ST(7) full so the push would overflow) put the indefinite
 * in both places when masked. FPTAN/FSINCOS with |x| ≥ 2^63 only set C2.
 */
export function twoResults(f: FpuBase, which: number): void {
  const c = f.c;
  const p = f.phys(0);
  const empty = f.isEmpty(p);
  if (empty || !f.isEmpty(f.pushSlot())) {
    if (f.stackFault(!empty)) {
      f.writeIndefinite(p);
      f.push(0xffff, 0xc0000000, 0);
    }
    return;
  }
  const se = f.se(p);
  const hi = f.hi(p);
  const lo = f.lo(p);
  c.flags = 0;
  if (which === FXTRACT) fxtract(c, se, hi, lo);
  else {
    if (which === FPTAN) fptan(c, se, hi, lo);
    else fsincos(c, se, hi, lo);
    if (c.cc & C2) {
      f.setCC(C2, C1 | C2);
      return;
    }
  }
  // The second result first, while c still holds both.
  let pSE: number, pHi: number, pLo: number;
  if (which === FXTRACT) {
    pSE = c.se;
    pHi = c.hi;
    pLo = c.lo;
    c.se = c.se2;
    c.hi = c.hi2;
    c.lo = c.lo2;
  } else if (which === FSINCOS) {
    pSE = c.se2;
    pHi = c.hi2;
    pLo = c.lo2;
  } else if (isNaNF80(c.se, c.hi, c.lo)) {
    pSE = c.se; // tan of a NaN or ∞: the NaN goes to both places
    pHi = c.hi;
    pLo = c.lo;
  } else {
    pSE = 0x3fff; // FPTAN pushes +1.0
    pHi = J_BIT;
    pLo = 0;
  }
  if (!f.deliver(p)) return;
  f.push(pSE, pHi, pLo);
  if (which !== FXTRACT) f.setCC(0, C2);
}
