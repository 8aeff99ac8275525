/** The x87 unit driven directly: initial state, each instruction family, stack rules, encodings. */
import { describe, expect, it } from 'vitest';
import { Rig, TestFault } from './test-host.js';

const C0 = 0x100;
const C1 = 0x200;
const C2 = 0x400;
const C3 = 0x4000;
const CC = C0 | C1 | C2 | C3;
const IE = 1;
const SF = 0x40;

describe('initial state', () => {
  it('FNINIT: control 037Fh, status 0, tag FFFFh; FNSTSW AX = 0 (Linux FPU detection)', () => {
    const r = new Rig();
    r.pushF64(1);
    r.fldcw(0x0c7f);
    r.op(0xdb, 0xe3); // FNINIT
    r.host.ax = 0xdead;
    r.op(0xdf, 0xe0); // FNSTSW AX
    expect(r.host.ax).toBe(0);
    r.mem(0xd9, 7, 0x200); // FNSTCW
    expect(r.view.getUint16(0x200, true)).toBe(0x037f);
    expect(r.fpu.tagWord()).toBe(0xffff);
    r.mem(0xdd, 7, 0x202); // FNSTSW m16
    expect(r.view.getUint16(0x202, true)).toBe(0);
  });

  it('reset gives the same state, and two FPUs are independent', () => {
    const a = new Rig();
    const b = new Rig();
    a.pushF64(3);
    expect(a.top()).toBe(7);
    expect(b.top()).toBe(0);
    expect(b.fpu.tagWord()).toBe(0xffff);
    a.fpu.reset();
    expect(a.cw()).toBe(0x037f);
    expect(a.sw()).toBe(0);
    expect(a.fpu.tagWord()).toBe(0xffff);
  });

  it('FLDCW keeps bit 6 set and bits 7, 13-15 clear (the infinity bit 12 is kept)', () => {
    const r = new Rig();
    r.fldcw(0x0000);
    expect(r.cw()).toBe(0x0040);
    r.fldcw(0xffff);
    expect(r.cw()).toBe(0x1f7f);
  });
});

