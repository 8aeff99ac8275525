/**
 * Encoder ↔ CPU round trip: every form of the encoder's table, with sample operands, is assembled and then
 * executed alone by the interpreter (core/cpu); for everything that neither transfers control nor faults,
 * EIP must advance by exactly the encoded length. The two sides use separate tables (see README.md), so
 * this checks both. Once core/cpu/index.ts exports its decoder (`decode`), the same program is also
 * decoded there: lengths and mnemonics must agree.
 */
import { describe, expect, it } from 'vitest';
import * as cpuModule from '../cpu/index.js';
import { Cpu, Level, OPCODES, type IsaRow } from '../cpu/index.js';
import { Reg, Seg } from '../firmware.js';
import { IoBus } from '../io.js';
import { PhysicalMemory } from '../memory.js';
import { FORMS, type Form, type OperandKind } from './forms.js';
import { assemble } from './index.js';

const SIZE_WORD: Record<number, string> = { 1: 'byte', 2: 'word', 4: 'dword' };
const REGS: Record<number, string[]> = { 1: ['dl', 'cl'], 2: ['dx', 'cx'], 4: ['edx', 'ecx'] };

function sizeOf(kind: OperandKind, v: number): number {
  return kind.size === 'v' ? v / 8 : (kind.size as number);
}

/** Sample operand text for a kind; `variant` picks register / 16-bit memory / 32-bit memory for E. */
function sample(form: Form, i: number, v: number, variant: number): string {
  const kind = form.ops[i];
  const size = sizeOf(kind, v);
  // An immediate, pointer or moffs operand carries the size when nothing else in the form does.
  const pinned = form.ops.some((k, j) => j !== i && k.size === 'v' && ['E', 'G', 'R', 'Z', 'fixed', 'O'].includes(k.cls));
  const sizeWord = form.sized && !pinned ? `${SIZE_WORD[v / 8]} ` : '';
  switch (kind.cls) {
    case 'E':
      if (variant === 0) return REGS[size][i === 0 ? 0 : 1];
      return `${SIZE_WORD[size]} ${variant === 1 ? '[bx+si+0x12]' : '[eax+ecx*4+0x123]'}`;
    case 'G':
    case 'Z':
      return REGS[size][i === 0 ? 0 : 1];
    case 'R':
      return size === 4 ? 'eax' : 'ax';
    case 'M':
    case 'Mp':
      return variant === 2 ? '[ebx+0x20]' : '[bx+0x10]';
    case 'Mf':
      return 'far [bx+0x10]';
    case 'I':
      return sizeWord + (size === 1 ? '0x12' : size === 2 ? '0x1234' : '0x12345678');
    case 'Ibs':
      return `${sizeWord}5`;
    case 'one':
      return '1';
    case 'J':
      return (form.sized && !pinned && form.ops.length === 1 && kind.size === 'v' ? `${SIZE_WORD[v / 8]} ` : '') + '$';
    case 'A':
      return `${sizeWord}0x1234:0x5678`;
    case 'O':
      return '[0x1234]';
    case 'S':
      return 'es';
    case 'C':
      return 'cr2';
    case 'D':
      return 'dr0';
    case 'fixed':
      return kind.reg === 'eax' ? (v === 16 ? 'ax' : 'eax') : kind.reg!;
  }
}

/** One instruction per form, operand size and operand variant. */
function program(): string[] {
  const lines = new Set<string>();
  for (const [mnemonic, forms] of FORMS) {
    for (const form of forms) {
      for (const v of form.sized ? [16, 32] : [16]) {
        const variants = form.ops.some((k) => k.cls === 'E' || k.cls === 'M' || k.cls === 'Mp') ? [0, 1, 2] : [0];
        for (const variant of variants) {
          const ops = form.ops.map((_, i) => sample(form, i, v, variant));
          lines.add(`${mnemonic} ${ops.join(', ')}`.trim());
        }
      }
    }
  }
  return [...lines];
}

/** Condition-code spellings the assembler accepts → the one the instruction table uses. */
const CC_ALIAS: Record<string, string> = {
  c: 'b', nae: 'b', nb: 'ae', nc: 'ae', z: 'e', nz: 'ne', na: 'be', nbe: 'a', pe: 'p', po: 'np', nge: 'l', nl: 'ge', ng: 'le', nle: 'g',
};
const ALIAS: Record<string, string> = { sal: 'shl', retn: 'ret', xlatb: 'xlat', fwait: 'wait', icebp: 'int1', loopz: 'loope', loopnz: 'loopne' };

