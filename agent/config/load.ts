/**
 * YAML file → validated Config, or a ConfigError listing every problem as `file:line:col: path: message`.
 * Nothing here logs or exits: `check-config`, `run` and reload decide what to do with the error.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode, type YAMLError } from 'yaml';
import { ConfigError, describeError, type ConfigProblem } from '../errors.js';
import { coerceText, substituteEnv } from './env.js';
import { describeValue, explainIssue, type Path, type PathProblem } from './messages.js';
import { resolveChecks, resolveConnectivity, type CheckSpec } from './resolve.js';
import { configWarnings, crossFieldProblems } from './rules.js';
import { configSchema, type Config } from './schema.js';

/** Config files larger than this are refused before parsing: no real config comes near it. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Aliases expanded at most; a "billion laughs" file hits this instead of exhausting memory. */
export const MAX_ALIAS_COUNT = 100;

export interface LoadedConfig {
  file: string;
  /** sha256 of the text that was parsed: tells the file watcher whether the file changed since. */
  hash: string;
  config: Config;
  checks: CheckSpec[];
  /** Valid, but worth telling the operator before it runs (positioned like problems). */
  warnings: ConfigProblem[];
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
}

export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const whole = (message: string): ConfigError => new ConfigError([{ file, line: 1, col: 1, path: '', message }]);
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw whole('is not a regular file; pass the path of a YAML config file');
    if (info.size > MAX_CONFIG_BYTES) {
      throw whole(`file is ${info.size} bytes; a config may be at most ${MAX_CONFIG_BYTES / 1024 / 1024} MiB (${MAX_CONFIG_BYTES} bytes)`);
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : describeError(err);
    throw whole(`cannot read config file: ${why}`);
  }
  return parseConfig(text, file, options);
}

/** Parse and validate config text; `file` names it in messages. */
export function parseConfig(text: string, file: string, options: LoadOptions = {}): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): { line: number; col: number } => lineCounter.linePos(offset);

  if (doc.errors.length > 0) {
    const problems: ConfigProblem[] = [];
    const lines = new Set<number>();
    const index = indexDocument(doc);
    for (const e of doc.errors) {
      const { offset, message } = explainYamlError(index, text, e);
      const pos = at(offset);
      // One broken line makes the parser stumble several times; the first complaint is the useful one.
      if (lines.has(pos.line)) continue;
      lines.add(pos.line);
      problems.push({ file, ...pos, path: '', message });
    }
    throw new ConfigError(problems.sort((a, b) => a.line - b.line || a.col - b.col));
  }

  const { problems: envProblems, substituted } = substituteEnv(doc, options.env ?? process.env);
  if (envProblems.length > 0) {
    throw new ConfigError(envProblems.map((p) => ({ file, ...at(p.node.range?.[0] ?? 0), path: pathOfNode(doc, p.node), message: p.message })));
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const reason = describeError(err);
    const unresolved = /^Unresolved alias .*: (.*)$/.exec(reason)?.[1];
    if (unresolved !== undefined) {
      let alias: YamlNode | undefined;
      visit(doc, {
        Alias(_k, node) {
          if (alias === undefined && node.source === unresolved) alias = node;
        },
      });
      const message = `*${unresolved} refers to no anchor; define &${unresolved} on a value above it, or remove the *`;
      throw new ConfigError([{ file, ...at(alias?.range?.[0] ?? 0), path: alias ? pathOfNode(doc, alias) : '', message }]);
    }
    const why = /^Excessive alias count/.test(reason)
      ? `aliases (*name) expand to too many copies (more than ${MAX_ALIAS_COUNT}); write the repeated values out instead`
      : /call stack/.test(reason)
        ? TOO_DEEP
        : `YAML cannot be expanded: ${reason}`;
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: why }]);
  }
  if (data === null || data === undefined) {
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: 'the file is empty; a config needs at least agent:, entity: and services:' }]);
  }

  let parsed = configSchema.safeParse(data, { reportInput: true });
  if (!parsed.success && coerceSubstituted(doc, data, parsed.error.issues, substituted)) {
    parsed = configSchema.safeParse(data, { reportInput: true });
  }
  const pathProblems: PathProblem[] = parsed.success
    ? crossFieldProblems(parsed.data)
    : parsed.error.issues.flatMap((issue) => explainIssue(issue, configSchema, data));
  if (pathProblems.length > 0) throw new ConfigError(position(doc, pathProblems, file, at, substituted));

  const hash = createHash('sha256').update(text).digest('hex');
  const config = parsed.data!;
  const warnings = position(doc, configWarnings(config, resolveConnectivity(config)), file, at, substituted);
  return { file, hash, config, checks: resolveChecks(config), warnings };
}

