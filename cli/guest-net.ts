/**
 * Debian guests on a relay, driven through their serial consoles: shared by the two-VM ping test
 * (cli/net.test.ts) and the guest-to-guest TCP benchmark (`co86 bench --only guest-tcp`). Each guest is a real
 * `co86 boot --kernel … --net URL --mac MAC` process; we type into its busybox shell and read what it prints.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { GuestImages } from '../images/guest.js';

/**
 * The CLI to run (CO86_CLI overrides it, e.g. to try a build with local changes). This file runs from cli/ under
 * Vitest and from the bundle in .cache/ under `co86 bench` (scripts/bundle.mjs).
 */
const HERE = import.meta.dirname;
const CLI = process.env.CO86_CLI ?? join(HERE, basename(HERE) === '.cache' ? '../cli' : '.', 'co86.mjs');
/** CO86_NET_LOG=DIR: each guest's console also goes to DIR/guest-LABEL.log as it arrives (to watch a long run). */
const LOG_DIR = process.env.CO86_NET_LOG;
/** `cryptomgr.notests` skips minutes of kernel crypto self-tests (see cli/linux.test.ts). */
const APPEND = 'console=ttyS0 cryptomgr.notests';
/**
 * busybox udhcpc neither brings the interface up nor configures it: on a down interface its packets never reach
 * the wire, and a lease only runs a script with the address in its environment. So we bring eth0 up first and
 * type in a script (one line; printf expands the \n), since the guest image has none. The script inherits
 * udhcpc's silenced output, so it leaves the address in a file that we print afterwards. Markers we wait for are
 * split by empty quotes in the typed text (LEASE-FAIL""ED), so the shell's echo of the command never matches them.
 */
const DHCP_COMMAND =
  `printf '#!/bin/sh\\n[ "$1" = bound ] && ifconfig $interface $ip netmask $subnet up && echo $ip > /tmp/ip\\n' > /tmp/lease.sh; ` +
  `chmod +x /tmp/lease.sh; ifconfig eth0 up; udhcpc -i eth0 -s /tmp/lease.sh -q -n -t 10 -T 2 > /dev/null 2>&1 && echo "LEASE $(cat /tmp/ip)" || echo LEASE-FAIL""ED\n`;

export class NetGuest {
  out = '';
  exited = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters: { pattern: RegExp; from: number; resolve: (m: RegExpExecArray) => void; reject: (e: Error) => void }[] = [];

  constructor(
    readonly label: string,
    images: GuestImages,
    url: string,
    mac: string,
    timeoutS: number,
    /**
     * Tests use the deterministic clock (a halted guest skips ahead to its next timer). Throughput figures use the
     * real-time clock, as the app does: a guest waiting for the other's ACK must not see its TCP timers run ahead.
     */
    clock: 'deterministic' | 'realtime' = 'deterministic',
  ) {
    const args = ['boot', '--kernel', images.kernel, '--initrd', images.initrd, '--append', APPEND, '--clock', clock];
    this.child = spawn(process.execPath, [CLI, ...args, '--net', url, '--mac', mac, '--timeout', String(timeoutS)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const log = LOG_DIR ? join(LOG_DIR, `guest-${label}.log`) : undefined;
    if (log) writeFileSync(log, '');
    const take = (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      this.out += text;
      if (log) appendFileSync(log, text);
      this.check();
    };
    this.child.stdout.on('data', take);
    this.child.stderr.on('data', take);
    this.child.on('close', () => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.label} exited while waiting for /${w.pattern.source}/; output ends:\n${this.tail()}`));
    });
  }

  tail(chars = 3000): string {
    return this.out.slice(-chars);
  }

  private check(): void {
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i];
      w.pattern.lastIndex = w.from;
      const m = w.pattern.exec(this.out);
      if (m) {
        this.waiters.splice(i--, 1);
        w.resolve(m);
      }
    }
  }

  /** Resolves with the first match of `pattern` in the output from offset `from` on. */
  waitFor(pattern: RegExp, from = 0): Promise<RegExpExecArray> {
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`${this.label} has exited; output ends:\n${this.tail()}`));
      this.waiters.push({ pattern: global, from, resolve, reject });
      this.check();
    });
  }

  /** Types a command line and waits for `answer` in the output that follows. */
  run(command: string, answer: RegExp): Promise<RegExpExecArray> {
    const from = this.out.length;
    this.child.stdin.write(command.endsWith('\n') ? command : command + '\n');
    return this.waitFor(answer, from);
  }

  /** Waits for the card (NET-OK from /init) and the shell prompt; returns the MAC the guest reports. */
  async ready(): Promise<string> {
    const net = await this.waitFor(/NET-OK (\S+) ([0-9a-f:]{17})|NET-MISSING/);
    if (!net[1]) throw new Error(`${this.label}: the guest found no network card; output ends:\n${this.tail()}`);
    // Without the BIOS's PCI interrupt routing (PIIX3 PIRQ registers, Interrupt Line) the card has no IRQ.
    if (/can't find IRQ for PCI INT/.test(this.out)) throw new Error(`${this.label}: the firmware gave the NE2000 no IRQ (PCI interrupt routing at POST); output ends:\n${this.tail()}`);
    // The shell comes after /init's storage listing; typing earlier lands in the middle of it, or is eaten
    // as the answer to the cursor-position query (ESC [6n) busybox's line editor sends with its prompt.
    const storage = await this.waitFor(/STORAGE-DONE/, net.index);
    await this.waitFor(/[#$] /, storage.index);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return net[2];
  }

  /** Runs busybox udhcpc against the room's router; returns the leased address. */
  async lease(): Promise<string> {
    const m = await this.run(DHCP_COMMAND, /LEASE (\d+\.\d+\.\d+\.\d+)|LEASE-FAILED/);
    if (!m[1]) throw new Error(`${this.label}: no DHCP lease; output ends:\n${this.tail()}`);
    return m[1];
  }

  kill(): void {
    if (!this.exited) this.child.kill();
  }
}

export interface TcpTransfer {
  bytes: number;
  /** Host wall-clock seconds from the sender's command to the receiver's checksum. */
  seconds: number;
  kilobytesPerSecond: number;
  /** The receiver's MD5 of what arrived equals the sender's MD5 of what it sent. */
  intact: boolean;
}

/**
 * Pipes `bytes` of random data from `sender` to `receiver` (at `receiverIp`) through busybox nc over TCP and
 * times it on the host. The data is made before the clock starts.
 */
export async function tcpTransfer(sender: NetGuest, receiver: NetGuest, receiverIp: string, bytes: number, port = 5001): Promise<TcpTransfer> {
  const made = await sender.run(`dd if=/dev/urandom of=/tmp/blob bs=1024 count=${Math.ceil(bytes / 1024)} 2> /dev/null; echo SUM $(md5sum < /tmp/blob)`, /SUM ([0-9a-f]{32})/);
  await receiver.run(`(nc -l -p ${port} > /tmp/in; echo "RECEIVED $(wc -c < /tmp/in) $(md5sum < /tmp/in)") & sleep 1; echo LISTEN""ING`, /LISTENING/);
  const from = receiver.out.length;
  const started = performance.now();
  await sender.run(`nc ${receiverIp} ${port} < /tmp/blob; echo SE""NT`, /SENT/);
  const got = await receiver.waitFor(/RECEIVED (\d+) ([0-9a-f]{32})/, from);
  const seconds = (performance.now() - started) / 1000;
  const size = Number(got[1]);
  return { bytes: size, seconds, kilobytesPerSecond: size / 1024 / seconds, intact: got[2] === made[1] && size === Math.ceil(bytes / 1024) * 1024 };
}