describe('loads and stores', () => {
  it('m32, m64 and m80 reals round-trip', () => {
    const r = new Rig();
    r.view.setFloat32(0x300, -2.25, true);
    r.mem(0xd9, 0, 0x300); // FLD m32
    expect(r.raw(0)).toEqual([0xc000, 0x90000000, 0]);
    r.mem(0xdb, 7, 0x310); // FSTP m80
    expect([...r.host.ram.subarray(0x310, 0x31a)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0x90, 0x00, 0xc0]);
    r.mem(0xdb, 5, 0x310); // FLD m80
    r.mem(0xd9, 3, 0x320); // FSTP m32
    expect(r.view.getFloat32(0x320, true)).toBe(-2.25);
    r.pushF64(Math.PI);
    expect(r.popF64()).toBe(Math.PI);
    expect(r.fpu.tagWord()).toBe(0xffff);
  });

  it('FILD and FIST(P) of m16, m32, m64 integers', () => {
    const r = new Rig();
    r.view.setInt16(0x300, -12345, true);
    r.mem(0xdf, 0, 0x300); // FILD m16
    r.view.setInt32(0x304, -2147483648, true);
    r.mem(0xdb, 0, 0x304); // FILD m32
    r.view.setBigInt64(0x308, -(2n ** 63n), true);
    r.mem(0xdf, 5, 0x308); // FILD m64
    r.mem(0xdf, 7, 0x310); // FISTP m64
    expect(r.view.getBigInt64(0x310, true)).toBe(-(2n ** 63n));
    r.mem(0xdb, 3, 0x318); // FISTP m32
    expect(r.view.getInt32(0x318, true)).toBe(-2147483648);
    r.mem(0xdf, 2, 0x31c); // FIST m16 (no pop)
    expect(r.view.getInt16(0x31c, true)).toBe(-12345);
    expect(r.top()).toBe(7);
    r.mem(0xdf, 3, 0x31c); // FISTP m16
    expect(r.top()).toBe(0);
    expect(r.sw() & IE).toBe(0);
  });

  it('FIST rounds under RC; out of range stores the integer indefinite with IE', () => {
    const r = new Rig();
    const fist = (x: number, rc: number): number => {
      r.fldcw(0x037f | (rc << 10));
      r.pushF64(x);
      r.mem(0xdb, 3, 0x300);
      return r.view.getInt32(0x300, true);
    };
    expect(fist(2.5, 0)).toBe(2);
    expect(fist(3.5, 0)).toBe(4);
    expect(fist(-2.5, 1)).toBe(-3);
    expect(fist(2.1, 2)).toBe(3);
    expect(fist(-2.9, 3)).toBe(-2);
    expect(r.sw() & IE).toBe(0);
    expect(fist(2 ** 31, 0)).toBe(-2147483648);
    expect(r.sw() & IE).toBe(IE);
    r.op(0xdb, 0xe2); // FNCLEX
    r.pushF64(40000);
    r.mem(0xdf, 3, 0x300); // FISTP m16: out of range
    expect(r.view.getUint16(0x300, true)).toBe(0x8000);
    expect(r.sw() & IE).toBe(IE);
  });

  it('FISTTP is #UD on a P6 and truncates when enabled', () => {
    const p6 = new Rig();
    p6.pushF64(-2.7);
    expect(() => p6.mem(0xdb, 1, 0x300)).toThrow(TestFault);
    expect(p6.host.undefinedOpcodes).toBe(1);
    expect(p6.top()).toBe(7);
    const sse3 = new Rig({ fisttp: true });
    sse3.pushF64(-2.7);
    sse3.mem(0xdb, 1, 0x300); // FISTTP m32, RC is nearest
    expect(sse3.view.getInt32(0x300, true)).toBe(-2);
    expect(sse3.top()).toBe(0);
    sse3.pushF64(2.7);
    sse3.mem(0xdd, 1, 0x300); // FISTTP m64
    expect(sse3.view.getBigInt64(0x300, true)).toBe(2n);
    sse3.pushF64(2.7);
    expect(sse3.popF64()).toBe(2.7); // RC was restored
  });

  it('FBLD / FBSTP', () => {
    const r = new Rig();
    const bytes = [0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80]; // -123456789012345678
    r.host.ram.set(bytes, 0x300);
    r.mem(0xdf, 4, 0x300); // FBLD
    r.op(0xd9, 0xc0); // FLD ST(0)
    r.mem(0xdf, 7, 0x320); // FISTP m64
    expect(r.view.getBigInt64(0x320, true)).toBe(-123456789012345678n);
    r.mem(0xdf, 6, 0x310); // FBSTP
    expect([...r.host.ram.subarray(0x310, 0x31a)]).toEqual(bytes);
    expect(r.top()).toBe(0);
  });

  it('FLD m32 of an SNaN raises IE and loads it quieted; FLD m80 loads it as is', () => {
    const r = new Rig();
    r.view.setUint32(0x300, 0x7f800001, true);
    r.mem(0xd9, 0, 0x300);
    expect(r.sw() & IE).toBe(IE);
    expect(r.raw(0)).toEqual([0x7fff, 0xc0000100, 0]);
    r.op(0xdb, 0xe2);
    r.host.ram.set([1, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f], 0x310);
    r.mem(0xdb, 5, 0x310);
    expect(r.sw() & IE).toBe(0);
    expect(r.raw(0)).toEqual([0x7fff, 0x80000000, 1]);
  });

  it('FST rounds under RC and sets C1 when it rounded up; FST m32 overflow gives ∞ with OE', () => {
    const r = new Rig();
    r.pushF64(1 + 2 ** -30);
    r.mem(0xd9, 2, 0x300); // FST m32
    expect(r.view.getFloat32(0x300, true)).toBe(1);
    expect(r.sw() & (C1 | 0x20)).toBe(0x20); // PE, rounded down
    r.pushF64(1 / 3);
    r.mem(0xd9, 3, 0x300); // FSTP m32: 1/3 rounds up
    expect(r.view.getFloat32(0x300, true)).toBe(Math.fround(1 / 3));
    expect(r.sw() & C1).toBe(C1);
    r.pushF64(1e300);
    r.mem(0xd9, 3, 0x300);
    expect(r.view.getFloat32(0x300, true)).toBe(Infinity);
    expect(r.sw() & 0x08).toBe(0x08);
  });

  it('FLD ST(i), FST/FSTP ST(i), FXCH, FFREE, FFREEP, FINCSTP, FDECSTP', () => {
    const r = new Rig();
    r.pushF64(1);
    r.pushF64(2);
    r.op(0xd9, 0xc1); // FLD ST(1)
    expect([r.peek(0), r.peek(1), r.peek(2)]).toEqual([1, 2, 1]);
    r.op(0xd9, 0xca); // FXCH ST(2)
    r.op(0xdd, 0xd1); // FST ST(1)
    expect([r.peek(0), r.peek(1), r.peek(2)]).toEqual([1, 1, 1]);
    r.pushF64(5);
    r.op(0xdd, 0xdb); // FSTP ST(3)
    expect([r.peek(0), r.peek(1), r.peek(2)]).toEqual([1, 1, 5]);
    r.op(0xdd, 0xc1); // FFREE ST(1)
    expect(r.fpu.isEmpty(r.fpu.phys(1))).toBe(true);
    expect(r.top()).toBe(5);
    r.op(0xd9, 0xf7); // FINCSTP
    expect(r.top()).toBe(6);
    r.op(0xd9, 0xf6); // FDECSTP
    expect(r.top()).toBe(5);
    r.op(0xdf, 0xc0); // FFREEP ST(0)
    expect(r.top()).toBe(6);
    expect(r.fpu.tagWord()).toBe(0xffff ^ (3 << 14)); // only R7 (ST(1) before the pop: 5) is left
  });

  it('constants are rounded under RC (FLDPI: C90FDAA22168C235 nearest, …C234 chopped)', () => {
    const r = new Rig();
    r.op(0xd9, 0xeb); // FLDPI
    expect(r.raw(0)).toEqual([0x4000, 0xc90fdaa2, 0x2168c235]);
    r.fldcw(0x0f7f);
    r.op(0xd9, 0xeb);
    expect(r.raw(0)).toEqual([0x4000, 0xc90fdaa2, 0x2168c234]);
    r.fldcw(0x037f);
    const values: number[] = [];
    for (let k = 0; k < 7; k++) {
      if (k === 3) continue;
      r.op(0xd9, 0xe8 + k);
      values.push(r.popF64());
    }
    expect(values).toEqual([1, Math.log2(10), Math.LOG2E, Math.log10(2), Math.LN2, 0]);
  });
});

