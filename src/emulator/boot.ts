import { createBios } from '../../bios/index.js';
import { describeKernel, loadKernel, Machine, type BlockDevice, type KernelOptions } from '../../core/index.js';
import { FileSource, HttpSource, LazyDisk } from './lazy-disk.js';
import { OverlayStore } from './overlay-store.js';
import type { BootRequest, DiskDrive } from './messages.js';
import type { SnapshotBoot } from './snapshot-file.js';

/** The default VM's kernel command line: shells on the serial console and on the screen (images/init.sh). */
export const DEFAULT_CMDLINE = 'console=tty0 console=ttyS0 cryptomgr.notests';
/** Where the app serves the guest images (scripts/start.mjs, vite.config.ts). */
export const IMAGES_PATH = 'images/';

export interface Progress {
  (detail: string, fraction?: number): void;
}

export interface BuiltMachine {
  machine: Machine;
  /** What a snapshot records to rebuild this machine. */
  boot: SnapshotBoot;
  /** The disk whose writes the user can download, when the guest has one. */
  disk?: LazyDisk;
  /** One line for the status bar: what was booted. */
  summary: string;
  /** Counts bytes fetched lazily (for the status bar). */
  lazyBytes: () => number;
}

/** Builds the machine a BootRequest asks for. Throws an Error whose message is meant for the user. */
export async function buildMachine(request: BootRequest, progress: Progress, onStoreError: (message: string) => void = () => {}): Promise<BuiltMachine> {
  const memoryMB = request.memoryMB;
  const source = request.source;
  let lazyBytes = 0;
  const counted = (n: number) => (lazyBytes += n);

  if (source.kind === 'default' || source.kind === 'kernel') {
    let kernel: Uint8Array;
    let initrd: Uint8Array | undefined;
    let cmdline: string;
    let name: string;
    if (source.kind === 'default') {
      const images = new URL(IMAGES_PATH, request.baseUrl);
      kernel = await download(new URL('vmlinuz', images).href, 'the Linux kernel', progress, 0, 0.8);
      initrd = await download(new URL('initrd.gz', images).href, 'the initrd', progress, 0.8, 1);
      cmdline = DEFAULT_CMDLINE;
      name = 'the Debian guest';
    } else {
      progress('reading the kernel', 0);
      kernel = new Uint8Array(await source.kernel.arrayBuffer());
      initrd = source.initrd ? new Uint8Array(await source.initrd.arrayBuffer()) : undefined;
      cmdline = source.cmdline;
      name = source.name;
    }
    const machine = newMachine(memoryMB, {}, request.network !== undefined);
    const options: KernelOptions = { kernel, initrd, cmdline, kernelName: name };
    let info;
    try {
      info = loadKernel(machine, options);
    } catch (e) {
      throw new Error(`${name} cannot be booted: ${(e as Error).message}`);
    }
    // A reboot of the guest goes back through the firmware; a direct boot means loading the kernel again.
    machine.onReset = () => loadKernel(machine, options);
    const boot: SnapshotBoot = source.kind === 'default' ? { kind: 'default' } : { kind: 'local', name: source.name };
    const version = info.version?.split(' ')[0];
    progress(describeKernel(info));
    return { machine, boot, summary: `${name} (${info.kind === 'linux' ? `Linux ${version ?? ''}`.trim() : info.protocol})`, lazyBytes: () => lazyBytes };
  }

  const { drive, image, name } = source;
  progress(`opening ${name}`, 0);
  const rangeSource = typeof image === 'string' ? await HttpSource.open(image, counted) : new FileSource(image);
  const disk = new LazyDisk(rangeSource, drive === 'cdrom');
  await checkImage(disk, drive, name);
  let kept = '';
  if (drive !== 'cdrom') {
    // Earlier writes to this image come back from the browser's storage (the image itself is never changed).
    const store = await OverlayStore.open(`${name}:${disk.size}`);
    if (store) {
      store.onError = onStoreError;
      if (source.fresh) await store.clear();
      const restored = await store.attach(disk);
      if (restored) kept = `, with ${(restored / 1024).toFixed(0)} KiB of earlier writes`;
    }
  }
  const slot: Partial<Record<'floppies' | 'hardDisks' | 'cdroms', BlockDevice[]>> =
    drive === 'floppy' ? { floppies: [disk] } : drive === 'hdd' ? { hardDisks: [disk] } : { cdroms: [disk] };
  const machine = newMachine(memoryMB, slot, request.network !== undefined);
  const boot: SnapshotBoot = typeof image === 'string' ? { kind: 'url', drive, url: image } : { kind: 'local', name };
  return { machine, boot, disk: drive === 'cdrom' ? undefined : disk, summary: `${name} as ${DRIVE_NAMES[drive]}${kept}`, lazyBytes: () => lazyBytes };
}

