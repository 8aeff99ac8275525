import { describe, expect, it } from 'vitest';
import { numberOption, parseArgs, regexOption, UsageError } from './args.js';

const spec = { values: ['mem', 'until'], flags: ['screen'] };

describe('parseArgs', () => {
  it('takes values, flags, --name=value and positionals', () => {
    const a = parseArgs(['x', '--mem', '32', '--screen', '--until=BOOT OK'], spec);
    expect(a.positionals).toEqual(['x']);
    expect(numberOption(a, 'mem', 16, 1, 64)).toBe(32);
    expect(a.flags.has('screen')).toBe(true);
    expect(regexOption(a, 'until')!.test('BOOT OK')).toBe(true);
  });

  it('refuses unknown options, missing values and bad numbers clearly', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['--mem'], spec)).toThrow(/needs a value/);
    expect(() => numberOption(parseArgs(['--mem', 'lots'], spec), 'mem', 16, 1, 64)).toThrow(/number from 1 to 64/);
    expect(() => regexOption(parseArgs(['--until', '('], spec), 'until')).toThrow(/not a regular expression/);
  });
});
