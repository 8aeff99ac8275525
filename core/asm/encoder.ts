/**
 * Encodes one instruction: picks the forms of the table whose operand kinds match what was written, encodes
 * each, and keeps the shortest. Range-dependent choices (imm8 sign-extended, short jumps, the constant 1 of
 * shifts, disp8) are "selectors": once a pass sees one that does not fit, the statement remembers it, so
 * that sizes only grow from pass to pass and label resolution converges.
 */
import type { Expr } from './expr.js';
import { FORMS, SEGMENT_PREFIX, type Form, type OperandKind } from './forms.js';
import { AsmError } from './lexer.js';
import { type Operand, sizeName } from './operands.js';
import type { Register } from './registers.js';

/** A value of an expression in the current pass; `known` is false for forward references not yet seen. */
export interface Value {
  v: number;
  known: boolean;
}

export interface Instruction {
  mnemonic: string;
  /** Prefix bytes written as words (rep, lock, es …), in order. */
  prefixes: number[];
  /** o16/o32 and a16/a32 written as prefixes; 0 when not written. */
  osize: 0 | 16 | 32;
  asize: 0 | 16 | 32;
  operands: Operand[];
  /** Sticky choices across passes (see above). */
  rejected: Set<number>;
  dispMin: number;
}

export interface EncodeResult {
  bytes: number[];
  /** Set when the chosen encoding cannot hold a value (reported once the labels are stable). */
  rangeError?: string;
  /** True when a sticky choice changed in this call (the assembler then runs another pass). */
  grew: boolean;
}

interface Match {
  index: number;
  form: Form;
  /** Operand size in bits for v-sized kinds; 0 when the form has none. */
  v: 0 | 16 | 32;
}

/** Memory operand sizes a form would use for an unsized memory operand: ambiguity means "size not specified". */
type MemSize = 0 | 1 | 2 | 4 | 'v';

export function encodeInstruction(insn: Instruction, bits: 16 | 32, here: number, value: (e: Expr) => Value): EncodeResult {
  const forms = FORMS.get(insn.mnemonic);
  if (!forms) throw new AsmError(`unknown instruction '${insn.mnemonic}'`);
  const matches: Match[] = [];
  const unsizedMem = new Set<MemSize>();
  let sizeMissing = false;
  forms.forEach((form, index) => {
    const r = matchForm(form, insn, bits);
    if (r === 'size') sizeMissing = true;
    if (r === 'size' || (typeof r === 'object' && r.memUnsized)) unsizedMem.add(r === 'size' ? 'v' : r.memSize);
    if (typeof r === 'object') matches.push({ index, form, v: r.v });
  });
  if (matches.length === 0) {
    throw new AsmError(sizeMissing ? 'operation size not specified' : `invalid combination of operands for '${insn.mnemonic}'`);
  }
  if (unsizedMem.size > 1) throw new AsmError(`operation size not specified: write byte, word or dword before the memory operand`);

  let best: { bytes: number[]; rangeError?: string } | undefined;
  let fallback: { bytes: number[]; rangeError?: string } | undefined;
  let grew = false;
  for (const m of matches) {
    const out = emit(m, insn, bits, here, value);
    grew ||= out.grew;
    if (!out.fits || insn.rejected.has(m.index)) {
      if (!out.fits && !insn.rejected.has(m.index)) {
        insn.rejected.add(m.index);
        grew = true;
      }
      fallback ??= { bytes: out.bytes, rangeError: out.rangeError ?? out.selectorError };
      continue;
    }
    if (!best || out.bytes.length < best.bytes.length) best = out;
  }
  const chosen = best ?? fallback!;
  return { bytes: chosen.bytes, rangeError: chosen.rangeError, grew };
}

type MatchResult = false | 'size' | { v: 0 | 16 | 32; memUnsized: boolean; memSize: MemSize };

