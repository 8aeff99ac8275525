/**
 * The Linux test guest for boot tests, the benchmark and the web app: `ensureGuestImages()` returns the
 * paths of the kernel, initrd and ISO built by `images/build.sh`, running the script first when an
 * output is missing or older than the script's sources.
 *
 * Parallel callers (Vitest workers are separate processes) are serialised by the script itself: it
 * holds `flock OUTDIR/.lock` for the whole build, and a caller that waited finds the work done (the
 * script then only checks the outputs, in ~3 s). Node APIs only, so any Node entry point can use it.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GuestImages {
  /** the output folder (absolute): images/out, or $CO86_IMAGES_DIR */
  dir: string;
  /** i386 bzImage (Debian linux-image-6.1.0-*-686-unsigned) */
  kernel: string;
  /** gzip'd newc initramfs: busybox, ne2k-pci, the IDE/ATAPI storage, floppy and PS/2 mouse modules, /bin/bench, /init */
  initrd: string;
  /** isolinux El Torito ISO with an isohybrid MBR (boots as a CD and as a hard disk) */
  iso: string;
}

const imagesDir = dirname(fileURLToPath(import.meta.url));
const buildScript = join(imagesDir, 'build.sh');
/** what build.sh reads from this folder: when one changes, the outputs are stale */
const sources = ['build.sh', 'init.sh', 'bench.c'];
/** written last by a complete build, and touched by a run that found nothing to do */
const completeMarker = '.inputs';
/** lines of the script's output kept for the error message */
const keptLines = 60;

/** The paths of the guest images, building them first (once, under a lock) when missing or stale. */
export async function ensureGuestImages(): Promise<GuestImages> {
  const dir = resolve(process.env.CO86_IMAGES_DIR ?? join(imagesDir, 'out'));
  const images: GuestImages = {
    dir,
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.gz'),
    iso: join(dir, 'co86.iso'),
  };
  if (isUpToDate(images)) return images;
  await runBuild(dir);
  if (!isUpToDate(images)) throw new Error(`images/build.sh finished but ${dir} is still incomplete`);
  return images;
}

function mtimeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function isUpToDate(images: GuestImages): boolean {
  const built = mtimeMs(join(images.dir, completeMarker));
  if (built === undefined) return false;
  for (const output of [images.kernel, images.initrd, images.iso]) {
    if (mtimeMs(output) === undefined) return false;
  }
  return sources.every((source) => (mtimeMs(join(imagesDir, source)) ?? Infinity) <= built);
}

/** Runs build.sh; its progress lines ("== ...") go to stderr, the rest is kept for a failure report. */
function runBuild(dir: string): Promise<void> {
  process.stderr.write(`co86: guest images in ${dir} missing or older than images/*; running images/build.sh (~1 min the first time)\n`);
  return new Promise((resolveBuild, rejectBuild) => {
    const child = spawn('bash', [buildScript, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let partial = '';
    const onData = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('== ') || line.startsWith('images/build.sh:')) process.stderr.write(`co86: ${line}\n`);
        tail.push(line);
        if (tail.length > keptLines) tail.shift();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => rejectBuild(new Error(`cannot run images/build.sh: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (partial) tail.push(partial);
      if (code === 0) resolveBuild();
      else rejectBuild(new Error(`images/build.sh ${dir} failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}
