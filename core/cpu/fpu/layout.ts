/**
 * Where the x87 state lives inside Layout.X87 of the shared WebAssembly.Memory (core/layout.ts). All
 * fields are u32 words so the interpreter reads them through one Uint32Array and a JIT with i32 loads;
 * offsets are bytes relative to Layout.X87.
 *
 * The register file is held by physical register (R0..R7), not by stack position: ST(i) is
 * R[(TOP + i) & 7], as in the hardware, so pushes and pops move no data.
 */
import { Layout } from '../../layout.js';

export const FpuLayout = {
  /**
   * R0..R7, 16 bytes each: u32 significand bits 0-31, u32 significand bits 32-63 (bit 63 is the explicit
   * integer bit), u32 sign (bit 15) and biased exponent (bits 0-14), u32 unused. The first ten bytes are
   * the register in memory (m80) order on a little-endian host.
   */
  REGS: 0x00,
  /** Control word (reserved bits as the P6 keeps them: bit 6 set, bits 7 and 13-15 clear). */
  CW: 0x80,
  /** Status word without TOP (bits 11-13 are always zero here; TOP is the next word). */
  SW: 0x84,
  /** Stack top, 0..7. */
  TOP: 0x88,
  /**
   * Which registers hold a value: bit i set = Ri is not empty (the FXSAVE "abridged" tag). The full
   * two-bit tag word is computed from the contents when it is stored, as the P6 does.
   */
  VALID: 0x8c,
  /** Last non-control instruction: offset and CS selector; its memory operand: offset and selector. */
  FIP: 0x90,
  FCS: 0x94,
  FDP: 0x98,
  FDS: 0x9c,
  /** Its opcode: low 3 bits of the escape byte << 8 | ModRM (11 bits). */
  FOP: 0xa0,
  /** Bytes used, from Layout.X87. */
  SIZE: 0xa4,
} as const;

/** u32 word indices within the x87 block (a Uint32Array view starting at Layout.X87). */
export const W_REGS = FpuLayout.REGS >> 2;
export const W_CW = FpuLayout.CW >> 2;
export const W_SW = FpuLayout.SW >> 2;
export const W_TOP = FpuLayout.TOP >> 2;
export const W_VALID = FpuLayout.VALID >> 2;
export const W_FIP = FpuLayout.FIP >> 2;
export const W_FCS = FpuLayout.FCS >> 2;
export const W_FDP = FpuLayout.FDP >> 2;
export const W_FDS = FpuLayout.FDS >> 2;
export const W_FOP = FpuLayout.FOP >> 2;
export const W_SIZE = FpuLayout.SIZE >> 2;

/** The x87 block must fit the space core/layout.ts reserves for it. */
export const X87_BASE: number = Layout.X87;
if (Layout.X87 + FpuLayout.SIZE > Layout.STATE_SIZE) throw new Error('x87 state does not fit Layout.X87');
