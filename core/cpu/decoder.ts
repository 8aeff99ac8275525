/**
 * A table-driven instruction decoder for tools (disassembler, debugger, tests, later the JIT's block
 * scanner): bytes → prefixes, the instruction table row, ModRM/SIB, displacement and immediates, length
 * and validity. The interpreter decodes inline for speed but from the same table (dispatch.ts).
 */
import { Attr, CPU_LEVEL, hasModrm, type IsaRow, Level, OPCODES, OperandKind, operandInfo } from './isa.js';

export interface Decoded {
  /** Bytes consumed (prefixes included); for an invalid instruction, what was examined. */
  length: number;
  valid: boolean;
  /** Why it is invalid: 'opcode', 'level', 'lock', 'modrm', 'sreg', 'creg', 'length', 'truncated'. */
  invalidReason?: string;
  row?: IsaRow;
  /** Segment override prefix (0-5), or -1. */
  segment: number;
  o32: boolean;
  a32: boolean;
  /** 0, 0xF2 or 0xF3 (the last one given). */
  rep: number;
  lock: boolean;
  /** -1 when the instruction has none. */
  modrm: number;
  sib: number;
  /** Displacement (sign-extended) and its size in bytes. */
  disp: number;
  dispSize: number;
  /** Immediate operands in order (sign-extended where the operand is Ibs/J). */
  imms: number[];
  /** Size in bytes of each immediate. */
  immSizes: number[];
}

const SEG_PREFIX: Record<number, number> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 };
const MAX_LENGTH = 15;

/**
 * Decodes one instruction at `bytes[offset]`. `code32` is the code segment's default size (CS.D);
 * `level` the CPU whose instruction set counts as valid.
 */
export function decode(bytes: Uint8Array, offset = 0, code32 = false, level: Level = CPU_LEVEL): Decoded {
  const d: Decoded = {
    length: 0, valid: false, segment: -1, o32: code32, a32: code32, rep: 0, lock: false,
    modrm: -1, sib: -1, disp: 0, dispSize: 0, imms: [], immSizes: [],
  };
  let p = offset;
  const end = Math.min(bytes.length, offset + MAX_LENGTH);
  const fail = (reason: string): Decoded => {
    d.length = Math.max(1, p - offset);
    d.valid = false;
    d.invalidReason = reason;
    return d;
  };
  const next = (): number => {
    if (p >= end) throw new RangeError(p - offset >= MAX_LENGTH ? 'length' : 'truncated');
    return bytes[p++];
  };
  try {
    let b = next();
    for (;;) {
      if (b in SEG_PREFIX) d.segment = SEG_PREFIX[b];
      else if (b === 0x66) d.o32 = !code32;
      else if (b === 0x67) d.a32 = !code32;
      else if (b === 0xf0) d.lock = true;
      else if (b === 0xf2 || b === 0xf3) d.rep = b;
      else break;
      b = next();
    }
    let index = b;
    if (b === 0x0f) index = 0x100 | next();
    const entry = OPCODES[index];
    let row = entry.plain;
    if (entry.group || (row && hasModrm(row))) d.modrm = next();
    if (entry.group) row = entry.group[(d.modrm >> 3) & 7];
    if (!row) return fail('opcode');
    d.row = row;
    // MOV to/from CRn/DRn name a register whatever ModRM.mod says: no address follows.
    if (d.modrm >= 0 && d.modrm < 0xc0 && !row.operands.some((c) => c[0] === 'R')) decodeAddress(d, next);
    for (const code of row.operands) {
      if (code === 'Ap') {
        // A far pointer: the offset, then the selector.
        pushImm(d, next, d.o32 ? 4 : 2, false);
        pushImm(d, next, 2, false);
        continue;
      }
      const size = immediateBytes(code, d.o32, d.a32);
      if (size) pushImm(d, next, size, code === 'Ibs' || code[0] === 'J');
    }
    d.length = p - offset;
    const invalid = validity(d, row, level);
    if (invalid) return fail(invalid);
    d.valid = true;
    return d;
  } catch (e) {
    if (e instanceof RangeError) return fail(e.message);
    throw e;
  }
}

function pushImm(d: Decoded, next: () => number, size: number, signed: boolean): void {
  let v = 0;
  for (let i = 0; i < size; i++) v |= next() << (8 * i);
  if (signed) v = size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
  else v >>>= 0;
  d.imms.push(v);
  d.immSizes.push(size);
}

/** Bytes of an immediate-like operand (I, J, A, O); 0 for everything else. */
function immediateBytes(code: string, o32: boolean, a32: boolean): number {
  const { kind, size } = operandInfo(code);
  switch (kind) {
    case OperandKind.Imm:
    case OperandKind.Rel:
      return size === 'b' ? 1 : size === 'w' ? 2 : size === 'd' ? 4 : o32 ? 4 : 2;
    case OperandKind.SignedImm8:
      return 1;
    case OperandKind.MemOffset:
      return a32 ? 4 : 2;
    default:
      return 0;
  }
}

function decodeAddress(d: Decoded, next: () => number): void {
  const mod = d.modrm >> 6;
  const rm = d.modrm & 7;
  if (!d.a32) {
    if (mod === 0 && rm === 6) readDisp(d, next, 2);
    else if (mod === 1) readDisp(d, next, 1);
    else if (mod === 2) readDisp(d, next, 2);
    return;
  }
  if (rm === 4) {
    d.sib = next();
    if (mod === 0 && (d.sib & 7) === 5) readDisp(d, next, 4);
  } else if (mod === 0 && rm === 5) readDisp(d, next, 4);
  if (mod === 1) readDisp(d, next, 1);
  else if (mod === 2) readDisp(d, next, 4);
}

function readDisp(d: Decoded, next: () => number, size: number): void {
  let v = 0;
  for (let i = 0; i < size; i++) v |= next() << (8 * i);
  d.disp = size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
  d.dispSize = size;
}

/** Rules beyond "the row exists": CPU level, memory-only and register forms, LOCK, register numbers. */
function validity(d: Decoded, row: IsaRow, level: Level): string | undefined {
  if (row.level > level) return 'level';
  const isMem = d.modrm >= 0 && d.modrm < 0xc0;
  const reg = (d.modrm >> 3) & 7;
  for (const code of row.operands) {
    const info = operandInfo(code);
    if (info.kind === OperandKind.MemOnly && !isMem) return 'modrm';
    if (info.kind === OperandKind.Sreg && (reg > 5 || (row.operands[0] === 'Sw' && reg === 1))) return 'sreg';
    if (info.kind === OperandKind.Creg && (reg === 1 || reg > 4 || (reg === 4 && level < Level.P5))) return 'creg';
  }
  if (d.lock && (!(row.attrs & Attr.Lock) || !isMem)) return 'lock';
  return undefined;
}
