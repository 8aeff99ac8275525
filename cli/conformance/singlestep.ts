/**
 * SingleStepTests 80286 real-mode vectors (/work/shared/testdata/singlestep-80286, README there) run on
 * our CPU. Each test loads registers and RAM, executes until HLT and compares registers and RAM.
 *
 * We emulate a 386 and the vectors come from a 286: every flag we ignore and every test we skip is
 * listed in KNOWN_DIFFERENCES below (and in docs/CONFORMANCE.md), with the reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { allowsLock, Cpu, hasModrm, IoBus, Layout, OPCODES, PageKind, PhysicalMemory, type IsaRow } from '../../core/index.js';
import { MOO_REGS, parseMoo, type MooTest } from './singlestep-moo.js';

export interface SingleStepOptions {
  /** Only files whose name (e.g. `80.4.MOO.gz`) contains this text. */
  filter?: string;
  /** Report each failing test's differences (the first few per file). */
  verbose?: boolean;
}

export interface SingleStepResult {
  passed: number;
  failed: number;
  skipped: number;
  report: string[];
}

// ---------------------------------------------------------------------------------------------------
// KNOWN_DIFFERENCES: the one place that says what we do not compare, and why (docs/CONFORMANCE.md).
// ---------------------------------------------------------------------------------------------------

/**
 * FLAGS bits 12-15 (IOPL, NT, reserved bit 15): a 286 in real mode always shows them as 0, a 386 lets
 * POPF/IRET set IOPL and NT. Masked in FLAGS and in every FLAGS image pushed to memory.
 */
export const ALWAYS_MASKED_FLAGS = 0xf000;

/**
 * Flags the manual calls undefined come from the instruction table's "undefined" column (core/cpu/isa.ts)
 * for the form under test — e.g. MUL/IMUL: SF ZF AF PF; DIV/IDIV: all six; AND/OR/XOR/TEST: AF; shifts:
 * AF; DAA/DAS: OF; AAA/AAS: OF SF ZF PF; AAM/AAD: OF AF CF; BT*: OF SF AF PF. One rule the table cannot
 * express is added here:
 * - shifts and rotates: OF is defined only for a count of 1 (after masking to 5 bits).
 */
const FLAG_LETTERS: [string, number][] = [['O', 0x800], ['S', 0x80], ['Z', 0x40], ['A', 0x10], ['P', 0x4], ['C', 0x1]];
const SHIFT_FAMILIES = new Set(['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SAL', 'SHR', 'SAR']);
const OF = 1 << 11;

const PREFIX_BYTES = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]);

/**
 * A LOCK prefix on an instruction that cannot be locked, or whose destination is a register: a 286
 * ignores it, a 386 raises #UD (Intel SDM, LOCK). Applies to tests of any form.
 */
function lockedIllegally(test: MooTest, row: IsaRow | undefined): boolean {
  let i = 0;
  let locked = false;
  for (; PREFIX_BYTES.has(test.bytes[i]); i++) if (test.bytes[i] === 0xf0) locked = true;
  if (!locked) return false;
  if (!row || !allowsLock(row) || !hasModrm(row)) return true;
  return test.bytes[i + 1] >= 0xc0;
}

/** Instructions longer than 10 bytes (redundant prefixes): #GP on a 286; a 386 allows 15. */
function longerThan286Limit(test: MooTest): boolean {
  return test.bytes.length - 1 > 10;
}

/** MOV to/from segment register 4 or 5 (FS, GS): a 286 has neither and raises #UD. */
function movFsGs(test: MooTest): boolean {
  let i = 0;
  while (PREFIX_BYTES.has(test.bytes[i])) i++;
  const reg = (test.bytes[i + 1] >> 3) & 7;
  return reg === 4 || reg === 5;
}

/** Index registers (MOO order: si 10, di 11) each string form reads. */
const STRING_INDEXES: Record<string, number[]> = {
  '6D': [11], '6F': [10], A5: [10, 11], A7: [10, 11], AB: [11], AD: [10], AF: [11],
};

/**
 * A word string access at offset FFFF: the 286 updates the index registers in an order of its own before
 * its #GP (or wraps the access), a 386 faults before changing anything. True when any iteration's
 * offset is FFFF (a REPE/REPNE may stop earlier: such tests are skipped too).
 */
