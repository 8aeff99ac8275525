/**
 * Where the machine state lives inside the one WebAssembly.Memory (DESIGN §2).
 *
 * The interpreter reads these through typed-array views, the JIT will import the same memory, and a
 * snapshot copies it. Every offset used anywhere comes from this table; never write a bare number.
 * All offsets are in bytes and aligned to their element size.
 */
export const Layout = {
  /** 8 × u32 general registers in encoding order: EAX ECX EDX EBX ESP EBP ESI EDI. */
  REGS: 0x0000,
  /** u32 instruction pointer (offset within CS). */
  EIP: 0x0020,
  /** u32 EFLAGS, except the six arithmetic flags while they are held lazily (see LAZY_*). */
  EFLAGS: 0x0024,
  /** Lazy arithmetic flags: u32 each — operation kind, result, first operand, second operand, size. */
  LAZY_OP: 0x0028,
  LAZY_RESULT: 0x002c,
  LAZY_SRC1: 0x0030,
  LAZY_SRC2: 0x0034,
  LAZY_SIZE: 0x0038,
  /** u32 which of CF PF AF ZF SF OF are lazy (a mask of EFLAGS bits). */
  LAZY_MASK: 0x003c,
  /** Segment registers, 8 × u32 each, in encoding order ES CS SS DS FS GS, then LDTR, TR. */
  SEG_SELECTOR: 0x0040,
  SEG_BASE: 0x0060,
  SEG_LIMIT: 0x0080,
  /** Descriptor access rights and flags (type, S, DPL, P, D/B, G) as in bits 8..23 of the high dword. */
  SEG_ACCESS: 0x00a0,
  /** Descriptor tables: u32 base, u32 limit for GDTR then IDTR. */
  GDTR_BASE: 0x00c0,
  GDTR_LIMIT: 0x00c4,
  IDTR_BASE: 0x00c8,
  IDTR_LIMIT: 0x00cc,
  /** 8 × u32 control registers CR0..CR7 (CR1, CR5-7 unused). */
  CR: 0x0100,
  /** 8 × u32 debug registers DR0..DR7. */
  DR: 0x0120,
  /** f64 count of instructions retired since reset. */
  INSTRUCTIONS: 0x0140,
  /** u32 non-zero while the CPU is halted (HLT) until an interrupt. */
  HALTED: 0x0148,
  /** u32 physical address mask applied after segmentation/paging: 0xFFEFFFFF when A20 is off. */
  A20_MASK: 0x014c,
  /** Free for the CPU (MSRs, prefixes in flight, …) up to X87. Add named entries above this line. */
  CPU_SCRATCH: 0x0180,
  /** x87 state (8 × 80-bit registers, control, status, tag, pointers); reserved for the x87 issue. */
  X87: 0x0400,
  /** Size of the CPU state block. */
  STATE_SIZE: 0x1000,
  /** TLB: one u32 per 4 KiB linear page (1 Mi entries); reserved for paging. */
  TLB: 0x10000,
  TLB_SIZE: 0x400000,
  /** Guest physical RAM starts here and runs to the end of the memory. */
  RAM: 0x800000,
} as const;

/** WebAssembly pages are 64 KiB. */
export const WASM_PAGE = 0x10000;
