import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The direction of imports (DESIGN §1): core imports nothing of ours; bios imports core's public index;
 * src, relay and cli import core/bios only through their index.ts; relay never imports src.
 */
const deep = (folder) => [`**/${folder}/**`, `!**/${folder}/index.js`, `!**/${folder}/index.ts`];
const rule = (patterns, message) => ['error', { patterns: [{ group: patterns, message }] }];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.cache', 'images/out', 'coverage', 'playwright-report', 'test-results'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['core/**/*.ts'],
    ignores: ['core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': rule(
        ['**/bios/**', '**/src/**', '**/relay/**', '**/cli/**', 'node:*', 'fs', 'path', 'ws'],
        'core imports nothing of ours and no Node APIs (DESIGN §1)',
      ),
    },
  },
  {
    files: ['bios/**/*.ts'],
    ignores: ['bios/**/*.test.ts'],
    rules: {
      'no-restricted-imports': rule(['**/src/**', '**/relay/**', '**/cli/**', ...deep('core'), 'node:*'], 'bios imports only core/index (DESIGN §1)'),
    },
  },
  {
    files: ['src/**/*.{ts,tsx}', 'cli/**/*.ts'],
    rules: {
      'no-restricted-imports': rule([...deep('core'), ...deep('bios')], 'import core and bios through their index.ts (DESIGN §1)'),
    },
  },
  {
    files: ['relay/**/*.ts'],
    rules: {
      'no-restricted-imports': rule(['**/src/**', ...deep('core'), ...deep('bios')], 'relay never imports src; core/bios only through index.ts'),
    },
  },
);