function matchForm(form: Form, insn: Instruction, bits: 16 | 32): MatchResult {
  const ops = insn.operands;
  if (ops.length !== form.ops.length) return false;
  let v = 0;
  let memUnsized = false;
  let memSize: MemSize = 0;
  // Pins the v size; false when two operands disagree.
  const pin = (size: number) => {
    if (size !== 2 && size !== 4) return false;
    if (v && v !== size) return false;
    v = size;
    return true;
  };
  for (let i = 0; i < ops.length; i++) {
    const kind = form.ops[i];
    const op = ops[i];
    switch (kind.cls) {
      case 'E':
      case 'O':
      case 'M':
      case 'Mf':
      case 'Mp':
        if (op.k === 'reg' && kind.cls === 'E') {
          if (!generalOfSize(op.reg, kind, pin)) return false;
          break;
        }
        if (op.k !== 'mem') return false;
        if (kind.cls === 'Mf' ? op.dist !== 'far' : op.dist === 'far' && kind.cls !== 'Mp') return false;
        if (kind.cls === 'O' && op.addr.regs.length) return false;
        if (kind.cls === 'E' || kind.cls === 'O') {
          if (op.size === 0) {
            memUnsized = true;
            memSize = kind.size;
          } else if (kind.size === 'v' ? !pin(op.size) : op.size !== kind.size) return false;
        }
        break;
      case 'G':
      case 'R':
      case 'Z':
        if (op.k !== 'reg' || !generalOfSize(op.reg, kind, pin)) return false;
        break;
      case 'S':
      case 'C':
      case 'D':
        if (op.k !== 'reg' || op.reg.kind !== { S: 'sreg', C: 'cr', D: 'dr' }[kind.cls]) return false;
        break;
      case 'fixed':
        if (op.k !== 'reg') return false;
        if (kind.reg === 'eax') {
          if (op.reg.num !== 0 || (op.reg.kind !== 'r16' && op.reg.kind !== 'r32') || !pin(op.reg.size)) return false;
        } else if (op.reg.name !== kind.reg) return false;
        break;
      case 'I':
      case 'Ibs':
      case 'one':
        if (op.k !== 'imm' || op.dist) return false;
        if (op.size) {
          const byteOk = kind.cls !== 'I' || kind.size === 1;
          if (op.size === 1 ? !byteOk : kind.size === 'v' || kind.cls === 'Ibs' ? !pin(op.size) : op.size !== kind.size) return false;
        }
        break;
      case 'J':
        if (op.k !== 'imm') return false;
        if (op.dist === 'far' || (op.dist === 'short' && kind.size !== 1) || (op.dist === 'near' && kind.size === 1)) return false;
        if (op.size && (kind.size === 1 || !pin(op.size))) return false;
        break;
      case 'A':
        if (op.k !== 'ptr') return false;
        if (op.size && !pin(op.size)) return false;
        break;
    }
  }
  if (form.sized && !v) {
    if (insn.osize) v = insn.osize / 8;
    else if (form.defaultSize) v = bits / 8;
    else return 'size';
  }
  return { v: form.sized ? ((v * 8) as 16 | 32) : 0, memUnsized, memSize };
}

function generalOfSize(reg: Register, kind: OperandKind, pin: (size: number) => boolean): boolean {
  if (reg.kind !== 'r8' && reg.kind !== 'r16' && reg.kind !== 'r32') return false;
  return kind.size === 'v' ? reg.kind !== 'r8' && pin(reg.size) : reg.size === kind.size;
}

interface Emitted {
  bytes: number[];
  /** False when a selector's value does not fit this form (another form must be used). */
  fits: boolean;
  grew: boolean;
  rangeError?: string;
  selectorError?: string;
}

