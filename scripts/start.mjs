#!/usr/bin/env node
// `npm start`: build the app, make sure the guest images exist (built on first start, a few minutes), then
// serve the app, the images and the relay from one Node process on $PORT (default 8086) and print the URL.
// scripts/server.ts is TypeScript: scripts/bundle.mjs bundles it (with relay/ and images/guest.ts), as for cli/co86.mjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importBundled } from './bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT ?? 8086);
const host = process.env.HOST ?? '0.0.0.0';
const say = (line) => process.stderr.write(`co86: ${line}\n`);

say('building the app (vite build)…');
const { build } = await import('vite');
await build({ root: join(root, 'src'), configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });

const { startAppServer } = await importBundled('scripts/server.ts');

say('checking the guest images (the first start builds them from Debian packages: a few minutes)…');
const server = await startAppServer({ port, host, distDir: join(root, 'dist'), log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`co86 is running: open ${server.url}\n`);

const stop = async () => {
  say('stopping');
  await server.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
