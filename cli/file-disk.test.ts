import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RangeBlockDevice } from '../core/index.js';
import { FileBlockDevice, httpRangeSource, openDiskImage } from './file-disk.js';

const image = new Uint8Array(300_000);
for (let i = 0; i < image.length; i++) image[i] = (i * 7 + (i >>> 9)) & 0xff;
const dir = mkdtempSync(join(tmpdir(), 'co86-disk-'));
const file = join(dir, 'disk.img');
writeFileSync(file, image);

describe('file-backed disks', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads with positional reads and refuses reads past the end', () => {
    const disk = new FileBlockDevice(file);
    expect(disk.size).toBe(image.length);
    const out = new Uint8Array(4096);
    disk.read(100_000, out);
    expect(out.every((v, i) => v === image[100_000 + i])).toBe(true);
    expect(() => disk.read(image.length - 10, new Uint8Array(11))).toThrow(RangeError);
    expect(() => disk.write()).toThrow(/read-only/);
    disk.close();
    expect(() => new FileBlockDevice(dir)).toThrow(/not a file/);
  });

  it('keeps guest writes in an overlay and never modifies the image file', () => {
    const disk = openDiskImage(file);
    disk.write(512, new Uint8Array(512).fill(0xee));
    const out = new Uint8Array(1024);
    disk.read(0, out);
    expect(out[511]).toBe(image[511]);
    expect(out[512]).toBe(0xee);
    expect(readFileSync(file).subarray(512, 1024).equals(Buffer.from(image.subarray(512, 1024)))).toBe(true);
  });
});

describe('HTTP range images', () => {
  let server: Server;
  let base = '';
  let requests = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang.img') {
        if (req.method === 'HEAD') {
          res.writeHead(200, { 'content-length': String(image.length) });
          res.end();
        }
        return; // range requests never get an answer
      }
      if (req.url !== '/disk.img') {
        res.writeHead(404);
        res.end();
        return;
      }
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': String(image.length), 'accept-ranges': 'bytes' });
        res.end();
        return;
      }
      requests++;
      const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
      if (!m) {
        res.writeHead(200);
        res.end(Buffer.from(image));
        return;
      }
      const start = Number(m[1]);
      const end = Math.min(Number(m[2]), image.length - 1);
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${image.length}`, 'content-length': String(end - start + 1) });
      res.end(Buffer.from(image.subarray(start, end + 1)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('reads ranges through a chunk cache, one request per chunk', async () => {
    const disk = new RangeBlockDevice(await httpRangeSource(`${base}/disk.img`), { chunkSize: 65536, cacheChunks: 2 });
    expect(disk.size).toBe(image.length);
    const out = new Uint8Array(70_000);
    await disk.read(60_000, out); // chunks 0 and 1
    expect(out.every((v, i) => v === image[60_000 + i])).toBe(true);
    expect(requests).toBe(2);
    expect(disk.read(70_000, new Uint8Array(100))).toBeUndefined(); // cached: synchronous
    const tail = new Uint8Array(1000);
    await disk.read(image.length - 1000, tail); // a short last chunk
    expect(tail.every((v, i) => v === image[image.length - 1000 + i])).toBe(true);
    expect(requests).toBe(3);
    await expect(httpRangeSource(`${base}/missing.img`)).rejects.toThrow(/404/);
  });

  it('fails a read whose server stops answering, after the timeout and retries', async () => {
    const disk = new RangeBlockDevice(await httpRangeSource(`${base}/hang.img`), { timeoutMs: 150, retries: 1 });
    const started = performance.now();
    await expect(disk.read(0, new Uint8Array(512))).rejects.toThrow(/did not arrive within 150 ms/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
    expect(disk.fetches).toBe(2);
  });
});