function position(
  doc: Document,
  problems: PathProblem[],
  file: string,
  at: (offset: number) => { line: number; col: number },
  substituted: Map<unknown, string[]>,
): ConfigProblem[] {
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const p of problems) {
    const node = nodeAt(doc, p.path, p.atKey ?? false);
    const names = substituted.get(node);
    const value = (node as { value?: unknown } | undefined)?.value;
    // A value from the environment may be a secret: name its variable instead of printing it.
    const message = names ? maskValue(p.message, value, names) : p.message;
    const problem = { file, ...at(node?.range?.[0] ?? 0), path: formatPath(p.path), message };
    const id = `${problem.path}\0${problem.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(problem);
  }
  return out.sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * Where the schema wanted a number or boolean and got the text of an environment variable, use
 * the value the text spells. Returns whether anything changed (then the caller validates again).
 */
function coerceSubstituted(
  doc: Document,
  data: unknown,
  issues: readonly { code: string; path: PropertyKey[]; expected?: string }[],
  substituted: Map<unknown, string[]>,
): boolean {
  let changed = false;
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' || issue.expected === undefined) continue;
    const path = issue.path as Path;
    const node = nodeAt(doc, path, false) as { value?: unknown } | undefined;
    if (!substituted.has(node) || typeof node?.value !== 'string' || path.length === 0) continue;
    const value = coerceText(node.value, issue.expected);
    if (value === undefined) continue;
    let parent = data as Record<string | number, unknown>;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
    parent[path.at(-1)!] = value;
    changed = true;
  }
  return changed;
}

function maskValue(message: string, value: unknown, names: string[]): string {
  const whose = `the value of ${names.map((n) => `\${${n}}`).join(' and ')}`;
  const text = String(value);
  // Messages shorten long text (describeValue): mask that shortened form too, or a long secret's
  // first characters would be printed.
  let masked = typeof value === 'string' ? message.split(describeValue(value)).join(whose) : message;
  masked = masked.split(JSON.stringify(value)).join(whose);
  if (text.length > 0) masked = masked.split(text).join(whose);
  return masked;
}

/** The deepest YAML node along `path` (the key node itself when `atKey`). */
function nodeAt(doc: Document, path: Path, atKey: boolean): YamlNode | undefined {
  let node = doc.contents as YamlNode | null;
  for (let i = 0; i < path.length && node; i++) {
    if (isAlias(node)) node = node.resolve(doc) ?? null;
    const step = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === step || it.key === step);
      if (!pair) return node;
      node = (last && atKey ? pair.key : pair.value) as YamlNode | null;
      if (!node) return (pair.key ?? undefined) as YamlNode | undefined;
    } else if (isSeq(node)) {
      const item = node.items[Number(step)] as YamlNode | undefined;
      if (!item) return node;
      node = item;
    } else return node ?? undefined;
  }
  return node ?? undefined;
}

/** Field path of a node, for problems found on the YAML tree before validation. */
function pathOfNode(doc: Document, target: YamlNode): string {
  const walk = (node: unknown, path: Path): Path | undefined => {
    if (node === target) return path;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = (pair.key as { value?: unknown } | null)?.value;
        const found = walk(pair.value, [...path, String(key)]);
        if (found) return found;
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const found = walk(node.items[i], [...path, i]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return formatPath(walk(doc.contents, []) ?? []);
}

export function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

const TOO_DEEP = 'YAML syntax error: nested too deeply (hundreds of levels); a config needs only a few';

/** What the parser did make of a broken document, to word its errors: keys and flow collections by offset. */
interface SyntaxIndex {
  keyAt: Map<number, unknown>;
  /** Flow collections by the offset where they end, i.e. where an unclosed one was given up. */
  flowEndingAt: Map<number, { start: number; bracket: '{' | '[' }>;
}

function indexDocument(doc: Document): SyntaxIndex {
  const index: SyntaxIndex = { keyAt: new Map(), flowEndingAt: new Map() };
  try {
    visit(doc, {
      Pair(_k, pair) {
        if (isScalar(pair.key) && pair.key.range) index.keyAt.set(pair.key.range[0], pair.key.value);
      },
      Collection(_k, node) {
        if (node.flow && node.range) index.flowEndingAt.set(node.range[1], { start: node.range[0], bracket: isMap(node) ? '{' : '[' });
      },
    });
  } catch {
    // A document too deep to walk: its errors are explained without the index.
  }
  return index;
}

/** Where a YAML parse error is and what to do about it, in words for whoever edits the file. */
function explainYamlError(index: SyntaxIndex, text: string, e: YAMLError): { offset: number; message: string } {
  const offset = e.pos[0];
  // `{ port: ${PORT} }`: inside a flow collection the `{` of `${` opens a mapping.
  if (text[offset] === '{' && text[offset - 1] === '$') {
    return { offset: offset - 1, message: 'YAML syntax error: inside { } or [ ], quote a value that uses ${...}, e.g. "${NAME}"' };
  }
  switch (e.code) {
    case 'DUPLICATE_KEY': {
      const key = index.keyAt.get(offset);
      const name = key === undefined ? 'this key' : `key ${JSON.stringify(String(key))}`;
      return { offset, message: `${name} appears twice in the same mapping; keep only one` };
    }
    case 'RESOURCE_EXHAUSTION':
      // yaml reports the stack overflow of a document nested hundreds of levels deep.
      if (/call stack/.test(e.message)) return { offset, message: TOO_DEEP };
      break;
    case 'TAB_AS_INDENT':
      return { offset, message: 'YAML syntax error: a tab is used for indentation; indent with spaces' };
    case 'MULTIPLE_DOCS':
      return { offset, message: 'the file holds more than one YAML document (a second ---); a config is a single document' };
    case 'BAD_INDENT': {
      // An unclosed `{`/`[` is noticed only where the next block line starts; point at the bracket.
      const open = index.flowEndingAt.get(offset);
      if (open) {
        const close = open.bracket === '{' ? '}' : ']';
        return {
          offset: open.start,
          message: `YAML syntax error: this "${open.bracket}" is not closed; end it with "${close}", and indent any continuation line more than its key`,
        };
      }
      break;
    }
  }
  return { offset, message: `YAML syntax error: ${firstLine(e.message)}` };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
