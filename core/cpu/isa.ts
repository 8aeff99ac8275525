/**
 * The instruction table (DESIGN §2 "one instruction table"): one row per opcode of the one-byte map and
 * the 0F map (group opcodes: one row per ModRM.reg), written in the Intel SDM's operand vocabulary so it
 * reads like the manual's opcode map (Vol. 2, Appendix A). It drives the decoder (lengths, validity), the
 * interpreter's dispatch (built from these rows at startup) and the disassembler.
 *
 * Row syntax (one per line, whitespace-separated columns):
 *   opcode  mnemonic  operands  access  read  written  undefined  level  [attributes]
 * - opcode: `8F/0` (group row: ModRM.reg = 0), `0F A4`, `40+r` (8 opcodes, register in bits 0-2: operand
 *   `Zv`/`Zb`), `70+cc` (16 opcodes, condition in bits 0-3: `cc` in the mnemonic expands to O, NO, B …).
 * - mnemonic: `CBW/CWDE` gives the names for 16- and 32-bit operand size.
 * - operands: SDM codes (Eb Gv Ib Jz Ap Ob Sw M Mp Cd Rd Xb Yv …), fixed registers (AL CL DX eAX ES …) or
 *   the constant 1; `-` for none. `Zb`/`Zv` is the register in the opcode's low bits.
 * - access: per operand r, w or rw (`-` for none): the JIT skips loads of write-only operands.
 * - read / written / undefined: EFLAGS letters O D I T S Z A P C (`-` for none). Flags a row lists as
 *   undefined are what the manual says; conformance masks come from this column.
 * - level: the first CPU with the row: 8086 186 286 386 486 P5 P6.
 * - attributes: lock (LOCK allowed with a memory destination), rep (REP honoured), repcc (REPE/REPNE
 *   honoured), pm (protected mode only: #UD in real and virtual-8086 mode), x87 (coprocessor escape),
 *   jump (ends a basic block), trap (the co86 firmware trap, honoured only in ROM).
 */

export const enum Level { I8086 = 0, I186 = 1, I286 = 2, I386 = 3, I486 = 4, P5 = 5, P6 = 6 }

/** The CPU level the interpreter implements; rows above it decode (for the disassembler) but raise #UD. */
export const CPU_LEVEL = Level.P6;

export const enum Attr {
  Lock = 1 << 0,
  Rep = 1 << 1,
  RepCC = 1 << 2,
  ProtectedOnly = 1 << 3,
  X87 = 1 << 4,
  Jump = 1 << 5,
  Trap = 1 << 6,
}

export interface IsaRow {
  /** 0: one-byte map, 1: the 0F map. */
  readonly map: 0 | 1;
  readonly opcode: number;
  /** ModRM.reg for a group row, -1 otherwise. */
  readonly reg: number;
  /** Name at 16-bit operand size (and at 32-bit unless mnemonic32 differs). */
  readonly mnemonic: string;
  readonly mnemonic32: string;
  /** The mnemonic as written in the table, before condition-code expansion (`Jcc`, `SETcc`): the interpreter's key. */
  readonly family: string;
  readonly operands: readonly string[];
  readonly access: readonly string[];
  readonly flagsRead: number;
  readonly flagsWritten: number;
  readonly flagsUndefined: number;
  readonly level: Level;
  readonly attrs: number;
  /** Condition code 0-15 for Jcc/SETcc/CMOVcc rows, -1 otherwise. */
  readonly cc: number;
  /** The row's text, for error messages and the disassembler's debugging. */
  readonly source: string;
}

