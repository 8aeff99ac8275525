import { describe, expect, it } from 'vitest';
import { Layout } from '../layout.js';
import {
  Access, buildProtected, enablePaging, identityMap, mapLarge, mapPage, pde, PTE, record, runProtected, SEL, setDescriptor, setIdtGate, STACK0, TSS,
} from './pm-harness.js';
import { runToHalt, type Bench } from './test-harness.js';

const PF = 14, DF = 8;
const PAGE = 0x300000; // a test page outside the identity-mapped first 2 MiB
const FRAME = 0x180000; // physical frames for it
const RW_USER = PTE.P | PTE.W | PTE.U;

/** Identity-maps the first 2 MiB (user, writable) and maps PAGE → FRAME with `flags`; then `more`. */
function paged(flags: number, more?: (b: Bench) => void) {
  return (b: Bench) => {
    identityMap(b, 0, 0x200000, RW_USER);
    if (flags) mapPage(b, PAGE, FRAME, flags);
    more?.(b);
  };
}

describe('paging', () => {
  it('translates through PDE and PTE; a not-present page is #PF with CR2 and error code 0 (read) or 2 (write)', () => {
    const ok = runProtected(`${enablePaging()}\nmov dword [${PAGE + 0x10}], 0x12345678\nmov eax, [${PAGE + 0x10}]`, { setup: paged(RW_USER) });
    expect(ok.cpu.get32(0)).toBe(0x12345678);
    expect(ok.memory.read32(FRAME + 0x10)).toBe(0x12345678);
    const read = runProtected(`${enablePaging()}\nfault: mov eax, [${PAGE + 0x123}]`, { setup: paged(0) });
    expect(record(read)).toMatchObject({ vector: PF, code: 0, cr2: PAGE + 0x123, eip: read.at.fault });
    const write = runProtected(`${enablePaging()}\nmov byte [${PAGE + 0xfff}], 1`, { setup: paged(0) });
    expect(record(write)).toMatchObject({ vector: PF, code: 2, cr2: PAGE + 0xfff });
  });

  it('pages in the upper half (linear addresses kept as signed int32): RMW, bit ops, LOCK XADD, a word at the end of the page, #PF with the full CR2', () => {
    const HIGH = 0xc0300000;
    const setup = (b: Bench) => {
      identityMap(b, 0, 0x200000, RW_USER);
      mapPage(b, HIGH, FRAME, RW_USER);
    };
    const ok = runProtected(`${enablePaging()}
      mov dword [${HIGH + 0x10}], 0x7ffffff0
      add dword [${HIGH + 0x10}], 0x20
      mov ecx, 35
      bts dword [${HIGH + 0x20}], ecx
      mov edx, 5
      lock xadd [${HIGH + 0x30}], edx
      lock xadd [${HIGH + 0x30}], edx
      mov esi, ${HIGH + 0xffe}
      mov word [esi], 0xbeef
      mov eax, [${HIGH + 0x10}]`, { setup, ram: 16 << 20 });
    expect(ok.cpu.get32(0)).toBe(0x80000010);
    expect(ok.memory.read32(FRAME + 0x24)).toBe(8);
    expect(ok.memory.read32(FRAME + 0x30)).toBe(5); // 0 + 5, then 5 + 0 (EDX took the old 0)
    expect(ok.cpu.get32(2)).toBe(5);
    expect(ok.memory.read16(FRAME + 0xffe)).toBe(0xbeef);
    const fault = runProtected(`${enablePaging()}\nfault: mov dword [${HIGH + 0x1123}], 1`, { setup, ram: 16 << 20 });
    expect(record(fault)).toMatchObject({ vector: PF, code: 2, cr2: HIGH + 0x1123, eip: fault.at.fault });
  });

  it('user accesses: a supervisor page is #PF 5 (read) / 7 (write); a read-only user page is #PF 7 on write', () => {
    const user = { ring3: true, prologue: enablePaging(), setup: paged(PTE.P | PTE.W) };
    expect(record(runProtected(`mov eax, [${PAGE}]`, user))).toMatchObject({ vector: PF, code: 5, cr2: PAGE });
    expect(record(runProtected(`mov [${PAGE + 4}], eax`, user))).toMatchObject({ vector: PF, code: 7, cr2: PAGE + 4 });
    const b = runProtected(`mov eax, [${PAGE}]\nmov ebx, 1\nmov [${PAGE}], eax`, { ...user, setup: paged(PTE.P | PTE.U) });
    expect(record(b)).toMatchObject({ vector: PF, code: 7, cr2: PAGE });
    expect(b.cpu.get32(3)).toBe(1);
  });

  it('a supervisor write to a read-only page succeeds without CR0.WP and is #PF 3 with it', () => {
    const ro = paged(PTE.P | PTE.U);
    const without = runProtected(`${enablePaging()}\nmov dword [${PAGE}], 7`, { setup: ro });
    expect(record(without).vector).toBe(-1);
    expect(without.memory.read32(FRAME)).toBe(7);
    const withWp = runProtected(`${enablePaging()}\nmov eax, cr0\nor eax, 0x10000\nmov cr0, eax\nmov dword [${PAGE}], 7`, { setup: ro });
    expect(record(withWp)).toMatchObject({ vector: PF, code: 3, cr2: PAGE });
  });

  it('sets accessed bits on reads and the dirty bit on the first write, also after a read filled the TLB', () => {
    const b = runProtected(`${enablePaging()}\nmov eax, [${PAGE}]\nmov [${DATA_COPY}], eax`, { setup: paged(RW_USER) });
    expect(pde(b, PAGE) & PTE.A).toBe(PTE.A);
    expect(readPte(b) & (PTE.A | PTE.D)).toBe(PTE.A);
    const c = runProtected(`${enablePaging()}\nmov eax, [${PAGE}]\nmov [${PAGE + 8}], eax`, { setup: paged(RW_USER) });
    expect(readPte(c) & (PTE.A | PTE.D)).toBe(PTE.A | PTE.D);
  });

  it('4 MiB pages with CR4.PSE; the PS bit means nothing without it', () => {
    const setup = paged(0, (b) => {
      mapLarge(b, 0x800000, 0x000000, RW_USER); // 8 MiB → physical 0
      b.memory.write32(0x1234, 0xfeedface);
    });
    const b = runProtected(`${enablePaging(0x10)}\nmov eax, [0x801234]\nmov dword [0x900000], 1`, { setup });
    expect(b.cpu.get32(0)).toBe(0xfeedface);
    expect(b.memory.read32(0x100000)).toBe(1);
    expect(pde(b, 0x800000) & (PTE.A | PTE.D)).toBe(PTE.A | PTE.D);
    // Without CR4.PSE the PDE names a page table (at physical 0 here): whatever it holds decides. Entry 1 of it is the
    // dword at 4, which we make not present.
    const c = runProtected(`${enablePaging(0)}\nmov eax, [0x801234]`, { setup: (bench) => { setup(bench); bench.memory.write32(4, 0); } });
    expect(record(c)).toMatchObject({ vector: PF, code: 0, cr2: 0x801234 });
  });

  it('reserved bits of a 4 MiB PDE are #PF with RSVD', () => {
    const setup = paged(0, (b) => mapLarge(b, 0x800000, 0x000000, RW_USER | 0x2000));
    const b = runProtected(`${enablePaging(0x10)}\nmov eax, [0x800000]`, { setup });
    expect(record(b)).toMatchObject({ vector: PF, code: 9, cr2: 0x800000 });
  });

  it('the TLB keeps a changed PTE until INVLPG (or a CR3 load)', () => {
    const other = FRAME + 0x1000;
    const setup = paged(RW_USER, (b) => {
      b.memory.write32(FRAME, 111);
      b.memory.write32(other, 222);
    });
    const remap = `mov dword [${PTE_ADDR}], ${other | RW_USER}`;
    const b = runProtected(`${enablePaging()}\nmov eax, [${PAGE}]\n${remap}\nmov ebx, [${PAGE}]\ninvlpg [${PAGE}]\nmov ecx, [${PAGE}]`, { setup });
    expect([b.cpu.get32(0), b.cpu.get32(3), b.cpu.get32(1)]).toEqual([111, 111, 222]);
    const c = runProtected(`${enablePaging()}\nmov eax, [${PAGE}]\n${remap}\nmov ebx, cr3\nmov cr3, ebx\nmov ecx, [${PAGE}]`, { setup });
    expect(c.cpu.get32(1)).toBe(222);
  });

  it('global pages (CR4.PGE) survive a CR3 load; clearing CR4.PGE flushes them', () => {
    const other = FRAME + 0x1000;
    const setup = paged(RW_USER | PTE.G, (b) => {
      b.memory.write32(FRAME, 111);
      b.memory.write32(other, 222);
    });
    const remap = `mov dword [${PTE_ADDR}], ${other | RW_USER | PTE.G}`;
    const b = runProtected(
      `${enablePaging(0x80)}\nmov eax, [${PAGE}]\n${remap}\nmov edx, cr3\nmov cr3, edx\nmov ebx, [${PAGE}]\nmov edx, 0\nmov cr4, edx\nmov ecx, [${PAGE}]`,
      { setup },
    );
    expect([b.cpu.get32(0), b.cpu.get32(3), b.cpu.get32(1)]).toEqual([111, 111, 222]);
  });

  it('a CR3 load after more pages were touched than the flush list holds still drops them all, and keeps global ones', () => {
    const other = FRAME + 0x1000;
    const setup = paged(RW_USER, (b) => {
      identityMap(b, 0x400000, 0x2c00000, RW_USER); // 40 MiB more: 10240 pages
      mapPage(b, 0x3ff000, FRAME, RW_USER | PTE.G);
      b.memory.write32(FRAME, 111);
      b.memory.write32(other, 222);
    });
    const b = runProtected(
      `${enablePaging(0x80)}
      mov eax, [${PAGE}]
      mov eax, [0x3ff000]
      mov esi, 0x400000
    touch:
      mov eax, [esi]
      add esi, 0x1000
      cmp esi, 0x2c00000
      jne touch
      mov dword [${PTE_ADDR}], ${other | RW_USER}
      mov dword [${PTE_ADDR + 4 * 0xff}], ${other | RW_USER | PTE.G}
      mov edx, cr3
      mov cr3, edx
      mov ebx, [${PAGE}]
      mov ecx, [0x3ff000]`,
      { setup, ram: 48 << 20 },
    );
    expect(b.cpu.get32(3)).toBe(222); // the non-global page was re-walked
    expect(b.cpu.get32(1)).toBe(111); // the global one kept its old translation
  });

  it('a state block restored from a snapshot (same CR3) does not see the TLB of the run after the snapshot', () => {
    const other = FRAME + 0x1000;
    const b = buildProtected(
      `${enablePaging()}
      mov eax, [${PAGE}]
      hlt
    p2:
      mov dword [${PTE_ADDR}], ${other | RW_USER}
      invlpg [${PAGE}]
      mov ebx, [${PAGE}]
      hlt
    p3:
      mov ecx, [${PAGE}]`,
      { setup: paged(RW_USER, (bench) => { bench.memory.write32(FRAME, 111); bench.memory.write32(other, 222); }) },
    );
    runToHalt(b);
    const state = b.memory.u8.slice(0, Layout.STATE_SIZE);
    const ram = b.memory.u8.slice(Layout.RAM, Layout.RAM + (4 << 20));
    b.cpu.set32(0, 0);
    b.memory.u8[Layout.HALTED] = 0;
    runToHalt(b);
    expect(b.cpu.get32(3)).toBe(222);
    b.memory.u8.set(state, 0);
    b.memory.u8.set(ram, Layout.RAM);
    b.memory.u8[Layout.HALTED] = 0;
    b.cpu.setEip(b.at.p3);
    runToHalt(b);
    expect(b.cpu.get32(1)).toBe(111);
  });

  it('a supervisor translation cached in the TLB does not let ring 3 in', () => {
    const setup = paged(PTE.P | PTE.W);
    const b = runProtected(
      `
      int 0x80
      fault: mov eax, [${PAGE}]
      hlt
    handler:
      mov eax, [${PAGE}]
      iretd`,
      { ring3: true, prologue: enablePaging(), setup: (bench, at) => { setup(bench); setIdtGate(bench, 0x80, SEL.CODE0, at.handler, 0x0e, 3); } },
    );
    expect(record(b)).toMatchObject({ vector: PF, code: 5, eip: b.at.fault });
  });

  it('REP MOVSD into a read-only page stops at the boundary with the registers showing the progress', () => {
    const setup = paged(PTE.P | PTE.U, (b) => mapPage(b, PAGE - 0x1000, FRAME - 0x1000, RW_USER));
    const b = runProtected(
      `${enablePaging()}\nmov eax, cr0\nor eax, 0x10000\nmov cr0, eax\nmov esi, 0\nmov edi, ${PAGE - 8}\nmov ecx, 4\ncld\nrep movsd`,
      { setup },
    );
    expect(record(b)).toMatchObject({ vector: PF, code: 3, cr2: PAGE });
    expect([b.cpu.get32(1), b.cpu.get32(7)]).toEqual([2, PAGE]);
  });

  it('a page fault while delivering a page fault is a double fault, here through a task gate as Linux has it', () => {
    const TSS2 = 0x4200;
    const setup = paged(0, (b) => {
      // The ring-0 stack lies in the unmapped page: delivering the user's #PF faults again.
      b.memory.write32(TSS + 4, PAGE + 0x1000);
      setDescriptor(b, 0x78, TSS2, 0x67, Access.TSS32, 0);
      b.memory.write32(TSS2 + 0x1c, 0x100000); // CR3
      b.memory.write32(TSS2 + 0x24, 2);
      b.memory.write32(TSS2 + 0x38, STACK0 - 0x1000);
      for (const [off, sel] of [[0x48, SEL.DATA0], [0x4c, SEL.CODE0], [0x50, SEL.DATA0], [0x54, SEL.DATA0]]) b.memory.write16(TSS2 + off, sel);
      setIdtGate(b, DF, 0x78, 0, 0x05, 0);
    });
    const b = runProtected(
      `
      mov eax, [${PAGE + 0x10}]
      hlt
    dftask:
      str [0x600]
      pop dword [0x604]
      mov eax, cr2
      mov [0x608], eax
      hlt`,
      { ring3: true, prologue: enablePaging(), setup: (bench, at) => { setup(bench); bench.memory.write32(TSS2 + 0x20, at.dftask); } },
    );
    expect(b.exceptions).toEqual([PF, DF]);
    expect(b.memory.read16(0x600)).toBe(0x78);
    expect(b.memory.read32(0x604)).toBe(0); // the #DF error code, on the new task's stack
    expect(b.memory.read32(0x608)).toBe(PAGE + 0xffc); // the second fault's address
  });
});

/** Where PAGE's PTE lives (the harness puts one page table per 4 MiB after the directory). */
const PTE_ADDR = 0x100000 + 0x1000 * (1 + (PAGE >>> 22)) + ((PAGE >>> 12) & 0x3ff) * 4;
const DATA_COPY = 0x40000;

function readPte(b: Bench): number {
  return b.memory.read32(PTE_ADDR);
}