function emit(m: Match, insn: Instruction, bits: 16 | 32, here: number, value: (e: Expr) => Value): Emitted {
  const { form, v } = m;
  const ops = insn.operands;
  const out: Emitted = { bytes: [], fits: true, grew: false };
  const range = (msg: string) => void (out.rangeError ??= msg);
  const bytes = out.bytes;
  bytes.push(...insn.prefixes);

  const memIndex = ops.findIndex((o) => o.k === 'mem');
  const mem = memIndex >= 0 ? (ops[memIndex] as Extract<Operand, { k: 'mem' }>) : undefined;
  if (mem?.seg) bytes.push(SEGMENT_PREFIX[mem.seg.num]);

  const osize = form.osize || (form.sized ? v : insn.osize);
  if (osize && osize !== bits) bytes.push(0x66);
  const asize = form.asize || (mem ? addressSize(mem.addr.regs, insn.asize || bits) : insn.asize);
  if (asize && asize !== bits) bytes.push(0x67);

  const opcode = [...form.opcode];
  if (form.plusReg) {
    const z = ops[form.ops.findIndex((k) => k.cls === 'Z')];
    opcode[opcode.length - 1] += (z as Extract<Operand, { k: 'reg' }>).reg.num;
  }
  bytes.push(...opcode);

  // ModRM, SIB and displacement.
  let dispBytes: number[] = [];
  if (form.modrm >= 0) {
    let regField = form.modrm;
    let rmOp: Operand | undefined;
    form.ops.forEach((kind, i) => {
      if (form.modrm === 8 && (kind.cls === 'G' || kind.cls === 'S' || kind.cls === 'C' || kind.cls === 'D')) regField = (ops[i] as Extract<Operand, { k: 'reg' }>).reg.num;
      if (kind.cls === 'E' || kind.cls === 'R' || kind.cls === 'M' || kind.cls === 'Mf' || kind.cls === 'Mp') rmOp = ops[i];
    });
    if (form.dup) rmOp = ops[0];
    if (!rmOp) throw new Error(`asm forms: ${form.mnemonic} has ModRM but no r/m operand`);
    if (rmOp.k === 'reg') bytes.push(0xc0 | (regField << 3) | rmOp.reg.num);
    else if (rmOp.k === 'mem') {
      const enc = encodeAddress(rmOp, regField, asize as 16 | 32, insn, value);
      out.grew ||= enc.grew;
      if (enc.rangeError) range(enc.rangeError);
      bytes.push(...enc.modrm);
      dispBytes = enc.disp;
    }
  }
  bytes.push(...dispBytes);

  // Immediates, in operand order; jump targets need the full length first.
  const immSizes = form.ops.map((kind) => immediateSize(kind, v, asize as 16 | 32));
  const length = bytes.length + immSizes.reduce((a, b) => a + b, 0);
  form.ops.forEach((kind, i) => {
    const op = ops[i];
    const size = immSizes[i];
    if (kind.cls === 'I' || kind.cls === 'Ibs' || kind.cls === 'one') {
      const val = value((op as Extract<Operand, { k: 'imm' }>).expr);
      if (kind.cls === 'one') {
        if (val.known && val.v !== 1) fail(out, 'the shift count is not 1');
        return;
      }
      if (kind.cls === 'Ibs') {
        if (val.known && !fitsSigned8(val.v, v)) fail(out, `value ${val.v} does not fit in a signed byte`);
      } else checkRange(val.v, size, range);
      pushLE(bytes, val.v, size);
    } else if (kind.cls === 'J') {
      const val = value((op as Extract<Operand, { k: 'imm' }>).expr);
      const rel = val.v - (here + length);
      if (size === 1 && val.known && (rel < -128 || rel > 127)) fail(out, `jump target is ${rel} bytes away, too far for a short jump`);
      pushLE(bytes, rel, size);
    } else if (kind.cls === 'A') {
      const ptr = op as Extract<Operand, { k: 'ptr' }>;
      const off = value(ptr.off).v;
      const seg = value(ptr.seg).v;
      checkRange(off, v / 8, range);
      checkRange(seg, 2, range);
      pushLE(bytes, off, v / 8);
      pushLE(bytes, seg, 2);
    } else if (kind.cls === 'O') {
      const disp = (op as Extract<Operand, { k: 'mem' }>).addr.disp;
      const off = disp ? value(disp).v : 0;
      checkRange(off, size, range);
      pushLE(bytes, off, size);
    }
  });
  return out;
}

function fail(out: Emitted, message: string): void {
  out.fits = false;
  out.selectorError ??= message;
}

function immediateSize(kind: OperandKind, v: number, asize: 16 | 32): number {
  switch (kind.cls) {
    case 'I':
    case 'J':
      return kind.size === 'v' ? v / 8 : (kind.size as number);
    case 'Ibs':
      return 1;
    case 'A':
      return v / 8 + 2;
    case 'O':
      return asize / 8;
    default:
      return 0;
  }
}

function fitsSigned8(value: number, vBits: number): boolean {
  const mask = vBits === 32 ? 0xffffffff : 0xffff;
  const x = value & mask;
  if (value < -(mask + 1) / 2 || value > mask) return false;
  const signed = x > mask / 2 ? x - mask - 1 : x;
  return signed >= -128 && signed <= 127;
}

function checkRange(value: number, size: number, range: (msg: string) => void): void {
  const limit = 2 ** (size * 8);
  if (value < -limit / 2 || value >= limit) range(`value ${value} does not fit in a ${sizeName(size)}`);
}

function pushLE(bytes: number[], value: number, size: number): void {
  for (let i = 0; i < size; i++) bytes.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
}