const ONE_BYTE_MAP = `
00      ADD        Eb,Gb     rw,r     -      OSZAPC  -       8086  lock
01      ADD        Ev,Gv     rw,r     -      OSZAPC  -       8086  lock
02      ADD        Gb,Eb     rw,r     -      OSZAPC  -       8086
03      ADD        Gv,Ev     rw,r     -      OSZAPC  -       8086
04      ADD        AL,Ib     rw,r     -      OSZAPC  -       8086
05      ADD        eAX,Iz    rw,r     -      OSZAPC  -       8086
06      PUSH       ES        r        -      -       -       8086
07      POP        ES        w        -      -       -       8086
08      OR         Eb,Gb     rw,r     -      OSZPC   A       8086  lock
09      OR         Ev,Gv     rw,r     -      OSZPC   A       8086  lock
0A      OR         Gb,Eb     rw,r     -      OSZPC   A       8086
0B      OR         Gv,Ev     rw,r     -      OSZPC   A       8086
0C      OR         AL,Ib     rw,r     -      OSZPC   A       8086
0D      OR         eAX,Iz    rw,r     -      OSZPC   A       8086
0E      PUSH       CS        r        -      -       -       8086
10      ADC        Eb,Gb     rw,r     C      OSZAPC  -       8086  lock
11      ADC        Ev,Gv     rw,r     C      OSZAPC  -       8086  lock
12      ADC        Gb,Eb     rw,r     C      OSZAPC  -       8086
13      ADC        Gv,Ev     rw,r     C      OSZAPC  -       8086
14      ADC        AL,Ib     rw,r     C      OSZAPC  -       8086
15      ADC        eAX,Iz    rw,r     C      OSZAPC  -       8086
16      PUSH       SS        r        -      -       -       8086
17      POP        SS        w        -      -       -       8086
18      SBB        Eb,Gb     rw,r     C      OSZAPC  -       8086  lock
19      SBB        Ev,Gv     rw,r     C      OSZAPC  -       8086  lock
1A      SBB        Gb,Eb     rw,r     C      OSZAPC  -       8086
1B      SBB        Gv,Ev     rw,r     C      OSZAPC  -       8086
1C      SBB        AL,Ib     rw,r     C      OSZAPC  -       8086
1D      SBB        eAX,Iz    rw,r     C      OSZAPC  -       8086
1E      PUSH       DS        r        -      -       -       8086
1F      POP        DS        w        -      -       -       8086
20      AND        Eb,Gb     rw,r     -      OSZPC   A       8086  lock
21      AND        Ev,Gv     rw,r     -      OSZPC   A       8086  lock
22      AND        Gb,Eb     rw,r     -      OSZPC   A       8086
23      AND        Gv,Ev     rw,r     -      OSZPC   A       8086
24      AND        AL,Ib     rw,r     -      OSZPC   A       8086
25      AND        eAX,Iz    rw,r     -      OSZPC   A       8086
27      DAA        -         -        AC     SZAPC   O       8086
28      SUB        Eb,Gb     rw,r     -      OSZAPC  -       8086  lock
29      SUB        Ev,Gv     rw,r     -      OSZAPC  -       8086  lock
2A      SUB        Gb,Eb     rw,r     -      OSZAPC  -       8086
2B      SUB        Gv,Ev     rw,r     -      OSZAPC  -       8086
2C      SUB        AL,Ib     rw,r     -      OSZAPC  -       8086
2D      SUB        eAX,Iz    rw,r     -      OSZAPC  -       8086
2F      DAS        -         -        AC     SZAPC   O       8086
30      XOR        Eb,Gb     rw,r     -      OSZPC   A       8086  lock
31      XOR        Ev,Gv     rw,r     -      OSZPC   A       8086  lock
32      XOR        Gb,Eb     rw,r     -      OSZPC   A       8086
33      XOR        Gv,Ev     rw,r     -      OSZPC   A       8086
34      XOR        AL,Ib     rw,r     -      OSZPC   A       8086
35      XOR        eAX,Iz    rw,r     -      OSZPC   A       8086
37      AAA        -         -        A      AC      OSZP    8086
38      CMP        Eb,Gb     r,r      -      OSZAPC  -       8086
39      CMP        Ev,Gv     r,r      -      OSZAPC  -       8086
3A      CMP        Gb,Eb     r,r      -      OSZAPC  -       8086
3B      CMP        Gv,Ev     r,r      -      OSZAPC  -       8086
3C      CMP        AL,Ib     r,r      -      OSZAPC  -       8086
3D      CMP        eAX,Iz    r,r      -      OSZAPC  -       8086
3F      AAS        -         -        A      AC      OSZP    8086
40+r    INC        Zv        rw       -      OSZAP   -       8086
48+r    DEC        Zv        rw       -      OSZAP   -       8086
50+r    PUSH       Zv        r        -      -       -       8086
58+r    POP        Zv        w        -      -       -       8086
60      PUSHA/PUSHAD -       -        -      -       -       186
61      POPA/POPAD -         -        -      -       -       186
62      BOUND      Gv,Ma     r,r      -      -       -       186
63      ARPL       Ew,Gw     rw,r     -      Z       -       286   pm
68      PUSH       Iz        r        -      -       -       186
69      IMUL       Gv,Ev,Iz  w,r,r    -      OC      SZAP    186
6A      PUSH       Ibs       r        -      -       -       186
6B      IMUL       Gv,Ev,Ibs w,r,r    -      OC      SZAP    186
6C      INSB       Yb,DX     w,r      D      -       -       186   rep
6D      INSW/INSD  Yz,DX     w,r      D      -       -       186   rep
6E      OUTSB      DX,Xb     r,r      D      -       -       186   rep
6F      OUTSW/OUTSD DX,Xz    r,r      D      -       -       186   rep
70+cc   Jcc        Jb        r        cc     -       -       8086  jump
80/0    ADD        Eb,Ib     rw,r     -      OSZAPC  -       8086  lock
80/1    OR         Eb,Ib     rw,r     -      OSZPC   A       8086  lock
80/2    ADC        Eb,Ib     rw,r     C      OSZAPC  -       8086  lock
80/3    SBB        Eb,Ib     rw,r     C      OSZAPC  -       8086  lock
80/4    AND        Eb,Ib     rw,r     -      OSZPC   A       8086  lock
80/5    SUB        Eb,Ib     rw,r     -      OSZAPC  -       8086  lock
80/6    XOR        Eb,Ib     rw,r     -      OSZPC   A       8086  lock
80/7    CMP        Eb,Ib     r,r      -      OSZAPC  -       8086
81/0    ADD        Ev,Iz     rw,r     -      OSZAPC  -       8086  lock
81/1    OR         Ev,Iz     rw,r     -      OSZPC   A       8086  lock
81/2    ADC        Ev,Iz     rw,r     C      OSZAPC  -       8086  lock
81/3    SBB        Ev,Iz     rw,r     C      OSZAPC  -       8086  lock
81/4    AND        Ev,Iz     rw,r     -      OSZPC   A       8086  lock
81/5    SUB        Ev,Iz     rw,r     -      OSZAPC  -       8086  lock
81/6    XOR        Ev,Iz     rw,r     -      OSZPC   A       8086  lock
81/7    CMP        Ev,Iz     r,r      -      OSZAPC  -       8086
82/0    ADD        Eb,Ib     rw,r     -      OSZAPC  -       8086  lock
82/1    OR         Eb,Ib     rw,r     -      OSZPC   A       8086  lock
82/2    ADC        Eb,Ib     rw,r     C      OSZAPC  -       8086  lock
82/3    SBB        Eb,Ib     rw,r     C      OSZAPC  -       8086  lock
82/4    AND        Eb,Ib     rw,r     -      OSZPC   A       8086  lock
82/5    SUB        Eb,Ib     rw,r     -      OSZAPC  -       8086  lock
82/6    XOR        Eb,Ib     rw,r     -      OSZPC   A       8086  lock
82/7    CMP        Eb,Ib     r,r      -      OSZAPC  -       8086
83/0    ADD        Ev,Ibs    rw,r     -      OSZAPC  -       8086  lock
83/1    OR         Ev,Ibs    rw,r     -      OSZPC   A       8086  lock
83/2    ADC        Ev,Ibs    rw,r     C      OSZAPC  -       8086  lock
83/3    SBB        Ev,Ibs    rw,r     C      OSZAPC  -       8086  lock
83/4    AND        Ev,Ibs    rw,r     -      OSZPC   A       8086  lock
83/5    SUB        Ev,Ibs    rw,r     -      OSZAPC  -       8086  lock
83/6    XOR        Ev,Ibs    rw,r     -      OSZPC   A       8086  lock
83/7    CMP        Ev,Ibs    r,r      -      OSZAPC  -       8086
84      TEST       Eb,Gb     r,r      -      OSZPC   A       8086
85      TEST       Ev,Gv     r,r      -      OSZPC   A       8086
86      XCHG       Eb,Gb     rw,rw    -      -       -       8086  lock
87      XCHG       Ev,Gv     rw,rw    -      -       -       8086  lock
88      MOV        Eb,Gb     w,r      -      -       -       8086
89      MOV        Ev,Gv     w,r      -      -       -       8086
8A      MOV        Gb,Eb     w,r      -      -       -       8086
8B      MOV        Gv,Ev     w,r      -      -       -       8086
8C      MOV        Ev,Sw     w,r      -      -       -       8086
8D      LEA        Gv,M      w,r      -      -       -       8086
8E      MOV        Sw,Ew     w,r      -      -       -       8086
8F/0    POP        Ev        w        -      -       -       8086
90      NOP        -         -        -      -       -       8086
91      XCHG       Zv,eAX    rw,rw    -      -       -       8086
92      XCHG       Zv,eAX    rw,rw    -      -       -       8086
93      XCHG       Zv,eAX    rw,rw    -      -       -       8086
94      XCHG       Zv,eAX    rw,rw    -      -       -       8086
95      XCHG       Zv,eAX    rw,rw    -      -       -       8086
96      XCHG       Zv,eAX    rw,rw    -      -       -       8086
97      XCHG       Zv,eAX    rw,rw    -      -       -       8086
98      CBW/CWDE   -         -        -      -       -       8086
99      CWD/CDQ    -         -        -      -       -       8086
9A      CALLF      Ap        r        -      -       -       8086  jump
9B      WAIT       -         -        -      -       -       8086
9C      PUSHF/PUSHFD -       -        ODITSZAPC -    -       8086
9D      POPF/POPFD -         -        -      ODITSZAPC -     8086
9E      SAHF       -         -        -      SZAPC   -       8086
9F      LAHF       -         -        SZAPC  -       -       8086
A0      MOV        AL,Ob     w,r      -      -       -       8086
A1      MOV        eAX,Ov    w,r      -      -       -       8086
A2      MOV        Ob,AL     w,r      -      -       -       8086
A3      MOV        Ov,eAX    w,r      -      -       -       8086
A4      MOVSB      Yb,Xb     w,r      D      -       -       8086  rep
A5      MOVSW/MOVSD Yv,Xv    w,r      D      -       -       8086  rep
A6      CMPSB      Xb,Yb     r,r      D      OSZAPC  -       8086  repcc
A7      CMPSW/CMPSD Xv,Yv    r,r      D      OSZAPC  -       8086  repcc
A8      TEST       AL,Ib     r,r      -      OSZPC   A       8086
A9      TEST       eAX,Iz    r,r      -      OSZPC   A       8086
AA      STOSB      Yb,AL     w,r      D      -       -       8086  rep
AB      STOSW/STOSD Yv,eAX   w,r      D      -       -       8086  rep
AC      LODSB      AL,Xb     w,r      D      -       -       8086  rep
AD      LODSW/LODSD eAX,Xv   w,r      D      -       -       8086  rep
AE      SCASB      AL,Yb     r,r      D      OSZAPC  -       8086  repcc
AF      SCASW/SCASD eAX,Yv   r,r      D      OSZAPC  -       8086  repcc
B0+r    MOV        Zb,Ib     w,r      -      -       -       8086
B8+r    MOV        Zv,Iv     w,r      -      -       -       8086
C0/0    ROL        Eb,Ib     rw,r     -      OC      -       186
C0/1    ROR        Eb,Ib     rw,r     -      OC      -       186
C0/2    RCL        Eb,Ib     rw,r     C      OC      -       186
C0/3    RCR        Eb,Ib     rw,r     C      OC      -       186
C0/4    SHL        Eb,Ib     rw,r     -      OSZPC   A       186
C0/5    SHR        Eb,Ib     rw,r     -      OSZPC   A       186
C0/6    SAL        Eb,Ib     rw,r     -      OSZPC   A       186
C0/7    SAR        Eb,Ib     rw,r     -      OSZPC   A       186
C1/0    ROL        Ev,Ib     rw,r     -      OC      -       186
C1/1    ROR        Ev,Ib     rw,r     -      OC      -       186
C1/2    RCL        Ev,Ib     rw,r     C      OC      -       186
C1/3    RCR        Ev,Ib     rw,r     C      OC      -       186
C1/4    SHL        Ev,Ib     rw,r     -      OSZPC   A       186
C1/5    SHR        Ev,Ib     rw,r     -      OSZPC   A       186
C1/6    SAL        Ev,Ib     rw,r     -      OSZPC   A       186
C1/7    SAR        Ev,Ib     rw,r     -      OSZPC   A       186
C2      RET        Iw        r        -      -       -       8086  jump
C3      RET        -         -        -      -       -       8086  jump
C4      LES        Gz,Mp     w,r      -      -       -       8086
C5      LDS        Gz,Mp     w,r      -      -       -       8086
C6/0    MOV        Eb,Ib     w,r      -      -       -       8086
C7/0    MOV        Ev,Iz     w,r      -      -       -       8086
C8      ENTER      Iw,Ib     r,r      -      -       -       186
C9      LEAVE      -         -        -      -       -       186
CA      RETF       Iw        r        -      -       -       8086  jump
CB      RETF       -         -        -      -       -       8086  jump
CC      INT3       -         -        -      IT      -       8086  jump
CD      INT        Ib        r        -      IT      -       8086  jump
CE      INTO       -         -        O      IT      -       8086  jump
CF      IRET/IRETD -         -        -      ODITSZAPC -     8086  jump
D0/0    ROL        Eb,1      rw,r     -      OC      -       8086
D0/1    ROR        Eb,1      rw,r     -      OC      -       8086
D0/2    RCL        Eb,1      rw,r     C      OC      -       8086
D0/3    RCR        Eb,1      rw,r     C      OC      -       8086
D0/4    SHL        Eb,1      rw,r     -      OSZPC   A       8086
D0/5    SHR        Eb,1      rw,r     -      OSZPC   A       8086
D0/6    SAL        Eb,1      rw,r     -      OSZPC   A       8086
D0/7    SAR        Eb,1      rw,r     -      OSZPC   A       8086
D1/0    ROL        Ev,1      rw,r     -      OC      -       8086
D1/1    ROR        Ev,1      rw,r     -      OC      -       8086
D1/2    RCL        Ev,1      rw,r     C      OC      -       8086
D1/3    RCR        Ev,1      rw,r     C      OC      -       8086
D1/4    SHL        Ev,1      rw,r     -      OSZPC   A       8086
D1/5    SHR        Ev,1      rw,r     -      OSZPC   A       8086
D1/6    SAL        Ev,1      rw,r     -      OSZPC   A       8086
D1/7    SAR        Ev,1      rw,r     -      OSZPC   A       8086
D2/0    ROL        Eb,CL     rw,r     -      OC      -       8086
D2/1    ROR        Eb,CL     rw,r     -      OC      -       8086
D2/2    RCL        Eb,CL     rw,r     C      OC      -       8086
D2/3    RCR        Eb,CL     rw,r     C      OC      -       8086
D2/4    SHL        Eb,CL     rw,r     -      OSZPC   A       8086
D2/5    SHR        Eb,CL     rw,r     -      OSZPC   A       8086
D2/6    SAL        Eb,CL     rw,r     -      OSZPC   A       8086
D2/7    SAR        Eb,CL     rw,r     -      OSZPC   A       8086
D3/0    ROL        Ev,CL     rw,r     -      OC      -       8086
D3/1    ROR        Ev,CL     rw,r     -      OC      -       8086
D3/2    RCL        Ev,CL     rw,r     C      OC      -       8086
D3/3    RCR        Ev,CL     rw,r     C      OC      -       8086
D3/4    SHL        Ev,CL     rw,r     -      OSZPC   A       8086
D3/5    SHR        Ev,CL     rw,r     -      OSZPC   A       8086
D3/6    SAL        Ev,CL     rw,r     -      OSZPC   A       8086
D3/7    SAR        Ev,CL     rw,r     -      OSZPC   A       8086
D4      AAM        Ib        r        -      SZP     OAC     8086
D5      AAD        Ib        r        -      SZP     OAC     8086
D6      SALC       -         -        C      -       -       8086
D7      XLAT       -         -        -      -       -       8086
D8      ESC        Ex        r        -      -       -       8086  x87
D9      ESC        Ex        r        -      -       -       8086  x87
DA      ESC        Ex        r        -      -       -       8086  x87
DB      ESC        Ex        r        -      -       -       8086  x87
DC      ESC        Ex        r        -      -       -       8086  x87
DD      ESC        Ex        r        -      -       -       8086  x87
DE      ESC        Ex        r        -      -       -       8086  x87
DF      ESC        Ex        r        -      -       -       8086  x87
E0      LOOPNE     Jb        r        Z      -       -       8086  jump
E1      LOOPE      Jb        r        Z      -       -       8086  jump
E2      LOOP       Jb        r        -      -       -       8086  jump
E3      JCXZ/JECXZ Jb        r        -      -       -       8086  jump
E4      IN         AL,Ib     w,r      -      -       -       8086
E5      IN         eAX,Ib    w,r      -      -       -       8086
E6      OUT        Ib,AL     r,r      -      -       -       8086
E7      OUT        Ib,eAX    r,r      -      -       -       8086
E8      CALL       Jz        r        -      -       -       8086  jump
E9      JMP        Jz        r        -      -       -       8086  jump
EA      JMPF       Ap        r        -      -       -       8086  jump
EB      JMP        Jb        r        -      -       -       8086  jump
EC      IN         AL,DX     w,r      -      -       -       8086
ED      IN         eAX,DX    w,r      -      -       -       8086
EE      OUT        DX,AL     r,r      -      -       -       8086
EF      OUT        DX,eAX    r,r      -      -       -       8086
F1      INT1       -         -        -      IT      -       386   jump
F4      HLT        -         -        -      -       -       8086
F5      CMC        -         -        C      C       -       8086
F6/0    TEST       Eb,Ib     r,r      -      OSZPC   A       8086
F6/1    TEST       Eb,Ib     r,r      -      OSZPC   A       8086
F6/2    NOT        Eb        rw       -      -       -       8086  lock
F6/3    NEG        Eb        rw       -      OSZAPC  -       8086  lock
F6/4    MUL        Eb        r        -      OC      SZAP    8086
F6/5    IMUL       Eb        r        -      OC      SZAP    8086
F6/6    DIV        Eb        r        -      -       OSZAPC  8086
F6/7    IDIV       Eb        r        -      -       OSZAPC  8086
F7/0    TEST       Ev,Iz     r,r      -      OSZPC   A       8086
F7/1    TEST       Ev,Iz     r,r      -      OSZPC   A       8086
F7/2    NOT        Ev        rw       -      -       -       8086  lock
F7/3    NEG        Ev        rw       -      OSZAPC  -       8086  lock
F7/4    MUL        Ev        r        -      OC      SZAP    8086
F7/5    IMUL       Ev        r        -      OC      SZAP    8086
F7/6    DIV        Ev        r        -      -       OSZAPC  8086
F7/7    IDIV       Ev        r        -      -       OSZAPC  8086
F8      CLC        -         -        -      C       -       8086
F9      STC        -         -        -      C       -       8086
FA      CLI        -         -        -      I       -       8086
FB      STI        -         -        -      I       -       8086
FC      CLD        -         -        -      D       -       8086
FD      STD        -         -        -      D       -       8086
FE/0    INC        Eb        rw       -      OSZAP   -       8086  lock
FE/1    DEC        Eb        rw       -      OSZAP   -       8086  lock
FF/0    INC        Ev        rw       -      OSZAP   -       8086  lock
FF/1    DEC        Ev        rw       -      OSZAP   -       8086  lock
FF/2    CALL       Ev        r        -      -       -       8086  jump
FF/3    CALLF      Mp        r        -      -       -       8086  jump
FF/4    JMP        Ev        r        -      -       -       8086  jump
FF/5    JMPF       Mp        r        -      -       -       8086  jump
FF/6    PUSH       Ev        r        -      -       -       8086
`;

