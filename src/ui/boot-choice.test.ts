import { describe, expect, it } from 'vitest';
import { guessKind, urlSource } from './boot-choice.js';

describe('guessing how to boot a file', () => {
  it('takes .iso for a CD, floppy sizes for floppies, kernel names for kernels, the rest for hard disks', () => {
    expect(guessKind('debian.ISO', 700_000_000)).toBe('cdrom');
    expect(guessKind('dos.img', 1_474_560)).toBe('floppy');
    expect(guessKind('odd.ima', 123_456)).toBe('floppy');
    expect(guessKind('vmlinuz-6.1.0-686', 5_706_240)).toBe('kernel');
    expect(guessKind('bzImage', 3_000_000)).toBe('kernel');
    expect(guessKind('disk.img', 10_485_760)).toBe('hdd');
    expect(guessKind('disk.img', 1_474_561)).toBe('hdd');
  });

  it('resolves a relative URL against the page', () => {
    expect(urlSource(' /images/co86.iso ', 'cdrom', 'http://host:8086/app/')).toEqual({
      kind: 'disk',
      drive: 'cdrom',
      image: 'http://host:8086/images/co86.iso',
      name: 'http://host:8086/images/co86.iso',
      fresh: false,
    });
    expect(() => urlSource('http://[bad', 'hdd', 'http://host/')).toThrow();
  });
});
