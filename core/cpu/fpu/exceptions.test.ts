/** Exception responses (masked and unmasked), delivery at the next waiting instruction, pointers, restarts. */
import { describe, expect, it } from 'vitest';
import { Layout } from '../../layout.js';
import { Rig, TestFault } from './test-host.js';

const IE = 0x01;
const DE = 0x02;
const ZE = 0x04;
const OE = 0x08;
const UE = 0x10;
const PE = 0x20;
const ES = 0x80;
const B = 0x8000;

describe('masked responses', () => {
  it('x/0 = ∞ with ZE; 0/0 and √−1 give the indefinite with IE; ES stays clear', () => {
    const r = new Rig();
    r.op(0xd9, 0xee); // FLDZ
    r.op(0xd9, 0xe8); // FLD1
    r.op(0xd8, 0xf1); // FDIV ST(0), ST(1)
    expect(r.popF64()).toBe(Infinity);
    expect(r.sw() & (ZE | ES)).toBe(ZE);
    r.op(0xd9, 0xee);
    r.op(0xd8, 0xf1); // 0/0
    expect(r.raw(0)).toEqual([0xffff, 0xc0000000, 0]);
    expect(r.sw() & (IE | ES)).toBe(IE);
    r.pushF64(-1);
    r.op(0xd9, 0xfa);
    expect(r.raw(0)).toEqual([0xffff, 0xc0000000, 0]);
  });

  it('PE with C1 = rounded up', () => {
    const r = new Rig();
    r.pushF64(3);
    r.op(0xd9, 0xe8);
    r.op(0xd8, 0xf1); // 1/3 at 64 bits: …AAAB, rounded up
    expect(r.sw() & (PE | 0x200)).toBe(PE | 0x200);
  });
});

describe('unmasked exceptions and their delivery', () => {
  it('unmasked ZE: the destination keeps its value, ES and B are set; the next waiting instruction faults', () => {
    const r = new Rig();
    r.fldcw(0x037b); // ZE unmasked
    r.op(0xd9, 0xee);
    r.pushF64(5);
    r.op(0xd8, 0xf1); // 5 / 0
    expect(r.raw(0)).toEqual([0x4001, 0xa0000000, 0]); // still 5
    expect(r.sw() & (ZE | ES | B)).toBe(ZE | ES | B);
    r.host.throwOnMathFault = true;
    const before = r.state.slice();
    expect(() => r.op(0xd8, 0xc1)).toThrow(TestFault); // FADD: waits first
    expect(() => r.mem(0xd9, 5, 0x300)).toThrow(TestFault); // FLDCW waits too
    expect(() => r.fpu.wait()).toThrow(TestFault);
    expect(r.host.mathFaults).toBe(3);
    expect(r.state).toEqual(before);
    // The non-waiting forms run: FNSTSW, FNSTCW, FNSTENV, FNSAVE's environment, FNCLEX.
    r.op(0xdf, 0xe0);
    expect(r.host.ax & ES).toBe(ES);
    r.mem(0xd9, 7, 0x300);
    r.mem(0xd9, 6, 0x310);
    expect(r.host.mathFaults).toBe(3);
    r.op(0xdb, 0xe2); // FNCLEX
    r.fpu.wait();
    expect(r.host.mathFaults).toBe(3);
    expect(r.sw() & (ZE | ES | B)).toBe(0);
  });

  it('with FERR# (raiseMathFault returns) the waiting instruction then runs', () => {
    const r = new Rig();
    r.fldcw(0x037e);
    r.op(0xd8, 0xc0); // FADD with empty registers: unmasked stack fault
    expect(r.sw() & ES).toBe(ES);
    r.op(0xd9, 0xe8); // FLD1
    expect(r.host.mathFaults).toBe(1);
    expect(r.peek(0)).toBe(1);
  });

  it('FLDCW that unmasks a raised flag makes it pending; masking it again clears ES', () => {
    const r = new Rig();
    r.pushF64(3);
    r.op(0xd9, 0xe8);
    r.op(0xd8, 0xf1); // PE, masked
    expect(r.sw() & ES).toBe(0);
    r.fldcw(0x035f); // PE unmasked
    expect(r.sw() & (ES | B)).toBe(ES | B);
    expect(r.host.mathFaults).toBe(0);
    r.fldcw(0x037f); // FLDCW waits (FERR# mode: returns), then masks again
    expect(r.host.mathFaults).toBe(1);
    expect(r.sw() & (ES | B)).toBe(0);
  });

  it('unmasked DE: a denormal operand stops the operation; masked, it only flags DE', () => {
    const r = new Rig();
    r.view.setUint32(0x300, 1, true); // the smallest f32 denormal
    r.pushF64(1);
    r.mem(0xd8, 0, 0x300); // FADD m32
    expect(r.sw() & DE).toBe(DE);
    expect(r.peek(0)).toBe(1 + 2 ** -149);
    r.op(0xdb, 0xe2);
    r.fldcw(0x037d);
    r.mem(0xd8, 0, 0x300);
    expect(r.peek(0)).toBe(1 + 2 ** -149);
    expect(r.sw() & (DE | ES)).toBe(DE | ES);
  });

  it('unmasked PE: the result is delivered and the exception pends', () => {
    const r = new Rig();
    r.fldcw(0x035f);
    r.pushF64(3);
    r.op(0xd9, 0xe8);
    r.op(0xd8, 0xf1);
    expect(r.peek(0)).toBeCloseTo(1 / 3, 15);
    expect(r.sw() & (PE | ES)).toBe(PE | ES);
  });

  it('unmasked OE on FSTP m32: nothing stored, nothing popped', () => {
    const r = new Rig();
    r.fldcw(0x0377);
    r.pushF64(1e300);
    r.view.setUint32(0x300, 0x12345678, true);
    r.mem(0xd9, 3, 0x300);
    expect(r.view.getUint32(0x300, true)).toBe(0x12345678);
    expect(r.top()).toBe(7);
    expect(r.sw() & (OE | ES)).toBe(OE | ES);
  });

  it('unmasked UE counts a tiny exact result; masked UE needs it inexact too', () => {
    const tiny = (cw: number): [number[], number] => {
      const r = new Rig();
      r.fldcw(cw);
      r.pushF64(0.5);
      r.host.ram.set([0, 0, 0, 0, 0, 0, 0, 0x80, 1, 0], 0x300); // 2^-16382, the smallest normal
      r.mem(0xdb, 5, 0x300);
      r.op(0xd8, 0xc9); // FMUL: 2^-16383, an exact denormal
      return [r.raw(0), r.sw() & (UE | PE)];
    };
    expect(tiny(0x037f)).toEqual([[0, 0x40000000, 0], 0]);
    expect(tiny(0x036f)).toEqual([[0x6000, 0x80000000, 0], UE]); // wrapped: 2^-16383 × 2^24576
  });
});