const TWO_BYTE_MAP = `
0F 00/0 SLDT       Ew        w        -      -       -       286   pm
0F 00/1 STR        Ew        w        -      -       -       286   pm
0F 00/2 LLDT       Ew        r        -      -       -       286   pm
0F 00/3 LTR        Ew        r        -      -       -       286   pm
0F 00/4 VERR       Ew        r        -      Z       -       286   pm
0F 00/5 VERW       Ew        r        -      Z       -       286   pm
0F 01/0 SGDT       Ms        w        -      -       -       286
0F 01/1 SIDT       Ms        w        -      -       -       286
0F 01/2 LGDT       Ms        r        -      -       -       286
0F 01/3 LIDT       Ms        r        -      -       -       286
0F 01/4 SMSW       Ew        w        -      -       -       286
0F 01/6 LMSW       Ew        r        -      -       -       286
0F 01/7 INVLPG     M         r        -      -       -       486
0F 02   LAR        Gv,Ew     w,r      -      Z       -       286   pm
0F 03   LSL        Gv,Ew     w,r      -      Z       -       286   pm
0F 06   CLTS       -         -        -      -       -       286
0F 08   INVD       -         -        -      -       -       486
0F 09   WBINVD     -         -        -      -       -       486
0F 0B   UD2        -         -        -      -       -       P6
0F 18   NOP        Ev        r        -      -       -       P6
0F 19   NOP        Ev        r        -      -       -       P6
0F 1A   NOP        Ev        r        -      -       -       P6
0F 1B   NOP        Ev        r        -      -       -       P6
0F 1C   NOP        Ev        r        -      -       -       P6
0F 1D   NOP        Ev        r        -      -       -       P6
0F 1E   NOP        Ev        r        -      -       -       P6
0F 1F   NOP        Ev        r        -      -       -       P6
0F 20   MOV        Rd,Cd     w,r      -      -       OSZAPC  386
0F 21   MOV        Rd,Dd     w,r      -      -       OSZAPC  386
0F 22   MOV        Cd,Rd     w,r      -      -       OSZAPC  386
0F 23   MOV        Dd,Rd     w,r      -      -       OSZAPC  386
0F 30   WRMSR      -         -        -      -       -       P5
0F 31   RDTSC      -         -        -      -       -       P5
0F 32   RDMSR      -         -        -      -       -       P5
0F 33   RDPMC      -         -        -      -       -       P6
0F 34   SYSENTER   -         -        -      I       -       P6    jump
0F 35   SYSEXIT    -         -        -      -       -       P6    jump
0F 40+cc CMOVcc    Gv,Ev     w,r      cc     -       -       P6
0F 80+cc Jcc       Jz        r        cc     -       -       386   jump
0F 90+cc SETcc     Eb        w        cc     -       -       386
0F A0   PUSH       FS        r        -      -       -       386
0F A1   POP        FS        w        -      -       -       386
0F A2   CPUID      -         -        -      -       -       P5
0F A3   BT         Ev,Gv     r,r      -      C       OSAP    386
0F A4   SHLD       Ev,Gv,Ib  rw,r,r   -      OSZPC   A       386
0F A5   SHLD       Ev,Gv,CL  rw,r,r   -      OSZPC   A       386
0F A8   PUSH       GS        r        -      -       -       386
0F A9   POP        GS        w        -      -       -       386
0F AB   BTS        Ev,Gv     rw,r     -      C       OSAP    386   lock
0F AC   SHRD       Ev,Gv,Ib  rw,r,r   -      OSZPC   A       386
0F AD   SHRD       Ev,Gv,CL  rw,r,r   -      OSZPC   A       386
0F AE/0 FXSAVE     M         w        -      -       -       P6
0F AE/1 FXRSTOR    M         r        -      -       -       P6
0F AF   IMUL       Gv,Ev     rw,r     -      OC      SZAP    386
0F B0   CMPXCHG    Eb,Gb     rw,r     -      OSZAPC  -       486   lock
0F B1   CMPXCHG    Ev,Gv     rw,r     -      OSZAPC  -       486   lock
0F B2   LSS        Gz,Mp     w,r      -      -       -       386
0F B3   BTR        Ev,Gv     rw,r     -      C       OSAP    386   lock
0F B4   LFS        Gz,Mp     w,r      -      -       -       386
0F B5   LGS        Gz,Mp     w,r      -      -       -       386
0F B6   MOVZX      Gv,Eb     w,r      -      -       -       386
0F B7   MOVZX      Gv,Ew     w,r      -      -       -       386
0F BA/4 BT         Ev,Ib     r,r      -      C       OSAP    386
0F BA/5 BTS        Ev,Ib     rw,r     -      C       OSAP    386   lock
0F BA/6 BTR        Ev,Ib     rw,r     -      C       OSAP    386   lock
0F BA/7 BTC        Ev,Ib     rw,r     -      C       OSAP    386   lock
0F BB   BTC        Ev,Gv     rw,r     -      C       OSAP    386   lock
0F BC   BSF        Gv,Ev     w,r      -      Z       OSAPC   386
0F BD   BSR        Gv,Ev     w,r      -      Z       OSAPC   386
0F BE   MOVSX      Gv,Eb     w,r      -      -       -       386
0F BF   MOVSX      Gv,Ew     w,r      -      -       -       386
0F C0   XADD       Eb,Gb     rw,rw    -      OSZAPC  -       486   lock
0F C1   XADD       Ev,Gv     rw,rw    -      OSZAPC  -       486   lock
0F C7/1 CMPXCHG8B  Mq        rw       -      Z       -       P5    lock
0F C8+r BSWAP      Zd        rw       -      -       -       486
0F FF   BIOSCALL   Ib        r        -      -       -       8086  trap
`;