describe('arithmetic', () => {
  /** ST(0) = 10, ST(1) = 4, then one instruction; returns the stack from ST(0). */
  function twoOperands(escape: number, modrm: number): number[] {
    const r = new Rig();
    r.pushF64(4);
    r.pushF64(10);
    r.op(escape, modrm);
    const out: number[] = [];
    for (let i = 0; i < 8 && !r.fpu.isEmpty(r.fpu.phys(i)); i++) out.push(r.peek(i));
    return out;
  }

  it('D8 register forms: ST(0) = ST(0) op ST(i)', () => {
    expect(twoOperands(0xd8, 0xc1)).toEqual([14, 4]); // FADD
    expect(twoOperands(0xd8, 0xc9)).toEqual([40, 4]); // FMUL
    expect(twoOperands(0xd8, 0xe1)).toEqual([6, 4]); // FSUB
    expect(twoOperands(0xd8, 0xe9)).toEqual([-6, 4]); // FSUBR
    expect(twoOperands(0xd8, 0xf1)).toEqual([2.5, 4]); // FDIV
    expect(twoOperands(0xd8, 0xf9)).toEqual([0.4, 4]); // FDIVR
  });

  it('DC register forms: ST(i) = ST(i) op ST(0), with SUB/SUBR and DIV/DIVR encodings swapped', () => {
    expect(twoOperands(0xdc, 0xc1)).toEqual([10, 14]); // FADD ST(1),ST(0)
    expect(twoOperands(0xdc, 0xe9)).toEqual([10, -6]); // FSUB ST(1),ST(0): 4 − 10
    expect(twoOperands(0xdc, 0xe1)).toEqual([10, 6]); // FSUBR ST(1),ST(0): 10 − 4
    expect(twoOperands(0xdc, 0xf9)).toEqual([10, 0.4]); // FDIV ST(1),ST(0): 4 / 10
    expect(twoOperands(0xdc, 0xf1)).toEqual([10, 2.5]); // FDIVR ST(1),ST(0): 10 / 4
  });

  it('DE register forms pop', () => {
    expect(twoOperands(0xde, 0xc1)).toEqual([14]); // FADDP
    expect(twoOperands(0xde, 0xc9)).toEqual([40]); // FMULP
    expect(twoOperands(0xde, 0xe9)).toEqual([-6]); // FSUBP
    expect(twoOperands(0xde, 0xe1)).toEqual([6]); // FSUBRP
    expect(twoOperands(0xde, 0xf9)).toEqual([0.4]); // FDIVP
    expect(twoOperands(0xde, 0xf1)).toEqual([2.5]); // FDIVRP
  });

  it('memory forms: m32 real, m64 real, m32 int, m16 int, all eight operations', () => {
    const r = new Rig();
    r.view.setFloat32(0x300, 4, true);
    r.view.setFloat64(0x308, 4, true);
    r.view.setInt32(0x310, 4, true);
    r.view.setInt16(0x314, 4, true);
    const cases: [number, number][] = [
      [0xd8, 0x300],
      [0xdc, 0x308],
      [0xda, 0x310],
      [0xde, 0x314],
    ];
    for (const [escape, at] of cases) {
      const results: number[] = [];
      for (const reg of [0, 1, 4, 5, 6, 7]) {
        r.pushF64(10);
        r.mem(escape, reg, at);
        results.push(r.popF64());
      }
      expect(results, escape.toString(16)).toEqual([14, 40, 6, -6, 2.5, 0.4]);
      r.pushF64(10);
      r.mem(escape, 2, at); // FCOM / FICOM: 10 > 4
      expect(r.sw() & CC).toBe(0);
      r.mem(escape, 3, at); // FCOMP / FICOMP
      expect(r.top()).toBe(0);
    }
  });

  it('precision control rounds FDIV to 24 or 53 bits', () => {
    const r = new Rig();
    r.fldcw(0x007f); // PC = 24 bits
    r.pushF64(3);
    r.op(0xd9, 0xe8); // FLD1
    r.op(0xde, 0xf1); // FDIVRP: 1/3
    expect(r.peek(0)).toBe(Math.fround(1 / 3));
    r.fldcw(0x037f);
    r.op(0xd9, 0xe8);
    r.op(0xd8, 0xf1); // FDIV ST(0), ST(1): 1 / (1/3 at 24 bits)
    expect(r.peek(0)).toBe(1 / Math.fround(1 / 3));
  });

  it('FSQRT FABS FCHS FRNDINT FSCALE FXTRACT', () => {
    const r = new Rig();
    r.pushF64(2);
    r.op(0xd9, 0xfa);
    expect(r.popF64()).toBe(Math.SQRT2);
    r.pushF64(-2.5);
    r.op(0xd9, 0xe1); // FABS
    expect(r.peek(0)).toBe(2.5);
    r.op(0xd9, 0xe0); // FCHS
    expect(r.peek(0)).toBe(-2.5);
    r.op(0xd9, 0xfc); // FRNDINT, nearest-even
    expect(r.popF64()).toBe(-2);
    r.pushF64(3);
    r.pushF64(1.5);
    r.op(0xd9, 0xfd); // FSCALE: 1.5 × 2^3
    expect([r.peek(0), r.peek(1)]).toEqual([12, 3]);
    r.op(0xdd, 0xd9); // FSTP ST(1)
    r.op(0xd9, 0xf4); // FXTRACT 12 → significand 1.5, exponent 3
    expect([r.peek(0), r.peek(1)]).toEqual([1.5, 3]);
  });

  it('FPREM and FPREM1: remainder and quotient bits in C0 C3 C1; C2 while incomplete', () => {
    const r = new Rig();
    r.pushF64(3);
    r.pushF64(17.5); // 17.5 = 5 × 3 + 2.5
    r.op(0xd9, 0xf8); // FPREM
    expect(r.peek(0)).toBe(2.5);
    expect(r.sw() & CC).toBe(C0 | C1); // quotient 5 = 101b: Q2 → C0, Q1 → C3, Q0 → C1
    r.op(0xdd, 0xd8); // FSTP ST(0)
    r.pushF64(17.5);
    r.op(0xd9, 0xf5); // FPREM1: 17.5 = 6 × 3 − 0.5
    expect(r.peek(0)).toBe(-0.5);
    expect(r.sw() & CC).toBe(C0 | C3); // 6 = 110b
    r.op(0xdd, 0xd8);
    r.pushF64(2 ** 200);
    r.op(0xd9, 0xf8);
    expect(r.sw() & C2).toBe(C2);
    let steps = 1;
    while (r.sw() & C2) {
      r.op(0xd9, 0xf8);
      steps++;
    }
    expect(steps).toBeGreaterThan(1);
    expect(r.peek(0)).toBe(2 ** 200 % 3);
  });
});