const DRIVE_NAMES: Record<DiskDrive, string> = { floppy: 'floppy A:', hdd: 'hard disk C:', cdrom: 'CD-ROM' };

function newMachine(memoryMB: number, disks: { floppies?: BlockDevice[]; hardDisks?: BlockDevice[]; cdroms?: BlockDevice[] }, network: boolean): Machine {
  try {
    return new Machine({ memoryMB, firmware: createBios(), ...disks, nic: network ? {} : undefined });
  } catch (e) {
    if (e instanceof RangeError || /memory/i.test(String((e as Error).message))) {
      throw new Error(`The browser would not give the VM ${memoryMB} MiB of memory. Try a smaller memory size.`);
    }
    throw e;
  }
}

/** Refuses, in words, files that cannot be the kind of disk they were opened as. */
async function checkImage(disk: LazyDisk, drive: DiskDrive, name: string): Promise<void> {
  const size = disk.size;
  if (size < 512 || size % 512 !== 0) throw new Error(`${name} is not a disk image: its size (${size} bytes) is not a whole number of 512-byte sectors.`);
  if (drive === 'cdrom') {
    if (size < 0x8800) throw new Error(`${name} is not a CD image: it is too small to hold an ISO 9660 volume.`);
    const descriptor = new Uint8Array(6);
    await disk.read(0x8000, descriptor);
    if (new TextDecoder().decode(descriptor.subarray(1)) !== 'CD001') throw new Error(`${name} is not a CD image: it has no ISO 9660 volume descriptor.`);
    return;
  }
  if (drive === 'floppy' && size > 2_949_120) throw new Error(`${name} is too big for a floppy (${size} bytes; 2.88 MB at most). Open it as a hard disk.`);
  const boot = new Uint8Array(512);
  await disk.read(0, boot);
  if (boot[510] !== 0x55 || boot[511] !== 0xaa) throw new Error(`${name} is not a bootable disk image: its first sector has no boot signature (55 AA).`);
}

/** Fetches a whole file, reporting progress between `from` and `to`. */
async function download(url: string, what: string, progress: Progress, from: number, to: number): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new Error(`Could not download ${what} from ${url}: the server is not reachable.`);
  }
  if (response.status === 404) throw new Error(`The server has no ${what} at ${url} (404). Start the app with \`npm start\`, which builds the guest images.`);
  if (!response.ok || !response.body) throw new Error(`Could not download ${what} from ${url} (HTTP ${response.status}).`);
  if (/^text\/html/i.test(response.headers.get('Content-Type') ?? '')) {
    await response.body.cancel();
    throw new Error(`The server answered ${url} with a web page, not ${what}: the guest images are not served here. Start the app with \`npm start\`.`);
  }
  const total = Number(response.headers.get('Content-Length')) || 0;
  const parts: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.length;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    progress(`downloading ${what} (${mb(received)}${total ? ` of ${mb(total)}` : ''} MB)`, total ? from + ((to - from) * received) / total : undefined);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
