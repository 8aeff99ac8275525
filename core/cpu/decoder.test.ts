import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { assemble } from '../asm/index.js';
import { decode } from './decoder.js';
import { disassemble, disassembleRange, mnemonicOf } from './disasm.js';
import { Attr, CPU_LEVEL, ISA } from './isa.js';

const ICED = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/testdata/iced-decoder');
const present = existsSync(ICED);

function lines(file: string): string[] {
  return gunzipSync(readFileSync(join(ICED, file))).toString('utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
}

function bytesOf(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** Our mnemonics at the CPU level (both operand sizes), lower case; x87 escapes and the firmware trap aside. */
const OURS = new Set(
  ISA.filter((r) => r.level <= CPU_LEVEL && !(r.attrs & (Attr.X87 | Attr.Trap))).flatMap((r) => [r.mnemonic.toLowerCase(), r.mnemonic32.toLowerCase()]),
);
/** iced code-name stems that are ours under another spelling. */
const ICED_STEMS: Record<string, string> = {
  pushaw: 'pusha', popaw: 'popa', pushfw: 'pushf', popfw: 'popf', iretw: 'iret', retnw: 'ret', retnd: 'ret', retfw: 'retf',
  retfd: 'retf', enterw: 'enter', enterd: 'enter', leavew: 'leave', leaved: 'leave', pushw: 'push', pushd: 'push', popw: 'pop', popd: 'pop',
  xlat: 'xlat',
};
/**
 * iced codes with one of our mnemonics that are not 386 instructions: multi-byte NOPs (P6), the 486 A-step
 * CMPXCHG encoding, the 386's test registers (MOV TRn, which iced decodes only on request), reserved-NOP
 * hint space, and forms of the 8086/186 not present on a 386.
 */
const NOT_386 = /^(Nop_rm\d+|Nopw|Nopd|Cmpxchg486\w*|Mov_r32_tr|Mov_tr_r32|Reservednop\w*|Ud0\w*|Pop_CS)$/;

function ourStem(code: string): string | undefined {
  const stem = code.split('_')[0].toLowerCase();
  const mapped = ICED_STEMS[stem] ?? stem;
  return OURS.has(mapped) ? mapped : undefined;
}

interface Counts {
  checked: number;
  invalidChecked: number;
  otherIsa: number;
  options: number;
}

function runDecoderTable(file: string, code32: boolean): Counts {
  const counts: Counts = { checked: 0, invalidChecked: 0, otherIsa: 0, options: 0 };
  const failures: string[] = [];
  for (const line of lines(file)) {
    const cols = line.split(', ');
    const [hex, code, mnemonic] = cols;
    if (line.includes('decopt=')) {
      counts.options++; // decoder options we do not model (Cyrix, AMD, MPX, no-invalid-check …)
      continue;
    }
    const bytes = bytesOf(hex);
    if (code === 'INVALID') {
      const would = /code=(\S+)/.exec(line)?.[1] ?? '';
      if (!ourStem(would) || NOT_386.test(would) || /^(EVEX|VEX|XOP|MVEX|D3NOW)_/.test(would)) {
        counts.otherIsa++;
        continue;
      }
      const d = decode(bytes, 0, code32);
      if (d.valid && d.length === bytes.length) failures.push(`${hex}: iced says INVALID (${would}), we decode ${mnemonicOf(d)}`);
      counts.invalidChecked++;
      continue;
    }
    if (!ourStem(code) || NOT_386.test(code) || /^(EVEX|VEX|XOP|MVEX|D3NOW)_/.test(code) || /(xmm|mm\d|bnd|_k\d)/i.test(code)) {
      counts.otherIsa++;
      continue;
    }
    if (/^Mov_(r32_cr|cr_r32)$/.test(code) && ((bytes[bytes.length - 1] >> 3) & 7) === 4) {
      counts.otherIsa++; // CR4 arrived with the Pentium
      continue;
    }
    const d = decode(bytes, 0, code32);
    counts.checked++;
    if (!d.valid) failures.push(`${hex}: iced ${code}, we say invalid (${d.invalidReason})`);
    else if (d.length !== bytes.length) failures.push(`${hex}: iced ${code} is ${bytes.length} bytes, we decode ${d.length}`);
    else {
      const ours = mnemonicOf(d).replace(/^(call|jmp)$/, '$1');
      const theirs = mnemonic.toLowerCase();
      const same = ours === theirs || (theirs === 'xlatb' && ours === 'xlatb') || (ours === 'xlatb' && theirs === 'xlat');
      if (!same) failures.push(`${hex}: iced ${code} ${theirs}, we ${ours}`);
    }
  }
  console.log(`${file}: ${counts.checked} valid and ${counts.invalidChecked} invalid rows checked; skipped ${counts.otherIsa} of other ISAs/levels, ${counts.options} needing decoder options`);
  expect(failures.slice(0, 20)).toEqual([]);
  return counts;
}

describe('decoder against iced', () => {
  it.runIf(!present)('has its data when running in CI', () => {
    expect(process.env.CI, `${ICED} is missing`).toBeFalsy();
  });

  it.runIf(present)('16-bit table: lengths, validity and mnemonics of 386 instructions', () => {
    const counts = runDecoderTable('DecoderTest16.txt.gz', false);
    expect(counts.checked).toBeGreaterThan(1000);
  });

  it.runIf(present)('32-bit table: lengths, validity and mnemonics of 386 instructions', () => {
    const counts = runDecoderTable('DecoderTest32.txt.gz', true);
    expect(counts.checked).toBeGreaterThan(1000);
  });

  it.runIf(present)('memory operands: segment, base, index, scale, displacement', () => {
    const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
    const REG32 = REG16.map((r) => 'e' + r);
    const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
    const BASE16: [string, string][] = [['bx', 'si'], ['bx', 'di'], ['bp', 'si'], ['bp', 'di'], ['si', 'none'], ['di', 'none'], ['bp', 'none'], ['bx', 'none']];
    let checked = 0;
    const failures: string[] = [];
    for (const [file, code32] of [['MemoryTest16.txt.gz', false], ['MemoryTest32.txt.gz', true]] as const) {
      for (const line of lines(file)) {
        const [hex, code, , , segment, base, index, scale, disp] = line.split(', ');
        if (!code.startsWith('Add_')) continue; // the EVEX scatter rows are not ours
        const d = decode(bytesOf(hex), 0, code32);
        let ourBase: string, ourIndex: string, ourScale = 0;
        const mod = d.modrm >> 6, rm = d.modrm & 7;
        if (!d.a32) {
          [ourBase, ourIndex] = mod === 0 && rm === 6 ? ['none', 'none'] : BASE16[rm];
        } else if (rm === 4) {
          const b = d.sib & 7, i = (d.sib >> 3) & 7;
          ourBase = b === 5 && mod === 0 ? 'none' : REG32[b];
          ourIndex = i === 4 ? 'none' : REG32[i];
          ourScale = d.sib >> 6;
        } else {
          ourBase = mod === 0 && rm === 5 ? 'none' : REG32[rm];
          ourIndex = 'none';
        }
        const ssBased = ourBase === 'bp' || ourBase === 'ebp' || ourBase === 'esp';
        const ourSegment = d.segment >= 0 ? SEGS[d.segment] : ssBased ? 'ss' : 'ds';
        const ourDisp = d.dispSize ? (d.a32 ? d.disp >>> 0 : d.disp & 0xffff) : 0;
        const got = [ourSegment, ourBase, ourIndex, ourIndex === 'none' ? '-' : ourScale, ourDisp].join(' ');
        const want = [segment, base, index, index === 'none' ? '-' : Number(scale), Number(disp)].join(' ');
        if (got !== want) failures.push(`${hex}: ${got} ≠ ${want}`);
        checked++;
      }
    }
    console.log(`memory operands: ${checked} checked`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(checked).toBeGreaterThan(1500);
  });
});

describe('decoder rules', () => {
  it('treats instructions above the requested CPU level as invalid and knows their length', () => {
    const cpuid = decode(Uint8Array.of(0x0f, 0xa2), 0, false, 3);
    expect(cpuid.valid).toBe(false);
    expect(cpuid.invalidReason).toBe('level');
    expect(decode(Uint8Array.of(0x0f, 0xa2)).valid).toBe(true); // the interpreter's level: a P6
    const sysenter = decode(Uint8Array.of(0x0f, 0x34), 0, false, 5);
    expect(sysenter.invalidReason).toBe('level');
    expect(decode(Uint8Array.of(0x0f, 0x1f, 0x44, 0x00, 0x00), 0, true).length).toBe(5); // NOP Ev, with SIB and disp8
  });

  it('rejects LOCK on registers, MOV to CS, segment registers 6/7, LEA from a register, and more than 15 bytes', () => {
    expect(decode(Uint8Array.of(0xf0, 0x01, 0xc0)).invalidReason).toBe('lock');
    expect(decode(Uint8Array.of(0x8e, 0xc8)).invalidReason).toBe('sreg');
    expect(decode(Uint8Array.of(0x8c, 0xf0)).invalidReason).toBe('sreg');
    expect(decode(Uint8Array.of(0x8d, 0xc0)).invalidReason).toBe('modrm');
    expect(decode(new Uint8Array(16).fill(0x26)).invalidReason).toBe('length');
    expect(decode(Uint8Array.of(0x66, 0x05, 0x01)).invalidReason).toBe('truncated');
  });

  it('sizes immediates, displacements and far pointers by operand and address size', () => {
    expect(decode(Uint8Array.of(0x66, 0x05, 1, 2, 3, 4)).length).toBe(6);
    expect(decode(Uint8Array.of(0x05, 1, 2)).length).toBe(3);
    expect(decode(Uint8Array.of(0x67, 0xa1, 1, 2, 3, 4)).length).toBe(6);
    expect(decode(Uint8Array.of(0x66, 0xea, 1, 2, 3, 4, 5, 6)).length).toBe(8);
    expect(decode(Uint8Array.of(0x67, 0x8b, 0x04, 0x25, 1, 2, 3, 4)).length).toBe(8); // SIB with no base: disp32
    expect(decode(Uint8Array.of(0xc8, 1, 2, 3)).length).toBe(4);
  });
});

describe('disassembler', () => {
  const SAMPLE: [string, string][] = [
    ['00 5f 0e', 'add [bx+0xe], bl'],
    ['81 06 34 12 78 56', 'add word [0x1234], 0x5678'],
    ['83 c0 fe', 'add ax, 0xfffe'],
    ['66 67 8b 44 b3 10', 'mov eax, [ebx+esi*4+0x10]'],
    ['26 8b 46 fe', 'mov ax, [es:bp-0x2]'],
    ['f3 a4', 'rep movsb'],
    ['f3 66 67 a5', 'a32 rep movsd'],
    ['f2 ae', 'repne scasb'],
    ['26 ac', 'es lodsb'],
    ['ea 5b e0 00 f0', 'jmp 0xf000:0xe05b'],
    ['ff 5f 02', 'call far [bx+0x2]'],
    ['eb fe', 'jmp 0x100'],
    ['0f 84 fc ff', 'je 0x100'],
    ['66 0f a0', 'o32 push fs'],
    ['6a fe', 'push 0xfffe'],
    ['d3 27', 'shl word [bx], cl'],
    ['0f b6 07', 'movzx ax, byte [bx]'],
    ['0f 22 c0', 'mov cr0, eax'],
    ['8c 1f', 'mov [bx], ds'],
    ['0f 01 17', 'lgdt [bx]'],
    ['f0 01 07', 'lock add [bx], ax'],
    ['c8 08 00 01', 'enter 0x8, 0x1'],
    ['0f 0b', 'ud2'],
    ['0f ff', 'db 0xf, 0xff'],
    ['0f c7 0f', 'cmpxchg8b [bx]'],
    ['0f 45 c1', 'cmovne ax, cx'],
  ];

  it('writes Intel syntax for a sample', () => {
    for (const [hex, text] of SAMPLE) expect(disassemble(bytesOf(hex), 0, 0x100).text, hex).toBe(text);
  });

  it('text reassembles with core/asm to the same instruction (a broad program, round trip)', () => {
    const source = `
      add [bx+si+0x10], al
      sub ecx, [ebp+eax*2-0x8]
      imul bx, [di], 0x1234
      shrd [bx], ax, 3
      bts word [si], 7
      les di, [bx+4]
      xchg ax, cx
      loop $
      in ax, 0x60
      out dx, eax
      rep stosw
      int 0x21
      iret
      retf 4
      pushad
      cbw
      cwd
      lahf
      xlatb
      mov ss, ax
      mov eax, cr3
      setnz [bx]
      push word 0x1234
      push dword 0x12345678
      call 0x180
      jmp far [bx]
      lea eax, [ebx+ecx*8+0x1000]
      bound ax, [bx]
      mov al, [es:0x44]`;
    const { bytes } = assemble(source, { bits: 16, origin: 0x100 });
    const listing = disassembleRange(bytes, 0x100, 200);
    let offset = 0;
    for (const line of listing) {
      const text = line.slice(37);
      const d = decode(bytes, offset);
      expect(d.valid, line).toBe(true);
      const again = assemble(text, { bits: 16, origin: 0x100 + offset }).bytes;
      expect(decode(again).row, `${line} reassembled as ${Array.from(again, (b) => b.toString(16)).join(' ')}`).toBe(d.row);
      expect(disassemble(again, 0, 0x100 + offset).text, line).toBe(text);
      offset += d.length;
    }
    expect(offset).toBe(bytes.length);
  });
});
