// `npm run lint` (and .ci/run): ESLint's and typescript-eslint's recommended rules, without type
// information (tsc --strict already checks types). No stylistic rules: layout is the formatter's.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', '.tmp/', 'data/'] },
  // TODO(issue 27): lint once the performance rework lands
  {
    ignores: [
      'agent/metrics/',
      'agent/probes/',
      'agent/schedule/',
      'agent/runner/',
      'agent/server/',
      'agent/slices.ts',
      'agent/with-key.ts',
      'agent/threadpool.ts',
      'agent/config/fresh-copy.ts',
      'test/metrics/',
      'test/bench/*',
      '!test/bench/container-node.ts',
      '!test/bench/lib/',
      'test/bench/lib/*',
      '!test/bench/lib/node-flags.ts',
    ],
  },
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
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // printableLine() matches control characters on purpose, to write them out as \uXXXX.
    files: ['agent/errors.ts'],
    rules: { 'no-control-regex': 'off' },
  },
);
