import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayFixture } from './test-helpers.js';

let dir = '';
let site = '';
const fixture = relayFixture();

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'co86-relay-http-'));
  site = path.join(dir, 'site');
  mkdirSync(path.join(site, 'assets'), { recursive: true });
  mkdirSync(path.join(site, 'docs'));
  writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>co86</title>');
  writeFileSync(path.join(site, 'app.js'), 'console.log(1)');
  writeFileSync(path.join(site, 'style.css'), 'body{}');
  writeFileSync(path.join(site, 'core.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  writeFileSync(path.join(site, 'assets', 'index-abc123.js'), 'export {}');
  writeFileSync(path.join(site, 'docs', 'index.html'), 'docs');
  writeFileSync(path.join(site, '.env'), 'SECRET=1');
  writeFileSync(path.join(dir, 'outside.txt'), 'outside');
  symlinkSync(path.join(dir, 'outside.txt'), path.join(site, 'escape.txt'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A raw GET (or other method), so the path reaches the server exactly as written. */
function request(pathname: string, method = 'GET'): Promise<{ status: number; type: string; body: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(fixture.relay.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: pathname, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('relay HTTP', () => {
  it('serves the app with MIME types and caching headers', async () => {
    await fixture.start({ staticDir: site });
    const index = await request('/');
    expect(index).toMatchObject({ status: 200, body: '<!doctype html><title>co86</title>' });
    expect(index.type).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect((await request('/app.js')).type).toBe('text/javascript; charset=utf-8');
    expect((await request('/style.css')).type).toBe('text/css; charset=utf-8');
    const wasm = await request('/core.wasm');
    expect(wasm.type).toBe('application/wasm');
    expect(wasm.headers['content-length']).toBe('8');
    const asset = await request('/assets/index-abc123.js');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await request('/docs/')).body).toBe('docs');
    expect((await request('/docs')).body).toBe('docs');
    const head = await request('/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('14');
  });

  it('refuses traversal, dotfiles, symlinks out of the root, and unknown files', async () => {
    await fixture.start({ staticDir: site });
    for (const attempt of ['/../outside.txt', '/%2e%2e/outside.txt', '/..%2foutside.txt', '/docs/..%2f..%2foutside.txt', '/..\\outside.txt', '/.env', '/escape.txt', '/missing.js', '/%00', '/%zz']) {
      const response = await request(attempt);
      expect(response.status, attempt).toBe(404);
      expect(response.body).not.toContain('outside');
    }
    expect((await request('/app.js', 'POST')).status).toBe(405);
  });

  it('answers /healthz and /stats, and 404s everything without a static directory', async () => {
    await fixture.start();
    expect(await request('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    const stats = await request('/stats');
    expect(stats.type).toBe('application/json; charset=utf-8');
    const parsed = JSON.parse(stats.body) as Record<string, unknown>;
    for (const field of ['uptimeSeconds', 'rooms', 'clients', 'signalClients', 'framesIn', 'framesOut', 'bytesIn', 'bytesOut', 'macEntries', 'router', 'signal', 'drops']) {
      expect(parsed, field).toHaveProperty(field);
    }
    expect((await request('/')).status).toBe(404);
    expect((await request('/index.html')).status).toBe(404);
  });
});
