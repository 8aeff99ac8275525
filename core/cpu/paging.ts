/**
 * Linear → physical translation (Intel SDM Vol. 3 ch. 4, 32-bit paging without PAE): the TLB, the page
 * walk with accessed/dirty bits, U/S and R/W with CR0.WP, 4 MiB pages (CR4.PSE), global pages (CR4.PGE),
 * and #PF with CR2 and the error code.
 *
 * The TLB lives at Layout.TLB in the shared memory: one u32 per 4 KiB linear page (1 Mi entries), 0 when
 * empty. An entry is the physical page address (A20 applied) in bits 12-31 and, in bits 0-11, what may be
 * done with it without a walk. The same TLB serves every mode: with paging off its entries are the identity
 * (A20 applied), so real mode, unpaged protected mode and paging share one fast path:
 *
 *   e = tlb[lin >>> 12];  if (e & fastRd) → u8[RAM + (e & ~0xfff) + (lin & 0xfff)]
 *
 * where fastRd/fastWr pick the supervisor or user bits for the current privilege (cpu-base.ts). Anything
 * else (a miss, MMIO, a page not yet dirty, a data breakpoint, alignment checking) takes the slow path here.
 * Whoever changes what the translation depends on flushes: CR3 loads (non-global entries), CR0/CR4 and
 * A20 changes (everything), INVLPG (one page, or the whole 4 MiB page it belongs to).
 */
import { Layout } from '../layout.js';
import { PageKind } from '../memory.js';
import type { CpuBase } from './cpu-base.js';
import { breakpointInPage, checkDataBreakpoint } from './debug.js';
import { CR0_WP, CR4_PGE, CR4_PSE, S_CR0, S_CR2, S_CR3, S_CR4, VEC_AC, VEC_PF } from './arch.js';

const RAM = Layout.RAM;
const RAM_KIND: number = PageKind.Ram;
const ROM_KIND: number = PageKind.Rom;

export const TLB_ENTRIES = 1 << 20;
/** Permission bits: the cached translation allows this access (supervisor/user read/write) without a walk. */
export const P_RS = 0x001;
export const P_WS = 0x002;
export const P_RU = 0x004;
export const P_WU = 0x008;
const P_ALL = P_RS | P_WS | P_RU | P_WU;
/** Fast bits (the permission bit << 4): permitted, and the physical page is RAM (or ROM, for reads). */
export const F_RS = 0x010;
export const F_WS = 0x020;
export const F_RU = 0x040;
export const F_WU = 0x080;
/** The translation came from a global page (kept by CR3 loads while CR4.PGE is set). */
export const T_GLOBAL = 0x100;
/** The translation came from a 4 MiB page (INVLPG drops all 1024 entries of it). */
export const T_LARGE = 0x200;

/** Page-fault error code bits. */
export const PF_P = 1;
export const PF_W = 2;
export const PF_U = 4;
export const PF_RSVD = 8;

/** Pages remembered for a cheap flush; beyond this many the flush clears (or scans) the whole TLB. */
export const TLB_LIST_SIZE = 8192;

// ------------------------------------------------------------------ slow paths of reads and writes

/** A read that missed the fast path: alignment check, translation (maybe a walk or #PF), then memory. */
export function readSlow(c: CpuBase, lin: number, size: number, user: boolean): number {
  lin >>>= 0;
  if (user && c.alignCheck && (lin & (size - 1)) !== 0) c.raiseCode(VEC_AC, 0);
  const inPage = lin & 0xfff;
  if (inPage + size <= 0x1000) {
    const p = xlate(c, lin, false, user, size);
    if (size === 1) return c.memory.read8(p);
    if (size === 2) return c.memory.read16(p);
    return c.memory.read32(p) | 0;
  }
  // Across a page boundary: both translations first (either may fault), then the bytes.
  const first = 0x1000 - inPage;
  const p1 = xlate(c, lin, false, user, first);
  const p2 = xlate(c, (lin + first) >>> 0, false, user, size - first);
  let v = 0;
  for (let i = 0; i < size; i++) v |= c.memory.read8(i < first ? p1 + i : p2 + i - first) << (8 * i);
  return v;
}

/** A write that missed the fast path. Across a page boundary both pages are checked before any byte is written. */
export function writeSlow(c: CpuBase, lin: number, size: number, v: number, user: boolean): void {
  lin >>>= 0;
  if (user && c.alignCheck && (lin & (size - 1)) !== 0) c.raiseCode(VEC_AC, 0);
  const inPage = lin & 0xfff;
  if (inPage + size <= 0x1000) {
    const p = xlate(c, lin, true, user, size);
    if (size === 1) c.memory.write8(p, v & 0xff);
    else if (size === 2) c.memory.write16(p, v & 0xffff);
    else c.memory.write32(p, v >>> 0);
    return;
  }
  const first = 0x1000 - inPage;
  const p1 = xlate(c, lin, true, user, first);
  const p2 = xlate(c, (lin + first) >>> 0, true, user, size - first);
  for (let i = 0; i < size; i++) c.memory.write8(i < first ? p1 + i : p2 + i - first, (v >>> (8 * i)) & 0xff);
}

