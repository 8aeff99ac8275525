/**
 * The JIT's first tier (DESIGN §2): hot blocks of 32-bit flat code compiled to WebAssembly with binaryen.
 *
 * - Detection: the run loop calls enter() at block starts (after a control transfer, a block exit, an
 *   interrupt or a fault). Blocks are keyed by the physical address of their first byte, plus the EIP
 *   they were compiled at (jump targets are compiled in as constants). A direct-mapped table of TABLE_SIZE
 *   slots holds the key, state and heat of each; HOT_THRESHOLD entries queue a compile.
 * - Compilation: batched per module, asynchronous (a microtask builds the module after the current run()
 *   returns; WebAssembly.instantiate compiles off the run loop). binaryen is loaded with a dynamic import
 *   when the JIT starts; until it has loaded, the interpreter runs alone.
 * - Execution: a block function takes the instruction budget and the TLB fast bits for the current
 *   privilege and returns how many instructions it retired; EIP and the rest of the state are in the state
 *   block (compiler.ts).
 * - Self-modifying code: a page with compiled (or queued) blocks is marked in memory.codePages, which keeps
 *   it off the TLB's fast write path (paging.ts); the slow path's write calls invalidatePage(), which drops
 *   the page's blocks. Pages invalidated again and again are not compiled any more.
 */
import type { CpuBase } from '../cpu/cpu-base.js';
import { S_EIP, SEG_CS, SEG_DS, SEG_ES, SEG_SS } from '../cpu/arch.js';
import { Layout } from '../layout.js';
import type { PhysicalMemory } from '../memory.js';
import { type Binaryen, Emitter } from './emit.js';
import { compileRegion, type CompiledRegion, discoverRegion } from './region.js';

/** Block entries before a block is compiled. */
export const HOT_THRESHOLD = 1000;
const TABLE_BITS = 16;
const TABLE_SIZE = 1 << TABLE_BITS;
const PAGES_4G = 1 << 20;
/** A page invalidated this many times is left to the interpreter. */
const MAX_INVALIDATIONS = 16;
const EMPTY = 0, PENDING = 1, COMPILED = 2, FAILED = 3;

type BlockFunction = (budget: number, fastRd: number, fastWr: number, block: number) => number;

/** The JIT's counters (Machine statistics). */
export interface JitStats {
  /**
   * Blocks compiled and installed; modules built; host ms spent building them with binaryen (synchronous,
   * on the run loop's thread); ms from a module's build to its installation (asynchronous compile, summed).
   */
  blocksCompiled: number;
  modules: number;
  buildMs: number;
  installLatencyMs: number;
  /** Blocks whose first instruction is not supported (left to the interpreter), and modules that failed. */
  uncompilable: number;
  failures: number;
  /** Calls of compiled blocks, instructions they retired, and calls that retired nothing (a miss at once). */
  entries: number;
  instructions: number;
  emptyExits: number;
  /** Pages whose blocks were dropped by a write, and blocks dropped. */
  invalidations: number;
  blocksDropped: number;
}

export interface JitOptions {
  /** Block entries before a block is compiled (default HOT_THRESHOLD). */
  threshold?: number;
  /** Validate each module with binaryen before compiling it (tests; an invalid module fails to compile anyway). */
  validate?: boolean;
  /** Where binaryen comes from (default: a dynamic import, so bundlers split it off the first chunk). */
  loader?: () => Promise<{ default: Binaryen }>;
}

interface Request {
  slot: number;
  phys: number;
  eip: number;
  gen: number;
  /** The region's blocks (EIPs), the entry first; their slots are PENDING while this request is. */
  starts: number[];
}

export class Jit {
  /** Why compiled blocks end (instruction left to the interpreter, 'transfer', 'length', 'page'): where to extend the compiler. */
  readonly blockEnds = new Map<string, number>();
  readonly stats: JitStats = {
    blocksCompiled: 0, modules: 0, buildMs: 0, installLatencyMs: 0, uncompilable: 0, failures: 0, entries: 0, instructions: 0, emptyExits: 0,
    invalidations: 0, blocksDropped: 0,
  };
  private binaryen: Binaryen | undefined = undefined;
  private readonly keys = new Int32Array(TABLE_SIZE);
  private readonly eips = new Int32Array(TABLE_SIZE);
  private readonly lengths = new Int32Array(TABLE_SIZE);
  /** The block's index inside its region function. */
  private readonly blockIndex = new Int32Array(TABLE_SIZE);
  private readonly state = new Uint8Array(TABLE_SIZE);
  private readonly heat = new Uint16Array(TABLE_SIZE);
  private readonly fns: (BlockFunction | undefined)[] = new Array<BlockFunction | undefined>(TABLE_SIZE).fill(undefined);
  /** Per physical page: a write generation (invalidation count) and the slots of blocks on it. */
  private readonly pageGen = new Uint32Array(PAGES_4G);
  private readonly pageSlots = new Map<number, number[]>();
  private readonly noCompile = new Uint8Array(PAGES_4G);
  private readonly codePages = new Uint8Array(PAGES_4G);
  private pending: Request[] = [];
  private scheduled = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** segGen of the CPU when `flat` was computed. */
  private flatGen = -1;
  private flat = false;

