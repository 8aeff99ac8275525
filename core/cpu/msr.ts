/**
 * The P6 additions around the processor's identity and model-specific state: CPUID, RDMSR/WRMSR, the
 * time-stamp counter (RDTSC), RDPMC, SYSENTER/SYSEXIT, and CMPXCHG8B.
 *
 * CPUID reports exactly what this CPU implements: family 6 (model 3, stepping 3) with vendor
 * "co86co86co86"; FPU (only with an FPU attached), DE, PSE, TSC, MSR, CX8, SEP, PGE, CMOV, FXSR (only
 * when the FPU does FXSAVE/FXRSTOR); no PAE, APIC, MTRR, MCE, MMX or SSE.
 *
 * The TSC counts machine time at TSC_HZ (1 GHz, one tick per nanosecond): CpuOptions.timeNs gives the
 * time (the machine's clock); without it the CPU counts 10 ns per retired instruction. WRMSR to the TSC
 * moves it by an offset kept in the state block.
 */
import {
  CR4_DE, CR4_OSFXSR, CR4_PCE, CR4_PGE, CR4_PSE, CR4_TSD, MODE_PROTECTED, MODE_REAL, S_CR4, S_MISC_ENABLE, S_MTRR_DEF_TYPE,
  S_MTRR_FIXED, S_MTRR_VAR, S_PERF_EVTSEL, S_SYSENTER_CS, S_SYSENTER_EIP, S_SYSENTER_ESP, S_TSC_OFFSET_F64, SEG_CS, SEG_SS,
  VEC_GP,
} from './arch.js';
import type { CpuBase } from './cpu-base.js';
import { EFLAGS_INDEX, IF, RF, setEager, VM, ZF } from './flags.js';
import { spec, type SpecFactory } from './operands.js';
import { requireMemory } from './ops-move.js';
import { requireCpl0 } from './privilege.js';

/** CPUID.1:EAX and EDX after reset: family 6, model 3, stepping 3. */
export const CPU_SIGNATURE = 0x0633;
/** Time-stamp counter frequency: ticks per second of machine time. */
export const TSC_HZ = 1e9;
/** Without a clock, the TSC advances this many nanoseconds per retired instruction. */
const NS_PER_INSTRUCTION = 10;

const VENDOR = 'co86co86co86';
const BRAND = 'co86 P6-class processor';
const MAX_BASIC_LEAF = 1;
const MAX_EXTENDED_LEAF = 0x80000004;

/** CPUID.1:EDX feature bits. */
const FEAT_FPU = 1 << 0;
const FEAT_DE = 1 << 2;
const FEAT_PSE = 1 << 3;
const FEAT_TSC = 1 << 4;
const FEAT_MSR = 1 << 5;
const FEAT_CX8 = 1 << 8;
const FEAT_SEP = 1 << 11;
const FEAT_PGE = 1 << 13;
const FEAT_CMOV = 1 << 15;
const FEAT_FXSR = 1 << 24;

/** Four ASCII characters as a little-endian register value. */
function chars(text: string, at: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (text.charCodeAt(at + i) || 0) << (8 * i);
  return v;
}

/** CPUID.1:EDX for this CPU (the FPU bits depend on what is attached). */
export function featureFlags(c: CpuBase): number {
  let edx = FEAT_DE | FEAT_PSE | FEAT_TSC | FEAT_MSR | FEAT_CX8 | FEAT_SEP | FEAT_PGE | FEAT_CMOV;
  if (c.fpu) edx |= FEAT_FPU;
  if (c.fpu?.fxsave) edx |= FEAT_FXSR;
  return edx;
}

/** CR4 bits that may be set (the others are reserved here: #GP(0) on MOV to CR4). */
export function cr4Valid(c: CpuBase): number {
  return CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE | CR4_PCE | (c.fpu?.fxsave ? CR4_OSFXSR : 0);
}

export function cpuid(c: CpuBase): void {
  const r = c.r32;
  let leaf = r[0] >>> 0;
  if (leaf > MAX_EXTENDED_LEAF || (leaf > MAX_BASIC_LEAF && leaf < 0x80000000)) leaf = MAX_BASIC_LEAF;
  let a = 0, b = 0, cx = 0, d = 0;
  if (leaf === 0) {
    a = MAX_BASIC_LEAF;
    b = chars(VENDOR, 0);
    d = chars(VENDOR, 4);
    cx = chars(VENDOR, 8);
  } else if (leaf === 1) {
    a = CPU_SIGNATURE;
    d = featureFlags(c);
  } else if (leaf === 0x80000000) a = MAX_EXTENDED_LEAF;
  else if (leaf >= 0x80000002) {
    const at = (leaf - 0x80000002) * 16;
    a = chars(BRAND, at);
    b = chars(BRAND, at + 4);
    cx = chars(BRAND, at + 8);
    d = chars(BRAND, at + 12);
  }
  r[0] = a;
  r[3] = b;
  r[1] = cx;
  r[2] = d;
}

