/**
 * Architectural constants of the x86 (Intel SDM Vol. 3): exception vectors, control-register bits,
 * descriptor bits, operating modes, and the word indices of the CPU's state in the shared memory
 * (core/layout.ts, plus the CPU's own named entries inside Layout.CPU_SCRATCH). No code, only numbers,
 * so every CPU module can import it without import cycles.
 */
import { Layout } from '../layout.js';

// ------------------------------------------------------------------ exception vectors
export const VEC_DE = 0;
export const VEC_DB = 1;
export const VEC_NMI = 2;
export const VEC_BP = 3;
export const VEC_OF = 4;
export const VEC_BR = 5;
export const VEC_UD = 6;
export const VEC_NM = 7;
export const VEC_DF = 8;
export const VEC_TS = 10;
export const VEC_NP = 11;
export const VEC_SS = 12;
export const VEC_GP = 13;
export const VEC_PF = 14;
export const VEC_MF = 16;
export const VEC_AC = 17;

/** Exceptions that push an error code (in protected mode): #DF #TS #NP #SS #GP #PF #AC. */
export const HAS_ERROR_CODE = new Uint8Array(32);
for (const v of [VEC_DF, VEC_TS, VEC_NP, VEC_SS, VEC_GP, VEC_PF, VEC_AC]) HAS_ERROR_CODE[v] = 1;

/**
 * Exception classes for the double-fault rules (SDM Vol. 3 §6.15, table 6-5): a contributory fault
 * while delivering a contributory one, or a page fault or contributory fault while delivering a page
 * fault, is a double fault. Everything else (benign) is delivered serially.
 */
export const BENIGN = 0;
export const CONTRIBUTORY = 1;
export const PAGE_FAULT_CLASS = 2;
export const FAULT_CLASS = new Uint8Array(256);
for (const v of [VEC_DE, VEC_TS, VEC_NP, VEC_SS, VEC_GP]) FAULT_CLASS[v] = CONTRIBUTORY;
FAULT_CLASS[VEC_PF] = PAGE_FAULT_CLASS;

/** How an interrupt came about (cpu-base.ts interrupt): decides the gate-DPL check and the EXT bit of error codes. */
export const INT_EXCEPTION = 0;
export const INT_EXTERNAL = 1;
/** INT n, INT3, INTO: the gate's DPL must be ≥ CPL; not EXT. */
export const INT_SOFTWARE = 2;
/** INT1 (ICEBP, F1): a debug trap without the gate-DPL check. */
export const INT_ICEBP = 3;

// ------------------------------------------------------------------ control registers
export const CR0_PE = 1 << 0;
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16;
export const CR0_AM = 1 << 18;
export const CR0_NW = 1 << 29;
export const CR0_CD = 1 << 30;
export const CR0_PG = 1 << 31;
/** Bits of CR0 that exist on a P6 (the rest read 0; writing 1 to them is #GP). */
export const CR0_VALID = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;

export const CR4_VME = 1 << 0;
export const CR4_PVI = 1 << 1;
export const CR4_TSD = 1 << 2;
export const CR4_DE = 1 << 3;
export const CR4_PSE = 1 << 4;
export const CR4_PAE = 1 << 5;
export const CR4_MCE = 1 << 6;
export const CR4_PGE = 1 << 7;
export const CR4_PCE = 1 << 8;
export const CR4_OSFXSR = 1 << 9;

// ------------------------------------------------------------------ modes
export const MODE_REAL = 0;
export const MODE_PROTECTED = 1;
export const MODE_V86 = 2;

// ------------------------------------------------------------------ descriptors
/*
 * SEG_ACCESS keeps bits 8..23 of a descriptor's high dword in place (type, S, DPL, P, AVL, D/B, G;
 * the limit's bits 16-19 are masked out), so the same masks serve descriptors and the caches.
 */
export const DESC_ACCESSED = 1 << 8;
/** Code: readable; data: writable. */
export const DESC_RW = 1 << 9;
/** Code: conforming; data: expand-down. */
export const DESC_CE = 1 << 10;
export const DESC_CODE = 1 << 11;
/** S: code or data (clear for system descriptors: TSS, LDT, gates). */
export const DESC_S = 1 << 12;
export const DESC_DPL_SHIFT = 13;
export const DESC_P = 1 << 15;
export const DESC_DB = 1 << 22;
export const DESC_G = 1 << 23;
/** Present, non-system, read/write data (accessed): what a real-mode data segment looks like. */
export const ACCESS_DATA = 0x9300;
/** Present, non-system, execute/read code (accessed). */
export const ACCESS_CODE = 0x9b00;
/** What segment loads in virtual-8086 mode leave in the caches: present, DPL 3, read/write data. */
export const ACCESS_V86 = 0xf300;
/** What the descriptor caches keep of a high dword. */
export const DESC_RIGHTS_MASK = 0x00f0ff00;

