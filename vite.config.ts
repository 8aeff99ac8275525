import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const port = Number(process.env.PORT ?? 8086);

export default defineConfig({
  root: 'src',
  publicDir: '../public',
  plugins: [preact()],
  // simple-peer expects Node's `global` (STYLE.md, pins and gotchas).
  define: { global: 'globalThis' },
  worker: { format: 'es' },
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022' },
  server: { port, strictPort: true, host: true },
  preview: { port, strictPort: true, host: true },
});