describe('transcendentals', () => {
  const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThan(1e-15);

  it('FSIN FCOS FSINCOS FPTAN', () => {
    const r = new Rig();
    r.pushF64(Math.PI / 6);
    r.op(0xd9, 0xfe);
    close(r.popF64(), 0.5);
    r.pushF64(Math.PI / 3);
    r.op(0xd9, 0xff);
    close(r.popF64(), 0.5);
    r.pushF64(0.7);
    r.op(0xd9, 0xfb); // FSINCOS: ST(0) = cos, ST(1) = sin
    close(r.popF64(), Math.cos(0.7));
    close(r.popF64(), Math.sin(0.7));
    r.pushF64(0.7);
    r.op(0xd9, 0xf2); // FPTAN: ST(0) = 1, ST(1) = tan
    expect(r.popF64()).toBe(1);
    close(r.popF64(), Math.tan(0.7));
    expect(r.sw() & C2).toBe(0);
  });

  it('arguments of 2^63 and more: C2 set, operand unchanged, nothing pushed', () => {
    const r = new Rig();
    r.pushF64(2 ** 64);
    r.op(0xd9, 0xfe);
    expect(r.sw() & C2).toBe(C2);
    expect(r.peek(0)).toBe(2 ** 64);
    r.op(0xd9, 0xf2); // FPTAN
    expect(r.sw() & C2).toBe(C2);
    expect(r.top()).toBe(7);
  });

  it('FPATAN FYL2X FYL2XP1 F2XM1', () => {
    const r = new Rig();
    r.pushF64(1); // y
    r.pushF64(-1); // x
    r.op(0xd9, 0xf3); // atan2(1, −1) = 3π/4
    close(r.popF64(), (3 * Math.PI) / 4);
    r.pushF64(3); // y
    r.pushF64(8); // x
    r.op(0xd9, 0xf1); // 3 × log2 8
    expect(r.popF64()).toBe(9);
    r.pushF64(1);
    r.pushF64(0.25);
    r.op(0xd9, 0xf9); // log2(1.25)
    close(r.popF64(), Math.log2(1.25));
    r.pushF64(0.5);
    r.op(0xd9, 0xf0);
    close(r.popF64(), Math.SQRT2 - 1);
    expect(r.top()).toBe(0);
  });
});

