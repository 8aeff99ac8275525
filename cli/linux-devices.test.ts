import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGuestImages, type GuestImages } from '../images/guest.js';

const CLI = join(import.meta.dirname, 'co86.mjs');
/** Generous: about 2 minutes on an idle 2-core machine, but many times that on a loaded one. */
const BOOT_TIMEOUT_S = 1800;
/** As in linux.test.ts: the kernel's crypto self-tests cost minutes and test the kernel, not us. */
const APPEND = 'console=ttyS0 cryptomgr.notests';

/**
 * The platform as Linux sees it: a direct kernel boot with the ISO both as the IDE hard disk (primary
 * master) and in the ATAPI CD-ROM drive (secondary master), and a 1.44 MB floppy image in drive A. /init
 * lists the PCI functions, disks and CD-ROMs in the guest's own words (PCI/DISK/CDROM markers), then the
 * floppy drives and PS/2 mice (FLOPPY/MOUSE markers); then the shell mounts the CD, prints
 * isolinux.cfg from it, which must read as images/build.sh wrote it, and reads the kernel and the initrd
 * from it whole (md5sum), which must match the host's md5 of the same files inside the ISO.
 */
describe('Linux sees the PCI devices, the IDE disk, the ATAPI CD-ROM, the floppy drive and the PS/2 mouse', () => {
  let images: GuestImages;
  const tmp = mkdtempSync(join(tmpdir(), 'co86-devices-'));
  const floppy = join(tmp, 'floppy.img');
  beforeAll(async () => {
    images = await ensureGuestImages();
    writeFileSync(floppy, new Uint8Array(1474560));
  }, 600_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('lists them and reads a file from the CD with the right content', async () => {
    const args = ['boot', '--kernel', images.kernel, '--initrd', images.initrd, '--append', APPEND, '--hda', images.iso, '--cdrom', images.iso, '--fda', floppy,
      '--clock', 'deterministic', '--timeout', String(BOOT_TIMEOUT_S)];
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let typed = false;
    let typedAt = 0;
    const started = performance.now();
    const command = 'mount -t iso9660 -o ro /dev/sr0 /mnt && cat /mnt/isolinux/isolinux.cfg && md5sum /mnt/boot/vmlinuz /mnt/boot/initrd.gz && echo CAT-DONE';
    const answered = await new Promise<boolean>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('latin1');
        if (process.env.CO86_TRACE) process.stderr.write(chunk);
        const done = out.indexOf('STORAGE-DONE');
        if (!typed && done >= 0 && /[#$] /.test(out.slice(done))) {
          typed = true;
          typedAt = out.length;
          child.stdin.write(`${command}\n`);
        }
        if (typed && /\nCAT-DONE\r?\n/.test(out.slice(typedAt))) resolve(true);
      });
      child.on('close', () => resolve(false));
    });
    child.kill();
    console.log(`Linux devices: STORAGE-DONE, isolinux.cfg and two md5sums from the CD after ${((performance.now() - started) / 1000).toFixed(1)} s of host time`);
    const tail = `serial output ended with:\n${out.slice(-3000)}`;
    expect(out, tail).toMatch(/^PCI 00:00\.0 8086:1237\r?$/m);
    expect(out, tail).toMatch(/^PCI 00:01\.0 8086:7000\r?$/m);
    expect(out, tail).toMatch(/^PCI 00:01\.1 8086:7010\r?$/m);
    const isoSectors = readFileSync(images.iso).length / 512;
    expect(out, tail).toMatch(new RegExp(`^DISK sda ${isoSectors}\\r?$`, 'm'));
    expect(out, tail).toMatch(/^CDROM sr0\r?$/m);
    expect(out, tail).toMatch(/STORAGE-DONE disks=1 cdroms=1/);
    // floppy.ko finds the 82077 and drive A (a 1.44 MB drive in the CMOS); psmouse.ko the IntelliMouse.
    expect(out, tail).toMatch(/^FLOPPY fd0\r?$/m);
    expect(out, tail).toMatch(/^MOUSE ImPS\/2 Generic Wheel Mouse\r?$/m);
    expect(out, tail).toMatch(/INPUT-DONE floppies=1 mice=1/);
    expect(answered, tail).toBe(true);
    // isolinux.cfg as images/build.sh writes it.
    const answer = out.slice(typedAt);
    expect(answer).toMatch(/LABEL linux\r?\n\s+KERNEL \/boot\/vmlinuz\r?\n\s+INITRD \/boot\/initrd.gz\r?\n\s+APPEND console=tty0 console=ttyS0\r?\n/);
    // Whole files read through the ATAPI drive (DMA, many READ(10)s): the same bytes the ISO holds.
    const iso = readFileSync(images.iso);
    for (const file of ['boot/vmlinuz', 'boot/initrd.gz']) {
      const md5 = createHash('md5').update(isoFile(iso, file)).digest('hex');
      expect(answer, tail).toMatch(new RegExp(`^${md5}  /mnt/${file}\\r?$`, 'm'));
    }
  }, (BOOT_TIMEOUT_S + 60) * 1000);
});

/** A file's bytes inside an ISO 9660 image (primary volume descriptor → root directory → path), as the host reads them. */
function isoFile(iso: Uint8Array, path: string): Uint8Array {
  const SECTOR = 2048;
  const view = new DataView(iso.buffer, iso.byteOffset, iso.byteLength);
  const pvd = 16 * SECTOR;
  if (iso[pvd] !== 1 || String.fromCharCode(...iso.subarray(pvd + 1, pvd + 6)) !== 'CD001') throw new Error('no ISO 9660 primary volume descriptor');
  // The root directory record sits at offset 156 of the descriptor: extent at +2, size at +10 (little-endian halves).
  let extent = view.getUint32(pvd + 156 + 2, true);
  let size = view.getUint32(pvd + 156 + 10, true);
  for (const name of path.split('/')) {
    let found = false;
    for (let at = extent * SECTOR; at < extent * SECTOR + size && !found; ) {
      const length = iso[at];
      if (length === 0) {
        at = (Math.floor(at / SECTOR) + 1) * SECTOR; // records do not cross sectors: the rest is padding
        continue;
      }
      // ISO names are upper case with a version (";1") and maybe a lone dot; Rock Ridge gives the real case.
      const id = String.fromCharCode(...iso.subarray(at + 33, at + 33 + iso[at + 32])).replace(/;\d+$/, '').replace(/\.$/, '');
      if (id.toLowerCase() === name.toLowerCase()) {
        extent = view.getUint32(at + 2, true);
        size = view.getUint32(at + 10, true);
        found = true;
      }
      at += length;
    }
    if (!found) throw new Error(`${path}: not in the ISO`);
  }
  return iso.subarray(extent * SECTOR, extent * SECTOR + size);
}
