/**
 * Bad config, as the operator meets it: every file of the invalid corpus (test/fixtures/config,
 * plus huge files made at run time) makes `raqib check-config` and `raqib run` exit 2 with one
 * `file:line:col: path: message` line per problem and never a stack trace; random YAML (fast-check,
 * fixed seed) never makes the loader throw anything but a positioned ConfigError; and a running
 * agent given a bad file keeps running its old config.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../agent/cli/dispatch.js';
import { MAX_CONFIG_BYTES, parseConfig } from '../../agent/config/load.js';
import { ConfigError } from '../../agent/errors.js';
import { eventually, runCli, sample, startAgent, stopAllAgents } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { tempDir } from '../helpers/tmp.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const CORPUS = readdirSync(FIXTURES)
  .filter((f) => /^invalid-.*\.yaml$/.test(f))
  .sort();

/**
 * The field path of each problem a fixture holds, in file order; '' for a problem of the whole
 * file (YAML syntax, empty file, alias bomb), whose message must then say what is wrong instead.
 */
const PATHS: Record<string, string[]> = {
  'alert-canary': ['agent.connectivity.canaries[0].type'],
  'alert-matchers': ['services[0].checks[0].matchers[1]', 'services[0].checks[0].matchers[2]', 'services[0].checks[0].expire_after'],
  'alert-without-token': ['services[0].checks[0].type'],
  'alias-bomb': [''],
  'auth-token-short': ['agent.auth_token'],
  'bad-cert-valid-days': ['services[0].checks[0].expect.cert_valid_days'],
  'bad-channel': ['services[0].channel'],
  'bad-cron': ['services[0].checks[0].schedule'],
  'bad-dns-rcode': ['services[0].checks[0].expect.rcode'],
  'bad-dns-record': ['services[0].checks[0].record'],
  'bad-dns-server': ['services[0].checks[0].server'],
  'bad-duration-unit': ['services[0].checks[0].timeout'],
  'bad-duration': ['services[0].checks[0].interval'],
  'bad-entity-code': ['entity.code'],
  'bad-host': ['services[0].checks[0].host'],
  'bad-id-charset': ['services[0].id'],
  'bad-json-expectation': ['services[0].checks[0].expect.json.status'],
  'bad-listen': ['agent.listen'],
  'bad-log-level': ['agent.log_level'],
  'bad-method': ['services[0].checks[0].method'],
  'bad-provider': ['services[0].provider'],
  'bad-regex': ['services[0].checks[0].expect.body_matches'],
  'bad-size': ['services[0].checks[0].max_body_size'],
  'bad-status': ['services[0].checks[0].expect.status[2]', 'services[0].checks[0].expect.status[3]'],
  'bad-timezone': ['agent.timezone'],
  'canary-builtin-id': ['agent.connectivity.canaries[1].id'],
  'canary-duplicate-id': ['agent.connectivity.canaries[1].id'],
  'depends-on-cycle': ['services[0].depends_on', 'services[1].depends_on'],
  'depends-on-unknown': ['services[0].depends_on[0]'],
  'boolean-yes': ['services[0].checks[0].insecure'],
  'comment-only': [''],
  'duplicate-check-id': ['services[0].checks[1].id'],
  'duplicate-mapping-key': [''],
  'duplicate-service-id': ['services[1].id'],
  'email-bad-address': ['notifications[0].to[1]'],
  'email-bad-tls': ['notifications[0].smtp.tls'],
  'email-password-file-missing': ['notifications[0].smtp.password_file'],
  'email-password-file-open': ['notifications[0].smtp.password_file'],
  'email-user-without-password-file': ['notifications[0].smtp.user'],
  'empty-checks': ['services[0].checks'],
  'empty-file': [''],
  'empty-service-name': ['services[0].name.en'],
  'empty-services': ['services'],
  'env-var-missing': ['agent.auth_token', 'services[0].checks[0].headers.Authorization'],
  'grpc-port-too-big': ['services[0].checks[0].target'],
  'grpc-target-no-port': ['services[0].checks[0].target'],
  'grpc-tls-not-boolean': ['services[0].checks[0].tls'],
  'icmp-bad-host': ['services[0].checks[0].host'],
  'icmp-port': ['services[0].checks[0].port'],
  'interval-and-schedule': ['services[0].checks[0].schedule'],
  'list-for-mapping': ['agent'],
  'mapping-for-list': ['services'],
  'max-concurrency-zero': ['agent.max_concurrency'],
  'missing-agent-id': ['agent.id'],
  'missing-agent-section': ['agent'],
  'missing-check-id': ['services[0].checks[0].id'],
  'missing-check-type': ['services[0].checks[0].type'],
  'missing-check-url': ['services[0].checks[0].url'],
  'missing-entity-name-en': ['entity.name.en'],
  'missing-service-checks': ['services[0].checks'],
  'multiple-documents': [''],
  'negative-beneficiaries': ['services[0].beneficiaries_per_day'],
  'notification-unknown-type': ['notifications[0].type'],
  'null-section': ['agent'],
  'port-as-text': ['services[0].checks[0].port'],
  'port-too-big': ['services[0].checks[0].port'],
  'port-zero': ['services[0].checks[0].port'],
  'provider-own-code': ['services[0].provider'],
  'retry-interval-over-interval': ['services[0].checks[0].retry_interval'],
  'several-problems': ['agent.id', 'agent.listen', 'services[0].chanel', 'services[0].checks[0].url', 'services[0].checks[0].timeout'],
  'sms-bad-number': ['notifications[0].to[1]'],
  'sms-bad-success-status': ['notifications[0].success_status[1]'],
  'sms-body-without-content-type': ['notifications[0].request.body'],
  'sms-json-body-unquoted': ['notifications[0].request.body'],
  'sms-max-segments': ['notifications[0].max_segments'],
  'sms-unknown-placeholder': ['notifications[0].request.body', 'notifications[0].request.body'],
  'string-for-number': ['agent.max_concurrency'],
  'tab-indentation': [''],
  'threshold-fraction': ['services[0].checks[0].failure_threshold'],
  'threshold-zero': ['defaults.failure_threshold', 'services[0].checks[0].success_threshold'],
  'timeout-over-interval-inherited': ['defaults.timeout'],
  'timeout-over-interval': ['services[0].checks[0].timeout'],
  'timeout-over-own-interval-inherited-timeout': ['services[0].checks[0].interval'],
  'top-level-list': [''],
  'top-level-scalar': [''],
  'unknown-alias': ['services[0].name'],
  'unknown-check-type': ['services[0].checks[0].type'],
  'unknown-key-no-suggestion': ['services[0].checks[0].colour'],
  'unknown-nested-key': ['services[0].checks[0].timout'],
  'unknown-top-level-key': ['services', 'servces'],
  'url-not-http': ['services[0].checks[0].url'],
  'websocket-bad-regex': ['services[0].checks[0].expect.message_matches'],
  'websocket-url-not-ws': ['services[0].checks[0].url'],
  'yaml-unclosed-flow': [''],
  'zero-interval': ['services[0].checks[0].interval', 'services[0].checks[0].timeout'],
};

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `raqib check-config --config <file>` in this process, with its output captured. */
async function checkConfig(file: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['check-config', '--config', file], { out: (t) => (out += t), err: (t) => (err += t), env });
  return { code, out, err };
}

