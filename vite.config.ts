import preact from '@preact/preset-vite';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { IMAGES_PREFIX, serveImage } from './scripts/serve-images.js';

const port = Number(process.env.PORT ?? 8086);
const imagesDir = process.env.CO86_IMAGES_DIR ?? fileURLToPath(new URL('./images/out', import.meta.url));

/** /images/ (the guest images, with Range) in `vite` and `vite preview`, as the `npm start` server has it. */
function guestImages(): Plugin {
  const middleware = (request: IncomingMessage, response: ServerResponse, next: () => void) => {
    const pathname = (request.url ?? '/').split('?')[0];
    if (!pathname.startsWith(IMAGES_PREFIX)) return next();
    void serveImage(request, response, imagesDir, decodeURIComponent(pathname.slice(IMAGES_PREFIX.length)));
  };
  return {
    name: 'co86-guest-images',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}

export default defineConfig({
  root: 'src',
  publicDir: '../public',
  plugins: [preact(), guestImages()],
  // simple-peer expects Node's `global` (STYLE.md, pins and gotchas).
  define: { global: 'globalThis' },
  worker: { format: 'es' },
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { port, strictPort: true, host: true },
  preview: { port, strictPort: true, host: true },
});