// ------------------------------------------------------------------ time-stamp counter

/** The TSC now: machine time × TSC_HZ plus the offset WRMSR left. */
export function readTsc(c: CpuBase): number {
  const ns = c.timeNs ? c.timeNs() : c.retiredCount() * NS_PER_INSTRUCTION;
  return Math.max(0, Math.floor((ns * TSC_HZ) / 1e9) + c.f64[S_TSC_OFFSET_F64]);
}

function setEdxEax(c: CpuBase, value: number): void {
  const high = Math.floor(value / 0x100000000);
  c.r32[0] = value - high * 0x100000000;
  c.r32[2] = high;
}

/** RDTSC: #GP(0) with CR4.TSD outside CPL 0. */
export function rdtsc(c: CpuBase): void {
  if (c.st[S_CR4] & CR4_TSD && c.cpl !== 0) c.raise(VEC_GP);
  setEdxEax(c, readTsc(c));
}

/** RDPMC: counters 0 and 1 exist (they never count: 0); #GP(0) outside CPL 0 unless CR4.PCE. */
export function rdpmc(c: CpuBase): void {
  if ((c.st[S_CR4] & CR4_PCE) === 0 && c.cpl !== 0) c.raise(VEC_GP);
  if (c.r32[1] >>> 0 > 1) c.raise(VEC_GP);
  c.r32[0] = 0;
  c.r32[2] = 0;
}

// ------------------------------------------------------------------ MSRs

const MSR_TSC = 0x10;
const MSR_PLATFORM_ID = 0x17;
const MSR_APIC_BASE = 0x1b;
const MSR_BIOS_SIGN_ID = 0x8b;
const MSR_PERFCTR0 = 0xc1;
const MSR_PERFCTR1 = 0xc2;
const MSR_MTRRCAP = 0xfe;
const MSR_SYSENTER_CS = 0x174;
const MSR_SYSENTER_ESP = 0x175;
const MSR_SYSENTER_EIP = 0x176;
const MSR_EVNTSEL0 = 0x186;
const MSR_EVNTSEL1 = 0x187;
const MSR_MISC_ENABLE = 0x1a0;
const MSR_MTRR_DEF_TYPE = 0x2ff;
/** The fixed-range MTRRs in state-block order. */
const MTRR_FIXED = [0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f];
/** MTRRcap: 8 variable ranges, fixed ranges supported, no write-combining type. */
const MTRRCAP_VALUE = 0x108;

/** Word index in the state block where a read/write-back MSR keeps its low half (high half at +1), or -1. */
function storedMsr(msr: number): number {
  if (msr >= 0x200 && msr < 0x210) return S_MTRR_VAR + 2 * (msr - 0x200);
  const fixed = MTRR_FIXED.indexOf(msr);
  if (fixed >= 0) return S_MTRR_FIXED + 2 * fixed;
  if (msr === MSR_MTRR_DEF_TYPE) return S_MTRR_DEF_TYPE;
  if (msr === MSR_MISC_ENABLE) return S_MISC_ENABLE;
  if (msr === MSR_EVNTSEL0 || msr === MSR_EVNTSEL1) return S_PERF_EVTSEL + (msr - MSR_EVNTSEL0);
  return -1;
}

/** RDMSR: EDX:EAX = MSR[ECX]; #GP(0) outside CPL 0 or for an MSR this CPU does not have. */
export function rdmsr(c: CpuBase): void {
  requireCpl0(c);
  const msr = c.r32[1] >>> 0;
  const st = c.st;
  let lo = 0;
  let hi = 0;
  switch (msr) {
    case MSR_TSC: setEdxEax(c, readTsc(c)); return;
    case MSR_PLATFORM_ID: case MSR_BIOS_SIGN_ID: case MSR_PERFCTR0: case MSR_PERFCTR1: break;
    case MSR_APIC_BASE: break; // no local APIC: base 0, disabled
    case MSR_MTRRCAP: lo = MTRRCAP_VALUE; break;
    case MSR_SYSENTER_CS: lo = st[S_SYSENTER_CS]; break;
    case MSR_SYSENTER_ESP: lo = st[S_SYSENTER_ESP]; break;
    case MSR_SYSENTER_EIP: lo = st[S_SYSENTER_EIP]; break;
    default: {
      const at = storedMsr(msr);
      if (at < 0) c.raise(VEC_GP);
      lo = st[at];
      hi = msr === MSR_EVNTSEL0 || msr === MSR_EVNTSEL1 ? 0 : st[at + 1];
    }
  }
  c.r32[0] = lo;
  c.r32[2] = hi;
}

