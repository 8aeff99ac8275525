import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay } from '../relay/index.js';
import { SESSION_DEMO_BANNER } from '../src/session/demo.js';
import { launchBrowser, settledCanvasHashes, startApp, WEBRTC_LOOPBACK } from './browser.js';

/**
 * Sessions end to end: real Chromium contexts (separate profiles, as separate people), the real relay for
 * signalling, real WebRTC on loopback. The host runs the session demo floppy (src/session/demo.ts).
 */

type Co86 = {
  screenText(): string;
  state(): {
    session: { id: number; holder: number; queue: number[]; dropped?: number; synced?: boolean; kicked?: boolean; participants: number; mouse?: { events: number; dx: number; dy: number; dz: number; buttonsSeen: number } };
  };
  share(o: object): string;
  requestControl(): void;
  kick(id: number): void;
};
type W = { co86: Co86 };

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
    browser = await launchBrowser(WEBRTC_LOOPBACK);
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
    expect(link).toMatch(/#session=.*&secret=.*&host=\d+&invite=\d+&key=/);
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
    const hashes = await settledCanvasHashes([host, g1, g2]);
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

  it('the holder\'s mouse (pointer lock on its screen) reaches the VM; a non-holder\'s does not', async () => {
    const [g1, g2] = guests; // g2 holds the turn now
    const mouse = async () => (await session(host)).mouse!;
    const droppedBefore = (await session(host)).dropped ?? 0;
    // Guest 1 has no control: its button is disabled, and a forced capture and moves change nothing.
    // (The panel re-renders every 250 ms, so it may show the turn that just passed for a moment.)
    await g1.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === 'Capture mouse' && b.disabled), undefined, { timeout: 5_000 });
    await g1.evaluate(() => document.querySelector('canvas')!.requestPointerLock());
    await g1.mouse.move(100, 100);
    await g1.mouse.move(140, 120);
    await g1.mouse.down();
    await g1.mouse.up();
    await g1.waitForTimeout(500);
    expect(await mouse()).toMatchObject({ events: 0, dx: 0, dy: 0 });
    if (await g1.evaluate(() => document.pointerLockElement !== null)) expect((await session(host)).dropped).toBeGreaterThan(droppedBefore);
    // Guest 2 holds control: capture, move right and up, click, wheel.
    await g2.click('button:text-is("Capture mouse")');
    await g2.waitForFunction(() => document.pointerLockElement === document.querySelector('canvas'), undefined, { timeout: 5_000 });
    await g2.mouse.move(100, 100);
    await g2.waitForTimeout(500); // that first move (from wherever the pointer was) has arrived
    const start = await mouse();
    await g2.mouse.move(130, 90);
    await g2.mouse.move(160, 80);
    await g2.mouse.down();
    await g2.mouse.up();
    await g2.mouse.wheel(0, 120);
    await host.waitForFunction(() => ((window as unknown as W).co86.state().session.mouse?.dz ?? 0) >= 1, undefined, { timeout: 10_000 });
    const end = await mouse();
    expect(end.dx - start.dx).toBe(60);
    expect(end.dy - start.dy).toBe(-20);
    expect(end.buttonsSeen & 1).toBe(1);
    expect(end.events - start.events).toBeLessThanOrEqual(8); // batched, not one per DOM event
    expect(errors).toEqual([]);
  });

  it('a kick bans the link: reopened under a new client id it admits nobody; other guests stay', async () => {
    const single = await host.evaluate(() => (window as unknown as W).co86.share({ single: true }));
    expect(single).not.toBe(link);
    const k = await open(single);
    await k.waitForFunction((banner) => (window as unknown as W).co86?.screenText().includes(banner), SESSION_DEMO_BANNER, { timeout: 30_000 });
    const before = (await session(host)).participants;
    const id = (await session(k)).id;
    await host.evaluate((i) => (window as unknown as W).co86.kick(i), id);
    await k.waitForFunction(() => (window as unknown as W).co86.state().session.kicked === true, undefined, { timeout: 10_000 });
    expect((await session(host)).participants).toBe(before - 1);
    await k.context().close();
    const again = await open(single);
    const againId = await again.evaluate(() => (window as unknown as W).co86.state().session.id);
    await again.waitForTimeout(5_000); // long enough to be admitted and get the screen, were it allowed
    expect(await again.evaluate(() => (window as unknown as W).co86.screenText())).toBe('');
    expect((await session(host)).participants).toBe(before - 1);
    expect(await host.evaluate((i) => (window as unknown as W).co86.state().session.queue.includes(i), againId)).toBe(false);
    // The guests on the other link carry on.
    expect((await session(guests[0])).kicked).toBe(false);
    expect(await text(guests[0])).toBe(await text(host));
    expect(errors).toEqual([]);
  });
});
