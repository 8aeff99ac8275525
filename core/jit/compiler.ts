/**
 * Block compiler: decodes x86 code with the table-driven decoder (core/cpu/decoder.ts) and emits the Wasm
 * code of one block with binaryen (region.ts puts blocks together into functions). A block starts at an
 * EIP and runs straight through not-taken conditional jumps; it ends at an unconditional transfer, an
 * unsupported instruction or the page end. A taken jump goes to another block of the same function (with a
 * budget check) or leaves the function.
 *
 * Contract with the interpreter (core/cpu): registers, EFLAGS and the lazy-flag words live in the state
 * block (core/layout.ts); the function loads them into locals and stores them back at its single exit,
 * with EIP, and returns how many instructions it retired. Every memory access goes through the TLB fast
 * path; anything else (a miss, a slow page, a page-crossing access) leaves the block *before* the
 * instruction, so the interpreter re-executes it and takes the slow path or raises the fault. Only 32-bit
 * code with flat segments is compiled (jit.ts checks that at entry): no segment checks are needed here.
 */
import { type Decoded, decode } from '../cpu/decoder.js';
import { LAZY_ADD, LAZY_LOGIC, LAZY_SUB, CF, OF } from '../cpu/flags.js';
import {
  type Binaryen, Emitter, type Expr, type KnownFlags, L_BASE, L_BUDGET, L_EIP, L_LIN, L_N, L_NEXT, L_T0, L_T1, L_T2, L_REG0, L_WIDE, type Module,
} from './emit.js';

/** Longest straight-line block, in instructions. */
export const MAX_BLOCK_INSTRUCTIONS = 64;
const ESP = 4;
// ALU operations in ModRM.reg order (ops-alu.ts); AND (4) is the default case.
const ALU_ADD = 0, ALU_OR = 1, ALU_ADC = 2, ALU_SBB = 3, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7, ALU_TEST = 8;

/** Opcodes (per map) whose compiled form handles a 16-bit operand size (66h prefix). */
const WORD_OK = [new Uint8Array(256), new Uint8Array(256)];
for (let op = 0; op < 0x40; op++) if ((op & 7) < 6) WORD_OK[0][op] = 1;
for (const op of [0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f]) WORD_OK[0][op] = 1;
for (const op of [0x80, 0x81, 0x83, 0x84, 0x85, 0x88, 0x89, 0x8a, 0x8b, 0x90, 0xa8, 0xa9, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd3, 0xfe, 0xff]) WORD_OK[0][op] = 1;
WORD_OK[0].fill(1, 0xb8, 0xc0);
for (const op of [0xb6, 0xb7, 0xbe, 0xbf]) WORD_OK[1][op] = 1;

/** What buildBlock made: the block's code (ending in a branch out of it), its length, why it ends. */
export interface BuiltBlock {
  code: Expr[];
  /** Why the block ends: the mnemonic of the instruction it leaves to the interpreter, or 'transfer', 'length', 'page'. */
  endReason: string;
  /** Instructions on the block's straight-line path (the run loop's budget check). */
  length: number;
}

/** A decoded operand: a register (size 8 or 32) or memory (the linear address is computed into L_LIN). */
interface Operand {
  reg: number;
  mem: boolean;
}

/** Compiles one block (an instance per block). */
class BlockBuilder {
  readonly e: Emitter;
  readonly m: Module;
  readonly flags: KnownFlags = { known: false, op: 0, size: 0, mask: 0, compare: false };
  /** Index of the instruction being compiled (instructions of this block retired before it). */
  index = 0;
  eip = 0;
  nextEip = 0;
  d!: Decoded;

  /**
   * `members`: EIP → index of the blocks of the same function (jumps there stay inside); `targets`
   * collects every jump target (region.ts discovers the function's blocks with it).
   */
  constructor(b: Binaryen, m: Module, private readonly members: ReadonlyMap<number, number>, private readonly targets: number[]) {
    this.e = new Emitter(b, m);
    this.m = m;
  }