function stringWordAtSegmentEnd(test: MooTest, form: string): boolean {
  const regs = test.init.regs;
  let i = 0;
  let rep = false;
  for (; PREFIX_BYTES.has(test.bytes[i]); i++) if (test.bytes[i] === 0xf2 || test.bytes[i] === 0xf3) rep = true;
  const count = rep ? (regs[2] ?? 0) : 1;
  const delta = (regs[13] ?? 0) & 0x400 ? -2 : 2;
  for (const index of STRING_INDEXES[form] ?? []) {
    const start = regs[index] ?? 0;
    // Offsets start + k·delta (mod 64 Ki) for k < count hit FFFF when the distance is a multiple of 2 in range.
    const distance = ((0xffff - start) * Math.sign(delta) + 0x10000) % 0x10000;
    if (distance % 2 === 0 && distance / 2 < count) return true;
  }
  return false;
}

/** Tests skipped, with the reason: forms (or some tests of a form) a 386 executes differently from a 286. */
export const SKIPPED: readonly {
  forms: string;
  reason: string;
  applies: (t: MooTest, row: IsaRow | undefined, form: string) => boolean;
  /** The test still runs and must raise this exception first (what a 386 does instead). */
  expectVector?: number;
}[] = [
  { forms: 'any', reason: 'LOCK on a non-lockable instruction or register destination: #UD on a 386 (checked), ignored by a 286', applies: lockedIllegally, expectVector: 6 },
  { forms: 'any', reason: 'instruction longer than 10 bytes: #GP on a 286, allowed up to 15 bytes on a 386', applies: longerThan286Limit },
  { forms: '8C 8E', reason: 'MOV to/from FS or GS (Sreg 4, 5): no such registers on a 286 (#UD)', applies: movFsGs },
  { forms: '6D 6F A5 A7 AB AD AF', reason: 'word string access at offset FFFF: the 286 moves SI/DI before its #GP, a 386 faults first', applies: (t, _r, f) => stringWordAtSegmentEnd(t, f) },
];

/** Undefined flags of one test: the table's column for its form plus the count rule. */
function undefinedFlags(row: IsaRow | undefined, test: MooTest): number {
  let mask = ALWAYS_MASKED_FLAGS;
  if (!row) return mask;
  mask |= row.flagsUndefined;
  if (SHIFT_FAMILIES.has(row.family)) {
    const countCode = row.operands[1];
    const count = countCode === '1' ? 1 : countCode === 'CL' ? (test.init.regs[2] ?? 0) & 31 : test.bytes[test.bytes.length - 2] & 31;
    if (count !== 1) mask |= OF;
  }
  return mask;
}

/** Physical addresses where the test pushes a FLAGS image (INT, INTO, INT3, PUSHF, exceptions). */
function pushedFlagsAddresses(opcode: number, test: MooTest): number[] {
  // (EXCP's own address is that of the aligned word, one below the image when SP is odd: compute it.)
  const out: number[] = [];
  if (test.exception || opcode === 0x9c || opcode === 0xcc || opcode === 0xcd || opcode === 0xce) {
    const ss = test.init.regs[5] ?? 0;
    const sp = test.init.regs[8] ?? 0;
    out.push(((ss << 4) + ((sp - 2) & 0xffff)) & 0xffffff);
  }
  return out;
}

/**
 * A segment overrun of an SS-relative access (PUSH/POP/CALL/RET at SP=FFFF, a BP-based or SS: operand
 * at offset FFFF): the 286 raises #GP(13), a 386 #SS(12). For tests expecting #GP we point vector 12 at
 * vector 13's handler and count the tests where our CPU took #SS.
 */
const VEC_SS = 12;
const VEC_GP = 13;
export const SS_ALIAS_REASON = 'SS-relative segment overrun: #SS(12) on a 386, #GP(13) on a 286 (vector 12 aliased to 13\'s handler)';

// ---------------------------------------------------------------------------------------------------

const ADDRESS_MASK_24 = 0x00ffffff;
const MEMORY_SIZE = 16 * 1024 * 1024;
/** Enough for any one test (a REP runs in bursts that count one each). */
const MAX_INSTRUCTIONS = 2000;
const MAX_DETAILS_PER_FILE = 5;

interface Harness {
  memory: PhysicalMemory;
  cpu: Cpu;
  /** Exception vectors delivered during the current test. */
  exceptions: number[];
}

function makeHarness(): Harness {
  const memory = new PhysicalMemory(MEMORY_SIZE);
  // The tests use the whole 16 MiB as RAM, option-ROM hole included.
  memory.pageKind.fill(PageKind.Ram, 0, MEMORY_SIZE >>> 12);
  const io = new IoBus();
  const exceptions: number[] = [];
  const cpu = new Cpu({ memory, io, onException: (v) => exceptions.push(v) });
  new Uint32Array(memory.memory.buffer, Layout.A20_MASK, 1)[0] = ADDRESS_MASK_24;
  return { memory, cpu, exceptions };
}