describe('comparisons', () => {
  function cc(a: number, b: number, escape: number, modrm: number): number {
    const r = new Rig();
    r.pushF64(b);
    r.pushF64(a);
    r.op(escape, modrm);
    return r.sw() & (CC | IE);
  }

  it('FCOM FUCOM: C3 C2 C0 = 000 greater, 001 less, 100 equal, 111 unordered', () => {
    expect(cc(2, 1, 0xd8, 0xd1)).toBe(0);
    expect(cc(1, 2, 0xd8, 0xd1)).toBe(C0);
    expect(cc(2, 2, 0xd8, 0xd1)).toBe(C3);
    expect(cc(NaN, 2, 0xd8, 0xd1)).toBe(C3 | C2 | C0 | IE); // FCOM: any NaN is invalid
    expect(cc(NaN, 2, 0xdd, 0xe1)).toBe(C3 | C2 | C0); // FUCOM: a QNaN is not
    expect(cc(1, 2, 0xdc, 0xd1)).toBe(C0); // DC D0+i alias of FCOM
  });

  it('FCOMP, FCOMPP, FUCOMPP and the DE D0+i alias pop', () => {
    const pops = (escape: number, modrm: number): number => {
      const r = new Rig();
      r.pushF64(1);
      r.pushF64(2);
      r.op(escape, modrm);
      return (r.top() - 6) & 7;
    };
    expect(pops(0xd8, 0xd9)).toBe(1);
    expect(pops(0xde, 0xd9)).toBe(2);
    expect(pops(0xda, 0xe9)).toBe(2);
    expect(pops(0xde, 0xd1)).toBe(1);
    expect(pops(0xdd, 0xe9)).toBe(1);
  });

  it('FTST and FXAM', () => {
    const r = new Rig();
    r.op(0xd9, 0xe5); // FXAM of an empty register
    expect(r.sw() & (C3 | C2 | C0)).toBe(C3 | C0);
    const xam = (x: number): number => {
      r.pushF64(x);
      r.op(0xd9, 0xe5);
      const sw = r.sw();
      r.popF64();
      return sw & CC;
    };
    expect(xam(1)).toBe(C2);
    expect(xam(-1)).toBe(C2 | C1);
    expect(xam(0)).toBe(C3);
    expect(xam(Infinity)).toBe(C2 | C0);
    expect(xam(NaN)).toBe(C0);
    expect(xam(5e-324)).toBe(C2); // a double denormal is normal in extended format
    r.pushF64(-3);
    r.op(0xd9, 0xe4); // FTST
    expect(r.sw() & CC).toBe(C0);
  });

  it('FCOMI FUCOMI FCOMIP FUCOMIP set ZF PF CF', () => {
    const r = new Rig();
    r.pushF64(2);
    r.pushF64(1);
    r.op(0xdb, 0xf1); // FCOMI: 1 < 2
    expect(r.host.lastFlags).toEqual([0, 0, 1]);
    r.op(0xdb, 0xe8); // FUCOMI ST(0): equal
    expect(r.host.lastFlags).toEqual([1, 0, 0]);
    r.op(0xdf, 0xf1); // FCOMIP
    expect(r.host.lastFlags).toEqual([0, 0, 1]);
    expect(r.top()).toBe(7);
    r.pushF64(NaN);
    r.op(0xdf, 0xe9); // FUCOMIP: unordered, no IE for a QNaN
    expect(r.host.lastFlags).toEqual([1, 1, 1]);
    expect(r.sw() & IE).toBe(0);
  });

  it('FCMOVcc reads CF ZF PF from EFLAGS', () => {
    const cmov = (modrm: number, escape: number, eflags: number): number => {
      const r = new Rig();
      r.pushF64(7);
      r.pushF64(1);
      r.host.eflags = eflags;
      r.op(escape, modrm);
      return r.peek(0);
    };
    expect(cmov(0xc1, 0xda, 1)).toBe(7); // FCMOVB, CF = 1
    expect(cmov(0xc1, 0xda, 0)).toBe(1);
    expect(cmov(0xc9, 0xda, 0x40)).toBe(7); // FCMOVE
    expect(cmov(0xd1, 0xda, 0x40)).toBe(7); // FCMOVBE
    expect(cmov(0xd9, 0xda, 0x04)).toBe(7); // FCMOVU
    expect(cmov(0xc1, 0xdb, 0)).toBe(7); // FCMOVNB
    expect(cmov(0xc9, 0xdb, 0x40)).toBe(1); // FCMOVNE
    expect(cmov(0xd1, 0xdb, 0)).toBe(7); // FCMOVNBE
    expect(cmov(0xd9, 0xdb, 0x04)).toBe(1); // FCMOVNU
  });
});