  /** Resolves when binaryen has loaded (or failed to: then the interpreter runs alone). */
  readonly loaded: Promise<void>;
  private readonly threshold: number;
  private readonly validate: boolean;

  constructor(private readonly memory: PhysicalMemory, options: JitOptions = {}) {
    this.threshold = options.threshold ?? HOT_THRESHOLD;
    this.validate = options.validate ?? false;
    memory.codePages = this.codePages;
    memory.onCodeWrite = (addr) => this.invalidatePage(addr >>> 12);
    this.loaded = (options.loader ?? (() => import('binaryen')))().then(
      (mod) => {
        this.binaryen = mod.default;
      },
      () => {
        this.stats.failures++;
      },
    );
  }

  /** True once binaryen has loaded (blocks can be compiled). */
  get ready(): boolean {
    return this.binaryen !== undefined;
  }

  /**
   * Runs the compiled block at the CPU's EIP if there is one and `budget` allows it; returns the
   * instructions it retired (0: nothing ran, the interpreter executes the next instruction). Counts the
   * entry towards compiling a block here otherwise.
   */
  enter(c: CpuBase, budget: number): number {
    if (!c.code32 || !c.stack32) return 0;
    if (c.segGen !== this.flatGen) {
      this.flatGen = c.segGen;
      this.flat = isFlat(c);
    }
    if (!this.flat) return 0;
    const ip = c.ip | 0;
    const entry = c.tlb[ip >>> 12];
    if ((entry & c.fastFetch) === 0) return 0;
    const phys = (entry & -4096) | (ip & 0xfff);
    const slot = slotOf(phys);
    const state = this.state[slot];
    if (this.keys[slot] === phys && this.eips[slot] === ip) {
      if (state === COMPILED) {
        if (budget < this.lengths[slot]) return 0;
        const n = this.fns[slot]!(budget, c.fastRd, c.fastWr, this.blockIndex[slot]);
        c.ip = c.st[S_EIP] >>> 0;
        const stats = this.stats;
        stats.entries++;
        stats.instructions += n;
        if (n === 0) stats.emptyExits++;
        return n;
      }
      if (state !== EMPTY) return 0; // pending or failed
    }
    if (++this.heat[slot] >= this.threshold) {
      this.heat[slot] = 0;
      this.request(c, slot, phys, ip);
    }
    return 0;
  }

  /** Drops the blocks of a physical page (a write to it); called by PhysicalMemory before the write. */
  invalidatePage(page: number): void {
    this.pageGen[page]++;
    this.codePages[page] = 0;
    this.stats.invalidations++;
    if (this.pageGen[page] >= MAX_INVALIDATIONS) this.noCompile[page] = 1;
    const slots = this.pageSlots.get(page);
    if (slots === undefined) return;
    this.pageSlots.delete(page);
    for (const slot of slots) {
      if (this.keys[slot] >>> 12 !== page || this.state[slot] === EMPTY) continue;
      this.state[slot] = EMPTY;
      this.fns[slot] = undefined;
      this.stats.blocksDropped++;
    }
  }

  /** Forgets every block (a snapshot was restored: memory changed behind the CPU). */
  invalidateAll(): void {
    for (const page of [...this.pageSlots.keys()]) this.invalidatePage(page);
    this.codePages.fill(0);
  }

  /** Resolves when no compile is queued or in flight (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.pending.length === 0 && this.inFlight === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private request(c: CpuBase, slot: number, phys: number, eip: number): void {
    const page = phys >>> 12;
    if (this.binaryen === undefined || this.noCompile[page] !== 0 || page >= this.memory.ramSize >>> 12) return;
    const pageBase = page << 12;
    const starts = discoverRegion(this.pageBytes(page), phys & 0xfff, eip);
    let slots = this.pageSlots.get(page);
    if (slots === undefined) this.pageSlots.set(page, (slots = []));
    // Every block of the region waits for it, so that they do not each ask for a region of their own.
    for (const at of starts) {
      const memberPhys = pageBase | ((at - eip + phys) & 0xfff);
      const s = slotOf(memberPhys);
      if (s !== slot && (this.state[s] === PENDING || (this.state[s] === COMPILED && this.keys[s] === memberPhys))) continue;
      this.keys[s] = memberPhys;
      this.eips[s] = at;
      this.state[s] = PENDING;
      this.fns[s] = undefined;
      slots.push(s);
    }
    if (this.codePages[page] === 0) {
      this.codePages[page] = 1;
      // The page's TLB entries may allow fast writes: drop them. Without paging they are the identity (A20 aside).
      if (c.paging) c.flushAllTranslations();
      else {
        c.tlb[page] = 0;
        c.tlb[page ^ 0x100] = 0;
        c.invalidateFetch();
      }
    }
    this.pending.push({ slot, phys, eip, gen: this.pageGen[page], starts });
    if (!this.scheduled) {
      this.scheduled = true;
      void Promise.resolve().then(() => this.compilePending());
    }
  }

  private pageBytes(page: number): Uint8Array {
    const base = Layout.RAM + page * 4096;
    return this.memory.u8.subarray(base, base + 4096);
  }

  /** The request's blocks that are still waiting for it go back to `state` (EMPTY: may get hot again; FAILED). */
  private release(req: Request, state: number): void {
    const pageBase = req.phys & -4096;
    for (const at of req.starts) {
      const memberPhys = pageBase | ((at - req.eip + req.phys) & 0xfff);
      const s = slotOf(memberPhys);
      if (this.state[s] === PENDING && this.keys[s] === memberPhys) this.state[s] = state;
    }
  }

