// Runs a TypeScript entry point of this repository in Node: esbuild bundles it with everything it imports
// from the repository into one module (a fraction of a second), which is imported and then deleted.
// One bundle rather than per-file transpiling: V8 runs the interpreter markedly faster when module
// boundaries and enums are resolved (docs/BENCHMARKS.md).
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles `entry` (a path relative to the repository root) and returns its exports. */
export async function importBundled(entry) {
  const outfile = join(root, '.cache', `${basename(entry, '.ts')}-${process.pid}.mjs`);
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(root, entry)],
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
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    await rm(outfile, { force: true });
  }
}

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
