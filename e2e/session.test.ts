import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay } from '../relay/index.js';
import { SESSION_DEMO_BANNER } from '../src/session/demo.js';
import { CHROMIUM, startApp } from './browser.js';

/**
 * Sessions end to end: real Chromium contexts (separate profiles, as separate people), the real relay for
 * signalling, real WebRTC on loopback. The host runs the session demo floppy (src/session/demo.ts).
 */

/** Chromium hides local addresses behind mDNS names by default; on a closed loopback there is no mDNS. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns'];

type Co86 = { screenText(): string; state(): { session: { id: number; holder: number; queue: number[]; dropped?: number; synced?: boolean } }; share(o: object): string; requestControl(): void };
type W = { co86: Co86 };

/** An FNV-1a hash of the page's screen canvas, as drawn. */
async function canvasHash(page: Page): Promise<string> {
  return page.evaluate(() => {
    const c = document.querySelector('canvas')!;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 0x811c9dc5;
    for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 16777619);
    return `${c.width}x${c.height}:${(h >>> 0).toString(16)}`;
  });
}

describe('a shared session in Chromium', () => {
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let app: Awaited<ReturnType<typeof startApp>>;
  let browser: Browser;
  let host: Page;
  let guests: Page[] = [];
  let link = '';
  const errors: string[] = [];

  const open = async (url: string): Promise<Page> => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    return page;
  };
  const text = (page: Page) => page.evaluate(() => (window as unknown as W).co86.screenText());
  const session = (page: Page) => page.evaluate(() => (window as unknown as W).co86.state().session);

  beforeAll(async () => {
    relay = await startRelay({ port: 0, log: () => {} });
    app = await startApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    const signal = `${relay.url.replace(/^http/, 'ws')}/signal`;
    host = await open(`${app.url}session/demo-page/index.html?signal=${encodeURIComponent(signal)}`);
    await host.waitForFunction((banner) => (window as unknown as W).co86?.screenText().includes(banner), SESSION_DEMO_BANNER, { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await relay?.close();
  });

  it('the host shares a link; two guests see the screen', async () => {
    link = await host.evaluate(() => (window as unknown as W).co86.share({ mode: 'turns', turnSeconds: 8 }));
    expect(link).toMatch(/#session=.*&secret=.*&host=\d+&key=/);
    guests = [await open(link), await open(link)];
    for (const g of guests) await g.waitForFunction((banner) => (window as unknown as W).co86?.screenText().includes(banner), SESSION_DEMO_BANNER, { timeout: 60_000 });
  });

  it('guest 1 takes a turn and types: the output shows on the host and both guests, pixel-identical', async () => {
    const [g1, g2] = guests;
    const id1 = (await session(g1)).id;
    await g1.evaluate(() => (window as unknown as W).co86.requestControl());
    await host.waitForFunction((id) => (window as unknown as W).co86.state().session.holder === id, id1, { timeout: 20_000 });
    await g1.click('canvas');
    await g1.keyboard.type('hello');
    await g1.keyboard.press('Enter');
    await host.waitForFunction(() => /> hello\n>/.test((window as unknown as W).co86.screenText()), undefined, { timeout: 20_000 });
    for (const g of [g1, g2]) await g.waitForFunction(() => /> hello\n>/.test((window as unknown as W).co86.screenText()), undefined, { timeout: 20_000 });
    expect(await text(g1)).toBe(await text(host));
    // Settled: the three canvases hold the same pixels (retry across the cursor's blink).
    let hashes: string[] = [];
    for (let attempt = 0; attempt < 40; attempt++) {
      hashes = await Promise.all([host, g1, g2].map(canvasHash));
      if (hashes.every((h) => h === hashes[0])) break;
      await host.waitForTimeout(50);
    }
    expect(hashes[0]).toMatch(/^720x400:/);
    expect(new Set(hashes).size).toBe(1);
  });

  it('guest 2, without control, types and nothing reaches the VM', async () => {
    const g2 = guests[1];
    const before = await text(host);
    await g2.click('canvas');
    await g2.keyboard.type('zzz');
    await host.waitForFunction(() => ((window as unknown as W).co86.state().session.dropped ?? 0) >= 6, undefined, { timeout: 10_000 });
    expect(await text(host)).toBe(before);
    expect(await text(host)).not.toContain('zzz');
  });

  it('a guest who joins late gets the current screen at once', async () => {
    const started = Date.now();
    const late = await open(link);
    guests.push(late);
    const expected = await text(host);
    await late.waitForFunction((t) => (window as unknown as W).co86?.screenText() === t, expected, { timeout: 15_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('the turn passes to the next in the queue when the timer ends', async () => {
    const [g1, g2] = guests;
    const id1 = (await session(g1)).id;
    const id2 = (await session(g2)).id;
    expect((await session(host)).holder).toBe(id1);
    await g2.evaluate(() => (window as unknown as W).co86.requestControl());
    await host.waitForFunction((id) => (window as unknown as W).co86.state().session.queue.includes(id), id2, { timeout: 10_000 });
    const queued = Date.now();
    await host.waitForFunction((id) => (window as unknown as W).co86.state().session.holder === id, id2, { timeout: 20_000 });
    const waited = Date.now() - queued;
    expect(waited).toBeGreaterThan(5_000); // the 8 s turn ran out (less the time guest 1 already held it)
    await g2.click('canvas');
    await g2.keyboard.type('ok');
    await host.waitForFunction(() => /> ok$/m.test((window as unknown as W).co86.screenText()), undefined, { timeout: 20_000 });
    expect(errors).toEqual([]);
  });
});
