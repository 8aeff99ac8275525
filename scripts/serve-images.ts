/**
 * Serves the guest images (images/out) under /images/ with HTTP Range support, so the app can read a
 * disk or ISO lazily. Used by the `npm start` server (scripts/server.ts) and by Vite's dev and preview
 * servers (vite.config.ts). Only the files the images build makes are served: nothing else in the folder.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

export const IMAGES_PREFIX = '/images/';
export const IMAGE_FILES = ['vmlinuz', 'initrd.gz', 'co86.iso'] as const;

/** Handles GET/HEAD of `/images/<file>` (the part after the prefix in `name`). Never throws. */
export async function serveImage(request: IncomingMessage, response: ServerResponse, dir: string, name: string): Promise<void> {
  if (!(IMAGE_FILES as readonly string[]).includes(name)) return plain(response, 404, 'not found\n');
  if (request.method !== 'GET' && request.method !== 'HEAD') return plain(response, 405, 'method not allowed\n');
  const file = path.join(dir, name);
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch {
    return plain(response, 404, `${name} is not built yet (npm run image)\n`);
  }
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-cache',
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': 'Content-Range, Content-Length, Accept-Ranges',
  };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = request.headers.range;
  if (range) {
    const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!match || (match[1] === '' && match[2] === '')) return rangeNotSatisfiable(response, size);
    if (match[1] === '') {
      start = Math.max(0, size - Number(match[2]));
    } else {
      start = Number(match[1]);
      if (match[2] !== '') end = Math.min(end, Number(match[2]));
    }
    if (start > end || start >= size) return rangeNotSatisfiable(response, size);
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = end - start + 1;
  response.writeHead(status, headers);
  if (request.method === 'HEAD') return void response.end();
  const stream = createReadStream(file, { start, end });
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

function rangeNotSatisfiable(response: ServerResponse, size: number): void {
  response.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': 0, 'Access-Control-Allow-Origin': '*' });
  response.end();
}

function plain(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Access-Control-Allow-Origin': '*' });
  response.end(body);
}
