/**
 * A small FpuHost over a flat Uint8Array for the FPU's unit tests (the CPU wires the real one). Every
 * segment has base 0; `faultFrom` makes accesses at or above an offset throw, like a page fault.
 */
import { Layout } from '../../layout.js';
import { Fpu } from './fpu.js';
import type { FpuOptions } from './fpu-base.js';
import type { FpuHost } from './host.js';

export class TestFault extends Error {}

export class TestHost implements FpuHost {
  readonly ram = new Uint8Array(0x10000);
  /** Accesses touching offsets ≥ this throw TestFault. */
  faultFrom = Infinity;
  o32 = true;
  pm = true;
  cs = 0x0008;
  eip = 0x1234;
  eflags = 0x0002;
  ax = -1;
  mathFaults = 0;
  /** Throw on raiseMathFault (CR0.NE = 1) instead of returning (FERR#). */
  throwOnMathFault = false;
  undefinedOpcodes = 0;
  lastFlags: number[] = [];

  private check(offset: number, n: number): void {
    if (offset + n > this.faultFrom || offset + n > this.ram.length) throw new TestFault(`fault at ${offset}`);
  }

  read8(_seg: number, offset: number): number {
    this.check(offset, 1);
    return this.ram[offset];
  }
  read16(_seg: number, offset: number): number {
    this.check(offset, 2);
    return this.ram[offset] | (this.ram[offset + 1] << 8);
  }
  read32(_seg: number, offset: number): number {
    this.check(offset, 4);
    return (this.read16(0, offset) | (this.read16(0, offset + 2) << 16)) >>> 0;
  }
  write8(_seg: number, offset: number, value: number): void {
    this.check(offset, 1);
    this.ram[offset] = value;
  }
  write16(_seg: number, offset: number, value: number): void {
    this.check(offset, 2);
    this.ram[offset] = value;
    this.ram[offset + 1] = value >>> 8;
  }
  write32(_seg: number, offset: number, value: number): void {
    this.check(offset, 4);
    this.write16(0, offset, value);
    this.write16(0, offset + 2, value >>> 16);
  }
  operand32(): boolean {
    return this.o32;
  }
  protectedMode(): boolean {
    return this.pm;
  }
  instructionCs(): number {
    return this.cs;
  }
  instructionEip(): number {
    return this.eip;
  }
  raiseMathFault(): void {
    this.mathFaults++;
    if (this.throwOnMathFault) throw new TestFault('#MF');
  }
  undefinedOpcode(): void {
    this.undefinedOpcodes++;
    throw new TestFault('#UD');
  }
  cr0(): number {
    return 0x11;
  }
  flags(): number {
    return this.eflags;
  }
  setFlags(zf: number, pf: number, cf: number): void {
    this.lastFlags = [zf, pf, cf];
  }
  setAx(value: number): void {
    this.ax = value;
  }
}

/** Scratch operand offsets used by the helpers. */
const SCRATCH = 0x100;

/** An FPU over its own memory and test host, with helpers that run instructions by their bytes. */
export class Rig {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  readonly host = new TestHost();
  readonly fpu: Fpu;
  readonly state: Uint32Array;
  readonly view: DataView;

  constructor(options: FpuOptions = {}) {
    this.fpu = new Fpu(this.memory, this.host, options);
    this.fpu.reset();
    this.state = new Uint32Array(this.memory.buffer, Layout.X87, 0x30);
    this.view = new DataView(this.host.ram.buffer);
  }

  /** A register form: escape byte and ModRM ≥ C0. */
  op(escape: number, modrm: number): void {
    this.fpu.escape(escape, modrm, 0, -1);
  }

  /** A memory form: escape byte, ModRM.reg, operand offset (DS). ModRM is reg with mod 00, r/m 101. */
  mem(escape: number, reg: number, offset: number, seg = 3): void {
    this.fpu.escape(escape, (reg << 3) | 5, seg, offset);
  }

  pushF64(x: number): void {
    this.view.setFloat64(SCRATCH, x, true);
    this.mem(0xdd, 0, SCRATCH); // FLD m64
  }

  popF64(): number {
    this.mem(0xdd, 3, SCRATCH); // FSTP m64
    return this.view.getFloat64(SCRATCH, true);
  }

  /** ST(i) as a double (through FST m64 of a copy: FLD ST(i); FSTP m64), without changing the flags. */
  peek(i: number): number {
    const saved = this.state.slice();
    this.op(0xd9, 0xc0 + i);
    const v = this.popF64();
    this.state.set(saved);
    return v;
  }

  /** ST(i)'s raw words [se, hi, lo]. */
  raw(i: number): number[] {
    const p = this.fpu.phys(i);
    return [this.fpu.se(p), this.fpu.hi(p), this.fpu.lo(p)];
  }

  sw(): number {
    return this.fpu.statusWord();
  }

  cw(): number {
    return this.fpu.controlWord();
  }

  fldcw(value: number): void {
    this.view.setUint16(SCRATCH, value, true);
    this.mem(0xd9, 5, SCRATCH);
  }

  top(): number {
    return (this.sw() >> 11) & 7;
  }
}