/** Condition codes in encoding order (the `cc` of Jcc/SETcc/CMOVcc) with the flags each one reads. */
export const CONDITIONS: readonly { readonly name: string; readonly reads: string }[] = [
  { name: 'O', reads: 'O' }, { name: 'NO', reads: 'O' }, { name: 'B', reads: 'C' }, { name: 'AE', reads: 'C' },
  { name: 'E', reads: 'Z' }, { name: 'NE', reads: 'Z' }, { name: 'BE', reads: 'CZ' }, { name: 'A', reads: 'CZ' },
  { name: 'S', reads: 'S' }, { name: 'NS', reads: 'S' }, { name: 'P', reads: 'P' }, { name: 'NP', reads: 'P' },
  { name: 'L', reads: 'SO' }, { name: 'GE', reads: 'SO' }, { name: 'LE', reads: 'ZSO' }, { name: 'G', reads: 'ZSO' },
];

const FLAG_BITS: Record<string, number> = { C: 1 << 0, P: 1 << 2, A: 1 << 4, Z: 1 << 6, S: 1 << 7, T: 1 << 8, I: 1 << 9, D: 1 << 10, O: 1 << 11 };
const LEVELS: Record<string, Level> = { '8086': Level.I8086, '186': Level.I186, '286': Level.I286, '386': Level.I386, '486': Level.I486, P5: Level.P5, P6: Level.P6 };
const ATTRS: Record<string, Attr> = { lock: Attr.Lock, rep: Attr.Rep, repcc: Attr.RepCC, pm: Attr.ProtectedOnly, x87: Attr.X87, jump: Attr.Jump, trap: Attr.Trap };

