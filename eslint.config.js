// `npm run lint` (and .ci/run): ESLint's and typescript-eslint's recommended rules, without type
// information (tsc --strict already checks types). No stylistic rules: layout is the formatter's.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', '.tmp/', 'data/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // A `let` that a callback reads before its one assignment (a request made before its
      // answer is known) cannot be a const: it would be read in its temporal dead zone.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A leading underscore marks what is unused on purpose (a test-table column, a field left
      // out of a rest copy), as the code already does.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Micro-benchmarks: scratch-style scripts run by hand (docs/performance.md, Profiling), with
    // comma expressions in their tallies and V8's gc() from --expose-gc.
    files: ['test/bench/micro/**'],
    languageOptions: { globals: { gc: 'readonly' } },
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    // printableLine() matches control characters on purpose, to write them out as \uXXXX.
    files: ['agent/errors.ts', 'agent/config/fresh-copy.ts'],
    rules: { 'no-control-regex': 'off' },
  },
);
