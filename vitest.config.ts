import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts', 'core/**/*.test.ts', 'bios/**/*.test.ts', 'cli/**/*.test.ts', 'relay/**/*.test.ts', 'src/**/*.test.ts', 'images/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
