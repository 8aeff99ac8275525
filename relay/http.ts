/**
 * The relay's plain HTTP side: `GET /stats` (JSON counters), `GET /healthz`, and the built web app from
 * a static directory — correct MIME types (application/wasm matters for WebAssembly.instantiateStreaming),
 * no directory traversal (decoded path checked segment by segment, then the resolved real path checked
 * against the real root, so symlinks cannot escape), no dotfiles, 404 for everything else.
 */
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEALTH_PATH, STATS_PATH, type RelayStats } from './protocol/index.js';

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.img': 'application/octet-stream',
  '.iso': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

export function mimeTypeOf(file: string): string {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export interface HttpHandlerOptions {
  /** Directory of the built app, or null to serve no files. */
  staticDir: string | null;
  stats: () => RelayStats;
  log: (line: string) => void;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** The request handler for the relay's HTTP server. Never throws; errors become 4xx/5xx responses. */
export function createHttpHandler(options: HttpHandlerOptions): Handler {
  const root = options.staticDir === null ? null : path.resolve(options.staticDir);
  let realRoot: Promise<string | null> | null = null;
  const resolveRoot = (): Promise<string | null> => {
    realRoot ??= root === null ? Promise.resolve(null) : fs.realpath(root).catch(() => null);
    return realRoot;
  };

  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log(`http error on ${request.method} ${request.url}: ${String(error)}`);
      if (!response.headersSent) send(response, 500, 'internal error\n');
      else response.destroy();
    });
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let pathname: string;
    try {
      pathname = new URL(request.url ?? '/', 'http://relay.invalid').pathname;
    } catch {
      return send(response, 400, 'bad request\n');
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return send(response, 405, 'method not allowed\n');
    }
    if (pathname === STATS_PATH) {
      response.setHeader('Access-Control-Allow-Origin', '*');
      return send(response, 200, `${JSON.stringify(options.stats())}\n`, 'application/json; charset=utf-8');
    }
    if (pathname === HEALTH_PATH) {
      response.setHeader('Access-Control-Allow-Origin', '*');
      return send(response, 200, 'ok\n');
    }
    const file = await findFile(await resolveRoot(), pathname);
    if (file === null) return send(response, 404, 'not found\n');
    serveFile(request, response, file);
  }
}

function send(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

interface StaticFile {
  path: string;
  size: number;
  /** Vite puts content-hashed files under assets/: they never change. */
  immutable: boolean;
}

/** The regular file under `realRoot` that `pathname` names (a directory means its index.html), or null. */
async function findFile(realRoot: string | null, pathname: string): Promise<StaticFile | null> {
  if (realRoot === null) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const segments = decoded.split('/').filter((segment) => segment !== '');
  // No "..", no dotfiles or dot-directories, no NUL, no backslashes (a separator on Windows).
  if (segments.some((segment) => segment.startsWith('.') || segment.includes('\0') || segment.includes('\\'))) return null;
  let candidate = path.join(realRoot, ...segments);
  if (!isInside(realRoot, candidate)) return null;
  try {
    let info = await fs.stat(candidate);
    if (info.isDirectory()) {
      candidate = path.join(candidate, 'index.html');
      info = await fs.stat(candidate);
    }
    if (!info.isFile()) return null;
    const real = await fs.realpath(candidate);
    if (!isInside(realRoot, real)) return null;
    return { path: real, size: info.size, immutable: segments[0] === 'assets' };
  } catch {
    return null;
  }
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function serveFile(request: IncomingMessage, response: ServerResponse, file: StaticFile): void {
  response.writeHead(200, {
    'Content-Type': mimeTypeOf(file.path),
    'Content-Length': file.size,
    'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  const stream = createReadStream(file.path);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

/** `dist/` at the repository root (beside relay/) if it exists, else null. */
export function defaultStaticDir(): string | null {
  const dist = fileURLToPath(new URL('../dist', import.meta.url));
  return existsSync(dist) ? dist : null;
}
