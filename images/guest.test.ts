// Checks the real guest images: builds them first when they are missing (about a minute, and needs
// Debian's mirrors), then looks inside each file the way the emulator's loaders will.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ensureGuestImages, type GuestImages } from './guest.js';

interface CpioEntry {
  mode: number;
  rdevMajor: number;
  rdevMinor: number;
  data: Buffer;
}

/** All entries of a newc stream, across concatenated archives, as the kernel's initramfs unpacker reads it. */
function readNewc(stream: Buffer): Map<string, CpioEntry> {
  const entries = new Map<string, CpioEntry>();
  const field = (at: number, index: number): number => parseInt(stream.toString('latin1', at + 6 + index * 8, at + 14 + index * 8), 16);
  const align4 = (n: number): number => (n + 3) & ~3;
  let at = 0;
  while (at < stream.length) {
    if (stream[at] === 0) {
      at += 4; // zero padding between archives
      continue;
    }
    expect(stream.toString('latin1', at, at + 6)).toBe('070701');
    const nameSize = field(at, 11);
    const fileSize = field(at, 6);
    const name = stream.toString('latin1', at + 110, at + 110 + nameSize - 1);
    const dataStart = align4(at + 110 + nameSize);
    if (name !== 'TRAILER!!!') {
      entries.set(name, {
        mode: field(at, 1),
        rdevMajor: field(at, 9),
        rdevMinor: field(at, 10),
        data: stream.subarray(dataStart, dataStart + fileSize),
      });
    }
    at = align4(dataStart + fileSize);
  }
  return entries;
}

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const S_IFLNK = 0o120000;
const sector = 2048;

describe('guest images', () => {
  let images: GuestImages;

  it('are built (or found) and returned as absolute paths; a second call and a parallel pair agree', async () => {
    images = await ensureGuestImages();
    expect(isAbsolute(images.dir)).toBe(true);
    const [a, b] = await Promise.all([ensureGuestImages(), ensureGuestImages()]);
    expect(a).toEqual(images);
    expect(b).toEqual(images);
  });

  it('match the SHA256SUMS the build wrote', () => {
    const sums = readFileSync(join(images.dir, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums.length).toBe(4);
    for (const line of sums) {
      const [hash, name] = line.split(/\s+/);
      expect(createHash('sha256').update(readFileSync(join(images.dir, name))).digest('hex'), name).toBe(hash);
    }
    const versions = readFileSync(join(images.dir, 'VERSIONS'), 'utf8');
    expect(versions).toMatch(/^kernel=linux-image-6\.1\.0-\d+-686-unsigned /m);
    expect(versions).toMatch(/^busybox-static:i386=/m);
  });

  it('kernel is an i386 bzImage (boot protocol header at 0x1F1)', () => {
    const kernel = readFileSync(images.kernel);
    expect(kernel.toString('latin1', 0x202, 0x206)).toBe('HdrS');
    expect(kernel.readUInt16LE(0x206)).toBeGreaterThanOrEqual(0x020c); // protocol 2.12+
    expect(kernel.readUInt16LE(0x1fe)).toBe(0xaa55);
    expect(kernel[0x211] & 1).toBe(1); // LOADED_HIGH: a bzImage
  });

  it('initrd holds /init with the markers, busybox, bench, the NIC modules and /dev/console', () => {
    const files = readNewc(gunzipSync(readFileSync(images.initrd)));
    const init = files.get('init')!.data.toString('utf8');
    for (const marker of ['BOOT-OK uptime=', 'NET-OK', 'NET-MISSING', 'BENCH-START', 'co86.bench', 'setsid cttyhack sh']) {
      expect(init).toContain(marker);
    }
    expect(files.get('bin/busybox')!.data.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(files.get('bin/bench')!.data[4]).toBe(1); // ELFCLASS32
    expect(files.get('bin/sh')!.mode & S_IFMT).toBe(S_IFLNK);
    expect(files.get('bin/sh')!.data.toString()).toBe('busybox');
    expect(files.get('lib/modules/net.order')!.data.toString()).toBe('8390\nne2k-pci\n');
    expect(files.has('lib/modules/8390.ko') && files.has('lib/modules/ne2k-pci.ko')).toBe(true);
    const devConsole = files.get('dev/console')!;
    expect([devConsole.mode & S_IFMT, devConsole.rdevMajor, devConsole.rdevMinor]).toEqual([S_IFCHR, 5, 1]);
  });

  it('ISO is an El Torito no-emulation CD with an isohybrid MBR and our isolinux.cfg', () => {
    const iso = readFileSync(images.iso);
    expect(iso.readUInt16LE(510)).toBe(0xaa55); // MBR, so the same file boots as a hard disk
    expect(iso.toString('latin1', 16 * sector + 1, 16 * sector + 6)).toBe('CD001'); // primary volume descriptor
    const bootRecord = 17 * sector;
    expect(iso.toString('latin1', bootRecord + 7, bootRecord + 30)).toBe('EL TORITO SPECIFICATION');
    const catalog = iso.readUInt32LE(bootRecord + 0x47) * sector;
    expect(iso[catalog + 0x20]).toBe(0x88); // initial entry: bootable
    expect(iso[catalog + 0x21]).toBe(0); // no emulation
    const cfg = iso.toString('latin1').match(/SERIAL 0 115200[^\0]*?APPEND [^\n]*/)?.[0];
    expect(cfg).toContain('PROMPT 0');
    expect(cfg).toMatch(/APPEND console=tty0 console=ttyS0$/);
  });
});
