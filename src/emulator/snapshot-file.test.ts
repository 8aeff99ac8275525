import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { createBios } from '../../bios/index.js';
import { Layout, Machine } from '../../core/index.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-file.js';

const machine = () => new Machine({ memoryMB: 2, firmware: createBios(), clock: 'deterministic' });

describe('the snapshot file', () => {
  it('round-trips a machine: RAM, CPU state and every device', async () => {
    const a = machine();
    for (let i = 0; i < 20; i++) a.runSlice(10_000);
    a.memory.u8[Layout.RAM + 0x100000] = 0x5a;
    const saved = a.saveState();
    const file = await encodeSnapshot(saved, { memoryMB: 2, boot: { kind: 'default' }, savedAt: '2026-01-01T00:00:00Z' });
    expect(file.size).toBeLessThan(saved.ram.length / 4); // mostly zeros: gzip pays
    const { header, snapshot } = await decodeSnapshot(file);
    expect(header).toMatchObject({ memoryMB: 2, boot: { kind: 'default' } });
    // Big arrays compared as bytes (an element-wise toEqual of megabytes is slow).
    expect(Buffer.compare(snapshot.ram, saved.ram)).toBe(0);
    expect(Buffer.compare(snapshot.cpu, saved.cpu)).toBe(0);
    expect({ ...snapshot, ram: 0, cpu: 0 }).toEqual({ ...saved, ram: 0, cpu: 0 });
    const b = machine();
    b.loadState(snapshot);
    expect(b.memory.u8[Layout.RAM + 0x100000]).toBe(0x5a);
    a.runSlice(5000);
    b.runSlice(5000);
    expect(b.instructions).toBe(a.instructions);
    expect(b.screenText()).toBe(a.screenText());
  });

  it('refuses other files in words', async () => {
    await expect(decodeSnapshot(new Blob(['hello']))).rejects.toThrow(/not a co86 snapshot/);
    await expect(decodeSnapshot(new Blob([gzipSync(Buffer.from('PKZIP...........'))]))).rejects.toThrow(/not a co86 snapshot/);
    const future = Buffer.alloc(16);
    future.write('CO86SNAP');
    future.writeUInt32LE(7, 8);
    await expect(decodeSnapshot(new Blob([gzipSync(future)]))).rejects.toThrow(/another version of co86/);
    const good = await encodeSnapshot(machine().saveState(), { memoryMB: 2, boot: { kind: 'default' }, savedAt: '' });
    const raw = gzipSync(Buffer.from(new Uint8Array(await new Response(good.stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer())).subarray(0, 5000));
    await expect(decodeSnapshot(new Blob([raw]))).rejects.toThrow(/damaged|cut short/);
  });
});