/** Supervisor-privilege ("implicit") reads and writes: descriptor tables, the TSS, stacks of inner rings. */
export function sysRead8(c: CpuBase, lin: number): number {
  const e = c.tlb[lin >>> 12];
  if (e & F_RS) return c.u8[RAM + (((e & -4096) | (lin & 0xfff)) >>> 0)];
  return readSlow(c, lin, 1, false);
}

export function sysRead16(c: CpuBase, lin: number): number {
  return readSlow(c, lin, 2, false);
}

export function sysRead32(c: CpuBase, lin: number): number {
  const e = c.tlb[lin >>> 12];
  if ((lin & 0xfff) <= 0xffc && e & F_RS) {
    const i = RAM + (((e & -4096) | (lin & 0xfff)) >>> 0);
    const u8 = c.u8;
    return u8[i] | (u8[i + 1] << 8) | (u8[i + 2] << 16) | (u8[i + 3] << 24);
  }
  return readSlow(c, lin, 4, false);
}

export function sysWrite8(c: CpuBase, lin: number, v: number): void {
  writeSlow(c, lin, 1, v, false);
}

export function sysWrite16(c: CpuBase, lin: number, v: number): void {
  writeSlow(c, lin, 2, v, false);
}

export function sysWrite32(c: CpuBase, lin: number, v: number): void {
  writeSlow(c, lin, 4, v, false);
}

// ------------------------------------------------------------------ translation

/** Physical address of `lin` for an access; walks (and may raise #PF) when the TLB cannot say. */
export function xlate(c: CpuBase, lin: number, write: boolean, user: boolean, size: number): number {
  let e = c.tlb[lin >>> 12];
  const perm = write ? (user ? P_WU : P_WS) : user ? P_RU : P_RS;
  if ((e & perm) === 0) e = fill(c, lin, write, user);
  if (c.dataBreakpoints !== 0) checkDataBreakpoint(c, lin, size, write);
  return ((e & -4096) | (lin & 0xfff)) >>> 0;
}

/** Physical address of an instruction fetch at the current privilege (no alignment or data-breakpoint checks). */
export function fetchTranslate(c: CpuBase, lin: number): number {
  let e = c.tlb[lin >>> 12];
  const perm = c.user ? P_RU : P_RS;
  if ((e & perm) === 0) e = fill(c, lin, false, c.user);
  return ((e & -4096) | (lin & 0xfff)) >>> 0;
}

/**
 * The RAM index of `lin` when the TLB already allows the access on the fast path, else -1 (string
 * instructions use it to move whole runs of a page at once).
 */
export function fastIndex(c: CpuBase, lin: number, write: boolean): number {
  const e = c.tlb[lin >>> 12];
  if ((e & (write ? c.fastWr : c.fastRd)) === 0) return -1;
  return RAM + (((e & -4096) | (lin & 0xfff)) >>> 0);
}

/** Translates for the TLB: a walk (paging) or the identity (no paging); caches and returns the entry. */
function fill(c: CpuBase, lin: number, write: boolean, user: boolean): number {
  const page = lin >>> 12;
  let e: number;
  if (!c.paging) e = ((lin & c.a20 & -4096) | P_ALL) >>> 0;
  else e = walk(c, lin, write, user);
  const kind = c.pageKind[e >>> 12];
  let fast = 0;
  if (kind <= ROM_KIND) fast = (e & (P_RS | P_RU)) << 4;
  // Pages holding JIT code (core/jit) are written through the slow path, which invalidates their blocks.
  const code = c.memory.codePages;
  if (kind === RAM_KIND && (code === undefined || code[e >>> 12] === 0)) fast |= (e & (P_WS | P_WU)) << 4;
  if (c.dataBreakpoints !== 0 && breakpointInPage(c, page)) fast = 0;
  e |= fast;
  const tlb = c.tlb;
  // Non-global entries are listed so that a CR3 load clears just them; global ones only need the full flush.
  if (e & T_GLOBAL) c.tlbGlobal = true;
  else if (tlb[page] === 0) {
    if (c.tlbCount < TLB_LIST_SIZE) c.tlbList[c.tlbCount++] = page;
    else c.tlbOverflow = true;
  }
  tlb[page] = e;
  return e;
}

/**
 * The page walk: PDE, then PTE (or a 4 MiB PDE), permission checks, accessed and dirty bits. Returns
 * the entry's physical page and permission bits; write permission is cached only once the page is dirty.
 */
