/**
 * The interpreter's dispatch, built from the instruction table (isa.ts) at startup. For each row the
 * factory registered under the row's mnemonic (or `MNEMONIC operands` where one mnemonic has unrelated
 * forms, like MOV to control registers) gives a spec — a template function and its constant arguments —
 * per operand size. The handler is that spec's wrapper from handlers.generated.ts (one small function per
 * spec, so the engine folds the constants), or a closure when no wrapper exists.
 *
 * Index: `opcode | map << 8 | o32 << 9` (0-1023); a group row lives at `GROUP_BASE + index * 8 + reg`.
 *
 * The run loop enters an instruction through `entries` (one per main index): the entry fetches the ModRM
 * byte itself and, for a group, picks the row by ModRM.reg in a switch — generated into
 * entries.generated.ts, so that the decoder takes no data-dependent branch on the opcode's form and a
 * group costs one indirect call, not two. `handlers` (ModRM already fetched) stay for the tools and tests.
 */
import type { CpuBase } from './cpu-base.js';
import { ESCAPE, GROUP, MODRM, NO_MODRM, PREFIX } from './dispatch-kinds.js';
import { GENERATED_ENTRIES } from './entries.generated.js';
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

/** modrm table values (dispatch-kinds.ts, apart so that the generated entries can import them). */
export { ESCAPE, GROUP, MODRM, NO_MODRM, PREFIX };
export const PREFIX_BYTES: readonly number[] = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3];

export interface Dispatch {
  readonly handlers: Handler[];
  /**
   * Per main index: NO_MODRM, MODRM, GROUP (ModRM, and the row depends on ModRM.reg); in the one-byte
   * map also PREFIX and ESCAPE, so the decoder classifies a first byte with one load.
   */
  readonly modrm: Uint8Array;
  /**
   * Per main index: the run loop's entry (fetches ModRM, picks a group's row). #UD at the prefix bytes
   * and the 0F escape of the one-byte map: the Cpu puts its prefix decoder there, and step() reads 0F itself.
   */
  readonly entries: Handler[];
  /** Per `index * 8 + ModRM.reg`: 1 when a LOCK prefix is allowed (with a memory operand). */
  readonly lockable: Uint8Array;
  /** Rows at or below the CPU level that have no implementation (must be empty; a test checks). */
  readonly missing: readonly IsaRow[];
  /** Specs that had no generated wrapper and run through a closure (must be empty; a test checks). */
  readonly unwrapped: readonly Spec[];
  /** Main indices whose entry had no generated function and runs through a closure (must be empty; a test checks). */
  readonly unwrappedEntries: readonly number[];
}

/** How the run loop enters the instruction at a main index: MODRM (one spec) or GROUP (eight, by ModRM.reg). */
export interface EntryPlan {
  readonly kind: number;
  readonly specs: readonly Spec[];
}

const UNDEFINED_SPEC: Spec = { template: undefinedOpcode, args: [] };

/** The spec a row executes: its implementation, or #UD above the CPU level or when there is none. */
function executedSpec(row: IsaRow | undefined, o32: boolean): Spec {
  if (!row || row.level > CPU_LEVEL) return UNDEFINED_SPEC;
  return specFor(row, o32) ?? UNDEFINED_SPEC;
}

/**
 * The entry plan of a main index whose entry needs a generated function (ModRM or group rows);
 * undefined for rows without ModRM (their handler is their entry), prefixes, the escape and holes.
 */
export function entryPlan(index: number): EntryPlan | undefined {
  const byte = index & 0x1ff;
  if (byte === 0x0f || PREFIX_BYTES.includes(byte)) return undefined;
  const o32 = (index & 0x200) !== 0;
  const entry = OPCODES[byte];
  if (entry.plain) return hasModrm(entry.plain) ? { kind: MODRM, specs: [executedSpec(entry.plain, o32)] } : undefined;
  if (entry.group) return { kind: GROUP, specs: entry.group.map((row) => executedSpec(row, o32)) };
  return undefined;
}

function samePlan(a: EntryPlan, b: EntryPlan): boolean {
  return a.kind === b.kind && a.specs.length === b.specs.length &&
    a.specs.every((s, i) => s.template === b.specs[i].template && sameArgs(s.args, b.specs[i].args));
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
  const { entries, unwrappedEntries } = buildEntries(handlers, modrm);
  return { handlers, modrm, entries, lockable, missing, unwrapped, unwrappedEntries };
}

/** The run loop's entry per main index: generated where the plan needs ModRM, the handler itself otherwise. */
function buildEntries(handlers: readonly Handler[], modrm: Uint8Array): { entries: Handler[]; unwrappedEntries: number[] } {
  const entries = new Array<Handler>(MAIN_SIZE).fill(undefinedOpcode);
  const unwrappedEntries: number[] = [];
  const generatedEntries = new Map<Template, { plan: EntryPlan; entry: Handler }[]>();
  for (const [kind, pairs, entry] of GENERATED_ENTRIES) {
    const plan = { kind, specs: pairs.map(([template, args]) => ({ template, args })) };
    let list = generatedEntries.get(plan.specs[0].template);
    if (!list) generatedEntries.set(plan.specs[0].template, (list = []));
    list.push({ plan, entry });
  }
  for (let index = 0; index < MAIN_SIZE; index++) {
    const kind = modrm[index];
    if (kind === PREFIX || kind === ESCAPE) continue;
    const plan = entryPlan(index);
    if (!plan) {
      entries[index] = handlers[index];
      continue;
    }
    const generated = generatedEntries.get(plan.specs[0].template)?.find((g) => samePlan(plan, g.plan));
    if (generated) {
      entries[index] = generated.entry;
      continue;
    }
    unwrappedEntries.push(index);
    const body = plan.kind === GROUP ? handlers.slice(GROUP_BASE + index * 8, GROUP_BASE + index * 8 + 8) : [handlers[index]];
    entries[index] = (c: CpuBase) => {
      c.modrm = c.fetch8();
      body[plan.kind === GROUP ? (c.modrm >> 3) & 7 : 0](c);
    };
  }
  return { entries, unwrappedEntries };
}

/** #UD, as a handler (for tools that want to recognise it). */
export const UNDEFINED_OPCODE: Handler = undefinedOpcode;
