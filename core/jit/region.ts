/**
 * A region: the blocks of one 4 KiB code page reachable from a hot entry by the jumps the blocks contain,
 * compiled into one Wasm function. Jumps between its blocks stay in Wasm (a dispatch loop with a
 * br_table on the next block's index, and a budget check per jump), so a hot loop of several blocks
 * runs without returning to the interpreter's run loop. Any block of the region can be the entry point.
 *
 *   block $exit
 *     loop $dispatch
 *       block $b{k-1} … block $b0  br_table $b0 … (next)  end  code of block 0  end … code of block k-1
 *   end
 *   store registers, flags, EIP; return the instructions retired
 */
import { Layout } from '../layout.js';
import { decode } from '../cpu/decoder.js';
import { buildBlock, type BuiltBlock, MAX_BLOCK_INSTRUCTIONS } from './compiler.js';
import { type Binaryen, type Emitter, type Expr, L_BASE, L_EFLAGS, L_EIP, L_LOP, L_N, L_NEXT, L_REG0, LOCAL_COUNT_I32, type Module } from './emit.js';

/** Blocks per region at most. */
export const MAX_REGION_BLOCKS = 32;

/** One entry point of a compiled region. */
export interface RegionEntry {
  /** EIP and offset in the page of the block's first byte. */
  eip: number;
  offset: number;
  /** The block's index (the function's last parameter) and its straight-line length. */
  index: number;
  length: number;
  endReason: string;
}

export interface CompiledRegion {
  name: string;
  entries: RegionEntry[];
}

/**
 * The blocks of the region of `page` (4 KiB of code) entered at `eip` (at `page[offset]`): their start
 * EIPs, the entry first, found by decoding alone (what cannot be compiled shows when compiling).
 */
export function discoverRegion(page: Uint8Array, offset: number, eip: number): number[] {
  const pageEip = (eip - offset) >>> 0;
  const inPage = (target: number): boolean => ((target - pageEip) >>> 0) < page.length;
  const starts: number[] = [];
  const seen = new Set<number>();
  const work = [eip];
  while (work.length > 0 && starts.length < MAX_REGION_BLOCKS) {
    const at = work.shift()!;
    if (seen.has(at)) continue;
    seen.add(at);
    starts.push(at);
    for (const t of jumpTargets(page, (at - pageEip) >>> 0, at)) if (inPage(t) && !seen.has(t)) work.push(t);
  }
  return starts;
}

/**
 * Compiles the region of `page` entered at `eip` (at `page[offset]`) with the blocks at `starts` (from
 * discoverRegion) as function `name` of `m`; null when the entry's first instruction cannot be compiled.
 */
export function compileRegion(
  b: Binaryen, m: Module, e: Emitter, name: string, page: Uint8Array, offset: number, eip: number, starts: readonly number[],
): CompiledRegion | null {
  const pageEip = (eip - offset) >>> 0;
  const members = new Map<number, number>();
  starts.forEach((at, i) => members.set(at, i));
  const built: BuiltBlock[] = [];
  for (const at of starts) {
    const block = buildBlock(b, m, page, (at - pageEip) >>> 0, at, members, []);
    if (block === null && at === eip) return null;
    // A block that cannot be compiled: jumping there leaves the function.
    built.push(block ?? { code: [m.block(null, [e.set(L_EIP, e.c(at)), e.set(L_N, e.get(L_BASE)), m.br('exit')], b.none)], length: 0, endReason: 'none' });
  }

  // The dispatch: br_table to the end of block $b{i}, where block i's code follows.
  const labels = starts.map((_, i) => `b${i}`);
  let switchBlock: Expr = m.block(labels[0], [m.switch(labels, labels[0], e.get(L_NEXT))], b.none);
  for (let i = 0; i < built.length; i++) {
    switchBlock = m.block(i + 1 < built.length ? labels[i + 1] : null, [switchBlock, ...built[i].code], b.none);
  }
  const st = (at: number, local: number): Expr => m.i32.store(at, 4, e.c(0), e.get(local));
  const ld = (at: number, local: number): Expr => e.set(local, m.i32.load(at, 4, e.c(0)));
  const enter: Expr[] = [];
  const leave: Expr[] = [];
  for (let r = 0; r < 8; r++) {
    enter.push(ld(Layout.REGS + 4 * r, L_REG0 + r));
    leave.push(st(Layout.REGS + 4 * r, L_REG0 + r));
  }
  enter.push(ld(Layout.EFLAGS, L_EFLAGS));
  leave.push(st(Layout.EFLAGS, L_EFLAGS));
  for (let i = 0; i < 6; i++) {
    enter.push(ld(Layout.LAZY_OP + 4 * i, L_LOP + i));
    leave.push(st(Layout.LAZY_OP + 4 * i, L_LOP + i));
  }
  leave.push(st(Layout.EIP, L_EIP));
  const i32 = b.i32;
  const body = m.block(null, [
    ...enter,
    e.set(L_BASE, e.c(0)),
    m.block('exit', [m.loop('dispatch', switchBlock)], b.none),
    ...leave,
    m.return(e.get(L_N)),
  ], i32);
  const locals = [...new Array<number>(LOCAL_COUNT_I32).fill(i32), b.i64];
  m.addFunction(name, b.createType([i32, i32, i32, i32]), i32, locals, body);
  m.addFunctionExport(name, name);
  return {
    name,
    entries: starts
      .map((at, i) => ({ eip: at, offset: (at - pageEip) >>> 0, index: i, length: built[i].length, endReason: built[i].endReason }))
      .filter((entry) => entry.length > 0),
  };
}

/**
 * Where a block may go: both ways of its conditional jump, the target of its JMP, or the next instruction
 * when it runs to its length limit; nothing after a call, return or indirect jump. Decoding only: what
 * cannot be compiled shows later.
 */
function jumpTargets(page: Uint8Array, offset: number, eip: number): number[] {
  const targets: number[] = [];
  let pos = offset;
  for (let i = 0; i < MAX_BLOCK_INSTRUCTIONS; i++) {
    if (pos >= page.length) return targets;
    const d = decode(page, pos, true);
    if (!d.valid || !d.row) return targets;
    pos += d.length;
    const next = (eip + pos - offset) >>> 0;
    const { map, opcode } = d.row;
    if (map === 0 ? (opcode & 0xf0) === 0x70 : (opcode & 0xf0) === 0x80) {
      // Blocks of a region end at each conditional jump: both ways are blocks, each compiled once.
      targets.push((next + d.imms[0]) >>> 0, next);
      return targets;
    } else if (map === 0 && (opcode === 0xe9 || opcode === 0xeb)) {
      targets.push((next + d.imms[0]) >>> 0);
      return targets;
    } else if (map === 0 && TRANSFER_OPCODES.has(opcode) && !(opcode === 0xff && ((d.modrm >> 3) & 7) < 2)) return targets;
  }
  targets.push((eip + pos - offset) >>> 0);
  return targets;
}

/** One-byte opcodes after which a block does not fall through (calls return elsewhere as far as blocks go). */
const TRANSFER_OPCODES = new Set([0x9a, 0xc2, 0xc3, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xe8, 0xea, 0xf4, 0xff]);