  /** Leave the block with EIP `eip` after `retired` instructions of this iteration. */
  exit(retired: number, eip: Expr): Expr {
    const e = this.e;
    return e.block([e.set(L_EIP, eip), e.set(L_N, e.add(e.get(L_BASE), e.c(retired))), this.m.br('exit')]);
  }

  /** Leave before the current instruction. */
  exitHere(): Expr {
    return this.exit(this.index, this.e.c(this.eip));
  }

  /**
   * Control goes to `target` after `retired` instructions of this block: to the function's block there
   * when it has one and the budget allows another block, else out of the function.
   */
  jumpTo(target: number, retired = this.index + 1): Expr {
    const e = this.e;
    this.targets.push(target);
    const member = this.members.get(target);
    if (member === undefined) return this.exit(retired, e.c(target));
    return e.block([
      e.set(L_BASE, e.add(e.get(L_BASE), e.c(retired))),
      this.m.if(
        this.m.i32.le_u(e.add(e.get(L_BASE), e.c(MAX_BLOCK_INSTRUCTIONS)), e.get(L_BUDGET)),
        e.block([e.set(L_NEXT, e.c(member)), this.m.br('dispatch')]),
      ),
      this.exit(0, e.c(target)),
    ]);
  }

  // ------------------------------------------------------------------ operands

  /** The ModRM memory operand's linear address (flat segments: the offset) into L_LIN. */
  effectiveAddress(): Expr {
    const e = this.e;
    const d = this.d;
    const mod = d.modrm >> 6;
    const rm = d.modrm & 7;
    let off: Expr | null = null;
    const plus = (x: Expr): void => {
      off = off === null ? x : e.add(off, x);
    };
    if (rm === 4) {
      const base = d.sib & 7;
      const index = (d.sib >> 3) & 7;
      if (!(base === 5 && mod === 0)) plus(e.get(L_REG0 + base));
      if (index !== 4) plus(e.shl(e.get(L_REG0 + index), e.c(d.sib >> 6)));
    } else if (!(rm === 5 && mod === 0)) plus(e.get(L_REG0 + rm));
    if (d.dispSize !== 0 || off === null) plus(e.c(d.disp));
    return e.set(L_LIN, off!);
  }

  /** The r/m operand: a register, or memory with its address computed and its TLB entry checked. */
  rm(size: number, write: boolean, out: Expr[]): Operand {
    const d = this.d;
    if (d.modrm >= 0xc0) return { reg: d.modrm & 7, mem: false };
    out.push(this.effectiveAddress());
    out.push(this.m.if(this.e.tlbMiss(size >> 3, write), this.exitHere()));
    out.push(this.e.physStatement());
    return { reg: -1, mem: true };
  }

  /** Reads an operand (after rm() checked memory); bytes of AH..BH come from the high half. */
  read(o: Operand, size: number, signed = false): Expr {
    if (o.mem) return this.e.load(size, signed);
    return this.readReg(o.reg, size, signed);
  }

  readReg(reg: number, size: number, signed = false): Expr {
    const e = this.e;
    if (size === 32) return e.get(L_REG0 + reg);
    if (size === 16) {
      const v = e.get(L_REG0 + reg);
      return signed ? e.shrs(e.shl(v, e.c(16)), e.c(16)) : e.and(v, e.c(0xffff));
    }
    const v = reg < 4 ? e.get(L_REG0 + reg) : e.shru(e.get(L_REG0 + reg - 4), e.c(8));
    return signed ? e.shrs(e.shl(v, e.c(24)), e.c(24)) : e.and(v, e.c(0xff));
  }

  write(o: Operand, size: number, v: Expr): Expr {
    if (o.mem) return this.e.store(size, v);
    return this.writeReg(o.reg, size, v);
  }