/** MOO register index → reader/writer on our CPU. */
const GENERAL: Record<string, number> = { ax: 0, cx: 1, dx: 2, bx: 3, sp: 4, bp: 5, si: 6, di: 7 };
const SEGMENT: Record<string, number> = { es: 0, cs: 1, ss: 2, ds: 3 };

function loadTest(h: Harness, test: MooTest): void {
  const { cpu, memory } = h;
  cpu.reset();
  MOO_REGS.forEach((name, i) => {
    const v = test.init.regs[i];
    if (v === undefined) return;
    if (name in GENERAL) cpu.set16(GENERAL[name], v);
    else if (name in SEGMENT) cpu.setSegReal(SEGMENT[name], v);
    else if (name === 'ip') cpu.setEip(v);
    else cpu.setFlags(v);
  });
  for (const [addr, value] of test.init.ram) memory.u8[Layout.RAM + addr] = value;
  if (test.exception?.vector === VEC_GP) memory.u8.copyWithin(Layout.RAM + VEC_SS * 4, Layout.RAM + VEC_GP * 4, Layout.RAM + VEC_GP * 4 + 4);
  h.exceptions.length = 0;
}

function readReg(h: Harness, name: string): number {
  const cpu = h.cpu;
  if (name in GENERAL) return cpu.get16(GENERAL[name]);
  if (name in SEGMENT) return cpu.getSeg(SEGMENT[name]);
  if (name === 'ip') return cpu.getEip() & 0xffff;
  return cpu.getFlags() & 0xffff;
}

/** Loads the test and runs it to its HLT. */
function execute(h: Harness, test: MooTest): void {
  loadTest(h, test);
  let ran = 0;
  while (!h.cpu.halted && ran < MAX_INSTRUCTIONS) {
    const n = h.cpu.run(MAX_INSTRUCTIONS - ran);
    ran += n;
    if (n === 0) break;
  }
}

/** Zeroes the bytes the test touched (and the aliased vector). */
function cleanUp(h: Harness, test: MooTest): void {
  const u8 = h.memory.u8;
  for (const [addr] of test.init.ram) u8[Layout.RAM + addr] = 0;
  for (const [addr] of test.final.ram) u8[Layout.RAM + addr] = 0;
  u8.fill(0, Layout.RAM + VEC_SS * 4, Layout.RAM + VEC_SS * 4 + 4);
}

/** Set by compare(): the FLAGS bits that differed but are undefined for the instruction (0 if none). */
let maskedFlagsMattered = 0;

/** Runs one test; returns the differences (empty when it passes). */
function runTest(h: Harness, test: MooTest, opcode: number, row: IsaRow | undefined): string[] {
  execute(h, test);
  const diffs = compare(h, test, opcode, row);
  cleanUp(h, test);
  return diffs;
}

