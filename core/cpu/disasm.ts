/**
 * Disassembler: decoded instructions (decoder.ts) as Intel-syntax text in the NASM dialect that core/asm
 * reads (`add word [bx+si+0x10], 0x5`, `jmp 0xf000:0xe05b`, `rep movsb`), for the debugger and tests.
 */
import { type Decoded, decode } from './decoder.js';
import { Attr, type Level, CPU_LEVEL, OperandKind, operandInfo, type IsaRow } from './isa.js';

const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', '?', '?'];
const BASE16 = ['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bp', 'bx'];
const SIZE_WORD: Record<number, string> = { 8: 'byte', 16: 'word', 32: 'dword' };

/** Table mnemonics that NASM spells differently. */
const NASM_NAMES: Record<string, string> = { CALLF: 'call', JMPF: 'jmp', XLAT: 'xlatb', ESC: 'esc' };

export interface Disassembly {
  text: string;
  length: number;
  decoded: Decoded;
}

/** Disassembles the instruction at `bytes[offset]`, which sits at offset `ip` of its code segment. */
export function disassemble(bytes: Uint8Array, offset = 0, ip = 0, code32 = false, level: Level = CPU_LEVEL): Disassembly {
  const decoded = decode(bytes, offset, code32, level);
  return { text: format(decoded, ip, bytes, offset, code32), length: decoded.length, decoded };
}

