import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGuestImages, type GuestImages } from '../images/guest.js';

const CLI = join(import.meta.dirname, 'co86.mjs');
const BOOT_TIMEOUT_S = 600;
/**
 * `cryptomgr.notests`: the kernel's crypto self-tests (FFDHE Diffie-Hellman up to 8192 bits among them)
 * cost over three minutes of interpreted CPU time and test the kernel, not us; the deterministic clock
 * makes the run the same on any host. docs/BENCHMARKS.md has the plain command's time too.
 */
const APPEND = 'console=ttyS0 cryptomgr.notests';

/**
 * The Debian guest that `npm run image` builds, booted directly (`--kernel`) by the real CLI: the kernel
 * reaches userspace (`BOOT-OK` from /init), then a command typed on the serial console runs in the
 * busybox shell. This is the CI boot test; it takes minutes on the interpreter.
 */
describe('Linux boots on co86', () => {
  let images: GuestImages;
  beforeAll(async () => {
    images = await ensureGuestImages();
  }, 600_000);

  it('reaches BOOT-OK, and the shell answers echo $((6*7)) with 42', async () => {
    const child = spawn(process.execPath, [CLI, 'boot', '--kernel', images.kernel, '--initrd', images.initrd, '--append', APPEND, '--clock', 'deterministic', '--timeout', String(BOOT_TIMEOUT_S)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let typed = false;
    const started = performance.now();
    const answered = await new Promise<boolean>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('latin1');
        if (!typed && /BOOT-OK/.test(out) && /[#$] /.test(out.slice(out.indexOf('BOOT-OK')))) {
          typed = true;
          child.stdin.write('echo $((6*7))\n');
        }
        // The answer on a line of its own (busybox's prompt may add terminal queries after it).
        if (typed && /\n42\r?\n/.test(out.slice(out.lastIndexOf('echo $((6*7))')))) resolve(true);
      });
      child.on('close', () => resolve(false));
    });
    child.kill();
    const seconds = (performance.now() - started) / 1000;
    console.log(`Linux: BOOT-OK and 42 after ${seconds.toFixed(1)} s of host time`);
    expect(out).toContain('BOOT-OK');
    expect(answered, `serial output ended with:\n${out.slice(-2000)}`).toBe(true);
  }, (BOOT_TIMEOUT_S + 60) * 1000);
});
