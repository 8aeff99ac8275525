import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_BANNER } from '../src/emulator/demo-disk.js';
import type {} from '../src/ui/page-handle.js';
import { keyPresses, launchBrowser, startBuiltApp } from './browser.js';

/** The Debian guest's boot under load (8 processes on 2 cores) can take several minutes. */
const LINUX_BOOT_MS = 900_000;

let app: Awaited<ReturnType<typeof startBuiltApp>>;
let browser: Browser;
let files: string;

beforeAll(async () => {
  app = await startBuiltApp();
  browser = await launchBrowser();
  files = await mkdtemp(join(tmpdir(), 'co86-e2e-files-'));
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (files) await rm(files, { recursive: true, force: true });
});

async function typeOn(page: Page, text: string): Promise<void> {
  await page.click('canvas.screen');
  for (const key of keyPresses(text)) await page.keyboard.press(key);
}

const screenMatches = (page: Page, pattern: RegExp, timeout: number) =>
  page.waitForFunction((source) => new RegExp(source, 'm').test(window.co86?.screenText() ?? ''), pattern.source, { timeout, polling: 250 });

async function errorText(page: Page): Promise<string> {
  await page.locator('.error').waitFor({ timeout: 60_000 });
  return (await page.locator('.error').textContent()) ?? '';
}

/** Fraction of bright pixels in a PNG of the screen, computed in the page. */
async function brightness(page: Page, png: Buffer): Promise<{ bright: number; total: number; width: number; height: number }> {
  return page.evaluate(async (bytes) => {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let bright = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 300) bright++;
    return { bright, total: data.length / 4, width: bitmap.width, height: bitmap.height };
  }, [...png]);
}

describe('the built app', () => {
  it('keeps the emulator (and binaryen) out of the page: only the Worker loads them', async () => {
    const assets = join(app.distDir, 'assets');
    const chunks = (await readdir(assets)).filter((name) => name.endsWith('.js'));
    const workers = chunks.filter((name) => name.startsWith('worker'));
    expect(workers.length).toBe(1);
    const read = (name: string) => readFile(join(assets, name), 'utf8');
    const references = (text: string) => chunks.filter((name) => text.includes(name));
    // The page's chunks: index.html's entry and what it imports, statically or lazily — not the Worker's.
    const html = await readFile(join(app.distDir, 'index.html'), 'utf8');
    const reachable = async (from: string[], stop: string[]) => {
      const found = new Set(from);
      for (const name of found) for (const next of references(await read(name))) if (!stop.includes(next)) found.add(next);
      return found;
    };
    const page = await reachable(references(html), workers);
    expect(page.size).toBeGreaterThan(0);
    for (const name of page) {
      const text = await read(name);
      expect(text).not.toMatch(/binaryen/i);
      expect(text).not.toContain('runSlice');
    }
    // Everything else (binaryen's chunk, when the JIT is built in) is loaded by the Worker.
    const worker = await reachable(workers, []);
    expect(chunks.filter((n) => !page.has(n) && !worker.has(n))).toEqual([]);
  });
});

