#!/usr/bin/env node
// The `co86` command. The project is TypeScript; tsx compiles it on the fly (esbuild strips the types,
// so the emulator runs at the speed of the same code built ahead of time).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
