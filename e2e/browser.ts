import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

/** Debian's Chromium: Playwright cannot download its own browser here (scripts/setup.sh installs it). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a closed network: without them Chromium keeps trying to reach Google's services. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** The app as `npm run dev` serves it, on an ephemeral port. */
export async function startApp(): Promise<{ url: string; close(): Promise<void> }> {
  const server: ViteDevServer = await createServer({ configFile: 'vite.config.ts', server: { port: 0, strictPort: false, host: '127.0.0.1' }, logLevel: 'warn' });
  await server.listen();
  const address = server.httpServer!.address();
  if (!address || typeof address === 'string') throw new Error('vite did not report a port');
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}
