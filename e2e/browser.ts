import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

/** Debian's Chromium: Playwright cannot download its own browser here (scripts/setup.sh installs it). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a closed network: without them Chromium keeps trying to reach Google's services. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Chromium hides local addresses behind mDNS names by default; on a closed loopback there is no mDNS. */
export const WEBRTC_LOOPBACK = ['--disable-features=WebRtcHideLocalIpsWithMdns'];

export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...extraArgs] });
}

/** An FNV-1a hash of a canvas's pixels as drawn (its own resolution, not its CSS size). */
export async function canvasHash(page: Page, selector = 'canvas'): Promise<string> {
  return page.evaluate((sel) => {
    const c = document.querySelector<HTMLCanvasElement>(sel)!;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 0x811c9dc5;
    for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 16777619);
    return `${c.width}x${c.height}:${(h >>> 0).toString(16)}`;
  }, selector);
}

/** Hashes of the pages' canvases once they agree (a blinking cursor can differ for a moment), or the last ones. */
export async function settledCanvasHashes(pages: Page[], selector = 'canvas', attempts = 60): Promise<string[]> {
  let hashes: string[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    hashes = await Promise.all(pages.map((p) => canvasHash(p, selector)));
    if (hashes.every((h) => h === hashes[0])) break;
    await pages[0].waitForTimeout(50);
  }
  return hashes;
}

/** The app as `npm run dev` serves it, on an ephemeral port. */
export async function startApp(): Promise<{ url: string; close(): Promise<void> }> {
  const server: ViteDevServer = await createServer({ configFile: 'vite.config.ts', server: { port: 0, strictPort: false, host: '127.0.0.1' }, logLevel: 'warn' });
  await server.listen();
  const address = server.httpServer!.address();
  if (!address || typeof address === 'string') throw new Error('vite did not report a port');
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}

/**
 * The app as `npm start` serves it: a production build (into a temporary folder, so a running `npm start`
 * keeps its dist/) behind the real app server — the guest images under /images/ and the relay.
 */
export async function startBuiltApp(): Promise<{ url: string; distDir: string; close(): Promise<void> }> {
  const { build } = await import('vite');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join, resolve } = await import('node:path');
  const { startAppServer } = await import('../scripts/server.js');
  const distDir = await mkdtemp(join(tmpdir(), 'co86-e2e-dist-'));
  await build({ configFile: 'vite.config.ts', root: resolve('src'), logLevel: 'warn', build: { outDir: distDir, emptyOutDir: true } });
  const server = await startAppServer({ port: 0, host: '127.0.0.1', distDir, log: () => {} });
  return {
    url: server.url,
    distDir,
    close: async () => {
      await server.close();
      await rm(distDir, { recursive: true, force: true });
    },
  };
}

/** Keys for typing text on a US layout: Playwright's keyboard.type sends no Shift, and the guest needs it. */
const SHIFTED: Record<string, string> = {
  '!': 'Digit1', '@': 'Digit2', '#': 'Digit3', $: 'Digit4', '%': 'Digit5', '^': 'Digit6', '&': 'Digit7', '*': 'Digit8',
  '(': 'Digit9', ')': 'Digit0', _: 'Minus', '+': 'Equal', '{': 'BracketLeft', '}': 'BracketRight', '|': 'Backslash',
  ':': 'Semicolon', '"': 'Quote', '<': 'Comma', '>': 'Period', '?': 'Slash', '~': 'Backquote',
};
const PLAIN: Record<string, string> = {
  ' ': 'Space', '-': 'Minus', '=': 'Equal', '[': 'BracketLeft', ']': 'BracketRight', '\\': 'Backslash', ';': 'Semicolon',
  "'": 'Quote', ',': 'Comma', '.': 'Period', '/': 'Slash', '`': 'Backquote', '\n': 'Enter',
};

/** The key presses (Playwright `press` names) that type `text` on a US keyboard. */
export function keyPresses(text: string): string[] {
  return [...text].map((ch) => {
    if (/[a-z]/.test(ch)) return `Key${ch.toUpperCase()}`;
    if (/[A-Z]/.test(ch)) return `Shift+Key${ch}`;
    if (/[0-9]/.test(ch)) return `Digit${ch}`;
    if (SHIFTED[ch]) return `Shift+${SHIFTED[ch]}`;
    if (PLAIN[ch]) return PLAIN[ch];
    throw new Error(`no key for ${JSON.stringify(ch)}`);
  });
}
