import { readFileSync } from 'node:fs';
import { createBios } from '../bios/index.js';
import { loadKernel, Machine } from '../core/index.js';
import { ensureGuestImages } from '../images/guest.js';

/** The reference figures in ../shared/reference were taken with this command line and 128 MiB. */
const CMDLINE = 'console=tty0 console=ttyS0 co86.bench';
const TIMEOUT_MS = 20 * 60_000;

/**
 * Boots the Debian guest of `npm run image` directly (real-time clock, 128 MiB) and times, in host
 * seconds from power-on: the first kernel line on COM1, `BOOT-OK` from /init, and `BENCH-DONE` after the
 * in-guest benchmark; guest MIPS over the boot; each in-guest benchmark's own milliseconds.
 */
export async function benchLinuxBoot(): Promise<Record<string, number>> {
  const images = await ensureGuestImages();
  const machine = new Machine({ memoryMB: 128, firmware: createBios() });
  loadKernel(machine, { kernel: readFileSync(images.kernel), initrd: readFileSync(images.initrd), cmdline: CMDLINE });
  let serial = '';
  machine.onSerial = (byte) => (serial += String.fromCharCode(byte));
  const start = performance.now();
  const marks: Record<string, number> = {};
  const mark = (name: string, seen: boolean) => {
    if (seen && marks[name] === undefined) marks[name] = (performance.now() - start) / 1000;
  };
  let bootInstructions = 0;
  const done = await machine.runUntil(
    () => {
      mark('firstLineSeconds', serial.includes('['));
      if (marks.bootOkSeconds === undefined && serial.includes('BOOT-OK')) {
        mark('bootOkSeconds', true);
        bootInstructions = machine.instructions;
      }
      return /BENCH-DONE|BENCH-FAILED/.test(serial);
    },
    { timeoutMs: TIMEOUT_MS },
  );
  if (!done || marks.bootOkSeconds === undefined) throw new Error(`the guest did not finish its benchmark; serial ends with:\n${serial.slice(-1500)}`);
  mark('benchDoneSeconds', true);
  const results: Record<string, number> = { ...marks, bootMips: bootInstructions / marks.bootOkSeconds / 1e6 };
  for (const [, name, ms] of serial.matchAll(/^BENCH (\w+) ([\d.]+) ms/gm)) results[`guest_${name}_ms`] = Number(ms);
  if (/BENCH-FAILED|BENCH-WRONG/.test(serial)) results.guestBenchFailed = 1;
  return results;
}