/** EFLAGS mask from letters (`-` = none). */
export function flagMask(letters: string): number {
  if (letters === '-') return 0;
  let mask = 0;
  for (const ch of letters) {
    const bit = FLAG_BITS[ch];
    if (bit === undefined) throw new Error(`unknown flag letter '${ch}'`);
    mask |= bit;
  }
  return mask;
}

/** Prefix bytes (not rows: the decoder and the interpreter consume them before the opcode). */
export const PREFIXES: Readonly<Record<number, string>> = {
  0x26: 'ES', 0x2e: 'CS', 0x36: 'SS', 0x3e: 'DS', 0x64: 'FS', 0x65: 'GS',
  0x66: 'OPSIZE', 0x67: 'ADDRSIZE', 0xf0: 'LOCK', 0xf2: 'REPNE', 0xf3: 'REP',
};

function parseTable(text: string, map: 0 | 1): IsaRow[] {
  const rows: IsaRow[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const cols = line.split(/\s+/);
    if (map === 1) {
      if (cols[0] !== '0F') throw new Error(`isa: two-byte row must start with 0F: ${line}`);
      cols.shift();
    }
    if (cols.length < 8) throw new Error(`isa: too few columns: ${line}`);
    const [opText, mnemonicText, operandText, accessText, readText, writtenText, undefText, levelText, ...attrTexts] = cols;
    const m = /^([0-9A-F]{2})(?:\/([0-7])|\+(r|cc))?$/.exec(opText);
    if (!m) throw new Error(`isa: bad opcode '${opText}': ${line}`);
    const base = parseInt(m[1], 16);
    const reg = m[2] !== undefined ? Number(m[2]) : -1;
    const expand = m[3];
    const level = LEVELS[levelText];
    if (level === undefined) throw new Error(`isa: bad level '${levelText}': ${line}`);
    let attrs = 0;
    for (const a of attrTexts) {
      if (ATTRS[a] === undefined) throw new Error(`isa: bad attribute '${a}': ${line}`);
      attrs |= ATTRS[a];
    }
    const operands = operandText === '-' ? [] : operandText.split(',');
    const access = accessText === '-' ? [] : accessText.split(',');
    if (operands.length !== access.length) throw new Error(`isa: operands and access differ in count: ${line}`);
    const [mn16, mn32 = mn16] = mnemonicText.split('/');
    const count = expand === 'r' ? 8 : expand === 'cc' ? 16 : 1;
    for (let i = 0; i < count; i++) {
      const cc = expand === 'cc' ? i : -1;
      const name = (s: string) => (cc >= 0 ? s.replace('cc', CONDITIONS[cc].name) : s);
      rows.push({
        map,
        opcode: base + i,
        reg,
        mnemonic: name(mn16),
        mnemonic32: name(mn32),
        family: mn16,
        operands,
        access,
        flagsRead: readText === 'cc' ? flagMask(CONDITIONS[i].reads) : flagMask(readText),
        flagsWritten: flagMask(writtenText),
        flagsUndefined: flagMask(undefText),
        level,
        attrs,
        cc,
        source: line,
      });
    }
  }
  return rows;
}

