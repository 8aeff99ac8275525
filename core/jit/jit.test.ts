/**
 * Differential tests: the same protected-mode program runs on the interpreter alone and with the JIT, in
 * the same slices; registers, flags (materialised), EIP, the instruction count and memory must agree,
 * and the JIT must really have run the hot code.
 */
import { describe, expect, it } from 'vitest';
import { readFlags } from '../cpu/flags.js';
import { buildProtected, enablePaging, identityMap, mapPage, type PmBench, type PmOptions, PTE, record, SEL, setIdtGate } from '../cpu/pm-harness.js';
import { Layout } from '../layout.js';
import { Jit } from './jit.js';

const SLICE = 3000;
const THRESHOLD = 50;

interface Pair {
  interp: PmBench;
  jitted: PmBench;
  jit: Jit;
}

/** Builds the program twice and runs both in lockstep slices until both halt; `between` runs after each slice. */
async function runPair(
  source: string,
  opts: PmOptions | ((jitted: boolean) => PmOptions) = {},
  between?: (b: PmBench, retired: number) => void,
): Promise<Pair> {
  const optsFor = (jitted: boolean): PmOptions => (typeof opts === 'function' ? opts(jitted) : opts);
  const interp = buildProtected(source, optsFor(false));
  const jitted = buildProtected(source, optsFor(true));
  const jit = new Jit(jitted.memory, { threshold: THRESHOLD, validate: true });
  jitted.cpu.blockRunner = jit;
  await jit.loaded;
  for (let guard = 0; guard < 2000 && !(interp.cpu.halted && jitted.cpu.halted); guard++) {
    const a = interp.cpu.run(SLICE);
    const b = jitted.cpu.run(SLICE);
    expect(b).toBe(a);
    between?.(interp, interp.cpu.instructions);
    between?.(jitted, jitted.cpu.instructions);
    await jit.idle();
  }
  return { interp, jitted, jit };
}

function expectSameState({ interp, jitted }: Pair): void {
  const a = interp.cpu, b = jitted.cpu;
  for (let r = 0; r < 8; r++) expect(b.get32(r), `register ${r}`).toBe(a.get32(r));
  expect(b.getEip()).toBe(a.getEip());
  expect(readFlags(b) >>> 0).toBe(readFlags(a) >>> 0);
  expect(b.instructions).toBe(a.instructions);
  const ram = (x: PmBench) => x.memory.u8.subarray(Layout.RAM, Layout.RAM + 0x200000);
  expect(Buffer.compare(ram(interp), ram(jitted))).toBe(0);
}

