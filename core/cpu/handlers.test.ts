import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildDispatch } from './dispatch.js';
import { generateEntrySource, generateHandlerSource } from './handlers-source.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), 'handlers.generated.ts');
const ENTRIES_FILE = join(dirname(fileURLToPath(import.meta.url)), 'entries.generated.ts');

describe('generated handlers', () => {
  it('handlers.generated.ts is up to date with the table (UPDATE_GENERATED=1 rewrites it)', () => {
    const source = generateHandlerSource();
    if (process.env.UPDATE_GENERATED) writeFileSync(FILE, source);
    expect(readFileSync(FILE, 'utf8')).toBe(source);
  });

  it('entries.generated.ts is up to date with the table (UPDATE_GENERATED=1 rewrites it)', () => {
    const source = generateEntrySource();
    if (process.env.UPDATE_GENERATED) writeFileSync(ENTRIES_FILE, source);
    expect(readFileSync(ENTRIES_FILE, 'utf8')).toBe(source);
  });

  it('every row at the CPU level has an implementation with a generated wrapper', () => {
    const dispatch = buildDispatch();
    expect(dispatch.missing.map((r) => r.source)).toEqual([]);
    expect(dispatch.unwrapped.map((s) => `${s.template.name}(${s.args})`)).toEqual([]);
    expect(dispatch.unwrappedEntries).toEqual([]);
  });
});
