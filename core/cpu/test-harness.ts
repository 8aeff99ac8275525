/**
 * A bare CPU on 1 MiB of RAM for unit tests and the benchmark: load bytes, run to HLT, look at the state.
 * No Node APIs; tests import it directly.
 */
import { IoBus } from '../io.js';
import { Layout } from '../layout.js';
import { PhysicalMemory } from '../memory.js';
import { Cpu, type CpuOptions } from './cpu.js';

export interface Bench {
  memory: PhysicalMemory;
  io: IoBus;
  cpu: Cpu;
  /** Exceptions delivered so far (vectors). */
  exceptions: number[];
}

export function makeBench(opts: Partial<CpuOptions> = {}, ramBytes = 1 << 20): Bench {
  const memory = opts.memory ?? new PhysicalMemory(ramBytes);
  const io = opts.io ?? new IoBus();
  const exceptions: number[] = [];
  const cpu = new Cpu({ ...opts, memory, io, onException: (v) => exceptions.push(v) });
  return { memory, io, cpu, exceptions };
}

/** Puts code at seg:off and points CS:IP there; SS:SP = 0000:8000, other segments 0. */
export function load(b: Bench, code: Uint8Array, seg = 0x1000, off = 0x100): void {
  b.memory.u8.set(code, Layout.RAM + seg * 16 + off);
  b.cpu.setSegReal(1, seg);
  b.cpu.setEip(off);
  b.cpu.setSegReal(2, 0);
  b.cpu.set16(4, 0x8000);
}

/** Runs until HLT (or the budget ends); returns the instructions executed. */
export function runToHalt(b: Bench, budget = 100_000): number {
  let total = 0;
  while (!b.cpu.halted && total < budget) {
    const n = b.cpu.run(budget - total);
    if (n === 0) break;
    total += n;
  }
  return total;
}

/** Sets an interrupt vector in the real-mode IVT. */
export function setVector(b: Bench, vector: number, seg: number, off: number): void {
  b.memory.write16(vector * 4, off);
  b.memory.write16(vector * 4 + 2, seg);
}
