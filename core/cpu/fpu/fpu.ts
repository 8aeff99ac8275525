/**
 * The x87 unit of a P6: decodes the escape opcodes D8-DF onto the instruction families.
 *
 * Per instruction: an invalid encoding is #UD (host.undefinedOpcode) before anything else; a waiting
 * instruction with an unmasked exception pending (ES) calls host.raiseMathFault first; then the
 * instruction runs; a non-control instruction that completed records FCS:FIP, FOP and (memory forms)
 * FDS:FDP. #NM (CR0.EM/TS) is the CPU's check before it calls escape().
 *
 * Encodings the manuals leave out, as a P6 runs them (all documented aliases of a neighbour):
 *   D9 D8+i FSTP ST(i)     DC D0+i FCOM ST(i)    DC D8+i FCOMP ST(i)    DD C8+i FXCH ST(i)
 *   DE D0+i FCOMP ST(i)    DF C0+i FFREEP ST(i)  DF C8+i FXCH ST(i)     DF D0+i, DF D8+i FSTP ST(i)
 *   DB E0 FNENI, DB E1 FNDISI, DB E4 FNSETPM: no operation (8087/287 leftovers), non-waiting.
 * #UD: D9 D1-D7, D9 E2 E3 E6 E7, D9 EF; DA C0-FF except FCMOVcc and DA E9; DB E5-E7, DB F8-FF;
 * DD F0-FF; DE D8-DF except DE D9; DF E1-E7, DF F8-FF; memory forms D9 /1, DB /4, DB /6, DD /5, and
 * the SSE3 FISTTP forms DB /1, DD /1, DF /1 unless FpuOptions.fisttp.
 */
import { Constant } from '../../x87/index.js';
import { BCD, ES, FpuBase, type FpuOptions, I16, I32, I64, M32, M64, M80 } from './fpu-base.js';
import type { FpuHost } from './host.js';
import {
  F2XM1,
  FCOS,
  FPATAN,
  FPREM,
  FPREM1,
  FPTAN,
  FRNDINT,
  FSCALE,
  FSIN,
  FSINCOS,
  FSQRT,
  FXTRACT,
  FYL2X,
  FYL2XP1,
  arithMemory,
  arithRegister,
  binary,
  compareRegister,
  ftst,
  fxam,
  twoResults,
  unary,
} from './ops-arith.js';
import {
  clearExceptions,
  fxrstor,
  fxsave,
  initialize,
  loadControlWord,
  loadEnvironment,
  powerOn,
  restore,
  save,
  storeControlWord,
  storeEnvironment,
  storeStatusWord,
} from './ops-control.js';
import { conditionalMove, exchange, free, load, loadConst, loadRegister, moveTop, store, storeRegister } from './ops-move.js';
import { W_SW } from './layout.js';

// Instruction classes, indexed by (escape & 7) << 8 | ModRM.
const INVALID = 0;
/** Waits for pending exceptions and records the pointers. */
const NORMAL = 1;
/** Waits, but leaves the pointers alone (FLDCW, FLDENV, FRSTOR). */
const CONTROL = 2;
/** Neither waits nor records (FNSTCW, FNSTSW, FNSTENV, FNSAVE, FNCLEX, FNINIT, FNENI, FNDISI, FNSETPM). */
const NO_WAIT = 3;
/** FISTTP: NORMAL when enabled, else INVALID. */
const SSE3 = 4;