/** System descriptor types (bits 8-11 with S clear). */
export const SYS_TSS16_AVAIL = 1;
export const SYS_LDT = 2;
export const SYS_TSS16_BUSY = 3;
export const SYS_CALL_GATE16 = 4;
export const SYS_TASK_GATE = 5;
export const SYS_INT_GATE16 = 6;
export const SYS_TRAP_GATE16 = 7;
export const SYS_TSS32_AVAIL = 9;
export const SYS_TSS32_BUSY = 11;
export const SYS_CALL_GATE32 = 12;
export const SYS_INT_GATE32 = 14;
export const SYS_TRAP_GATE32 = 15;

/** Segment registers in encoding order; the LDT register and the task register share their arrays. */
/** The data segment registers (not CS or SS), in encoding order. */
export const DATA_SEGMENTS: readonly number[] = [0, 3, 4, 5];
export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;
export const SEG_LDTR = 6;
export const SEG_TR = 7;

// ------------------------------------------------------------------ state block word indices
export const S_EIP = Layout.EIP >> 2;
export const S_INSTR_F64 = Layout.INSTRUCTIONS >> 3;
export const S_HALTED = Layout.HALTED >> 2;
export const S_A20 = Layout.A20_MASK >> 2;
export const S_CR0 = Layout.CR >> 2;
export const S_CR2 = S_CR0 + 2;
export const S_CR3 = S_CR0 + 3;
export const S_CR4 = S_CR0 + 4;
export const S_DR0 = Layout.DR >> 2;
export const S_DR6 = S_DR0 + 6;
export const S_DR7 = S_DR0 + 7;
export const S_GDTR_BASE = Layout.GDTR_BASE >> 2;
export const S_GDTR_LIMIT = Layout.GDTR_LIMIT >> 2;
export const S_IDTR_BASE = Layout.IDTR_BASE >> 2;
export const S_IDTR_LIMIT = Layout.IDTR_LIMIT >> 2;

/**
 * The CPU's own entries in Layout.CPU_SCRATCH (bytes 0x180-0x3FF of the state block), as word indices.
 * They are architectural state a snapshot must keep: the current privilege level and the MSRs.
 */
const SCRATCH = Layout.CPU_SCRATCH >> 2;
/** u32 current privilege level (0-3); not derivable from CS alone right after CR0.PE is set. */
export const S_CPL = SCRATCH + 0;
/** u32 × 3: SYSENTER_CS, SYSENTER_ESP, SYSENTER_EIP (MSRs 174h-176h; the high halves read 0). */
export const S_SYSENTER_CS = SCRATCH + 1;
export const S_SYSENTER_ESP = SCRATCH + 2;
export const S_SYSENTER_EIP = SCRATCH + 3;
/** f64 (byte offset 0x190): TSC value minus the time-derived count, changed by WRMSR to the TSC. */
export const S_TSC_OFFSET_F64 = (Layout.CPU_SCRATCH + 0x10) >> 3;
/** u32 × 2: IA32_MISC_ENABLE low and high. */
export const S_MISC_ENABLE = SCRATCH + 6;
/** u32 × 2: MTRRdefType low and high. */
export const S_MTRR_DEF_TYPE = SCRATCH + 8;
/** u32 × 2 × 11: the fixed-range MTRRs (250h, 258h, 259h, 268h-26Fh), low then high word each. */
export const S_MTRR_FIXED = SCRATCH + 10;
/** u32 × 2 × 16: the variable-range MTRR pairs (200h-20Fh), low then high word each. */
export const S_MTRR_VAR = SCRATCH + 32;
/** u32 × 2: the performance-event select MSRs 186h, 187h (read back; no counting). */
export const S_PERF_EVTSEL = SCRATCH + 64;
/**
 * u32: which run() of this CPU left the state block (cpu-base.ts syncTlb). A state block restored from a
 * snapshot carries another value, which tells the CPU to drop its TLB.
 */
export const S_TLB_EPOCH = SCRATCH + 66;
/** u32: end of the CPU's scratch words (the x87 state follows at Layout.X87). */
export const S_SCRATCH_END = SCRATCH + 67;