  /** Builds one module from the queued regions; a failure anywhere leaves them to the interpreter. */
  private compilePending(): void {
    this.scheduled = false;
    const requests = this.pending;
    this.pending = [];
    try {
      this.buildModule(requests);
    } catch {
      this.stats.failures++;
      for (const req of requests) this.release(req, FAILED);
      this.settle();
    }
  }

  /** Builds one module from `requests` and instantiates it asynchronously. */
  private buildModule(requests: Request[]): void {
    const b = this.binaryen!;
    const t0 = performance.now();
    const m = new b.Module();
    m.setMemory(1, 65536, null);
    m.addMemoryImport('0', 'env', 'memory');
    m.setFeatures(b.Features.MVP | b.Features.SignExt);
    const built: { req: Request; region: CompiledRegion }[] = [];
    const e = new Emitter(b, m);
    for (let i = 0; i < requests.length; i++) {
      const req = requests[i];
      const page = req.phys >>> 12;
      if (this.pageGen[page] !== req.gen) {
        this.release(req, EMPTY);
        continue;
      }
      let region: CompiledRegion | null = null;
      try {
        region = compileRegion(b, m, e, `r${i}`, this.pageBytes(page), req.phys & 0xfff, req.eip >>> 0, req.starts);
      } catch {
        region = null;
      }
      if (region === null) {
        this.release(req, FAILED);
        this.stats.uncompilable++;
        continue;
      }
      built.push({ req, region });
      for (const entry of region.entries) this.blockEnds.set(entry.endReason, (this.blockEnds.get(entry.endReason) ?? 0) + 1);
    }
    if (built.length === 0 || (this.validate && !m.validate())) {
      if (built.length) this.stats.failures++;
      for (const { req } of built) this.release(req, FAILED);
      m.dispose();
      this.stats.buildMs += performance.now() - t0;
      this.settle();
      return;
    }
    const bytes = m.emitBinary() as Uint8Array<ArrayBuffer>;
    m.dispose();
    const t1 = performance.now();
    this.stats.buildMs += t1 - t0;
    this.inFlight++;
    WebAssembly.compile(bytes).then((module) => WebAssembly.instantiate(module, { env: { memory: this.memory.memory } })).then(
      (instance) => {
        this.inFlight--;
        this.stats.modules++;
        for (const { req, region } of built) {
          const page = req.phys >>> 12;
          if (this.pageGen[page] !== req.gen) this.release(req, EMPTY);
          else {
            this.install(instance.exports[region.name] as BlockFunction, region, page);
            this.release(req, FAILED); // blocks of the region whose first instruction is not supported
          }
        }
        this.stats.installLatencyMs += performance.now() - t1;
        this.settle();
      },
      () => {
        this.inFlight--;
        this.stats.failures++;
        for (const { req } of built) this.release(req, FAILED);
        this.settle();
      },
    );
  }

  /** Enters every block of a region in the table (each may be entered directly). */
  private install(fn: BlockFunction, region: CompiledRegion, page: number): void {
    let slots = this.pageSlots.get(page);
    if (slots === undefined) this.pageSlots.set(page, (slots = []));
    for (const entry of region.entries) {
      const phys = (page << 12) | entry.offset;
      const slot = slotOf(phys);
      // A block waiting for another region keeps its slot; anything else there gives way.
      if (this.state[slot] === PENDING && this.keys[slot] !== phys) continue;
      this.keys[slot] = phys;
      this.eips[slot] = entry.eip;
      this.fns[slot] = fn;
      this.blockIndex[slot] = entry.index;
      this.lengths[slot] = entry.length;
      this.state[slot] = COMPILED;
      slots.push(slot);
      this.stats.blocksCompiled++;
    }
  }

  private settle(): void {
    if (this.pending.length === 0 && this.inFlight === 0 && !this.scheduled) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

/** The table slot of a block's physical address. */
function slotOf(phys: number): number {
  return (phys ^ (phys >>> TABLE_BITS) ^ (phys >>> 7)) & (TABLE_SIZE - 1);
}

/** CS, DS, ES, SS with base 0 and every offset readable (and DS, ES, SS writable): no segment checks needed. */
function isFlat(c: CpuBase): boolean {
  for (const s of [SEG_CS, SEG_DS, SEG_ES, SEG_SS]) {
    if (c.bases[s] !== 0 || c.segLo[s] !== 0) return false;
    if (s !== SEG_CS && (c.segHiR[s] !== 0xffffffff || c.segHiW[s] !== 0xffffffff)) return false;
  }
  return c.csLimit === 0xffffffff;
}