function buildClasses(): Uint8Array {
  const k = new Uint8Array(8 * 256);
  const mem = (esc: number, reg: number, cls: number): void => {
    for (let mod = 0; mod < 3; mod++) for (let rm = 0; rm < 8; rm++) k[(esc << 8) | (mod << 6) | (reg << 3) | rm] = cls;
  };
  const regs = (esc: number, first: number, count: number, cls: number): void => {
    for (let m = first; m < first + count; m++) k[(esc << 8) | m] = cls;
  };
  for (let esc = 0; esc < 8; esc++) for (let reg = 0; reg < 8; reg++) mem(esc, reg, NORMAL);
  mem(1, 1, INVALID);
  mem(1, 4, CONTROL); // FLDENV
  mem(1, 5, CONTROL); // FLDCW
  mem(1, 6, NO_WAIT); // FNSTENV
  mem(1, 7, NO_WAIT); // FNSTCW
  mem(3, 1, SSE3);
  mem(3, 4, INVALID);
  mem(3, 6, INVALID);
  mem(5, 1, SSE3);
  mem(5, 4, CONTROL); // FRSTOR
  mem(5, 5, INVALID);
  mem(5, 6, NO_WAIT); // FNSAVE
  mem(5, 7, NO_WAIT); // FNSTSW m16
  mem(7, 1, SSE3);
  regs(0, 0xc0, 64, NORMAL);
  regs(1, 0xc0, 16, NORMAL); // FLD, FXCH
  regs(1, 0xd0, 1, NORMAL); // FNOP
  regs(1, 0xd8, 8, NORMAL); // FSTP alias
  regs(1, 0xe0, 2, NORMAL); // FCHS FABS
  regs(1, 0xe4, 2, NORMAL); // FTST FXAM
  regs(1, 0xe8, 7, NORMAL); // constants
  regs(1, 0xf0, 16, NORMAL); // transcendentals and friends
  regs(2, 0xc0, 32, NORMAL); // FCMOVcc
  regs(2, 0xe9, 1, NORMAL); // FUCOMPP
  regs(3, 0xc0, 32, NORMAL); // FCMOVNcc
  regs(3, 0xe0, 5, NO_WAIT); // FNENI FNDISI FNCLEX FNINIT FNSETPM
  regs(3, 0xe8, 16, NORMAL); // FUCOMI FCOMI
  regs(4, 0xc0, 64, NORMAL);
  regs(5, 0xc0, 48, NORMAL); // FFREE FXCH FST FSTP FUCOM FUCOMP
  regs(6, 0xc0, 24, NORMAL);
  regs(6, 0xd9, 1, NORMAL); // FCOMPP
  regs(6, 0xe0, 32, NORMAL);
  regs(7, 0xc0, 32, NORMAL); // FFREEP FXCH FSTP FSTP
  regs(7, 0xe0, 1, NO_WAIT); // FNSTSW AX
  regs(7, 0xe8, 16, NORMAL); // FUCOMIP FCOMIP
  return k;
}

/** Read-only after construction. */
const CLASSES = buildClasses();

/** D9 E8..EE: FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ. */
const CONSTANTS = [Constant.ONE, Constant.L2T, Constant.L2E, Constant.PI, Constant.LG2, Constant.LN2, Constant.ZERO];

export class Fpu extends FpuBase {
  constructor(memory: WebAssembly.Memory, host: FpuHost, options: FpuOptions = {}) {
    super(memory, host, options);
  }

  /** Power-on: the FNINIT state (control 037Fh, status 0, all tags empty) with every register +0.0. */
  reset(): void {
    powerOn(this);
  }

  /**
   * One x87 instruction: escape opcode D8..DF, its ModRM byte; memory forms give the operand's segment
   * register (0..5) and effective offset, register forms offset -1.
   */
  escape(opcode: number, modrm: number, seg: number, offset: number): void {
    const esc = opcode & 7;
    let cls = CLASSES[(esc << 8) | modrm];
    if (cls === SSE3) cls = this.fisttp ? NORMAL : INVALID;
    if (cls === INVALID) {
      this.host.undefinedOpcode();
      return;
    }
    if (cls !== NO_WAIT && this.s[W_SW] & ES) this.host.raiseMathFault();
    this.syncControl();
    this.seg = seg;
    this.offset = offset;
    const reg = (modrm >> 3) & 7;
    if (modrm >= 0xc0) this.registerForm(esc, reg, modrm);
    else this.memoryForm(esc, reg);
    if (cls === NORMAL) this.notePointers(esc, modrm);
  }

  /** FWAIT: deliver a pending unmasked exception. */
  wait(): void {
    if (this.s[W_SW] & ES) this.host.raiseMathFault();
  }

  /** FXSAVE m512 (0F AE /0). Alignment (#GP) and CR4.OSFXSR are the CPU's checks. */
  fxsave(seg: number, offset: number): void {
    fxsave(this, seg, offset);
  }

  /** FXRSTOR m512 (0F AE /1): the x87 part. */
  fxrstor(seg: number, offset: number): void {
    this.syncControl();
    fxrstor(this, seg, offset);
  }