function addressSize(regs: { reg: Register }[], fallback: 16 | 32): 16 | 32 {
  if (regs.length === 0) return fallback;
  const kinds = new Set(regs.map((r) => r.reg.kind));
  if (kinds.size > 1) throw new AsmError('an address cannot mix 16-bit and 32-bit registers');
  return kinds.has('r32') ? 32 : 16;
}

/** 16-bit ModRM r/m numbers by the sorted register names of the address. */
const RM16: Record<string, number> = { 'bx+si': 0, 'bx+di': 1, 'bp+si': 2, 'bp+di': 3, si: 4, di: 5, bp: 6, bx: 7 };

function encodeAddress(
  mem: Extract<Operand, { k: 'mem' }>,
  regField: number,
  asize: 16 | 32,
  insn: Instruction,
  value: (e: Expr) => Value,
): { modrm: number[]; disp: number[]; grew: boolean; rangeError?: string } {
  const disp = mem.addr.disp ? value(mem.addr.disp) : { v: 0, known: true };
  const regs = mem.addr.regs;
  let rangeError: string | undefined;
  // Displacement level: 0 none, 1 disp8, 2 full; only ever grows (insn.dispMin).
  const natural = !mem.addr.disp || !disp.known ? 0 : disp.v === 0 ? 0 : fitsSigned8(disp.v, asize) ? 1 : 2;
  const level = (min: number) => {
    const chosen = Math.max(natural, min, insn.dispMin);
    const grew = chosen > insn.dispMin;
    insn.dispMin = chosen;
    return { chosen, grew };
  };
  const dispOf = (lvl: number, full: number) => {
    const size = lvl === 0 ? 0 : lvl === 1 ? 1 : full;
    if (size === full) {
      const limit = 2 ** (full * 8);
      if (disp.v < -limit / 2 || disp.v >= limit) rangeError = `displacement ${disp.v} does not fit in ${full * 8} bits`;
    }
    const out: number[] = [];
    pushLE(out, disp.v, size);
    return out;
  };

  if (asize === 16) {
    if (regs.some((r) => r.scale !== 1)) throw new AsmError('16-bit addresses cannot scale a register');
    if (regs.length === 0) {
      const d = dispOf(2, 2);
      return { modrm: [(regField << 3) | 6], disp: d, grew: false, rangeError };
    }
    const key = regs.map((r) => r.reg.name).sort().join('+');
    const rm = RM16[key];
    if (rm === undefined) throw new AsmError(`[${key}] is not a 16-bit address (use bx or bp, plus si or di)`);
    const { chosen, grew } = level(rm === 6 ? 1 : 0);
    return { modrm: [(chosen << 6) | (regField << 3) | rm], disp: dispOf(chosen, 2), grew, rangeError };
  }

  // 32-bit: base + index*scale + disp.
  let base: Register | undefined;
  let index: Register | undefined;
  let scale = 1;
  for (const r of regs) {
    if (r.scale === 1 && !base) base = r.reg;
    else if (r.scale === 1 && !index) index = r.reg;
    else if (!index && [2, 4, 8].includes(r.scale)) [index, scale] = [r.reg, r.scale];
    else if (!index && !base && [3, 5, 9].includes(r.scale)) [base, index, scale] = [r.reg, r.reg, r.scale - 1];
    else throw new AsmError('this address has too many registers or a bad scale (1, 2, 4 or 8)');
  }
  if (index?.num === 4 && scale === 1 && base && base.num !== 4) [base, index] = [index, base];
  if (index?.num === 4) throw new AsmError('esp cannot be an index register');
  if (!base && !index) {
    return { modrm: [(regField << 3) | 5], disp: dispOf(2, 4), grew: false, rangeError };
  }
  const scaleBits = { 1: 0, 2: 1, 4: 2, 8: 3 }[scale]!;
  if (!base) {
    return { modrm: [(regField << 3) | 4, (scaleBits << 6) | (index!.num << 3) | 5], disp: dispOf(2, 4), grew: false, rangeError };
  }
  const { chosen, grew } = level(base.num === 5 ? 1 : 0);
  if (!index && base.num !== 4) return { modrm: [(chosen << 6) | (regField << 3) | base.num], disp: dispOf(chosen, 4), grew, rangeError };
  const sib = (scaleBits << 6) | ((index ? index.num : 4) << 3) | base.num;
  return { modrm: [(chosen << 6) | (regField << 3) | 4, sib], disp: dispOf(chosen, 4), grew, rangeError };
}