describe('stack faults', () => {
  it('overflow: IE, SF, C1 = 1 and the indefinite in the new ST(0)', () => {
    const r = new Rig();
    for (let i = 0; i < 8; i++) r.pushF64(i);
    r.pushF64(99);
    expect(r.sw() & (IE | SF | C1)).toBe(IE | SF | C1);
    expect(r.raw(0)).toEqual([0xffff, 0xc0000000, 0]);
    expect(r.top()).toBe(7);
  });

  it('underflow: IE, SF, C1 = 0; masked results are the indefinite, stores store it', () => {
    const r = new Rig();
    r.op(0xd8, 0xc1); // FADD with empty registers
    expect(r.sw() & (IE | SF | C1)).toBe(IE | SF);
    expect(r.raw(0)).toEqual([0xffff, 0xc0000000, 0]);
    r.op(0xdb, 0xe3);
    r.mem(0xdd, 3, 0x300); // FSTP m64 of an empty ST(0)
    expect(r.view.getUint32(0x304, true)).toBe(0xfff80000);
    expect(r.top()).toBe(1);
    r.op(0xdb, 0xe3);
    r.mem(0xdf, 7, 0x300); // FISTP m64
    expect(r.view.getBigUint64(0x300, true)).toBe(0x8000000000000000n);
    r.op(0xdb, 0xe3);
    r.op(0xd9, 0xc9); // FXCH with both empty: both become the indefinite
    expect(r.fpu.tagWord()).toBe(0xfff0 | 0xa);
  });

  it('unmasked: nothing changes but the flags, ES and B', () => {
    const r = new Rig();
    r.fldcw(0x037e); // IE unmasked
    r.pushF64(1);
    r.op(0xd8, 0xc1); // FADD ST(0), ST(1): ST(1) empty
    expect(r.sw() & (IE | SF | 0x80 | 0x8000)).toBe(IE | SF | 0x80 | 0x8000);
    expect(r.peek(0)).toBe(1);
    expect(r.top()).toBe(7);
  });
});