  writeReg(reg: number, size: number, v: Expr): Expr {
    const e = this.e;
    if (size === 32) return e.set(L_REG0 + reg, v);
    if (size === 16) return e.set(L_REG0 + reg, e.or(e.and(e.get(L_REG0 + reg), e.c(~0xffff)), e.and(v, e.c(0xffff))));
    const r = reg & 3;
    const high = reg >= 4;
    const keep = e.and(e.get(L_REG0 + r), e.c(high ? ~0xff00 : ~0xff));
    return e.set(L_REG0 + r, e.or(keep, high ? e.shl(e.and(v, e.c(0xff)), e.c(8)) : e.and(v, e.c(0xff))));
  }

  // ------------------------------------------------------------------ instruction families

  /** ADD … CMP, TEST of a (first operand) and b into L_T2 with the lazy flags (ops-alu.ts alu()). */
  alu(op: number, a: Expr, b: Expr, size: number, out: Expr[]): void {
    const e = this.e;
    const mask = size === 32 ? -1 : (1 << size) - 1;
    out.push(e.set(L_T0, a), e.set(L_T1, b));
    let r: Expr;
    let kind = LAZY_LOGIC;
    const x = e.get(L_T0), y = e.get(L_T1);
    switch (op) {
      case ALU_ADD: r = e.add(x, y); kind = LAZY_ADD; break;
      case ALU_ADC: r = e.add(e.add(x, y), e.flag(CF, this.flags)); kind = LAZY_ADD; break;
      case ALU_SBB: r = e.sub(e.sub(x, y), e.flag(CF, this.flags)); kind = LAZY_SUB; break;
      case ALU_SUB: case ALU_CMP: r = e.sub(x, y); kind = LAZY_SUB; break;
      case ALU_OR: r = e.or(x, y); break;
      case ALU_XOR: r = e.xor(x, y); break;
      default: r = e.and(x, y); break;
    }
    if (mask !== -1) r = e.and(r, e.c(mask));
    out.push(e.set(L_T2, r));
    out.push(...e.setLazy(this.flags, kind, e.get(L_T2), e.get(L_T0), e.get(L_T1), size, op === ALU_SUB || op === ALU_CMP));
  }

  /** op E,G / G,E / E,imm / acc,imm with the interpreter's operand order and write-back rules. */
  aluForm(op: number, size: number, form: 'EG' | 'GE' | 'EI' | 'AI', imm: number): Expr[] | null {
    const out: Expr[] = [];
    const writes = op !== ALU_CMP && op !== ALU_TEST;
    const mask = size === 32 ? -1 : (1 << size) - 1;
    if (form === 'AI') {
      this.alu(op, this.readReg(0, size), this.e.c(imm & mask), size, out);
      if (writes) out.push(this.writeReg(0, size, this.e.get(L_T2)));
      return out;
    }
    const reg = (this.d.modrm >> 3) & 7;
    const o = this.rm(size, writes && form !== 'GE', out);
    if (form === 'GE') {
      this.alu(op, this.readReg(reg, size), this.read(o, size), size, out);
      if (writes) out.push(this.writeReg(reg, size, this.e.get(L_T2)));
      return out;
    }
    const b = form === 'EG' ? this.readReg(reg, size) : this.e.c(imm & mask);
    this.alu(op, this.read(o, size), b, size, out);
    if (writes) out.push(this.write(o, size, this.e.get(L_T2)));
    return out;
  }

  /** INC/DEC (keep CF). */
  incDec(o: Operand, sub: boolean, size: number, out: Expr[]): void {
    const e = this.e;
    const mask = size === 32 ? -1 : (1 << size) - 1;
    out.push(e.set(L_T0, this.read(o, size)));
    let r = sub ? e.sub(e.get(L_T0), e.c(1)) : e.add(e.get(L_T0), e.c(1));
    if (mask !== -1) r = e.and(r, e.c(mask));
    out.push(e.set(L_T2, r));
    out.push(...e.setLazyKeepCF(this.flags, sub ? LAZY_SUB : LAZY_ADD, e.get(L_T2), e.get(L_T0), size));
    out.push(this.write(o, size, e.get(L_T2)));
  }

