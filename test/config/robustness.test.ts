/**
 * Whatever bytes an operator (or a bad merge) puts in the config file, loading ends in a config
 * or in a ConfigError whose every problem is positioned and worded: never in a crash. Documents
 * are mutations of valid-full.yaml from a seeded PRNG, so a failure reproduces from its seed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../agent/config/load.js';
import { ConfigError } from '../../agent/errors.js';
import { seededRandom } from '../../agent/sandbox/ids.js';

const VALID = readFileSync(new URL('../fixtures/config/valid-full.yaml', import.meta.url), 'utf8');
const DOCUMENTS = 2_000;
const SEED = 0x5eed;

const prng = seededRandom;

type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, items: readonly T[]): T => items[int(r, items.length)]!;

/** Characters that mean something to YAML, plus a few that mean nothing. */
const NOISE = [...':{}[],-#&*!|>\'"%@`?\t\n \\$', 'a', 'Z', '0', '9', 'é', 'ع', '\u0000', '\ufeff'];
const SCALARS = [
  '',
  '~',
  'null',
  'true',
  'no',
  '0',
  '-1',
  '1e309',
  '0x1F',
  '.nan',
  '-.inf',
  '99999999999999999999',
  '3.14',
  '30s',
  '0s',
  '1MiB',
  '2xx',
  'http://',
  '"quoted"',
  "'single'",
  '[]',
  '{}',
  '[1, [2, [3]]]',
  '{a: {b: {c: 1}}}',
  '*nope',
  '&anchor x',
  '!!binary aGk=',
  '!!str 1',
  '!custom x',
  '${UNSET}',
  '${PORT}',
  '$${LITERAL}',
  '${A:-}',
  '|\n  block\n  text',
  '>-\n  folded',
  '"\\u0000"',
  '"\\x"',
  'x'.repeat(2_000),
];

function deepNesting(r: Rand): string {
  // Mostly shallow; sometimes deep enough to exhaust the parser's stack (about 1,000 levels).
  const depth = r() < 0.9 ? 1 + int(r, 100) : 1 + int(r, 3_000);
  switch (int(r, 3)) {
    case 0:
      return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    case 1:
      return `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
    default: // indentation grows quadratically in size, so keep it shallower
      return Array.from({ length: Math.min(depth, 400) }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' 1';
  }
}

const MUTATIONS: ((text: string, r: Rand) => string)[] = [
  // characters
  (t, r) => {
    const i = int(r, t.length);
    return t.slice(0, i) + t.slice(i + 1);
  },
  (t, r) => {
    const i = int(r, t.length);
    return t.slice(0, i) + t.charAt(i) + t.slice(i);
  },
  (t, r) => {
    const i = int(r, t.length - 1);
    return t.slice(0, i) + t.charAt(i + 1) + t.charAt(i) + t.slice(i + 2);
  },
  (t, r) => {
    const i = int(r, t.length);
    return t.slice(0, i) + pick(r, NOISE) + t.slice(i);
  },
  (t, r) => {
    const i = int(r, t.length);
    return t.slice(0, i) + pick(r, NOISE) + t.slice(i + 1);
  },
  // lines
  (t, r) => {
    const l = t.split('\n');
    l.splice(int(r, l.length), 1);
    return l.join('\n');
  },
  (t, r) => {
    const l = t.split('\n');
    const i = int(r, l.length);
    l.splice(i, 0, l[i]!);
    return l.join('\n');
  },
  (t, r) => {
    const l = t.split('\n');
    const i = int(r, l.length);
    const j = int(r, l.length);
    [l[i], l[j]] = [l[j]!, l[i]!];
    return l.join('\n');
  },
  (t, r) => {
    const l = t.split('\n');
    const i = int(r, l.length);
    l[i] = ' '.repeat(int(r, 6)) + l[i]!.trimStart();
    return l.join('\n');
  },
  // values
  (t, r) => {
    const l = t.split('\n');
    const i = int(r, l.length);
    l[i] = l[i]!.replace(/:\s.*$/, `: ${pick(r, SCALARS)}`);
    return l.join('\n');
  },
  (t, r) => {
    const l = t.split('\n');
    const i = int(r, l.length);
    l[i] = l[i]!.replace(/:\s.*$/, `: ${deepNesting(r)}`);
    return l.join('\n');
  },
  (t, r) => {
    const l = t.split('\n');
    const i = int(r, l.length);
    const indent = /^\s*/.exec(l[i]!)![0];
    l.splice(i, 0, `${indent}${pick(r, ['x', 'id', 'type', '<<', '? k'])}: ${pick(r, SCALARS)}`);
    return l.join('\n');
  },
  // whole document
  (t, r) => t.slice(0, int(r, t.length)),
  (_t, r) => deepNesting(r),
  (_t, r) => Array.from({ length: 1 + int(r, 40) }, () => pick(r, [...NOISE, ...SCALARS])).join(''),
];

function mutate(r: Rand): string {
  let text = VALID;
  const rounds = 1 + int(r, 6);
  for (let i = 0; i < rounds; i++) text = pick(r, MUTATIONS)(text, r);
  return text;
}

describe(`${DOCUMENTS} garbled variants of valid-full.yaml (seed ${SEED})`, () => {
  // The yaml library warns on process for odd keys ("Keys with collection values will be stringified").
  beforeAll(() => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  it('each loads or fails with positioned, worded problems, and nothing else is thrown', () => {
    const r = prng(SEED);
    const outcomes = { loaded: 0, rejected: 0 };
    for (let n = 0; n < DOCUMENTS; n++) {
      const text = mutate(r);
      const lineCount = text.split('\n').length;
      try {
        parseConfig(text, 'fuzz.yaml', { env: { PORT: '8443' } });
        outcomes.loaded++;
      } catch (err) {
        if (!(err instanceof ConfigError)) {
          throw new Error(`document #${n} threw ${String(err)} instead of a ConfigError:\n${text.slice(0, 2_000)}`, { cause: err });
        }
        outcomes.rejected++;
        expect(err.problems.length, `document #${n}`).toBeGreaterThan(0);
        for (const p of err.problems) {
          const where = `document #${n}, problem ${JSON.stringify(p)}`;
          expect(p.file, where).toBe('fuzz.yaml');
          expect(p.line, where).toBeGreaterThanOrEqual(1);
          expect(p.line, where).toBeLessThanOrEqual(lineCount);
          expect(p.col, where).toBeGreaterThanOrEqual(1);
          expect(p.message.trim(), where).not.toBe('');
          expect(p.message, where).not.toMatch(/^Invalid input|received|\[object Object\]|undefined/);
        }
      }
    }
    // Both outcomes occur, so the mutations neither always break nor never break the file.
    expect(outcomes.loaded).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(DOCUMENTS / 2);
  });
});