describe('unmasked OE and UE on a register: the result wrapped by 2^∓24576', () => {
  function loadRaw(r: Rig, se: number, hi: number, lo: number): void {
    r.view.setUint32(0x380, lo, true);
    r.view.setUint32(0x384, hi, true);
    r.view.setUint16(0x388, se, true);
    r.mem(0xdb, 5, 0x380); // FLD m80
  }

  function run(cw: number, a: number[], b: number[], modrm: number): [number[], number] {
    const r = new Rig();
    r.fldcw(cw);
    loadRaw(r, b[0], b[1], b[2]);
    loadRaw(r, a[0], a[1], a[2]);
    r.op(0xd8, modrm); // ST(0) = ST(0) op ST(1)
    return [r.raw(0), r.sw() & (OE | UE | PE | ES | 0x200)];
  }

  const MAX = [0x7ffe, 0xffffffff, 0xffffffff];
  const MIN_NORMAL = [0x0001, 0x80000000, 0];

  it('FMUL overflow', () => {
    expect(run(0x0377, [0x7ffe, 0x80000000, 0], [0x4001, 0x80000000, 0], 0xc9)).toEqual([[0x2000, 0x80000000, 0], OE | ES]);
    expect(run(0x0377, [0xfffe, 0xffffffff, 0xffffffff], [0x4000, 0xc0000000, 0], 0xc9)).toEqual([[0xa000, 0xbfffffff, 0xffffffff], OE | PE | ES]);
    expect(run(0x037f, MAX, [0x4001, 0x80000000, 0], 0xc9)[0]).toEqual([0x7fff, 0x80000000, 0]); // masked: ∞
  });

  it('FADD overflow and FSUB, FDIV underflow', () => {
    expect(run(0x0377, MAX, MAX, 0xc1)).toEqual([[0x1fff, 0xffffffff, 0xffffffff], OE | ES]);
    expect(run(0x036f, [0x0001, 0xc0000000, 0], MIN_NORMAL, 0xe1)).toEqual([[0x6000, 0x80000000, 0], UE | ES]);
    expect(run(0x036f, MIN_NORMAL, [0x4001, 0x80000000, 0], 0xf1)).toEqual([[0x5fff, 0x80000000, 0], UE | ES]);
    expect(run(0x037f, MIN_NORMAL, [0x4001, 0x80000000, 0], 0xf1)).toEqual([[0, 0x20000000, 0], 0]); // masked: exact denormal
  });

  it('FSCALE overflow and underflow', () => {
    const scale = (cw: number, a: number[], n: number): [number[], number] => {
      const r = new Rig();
      r.fldcw(cw);
      r.pushF64(n);
      loadRaw(r, a[0], a[1], a[2]);
      r.op(0xd9, 0xfd);
      return [r.raw(0), r.sw() & (OE | UE | PE | ES)];
    };
    expect(scale(0x0377, [0x7ff0, 0xc0000000, 0], 100.9)).toEqual([[0x7ff0 + 100 - 0x6000, 0xc0000000, 0], OE | ES]);
    expect(scale(0x036f, [0x0010, 0xc0000000, 0], -100.9)).toEqual([[0x0010 - 100 + 0x6000, 0xc0000000, 0], UE | ES]);
    expect(scale(0x036f, [0x0010, 0xc0000000, 0], -16)).toEqual([[0x6000, 0xc0000000, 0], UE | ES]); // exact
    expect(scale(0x0377, [0x7ff0, 0xc0000000, 0], 2 ** 40)[0]).toEqual([0x7fff, 0x80000000, 0]); // too far: ∞
  });
});