  /** SHL/SHR/SAR of `size` bits by a constant count (any size) or by CL (32 bits): ops-shift.ts shift(). */
  shift(kind: number, count: number | 'CL', size: number): Expr[] | null {
    if ((kind !== 4 && kind !== 5 && kind !== 7) || (count === 'CL' && size !== 32)) return null;
    const e = this.e;
    const out: Expr[] = [];
    const o = this.rm(size, true, out);
    if (count !== 'CL' && (count & 31) === 0) return out; // a zero count changes nothing
    const work: Expr[] = [e.set(L_T0, this.read(o, size))];
    const u = (): Expr => e.get(L_T0);
    const flags = this.flags;
    const saved = { ...flags };
    if (count === 'CL') {
      const n = (): Expr => e.get(L_T1);
      let r: Expr;
      let eager: Expr;
      if (kind === 5) {
        r = e.shru(u(), n());
        eager = e.or(e.and(e.shru(u(), e.sub(n(), e.c(1))), e.c(1)), e.shl(e.shru(u(), e.c(31)), e.c(11)));
      } else if (kind === 7) {
        r = e.shrs(u(), n());
        eager = e.and(e.shrs(u(), e.sub(n(), e.c(1))), e.c(1));
      } else {
        r = e.shl(u(), n());
        // CF = bit (32 - n) of the operand; OF = CF xor the result's top bit.
        const cf = (): Expr => e.and(e.shru(u(), e.sub(e.c(32), n())), e.c(1));
        eager = e.or(cf(), e.shl(e.xor(e.shru(e.get(L_T2), e.c(31)), cf()), e.c(11)));
      }
      work.push(e.set(L_T2, r), ...e.setEagerCOA(flags, eager, e.get(L_T2), 32), this.write(o, 32, e.get(L_T2)));
      // By CL: a zero count leaves everything as it was, so the known flag state after it is a merge.
      out.push(e.set(L_T1, e.and(this.readReg(1, 8), e.c(31))));
      out.push(this.m.if(e.get(L_T1), e.block(work)));
      if (saved.known !== flags.known || saved.op !== flags.op || saved.size !== flags.size || saved.mask !== flags.mask || saved.compare !== flags.compare) flags.known = false;
      return out;
    }
    const n = count & 31;
    const mask = size === 32 ? -1 : (1 << size) - 1;
    const msb = size - 1;
    const bit = (v: Expr, at: number): Expr => e.and(e.shru(v, e.c(at)), e.c(1));
    let r: Expr;
    let eager: Expr;
    if (kind === 5) {
      r = n >= size ? e.c(0) : e.shru(u(), e.c(n));
      const cf = n > size ? e.c(0) : bit(u(), n - 1);
      eager = e.or(cf, e.shl(bit(u(), msb), e.c(11)));
    } else if (kind === 7) {
      const signed = (): Expr => (size === 32 ? u() : e.shrs(e.shl(u(), e.c(32 - size)), e.c(32 - size)));
      r = e.and(e.shrs(signed(), e.c(n)), e.c(mask));
      eager = e.and(e.shrs(signed(), e.c(n - 1)), e.c(1));
    } else {
      r = e.and(e.shl(u(), e.c(n)), e.c(mask));
      const cf = (): Expr => (n > size ? e.c(0) : bit(u(), size - n));
      eager = e.or(cf(), e.shl(e.xor(bit(e.get(L_T2), msb), cf()), e.c(11)));
    }
    out.push(...work, e.set(L_T2, r), ...e.setEagerCOA(flags, eager, e.get(L_T2), size), this.write(o, size, e.get(L_T2)));
    return out;
  }