/** Every row of both maps. */
export const ISA: readonly IsaRow[] = [...parseTable(ONE_BYTE_MAP, 0), ...parseTable(TWO_BYTE_MAP, 1)];

/**
 * Rows by opcode: index `map * 256 + opcode`; each entry lists the plain row (reg -1) or the group's
 * rows (indexed by ModRM.reg, holes undefined).
 */
export interface OpcodeEntry {
  readonly plain?: IsaRow;
  readonly group?: readonly (IsaRow | undefined)[];
}

function index(rows: readonly IsaRow[]): OpcodeEntry[] {
  const out: OpcodeEntry[] = [];
  for (let i = 0; i < 512; i++) out.push({});
  for (const row of rows) {
    const key = row.map * 256 + row.opcode;
    const entry = out[key] as { plain?: IsaRow; group?: (IsaRow | undefined)[] };
    if (row.reg < 0) {
      if (entry.plain || entry.group) throw new Error(`isa: opcode ${row.source} listed twice`);
      entry.plain = row;
    } else {
      if (entry.plain) throw new Error(`isa: group row ${row.source} clashes with a plain row`);
      entry.group ??= new Array<IsaRow | undefined>(8).fill(undefined);
      if (entry.group[row.reg]) throw new Error(`isa: group row ${row.source} listed twice`);
      entry.group[row.reg] = row;
    }
  }
  return out;
}

