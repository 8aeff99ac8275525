import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGuestImages, type GuestImages } from '../images/guest.js';

const CLI = join(import.meta.dirname, 'co86.mjs');
/** Generous: about 2 minutes on an idle 2-core machine, but many times that on a loaded one. */
const BOOT_TIMEOUT_S = 1800;
/** As in linux.test.ts: the kernel's crypto self-tests cost minutes and test the kernel, not us. */
const APPEND = 'console=ttyS0 cryptomgr.notests';

/**
 * The platform as Linux sees it: a direct kernel boot with the ISO both as the IDE hard disk (primary
 * master) and in the ATAPI CD-ROM drive (secondary master). /init lists the PCI functions, disks and
 * CD-ROMs in the guest's own words (PCI/DISK/CDROM markers); then the shell mounts the CD and prints
 * isolinux.cfg from it, which must read as images/build.sh wrote it.
 */
describe('Linux sees the PCI devices, the IDE disk and the ATAPI CD-ROM', () => {
  let images: GuestImages;
  beforeAll(async () => {
    images = await ensureGuestImages();
  }, 600_000);

  it('lists them and reads a file from the CD with the right content', async () => {
    const args = ['boot', '--kernel', images.kernel, '--initrd', images.initrd, '--append', APPEND, '--hda', images.iso, '--cdrom', images.iso,
      '--clock', 'deterministic', '--timeout', String(BOOT_TIMEOUT_S)];
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let typed = false;
    const started = performance.now();
    // A small file: reading /boot/vmlinuz (5.7 MB) still hangs the guest (see the platform report).
    const command = 'mount -t iso9660 -o ro /dev/sr0 /mnt && cat /mnt/isolinux/isolinux.cfg && echo CAT-DONE';
    const answered = await new Promise<boolean>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('latin1');
        if (process.env.CO86_TRACE) process.stderr.write(chunk);
        const done = out.indexOf('STORAGE-DONE');
        if (!typed && done >= 0 && /[#$] /.test(out.slice(done))) {
          typed = true;
          child.stdin.write(`${command}\n`);
        }
        if (typed && /\nCAT-DONE\r?\n/.test(out.slice(out.lastIndexOf(command) + command.length))) resolve(true);
      });
      child.on('close', () => resolve(false));
    });
    child.kill();
    console.log(`Linux devices: STORAGE-DONE and isolinux.cfg from the CD after ${((performance.now() - started) / 1000).toFixed(1)} s of host time`);
    const tail = `serial output ended with:\n${out.slice(-3000)}`;
    expect(out, tail).toMatch(/^PCI 00:00\.0 8086:1237\r?$/m);
    expect(out, tail).toMatch(/^PCI 00:01\.0 8086:7000\r?$/m);
    expect(out, tail).toMatch(/^PCI 00:01\.1 8086:7010\r?$/m);
    const isoSectors = readFileSync(images.iso).length / 512;
    expect(out, tail).toMatch(new RegExp(`^DISK sda ${isoSectors}\\r?$`, 'm'));
    expect(out, tail).toMatch(/^CDROM sr0\r?$/m);
    expect(out, tail).toMatch(/STORAGE-DONE disks=1 cdroms=1/);
    expect(answered, tail).toBe(true);
    // isolinux.cfg as images/build.sh writes it.
    const cfg = out.slice(out.lastIndexOf(command) + command.length);
    expect(cfg).toMatch(/LABEL linux\r?\n\s+KERNEL \/boot\/vmlinuz\r?\n\s+INITRD \/boot\/initrd.gz\r?\n\s+APPEND console=tty0 console=ttyS0\r?\n/);
  }, (BOOT_TIMEOUT_S + 60) * 1000);
});