describe('JIT against the interpreter', () => {
  it('runs a decompressor-like loop (MOV, ALU, LEA, MOVZX/MOVSX, IMUL, shifts, PUSH/POP, CALL/RET, byte registers)', async () => {
    const pair = await runPair(`
      mov esi, data
      mov edi, 0x30000
      mov ecx, 3000
      xor ebx, ebx
      mov edx, 0x12345678
    top:
      movzx eax, byte [esi + ecx]
      movsx ebp, byte [esi + ecx + 1]
      add ebx, eax
      lea eax, [eax + ebx*4 + 7]
      imul eax, eax, 0x9e3779b1
      imul ebp, eax
      xor edx, eax
      shl edx, 3
      sar ebp, 5
      shr eax, cl
      sub [edi + ecx*4], edx
      mov [edi + ecx*4 + 4], ebp
      adc ebx, ebp
      sbb edx, 3
      mov al, dl
      add ah, bl
      mov [edi + ecx], al
      or eax, [edi + ecx*4]
      and ebx, 0x7fffffff
      test eax, 0x100
      jz skip
      inc ebx
      push eax
      call helper
      pop eax
    skip:
      cmp ebx, edx
      jae other
      dec edx
    other:
      not ebp
      neg ebp
      cmp ebx, edx
      cmovb eax, ebx
      cmovne ebp, [edi + ecx*4]
      bswap edx
      test byte [edi + ecx], 0x10
      jz no_bit
      xor edx, 0x5555
    no_bit:
      push eax
      push edx
      mul dword [edi + ecx*4]
      adc ebx, edx
      imul ebp
      sbb ebx, eax
      pop edx
      pop eax
      mov [edi + ecx*2 + 0x8000], bp
      add bx, [edi + ecx*2 + 0x8002]
      mov ax, 0x1234
      sub ax, dx
      inc word [edi + ecx*2 + 0x8000]
      dec dword [edi + 8]
      inc byte [edi + ecx + 0x9000]
      movzx bx, dl
      cmp dx, bx
      jle small
      add eax, 3
    small:
      dec ecx
      jnz top
      jmp done
    helper:
      push ebp
      mov ebp, esp
      sub esp, 8
      rol eax, 1
      add eax, [ebp + 8]
      mov [ebp - 4], eax
      leave
      ret
    done:
      mov [0x2fff0], ebx
      mov [0x2fff4], edx
    data:
      times 3100 db 0x5a, 0xa5, 0x13, 0xff`);
    expectSameState(pair);
    expect(pair.jit.stats.blocksCompiled).toBeGreaterThan(0);
    expect(pair.jit.stats.instructions).toBeGreaterThan(50_000);
  });

  it('keeps every condition code right after each kind of flag producer', async () => {
    // For each producer (ADD, SUB, logic, INC, shift, IMUL) and each cc, count how often the jump is taken.
    const producers = ['rol eax, 5', 'ror eax, 1', 'add eax, edx', 'sub eax, edx', 'sbb eax, edx', 'adc al, dl', 'sbb ax, dx', 'cmp al, dl', 'cmp ax, dx', 'add ax, dx', 'and eax, edx', 'inc eax', 'shl eax, 1', 'imul eax, edx', 'sub al, dl', 'dec al'];
    const ccs = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
    const lines = ['mov ecx, 600', 'mov eax, 0x7ffffff0', 'mov edx, 0x80000001', 'xor edi, edi', 'loop_top:'];
    let n = 0;
    for (const p of producers) {
      for (const cc of ccs) {
        // Operands from a few bits of the counter: equal, signed and unsigned overflow, byte carries all occur.
        lines.push('mov eax, ecx', 'and eax, 0x3f', 'imul eax, eax, 0x20408081', 'mov edx, ecx', 'shr edx, 3', 'and edx, 0x3f', 'imul edx, edx, 0x20408081');
        // Each outcome weighs differently (a cc and its negation always take one branch between them).
        lines.push(p, `set${cc} bl`, `set${cc} [0x2ff00 + ${n % 64}]`, `j${cc} t${n}`, `add edi, ${n + 1}`, `t${n}:`, 'imul esi, esi, 3', 'add esi, ebx');
        n++;
      }
    }
    lines.push('dec ecx', 'jnz loop_top');
    const pair = await runPair(lines.join('\n'));
    expectSameState(pair);
    expect(pair.jit.stats.instructions).toBeGreaterThan(10_000);
  });

  it('evaluates JB after SBB with the borrow in (a 64-bit compare), not as a plain compare', async () => {
    const pair = await runPair(`
      mov ecx, 600
      xor edi, edi
    top:
      mov eax, ecx
      and eax, 0x3f
      imul eax, eax, 0x20408081
      mov edx, ecx
      shr edx, 3
      and edx, 0x3f
      imul edx, edx, 0x20408081
      sbb eax, edx
      jb below
      add edi, 1
    below:
      dec ecx
      jnz top`);
    expectSameState(pair);
    expect(pair.jitted.cpu.get32(7)).toBe(307);
    expect(pair.jit.stats.instructions).toBeGreaterThan(3000);
  });

  it('runs byte and word forms: shifts by 1 and imm, 66h ALU and moves, high byte registers', async () => {
    const lines = ['mov ecx, 2000', 'mov edi, 0x30000', 'mov ebx, 0x81f3c5a7', 'mov edx, 0x9d', 'top:'];
    for (const size of ['byte', 'word', 'dword']) {
      for (const op of ['shl', 'shr', 'sar']) {
        for (const n of [1, 3, 7, 8, 9, 15, 16, 17, 31]) {
          const reg = size === 'byte' ? 'ah' : size === 'word' ? 'ax' : 'eax';
          lines.push('mov eax, ecx', 'imul eax, eax, 0x9e3779b1', 'xor eax, ebx', `${op} ${reg}, ${n}`, 'adc edx, eax');
          lines.push(`mov [edi + ${size === 'byte' ? 1 : 2}*ecx], ${reg}`, `${op} ${size} [edi + 4], ${n}`, 'sbb dx, [edi + 4]');
        }
      }
    }
    lines.push('add bh, dl', 'adc bx, dx', 'sbb bl, ah', 'dec bh', 'inc dh', 'dec ecx', 'jnz top');
    const pair = await runPair(lines.join('\n'));
    expectSameState(pair);
    expect(pair.jit.stats.instructions).toBeGreaterThan(100_000);
  });

  it('leaves a block with the state exact on a #PF in its middle (CR2, error code, EIP)', async () => {
    const pair = await runPair(
      `
      mov esi, 0x40000
      xor eax, eax
    walk:
      add eax, [esi]
      mov [esi + 8], eax
      add esi, 16
      jmp walk`,
      {
        prologue: enablePaging(),
        setup: (b) => {
          identityMap(b, 0, 0x48000, PTE.P | PTE.W);
          mapPage(b, 0x48000, 0x48000, PTE.W); // not present
          identityMap(b, 0x100000, 0x110000, PTE.P | PTE.W);
        },
      },
    );
    expectSameState(pair);
    const rec = record(pair.jitted);
    expect(rec).toEqual(record(pair.interp));
    expect(rec.vector).toBe(14);
    expect(rec.cr2).toBe(0x48000);
    expect(rec.code).toBe(0);
    expect(pair.jit.stats.instructions).toBeGreaterThan(1000);
  });

  it('drops blocks when the program patches its own hot loop', async () => {
    const pair = await runPair(`
      xor eax, eax
      mov ecx, 6000
    again:
    patch:
      add eax, 1
      cmp ecx, 3000
      jne keep
      mov byte [patch + 2], 5
    keep:
      dec ecx
      jnz again
      mov [0x2fff0], eax`);
    expectSameState(pair);
    expect(pair.jitted.cpu.get32(0)).toBe(3000 * 1 + 3000 * 5 - 4);
    expect(pair.jit.stats.invalidations).toBeGreaterThan(0);
    expect(pair.jit.stats.instructions).toBeGreaterThan(1000);
  });

  it('drops blocks when a device writes into their page (bus-master DMA through PhysicalMemory.writeBytes)', async () => {
    const source = `
      mov ecx, 20000
      xor ebx, ebx
    again:
    patch:
      mov eax, 1
      add ebx, eax
      dec ecx
      jnz again
      mov [0x2fff0], ebx`;
    // After 10000 instructions a "DMA transfer" rewrites the loop's immediate, as the IDE bus master would.
    const pair = await runPair(source, {}, (b, retired) => {
      const imm = (b as PmBench & { at: Record<string, number> }).at.patch + 1;
      if (retired >= 10_000 && b.memory.read8(imm) === 1) b.memory.writeBytes(imm, Uint8Array.of(5, 0, 0, 0));
    });
    expectSameState(pair);
    expect(pair.jitted.memory.read32(0x2fff0)).toBe(pair.interp.memory.read32(0x2fff0));
    expect(pair.jitted.memory.read32(0x2fff0)).toBeGreaterThan(20000);
    expect(pair.jit.stats.invalidations).toBeGreaterThan(0);
    expect(pair.jit.stats.instructions).toBeGreaterThan(1000);
  });

  it('takes an interrupt that arrives during a hot loop at the same instruction', async () => {
    let raised = 0;
    const benches: PmBench[] = [];
    const opts = (jitted: boolean): PmOptions => ({
      setup: (b, at) => {
        setIdtGate(b, 0x20, SEL.CODE0, at.handler);
        benches[jitted ? 1 : 0] = b as PmBench;
      },
      cpu: {
        acknowledgeInterrupt: () => {
          raised++;
          benches[jitted ? 1 : 0].cpu.setIntr(false);
          return 0x20;
        },
      },
    });
    const source = `
      sti
      xor eax, eax
      mov ecx, 20000
    spin:
      add eax, ecx
      dec ecx
      jnz spin
      jmp finish
    handler:
      inc dword [0x2fff8]
      mov [0x2fffc], ecx
      iretd
    finish:
      nop`;
    // The line rises after 10000 instructions; the acknowledge callback lowers it again.
    const pair = await runPair(source, opts, (b, retired) => {
      if (retired >= 10_000 && b.memory.read32(0x2fff8) === 0 && !b.cpu.halted) b.cpu.setIntr(true);
    });
    const lower = (b: PmBench) => b.memory.read32(0x2fffc);
    expect(raised).toBeGreaterThan(0);
    expect(lower(pair.jitted)).toBe(lower(pair.interp));
    expectSameState(pair);
  });
});