interface Line {
  line: number;
  col: number;
  path: string;
  message: string;
}

/**
 * Checks what a rejected config printed: exit 2, nothing on stdout, no stack trace, and each
 * stderr line `<file>:<line>:<col>: [<path>: ]<message>` with line/col inside the file. Returns
 * the lines split up; the path is the text before the first ": " that looks like a field path.
 */
function expectRejection(file: string, result: { code: number | null; out: string; err: string }, knownPaths: string[] = []): Line[] {
  expect(result.code, result.err).toBe(2);
  expect(result.out).toBe('');
  expect(result.err).not.toMatch(/^\s+at /m);
  expect(result.err).not.toMatch(/\bError:|internal error|\[object Object\]|undefined/);
  expect(result.err.endsWith('\n')).toBe(true);
  const prefix = new RegExp(`^${escape(file)}:(\\d+):(\\d+): (.*)$`);
  const lines = result.err.slice(0, -1).split('\n');
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((text) => {
    const m = prefix.exec(text);
    expect(m, `line without file:line:col: ${JSON.stringify(text)}`).not.toBeNull();
    const [, line, col, rest] = m!;
    const path = knownPaths.find((p) => p !== '' && rest!.startsWith(`${p}: `)) ?? '';
    const message = path ? rest!.slice(path.length + 2) : rest!;
    expect(message.trim(), text).not.toBe('');
    return { line: Number(line), col: Number(col), path, message };
  });
}

