/** FSTENV/FLDENV, FSAVE/FRSTOR in the four layouts, FXSAVE/FXRSTOR. */
import { describe, expect, it } from 'vitest';
import { Layout } from '../../layout.js';
import { FpuLayout } from './layout.js';
import { Rig } from './test-host.js';

const W = (byte: number): number => byte >> 2;

/** A state worth saving: three values (one special), an empty slot in the middle, TOP ≠ 0, flags, pointers. */
function busy(): Rig {
  const r = new Rig();
  new Uint32Array(r.memory.buffer, Layout.SEG_SELECTOR, 8)[3] = 0x0123; // DS
  r.host.cs = 0x0456;
  r.host.eip = 0x0789;
  r.fldcw(0x0a7e); // RC up, PC 53, IE unmasked
  r.pushF64(-0);
  r.pushF64(Infinity);
  r.pushF64(7);
  r.op(0xdd, 0xc1); // FFREE ST(1)
  r.view.setFloat32(0x300, 3, true);
  r.mem(0xd8, 6, 0x300); // FDIV m32: PE, sets the pointers
  return r;
}

const IMAGE = 0x800;

describe('FNSAVE / FRSTOR', () => {
  for (const [o32, pm] of [
    [true, true],
    [true, false],
    [false, true],
    [false, false],
  ] as const) {
    it(`round trip, ${o32 ? 32 : 16}-bit ${pm ? 'protected' : 'real-mode'} layout`, () => {
      const r = busy();
      r.host.o32 = o32;
      r.host.pm = pm;
      const before = r.state.slice();
      const size = o32 ? 108 : 94;
      r.host.ram.fill(0xaa, IMAGE, IMAGE + 128);
      r.mem(0xdd, 6, IMAGE); // FNSAVE
      expect(r.host.ram[IMAGE + size - 1]).not.toBe(0xaa);
      expect(r.host.ram[IMAGE + size]).toBe(0xaa);
      // FNSAVE ends with FNINIT.
      expect(r.cw()).toBe(0x037f);
      expect(r.sw()).toBe(0);
      expect(r.fpu.tagWord()).toBe(0xffff);
      // The tag word: R5 = 7 (valid), R6 empty, R7 = −0 (zero), the rest empty.
      const tw = r.view.getUint16(IMAGE + (o32 ? 8 : 4), true);
      expect(tw).toBe(0x7fff & ~(3 << 10) & ~(2 << 14));
      if (o32) expect(r.view.getUint32(IMAGE, true)).toBe(0xffff0a7e);
      // ST(0) = 7/3 rounded up at 53 bits, as the first register of the image.
      expect(r.view.getUint16(IMAGE + (o32 ? 28 : 14) + 8, true)).toBe(0x4000);
      r.mem(0xdd, 4, IMAGE); // FRSTOR
      const after = r.state.slice();
      if (!pm) {
        // Real-mode images hold linear pointers, and load with zero selectors.
        expect(after[W(FpuLayout.FIP)]).toBe(0x4560 + 0x789);
        expect(after[W(FpuLayout.FDP)]).toBe(0x1230 + 0x300);
        expect(after[W(FpuLayout.FCS)]).toBe(0);
        expect(after[W(FpuLayout.FDS)]).toBe(0);
        for (const f of [FpuLayout.FIP, FpuLayout.FDP, FpuLayout.FCS, FpuLayout.FDS]) after[W(f)] = before[W(f)];
      }
      if (pm && !o32) {
        expect(after[W(FpuLayout.FOP)]).toBe(0); // no FOP in this layout: FNSAVE's FNINIT cleared it
        after[W(FpuLayout.FOP)] = before[W(FpuLayout.FOP)];
      }
      expect(after).toEqual(before);
    });
  }

  it('FRSTOR of an image with an unmasked exception flag makes it pending', () => {
    const r = busy();
    r.host.ram.fill(0, IMAGE, IMAGE + 108);
    r.view.setUint16(IMAGE, 0x037e, true); // IE unmasked
    r.view.setUint16(IMAGE + 4, 0x0001 | (3 << 11), true); // IE set, TOP 3
    r.view.setUint16(IMAGE + 8, 0xffff, true);
    r.mem(0xdd, 4, IMAGE);
    expect(r.sw()).toBe(0x8081 | (3 << 11));
    r.op(0xd9, 0xe8);
    expect(r.host.mathFaults).toBe(1);
  });
});

