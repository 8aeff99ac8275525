/**
 * Control instructions: FNINIT FNCLEX FLDCW FNSTCW FNSTSW, and the state images — FNSTENV/FLDENV (14 or
 * 28 bytes), FNSAVE/FRSTOR (94 or 108), each in a real-mode and a protected-mode layout (Intel SDM vol. 1
 * figures 8-9 to 8-12), and FXSAVE/FXRSTOR (512 bytes, abridged tag). Images are built in (or read whole
 * into) FpuBase.buf, so a fault part-way leaves the FPU unchanged.
 *
 * Choices where the manuals leave room, matching what P6-era hardware is seen to write:
 * - the reserved upper halves of the 32-bit images' control, status and tag words, of FDS and (real mode)
 *   of the 16-bit pointer fields hold FFFFh;
 * - real-mode images hold linear pointers, selector × 16 + offset (what the CPU keeps as FCS:FIP); loading
 *   one sets FIP/FDP to the linear value and FCS/FDS to 0, so saving it again gives the same bytes;
 * - the 16-bit protected layout has no FOP field: FLDENV/FRSTOR then leave FOP as it was;
 * - FXSAVE writes only the x87 parts (bytes 0-23 and 32-159, reserved bytes among them as zero) and
 *   leaves MXCSR, MXCSR_MASK and the XMM area to the SSE side; FXRSTOR reads only the x87 parts.
 */
import { B, CW_INIT, EXCEPTIONS, ES, type FpuBase, SF } from './fpu-base.js';
import { W_FCS, W_FDP, W_FDS, W_FIP, W_FOP, W_SW, W_TOP, W_VALID } from './layout.js';

/** FNINIT (and FNSAVE's epilogue): control 037Fh, status 0, all registers empty, pointers cleared. */
export function initialize(f: FpuBase): void {
  const s = f.s;
  f.setControlWord(CW_INIT);
  s[W_SW] = 0;
  s[W_TOP] = 0;
  s[W_VALID] = 0;
  s[W_FIP] = 0;
  s[W_FCS] = 0;
  s[W_FDP] = 0;
  s[W_FDS] = 0;
  s[W_FOP] = 0;
}

/** FNCLEX: exception flags, SF, ES and B cleared; condition codes and TOP kept. */
export function clearExceptions(f: FpuBase): void {
  f.s[W_SW] &= ~(EXCEPTIONS | SF | ES | B);
}

/** FLDCW m16: an exception flag whose mask this clears becomes pending (ES). */
export function loadControlWord(f: FpuBase): void {
  const v = f.host.read16(f.seg, f.offset);
  f.setControlWord(v);
  f.updateSummary();
}

export function storeControlWord(f: FpuBase): void {
  f.host.write16(f.seg, f.offset, f.controlWord());
}

/** FNSTSW m16, or AX (DF E0). */
export function storeStatusWord(f: FpuBase, toAx: boolean): void {
  if (toAx) f.host.setAx(f.statusWord());
  else f.host.write16(f.seg, f.offset, f.statusWord());
}

const RESERVED = 0xffff0000;

/** Linear pointer of a real-mode image from a selector and offset. */
function linear(selector: number, offset: number): number {
  return ((selector << 4) + offset) >>> 0;
}

/** Build the environment image at buf[0]; returns its size (14 or 28). */
function environmentImage(f: FpuBase, o32: boolean, pm: boolean): number {
  const s = f.s;
  const fop = s[W_FOP] & 0x7ff;
  if (o32) {
    f.put32(0, RESERVED | f.controlWord());
    f.put32(4, RESERVED | f.statusWord());
    f.put32(8, RESERVED | f.tagWord());
    if (pm) {
      f.put32(12, s[W_FIP]);
      f.put32(16, (fop << 16) | (s[W_FCS] & 0xffff));
      f.put32(20, s[W_FDP]);
      f.put32(24, RESERVED | (s[W_FDS] & 0xffff));
    } else {
      const ip = linear(s[W_FCS], s[W_FIP]);
      const dp = linear(s[W_FDS], s[W_FDP]);
      f.put32(12, RESERVED | (ip & 0xffff));
      f.put32(16, ((ip >>> 16) << 12) | fop);
      f.put32(20, RESERVED | (dp & 0xffff));
      f.put32(24, (dp >>> 16) << 12);
    }
    return 28;
  }
  f.put16(0, f.controlWord());
  f.put16(2, f.statusWord());
  f.put16(4, f.tagWord());
  if (pm) {
    f.put16(6, s[W_FIP]);
    f.put16(8, s[W_FCS]);
    f.put16(10, s[W_FDP]);
    f.put16(12, s[W_FDS]);
  } else {
    const ip = linear(s[W_FCS], s[W_FIP]);
    const dp = linear(s[W_FDS], s[W_FDP]);
    f.put16(6, ip);
    f.put16(8, (((ip >>> 16) & 0xf) << 12) | fop);
    f.put16(10, dp);
    f.put16(12, ((dp >>> 16) & 0xf) << 12);
  }
  return 14;
}