describe(`the invalid config corpus (${CORPUS.length} files in test/fixtures/config)`, () => {
  it('holds at least 40 invalid configs, each with its expected field paths listed here', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(40);
    expect(CORPUS.map((f) => f.slice('invalid-'.length, -'.yaml'.length)).sort()).toEqual(Object.keys(PATHS).sort());
  });

  it('covers wrong types, unknown keys, bad durations, duplicate ids, bad cron, bad URLs, YAML syntax and alias bombs', () => {
    for (const kind of [
      'string-for-number',
      'unknown-nested-key',
      'bad-duration',
      'duplicate-service-id',
      'duplicate-check-id',
      'bad-cron',
      'url-not-http',
      'yaml-unclosed-flow',
      'tab-indentation',
      'alias-bomb',
    ]) {
      expect(CORPUS).toContain(`invalid-${kind}.yaml`);
    }
  });

  it.each(CORPUS)('check-config %s: exit 2, file:line:col and the field path on every line, no stack trace', async (name) => {
    const file = join(FIXTURES, name);
    const paths = PATHS[name.slice('invalid-'.length, -'.yaml'.length)] ?? [];
    const lines = expectRejection(file, await checkConfig(file), paths);
    const lineCount = readFileSync(file, 'utf8').split('\n').length;
    for (const l of lines) {
      expect(l.line).toBeGreaterThanOrEqual(1);
      expect(l.line).toBeLessThanOrEqual(lineCount);
      expect(l.col).toBeGreaterThanOrEqual(1);
    }
    expect(lines.map((l) => l.path)).toEqual(paths);
    // A problem without a field path is one of the whole file: its message must name it instead.
    for (const l of lines.filter((x) => x.path === '')) {
      expect(l.message).toMatch(/YAML|empty|alias|mapping|document|twice|tab|anchor/i);
    }
  });
});

describe('huge config files', () => {
  it(`refuses a file over ${MAX_CONFIG_BYTES / 1024 / 1024} MiB before parsing it, with exit 2 at 1:1`, async () => {
    const dir = await tempDir('raqib-corpus-');
    const file = join(dir, 'huge.yaml');
    const services = Array.from(
      { length: 20_000 },
      (_, i) =>
        `  - { id: s${i}, name: { ar: خدمة, en: Service ${i} }, checks: [{ id: c, type: http, url: "https://s${i}.example.gov.sa/${'p'.repeat(100)}" }] }\n`,
    );
    await writeFile(file, `agent: { id: a }\nentity: { code: MOH, name: { ar: و, en: M } }\nservices:\n${services.join('')}`);
    const lines = expectRejection(file, await checkConfig(file));
    expect(lines).toEqual([{ line: 1, col: 1, path: '', message: expect.stringMatching(/^file is \d+ bytes; a config may be at most 4 MiB/) }]);
  });

  it('finds the one bad check among 10,000 services in a file over 1 MB and names its line', async () => {
    const dir = await tempDir('raqib-corpus-');
    const file = join(dir, 'big.yaml');
    const n = 10_000;
    const services = Array.from(
      { length: n },
      (_, i) =>
        `  - { id: s${i}, name: { ar: خدمة, en: Service ${i} }, checks: [{ id: c, type: http, url: "https://s${i}.example.gov.sa/health", timeout: ${i === n - 7 ? 'forever' : '5s'} }] }\n`,
    );
    const text = `agent: { id: a }\nentity: { code: MOH, name: { ar: و, en: M } }\nservices:\n${services.join('')}`;
    expect(text.length).toBeGreaterThan(1_000_000);
    await writeFile(file, text);
    const lines = expectRejection(file, await checkConfig(file), [`services[${n - 7}].checks[0].timeout`]);
    expect(lines).toEqual([
      { line: 3 + n - 7 + 1, col: expect.any(Number), path: `services[${n - 7}].checks[0].timeout`, message: expect.stringContaining('got "forever"') },
    ]);
  }, 30_000);
});