describe('FNSTENV / FLDENV', () => {
  it('16-bit real-mode layout: 20-bit linear pointers split around FOP', () => {
    const r = busy();
    r.host.o32 = false;
    r.host.pm = false;
    r.host.cs = 0x1234;
    r.host.eip = 0x5678; // linear 0x179B8
    r.op(0xd9, 0xe8); // FLD1 records FIP, FOP = 1E8
    r.mem(0xd9, 6, IMAGE);
    const word = (k: number): number => r.view.getUint16(IMAGE + k, true);
    expect(word(0)).toBe(0x0a7e);
    expect(word(6)).toBe(0x79b8);
    expect(word(8)).toBe((0x1 << 12) | 0x1e8);
    expect(word(10)).toBe(0x1230 + 0x300);
    expect(word(12)).toBe(0);
    expect(r.cw()).toBe(0x0a7f); // FNSTENV masks every exception afterwards
  });

  it('32-bit real-mode layout', () => {
    const r = busy();
    r.host.pm = false;
    r.host.cs = 0xf000;
    r.host.eip = 0xfff0; // linear 0xFFFF0
    r.op(0xd9, 0xe8);
    r.mem(0xd9, 6, IMAGE);
    const dword = (k: number): number => r.view.getUint32(IMAGE + k, true);
    expect(dword(12)).toBe(0xfffffff0);
    expect(dword(16)).toBe((0x000f << 12) | 0x1e8);
    expect(dword(20)).toBe(0xffff1530);
    expect(dword(24)).toBe(0);
  });

  it('FLDENV restores the environment FNSTENV stored, registers untouched', () => {
    const r = busy();
    const before = r.state.slice();
    r.mem(0xd9, 6, IMAGE);
    r.pushF64(1); // changes TOP, tags, the pointers
    r.op(0xdd, 0xc3); // FFREE ST(3)
    r.mem(0xd9, 4, IMAGE); // FLDENV
    const after = r.state.slice();
    const p = (before[W(FpuLayout.TOP)] - 1) & 7; // the register the push wrote (its tag is restored)
    for (let k = 0; k < 3; k++) after[(p << 2) + k] = before[(p << 2) + k];
    expect(after).toEqual(before);
  });
});

describe('FXSAVE / FXRSTOR', () => {
  it('the 512-byte layout: abridged tag, pointers, registers in stack order; SSE bytes untouched', () => {
    const r = busy();
    r.host.ram.fill(0xaa, IMAGE, IMAGE + 512);
    r.fpu.fxsave(3, IMAGE);
    const u16 = (k: number): number => r.view.getUint16(IMAGE + k, true);
    const u32 = (k: number): number => r.view.getUint32(IMAGE + k, true);
    expect(u16(0)).toBe(0x0a7e);
    expect(u16(2)).toBe(r.sw());
    expect(r.host.ram[IMAGE + 4]).toBe(0xa0); // R5 and R7 hold values
    expect(r.host.ram[IMAGE + 5]).toBe(0);
    expect(u16(6)).toBe(0x035); // FDIV m32: D8 /6 with ModRM 35
    expect(u32(8)).toBe(0x789);
    expect(u16(12)).toBe(0x456);
    expect(u32(16)).toBe(0x300);
    expect(u16(20)).toBe(0x123);
    for (let k = 24; k < 32; k++) expect(r.host.ram[IMAGE + k]).toBe(0xaa);
    for (let k = 160; k < 512; k++) expect(r.host.ram[IMAGE + k]).toBe(0xaa);
    expect(u16(32 + 8)).toBe(0x4000); // ST(0) = 7/3
    expect(u16(64 + 8)).toBe(0x8000); // ST(2) = −0
    expect(u16(32 + 10)).toBe(0);
    // FXSAVE does not reinitialise.
    expect(r.cw()).toBe(0x0a7e);
    const before = r.state.slice();
    r.op(0xdb, 0xe3);
    r.pushF64(5);
    r.fpu.fxrstor(3, IMAGE);
    expect(r.state).toEqual(before);
  });
});
