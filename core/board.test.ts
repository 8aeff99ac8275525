import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from './machine.js';

const board = readFileSync(join(import.meta.dirname, '../docs/BOARD.md'), 'utf8');

describe('docs/BOARD.md', () => {
  const machine = new Machine({ memoryMB: 16, firmware: { rom: new Uint8Array(0x10000) } });

  it('lists every port range the machine registers, with its file', () => {
    for (const line of machine.io.describe()) {
      const range = line.split(' ')[0];
      expect(board, `port range ${line}`).toContain(`\`${range}\``);
    }
  });

  it('lists every range of the memory map', () => {
    for (const line of machine.memory.describe()) {
      const range = line.split(' ')[0];
      expect(board, `memory range ${line}`).toContain(`\`${range}\``);
    }
  });
});
