/**
 * The encoder's instruction forms, written in the Intel SDM's operand vocabulary so that each row reads
 * like the manual's opcode table: `"ADD Ev,Ibs : 83 /0"`.
 *
 * Operand kinds: E = register or memory (ModRM.rm), G = register (ModRM.reg), R = register only in ModRM.rm,
 * M = memory of any size, Mf = memory with `far` (16:16 / 16:32 pointer), Mp = a far-pointer operand for
 * LES/LDS/LSS..., I = immediate, Ibs = immediate byte sign-extended to the operand size, J = relative
 * jump target, Ap = direct far pointer `seg:off`, O = memory offset with no registers (moffs), S = segment
 * register, C/D = control/debug register, Z = register in the opcode's low 3 bits. Size letters: b = 8,
 * w = 16, d = 32, v = 16 or 32 (operand size, prefix 66h when it differs from the mode). Fixed operands are
 * register names (AL, CL, DX, ES…), eAX (AX or EAX by operand size) and 1.
 *
 * Encoding: opcode bytes in hex, then `/r` (ModRM with the G/S/C/D operand in reg) or `/0`…`/7` (ModRM
 * with an opcode extension), `+r` (register in the last opcode byte), and flags: o16/o32 (fixed operand
 * size), a16/a32 (fixed address size), def (operand size defaults to the mode's when the operands don't
 * say), dup (the G register is also the E operand: `imul ax,5` = `imul ax,ax,5`).
 *
 * Why not take the opcodes from core/cpu/isa.ts: see README.md in this folder.
 */

export type SizeCode = 0 | 1 | 2 | 4 | 'v';

export type OperandClass = 'E' | 'G' | 'R' | 'M' | 'Mf' | 'Mp' | 'I' | 'Ibs' | 'J' | 'A' | 'O' | 'S' | 'C' | 'D' | 'Z' | 'fixed' | 'one';

export interface OperandKind {
  readonly cls: OperandClass;
  readonly size: SizeCode;
  /** For 'fixed': the register name (lower case), or 'eax' meaning AX/EAX by operand size. */
  readonly reg?: string;
}

export interface Form {
  readonly mnemonic: string;
  readonly ops: readonly OperandKind[];
  readonly opcode: readonly number[];
  /** -1: no ModRM; 0-7: ModRM with this opcode extension in reg; 8: ModRM with a register operand in reg. */
  readonly modrm: number;
  readonly plusReg: boolean;
  readonly osize: 0 | 16 | 32;
  readonly asize: 0 | 16 | 32;
  readonly defaultSize: boolean;
  readonly dup: boolean;
  /** Whether the operand size is a choice (some operand has size v): then 66h follows it. */
  readonly sized: boolean;
}

const CONDITIONS = ['o', 'no', 'b c nae', 'ae nb nc', 'e z', 'ne nz', 'be na', 'a nbe', 's', 'ns', 'p pe', 'np po', 'l nge', 'ge nl', 'le ng', 'g nle'];
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const SHIFTS = ['rol', 'ror', 'rcl', 'rcr', 'shl sal', 'shr', '', 'sar'];
const hex = (n: number) => n.toString(16).padStart(2, '0');

