/**
 * Data movement: FLD/FILD/FBLD of every memory format and of ST(i), FST/FSTP/FIST/FISTP/FISTTP/FBSTP,
 * FXCH, FCMOVcc, the constants, FFREE(P), FINCSTP/FDECSTP. Memory is read before anything changes and
 * written before the stack moves, so a faulting access leaves the FPU as it was.
 */
import {
  INDEFINITE_HI,
  INDEFINITE_SE,
  Rounding,
  fromF32,
  fromF64,
  fromI32,
  fromI64,
  loadBcd,
  loadConstant,
  storeBcd,
  toF32,
  toF64,
  toI16,
  toI32,
  toI64,
} from '../../x87/index.js';
import { C1, DE, type FpuBase, I16, I32, I64, IE, M32, M64, M80, OE, UE } from './fpu-base.js';
import { W_TOP, W_VALID } from './layout.js';

/** FLD m32/m64/m80, FILD m16/m32/m64, FBLD: push the operand converted to extended format. */
export function load(f: FpuBase, format: number): void {
  const host = f.host;
  const seg = f.seg;
  const c = f.c;
  // Read first (a fault leaves the FPU unchanged); v0 is the low or only word, v1 the next, v2 the last.
  let v0 = 0;
  let v1 = 0;
  let v2 = 0;
  switch (format) {
    case M32:
    case I32:
      v0 = host.read32(seg, f.offset);
      break;
    case I16:
      v0 = host.read16(seg, f.offset);
      break;
    case M64:
    case I64:
      v0 = host.read32(seg, f.offset);
      v1 = host.read32(seg, f.at(4));
      break;
    case M80:
      v0 = host.read32(seg, f.offset);
      v1 = host.read32(seg, f.at(4));
      v2 = host.read16(seg, f.at(8));
      break;
    default:
      f.readImage(0, 10); // BCD
  }
  if (!f.isEmpty(f.pushSlot())) {
    if (f.stackFault(true)) f.push(INDEFINITE_SE, INDEFINITE_HI, 0);
    return;
  }
  c.flags = 0;
  switch (format) {
    case M32:
      fromF32(c, v0 >>> 0);
      break;
    case I32:
      fromI32(c, v0 | 0);
      break;
    case I16:
      fromI32(c, (v0 << 16) >> 16);
      break;
    case M64:
      fromF64(c, v1 >>> 0, v0 >>> 0);
      break;
    case I64:
      fromI64(c, v1 >>> 0, v0 >>> 0);
      break;
    case M80:
      c.setResult(v2 & 0xffff, v1 >>> 0, v0 >>> 0); // loaded as is: no exception, even for an SNaN
      break;
    default:
      loadBcd(c, f.buf, 0);
  }
  if (!f.settle(c.flags, IE | DE)) return;
  f.push(c.se, c.hi, c.lo);
  f.setCC(0, C1);
}

/** FLD ST(i): push a copy (no exception for NaNs). */
export function loadRegister(f: FpuBase, i: number): void {
  const ps = f.phys(i);
  const overflow = !f.isEmpty(f.pushSlot());
  if (overflow || f.isEmpty(ps)) {
    if (f.stackFault(overflow)) f.push(INDEFINITE_SE, INDEFINITE_HI, 0);
    return;
  }
  f.push(f.se(ps), f.hi(ps), f.lo(ps));
  f.setCC(0, C1);
}

/** FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ (core/x87 Constant order), rounded under RC. */
export function loadConst(f: FpuBase, k: number): void {
  if (!f.isEmpty(f.pushSlot())) {
    if (f.stackFault(true)) f.push(INDEFINITE_SE, INDEFINITE_HI, 0);
    return;
  }
  loadConstant(f.c, k);
  f.push(f.c.se, f.c.hi, f.c.lo);
  f.setCC(0, C1);
}

/**
 * FST/FSTP m32/m64/m80, FIST/FISTP m16/m32/m64, FISTTP (truncate), FBSTP. A masked invalid operation
 * (empty ST(0), NaN or out-of-range integer) stores the format's indefinite; unmasked IE, OE or UE
 * store nothing and do not pop.
 */
