import { readFile } from 'node:fs/promises';
import { createBios, parseBootOrder, type BiosOptions } from '../bios/index.js';
import { CowBlockDevice, describeKernel, formatMac, loadKernel, Machine, parseMac, randomMac, RangeBlockDevice, type BlockDevice, type Firmware, type KernelOptions } from '../core/index.js';
import { netUrlProblem } from '../src/net/index.js';
import { InputError, numberOption, parseArgs, regexOption, UsageError } from './args.js';
import { connectNodeNet } from './net.js';
import { FileBlockDevice, httpRangeSource } from './file-disk.js';
import { screenSummary, writeScreenshot } from './screenshot.js';

const SPEC = {
  values: ['fda', 'hda', 'cdrom', 'boot', 'kernel', 'initrd', 'append', 'mem', 'net', 'mac', 'clock', 'until', 'until-screen', 'timeout', 'screenshot', 'bios'],
  flags: ['screen', 'debugcon', 'no-jit'],
} as const;
/** Options of the CLI contract (DESIGN §6) that later issues implement; named here so users get a clear message. */
const NOT_YET: string[] = [];
const QUIT_KEY = 0x1d; // Ctrl+]
/** How much recent serial output --until matches against. */
const SERIAL_WINDOW = 1 << 16;
const SCREEN_POLL_MS = 100;
/** Serial output reaches stdout at least this often (ms), so an interactive console feels live. */
const FLUSH_MS = 10;

/** `co86 boot`: run a PC with COM1 on stdin/stdout until a condition, an exit port write or a timeout. */
export async function boot(argv: string[]): Promise<number> {
  const args = parseArgs(argv, SPEC);
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  for (const name of NOT_YET) if (args.values.has(name)) throw new UsageError(`--${name} is not supported by this build yet`);
  // A Linux kernel decompresses itself well above its load address: give direct boots room by default.
  // Booting from a hard disk or CD is usually a Linux too (co86.iso's kernel alone needs more than 16 MiB to unpack).
  const linuxSized = args.values.has('kernel') || args.values.has('hda') || args.values.has('cdrom');
  const memoryMB = numberOption(args, 'mem', linuxSized ? 128 : 16, 1, 3072);
  const timeoutS = numberOption(args, 'timeout', Infinity, 0, 1e9);
  const until = regexOption(args, 'until');
  const untilScreen = regexOption(args, 'until-screen');
  const clock = args.values.get('clock') ?? 'realtime';
  if (clock !== 'realtime' && clock !== 'deterministic') throw new UsageError(`--clock must be realtime or deterministic`);

  const firmware: Firmware = args.values.has('bios') ? { rom: padRom(await readImage(args.values.get('bios')!, 'BIOS ROM')) } : createBios(biosOptions(args.values.get('boot')));
  const fda = args.values.get('fda');
  const hda = args.values.get('hda');
  const cdrom = args.values.get('cdrom');
  // --net plugs an NE2000 (PCI RTL8029) into a relay room; --mac alone gives a card with no cable.
  const netUrl = args.values.get('net');
  if (netUrl !== undefined && netUrlProblem(netUrl)) throw new UsageError(`--net: ${netUrlProblem(netUrl)}`);
  const macText = args.values.get('mac');
  let mac: Uint8Array | undefined;
  try {
    mac = macText !== undefined ? parseMac(macText) : netUrl !== undefined ? randomMac() : undefined;
  } catch (e) {
    throw new UsageError(`--mac: ${(e as Error).message}`);
  }
  const machine = new Machine({
    memoryMB,
    firmware,
    clock,
    // Images are read in place (positional reads, or HTTP ranges for a URL); guest writes stay in a
    // copy-on-write overlay in memory, so the image file is never modified.
    floppies: [fda ? await openDisk(fda, 'floppy image', true) : undefined],
    hardDisks: [hda ? await openDisk(hda, 'hard disk image', true) : undefined],
    cdroms: [cdrom ? await openDisk(cdrom, 'CD-ROM image', false) : undefined],
    nic: mac ? { mac } : undefined,
    // --no-jit forces the interpreter; otherwise the core's default (core/jit JIT_DEFAULT) or CO86_JIT=1.
    jit: args.flags.has('no-jit') ? false : process.env.CO86_JIT === '1' ? true : undefined,
  });
  if (mac) process.stderr.write(`co86: NE2000 (PCI RTL8029) with MAC ${formatMac(mac)}${netUrl ? ` on ${netUrl}` : ', no cable'}\n`);
  const net = netUrl !== undefined ? connectNodeNet(machine, netUrl, (line) => process.stderr.write(`co86: ${line}\n`)) : undefined;

  const kernel = args.values.get('kernel');
  if (!kernel && (args.values.has('initrd') || args.values.has('append'))) throw new UsageError('--initrd and --append go with --kernel');
  if (kernel) {
    const initrd = args.values.get('initrd');
    const options: KernelOptions = {
      kernel: await readImage(kernel, 'kernel'),
      initrd: initrd ? await readImage(initrd, 'initrd') : undefined,
      cmdline: args.values.get('append') ?? '',
      kernelName: kernel,
    };
    const load = () => {
      try {
        return loadKernel(machine, options);
      } catch (e) {
        throw new InputError(`--kernel ${kernel}: ${(e as Error).message}`);
      }
    };
    process.stderr.write(`co86: ${describeKernel(load())}\n`);
    // A reboot of the guest goes back through the firmware; a direct boot means booting the kernel again.
    machine.onReset = () => load();
  }

  let serial = '';
  let pending: number[] = [];
  let exitCode: number | undefined;
  machine.onSerial = (byte) => {
    pending.push(byte);
    serial += String.fromCharCode(byte);
    if (serial.length > 2 * SERIAL_WINDOW) serial = serial.slice(-SERIAL_WINDOW);
  };
  machine.onDebugExit = (code) => (exitCode = code);
  machine.onLog = (message) => process.stderr.write(`co86: ${message}\n`);
  if (args.flags.has('debugcon')) machine.onDebugCon = (byte) => process.stderr.write(Buffer.of(byte));

  const stdin = process.stdin;
  let quit = false;
  const onInput = (chunk: Buffer) => {
    for (const byte of chunk) {
      if (stdin.isTTY && byte === QUIT_KEY) quit = true;
      else machine.uart.receive(byte);
    }
  };
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on('data', onInput);
  stdin.on('error', () => {});

  let lastScreenPoll = 0;
  let lastFlush = 0;
  let screenMatched = false;
  const flush = () => {
    if (pending.length) {
      process.stdout.write(Buffer.from(pending));
      pending = [];
    }
  };
  const done = () => {
    if (exitCode !== undefined || quit) return true;
    if (until?.test(serial)) return true;
    if (untilScreen) {
      const now = performance.now();
      if (now - lastScreenPoll > SCREEN_POLL_MS) {
        lastScreenPoll = now;
        screenMatched = untilScreen.test(machine.screenText());
      }
      if (screenMatched) return true;
    }
    if (pending.length) {
      const now = performance.now();
      if (now - lastFlush >= FLUSH_MS || pending.length > 4096) {
        lastFlush = now;
        flush();
      }
    }
    return false;
  };

  const finished = await machine.runUntil(done, { timeoutMs: timeoutS * 1000 });
  flush();
  net?.close();
  stdin.off('data', onInput);
  if (stdin.isTTY) stdin.setRawMode(false);
  stdin.pause();
  (stdin as { unref?: () => void }).unref?.();

  if (args.flags.has('screen')) process.stdout.write(`\n${screenSummary(machine)}\n`);
  const screenshot = args.values.get('screenshot');
  if (screenshot) {
    try {
      await writeScreenshot(machine, screenshot);
    } catch (e) {
      throw new InputError(`--screenshot ${screenshot}: ${(e as Error).message}`);
    }
  }
  if (exitCode !== undefined) return exitCode;
  if (!finished && (until || untilScreen)) {
    const what = [until && `serial output to match /${until.source}/`, untilScreen && `the screen to match /${untilScreen.source}/`].filter(Boolean).join(' or ');
    process.stderr.write(`co86: timed out after ${timeoutS} s waiting for ${what}\n`);
    return 1;
  }
  return 0;
}