  /** ROL/ROR r/m32 by 1 or imm (ops-shift.ts shift(): CF and OF eager, every other flag resolved first). */
  rotate(left: boolean, count: number): Expr[] {
    const e = this.e;
    const out: Expr[] = [];
    const o = this.rm(32, true, out);
    const n = count & 31;
    if (n === 0) return out;
    out.push(e.set(L_T0, this.read(o, 32)));
    out.push(e.set(L_T2, left ? this.m.i32.rotl(e.get(L_T0), e.c(n)) : this.m.i32.rotr(e.get(L_T0), e.c(n))));
    const bit = (at: number): Expr => e.and(e.shru(e.get(L_T2), e.c(at)), e.c(1));
    // ROL: CF = bit 0, OF = CF xor bit 31; ROR: CF = bit 31, OF = bit 31 xor bit 30.
    const cf = left ? bit(0) : bit(31);
    const of = left ? e.xor(bit(31), bit(0)) : e.xor(bit(31), bit(30));
    out.push(...e.setEagerAll(this.flags, CF | OF, e.or(cf, e.shl(of, e.c(11)))));
    out.push(this.write(o, 32, e.get(L_T2)));
    return out;
  }

  /** IMUL Gv, Ev (, imm): truncating signed multiply (ops-muldiv.ts imulTrunc, 32-bit). */
  imul(imm: number | null): Expr[] {
    const e = this.e;
    const m = this.m;
    const out: Expr[] = [];
    const reg = (this.d.modrm >> 3) & 7;
    const o = this.rm(32, false, out);
    out.push(e.set(L_T0, this.read(o, 32)));
    out.push(e.set(L_T1, imm === null ? this.readReg(reg, 32) : e.c(imm)));
    const wide = m.i64.mul(m.i64.extend_s(e.get(L_T0)), m.i64.extend_s(e.get(L_T1)));
    out.push(m.local.set(L_WIDE, wide));
    out.push(e.set(L_T2, m.i32.wrap(m.local.get(L_WIDE, this.i64))));
    const overflow = m.i64.ne(m.local.get(L_WIDE, this.i64), m.i64.extend_s(e.get(L_T2)));
    out.push(...e.setEagerCOA(this.flags, m.select(overflow, e.c(CF | OF), e.c(0)), e.get(L_T2), 32));
    out.push(this.writeReg(reg, 32, e.get(L_T2)));
    return out;
  }

  /** MUL / IMUL r/m32 (F7 /4, /5): EDX:EAX = EAX × r/m (ops-muldiv.ts mul, imulOne). */
  mulWide(signed: boolean): Expr[] {
    const e = this.e;
    const m = this.m;
    const out: Expr[] = [];
    const o = this.rm(32, false, out);
    out.push(e.set(L_T0, this.read(o, 32)));
    const extend = (v: Expr): Expr => (signed ? m.i64.extend_s(v) : m.i64.extend_u(v));
    out.push(m.local.set(L_WIDE, m.i64.mul(extend(e.get(L_REG0)), extend(e.get(L_T0)))));
    out.push(e.set(L_T2, m.i32.wrap(m.local.get(L_WIDE, this.i64))));
    out.push(e.set(L_T1, m.i32.wrap(m.i64.shr_u(m.local.get(L_WIDE, this.i64), m.i64.const(BigInt(32))))));
    // CF = OF: the high half is not just the extension of the low one.
    const overflow = signed ? m.i32.ne(e.get(L_T1), e.shrs(e.get(L_T2), e.c(31))) : m.i32.ne(e.get(L_T1), e.c(0));
    out.push(...e.setEagerCOA(this.flags, m.select(overflow, e.c(CF | OF), e.c(0)), e.get(L_T2), 32));
    out.push(e.set(L_REG0, e.get(L_T2)), e.set(L_REG0 + 2, e.get(L_T1)));
    return out;
  }

  get i64(): number {
    return this.e.b.i64;
  }