/** The table, one line per form. Families the manual writes as a pattern are generated the same way. */
function rows(): string[] {
  const r: string[] = [];
  ALU.forEach((m, i) => {
    const b = i * 8;
    r.push(
      `${m} Eb,Gb : ${hex(b)} /r`, `${m} Ev,Gv : ${hex(b + 1)} /r`, `${m} Gb,Eb : ${hex(b + 2)} /r`, `${m} Gv,Ev : ${hex(b + 3)} /r`,
      // Ev,Ibs first: on a tie with eAX,Iv (add ax,5) the sign-extended form wins, as NASM picks it.
      `${m} Ev,Ibs : 83 /${i}`, `${m} AL,Ib : ${hex(b + 4)}`, `${m} eAX,Iv : ${hex(b + 5)}`,
      `${m} Eb,Ib : 80 /${i}`, `${m} Ev,Iv : 81 /${i}`,
    );
  });
  SHIFTS.forEach((names, i) => {
    for (const m of names.split(' ').filter(Boolean)) {
      r.push(`${m} Eb,1 : d0 /${i}`, `${m} Ev,1 : d1 /${i}`, `${m} Eb,CL : d2 /${i}`, `${m} Ev,CL : d3 /${i}`, `${m} Eb,Ib : c0 /${i}`, `${m} Ev,Ib : c1 /${i}`);
    }
  });
  CONDITIONS.forEach((names, cc) => {
    for (const c of names.split(' ')) {
      r.push(`j${c} Jb : ${hex(0x70 + cc)}`, `j${c} Jv : 0f ${hex(0x80 + cc)} def`, `set${c} Eb : 0f ${hex(0x90 + cc)} /0`, `cmov${c} Gv,Ev : 0f ${hex(0x40 + cc)} /r`);
    }
  });
  ['', '', 'not', 'neg', 'mul', 'imul', 'div', 'idiv'].forEach((m, ext) => {
    if (m) r.push(`${m} Eb : f6 /${ext}`, `${m} Ev : f7 /${ext}`);
  });
  [['bt', 0xa3, 4], ['bts', 0xab, 5], ['btr', 0xb3, 6], ['btc', 0xbb, 7]].forEach(([m, op, ext]) => {
    r.push(`${m} Ev,Gv : 0f ${hex(op as number)} /r`, `${m} Ev,Ib : 0f ba /${ext}`);
  });
  // Size-suffixed string and stack forms: the bare name takes the mode's size.
  const sized = (base: string, op: string, byteOp?: string) => {
    if (byteOp) r.push(`${base}b : ${byteOp}`);
    r.push(`${base}w : ${op} o16`, `${base}d : ${op} o32`);
  };
  sized('movs', 'a5', 'a4');
  sized('cmps', 'a7', 'a6');
  sized('stos', 'ab', 'aa');
  sized('lods', 'ad', 'ac');
  sized('scas', 'af', 'ae');
  sized('ins', '6d', '6c');
  sized('outs', '6f', '6e');
  for (const [m, op] of [['pusha', '60'], ['popa', '61'], ['pushf', '9c'], ['popf', '9d'], ['iret', 'cf']]) {
    r.push(`${m} : ${op}`);
    sized(m, op);
  }
  r.push(...TABLE.trim().split('\n'));
  return r.map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
}

