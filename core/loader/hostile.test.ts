import { describe, expect, it } from 'vitest';
import { loadKernel } from './load-kernel.js';
import { bareMachine, fakeBzImage, fakeMultibootAout, fakeMultibootElf, pattern } from './test-images.js';

/** A small deterministic generator (xorshift32), so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

describe('hostile images', () => {
  it('either load or throw an Error with a message, whatever bytes of the headers are changed', () => {
    const m = bareMachine(8);
    const rnd = random(0xc086);
    const originals = [
      fakeBzImage(),
      fakeMultibootAout({ bss: 0x100 }),
      fakeMultibootElf([{ paddr: 0x100000, data: pattern(64, 1) }, { paddr: 0x101000, data: pattern(32, 2), memSize: 0x200 }], 0x100000),
    ];
    // Mutate where the headers are: the setup header, the Multiboot header and the ELF program headers.
    const hot = [[0x1f1, 0x270], [0, 0x100]];
    let loaded = 0;
    let refused = 0;
    for (let i = 0; i < 600; i++) {
      const image = originals[i % originals.length].slice();
      const [from, to] = hot[i % originals.length === 0 ? 0 : 1];
      for (let n = 1 + Math.floor(rnd() * 4); n > 0; n--) {
        const at = from + Math.floor(rnd() * (to - from));
        image[at] = rnd() < 0.5 ? Math.floor(rnd() * 256) : [0, 0xff, 0x7f, 0x80][Math.floor(rnd() * 4)];
      }
      try {
        loadKernel(m, { kernel: image, initrd: pattern(100, i), cmdline: 'x' });
        loaded++;
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message.length).toBeGreaterThan(10);
        refused++;
      }
    }
    // Both outcomes happen, so the mutations reach the checks.
    expect(loaded).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });
});