function compare(h: Harness, test: MooTest, opcode: number, row: IsaRow | undefined): string[] {
  const diffs: string[] = [];
  maskedFlagsMattered = 0;
  if (!h.cpu.halted) diffs.push(`did not reach HLT in ${MAX_INSTRUCTIONS} instructions`);
  const undef = undefinedFlags(row, test);
  MOO_REGS.forEach((name, i) => {
    const expected = test.final.regs[i] ?? test.init.regs[i];
    if (expected === undefined) return;
    let actual = readReg(h, name);
    let want = expected;
    if (name === 'flags') {
      maskedFlagsMattered = (actual ^ want) & ~ALWAYS_MASKED_FLAGS & undef & 0xffff;
      actual &= ~undef & 0xffff;
      want &= ~undef & 0xffff;
    }
    if (actual !== want) diffs.push(`${name} ${hex4(actual)} expected ${hex4(want)}`);
  });
  const byteMask = new Map<number, number>();
  for (const addr of pushedFlagsAddresses(opcode, test)) {
    byteMask.set(addr & ADDRESS_MASK_24, ~undef & 0xff);
    byteMask.set((addr + 1) & ADDRESS_MASK_24, ~(undef >> 8) & 0xff);
  }
  const expectedRam = new Map<number, number>(test.init.ram);
  for (const [addr, value] of test.final.ram) expectedRam.set(addr, value);
  const u8 = h.memory.u8;
  for (const [addr, value] of expectedRam) {
    const mask = byteMask.get(addr) ?? 0xff;
    const actual = u8[Layout.RAM + addr];
    if ((actual & mask) !== (value & mask)) diffs.push(`[${addr.toString(16)}] ${hex2(actual)} expected ${hex2(value)}`);
  }
  return diffs;
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

function hex2(v: number): string {
  return v.toString(16).padStart(2, '0');
}

/** `80.4.MOO.gz` → opcode 0x80, ModRM.reg 4. */
function formOf(file: string): { opcode: number; reg: number } {
  const [op, reg] = file.split('.');
  return { opcode: parseInt(op, 16), reg: /^[0-7]$/.test(reg) ? Number(reg) : -1 };
}

/** The table row of a test: by the file's form, or by the ModRM.reg of its bytes for group opcodes without one (8F, C6, C7). */
function rowOf(opcode: number, reg: number, test: MooTest): IsaRow | undefined {
  const entry = OPCODES[opcode];
  if (entry.plain) return entry.plain;
  if (reg < 0) {
    let i = 0;
    while (PREFIX_BYTES.has(test.bytes[i])) i++;
    reg = (test.bytes[i + 1] >> 3) & 7;
  }
  return entry.group?.[reg];
}

export async function runSingleStep(dir: string, opts: SingleStepOptions = {}): Promise<SingleStepResult> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.MOO.gz') && (!opts.filter || f.includes(opts.filter))).sort();
  const revoked = new Set(
    readFileSync(join(dir, 'revocation_list.txt'), 'utf8').split('\n').map((l) => l.trim().toLowerCase()).filter((l) => l && !l.startsWith('#')),
  );
  const h = makeHarness();
  const result: SingleStepResult = { passed: 0, failed: 0, skipped: 0, report: [] };
  const failuresByForm: string[] = [];
  const skipCounts = new Map<string, number>();
  /** Per form: how many tests pass only because undefined flags are masked, and per flag letter. */
  const maskedByForm = new Map<string, { tests: number; flags: Map<string, number> }>();
  for (const file of files) {
    const moo = parseMoo(gunzipSync(readFileSync(join(dir, file))));
    const { opcode, reg } = formOf(file);
    const form = file.replace('.MOO.gz', '');
    let failed = 0;
    let details = 0;
    let row: IsaRow | undefined;
    for (const test of moo.tests) {
      row = rowOf(opcode, reg, test);
      if (revoked.has(test.hash)) {
        result.skipped++;
        continue;
      }
      const skip = SKIPPED.find((s) => (s.forms === 'any' || s.forms.split(' ').includes(form)) && s.applies(test, row, form));
      let diffs: string[];
      if (skip) {
        diffs = [];
        if (skip.expectVector !== undefined) {
          execute(h, test);
          if (h.exceptions[0] !== skip.expectVector) diffs.push(`expected exception ${skip.expectVector} (386 behaviour), got ${h.exceptions[0] ?? 'none'}`);
          cleanUp(h, test);
        }
        if (diffs.length === 0) {
          result.skipped++;
          skipCounts.set(skip.reason, (skipCounts.get(skip.reason) ?? 0) + 1);
          continue;
        }
      } else diffs = runTest(h, test, opcode, row);
      if (diffs.length === 0) {
        result.passed++;
        if (test.exception?.vector === VEC_GP && h.exceptions.includes(VEC_SS)) skipCounts.set(SS_ALIAS_REASON, (skipCounts.get(SS_ALIAS_REASON) ?? 0) + 1);
        if (maskedFlagsMattered) {
          const entry = maskedByForm.get(form) ?? { tests: 0, flags: new Map<string, number>() };
          entry.tests++;
          for (const [letter, bit] of FLAG_LETTERS) if (maskedFlagsMattered & bit) entry.flags.set(letter, (entry.flags.get(letter) ?? 0) + 1);
          maskedByForm.set(form, entry);
        }
        continue;
      }
      result.failed++;
      failed++;
      if (opts.verbose && details++ < MAX_DETAILS_PER_FILE) {
        const bytes = Array.from(test.bytes, hex2).join(' ');
        result.report.push(`  ${form} #${test.index} ${test.name} [${bytes}]: ${diffs.join('; ')}`);
      }
    }
    if (failed) failuresByForm.push(`${form} (${row?.mnemonic ?? moo.mnemonic}): ${failed} of ${moo.tests.length} failed`);
  }
  result.report.unshift(
    ...failuresByForm,
    ...[...skipCounts].map(([reason, n]) => (reason === SS_ALIAS_REASON ? `passed with aliasing ${n}: ${reason}` : `skipped ${n}: ${reason}`)),
  );
  if (maskedByForm.size) {
    const total = [...maskedByForm.values()].reduce((a, b) => a + b.tests, 0);
    result.report.push(`passed only with undefined flags masked: ${total} tests`);
    for (const [f, e] of maskedByForm) result.report.push(`  ${f}: ${e.tests} (${[...e.flags].map(([l, n]) => `${l} ${n}`).join(', ')})`);
  }
  return result;
}