const TABLE = `
mov Eb,Gb : 88 /r
mov Ev,Gv : 89 /r
mov Gb,Eb : 8a /r
mov Gv,Ev : 8b /r
mov Ew,Sw : 8c /r
mov Rv,Sw : 8c /r
mov Sw,Ew : 8e /r
mov AL,Ob : a0
mov eAX,Ov : a1
mov Ob,AL : a2
mov Ov,eAX : a3
mov Zb,Ib : b0 +r
mov Zv,Iv : b8 +r
mov Eb,Ib : c6 /0
mov Ev,Iv : c7 /0
mov Rd,Cd : 0f 20 /r
mov Rd,Dd : 0f 21 /r
mov Cd,Rd : 0f 22 /r
mov Dd,Rd : 0f 23 /r
test Eb,Gb : 84 /r
test Gb,Eb : 84 /r
test Ev,Gv : 85 /r
test Gv,Ev : 85 /r
test AL,Ib : a8
test eAX,Iv : a9
test Eb,Ib : f6 /0
test Ev,Iv : f7 /0
xchg eAX,Zv : 90 +r
xchg Zv,eAX : 90 +r
xchg Eb,Gb : 86 /r
xchg Gb,Eb : 86 /r
xchg Ev,Gv : 87 /r
xchg Gv,Ev : 87 /r
inc Zv : 40 +r
inc Eb : fe /0
inc Ev : ff /0
dec Zv : 48 +r
dec Eb : fe /1
dec Ev : ff /1
imul Gv,Ev : 0f af /r
imul Gv,Ev,Ibs : 6b /r
imul Gv,Ev,Iv : 69 /r
imul Gv,Ibs : 6b /r dup
imul Gv,Iv : 69 /r dup
lea Gv,M : 8d /r
les Gv,Mp : c4 /r
lds Gv,Mp : c5 /r
lss Gv,Mp : 0f b2 /r
lfs Gv,Mp : 0f b4 /r
lgs Gv,Mp : 0f b5 /r
movzx Gv,Eb : 0f b6 /r
movzx Gv,Ew : 0f b7 /r
movsx Gv,Eb : 0f be /r
movsx Gv,Ew : 0f bf /r
bsf Gv,Ev : 0f bc /r
bsr Gv,Ev : 0f bd /r
shld Ev,Gv,Ib : 0f a4 /r
shld Ev,Gv,CL : 0f a5 /r
shrd Ev,Gv,Ib : 0f ac /r
shrd Ev,Gv,CL : 0f ad /r
cmpxchg Eb,Gb : 0f b0 /r
cmpxchg Ev,Gv : 0f b1 /r
xadd Eb,Gb : 0f c0 /r
xadd Ev,Gv : 0f c1 /r
bswap Zd : 0f c8 +r
bound Gv,M : 62 /r
arpl Ew,Gw : 63 /r
push Zv : 50 +r
push Ev : ff /6
push Ibs : 6a def
push Iv : 68 def
push ES : 06
push CS : 0e
push SS : 16
push DS : 1e
push FS : 0f a0
push GS : 0f a8
pop Zv : 58 +r
pop Ev : 8f /0
pop ES : 07
pop SS : 17
pop DS : 1f
pop FS : 0f a1
pop GS : 0f a9
jmp Jb : eb
jmp Jv : e9 def
jmp Ap : ea def
jmp Ev : ff /4 def
jmp Mf : ff /5 def
call Jv : e8 def
call Ap : 9a def
call Ev : ff /2 def
call Mf : ff /3 def
jcxz Jb : e3 a16
jecxz Jb : e3 a32
loop Jb : e2
loope Jb : e1
loopz Jb : e1
loopne Jb : e0
loopnz Jb : e0
ret : c3
ret Iw : c2
retn : c3
retn Iw : c2
retf : cb
retf Iw : ca
enter Iw,Ib : c8
leave : c9
int Ib : cd
int3 : cc
into : ce
int1 : f1
icebp : f1
in AL,Ib : e4
in eAX,Ib : e5
in AL,DX : ec
in eAX,DX : ed
out Ib,AL : e6
out Ib,eAX : e7
out DX,AL : ee
out DX,eAX : ef
xlat : d7
xlatb : d7
nop : 90
hlt : f4
wait : 9b
fwait : 9b
cli : fa
sti : fb
cld : fc
std : fd
clc : f8
stc : f9
cmc : f5
cbw : 98 o16
cwde : 98 o32
cwd : 99 o16
cdq : 99 o32
lahf : 9f
sahf : 9e
salc : d6
daa : 27
das : 2f
aaa : 37
aas : 3f
aam : d4 0a
aam Ib : d4
aad : d5 0a
aad Ib : d5
sgdt M : 0f 01 /0
sidt M : 0f 01 /1
lgdt M : 0f 01 /2
lidt M : 0f 01 /3
smsw Ew : 0f 01 /4
smsw Rv : 0f 01 /4
lmsw Ew : 0f 01 /6
invlpg M : 0f 01 /7
sldt Ew : 0f 00 /0
str Ew : 0f 00 /1
lldt Ew : 0f 00 /2
ltr Ew : 0f 00 /3
verr Ew : 0f 00 /4
verw Ew : 0f 00 /5
lar Gv,Ew : 0f 02 /r
lsl Gv,Ew : 0f 03 /r
clts : 0f 06
invd : 0f 08
wbinvd : 0f 09
ud2 : 0f 0b
wrmsr : 0f 30
rdtsc : 0f 31
rdmsr : 0f 32
cpuid : 0f a2
bioscall Ib : 0f ff
`;