export const OPCODES: readonly OpcodeEntry[] = index(ISA);

/** What the decoder needs to know of one operand code. */
export const enum OperandKind {
  /** ModRM r/m: register or memory. */
  RM, Reg, MemOnly, RegOnly, Sreg, Creg, Dreg,
  Imm, SignedImm8, Rel, FarPtr, MemOffset, SrcString, DstString,
  /** A register named by the operand itself (AL, eAX, DX, ES …) or by the opcode (Zv). */
  Fixed, OpcodeReg, One,
}

export interface OperandInfo {
  readonly kind: OperandKind;
  /** b w d v z p a s q x (x: size decided elsewhere, as for x87 memory). */
  readonly size: string;
}

const SIMPLE_KINDS: Record<string, OperandKind> = {
  E: OperandKind.RM, G: OperandKind.Reg, M: OperandKind.MemOnly, R: OperandKind.RegOnly, S: OperandKind.Sreg,
  C: OperandKind.Creg, D: OperandKind.Dreg, I: OperandKind.Imm, J: OperandKind.Rel, A: OperandKind.FarPtr,
  O: OperandKind.MemOffset, X: OperandKind.SrcString, Y: OperandKind.DstString, Z: OperandKind.OpcodeReg,
};

/** Decodes an operand code of the table. `Ibs` is an 8-bit immediate sign-extended to the operand size. */
export function operandInfo(code: string): OperandInfo {
  if (code === 'Ibs') return { kind: OperandKind.SignedImm8, size: 'b' };
  if (code === '1') return { kind: OperandKind.One, size: 'b' };
  if (/^(AL|CL|DX|eAX|ES|CS|SS|DS|FS|GS)$/.test(code)) return { kind: OperandKind.Fixed, size: code === 'AL' || code === 'CL' ? 'b' : code === 'eAX' ? 'v' : 'w' };
  const kind = SIMPLE_KINDS[code[0]];
  if (kind === undefined || (code.length < 2 && code !== 'M')) throw new Error(`isa: unknown operand code '${code}'`);
  return { kind, size: code.slice(1) };
}

/** True when a LOCK prefix is allowed on the row (with a memory destination). */
export function allowsLock(row: IsaRow): boolean {
  return (row.attrs & Attr.Lock) !== 0;
}

/** True when the row's opcode is followed by a ModRM byte. */
export function hasModrm(row: IsaRow): boolean {
  if (row.reg >= 0) return true;
  return row.operands.some((op) => {
    const k = operandInfo(op).kind;
    return k === OperandKind.RM || k === OperandKind.Reg || k === OperandKind.MemOnly || k === OperandKind.RegOnly ||
      k === OperandKind.Sreg || k === OperandKind.Creg || k === OperandKind.Dreg;
  });
}