/** A disk image file or http(s) URL as a BlockDevice; writable images get a copy-on-write overlay. */
async function openDisk(path: string, what: string, writable: boolean): Promise<BlockDevice> {
  let base: BlockDevice;
  try {
    base = /^https?:\/\//.test(path) ? new RangeBlockDevice(await httpRangeSource(path)) : new FileBlockDevice(path);
  } catch (e) {
    throw new InputError(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (base.size === 0) throw new InputError(`${what} '${path}' is empty`);
  return writable ? new CowBlockDevice(base) : base;
}

/** --boot cdrom,hd,floppy: the BIOS's boot order (default CD-ROM, hard disk, floppy). */
function biosOptions(order: string | undefined): BiosOptions {
  try {
    return order === undefined ? {} : { order: parseBootOrder(order) };
  } catch (e) {
    throw new UsageError(`--boot: ${(e as Error).message}`);
  }
}

async function readImage(path: string, what: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new InputError(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (bytes.length === 0) throw new InputError(`${what} '${path}' is empty`);
  return bytes;
}

/** A raw ROM for --bios: padded at the front to a whole number of 4 KiB pages, so that it still ends at the top. */
function padRom(rom: Uint8Array): Uint8Array {
  if (rom.length > 0x20000) throw new InputError(`--bios: ROM is ${rom.length} bytes; at most 128 KiB fit below 1 MiB`);
  const size = Math.ceil(rom.length / 4096) * 4096;
  const padded = new Uint8Array(size).fill(0xff);
  padded.set(rom, size - rom.length);
  return padded;
}
