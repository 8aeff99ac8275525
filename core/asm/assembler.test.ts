import { describe, expect, it } from 'vitest';
import { AsmError, assemble } from './index.js';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

describe('labels', () => {
  it('defines global and local labels, with forward references', () => {
    const { labels } = assemble(
      `start:
        jmp .skip
        nop
      .skip:
        mov ax, other.x
      other:
      .x: ret`,
      { origin: 0x100 },
    );
    expect(labels.start).toBe(0x100);
    expect(labels['start.skip']).toBe(0x103);
    expect(labels.other).toBe(0x106);
    expect(labels['other.x']).toBe(0x106);
  });

  it('takes data labels without a colon and equ constants', () => {
    const { bytes, labels } = assemble(`msg db 'hi', 0\nLEN equ $ - msg\nmov cx, LEN`);
    expect(labels.msg).toBe(0);
    expect(labels.LEN).toBe(3);
    expect(hex(bytes)).toBe('68 69 00 b9 03 00');
  });

  it('grows memory displacements when a forward label lands far', () => {
    const { bytes } = assemble('mov ax, [bx+t]\ntimes 300 db 0\nt:');
    expect(hex(bytes.slice(0, 4))).toBe('8b 87 30 01');
  });
});

describe('data and directives', () => {
  it('db/dw/dd with numbers, strings and expressions', () => {
    const { bytes } = assemble(`db 1, -1, 'AB', "c"+1\ndw 0x1234, 'x', -2\ndd 0xdeadbeef, lbl\nlbl:`);
    expect(hex(bytes)).toBe('01 ff 41 42 64 34 12 78 00 fe ff ef be ad de 13 00 00 00');
  });

  it('times, align, $ and $$', () => {
    const { bytes } = assemble(`db 1\nalign 4, 0xcc\ntimes 3 db 7\ntimes 8-($-$$) db 0\ndw $$`, { origin: 0x7c00 });
    expect(hex(bytes)).toBe('01 cc cc cc 07 07 07 00 00 7c');
  });

  it('pads a boot sector to 510 bytes plus the signature', () => {
    const { bytes } = assemble(`org 0x7c00\nxor ax, ax\ntimes 510-($-$$) db 0\ndw 0xaa55`);
    expect(bytes.length).toBe(512);
    expect(bytes[510]).toBe(0x55);
    expect(bytes[511]).toBe(0xaa);
  });

  it('evaluates expressions with C precedence and number forms', () => {
    const { labels } = assemble(`a equ 1 + 2 * 3\nb equ (1 + 2) * 3\nc equ 0FFh & ~0Fh | 1 << 2\nd equ 101b + 0x10 + 17o + 'A'\ne equ -8 / 3`);
    expect(labels).toMatchObject({ a: 7, b: 9, c: 0xf4, d: 5 + 16 + 15 + 65, e: -2 });
  });
});

describe('errors name the line', () => {
  const cases: [string, RegExp][] = [
    ['nop\nfoo ax', /^line 2: unknown instruction 'foo'/],
    ['mov [bx], 5', /^line 1: operation size not specified/],
    ['inc [bx]', /^line 1: operation size not specified/],
    ['mov al, 300', /^line 1: value 300 does not fit in a byte/],
    ['mov ax, missing', /^line 1: undefined symbol 'missing'/],
    ['mov ax, [bx+cx]', /^line 1: \[bx\+cx\] is not a 16-bit address/],
    ['mov ax, [ebx+si]', /mix 16-bit and 32-bit/],
    ['mov al, bx', /invalid combination of operands/],
    ['mov ax, bx cx', /unexpected text/],
    ['x: nop\nx: nop', /^line 2: label 'x' is defined twice/],
    ['nop\nnop\nnop\ntimes 2-($-$$) db 0', /^line 4: times count -1 is negative/],
    ['loop t\ntimes 300 nop\nt:', /^line 1: .*too far for a short jump/],
    ["db 'abc", /^line 1: unterminated string/],
    ['mov ax, 0x1g', /bad number/],
    ['mov ax, 1/0', /division by zero/],
    ['mov ax, [esp*2]', /esp cannot be an index/],
    ['mov byte ax, 1', /not byte-sized/],
    ['times 0x7fffffff db 0', /output would exceed 64 MiB/],
    [`mov ax, ${'('.repeat(5000)}1${')'.repeat(5000)}`, /nested too deeply/],
    [`mov ax, ${'-'.repeat(5000)}1`, /nested too deeply/],
    ['mov ax, [bx*2]', /cannot scale/],
    ['jmp far label\nlabel:', /invalid combination/],
  ];
  for (const [src, re] of cases) {
    it(src.replace(/\n/g, ' | '), () => {
      let err: unknown;
      try {
        assemble(src);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AsmError);
      expect((err as AsmError).message).toMatch(re);
      expect((err as AsmError).line).toBeGreaterThan(0);
    });
  }
});

describe('hostile input', () => {
  it('gives bytes or an AsmError naming the line, never another exception (seeded token soup)', () => {
    const words = ('mov add jmp push lea ax al eax es : [ ] + - * bx si ebx ecx 4 0x10 byte word dword far short , label label: ' +
      ".l .l: $ $$ times db dw dd equ align bits 16 32 'a' \"xy\" ( ) << >> ~ / % 0 rep lock o32 a32 int bioscall org shl cl 1 call ret cr0 ds").split(' ');
    let seed = 12345;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed % n;
    };
    const surprises: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const lines = Array.from({ length: 1 + random(4) }, () => Array.from({ length: 1 + random(7) }, () => words[random(words.length)]).join(' '));
      const source = lines.join('\n');
      try {
        assemble(source);
      } catch (e) {
        if (!(e instanceof AsmError) || !/^line \d+: /.test(e.message)) surprises.push(`${source} → ${String(e)}`);
      }
    }
    expect(surprises).toEqual([]);
  });
});
