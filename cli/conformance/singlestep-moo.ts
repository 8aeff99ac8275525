/**
 * Reader for SingleStepTests MOO files (format in /work/shared/testdata/README.md): little-endian chunks
 * `[4-byte id][u32 length][payload]`, unknown chunks skipped by length.
 */

/** Register order of a REGS chunk's bitmask. */
export const MOO_REGS = ['ax', 'bx', 'cx', 'dx', 'cs', 'ss', 'ds', 'es', 'sp', 'bp', 'si', 'di', 'ip', 'flags'] as const;
export type MooReg = (typeof MOO_REGS)[number];

export interface MooState {
  /** Register values by MOO_REGS index; undefined where the chunk leaves a register out. */
  regs: (number | undefined)[];
  /** Physical address → byte. */
  ram: [number, number][];
}

export interface MooTest {
  index: number;
  name: string;
  bytes: Uint8Array;
  init: MooState;
  final: MooState;
  /** Exception raised by the test, if any: vector and the physical address of the pushed FLAGS. */
  exception?: { vector: number; flagsAddress: number };
  /** SHA-1 naming the test, hex. */
  hash: string;
}

export interface MooFile {
  cpu: string;
  mnemonic: string;
  tests: MooTest[];
}

class Reader {
  constructor(
    readonly buf: Uint8Array,
    readonly view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
  ) {}
  id(at: number): string {
    return String.fromCharCode(this.buf[at], this.buf[at + 1], this.buf[at + 2], this.buf[at + 3]);
  }
  u32(at: number): number {
    return this.view.getUint32(at, true);
  }
  u16(at: number): number {
    return this.view.getUint16(at, true);
  }
  /** Calls fn for each chunk in [start, end). */
  chunks(start: number, end: number, fn: (id: string, at: number, length: number) => void): void {
    let at = start;
    while (at + 8 <= end) {
      const length = this.u32(at + 4);
      if (at + 8 + length > end) throw new Error(`MOO: chunk ${this.id(at)} at ${at} runs past its parent`);
      fn(this.id(at), at + 8, length);
      at += 8 + length;
    }
  }
}

function readState(r: Reader, start: number, length: number): MooState {
  const state: MooState = { regs: new Array(MOO_REGS.length).fill(undefined), ram: [] };
  r.chunks(start, start + length, (id, at) => {
    if (id === 'REGS') {
      const mask = r.u16(at);
      let p = at + 2;
      for (let i = 0; i < MOO_REGS.length; i++) {
        if (mask & (1 << i)) {
          state.regs[i] = r.u16(p);
          p += 2;
        }
      }
    } else if (id === 'RAM ') {
      const count = r.u32(at);
      for (let i = 0; i < count; i++) state.ram.push([r.u32(at + 4 + i * 5), r.buf[at + 8 + i * 5]]);
    }
  });
  return state;
}

export function parseMoo(buf: Uint8Array): MooFile {
  const r = new Reader(buf);
  if (r.id(0) !== 'MOO ') throw new Error('MOO: missing MOO header');
  const file: MooFile = { cpu: '', mnemonic: '', tests: [] };
  r.chunks(0, buf.length, (id, at, length) => {
    if (id === 'MOO ') file.cpu = r.id(at + 8);
    else if (id === 'META') file.mnemonic = new TextDecoder().decode(buf.subarray(at + 7, at + 15)).trim();
    else if (id === 'TEST') {
      const test: MooTest = {
        index: r.u32(at), name: '', bytes: new Uint8Array(0), hash: '',
        init: { regs: [], ram: [] }, final: { regs: [], ram: [] },
      };
      r.chunks(at + 4, at + length, (sub, p, len) => {
        switch (sub) {
          case 'NAME': test.name = new TextDecoder().decode(buf.subarray(p + 4, p + 4 + r.u32(p))); break;
          case 'BYTS': test.bytes = buf.slice(p + 4, p + 4 + r.u32(p)); break;
          case 'INIT': test.init = readState(r, p, len); break;
          case 'FINA': test.final = readState(r, p, len); break;
          case 'EXCP': test.exception = { vector: buf[p], flagsAddress: r.u32(p + 1) }; break;
          case 'HASH': test.hash = Array.from(buf.subarray(p, p + len), (b) => b.toString(16).padStart(2, '0')).join(''); break;
        }
      });
      file.tests.push(test);
    }
  });
  return file;
}
