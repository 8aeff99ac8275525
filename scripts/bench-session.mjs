#!/usr/bin/env node
// Session benchmarks (cli/bench-session.ts): node scripts/bench-session.mjs [--seconds N] [--browser] [--samples N]
// Bundled at start (scripts/bundle.mjs), like cli/co86.mjs, so the machine runs at its usual speed.
import { importBundled } from './bundle.mjs';

const { benchSession } = await importBundled('cli/bench-session.ts');
await benchSession(process.argv.slice(2));
