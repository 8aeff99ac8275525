import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ensureGuestImages } from '../images/guest.js';
import { startAppServer, type AppServer } from '../scripts/server.js';

/** The `npm start` server without the build: static app, /images/ with ranges, and the relay behind it. */
describe('the app server', () => {
  let server: AppServer;
  let dist: string;
  let kernel: Buffer;

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'co86-app-server-'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>co86 test</title>');
    kernel = await readFile((await ensureGuestImages()).kernel);
    server = await startAppServer({ port: 0, host: '127.0.0.1', distDir: dist, log: () => {} });
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  it('serves the app through the relay', async () => {
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('co86 test');
    expect((await fetch(new URL('healthz', server.url))).status).toBe(200);
  });

  it('serves the guest images whole and by range', async () => {
    const whole = await fetch(new URL('images/vmlinuz', server.url));
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(kernel)).toBe(true);
    const part = await fetch(new URL('images/vmlinuz', server.url), { headers: { Range: 'bytes=514-' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 514-${kernel.length - 1}/${kernel.length}`);
    const middle = await fetch(new URL('images/vmlinuz', server.url), { headers: { Range: 'bytes=514-517' } });
    expect(Buffer.from(await middle.arrayBuffer()).toString('latin1')).toBe('HdrS');
    const suffix = await fetch(new URL('images/vmlinuz', server.url), { headers: { Range: 'bytes=-2' } });
    expect([...new Uint8Array(await suffix.arrayBuffer())]).toEqual([...kernel.subarray(kernel.length - 2)]);
  });

  it('answers bad ranges and unknown files with the right status', async () => {
    const past = await fetch(new URL('images/vmlinuz', server.url), { headers: { Range: `bytes=${kernel.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${kernel.length}`);
    expect((await fetch(new URL('images/vmlinuz', server.url), { headers: { Range: 'bytes=5-2' } })).status).toBe(416);
    expect((await fetch(new URL('images/SHA256SUMS', server.url))).status).toBe(404);
    expect((await fetch(new URL('images/..%2Fguest.ts', server.url))).status).toBe(404);
  });

  it('passes WebSockets through to the relay (a /net room)', async () => {
    const ws = new WebSocket(new URL('net/app-server-test', server.url.replace('http', 'ws')));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
    const stats = (await (await fetch(new URL('stats', server.url))).json()) as Record<string, unknown>;
    expect(stats).toBeTypeOf('object');
  });
});
