/**
 * The `npm start` server: one Node process on PORT that serves the built app (dist/), the guest images
 * under /images/ (with Range), and the relay (/net, /signal, /stats). The relay runs on a loopback port
 * inside this process and this front server passes everything but /images/ to it, WebSockets included.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { ensureGuestImages } from '../images/guest.js';
import { startRelay } from '../relay/index.js';
import { IMAGES_PREFIX, serveImage } from './serve-images.js';

export interface AppServerOptions {
  port: number;
  host: string;
  /** The built app (vite build's outDir). */
  distDir: string;
  log?: (line: string) => void;
}

export interface AppServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const images = await ensureGuestImages();
  const relay = await startRelay({ port: 0, host: '127.0.0.1', staticDir: options.distDir, log: (line) => {
      // The relay's own address is internal: users reach it through this server.
      if (!line.startsWith('listening on')) log(`relay: ${line}`);
    },
  });
  const relayPort = relay.port;

  const server: Server = createServer((request, response) => {
    const pathname = (request.url ?? '/').split('?')[0];
    if (pathname.startsWith(IMAGES_PREFIX)) {
      void serveImage(request, response, images.dir, decodeURIComponent(pathname.slice(IMAGES_PREFIX.length)));
      return;
    }
    const upstream = httpRequest({ host: '127.0.0.1', port: relayPort, method: request.method, path: request.url, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502, { 'Content-Type': 'text/plain' });
      response.end('relay unavailable\n');
    });
    request.pipe(upstream);
  });
  // WebSockets (/net, /signal): replay the upgrade request to the relay and join the two sockets.
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const upstream = connect(relayPort, '127.0.0.1', () => {
      const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    const close = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', close);
    socket.on('error', close);
    upstream.on('close', close);
    socket.on('close', close);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await relay.close();
    },
  };
}