const FIXED_REGS = new Set(['al', 'cl', 'dx', 'es', 'cs', 'ss', 'ds', 'fs', 'gs']);
const SIZE_LETTER: Record<string, SizeCode> = { b: 1, w: 2, d: 4, v: 'v', p: 0, '': 0 };

function parseKind(text: string): OperandKind {
  const lower = text.toLowerCase();
  if (lower === '1') return { cls: 'one', size: 0 };
  if (lower === 'eax') return { cls: 'fixed', size: 'v', reg: 'eax' };
  if (FIXED_REGS.has(lower)) return { cls: 'fixed', size: lower === 'al' || lower === 'cl' ? 1 : 2, reg: lower };
  if (text === 'Ibs') return { cls: 'Ibs', size: 'v' };
  if (text === 'Mf' || text === 'Mp') return { cls: text, size: 0 };
  if (text === 'Ap') return { cls: 'A', size: 'v' };
  const cls = text[0] as OperandClass;
  const size = SIZE_LETTER[text.slice(1)];
  if (!'EGRMIJOSCDZ'.includes(cls) || size === undefined || text.length > 2) throw new Error(`asm forms: bad operand kind ${text}`);
  return { cls, size };
}

function parseForm(line: string): Form {
  const [left, right] = line.split(':').map((s) => s.trim());
  const [mnemonic, opText] = left.split(/\s+/);
  const ops = opText ? opText.split(',').map(parseKind) : [];
  const opcode: number[] = [];
  let modrm = -1;
  let plusReg = false;
  let osize: 0 | 16 | 32 = 0;
  let asize: 0 | 16 | 32 = 0;
  let defaultSize = false;
  let dup = false;
  for (const word of right.split(/\s+/)) {
    if (/^[0-9a-f]{2}$/.test(word)) opcode.push(parseInt(word, 16));
    else if (word === '/r') modrm = 8;
    else if (/^\/[0-7]$/.test(word)) modrm = Number(word[1]);
    else if (word === '+r') plusReg = true;
    else if (word === 'o16' || word === 'o32') osize = word === 'o16' ? 16 : 32;
    else if (word === 'a16' || word === 'a32') asize = word === 'a16' ? 16 : 32;
    else if (word === 'def') defaultSize = true;
    else if (word === 'dup') dup = true;
    else throw new Error(`asm forms: bad encoding word '${word}' in '${line}'`);
  }
  const sized = ops.some((k) => k.size === 'v');
  return { mnemonic, ops, opcode, modrm, plusReg, osize, asize, defaultSize, dup, sized };
}

/** All forms by mnemonic (lower case), in table order. Built once; read-only. */
export const FORMS: ReadonlyMap<string, readonly Form[]> = (() => {
  const map = new Map<string, Form[]>();
  for (const line of rows()) {
    const form = parseForm(line);
    const list = map.get(form.mnemonic) ?? [];
    list.push(form);
    map.set(form.mnemonic, list);
  }
  return map;
})();

/** Instruction prefixes that may be written as words before a mnemonic. */
export const PREFIX_BYTES: ReadonlyMap<string, number> = new Map([
  ['lock', 0xf0],
  ['rep', 0xf3],
  ['repe', 0xf3],
  ['repz', 0xf3],
  ['repne', 0xf2],
  ['repnz', 0xf2],
  ['es', 0x26],
  ['cs', 0x2e],
  ['ss', 0x36],
  ['ds', 0x3e],
  ['fs', 0x64],
  ['gs', 0x65],
]);

export const SEGMENT_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65] as const;