describe('raqib run with a bad config', () => {
  it.each(['invalid-several-problems.yaml', 'invalid-alias-bomb.yaml', 'invalid-yaml-unclosed-flow.yaml'])(
    '%s: exits 2 before starting, same lines as check-config',
    async (name) => {
      const file = join(FIXTURES, name);
      const dir = await tempDir('raqib-corpus-');
      const run = await runCli(['run', '--config', file], {}, dir);
      const paths = PATHS[name.slice('invalid-'.length, -'.yaml'.length)]!;
      expectRejection(file, { code: run.code, out: run.stdout, err: run.stderr }, paths);
      expect(run.stderr).toBe((await checkConfig(file, process.env)).err);
    },
  );
});

describe('reload with a bad config', () => {
  const targets: SwitchTarget[] = [];
  afterEach(async () => {
    await stopAllAgents();
    await Promise.all(targets.splice(0).map((t) => t.close()));
  });

  it('keeps probing with the old config through a YAML syntax error, an alias bomb and a huge file, then takes a good one', async () => {
    const t = await startSwitchTarget(true);
    targets.push(t);
    const good = (checks: Record<string, unknown>[]) =>
      configYaml(
        [{ id: 'web', checks }],
        { data_dir: './data' },
        { defaults: { interval: '300ms', timeout: '250ms', failure_threshold: 2, success_threshold: 1 } },
      );
    const agent = await startAgent(good([{ id: 'portal', type: 'http', url: t.url }]));
    const bad: [string, string, RegExp][] = [
      ['YAML syntax', readFileSync(join(FIXTURES, 'invalid-yaml-unclosed-flow.yaml'), 'utf8'), /raqib\.yaml:5:9: YAML syntax error: this "\{" is not closed/],
      ['alias bomb', readFileSync(join(FIXTURES, 'invalid-alias-bomb.yaml'), 'utf8'), /raqib\.yaml:1:1: aliases \(\*name\) expand to too many copies/],
      ['huge file', `# ${'x'.repeat(1021)}\n`.repeat(MAX_CONFIG_BYTES / 1024 + 1), /raqib\.yaml:1:1: file is \d+ bytes/],
      [
        'bad field',
        good([{ id: 'portal', type: 'http', url: t.url, timeout: 'soon' }]),
        /raqib\.yaml:\d+:\d+: services\[0\]\.checks\[0\]\.timeout: expected a duration/,
      ],
    ];
    for (const [what, text, problem] of bad) {
      await writeFile(agent.configFile, text);
      agent.child.kill('SIGHUP');
      const failed = await agent.waitForLog(
        (l) => l.msg === 'config reload failed; keeping the running config' && String(l['problems']).match(problem) !== null,
      );
      expect(failed['level'], what).toBe('error');
      expect(sample(await agent.metrics(), 'raqib_config_last_reload_successful'), what).toBe(0);
      const hits = t.hits();
      await eventually(() => t.hits() >= hits + 2, 5_000);
      const status = await agent.api<{ services: { id: string; checks: { id: string; state: string }[] }[] }>('status');
      expect(
        status.services.map((s) => [s.id, s.checks.map((c) => `${c.id}:${c.state}`)]),
        what,
      ).toEqual([['web', ['portal:UP']]]);
    }
    await writeFile(
      agent.configFile,
      good([
        { id: 'portal', type: 'http', url: t.url },
        { id: 'port', type: 'tcp', host: '127.0.0.1', port: t.port },
      ]),
    );
    agent.child.kill('SIGHUP');
    await agent.waitForLog((l) => l.msg === 'config reloaded');
    await eventually(async () => sample(await agent.metrics(), 'raqib_config_last_reload_successful') === 1);
    expect(agent.logs.filter((l) => l.level === 'fatal')).toEqual([]);
    expect(agent.child.exitCode).toBeNull();
  }, 40_000);
});

// ── random YAML ─────────────────────────────────────────────────────────────────────────────────