function walk(c: CpuBase, lin: number, write: boolean, user: boolean): number {
  const st = c.st;
  const mem = c.memory;
  const a20 = c.a20;
  const wp = (st[S_CR0] & CR0_WP) !== 0;
  const pdeAddr = (((st[S_CR3] & -4096) | ((lin >>> 22) << 2)) & a20) >>> 0;
  let pde = mem.read32(pdeAddr);
  if ((pde & 1) === 0) pageFault(c, lin, write, user, 0);
  const cr4 = st[S_CR4];
  if (pde & 0x80 && cr4 & CR4_PSE) {
    // Bits 13-21 of a 4 MiB PDE are reserved without PSE-36 (which we do not report).
    if (pde & 0x003fe000) pageFault(c, lin, write, user, PF_P | PF_RSVD);
    checkAccess(c, lin, write, user, pde & 4, pde & 2, wp);
    const want = write ? 0x60 : 0x20;
    if ((pde & want) !== want) mem.write32(pdeAddr, (pde |= want) >>> 0);
    const phys = (((pde & 0xffc00000) | (lin & 0x3ff000)) & a20) >>> 0;
    const global = pde & 0x100 && cr4 & CR4_PGE ? T_GLOBAL : 0;
    return (phys | permissions(pde & 4, pde & 2, pde & 0x40, wp) | global | T_LARGE) >>> 0;
  }
  const pteAddr = (((pde & -4096) | (((lin >>> 12) & 0x3ff) << 2)) & a20) >>> 0;
  let pte = mem.read32(pteAddr);
  if ((pte & 1) === 0) pageFault(c, lin, write, user, 0);
  const u = pde & pte & 4;
  const w = pde & pte & 2;
  checkAccess(c, lin, write, user, u, w, wp);
  if ((pde & 0x20) === 0) mem.write32(pdeAddr, (pde | 0x20) >>> 0);
  const want = write ? 0x60 : 0x20;
  if ((pte & want) !== want) mem.write32(pteAddr, (pte |= want) >>> 0);
  const global = pte & 0x100 && cr4 & CR4_PGE ? T_GLOBAL : 0;
  return ((pte & a20 & -4096) | permissions(u, w, pte & 0x40, wp) | global) >>> 0;
}

/** Permission bits of a translation: user (U/S), writable (R/W in both levels), dirty, CR0.WP. */
function permissions(u: number, w: number, dirty: number, wp: boolean): number {
  let p = P_RS;
  if (u) p |= P_RU;
  if (dirty) {
    if (w || !wp) p |= P_WS;
    if (u && w) p |= P_WU;
  }
  return p;
}

function checkAccess(c: CpuBase, lin: number, write: boolean, user: boolean, u: number, w: number, wp: boolean): void {
  if (user) {
    if (!u || (write && !w)) pageFault(c, lin, write, user, PF_P);
  } else if (write && !w && wp) pageFault(c, lin, write, user, PF_P);
}

function pageFault(c: CpuBase, lin: number, write: boolean, user: boolean, bits: number): never {
  c.st[S_CR2] = lin;
  return c.raiseCode(VEC_PF, bits | (write ? PF_W : 0) | (user ? PF_U : 0));
}

/**
 * Linear → physical without side effects (no A/D bits, no fault, no TLB fill): for the firmware trap
 * check, debuggers and CpuAccess. -1 when the page is not present.
 */
export function probe(c: CpuBase, lin: number): number {
  lin >>>= 0;
  if (!c.paging) return (lin & c.a20) >>> 0;
  const mem = c.memory;
  const a20 = c.a20;
  const pde = mem.read32((((c.st[S_CR3] & -4096) | ((lin >>> 22) << 2)) & a20) >>> 0);
  if ((pde & 1) === 0) return -1;
  if (pde & 0x80 && c.st[S_CR4] & CR4_PSE) return (((pde & 0xffc00000) | (lin & 0x3fffff)) & a20) >>> 0;
  const pte = mem.read32((((pde & -4096) | (((lin >>> 12) & 0x3ff) << 2)) & a20) >>> 0);
  if ((pte & 1) === 0) return -1;
  return (((pte & -4096) | (lin & 0xfff)) & a20) >>> 0;
}

// ------------------------------------------------------------------ flushes

/**
 * Empties the TLB; with keepGlobal (a CR3 load under CR4.PGE) global translations stay. The listed
 * (non-global) pages are cleared one by one; when more were filled than the list holds, or global entries
 * must go too, the whole table is cleared or scanned.
 */
export function flushTlb(c: CpuBase, keepGlobal: boolean): void {
  const tlb = c.tlb;
  if (!keepGlobal && (c.tlbOverflow || c.tlbGlobal)) {
    tlb.fill(0);
    c.tlbGlobal = false;
  } else if (c.tlbOverflow) {
    for (let page = 0; page < TLB_ENTRIES; page++) if ((tlb[page] & T_GLOBAL) === 0) tlb[page] = 0;
  } else {
    const list = c.tlbList;
    for (let i = 0, n = c.tlbCount; i < n; i++) {
      const page = list[i];
      if ((tlb[page] & T_GLOBAL) === 0) tlb[page] = 0;
    }
  }
  c.tlbCount = 0;
  c.tlbOverflow = false;
  c.invalidateFetch();
}

/** INVLPG: drops the page's translation (all of a 4 MiB page's). */
export function invalidatePage(c: CpuBase, lin: number): void {
  const page = lin >>> 12;
  const tlb = c.tlb;
  if (tlb[page] & T_LARGE) tlb.fill(0, page & ~0x3ff, (page & ~0x3ff) + 0x400);
  else tlb[page] = 0;
  c.invalidateFetch();
}
