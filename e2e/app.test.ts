import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_BANNER } from '../src/emulator/demo-disk.js';
import { launchBrowser, startApp } from './browser.js';

declare global {
  interface Window {
    co86: { screenText(): string; state(): Record<string, unknown> };
  }
}

describe('the app in Chromium', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startApp();
    browser = await launchBrowser();
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.url);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('boots the default VM: the demo floppy greets on the screen', async () => {
    await page.waitForFunction((banner) => window.co86?.screenText().includes(banner), DEMO_BANNER, { timeout: 60_000 });
    const state = await page.evaluate(() => window.co86.state());
    expect(state.running).toBe(true);
    expect(state.role).toBe('host');
  });

  it('takes typed keys through the PS/2 keyboard and the BIOS', async () => {
    await page.click('.screen');
    await page.keyboard.type('hello co86');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /> hello co86\n>/.test(window.co86.screenText()), undefined, { timeout: 20_000 });
  });

  it('shows the screen: not blank, light text on the black screen area', async () => {
    const shot = await page.locator('.screen').screenshot();
    const { bright, total } = await page.evaluate(async (png) => {
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(png)], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      let bright = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 300) bright++;
      return { bright, total: data.length / 4 };
    }, [...shot]);
    expect(bright).toBeGreaterThan(200); // glyphs of the banner and the echoed text
    expect(bright / total).toBeLessThan(0.2); // and mostly the black screen
  });
});