describe('the app in Chromium: boot choices and bad input', () => {
  let page: Page;
  beforeAll(async () => {
    page = await browser.newPage();
    await page.goto(app.url);
  });

  it('boots a floppy chosen as a local file and takes typed keys', async () => {
    const { demoFloppy } = await import('../src/emulator/demo-disk.js');
    const floppy = join(files, 'demo.img');
    await writeFile(floppy, demoFloppy());
    await page.click('text=Boot…');
    await page.setInputFiles('input[aria-label="image file"]', floppy);
    expect(await page.inputValue('select[aria-label="boot the file as"]')).toBe('floppy');
    await page.click('text=Boot the file');
    await page.waitForFunction((banner) => window.co86?.screenText().includes(banner), DEMO_BANNER, { timeout: 60_000 });
    await typeOn(page, 'hello co86\n');
    await screenMatches(page, /> hello co86\n>/, 30_000);
    expect(await page.evaluate(() => window.co86.state())).toMatchObject({ running: true, role: 'host', mode: 'text 80x25' });
  });

  it('says so in words when a URL is not there', async () => {
    await page.click('text=Boot…');
    await page.fill('input[aria-label="image URL"]', '/images/no-such-disk.img');
    await page.click('text=Boot the URL');
    expect(await errorText(page)).toMatch(/no image at .*no-such-disk\.img.*404/);
    await page.click('text=Dismiss');
  });

  it('refuses a file that is no disk image', async () => {
    const junk = join(files, 'notes.txt');
    await writeFile(junk, 'these are my notes, not a disk\n'.repeat(40));
    await page.click('text=Boot…');
    await page.setInputFiles('input[aria-label="image file"]', junk);
    await page.selectOption('select[aria-label="boot the file as"]', 'hdd');
    await page.click('text=Boot the file');
    expect(await errorText(page)).toMatch(/notes\.txt is not .*disk image/);
    await page.click('text=Dismiss');
  });

  it('refuses a snapshot from another version, and a file that is no snapshot', async () => {
    const header = Buffer.alloc(16);
    header.write('CO86SNAP');
    header.writeUInt32LE(99, 8);
    const future = join(files, 'future.co86');
    await writeFile(future, gzipSync(header));
    await page.setInputFiles('input[aria-label="snapshot file"]', future);
    expect(await errorText(page)).toMatch(/another version of co86/);
    await page.click('text=Dismiss');
    const junk = join(files, 'junk.co86');
    await writeFile(junk, 'not a snapshot');
    await page.setInputFiles('input[aria-label="snapshot file"]', junk);
    expect(await errorText(page)).toMatch(/not a co86 snapshot/);
  });

  it('reads an image from a URL lazily, with range requests', async () => {
    await page.click('text=Dismiss');
    await page.click('text=Boot…');
    await page.fill('input[aria-label="image URL"]', '/images/co86.iso');
    await page.selectOption('select[aria-label="boot the URL as"]', 'hdd');
    await page.click('text=Boot the URL');
    // isohybrid: the ISO has an MBR, so it boots as a hard disk; only the sectors read are fetched.
    await page.waitForFunction(() => /MB fetched/.test(document.querySelector('.status')?.textContent ?? ''), undefined, { timeout: 60_000 });
    const status = (await page.locator('.status').textContent()) ?? '';
    const fetched = Number(/([\d.]+) MB fetched/.exec(status)?.[1]);
    expect(fetched).toBeGreaterThan(0);
    expect(fetched).toBeLessThan(8); // less than the whole 8 MB image
  });
});

describe('the app in Chromium: the default VM (the Debian guest)', () => {
  let page: Page;
  beforeAll(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(app.url);
  });

  it(
    'boots to BOOT-OK on the page screen with no click',
    async () => {
      await screenMatches(page, /BOOT-OK/, LINUX_BOOT_MS);
      expect(await page.evaluate(() => window.co86.state())).toMatchObject({ running: true, role: 'host' });
      // The JIT runs in the Worker too: binaryen loaded there, and the kernel's hot code ran compiled.
      await page.waitForFunction(() => (window.co86.state().jit?.instructions ?? 0) > 1e6, undefined, { timeout: 10_000 });
      expect(await page.evaluate(() => window.co86.state().jit)).toMatchObject({ failures: 0 });
    },
    LINUX_BOOT_MS + 10_000,
  );

  it('runs what is typed on the canvas: echo $((6*7)) shows 42', async () => {
    // /init loads drivers after BOOT-OK, then starts the shell on tty1: wait for its prompt.
    await screenMatches(page, /^\/ #$/, LINUX_BOOT_MS);
    await typeOn(page, 'echo $((6*7))\n');
    await screenMatches(page, /^42$/, 180_000);
  }, LINUX_BOOT_MS + 200_000);

  it('shows the screen: not blank, light text on black', async () => {
    const shot = await page.locator('canvas.screen').screenshot();
    await writeFile(join(tmpdir(), 'co86-e2e-screen.png'), shot);
    await page.screenshot({ path: join(tmpdir(), 'co86-e2e-page.png') }); // the whole page, for a human look
    const { bright, total, width, height } = await brightness(page, shot);
    expect(width).toBeGreaterThanOrEqual(720);
    expect(height).toBeGreaterThanOrEqual(400);
    expect(bright).toBeGreaterThan(500); // the kernel's messages and the shell
    expect(bright / total).toBeLessThan(0.3); // on a mostly black screen
  });

  it(
    'saves the machine, and after a reload restores it where it was',
    async () => {
      await page.click('button:text-is("Save")');
      await page.locator('.notice', { hasText: 'Saved the machine in this browser' }).waitFor({ timeout: 120_000 });
      await page.reload();
      await page.locator('button:text-is("Restore"):not([disabled])').waitFor({ timeout: 30_000 });
      await page.click('button:text-is("Restore")');
      // The restored screen still has the earlier command and its answer, before any new boot could print them.
      await screenMatches(page, /echo \$\(\(6\*7\)\)\n42$/, 180_000);
      await typeOn(page, 'echo $((7*8))\n');
      await screenMatches(page, /^56$/, 180_000);
    },
    600_000,
  );
});