/** Keys the schema knows, so random documents reach validation and positioning, not only the parser. */
const KEYS = [
  'agent',
  'entity',
  'services',
  'defaults',
  'authority',
  'crisis_team',
  'notifications',
  'id',
  'name',
  'ar',
  'en',
  'code',
  'checks',
  'type',
  'url',
  'host',
  'port',
  'interval',
  'timeout',
  'schedule',
  'expect',
  'status',
  'headers',
  'listen',
  'data_dir',
  'members',
  'maintenance',
  'retry_interval',
  'failure_threshold',
  '<<',
  'x',
  'a b',
  '"quoted key"',
  '? complex',
];
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
  '30s',
  '0s',
  '5 minutes',
  '1MiB',
  '2xx',
  'http',
  'tcp',
  'dns',
  'tls',
  'https://x.example.gov.sa/',
  'ftp://x/',
  '127.0.0.1:0',
  'MOH',
  'moh',
  '0 */5 * * * *',
  'every minute',
  '"quoted: yes"',
  "'single'",
  '${UNSET}',
  '${PORT}',
  '$${LITERAL}',
  '${A:-b}',
  '!!binary aGk=',
  '!!str 1',
  '!custom x',
  '|\n  block',
  '>-\n  folded',
  '"\\u0000"',
  '"\\x"',
  '[',
  '{',
  '}',
  ']',
  ':',
  '- -',
  '#',
  '@',
  '`',
  '%YAML 1.2',
  '---',
  '...',
];

type Tree =
  | { kind: 'scalar'; text: string }
  | { kind: 'alias'; n: number }
  | { kind: 'map'; entries: [string, Decorated][]; flow: boolean }
  | { kind: 'seq'; items: Decorated[]; flow: boolean };
/** A node with an optional `&aN` anchor. */
type Decorated = { tree: Tree; anchor: number | undefined };

const { tree: treeArb } = fc.letrec<{ tree: Decorated; node: Tree }>((tie) => ({
  tree: fc.record({ tree: tie('node'), anchor: fc.option(fc.nat(3), { nil: undefined, freq: 4 }) }) as fc.Arbitrary<Decorated>,
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .oneof({ arbitrary: fc.constantFrom(...SCALARS), weight: 4 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 1 })
      .map((text): Tree => ({ kind: 'scalar', text })),
    fc.nat(4).map((n): Tree => ({ kind: 'alias', n })),
    fc
      .record({ entries: fc.array(fc.tuple(fc.constantFrom(...KEYS), tie('tree')), { maxLength: 5 }), flow: fc.boolean() })
      .map(({ entries, flow }): Tree => ({ kind: 'map', entries, flow })),
    fc.record({ items: fc.array(tie('tree'), { maxLength: 4 }), flow: fc.boolean() }).map(({ items, flow }): Tree => ({ kind: 'seq', items, flow })),
  ),
}));

/**
 * Renders a tree as YAML: block or flow collections (everything inside a flow one is flow too, as
 * YAML requires), `&aN` anchors and `*aN` aliases (defined or not), multi-line scalars indented.
 */
function render({ tree, anchor }: Decorated, indent: string, inFlow = false): string {
  const tag = anchor === undefined ? '' : `&a${anchor} `;
  switch (tree.kind) {
    case 'scalar':
      return `${tag}${inFlow && tree.text.includes('\n') ? JSON.stringify(tree.text) : tree.text.replace(/\n/g, `\n${indent}  `)}`;
    case 'alias':
      return `*a${tree.n}`;
    case 'map':
      if (inFlow || tree.flow || tree.entries.length === 0)
        return `${tag}{ ${tree.entries.map(([k, v]) => `${k}: ${render(v, `${indent}  `, true)}`).join(', ')} }`;
      return `${tag}\n${tree.entries.map(([k, v]) => `${indent}${k}: ${render(v, `${indent}  `)}`).join('\n')}`;
    case 'seq':
      if (inFlow || tree.flow || tree.items.length === 0) return `${tag}[ ${tree.items.map((v) => render(v, `${indent}  `, true)).join(', ')} ]`;
      return `${tag}\n${tree.items.map((v) => `${indent}- ${render(v, `${indent}  `)}`).join('\n')}`;
  }
}

/** Noise an editor or a bad merge adds: tabs in indentation, a stray character, a comment, CRLF. */
const noise = (maxLength: number) =>
  fc.array(fc.tuple(fc.constantFrom('tab', 'char', 'comment', 'crlf', 'bom', 'dedent'), fc.nat(), fc.constantFrom(...':{}[],-#&*!|>\'"%@`?\t \\$é\u0000')), {
    maxLength,
  });