/** Apply the environment image at buf[0]. The tag word only says empty (11b) or not. */
function applyEnvironment(f: FpuBase, o32: boolean, pm: boolean): void {
  const s = f.s;
  const cw = f.get16(0);
  const sw = f.get16(o32 ? 4 : 2);
  const tw = f.get16(o32 ? 8 : 4);
  if (pm) {
    s[W_FIP] = o32 ? f.get32(12) : f.get16(6);
    s[W_FCS] = f.get16(o32 ? 16 : 8);
    s[W_FDP] = o32 ? f.get32(20) : f.get16(10);
    s[W_FDS] = f.get16(o32 ? 24 : 12);
    if (o32) s[W_FOP] = (f.get32(16) >>> 16) & 0x7ff;
  } else {
    if (o32) {
      s[W_FIP] = (f.get16(12) | (((f.get32(16) >>> 12) & 0xffff) << 16)) >>> 0;
      s[W_FOP] = f.get32(16) & 0x7ff;
      s[W_FDP] = (f.get16(20) | (((f.get32(24) >>> 12) & 0xffff) << 16)) >>> 0;
    } else {
      s[W_FIP] = f.get16(6) | ((f.get16(8) >>> 12) << 16);
      s[W_FOP] = f.get16(8) & 0x7ff;
      s[W_FDP] = f.get16(10) | ((f.get16(12) >>> 12) << 16);
    }
    s[W_FCS] = 0;
    s[W_FDS] = 0;
  }
  let valid = 0;
  for (let p = 0; p < 8; p++) if (((tw >> (p << 1)) & 3) !== 3) valid |= 1 << p;
  s[W_VALID] = valid;
  f.setControlWord(cw);
  f.setStatusWord(sw);
}

/** FNSTENV: store the environment, then mask all exceptions (ES stays as it is until FNCLEX). */
export function storeEnvironment(f: FpuBase): void {
  const n = environmentImage(f, f.host.operand32(), f.host.protectedMode());
  f.writeImage(0, n);
  f.setControlWord(f.controlWord() | EXCEPTIONS);
}

export function loadEnvironment(f: FpuBase): void {
  const o32 = f.host.operand32();
  f.readImage(0, o32 ? 28 : 14);
  applyEnvironment(f, o32, f.host.protectedMode());
}

/** FNSAVE: the environment, then ST(0)..ST(7) as ten bytes each; then FNINIT. */
export function save(f: FpuBase): void {
  const n = environmentImage(f, f.host.operand32(), f.host.protectedMode());
  for (let i = 0; i < 8; i++) f.putRegister(n + i * 10, f.phys(i));
  f.writeImage(0, n + 80);
  initialize(f);
}

/** FRSTOR: everything is read before anything is loaded. Registers are in stack order of the new TOP. */
export function restore(f: FpuBase): void {
  const o32 = f.host.operand32();
  const n = o32 ? 28 : 14;
  f.readImage(0, n + 80);
  applyEnvironment(f, o32, f.host.protectedMode());
  for (let i = 0; i < 8; i++) f.getRegister(n + i * 10, f.phys(i));
}

const FX_X87_HEAD = 24;
const FX_REGS = 32;
const FX_REGS_END = 160;

/** FXSAVE m512: FCW FSW, abridged FTW, FOP, FIP FCS, FDP FDS; ST(0)..ST(7) in 16-byte slots. No FNINIT. */
export function fxsave(f: FpuBase, seg: number, offset: number): void {
  const s = f.s;
  f.seg = seg;
  f.offset = offset;
  f.put16(0, f.controlWord());
  f.put16(2, f.statusWord());
  f.put16(4, s[W_VALID] & 0xff); // byte 5 reserved: 0
  f.put16(6, s[W_FOP] & 0x7ff);
  f.put32(8, s[W_FIP]);
  f.put32(12, s[W_FCS] & 0xffff);
  f.put32(16, s[W_FDP]);
  f.put32(20, s[W_FDS] & 0xffff);
  for (let i = 0; i < 8; i++) {
    const k = FX_REGS + i * 16;
    f.putRegister(k, f.phys(i));
    f.put16(k + 10, 0);
    f.put32(k + 12, 0);
  }
  f.writeImage(0, FX_X87_HEAD);
  f.writeImage(FX_REGS, FX_REGS_END - FX_REGS);
}

/** FXRSTOR m512 (the x87 part): the abridged tag gives empty/non-empty directly. */
export function fxrstor(f: FpuBase, seg: number, offset: number): void {
  const s = f.s;
  f.seg = seg;
  f.offset = offset;
  f.readImage(0, FX_X87_HEAD);
  f.readImage(FX_REGS, FX_REGS_END - FX_REGS);
  f.setControlWord(f.get16(0));
  s[W_FOP] = f.get16(6) & 0x7ff;
  s[W_FIP] = f.get32(8);
  s[W_FCS] = f.get16(12);
  s[W_FDP] = f.get32(16);
  s[W_FDS] = f.get16(20);
  f.setStatusWord(f.get16(2));
  for (let i = 0; i < 8; i++) f.getRegister(FX_REGS + i * 16, f.phys(i));
  s[W_VALID] = f.buf[4];
}

/** Power-on: the FNINIT state with every register +0.0. */
export function powerOn(f: FpuBase): void {
  initialize(f);
  for (let p = 0; p < 8; p++) f.setWords(p, 0, 0, 0);
}