/** Several instructions in a row: one line each, `address  bytes  text`. */
export function disassembleRange(bytes: Uint8Array, ip: number, count: number, code32 = false): string[] {
  const lines: string[] = [];
  let offset = 0;
  for (let i = 0; i < count && offset < bytes.length; i++) {
    const { text, length } = disassemble(bytes, offset, ip + offset, code32);
    const hex = Array.from(bytes.subarray(offset, offset + length), (b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`${(ip + offset).toString(16).padStart(code32 ? 8 : 4, '0')}  ${hex.padEnd(30)} ${text}`);
    offset += length;
  }
  return lines;
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

/** Mnemonic at the instruction's operand size (address size for JCXZ). */
export function mnemonicOf(d: Decoded): string {
  const row = d.row!;
  if (row.family === 'JCXZ') return d.a32 ? 'jecxz' : 'jcxz';
  const name = d.o32 ? row.mnemonic32 : row.mnemonic;
  return (NASM_NAMES[name] ?? name).toLowerCase();
}

function format(d: Decoded, ip: number, bytes: Uint8Array, offset: number, code32: boolean): string {
  if (!d.valid || !d.row) {
    return `db ${Array.from(bytes.subarray(offset, offset + Math.max(1, d.length)), (b) => hex(b)).join(', ')}`;
  }
  const row = d.row;
  const prefix: string[] = [];
  const sizes: string[] = [];
  if (d.lock) prefix.push('lock');
  if (d.rep && row.attrs & Attr.RepCC) prefix.push(d.rep === 0xf3 ? 'repe' : 'repne');
  else if (d.rep && row.attrs & Attr.Rep) prefix.push('rep');
  const stringOp = row.operands.some((c) => c[0] === 'X' || c[0] === 'Y');
  if (stringOp && d.segment >= 0) prefix.push(SREG[d.segment]);
  // Sizes the operands do not show: an operand-size prefix on PUSH FS, PUSH imm, near jumps …; an
  // address-size prefix on string instructions, XLAT, LOOP and memory offsets.
  if (d.o32 !== code32 && row.mnemonic === row.mnemonic32 && !row.operands.some((c) => showsOperandSize(c))) sizes.push(d.o32 ? 'o32' : 'o16');
  const addressHidden = stringOp || row.family === 'XLAT' || row.family.startsWith('LOOP') || row.operands.some((c) => c[0] === 'O');
  if (d.a32 !== code32 && addressHidden) sizes.push(d.a32 ? 'a32' : 'a16');
  prefix.unshift(...sizes);
  const mnemonic = mnemonicOf(d);
  if (row.attrs & Attr.X87) return [...prefix, `esc ${hex(row.opcode)}/${(d.modrm >> 3) & 7}, ${d.modrm >= 0xc0 ? `st${d.modrm & 7}` : memory(d, 0)}`].join(' ');
  const ops = stringOp ? [] : operands(d, row, ip);
  return [...prefix, ops.length ? `${mnemonic} ${ops.join(', ')}` : mnemonic].join(' ');
}

/** True when the operand's text reveals the operand size (a v/z-sized register or r/m). */
function showsOperandSize(code: string): boolean {
  if (code === 'eAX') return true;
  const { kind, size } = operandInfo(code);
  const sized = size === 'v' || size === 'z';
  return sized && (kind === OperandKind.Reg || kind === OperandKind.RM || kind === OperandKind.OpcodeReg);
}

function operandSize(code: string, o32: boolean): number {
  if (code === 'AL' || code === 'CL') return 8;
  if (code === 'DX') return 16;
  if (code === 'eAX') return o32 ? 32 : 16;
  const s = operandInfo(code).size;
  return s === 'b' ? 8 : s === 'w' ? 16 : s === 'd' ? 32 : s === 'v' || s === 'z' ? (o32 ? 32 : 16) : 0;
}

function register(size: number, n: number): string {
  return size === 8 ? REG8[n] : size === 16 ? REG16[n] : REG32[n];
}

function operands(d: Decoded, row: IsaRow, ip: number): string[] {
  const out: string[] = [];
  let imm = 0;
  const reg = (d.modrm >> 3) & 7;
  const sizedRegister = row.operands.some((c) => {
    const k = operandInfo(c).kind;
    return k === OperandKind.Reg || k === OperandKind.OpcodeReg || (k === OperandKind.Fixed && c !== 'DX' && c !== 'CL' && operandInfo(c).size !== 'w') || k === OperandKind.Sreg;
  });
  const alwaysSized = row.family === 'MOVZX' || row.family === 'MOVSX';
  for (const code of row.operands) {
    const { kind } = operandInfo(code);
    const size = operandSize(code, d.o32);
    switch (kind) {
      case OperandKind.RM:
      case OperandKind.MemOnly:
      case OperandKind.RegOnly:
        if (d.modrm >= 0xc0 || kind === OperandKind.RegOnly) out.push(register(kind === OperandKind.RegOnly ? 32 : size, d.modrm & 7));
        else {
          const far = code === 'Mp' && (row.family === 'JMPF' || row.family === 'CALLF') ? 'far ' : '';
          const word = size && (!sizedRegister || alwaysSized) ? `${SIZE_WORD[size]} ` : '';
          out.push(far + word + memory(d, d.dispSize));
        }
        break;
      case OperandKind.Reg:
        out.push(register(size, reg));
        break;
      case OperandKind.Sreg:
        out.push(SREG[reg]);
        break;
      case OperandKind.Creg:
        out.push(`cr${reg}`);
        break;
      case OperandKind.Dreg:
        out.push(`dr${reg}`);
        break;
      case OperandKind.OpcodeReg:
        out.push(register(code === 'Zd' ? 32 : size, row.opcode & 7));
        break;
      case OperandKind.Fixed:
        out.push(code === 'eAX' ? (d.o32 ? 'eax' : 'ax') : code.toLowerCase());
        break;
      case OperandKind.One:
        out.push('1');
        break;
      case OperandKind.Imm:
        out.push(hex(d.imms[imm++]));
        break;
      case OperandKind.SignedImm8: {
        // Sign-extended to the destination's size (or the operand size when it stands alone, as in PUSH).
        const dest = row.operands[0] === code ? 0 : operandSize(row.operands[0], d.o32);
        const bits = dest || (d.o32 ? 32 : 16);
        out.push(hex(bits === 32 ? d.imms[imm++] : d.imms[imm++] & ((1 << bits) - 1)));
        break;
      }
      case OperandKind.Rel: {
        const target = ip + d.length + d.imms[imm++];
        out.push(hex(d.o32 ? target >>> 0 : target & 0xffff));
        break;
      }
      case OperandKind.FarPtr:
        out.push(`${hex(d.imms[imm + 1])}:${hex(d.imms[imm])}`);
        imm += 2;
        break;
      case OperandKind.MemOffset: {
        const seg = d.segment >= 0 ? `${SREG[d.segment]}:` : '';
        const word = sizedRegister ? '' : `${SIZE_WORD[size] ?? ''} `;
        out.push(`${word}[${seg}${hex(d.imms[imm++])}]`);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** `[seg:base+index*scale±disp]` of the ModRM memory operand. */
function memory(d: Decoded, _dispSize: number): string {
  const seg = d.segment >= 0 ? `${SREG[d.segment]}:` : '';
  const mod = d.modrm >> 6;
  const rm = d.modrm & 7;
  const parts: string[] = [];
  if (!d.a32) {
    if (!(mod === 0 && rm === 6)) parts.push(BASE16[rm]);
  } else if (rm === 4) {
    const base = d.sib & 7;
    const index = (d.sib >> 3) & 7;
    if (!(base === 5 && mod === 0)) parts.push(REG32[base]);
    if (index !== 4) parts.push(d.sib >> 6 ? `${REG32[index]}*${1 << (d.sib >> 6)}` : REG32[index]);
  } else if (!(mod === 0 && rm === 5)) parts.push(REG32[rm]);
  let text = parts.join('+');
  if (d.dispSize) {
    const absolute = parts.length === 0;
    const v = d.disp;
    if (absolute) text = hex(d.a32 ? v >>> 0 : v & 0xffff);
    else if (v !== 0 || d.dispSize > 0) text += v < 0 ? `-${hex(-v)}` : `+${hex(v)}`;
  }
  return `[${seg}${text}]`;
}