/** The name core/cpu/isa.ts would give this form's instruction. */
function tableName(mnemonic: string, form: Form): string {
  if ((mnemonic === 'jmp' || mnemonic === 'call') && form.ops.some((k) => k.cls === 'A' || k.cls === 'Mf')) return mnemonic + 'f';
  const cc = /^(j|set|cmov)(.+)$/.exec(mnemonic);
  if (cc && !['jmp', 'jcxz', 'jecxz'].includes(mnemonic) && CC_ALIAS[cc[2]]) return cc[1] + CC_ALIAS[cc[2]];
  return ALIAS[mnemonic] ?? mnemonic;
}

type Decode = (bytes: Uint8Array, offset: number, code32: boolean, level: Level) => { length: number; valid: boolean; invalidReason?: string; row?: IsaRow };
const decode = (cpuModule as Record<string, unknown>).decode as Decode | undefined;

describe('encoder ↔ decoder round trip', () => {
  it.runIf(decode !== undefined)('decodes every encoded form back to its length and mnemonic', () => {
    const mismatches: string[] = [];
    for (const line of program()) {
      const bytes = assemble(line).bytes;
      let d: ReturnType<Decode>;
      try {
        d = decode!(bytes, 0, false, Level.P6);
      } catch (e) {
        mismatches.push(`${line}: the decoder threw ${String(e)}`);
        continue;
      }
      const mnemonic = line.split(' ')[0];
      const forms = FORMS.get(mnemonic)!;
      const names = d.row ? [d.row.mnemonic, d.row.mnemonic32].map((n) => n.toLowerCase()) : [];
      // The name the table would give, whichever of the mnemonic's forms the encoder picked.
      const wanted = new Set(forms.map((f) => tableName(mnemonic, f)));
      const named = [...wanted].some((w) => names.includes(w) || (w.endsWith('w') && names.includes(w.slice(0, -1))));
      if (!d.valid || d.length !== bytes.length || !named) {
        mismatches.push(`${line}: ${bytes.length} bytes, decoded ${d.valid ? d.length : `invalid (${d.invalidReason})`} as ${names.join('/') || '?'}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('encoder table ↔ instruction table', () => {
  it('gives every form the opcode core/cpu/isa.ts lists for the same instruction', () => {
    const mismatches: string[] = [];
    for (const [mnemonic, forms] of FORMS) {
      for (const form of forms) {
        const twoByte = form.opcode[0] === 0x0f;
        // +r forms are looked up at register 2 (DX): 90h itself is NOP in the table.
        const opcode = form.opcode[twoByte ? 1 : 0] + (form.plusReg ? 2 : 0);
        const entry = OPCODES[(twoByte ? 256 : 0) + opcode];
        const row = entry.plain ?? entry.group?.[form.modrm >= 0 && form.modrm < 8 ? form.modrm : 0];
        const names = row ? [row.mnemonic, row.mnemonic32].map((n) => n.toLowerCase()) : [];
        const want = tableName(mnemonic, form);
        const sized = want.endsWith('w') && names.includes(want.slice(0, -1)); // pushaw, iretw: the 16-bit name
        if (!names.includes(want) && !sized) mismatches.push(`${mnemonic} ${form.ops.map((k) => k.cls).join(',')}: table says ${names.join('/') || 'nothing'}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

const CONTROL = /^(j|call|ret|iret|int|into|icebp|loop|enter|leave|hlt|bioscall)/;

describe('encoder ↔ interpreter round trip', () => {
  it('every form assembles, and the CPU steps over exactly the encoded bytes', () => {
    const memory = new PhysicalMemory(1 << 20);
    const cpu = new Cpu({ memory, io: new IoBus() });
    const code = 0x10000;
    let checked = 0;
    let skipped = 0;
    const mismatches: string[] = [];
    for (const line of program()) {
      const bytes = assemble(line, { origin: 0 }).bytes;
      memory.writeBytes(code, bytes);
      memory.writeBytes(code + bytes.length, new Uint8Array(16).fill(0x90));
      cpu.reset();
      cpu.setSegReal(Seg.CS, code >> 4);
      cpu.setEip(0);
      for (const s of [Seg.DS, Seg.ES, Seg.SS]) cpu.setSegReal(s, 0x2000);
      [0x10, 1, 0, 0x20, 0x8000, 0x60, 0x40, 0x50].forEach((value, r) => cpu.set32(r as Reg, value));
      cpu.run(1);
      const fellThrough = cpu.getSeg(Seg.CS) === code >> 4;
      if (CONTROL.test(line) || !fellThrough) {
        skipped++;
        continue;
      }
      checked++;
      if (cpu.getEip() !== bytes.length) mismatches.push(`${line}: encoded ${bytes.length} bytes, CPU stepped ${cpu.getEip()}`);
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(900);
    expect(skipped).toBeLessThan(checked);
  });
});
