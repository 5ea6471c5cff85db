/**
 * Alertmanager's label matchers, as its `matchers:` and amtool write them: `name="value"`,
 * `name!="value"`, `name=~"regex"`, `name!~"regex"`. A value may be left unquoted when it has no
 * space, comma, quote or brace. A regex matches the whole value (anchored), as in Prometheus;
 * a label the alert does not have is the empty string, so `team=""` matches alerts without one.
 * Regexes are JavaScript's: RE2's leading `(?i)` is taken as the i flag; other RE2-only syntax
 * (named classes such as [[:alpha:]], other inline flags) is refused when the config is loaded.
 */

import { Lru } from '../lru.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** For =~ and !~: the value anchored at both ends. */
  re?: RegExp;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

/** A matcher, or why the text is not one (said so a person can fix it). */
export function parseMatcher(text: string): Matcher | string {
  const m = MATCHER.exec(text);
  if (!m) return `expected a label matcher such as job="blackbox" or instance=~"https://.*" (name, then =, !=, =~ or !~, then a value)`;
  const [, name, op, raw] = m as unknown as [string, string, MatchOp, string];
  const value = unquote(raw);
  if (value === undefined)
    return `the value ${raw} is not a quoted string ("…" with \\" and \\\\ escapes) nor a bare word without spaces, commas, quotes or braces`;
  if (op === '=~' || op === '!~') {
    const insensitive = value.startsWith('(?i)');
    try {
      return { name, op, value, re: new RegExp(`^(?:${insensitive ? value.slice(4) : value})$`, insensitive ? 'i' : '') };
    } catch (err) {
      const why = (err as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '');
      return `invalid regular expression ${JSON.stringify(value)}: ${why.charAt(0).toLowerCase()}${why.slice(1)}`;
    }
  }
  return { name, op, value };
}

function unquote(raw: string): string | undefined {
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"')) return undefined;
    try {
      const v: unknown = JSON.parse(raw);
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }
  return /^[^\s,"'{}]*$/.test(raw) ? raw : undefined;
}

/** Compiled matcher lists, kept across probes and reloads (bounded: configs change rarely). */
const compiled = new Lru<Matcher[]>(4096);

/** Matchers already validated by the config schema, compiled once; throws on one that is not valid. */
export function compileMatchers(texts: readonly string[]): Matcher[] {
  return compiled.get(JSON.stringify(texts), () =>
    texts.map((t) => {
      const m = parseMatcher(t);
      if (typeof m === 'string') throw new Error(`${t}: ${m}`);
      return m;
    }),
  );
}

/** Whether every matcher matches `labels`. */
export function matchesAll(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) {
    const v = Object.hasOwn(labels, m.name) ? labels[m.name]! : '';
    const ok = m.re ? m.re.test(v) : v === m.value;
    if (ok !== (m.op === '=' || m.op === '=~')) return false;
  }
  return true;
}
