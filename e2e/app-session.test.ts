import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {} from '../src/ui/page-handle.js';
import { keyPresses, launchBrowser, settledCanvasHashes, startBuiltApp, WEBRTC_LOOPBACK } from './browser.js';

/**
 * Sharing from the real app page: the host boots the default VM (the Debian guest, in the Worker) as a user
 * would, shares it, and a guest — the real app opened from the link, in its own browser context — takes
 * control and types. One Linux boot; everything after it takes seconds.
 */

/** The Debian guest's boot under load can take several minutes (see e2e/app.test.ts). */
const LINUX_BOOT_MS = 900_000;

type SessionInfo = { id: number; holder: number; queue: number[]; participants: number; synced?: boolean };
type W = { co86: { share(o: object): string; requestControl(): void; session(): SessionInfo } };

let app: Awaited<ReturnType<typeof startBuiltApp>>;
let browser: Browser;
let host: Page;
let guest: Page;
const errors: string[] = [];

const screenMatches = (page: Page, pattern: RegExp, timeout: number) =>
  page.waitForFunction((source) => new RegExp(source, 'm').test(window.co86?.screenText() ?? ''), pattern.source, { timeout, polling: 250 });

async function open(url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return page;
}

beforeAll(async () => {
  app = await startBuiltApp();
  browser = await launchBrowser(WEBRTC_LOOPBACK);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('sharing the app page\'s VM (the Debian guest)', () => {
  it(
    'the host boots the default VM and shares it; a guest opens the link and sees the shell',
    async () => {
      host = await open(app.url);
      // /init loads drivers after BOOT-OK, then starts the shell on tty1: wait for its prompt.
      await screenMatches(host, /^\/ #$/, LINUX_BOOT_MS);
      const link = await host.evaluate(() => (window as unknown as W).co86.share({ mode: 'turns' }));
      expect(link.startsWith(app.url)).toBe(true);
      expect(link).toMatch(/#session=.*&secret=.*&host=\d+&invite=\d+&key=/);
      guest = await open(link);
      await screenMatches(guest, /^\/ #$/, 60_000);
      expect(await guest.locator('h1').textContent()).toContain('shared session');
      // Both count the same two participants.
      await host.waitForFunction(() => window.co86.state().peers === 2, undefined, { timeout: 30_000 });
      await guest.waitForFunction(() => window.co86.state().peers === 2, undefined, { timeout: 30_000 });
    },
    LINUX_BOOT_MS + 120_000,
  );

  it('the guest takes control and types echo $((6*7)): 42 on the host and the guest, same pixels', async () => {
    const id = await guest.evaluate(() => (window as unknown as W).co86.session().id);
    await guest.evaluate(() => (window as unknown as W).co86.requestControl());
    await host.waitForFunction((g) => (window as unknown as W).co86.session().holder === g, id, { timeout: 30_000 });
    await guest.click('canvas.screen');
    for (const key of keyPresses('echo $((6*7))\n')) await guest.keyboard.press(key);
    await screenMatches(host, /^42$/, 120_000);
    await screenMatches(guest, /^42$/, 30_000);
    await guest.waitForFunction((t) => window.co86.screenText() === t, await host.evaluate(() => window.co86.screenText()), { timeout: 30_000 });
    // Colours and cursor too: the guest's cells and cursor are the host's.
    const cells = () => Promise.all([host, guest].map((p) => p.evaluate(() => window.co86.screenCells())));
    let [hostCells, guestCells] = await cells();
    for (let attempt = 0; attempt < 20 && JSON.stringify(guestCells) !== JSON.stringify(hostCells); attempt++) {
      await host.waitForTimeout(100);
      [hostCells, guestCells] = await cells();
    }
    expect(hostCells?.cols).toBe(80);
    expect(guestCells).toEqual(hostCells);
    expect(new Set(hostCells!.cells.map((c) => c >> 8)).size).toBeGreaterThan(0);
    // Settled: the canvases hold the same pixels (retry across the cursor's blink).
    const hashes = await settledCanvasHashes([host, guest], 'canvas.screen');
    expect(hashes[0]).toMatch(/^720x400:/);
    expect(hashes[1]).toBe(hashes[0]);
    expect(errors).toEqual([]);
  }, 240_000);
});