export function store(f: FpuBase, format: number, pop: boolean, truncate: boolean): void {
  const c = f.c;
  const p = f.phys(0);
  if (f.isEmpty(p)) {
    const masked = (f.controlWord() & IE) !== 0;
    if (masked) writeIndefinite(f, format);
    f.stackFault(false);
    if (masked && pop) f.pop();
    return;
  }
  const se = f.se(p);
  const hi = f.hi(p);
  const lo = f.lo(p);
  c.flags = 0;
  if (truncate) c.rc = Rounding.ZERO;
  let v0 = 0;
  let v1 = 0;
  let tiny = false;
  switch (format) {
    case M32:
      v0 = toF32(c, se, hi, lo);
      tiny = (v0 & 0x7f800000) === 0 && (v0 & 0x7fffff) !== 0;
      break;
    case M64:
      toF64(c, se, hi, lo);
      v0 = c.lo;
      v1 = c.hi;
      tiny = (v1 & 0x7ff00000) === 0 && ((v1 & 0xfffff) | v0) !== 0;
      break;
    case I16:
      v0 = toI16(c, se, hi, lo);
      break;
    case I32:
      v0 = toI32(c, se, hi, lo);
      break;
    case I64:
      toI64(c, se, hi, lo);
      v0 = c.lo;
      v1 = c.hi;
      break;
    case M80:
      c.cc = 0; // stored as is: no exception
      break;
    default:
      storeBcd(c, se, hi, lo, f.buf, 0);
  }
  if (truncate) c.setControlWord(f.controlWord());
  let flags = c.flags;
  if (tiny && (f.controlWord() & UE) === 0) flags |= UE; // unmasked UE: tiny counts even when exact
  const blocking = IE | OE | UE;
  if ((flags & ~f.controlWord() & blocking) === 0) {
    const host = f.host;
    const seg = f.seg;
    switch (format) {
      case M32:
      case I32:
        host.write32(seg, f.offset, v0);
        break;
      case I16:
        host.write16(seg, f.offset, v0 & 0xffff);
        break;
      case M64:
      case I64:
        host.write32(seg, f.offset, v0);
        host.write32(seg, f.at(4), v1);
        break;
      case M80:
        host.write32(seg, f.offset, lo);
        host.write32(seg, f.at(4), hi);
        host.write16(seg, f.at(8), se);
        break;
      default:
        f.writeImage(0, 10);
    }
  }
  const cc = c.cc;
  if (!f.settle(flags, blocking)) return;
  f.setCC(cc, C1);
  if (pop) f.pop();
}

/** The masked response to storing an empty ST(0): the format's indefinite. */
function writeIndefinite(f: FpuBase, format: number): void {
  const host = f.host;
  const seg = f.seg;
  switch (format) {
    case M32:
      return host.write32(seg, f.offset, 0xffc00000);
    case M64:
      host.write32(seg, f.offset, 0);
      return host.write32(seg, f.at(4), 0xfff80000);
    case I16:
      return host.write16(seg, f.offset, 0x8000);
    case I32:
      return host.write32(seg, f.offset, 0x80000000);
    case I64:
      host.write32(seg, f.offset, 0);
      return host.write32(seg, f.at(4), 0x80000000);
    default:
      // m80 real and BCD share the indefinite's bytes: 00…00 C0 FF FF
      host.write32(seg, f.offset, 0);
      host.write32(seg, f.at(4), 0xc0000000);
      return host.write16(seg, f.at(8), 0xffff);
  }
}

/** FST/FSTP ST(i) (and the undocumented FSTP aliases D9 D8+i, DF D0+i, DF D8+i): a copy, no exception. */
export function storeRegister(f: FpuBase, i: number, pop: boolean): void {
  const p0 = f.phys(0);
  const pd = f.phys(i);
  if (f.isEmpty(p0)) {
    if (f.stackFault(false)) {
      f.writeIndefinite(pd);
      if (pop) f.pop();
    }
    return;
  }
  f.copy(p0, pd);
  f.setCC(0, C1);
  if (pop) f.pop();
}

/** FXCH ST(i): an empty side becomes the indefinite first (masked underflow), then the two swap. */
export function exchange(f: FpuBase, i: number): void {
  const p0 = f.phys(0);
  const pi = f.phys(i);
  const e0 = f.isEmpty(p0);
  const ei = f.isEmpty(pi);
  if (e0 || ei) {
    if (!f.stackFault(false)) return;
    if (e0) f.writeIndefinite(p0);
    if (ei) f.writeIndefinite(pi);
  } else f.setCC(0, C1);
  const se = f.se(p0);
  const hi = f.hi(p0);
  const lo = f.lo(p0);
  f.copy(pi, p0);
  f.write(pi, se, hi, lo);
}

const CF = 0x01;
const PF = 0x04;
const ZF = 0x40;
/** FCMOVB/E/BE/U (DA /0-/3) test these EFLAGS bits; DB /0-/3 are the negations. */
const CMOV_FLAGS = [CF, ZF, CF | ZF, PF];

/**
 * FCMOVcc ST(0), ST(i). An empty operand is a stack underflow whatever the condition (the operands are
 * checked before the move is decided); masked, ST(0) becomes the indefinite.
 */
export function conditionalMove(f: FpuBase, reg: number, negate: boolean, i: number): void {
  const p0 = f.phys(0);
  const pi = f.phys(i);
  if (f.isEmpty(p0) || f.isEmpty(pi)) {
    if (f.stackFault(false)) f.writeIndefinite(p0);
    return;
  }
  const taken = (f.host.flags() & CMOV_FLAGS[reg]) !== 0;
  if (taken !== negate) f.copy(pi, p0);
  f.setCC(0, C1);
}

/** FFREE ST(i) (DD C0+i), FFREEP ST(i) (DF C0+i, free then pop). */
export function free(f: FpuBase, i: number, pop: boolean): void {
  f.s[W_VALID] &= ~(1 << f.phys(i));
  if (pop) f.pop();
}

/** FINCSTP (+1) / FDECSTP (−1): TOP moves, tags stay. */
export function moveTop(f: FpuBase, delta: number): void {
  f.s[W_TOP] = (f.s[W_TOP] + delta) & 7;
  f.setCC(0, C1);
}

