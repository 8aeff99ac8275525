/**
 * The interpreter's dispatch, built from the instruction table (isa.ts) at startup. For each row the
 * factory registered under the row's mnemonic (or `MNEMONIC operands` where one mnemonic has unrelated
 * forms, like MOV to control registers) gives a spec — a template function and its constant arguments —
 * per operand size. The handler is that spec's wrapper from handlers.generated.ts (one small function per
 * spec, so the engine folds the constants), or a closure when no wrapper exists.
 *
 * Index: `opcode | map << 8 | o32 << 9` (0-1023); a group row lives at `GROUP_BASE + index * 8 + reg`.
 */
import type { CpuBase } from './cpu-base.js';
import { GENERATED_HANDLERS } from './handlers.generated.js';
import { Attr, CPU_LEVEL, hasModrm, type IsaRow, OPCODES } from './isa.js';
import type { Handler, Spec, SpecFactory, Template } from './operands.js';
import { aluOps } from './ops-alu.js';
import { bitOps } from './ops-bit.js';
import { controlOps } from './ops-control.js';
import { moveOps } from './ops-move.js';
import { msrOps } from './msr.js';
import { fpuOps } from './fpu-host.js';
import { segmentOps } from './pm-segments.js';
import { mulDivOps } from './ops-muldiv.js';
import { shiftOps } from './ops-shift.js';
import { stackOps } from './ops-stack.js';
import { stringOps } from './ops-string.js';
import { systemOps, undefinedOpcode } from './ops-system.js';

const FACTORIES: Readonly<Record<string, SpecFactory>> = {
  ...aluOps, ...bitOps, ...mulDivOps, ...shiftOps, ...moveOps, ...stackOps, ...controlOps, ...stringOps, ...systemOps,
  ...segmentOps, ...msrOps, ...fpuOps,
};

export const MAIN_SIZE = 1024;
export const GROUP_BASE = MAIN_SIZE;
export const DISPATCH_SIZE = GROUP_BASE + MAIN_SIZE * 8;

/** modrm table values. */
export const NO_MODRM = 0;
export const MODRM = 1;
export const GROUP = 2;
/** First bytes that are not opcodes of the one-byte map: a prefix, or the 0F escape. */
export const PREFIX = 3;
export const ESCAPE = 4;
const PREFIX_BYTES = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3];

export interface Dispatch {
  readonly handlers: Handler[];
  /**
   * Per main index: NO_MODRM, MODRM, GROUP (ModRM, and the row depends on ModRM.reg); in the one-byte
   * map also PREFIX and ESCAPE, so the decoder classifies a first byte with one load.
   */
  readonly modrm: Uint8Array;
  /** Per `index * 8 + ModRM.reg`: 1 when a LOCK prefix is allowed (with a memory operand). */
  readonly lockable: Uint8Array;
  /** Rows at or below the CPU level that have no implementation (must be empty; a test checks). */
  readonly missing: readonly IsaRow[];
  /** Specs that had no generated wrapper and run through a closure (must be empty; a test checks). */
  readonly unwrapped: readonly Spec[];
}

/** The spec of a row at one operand size; undefined when not implemented (or not for this CPU level / mode). */
export function specFor(row: IsaRow, o32: boolean): Spec | undefined {
  const factory = FACTORIES[`${row.family} ${row.operands.join(',')}`] ?? FACTORIES[row.family];
  return factory?.(row, o32);
}

/** Every (template, args) → wrapper the generator produced. */
function wrapperIndex(): Map<Template, { args: readonly number[]; handler: Handler }[]> {
  const index = new Map<Template, { args: readonly number[]; handler: Handler }[]>();
  for (const [template, args, handler] of GENERATED_HANDLERS) {
    let list = index.get(template);
    if (!list) index.set(template, (list = []));
    list.push({ args, handler });
  }
  return index;
}

function sameArgs(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function buildDispatch(): Dispatch {
  const handlers: Handler[] = new Array<Handler>(DISPATCH_SIZE).fill(undefinedOpcode);
  const modrm = new Uint8Array(MAIN_SIZE);
  const lockable = new Uint8Array(MAIN_SIZE * 8);
  const missing: IsaRow[] = [];
  const unwrapped: Spec[] = [];
  const wrappers = wrapperIndex();

  const handlerFor = (row: IsaRow | undefined, o32: boolean): Handler => {
    // Rows above the CPU level are #UD (protected-mode-only rows raise #UD themselves outside protected mode).
    if (!row || row.level > CPU_LEVEL) return undefinedOpcode;
    const s = specFor(row, o32);
    if (!s) {
      if (!o32) missing.push(row);
      return undefinedOpcode;
    }
    const wrapped = wrappers.get(s.template)?.find((w) => sameArgs(w.args, s.args));
    if (wrapped) return wrapped.handler;
    unwrapped.push(s);
    const { template, args } = s;
    return (c: CpuBase) => template(c, ...args);
  };

  for (let index = 0; index < MAIN_SIZE; index++) {
    const o32 = (index & 0x200) !== 0;
    const entry = OPCODES[index & 0x1ff];
    if (entry.plain) {
      const row = entry.plain;
      handlers[index] = handlerFor(row, o32);
      modrm[index] = hasModrm(row) ? MODRM : NO_MODRM;
      if (row.attrs & Attr.Lock) lockable.fill(1, index * 8, index * 8 + 8);
    } else if (entry.group) {
      modrm[index] = GROUP;
      entry.group.forEach((row, reg) => {
        handlers[GROUP_BASE + index * 8 + reg] = handlerFor(row, o32);
        if (row && row.attrs & Attr.Lock) lockable[index * 8 + reg] = 1;
      });
    }
  }
  for (const o32 of [0, 0x200]) {
    for (const b of PREFIX_BYTES) modrm[b | o32] = PREFIX;
    modrm[0x0f | o32] = ESCAPE;
  }
  return { handlers, modrm, lockable, missing, unwrapped };
}

/** #UD, as a handler (for tools that want to recognise it). */
export const UNDEFINED_OPCODE: Handler = undefinedOpcode;
