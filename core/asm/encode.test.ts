/**
 * Known encodings, byte for byte. Expected bytes are worked out from the Intel SDM Vol. 2 opcode tables
 * and its ModRM/SIB tables (2-1, 2-2, 2-3), noted beside each case.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from './index.js';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
const enc = (src: string, bits: 16 | 32 = 16) => hex(assemble(src, { bits }).bytes);

// [source, expected hex, reasoning]
const CASES16: [string, string][] = [
  // 89 /r MOV Ev,Gv; ModRM 11 011(bx) 000(ax) = D8
  ['mov ax, bx', '89 d8'],
  ['mov al, ah', '88 e0'],
  // B8+rw iw
  ['mov cx, 0x1234', 'b9 34 12'],
  ['mov bl, 7', 'b3 07'],
  // 66 B8+rd id in 16-bit code
  ['mov eax, 0x12345678', '66 b8 78 56 34 12'],
  // 8B /r with [bx+si+disp8]: mod 01 reg 000 rm 000 = 40
  ['mov ax, [bx+si+4]', '8b 40 04'],
  // [bp] needs mod 01 with disp8 0 (rm 110 with mod 00 is disp16)
  ['mov ax, [bp]', '8b 46 00'],
  ['mov ax, [bp+di]', '8b 03'],
  // [disp16]: mod 00 rm 110
  ['mov bx, [0x1234]', '8b 1e 34 12'],
  // moffs forms A0/A1/A2/A3 are shorter than ModRM with disp16
  ['mov al, [0x1234]', 'a0 34 12'],
  ['mov [0x10], ax', 'a3 10 00'],
  // disp16 when disp8 does not fit: mod 10
  ['mov dx, [si+0x200]', '8b 94 00 02'],
  // negative disp8
  ['mov dx, [di-2]', '8b 55 fe'],
  // C7 /0 iw with size keyword
  ['mov word [bx], 0x55aa', 'c7 07 aa 55'],
  ['mov byte ptr [bx+1], 0x55', 'c6 47 01 55'],
  // Segment registers: 8E /r, 8C /r
  ['mov ds, ax', '8e d8'],
  ['mov es, [bx]', '8e 07'],
  ['mov ax, ss', '8c d0'],
  // Control registers: 0F 22 /r, 0F 20 /r (no 66: always 32-bit)
  ['mov cr0, eax', '0f 22 c0'],
  ['mov eax, cr0', '0f 20 c0'],
  // Segment override prefixes, written inside or outside the brackets
  ['mov es:[di], al', '26 88 05'],
  ['mov al, [cs:bx]', '2e 8a 07'],
  // ALU: 83 /0 ib (sign-extended) vs 05 iw vs 81 /0 iw
  ['add ax, 5', '83 c0 05'],
  ['add ax, 0x100', '05 00 01'],
  ['add bx, 0x100', '81 c3 00 01'],
  ['sub bx, -1', '83 eb ff'],
  ['and al, 0x0f', '24 0f'],
  ['cmp byte [si], 0', '80 3c 00'],
  ['cmp word [si], 0xffff', '83 3c ff'],
  ['or cx, dx', '09 d1'],
  ['xor ax, ax', '31 c0'],
  ['adc dx, [bx]', '13 17'],
  ['sbb al, 1', '1c 01'],
  ['test al, 0x80', 'a8 80'],
  ['test word [bx], 0x8000', 'f7 07 00 80'],
  ['test bx, cx', '85 cb'],
  // INC/DEC: 40+r, FE /0, FF /1
  ['inc si', '46'],
  ['dec byte [bx]', 'fe 0f'],
  ['dec word [bx]', 'ff 0f'],
  ['neg ax', 'f7 d8'],
  ['not byte [di]', 'f6 15'],
  ['mul bl', 'f6 e3'],
  ['div cx', 'f7 f1'],
  ['idiv word [bx]', 'f7 3f'],
  // IMUL forms: F7 /5, 0F AF /r, 6B /r ib, 69 /r iw
  ['imul cx', 'f7 e9'],
  ['imul ax, bx', '0f af c3'],
  ['imul ax, bx, 10', '6b c3 0a'],
  ['imul ax, bx, 1000', '69 c3 e8 03'],
  ['imul dx, 3', '6b d2 03'],
  // Shifts: D1 /4 (by 1), D3 /5 (by CL), C1 /7 ib
  ['shl ax, 1', 'd1 e0'],
  ['shr bx, cl', 'd3 eb'],
  ['sar dx, 4', 'c1 fa 04'],
  ['rol byte [bx], 1', 'd0 07'],
  ['rcr al, 3', 'c0 d8 03'],
  // LEA, LES, LDS, LSS
  ['lea si, [bx+di+0x10]', '8d 71 10'],
  ['les di, [bp+4]', 'c4 7e 04'],
  ['lds si, [0x20]', 'c5 36 20 00'],
  ['lss sp, [bx]', '0f b2 27'],
  // XCHG with AX: 90+r
  ['xchg ax, dx', '92'],
  ['xchg dx, ax', '92'],
  ['xchg al, bl', '86 d8'],
  // PUSH/POP
  ['push bx', '53'],
  ['pop di', '5f'],
  ['push word [bx]', 'ff 37'],
  ['pop word [bx]', '8f 07'],
  ['push 5', '6a 05'],
  ['push 0x1234', '68 34 12'],
  ['push dword 5', '66 6a 05'],
  ['push es', '06'],
  ['push cs', '0e'],
  ['pop ds', '1f'],
  ['push fs', '0f a0'],
  ['pop gs', '0f a9'],
  ['pusha', '60'],
  ['popad', '66 61'],
  ['pushf', '9c'],
  ['pushfd', '66 9c'],
  ['popf', '9d'],
  // Far jumps and calls: EA/9A ptr16:16, FF /5 and FF /3 m16:16
  ['jmp 0xF000:0xE05B', 'ea 5b e0 00 f0'],
  ['call 0x1234:0x5678', '9a 78 56 34 12'],
  ['jmp far [bx]', 'ff 2f'],
  ['call far [es:di+2]', '26 ff 5d 02'],
  // Near indirect: FF /4, FF /2
  ['jmp bx', 'ff e3'],
  ['call word [bx+2]', 'ff 57 02'],
  // RET/RETF/IRET/INT
  ['ret', 'c3'],
  ['ret 4', 'c2 04 00'],
  ['retf', 'cb'],
  ['retf 2', 'ca 02 00'],
  ['iret', 'cf'],
  ['iretd', '66 cf'],
  ['int 0x10', 'cd 10'],
  ['int3', 'cc'],
  ['into', 'ce'],
  // IN/OUT
  ['in al, 0x60', 'e4 60'],
  ['in ax, dx', 'ed'],
  ['in eax, dx', '66 ed'],
  ['out 0x20, al', 'e6 20'],
  ['out dx, al', 'ee'],
  ['out dx, ax', 'ef'],
  // Strings with REP and overrides
  ['rep movsb', 'f3 a4'],
  ['rep movsw', 'f3 a5'],
  ['rep movsd', 'f3 66 a5'],
  ['repe cmpsb', 'f3 a6'],
  ['repne scasb', 'f2 ae'],
  ['rep stosw', 'f3 ab'],
  ['lodsb', 'ac'],
  ['es lodsb', '26 ac'],
  ['rep insb', 'f3 6c'],
  ['outsw', '6f'],
  // One-byte miscellany
  ['cli', 'fa'],
  ['sti', 'fb'],
  ['cld', 'fc'],
  ['std', 'fd'],
  ['clc', 'f8'],
  ['stc', 'f9'],
  ['cmc', 'f5'],
  ['hlt', 'f4'],
  ['nop', '90'],
  ['cbw', '98'],
  ['cwd', '99'],
  ['cwde', '66 98'],
  ['cdq', '66 99'],
  ['lahf', '9f'],
  ['sahf', '9e'],
  ['xlat', 'd7'],
  ['aam', 'd4 0a'],
  ['aad 16', 'd5 10'],
  ['leave', 'c9'],
  ['enter 8, 0', 'c8 08 00 00'],
  // 386 two-byte forms
  ['movzx ax, bl', '0f b6 c3'],
  ['movzx eax, word [bx]', '66 0f b7 07'],
  ['movsx cx, byte [si]', '0f be 0c'],
  ['sete al', '0f 94 c0'],
  ['setnz byte [bx]', '0f 95 07'],
  ['bt ax, 3', '0f ba e0 03'],
  ['bts [bx], ax', '0f ab 07'],
  ['btr cx, dx', '0f b3 d1'],
  ['btc word [bx], 1', '0f ba 3f 01'],
  ['bsf ax, bx', '0f bc c3'],
  ['shld ax, bx, 4', '0f a4 d8 04'],
  ['shrd ax, bx, cl', '0f ad d8'],
  ['lgdt [0x100]', '0f 01 16 00 01'],
  ['lidt [bx]', '0f 01 1f'],
  ['o32 lgdt [bx]', '66 0f 01 17'],
  ['smsw ax', '0f 01 e0'],
  ['lmsw ax', '0f 01 f0'],
  ['cpuid', '0f a2'],
  ['bswap eax', '0f c8'],
  // The firmware trap
  ['bioscall 0x13', '0f ff 13'],
  // 32-bit addressing from 16-bit code: 67 prefix, SIB
  ['mov eax, [ebx+ecx*4+8]', '66 67 8b 44 8b 08'],
  ['mov al, [esp]', '67 8a 04 24'],
  ['mov al, [ebp]', '67 8a 45 00'],
  ['mov al, [esi+0x12345]', '67 8a 86 45 23 01 00'],
  ['mov al, [ecx*2]', '67 8a 04 4d 00 00 00 00'],
  ['mov al, [eax*3]', '67 8a 04 40'],
  ['mov al, [esp+eax]', '67 8a 04 04'],
  ['mov al, [eax+esp]', '67 8a 04 04'],
  ['lock inc word [bx]', 'f0 ff 07'],
];

const CASES32: [string, string][] = [
  ['mov eax, ebx', '89 d8'],
  ['mov ax, bx', '66 89 d8'],
  ['mov eax, [ebx]', '8b 03'],
  ['mov eax, [0x1000]', 'a1 00 10 00 00'],
  ['mov ecx, [0x1000]', '8b 0d 00 10 00 00'],
  ['mov al, [bx]', '67 8a 07'],
  ['push 5', '6a 05'],
  ['push 0x1234', '68 34 12 00 00'],
  ['push word 5', '66 6a 05'],
  ['pusha', '60'],
  ['iret', 'cf'],
  ['add eax, 0x10000', '05 00 00 01 00'],
  ['jmp 0x08:0x1000', 'ea 00 10 00 00 08 00'],
  ['jmp word 0x08:0x1000', '66 ea 00 10 08 00'],
  ['mov [edi+ecx*8-4], esi', '89 74 cf fc'],
  ['jecxz $', 'e3 fe'],
  ['jcxz $', '67 e3 fd'],
];

describe('encodings (16-bit code)', () => {
  for (const [src, bytes] of CASES16) it(src, () => expect(enc(src)).toBe(bytes));
});

describe('encodings (32-bit code)', () => {
  for (const [src, bytes] of CASES32) it(src, () => expect(enc(src, 32)).toBe(bytes));
});

describe('jumps', () => {
  it('uses a short jump when the target is near, backward and forward', () => {
    expect(enc('top: nop\njmp top')).toBe('90 eb fd');
    expect(enc('jmp fwd\nnop\nfwd:')).toBe('eb 01 90');
  });

  it('grows to a near jump when the target is too far, and iterates until labels are stable', () => {
    const { bytes, labels } = assemble('jmp far_away\ntimes 200 nop\nfar_away: jmp start\nstart:');
    // E9 rel16: 203 - 3 = 200 = 0xC8
    expect(hex(bytes.slice(0, 3))).toBe('e9 c8 00');
    expect(labels.far_away).toBe(203);
    expect(hex(bytes.slice(203))).toBe('eb 00');
  });

  it('picks short or near Jcc (70+cc cb / 0F 80+cc cw)', () => {
    expect(enc('jz t\nt:')).toBe('74 00');
    expect(enc('jc t\ntimes 128 nop\nt:').slice(0, 8)).toBe('0f 82 80');
    expect(enc('jnae t\nt:')).toBe('72 00');
  });

  it('honours short and near keywords', () => {
    expect(enc('jmp near t\nt:')).toBe('e9 00 00');
    expect(enc('jmp short t\nt:')).toBe('eb 00');
    expect(() => assemble('jmp short t\ntimes 200 nop\nt:')).toThrow(/line 1: .*too far for a short jump/);
  });

  it('encodes call rel16 and loops', () => {
    expect(enc('call f\nf: ret')).toBe('e8 00 00 c3');
    expect(enc('l: loop l')).toBe('e2 fe');
    expect(enc('l: loopne l')).toBe('e0 fe');
    expect(enc('jcxz l\nl:')).toBe('e3 00');
  });

  it('relative targets respect the origin', () => {
    const { bytes } = assemble('jmp 0x7c00', { origin: 0x7c00 });
    expect(hex(bytes)).toBe('eb fe');
    expect(hex(assemble('call 0x100', { origin: 0x7c00 }).bytes)).toBe('e8 fd 84');
  });
});

describe('32-bit sizes in 16-bit code', () => {
  it('switches with bits', () => {
    expect(enc('bits 32\nmov eax, 1\nbits 16\nmov eax, 1')).toBe('b8 01 00 00 00 66 b8 01 00 00 00');
  });
});
