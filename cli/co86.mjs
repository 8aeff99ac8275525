#!/usr/bin/env node
// The `co86` command. The project is TypeScript: esbuild bundles the CLI with core, bios and relay into one
// module at each start (a fraction of a second). One bundle rather than per-file transpiling: V8 runs the
// interpreter markedly faster when module boundaries and enums are resolved (docs/BENCHMARKS.md).
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, '.cache', `co86-cli-${process.pid}.mjs`);
mkdirSync(dirname(outfile), { recursive: true });
await build({
  entryPoints: [join(root, 'cli', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
  plugins: [ownFileUrls()],
});
/** Each bundled module keeps its own import.meta.url (modules find files beside them, e.g. images/build.sh). */
function ownFileUrls() {
  return {
    name: 'own-file-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
      });
    },
  };
}

const { rm } = await import('node:fs/promises');
let main;
try {
  ({ main } = await import(pathToFileURL(outfile).href));
} finally {
  await rm(outfile, { force: true });
}
process.exitCode = await main(process.argv.slice(2));
