#!/usr/bin/env node
// The `co86` command. The project is TypeScript: scripts/bundle.mjs bundles the CLI with core, bios and
// relay into one module at each start (a fraction of a second), which also makes the interpreter faster.
import { importBundled } from '../scripts/bundle.mjs';

const { main } = await importBundled('cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