/** WRMSR: MSR[ECX] = EDX:EAX; #GP(0) outside CPL 0 or for an MSR this CPU does not have. */
export function wrmsr(c: CpuBase): void {
  requireCpl0(c);
  const msr = c.r32[1] >>> 0;
  const lo = c.r32[0];
  const hi = c.r32[2];
  const st = c.st;
  switch (msr) {
    // A P6 writes the low 32 bits of the TSC and clears the high ones.
    case MSR_TSC: c.f64[S_TSC_OFFSET_F64] += (lo >>> 0) - readTsc(c); return;
    case MSR_SYSENTER_CS: st[S_SYSENTER_CS] = lo & 0xffff; return;
    case MSR_SYSENTER_ESP: st[S_SYSENTER_ESP] = lo; return;
    case MSR_SYSENTER_EIP: st[S_SYSENTER_EIP] = lo; return;
    case MSR_PLATFORM_ID: case MSR_BIOS_SIGN_ID: case MSR_PERFCTR0: case MSR_PERFCTR1: case MSR_APIC_BASE: return;
    case MSR_MTRRCAP: c.raise(VEC_GP); break;
    default: {
      const at = storedMsr(msr);
      if (at < 0) c.raise(VEC_GP);
      st[at] = lo;
      if (msr !== MSR_EVNTSEL0 && msr !== MSR_EVNTSEL1) st[at + 1] = hi;
    }
  }
}

// ------------------------------------------------------------------ SYSENTER / SYSEXIT

/** Flat 4 GiB code/data, DPL 0 or 3: the segments SYSENTER and SYSEXIT load without reading descriptors. */
const FLAT_CODE0 = 0x00c09b00;
const FLAT_DATA0 = 0x00c09300;
const FLAT_CODE3 = 0x00c0fb00;
const FLAT_DATA3 = 0x00c0f300;

/** SYSENTER: to CPL 0 at SYSENTER_CS:SYSENTER_EIP with SS = CS + 8 and ESP = SYSENTER_ESP; clears VM, IF, RF. */
export function sysenter(c: CpuBase): void {
  const st = c.st;
  const cs = st[S_SYSENTER_CS] & 0xfffc;
  if (c.mode === MODE_REAL || cs === 0) c.raise(VEC_GP);
  st[EFLAGS_INDEX] &= ~(VM | IF | RF);
  c.mode = MODE_PROTECTED;
  c.setCpl(0);
  c.setSegCache(SEG_CS, cs, 0, 0xffffffff, FLAT_CODE0);
  c.setSegCache(SEG_SS, cs + 8, 0, 0xffffffff, FLAT_DATA0);
  c.r32[4] = st[S_SYSENTER_ESP];
  c.ip = st[S_SYSENTER_EIP] >>> 0;
  c.flagsChanged();
}

/** SYSEXIT: to CPL 3 at (SYSENTER_CS + 16):EDX with SS = SYSENTER_CS + 24 and ESP = ECX; CPL 0 in protected mode only. */
export function sysexit(c: CpuBase): void {
  const st = c.st;
  const cs = st[S_SYSENTER_CS] & 0xfffc;
  if (c.mode !== MODE_PROTECTED || c.cpl !== 0 || cs === 0) c.raise(VEC_GP);
  c.setCpl(3);
  c.setSegCache(SEG_CS, (cs + 16) | 3, 0, 0xffffffff, FLAT_CODE3);
  c.setSegCache(SEG_SS, (cs + 24) | 3, 0, 0xffffffff, FLAT_DATA3);
  c.r32[4] = c.r32[1];
  c.ip = c.r32[2] >>> 0;
}

// ------------------------------------------------------------------ CMPXCHG8B

/**
 * CMPXCHG8B m64: EDX:EAX equal to the operand → store ECX:EBX and set ZF; else load it into EDX:EAX and
 * clear ZF (the operand is written back either way, as the processor does).
 */
export function cmpxchg8b(c: CpuBase): void {
  requireMemory(c);
  const lin = c.eaLinW(8);
  const lo = c.rd32(lin);
  const hi = c.rd32((lin + 4) >>> 0);
  const r = c.r32;
  const equal = lo === r[0] && hi === r[2];
  c.wr32(lin, equal ? r[3] : lo);
  c.wr32((lin + 4) >>> 0, equal ? r[1] : hi);
  if (!equal) {
    r[0] = lo;
    r[2] = hi;
  }
  setEager(c, ZF, equal ? ZF : 0, 0, 0, false);
}

export const msrOps: Record<string, SpecFactory> = {
  CPUID: () => spec(cpuid), RDTSC: () => spec(rdtsc), RDPMC: () => spec(rdpmc), RDMSR: () => spec(rdmsr), WRMSR: () => spec(wrmsr),
  SYSENTER: () => spec(sysenter), SYSEXIT: () => spec(sysexit), CMPXCHG8B: () => spec(cmpxchg8b),
};