  /** PUSH value (32-bit, flat SS): the store first, then ESP, so a miss leaves everything as it was. */
  push(value: Expr, out: Expr[]): void {
    const e = this.e;
    out.push(e.set(L_T0, value));
    out.push(e.set(L_LIN, e.sub(e.get(L_REG0 + ESP), e.c(4))));
    out.push(this.m.if(e.tlbMiss(4, true), this.exitHere()));
    out.push(e.physStatement());
    out.push(e.store(32, e.get(L_T0)));
    out.push(e.set(L_REG0 + ESP, e.get(L_LIN)));
  }

  /** POP into L_T0 (ESP advanced). */
  pop(out: Expr[]): void {
    const e = this.e;
    out.push(e.set(L_LIN, e.get(L_REG0 + ESP)));
    out.push(this.m.if(e.tlbMiss(4, false), this.exitHere()));
    out.push(e.physStatement());
    out.push(e.set(L_T0, e.load(32)));
    out.push(e.set(L_REG0 + ESP, e.add(e.get(L_REG0 + ESP), e.c(4))));
  }

  /**
   * One instruction → statements, or null when it is not supported (the block ends before it).
   * `end` is set when the instruction ends the block (an unconditional transfer).
   */
  instruction(): { code: Expr[]; end: boolean } | null {
    const d = this.d;
    const row = d.row!;
    const e = this.e;
    if (!d.a32 || d.segment >= 0 || d.rep !== 0 || d.lock) return null;
    const op = row.opcode;
    // Word operands (66h) only where the template is size-generic; everything else needs 32 bits.
    const v = d.o32 ? 32 : 16;
    if (!d.o32 && !WORD_OK[row.map][op]) return null;
    const group = (d.modrm >> 3) & 7;
    const imm = d.imms.length ? d.imms[0] : 0;
    const ok = (code: Expr[] | null): { code: Expr[]; end: boolean } | null => (code === null ? null : { code, end: false });
    if (row.map === 0) {
      if (op < 0x40 && (op & 7) < 6) {
        const size = op & 1 ? v : 8;
        const form = (['EG', 'EG', 'GE', 'GE', 'AI', 'AI'] as const)[op & 7];
        return ok(this.aluForm(op >> 3, size, form, imm));
      }
      if (op >= 0x40 && op <= 0x4f) {
        const out: Expr[] = [];
        this.incDec({ reg: op & 7, mem: false }, op >= 0x48, v, out);
        return ok(out);
      }
      if (op >= 0x50 && op <= 0x57) {
        const out: Expr[] = [];
        this.push(e.get(L_REG0 + (op & 7)), out);
        return ok(out);
      }
      if (op >= 0x58 && op <= 0x5f) {
        const out: Expr[] = [];
        this.pop(out);
        out.push(e.set(L_REG0 + (op & 7), e.get(L_T0)));
        return ok(out);
      }
      if (op === 0x68 || op === 0x6a) {
        const out: Expr[] = [];
        this.push(e.c(imm), out);
        return ok(out);
      }
      if (op === 0x69 || op === 0x6b) return ok(this.imul(imm));
      if (op >= 0x70 && op <= 0x7f) return ok(this.jcc(op & 15, imm));
      if (op === 0x80 || op === 0x81 || op === 0x83) return ok(this.aluForm(group, op === 0x80 ? 8 : v, 'EI', imm));
      if (op === 0x84 || op === 0x85) return ok(this.aluForm(ALU_TEST, op === 0x84 ? 8 : v, 'EG', 0));
      if (op >= 0x88 && op <= 0x8b) return ok(this.mov(op, v));
      if ((op === 0xfe || op === 0xff) && group < 2) {
        const size = op === 0xfe ? 8 : v;
        const out: Expr[] = [];
        this.incDec(this.rm(size, true, out), group === 1, size, out);
        return ok(out);
      }
      if (op === 0x8d) {
        if (d.modrm >= 0xc0) return null;
        return ok([this.effectiveAddress(), e.set(L_REG0 + group, e.get(L_LIN))]);
      }
      if (op === 0x90) return ok([]);
      if (op === 0xa8 || op === 0xa9) return ok(this.aluForm(ALU_TEST, op === 0xa8 ? 8 : v, 'AI', imm));
      if (op >= 0xb0 && op <= 0xb7) return ok([this.writeReg(op & 7, 8, e.c(imm))]);
      if (op >= 0xb8 && op <= 0xbf) return ok([this.writeReg(op & 7, v, e.c(imm))]);
      if ((op === 0xc1 || op === 0xd1) && d.o32 && group < 2) return ok(this.rotate(group === 0, op === 0xd1 ? 1 : imm));
      if (op === 0xc0 || op === 0xc1) return ok(this.shift(group, imm, op === 0xc0 ? 8 : v));
      if (op === 0xd0 || op === 0xd1) return ok(this.shift(group, 1, op === 0xd0 ? 8 : v));
      if (op === 0xd3) return ok(this.shift(group, 'CL', v));
      if (op === 0xc6 || op === 0xc7) {
        if (group !== 0) return null;
        const size = op === 0xc6 ? 8 : v;
        const out: Expr[] = [];
        const o = this.rm(size, true, out);
        out.push(this.write(o, size, e.c(imm)));
        return ok(out);
      }
      if (op === 0xf6 && group === 0) return ok(this.aluForm(ALU_TEST, 8, 'EI', imm));
      if (op === 0xc9) {
        // LEAVE (ops-stack.ts leave): EBP's slot is read first, then ESP = EBP + 4, EBP = the value.
        const out: Expr[] = [e.set(L_LIN, e.get(L_REG0 + 5))];
        out.push(this.m.if(e.tlbMiss(4, false), this.exitHere()), e.physStatement(), e.set(L_T0, e.load(32)));
        out.push(e.set(L_REG0 + ESP, e.add(e.get(L_REG0 + 5), e.c(4))), e.set(L_REG0 + 5, e.get(L_T0)));
        return ok(out);
      }
      if (op === 0xf7 && (group === 0 || group === 2 || group === 3)) return ok(this.group3(group, imm));
      if (op === 0xf7 && (group === 4 || group === 5)) return ok(this.mulWide(group === 5));
      if (op === 0xe9 || op === 0xeb) return { code: [this.jumpTo((this.nextEip + imm) >>> 0)], end: true };
      if (op === 0xe8) {
        const out: Expr[] = [];
        this.push(e.c(this.nextEip), out);
        out.push(this.exit(this.index + 1, e.c((this.nextEip + imm) >>> 0)));
        return { code: out, end: true };
      }
      if (op === 0xc3) {
        const out: Expr[] = [];
        this.pop(out);
        out.push(this.exit(this.index + 1, e.get(L_T0)));
        return { code: out, end: true };
      }
      return null;
    }
    if (op >= 0x80 && op <= 0x8f) return ok(this.jcc(op & 15, imm));
    if (op === 0xb6 || op === 0xb7 || op === 0xbe || op === 0xbf) {
      const size = op & 1 ? 16 : 8;
      const out: Expr[] = [];
      const o = this.rm(size, false, out);
      out.push(this.writeReg(group, v, this.read(o, size, op >= 0xbe)));
      return ok(out);
    }
    if (op === 0xaf) return ok(this.imul(null));
    if (op >= 0x40 && op <= 0x4f && d.o32) {
      // CMOVcc (ops-move.ts cmov): the source is read (and may fault) whatever the condition.
      const out: Expr[] = [];
      const o = this.rm(32, false, out);
      out.push(e.set(L_T0, this.read(o, 32)));
      out.push(this.m.if(e.condition(op & 15, this.flags), e.set(L_REG0 + group, e.get(L_T0))));
      return ok(out);
    }
    if (op >= 0xc8 && op <= 0xcf && d.o32) {
      const r = L_REG0 + (op & 7);
      const v = (): Expr => e.get(r);
      const swapped = e.or(
        e.or(e.shl(e.and(v(), e.c(0xff)), e.c(24)), e.shl(e.and(v(), e.c(0xff00)), e.c(8))),
        e.or(e.and(e.shru(v(), e.c(8)), e.c(0xff00)), e.shru(v(), e.c(24))),
      );
      return ok([e.set(r, swapped)]);
    }
    if (op >= 0x90 && op <= 0x9f) {
      // SETcc Eb (ops-control.ts setcc): the condition as a byte.
      const out: Expr[] = [];
      const o = this.rm(8, true, out);
      out.push(this.write(o, 8, e.condition(op & 15, this.flags)));
      return ok(out);
    }
    return null;
  }