describe('instruction and data pointers', () => {
  /** FNSTENV (32-bit protected) at 0x400 and return its seven dwords. */
  function environment(r: Rig): number[] {
    r.mem(0xd9, 6, 0x400);
    return Array.from({ length: 7 }, (_, k) => r.view.getUint32(0x400 + 4 * k, true));
  }

  it('a memory instruction records FCS:FIP, FOP and FDS:FDP; control instructions leave them', () => {
    const r = new Rig();
    new Uint32Array(r.memory.buffer, Layout.SEG_SELECTOR, 8)[3] = 0x0023; // DS
    r.host.cs = 0x001b;
    r.host.eip = 0x00401000;
    r.view.setFloat32(0x300, 2, true);
    r.pushF64(1);
    r.mem(0xd8, 0, 0x300); // FADD m32 (ModRM 05)
    r.host.eip = 0x00402000;
    r.mem(0xd9, 7, 0x310); // FNSTCW: a control instruction
    const env = environment(r);
    expect(env[3]).toBe(0x00401000);
    expect(env[4]).toBe((0x005 << 16) | 0x001b); // FOP = (D8 & 7) << 8 | 05
    expect(env[5]).toBe(0x300);
    expect(env[6]).toBe(0xffff0023);
    r.op(0xd9, 0xe1); // FABS: a register form records FIP and FOP, not the data pointer
    const env2 = environment(r);
    expect(env2[3]).toBe(0x00402000);
    expect(env2[4] >>> 16).toBe(0x1e1);
    expect(env2[5]).toBe(0x300);
  });
});

describe('faults leave the FPU restartable', () => {
  it('a faulting read changes nothing', () => {
    const r = new Rig();
    r.pushF64(1);
    const before = r.state.slice();
    r.host.faultFrom = 0x304;
    expect(() => r.mem(0xdd, 0, 0x300)).toThrow(TestFault); // FLD m64
    expect(() => r.mem(0xdc, 0, 0x300)).toThrow(TestFault); // FADD m64
    expect(() => r.mem(0xdf, 4, 0x300)).toThrow(TestFault); // FBLD
    expect(() => r.mem(0xdd, 4, 0x2a0)).toThrow(TestFault); // FRSTOR: the last bytes fault
    expect(r.state).toEqual(before);
  });

  it('a faulting store neither pops nor records', () => {
    const r = new Rig();
    r.pushF64(1 / 3);
    const before = r.state.slice();
    r.host.faultFrom = 0x308;
    expect(() => r.mem(0xdb, 7, 0x300)).toThrow(TestFault); // FSTP m80
    expect(() => r.mem(0xd9, 3, 0x306)).toThrow(TestFault); // FSTP m32 (would set PE)
    expect(() => r.mem(0xdd, 6, 0x300)).toThrow(TestFault); // FNSAVE
    expect(r.state).toEqual(before);
  });
});