describe('encodings', () => {
  it('undocumented aliases run as their neighbours', () => {
    const r = new Rig();
    r.pushF64(1);
    r.pushF64(2);
    r.op(0xdf, 0xd9); // FSTP ST(1) (DF D8+i)
    expect(r.top()).toBe(7);
    expect(r.peek(0)).toBe(2);
    r.pushF64(3);
    r.op(0xdd, 0xc9); // FXCH ST(1) (DD C8+i)
    expect([r.peek(0), r.peek(1)]).toEqual([2, 3]);
    r.op(0xdf, 0xc9); // FXCH ST(1) (DF C8+i)
    r.op(0xd9, 0xd9); // FSTP ST(1) (D9 D8+i)
    expect(r.peek(0)).toBe(3);
    r.op(0xdb, 0xe0); // FNENI, FNDISI, FNSETPM: nothing
    r.op(0xdb, 0xe1);
    r.op(0xdb, 0xe4);
    r.op(0xd9, 0xd0); // FNOP
    expect(r.peek(0)).toBe(3);
  });

  it('invalid encodings are #UD before any change', () => {
    const invalid: [number, number][] = [
      [0xd9, 0xd1], [0xd9, 0xe2], [0xd9, 0xe7], [0xd9, 0xef], [0xda, 0xe0], [0xda, 0xe8], [0xda, 0xf8],
      [0xdb, 0xe5], [0xdb, 0xf8], [0xdd, 0xf0], [0xdd, 0xf8], [0xde, 0xd8], [0xdf, 0xe1], [0xdf, 0xf8],
    ];
    const r = new Rig();
    r.pushF64(1);
    const before = r.state.slice();
    for (const [escape, modrm] of invalid) expect(() => r.op(escape, modrm), `${escape.toString(16)} ${modrm.toString(16)}`).toThrow(TestFault);
    for (const [escape, reg] of [[0xd9, 1], [0xdb, 4], [0xdb, 6], [0xdd, 5], [0xdf, 1]]) expect(() => r.mem(escape, reg, 0x300)).toThrow(TestFault);
    expect(r.host.undefinedOpcodes).toBe(invalid.length + 5);
    expect(r.state).toEqual(before);
  });
});