  mov(op: number, v: number): Expr[] {
    const size = op & 1 ? v : 8;
    const reg = (this.d.modrm >> 3) & 7;
    const out: Expr[] = [];
    const toE = op < 0x8a;
    const o = this.rm(size, toE, out);
    out.push(toE ? this.write(o, size, this.readReg(reg, size)) : this.writeReg(reg, size, this.read(o, size)));
    return out;
  }

  /** F7 /0 TEST Ev,Iz; /2 NOT; /3 NEG. */
  group3(group: number, imm: number): Expr[] {
    const e = this.e;
    const out: Expr[] = [];
    if (group === 0) return this.aluForm(ALU_TEST, 32, 'EI', imm)!;
    const o = this.rm(32, true, out);
    if (group === 2) {
      out.push(this.write(o, 32, e.not(this.read(o, 32))));
      return out;
    }
    out.push(e.set(L_T0, this.read(o, 32)));
    out.push(e.set(L_T2, e.sub(e.c(0), e.get(L_T0))));
    out.push(...e.setLazy(this.flags, LAZY_SUB, e.get(L_T2), e.c(0), e.get(L_T0), 32));
    out.push(this.write(o, 32, e.get(L_T2)));
    return out;
  }

  jcc(cc: number, rel: number): Expr[] {
    return [this.m.if(this.e.condition(cc, this.flags), this.jumpTo((this.nextEip + rel) >>> 0))];
  }
}

