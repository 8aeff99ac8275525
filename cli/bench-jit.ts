import { readFileSync } from 'node:fs';
import { createBios } from '../bios/index.js';
import { loadKernel, Machine } from '../core/index.js';

/**
 * The JIT's A/B window: boots images/out/vmlinuz (128 MiB, `console=ttyS0 cryptomgr.notests`,
 * deterministic clock) with or without the JIT for `instructions` instructions from power-on — the
 * in-kernel decompressor takes the first 2.32 G — and reports instructions per CPU-second
 * (process.cpuUsage, user + system) with the JIT's counters.
 */
export async function benchJitWindow(instructions: number, jit: boolean): Promise<Record<string, number>> {
  const machine = new Machine({ memoryMB: 128, firmware: createBios(), clock: 'deterministic', jit });
  loadKernel(machine, {
    kernel: readFileSync('images/out/vmlinuz'),
    initrd: readFileSync('images/out/initrd.gz'),
    cmdline: process.env.JIT_BENCH_APPEND ?? 'console=ttyS0 cryptomgr.notests',
  });
  let serial = '';
  machine.onSerial = (byte) => (serial += String.fromCharCode(byte));
  await machine.jit?.loaded;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await machine.runUntil(() => machine.instructions >= instructions, { timeoutMs: 3_600_000 });
  const used = process.cpuUsage(cpu0);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const result: Record<string, number> = {
    instructions: machine.instructions,
    cpuSeconds,
    wallSeconds: (performance.now() - wall0) / 1000,
    mipsPerCpuSecond: machine.instructions / cpuSeconds / 1e6,
    serialBytes: serial.length,
  };
  if (machine.jit) {
    for (const [k, v] of Object.entries(machine.jit.stats)) result[`jit_${k}`] = v;
    for (const [k, v] of machine.jit.blockEnds) result[`end ${k}`] = v;
  }
  return result;
}

/** `node -e` entry: JIT_BENCH_N instructions, JIT_BENCH_MODE=jit|interp. */
export async function run(): Promise<void> {
  const n = Number(process.env.JIT_BENCH_N ?? 200e6);
  const jit = process.env.JIT_BENCH_MODE !== 'interp';
  console.log(JSON.stringify({ mode: jit ? 'jit' : 'interp', ...(await benchJitWindow(n, jit)) }));
}

/**
 * Debugging aid: boots the same kernel on two machines, interpreter and JIT, in lockstep slices and
 * reports the first slice after which registers, EIP, flags or RAM differ (JIT_LOCKSTEP_N instructions at most).
 */
export async function lockstep(): Promise<void> {
  const limit = Number(process.env.JIT_LOCKSTEP_N ?? 3e9);
  const from = Number(process.env.JIT_LOCKSTEP_FROM ?? 0);
  const make = (jit: boolean) => {
    const m = new Machine({ memoryMB: 128, firmware: createBios(), clock: 'deterministic', jit });
    loadKernel(m, { kernel: readFileSync('images/out/vmlinuz'), initrd: readFileSync('images/out/initrd.gz'), cmdline: 'console=ttyS0 cryptomgr.notests' });
    return m;
  };
  const a = make(false);
  const b = make(true);
  await b.jit!.loaded;
  const regs = (m: Machine) => {
    const c = m.cpu;
    return [0, 1, 2, 3, 4, 5, 6, 7].map((r) => c.get32(r)).concat([c.getEip(), c.getFlags(), c.instructions]);
  };
  const ram = (m: Machine) => m.memory.u8.subarray(0x800000, 0x800000 + m.memory.ramSize);
  let slices = 0;
  while (a.instructions < limit) {
    const before = regs(a);
    a.runSlice(50_000);
    b.runSlice(50_000);
    await b.jit!.idle();
    slices++;
    if (a.instructions < from) continue;
    const ra = regs(a), rb = regs(b);
    const regDiff = ra.some((v, i) => v !== rb[i]);
    if (regDiff || slices % 200 === 0) {
      const x = ram(a), y = ram(b);
      let first = -1;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) { first = i; break; }
      if (regDiff || first >= 0) {
        console.log(JSON.stringify({ slices, before: before.map((v) => v.toString(16)), interp: ra.map((v) => v.toString(16)), jit: rb.map((v) => v.toString(16)), firstRamDiff: first.toString(16) }));
        if (first >= 0) console.log('ram', Array.from(x.subarray(first, first + 16)).map((v) => v.toString(16)).join(' '), '|', Array.from(y.subarray(first, first + 16)).map((v) => v.toString(16)).join(' '));
        return;
      }
    }
  }
  console.log('no difference up to', a.instructions);
}

/** Debugging aid: from a snapshot near JIT_SNAP_AT (made once with the interpreter, kept in /tmp), runs both ways in small steps. */
export async function lockstepSnapshot(): Promise<void> {
  const { existsSync, writeFileSync } = await import('node:fs');
  const v8 = await import('node:v8');
  const { Jit } = await import('../core/jit/index.js');
  const at = Number(process.env.JIT_SNAP_AT ?? 2_349_700_000);
  const file = `/tmp/co86-snap-${at}.bin`;
  const make = () => {
    const m = new Machine({ memoryMB: 128, firmware: createBios(), clock: 'deterministic', jit: false });
    loadKernel(m, { kernel: readFileSync('images/out/vmlinuz'), initrd: readFileSync('images/out/initrd.gz'), cmdline: 'console=ttyS0 cryptomgr.notests' });
    return m;
  };
  if (!existsSync(file)) {
    const m = make();
    while (m.instructions < at) m.runSlice(50_000);
    writeFileSync(file, v8.serialize(m.saveState()));
  }
  const snap = v8.deserialize(readFileSync(file));
  const a = make();
  const b = make();
  a.loadState(snap);
  b.loadState(snap);
  const jit = new Jit(b.memory, { threshold: Number(process.env.JIT_SNAP_THRESHOLD ?? 20), validate: true });
  b.cpu.blockRunner = jit;
  await jit.loaded;
  const step = Number(process.env.JIT_SNAP_STEP ?? 7);
  const regs = (m: Machine) => [0, 1, 2, 3, 4, 5, 6, 7].map((r) => m.cpu.get32(r)).concat([m.cpu.getEip(), m.cpu.getFlags(), m.cpu.instructions]);
  for (let i = 0; i < 2_000_000; i++) {
    const before = regs(a);
    a.cpu.run(step);
    b.cpu.run(step);
    await jit.idle();
    const ra = regs(a), rb = regs(b);
    if (ra.some((v, k) => v !== rb[k])) {
      console.log(JSON.stringify({ i, before: before.map((v) => v.toString(16)), interp: ra.map((v) => v.toString(16)), jit: rb.map((v) => v.toString(16)) }));
      const eip = before[8];
      const code = Array.from(a.memory.u8.subarray(0x800000 + a.cpu.linearToPhysical(eip), 0x800000 + a.cpu.linearToPhysical(eip) + 64)).map((v) => v.toString(16).padStart(2, '0')).join(' ');
      console.log('code at', eip.toString(16), code);
      return;
    }
  }
  console.log('no difference');
}