function applyNoise(text: string, edits: [string, number, string][]): string {
  let out = text;
  for (const [kind, at, ch] of edits) {
    const lines = out.split('\n');
    const i = at % lines.length;
    if (kind === 'tab') lines[i] = lines[i]!.replace(/^ {1,2}/, '\t');
    else if (kind === 'char') lines[i] = `${lines[i]!.slice(0, at % (lines[i]!.length + 1))}${ch}${lines[i]!.slice(at % (lines[i]!.length + 1))}`;
    else if (kind === 'comment') lines[i] = `${lines[i]} # ${ch}`;
    else if (kind === 'dedent') lines[i] = lines[i]!.trimStart();
    else if (kind === 'bom') return `\ufeff${out}`;
    else return out.replace(/\n/g, '\r\n');
    out = lines.join('\n');
  }
  return out;
}

/** A top-level mapping with the schema's sections, their values random: reaches zod and the positioning of its issues. */
const configShaped = fc
  .tuple(
    fc.uniqueArray(fc.tuple(fc.constantFrom('agent', 'entity', 'services', 'defaults', 'authority', 'crisis_team', 'notifications', 'extra'), treeArb), {
      minLength: 1,
      maxLength: 5,
      selector: ([k]) => k,
    }),
    noise(1),
  )
  .map(([sections, edits]) => applyNoise(sections.map(([k, v]) => `${k}: ${render(v, '  ')}`).join('\n'), edits));
const anyTree = fc.tuple(treeArb, noise(3)).map(([t, edits]) => applyNoise(render(t, ''), edits));

describe('random YAML never crashes the loader (fast-check)', () => {
  // The yaml library warns on process for odd keys ("Keys with collection values will be stringified").
  beforeAll(() => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  const outcomes = { loaded: 0, rejected: 0, validated: 0 };
  /** parseConfig must return a config, or throw a ConfigError whose every problem is positioned and worded. */
  const loadsOrRejectsCleanly = (text: string): void => {
    let err: unknown;
    try {
      parseConfig(text, 'prop.yaml', { env: { PORT: '8443' } });
      outcomes.loaded++;
      return;
    } catch (e) {
      err = e;
    }
    if (!(err instanceof ConfigError)) throw new Error(`threw ${String((err as Error)?.stack ?? err)} instead of a ConfigError`);
    outcomes.rejected++;
    if (err.problems.some((p) => p.path !== '')) outcomes.validated++;
    const lineCount = text.split(/\r?\n|\r/).length;
    if (err.problems.length === 0) throw new Error('a ConfigError without problems');
    for (const p of err.problems) {
      const ok =
        p.file === 'prop.yaml' &&
        Number.isInteger(p.line) &&
        p.line >= 1 &&
        p.line <= lineCount &&
        Number.isInteger(p.col) &&
        p.col >= 1 &&
        typeof p.path === 'string' &&
        p.message.trim() !== '' &&
        !/\[object Object\]|^undefined|Invalid input/.test(p.message);
      if (!ok) throw new Error(`badly formed problem ${JSON.stringify(p)} (document has ${lineCount} lines)`);
    }
  };

  const params = (seed: number, numRuns: number) => ({ seed, numRuns, endOnFailure: true });

  it('ASCII strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), loadsOrRejectsCleanly), params(0x7a3f, 300));
  });

  it('Unicode strings, including control characters and astral-plane graphemes', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), loadsOrRejectsCleanly), params(0x7a40, 200));
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), loadsOrRejectsCleanly), params(0x7a41, 200));
  });

  it('random nested maps, lists and scalars in block and flow style, with anchors, aliases, tabs and stray characters', () => {
    fc.assert(fc.property(anyTree, loadsOrRejectsCleanly), params(0x7a42, 300));
  });

  it("config-shaped documents: the schema's sections with random values, so validation and positioning run", () => {
    const before = { ...outcomes };
    fc.assert(fc.property(configShaped, loadsOrRejectsCleanly), params(0x7a43, 300));
    // A good share gets past the YAML parser into validation (problems with a field path), so
    // positioning zod's issues on random trees is exercised, not only the parser's errors.
    expect(outcomes.validated - before.validated).toBeGreaterThan(75);
  });
});