/**
 * Compiles the block at `eip` whose bytes start at `page[offset]` (`page`: its 4 KiB physical page).
 * Returns null when not even its first instruction can be compiled.
 */
export function buildBlock(
  b: Binaryen, m: Module, page: Uint8Array, offset: number, eip: number, members: ReadonlyMap<number, number>, targets: number[],
): BuiltBlock | null {
  const bb = new BlockBuilder(b, m, members, targets);
  let pos = offset;
  let count = 0;
  const code: Expr[] = [];
  let endReason = 'length';
  while (count < MAX_BLOCK_INSTRUCTIONS) {
    const d = decode(page, pos, true);
    if (!d.valid || !d.row) {
      endReason = d.invalidReason === 'truncated' ? 'page' : 'invalid';
      break;
    }
    bb.d = d;
    bb.index = count;
    bb.eip = (eip + pos - offset) >>> 0;
    bb.nextEip = (bb.eip + d.length) >>> 0;
    const r = bb.instruction();
    if (r === null) {
      endReason = `${d.o32 ? d.row.mnemonic32 : d.row.mnemonic}${d.o32 && d.a32 && d.segment < 0 && !d.rep ? '' : ' (prefixed)'}`;
      break;
    }
    code.push(...r.code);
    count++;
    pos += d.length;
    if (r.end) {
      endReason = 'transfer';
      break;
    }
    if (pos >= page.length) {
      endReason = 'page';
      break;
    }
    if (members.has(bb.nextEip)) {
      endReason = 'join'; // another block of the function starts here: go on there
      break;
    }
  }
  if (count === 0) return null;
  // Falling off the end: on to the next instruction (its block, when the function has one).
  const next = (eip + pos - offset) >>> 0;
  if (endReason === 'length' || endReason === 'page' || endReason === 'join') code.push(bb.jumpTo(next, count));
  else code.push(bb.exit(count, bb.e.c(next)));
  return { code, length: count, endReason };
}