  private memoryForm(esc: number, reg: number): void {
    switch (esc) {
      case 0:
      case 2:
      case 4:
      case 6:
        return arithMemory(this, esc, reg);
      case 1:
        switch (reg) {
          case 0:
            return load(this, M32);
          case 2:
          case 3:
            return store(this, M32, reg === 3, false);
          case 4:
            return loadEnvironment(this);
          case 5:
            return loadControlWord(this);
          case 6:
            return storeEnvironment(this);
          default:
            return storeControlWord(this);
        }
      case 3:
        if (reg === 0) return load(this, I32);
        if (reg === 5) return load(this, M80);
        if (reg === 7) return store(this, M80, true, false);
        return store(this, I32, reg !== 2, reg === 1);
      case 5:
        switch (reg) {
          case 0:
            return load(this, M64);
          case 1:
            return store(this, I64, true, true);
          case 2:
          case 3:
            return store(this, M64, reg === 3, false);
          case 4:
            return restore(this);
          case 6:
            return save(this);
          default:
            return storeStatusWord(this, false);
        }
      default:
        switch (reg) {
          case 0:
            return load(this, I16);
          case 1:
          case 2:
          case 3:
            return store(this, I16, reg !== 2, reg === 1);
          case 4:
            return load(this, BCD);
          case 5:
            return load(this, I64);
          case 6:
            return store(this, BCD, true, false);
          default:
            return store(this, I64, true, false);
        }
    }
  }

  private registerForm(esc: number, reg: number, modrm: number): void {
    const i = modrm & 7;
    switch (esc) {
      case 0:
      case 4:
      case 6:
        if (reg === 2) return compareRegister(this, i, false, esc === 6 ? 1 : 0, false); // DE D0+i is FCOMP
        if (reg === 3) return compareRegister(this, i, false, esc === 6 ? 2 : 1, false); // DE D9 FCOMPP
        return arithRegister(this, esc, reg, i);
      case 1:
        return this.d9Register(reg, modrm);
      case 2:
        if (reg < 4) return conditionalMove(this, reg, false, i);
        return compareRegister(this, 1, true, 2, false); // DA E9 FUCOMPP
      case 3:
        if (reg < 4) return conditionalMove(this, reg, true, i);
        if (reg === 4) {
          if (modrm === 0xe2) clearExceptions(this);
          else if (modrm === 0xe3) initialize(this);
          return; // FNENI FNDISI FNSETPM
        }
        return compareRegister(this, i, reg === 5, 0, true); // FUCOMI, FCOMI
      case 5:
        switch (reg) {
          case 0:
            return free(this, i, false);
          case 1:
            return exchange(this, i);
          case 2:
          case 3:
            return storeRegister(this, i, reg === 3);
          default:
            return compareRegister(this, i, true, reg - 4, false); // FUCOM, FUCOMP
        }
      default:
        switch (reg) {
          case 0:
            return free(this, i, true);
          case 1:
            return exchange(this, i);
          case 2:
          case 3:
            return storeRegister(this, i, true);
          case 4:
            return storeStatusWord(this, true);
          default:
            return compareRegister(this, i, reg === 5, 1, true); // FUCOMIP, FCOMIP
        }
    }
  }

  private d9Register(reg: number, modrm: number): void {
    const i = modrm & 7;
    switch (reg) {
      case 0:
        return loadRegister(this, i);
      case 1:
        return exchange(this, i);
      case 2:
        return; // FNOP
      case 3:
        return storeRegister(this, i, true);
      case 4:
        if (modrm === 0xe4) return ftst(this);
        if (modrm === 0xe5) return fxam(this);
        return unary(this, modrm); // FCHS, FABS
      case 5:
        return loadConst(this, CONSTANTS[i]);
    }
    switch (modrm) {
      case F2XM1:
      case FSQRT:
      case FRNDINT:
      case FSIN:
      case FCOS:
        return unary(this, modrm);
      case FYL2X:
      case FYL2XP1:
      case FPATAN:
      case FPREM:
      case FPREM1:
      case FSCALE:
        return binary(this, modrm);
      case FPTAN:
      case FSINCOS:
      case FXTRACT:
        return twoResults(this, modrm);
      case 0xf6:
        return moveTop(this, -1); // FDECSTP
      default:
        return moveTop(this, 1); // FINCSTP (F7)
    }
  }
}
