/**
 * Config loading end to end: every rejection class has a fixture and its exact operator-facing
 * lines (`file:line:col: path: message`, as `raqib check-config` prints them); valid files load
 * with the documented defaults; environment substitution cannot change the YAML structure.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, MAX_CONFIG_BYTES, parseConfig, type LoadedConfig } from '../../agent/config/load.js';
import type { CheckSpec } from '../../agent/config/resolve.js';
import type { DnsCheckConfig, HttpCheckConfig, TcpCheckConfig, TlsCheckConfig } from '../../agent/config/schema.js';
import { ConfigError, formatProblem } from '../../agent/errors.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, `${name}.yaml`);

/** The ConfigError a load rejects with; fails the test if it resolves or throws anything else. */
async function rejection(load: Promise<unknown>): Promise<ConfigError> {
  const err = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

function parseRejection(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(text, 'raqib.yaml', { env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

const lines = (err: ConfigError): string[] => err.problems.map(formatProblem);

/**
 * Fixture `invalid-<name>.yaml` → the lines the operator reads, without the `<file>:` prefix
 * (the test adds the fixture's path). Env is empty for all of them.
 */
const REJECTIONS: Record<string, string[]> = {
  // ── YAML itself ─────────────────────────────────────────────────────────────────────────────
  'empty-file': ['1:1: the file is empty; a config needs at least agent:, entity: and services:'],
  'comment-only': ['1:1: the file is empty; a config needs at least agent:, entity: and services:'],
  'yaml-unclosed-flow': ['5:9: YAML syntax error: this "{" is not closed; end it with "}", and indent any continuation line more than its key'],
  'duplicate-mapping-key': ['3:3: key "id" appears twice in the same mapping; keep only one'],
  'tab-indentation': ['2:1: YAML syntax error: a tab is used for indentation; indent with spaces'],
  'multiple-documents': ['3:1: the file holds more than one YAML document (a second ---); a config is a single document'],
  'alias-bomb': ['1:1: aliases (*name) expand to too many copies (more than 100); write the repeated values out instead'],
  'unknown-alias': ['10:11: services[0].name: *portal_name refers to no anchor; define &portal_name on a value above it, or remove the *'],
  'top-level-list': ['1:1: expected a mapping (key: value) with agent:, entity: and services: at the top level, got a list'],
  'top-level-scalar': ['1:1: expected a mapping (key: value) with agent:, entity: and services: at the top level, got "just some text"'],

  // ── keys ────────────────────────────────────────────────────────────────────────────────────
  'unknown-top-level-key': ['1:1: services: is required: expected a list', '8:1: servces: unknown key "servces"; did you mean "services"?'],
  'unknown-nested-key': ['17:9: services[0].checks[0].timout: unknown key "timout"; did you mean "timeout"?'],
  'unknown-key-no-suggestion': [
    '18:9: services[0].checks[0].colour: unknown key "colour"; allowed keys: id, critical, interval, schedule, timeout, retry_interval, failure_threshold, success_threshold, type, host, port, send, expect',
  ],
  'missing-agent-section': ['1:1: agent: is required: expected a mapping (key: value)'],
  'missing-agent-id': ['2:3: agent.id: is required: expected an id of lowercase letters, digits, "-" or "_" (at most 63, starting with a letter or digit)'],
  'missing-entity-name-en': ['6:5: entity.name.en: is required: expected the name in English'],
  'missing-service-checks': ['9:5: services[0].checks: is required: expected a list'],
  'missing-check-id': [
    '14:9: services[0].checks[0].id: is required: expected an id of lowercase letters, digits, "-" or "_" (at most 63, starting with a letter or digit)',
  ],
  'missing-check-type': ['14:9: services[0].checks[0].type: is required: expected one of http, tcp, dns, tls, grpc, websocket, icmp, alert'],
  'missing-check-url': ['14:9: services[0].checks[0].url: is required: expected an absolute http:// or https:// URL'],

  // ── wrong shapes and types ──────────────────────────────────────────────────────────────────
  'string-for-number': ['3:20: agent.max_concurrency: expected a number, got "lots"'],
  'list-for-mapping': ['2:3: agent: expected a mapping (key: value), got a list'],
  'mapping-for-list': ['9:3: services: expected a list, got a mapping'],
  'null-section': ['1:7: agent: expected a mapping (key: value), got an empty value'],
  'boolean-yes': ['17:19: services[0].checks[0].insecure: expected true or false, got "yes"'],
  'port-as-text': ['17:15: services[0].checks[0].port: expected a port number from 1 to 65535, got "5432"'],
  'empty-services': ['8:11: services: list at least one service to watch'],
  'empty-checks': ['13:13: services[0].checks: a service needs at least one check'],
  'empty-service-name': ['12:11: services[0].name.en: must not be empty'],

  // ── field values ────────────────────────────────────────────────────────────────────────────
  'bad-duration': ['17:19: services[0].checks[0].interval: expected a duration such as 500ms, 30s, 5m or 2h, got 30'],
  'bad-duration-unit': ['17:18: services[0].checks[0].timeout: expected a duration such as 500ms, 30s, 5m or 2h, got "5 sec"'],
  'zero-interval': [
    '17:19: services[0].checks[0].interval: must be longer than 0, such as 500ms or 30s, got "0s"',
    '18:18: services[0].checks[0].timeout: must be longer than 0, such as 500ms or 30s, got "0s"',
  ],
  'bad-size': ['17:24: services[0].checks[0].max_body_size: expected a size such as 1048576, 512KiB or 1MiB, got "1 megabyte"'],
  'bad-id-charset': [
    '9:9: services[0].id: expected an id of lowercase letters, digits, "-" or "_" (at most 63, starting with a letter or digit), got "Patient Portal"',
  ],
  'bad-entity-code': ['4:9: entity.code: expected an entity code of uppercase letters, digits, "-" or "_" such as MOH, got "moh"'],
  'bad-provider': [
    '13:15: services[0].provider: expected "self" or an entity code of uppercase letters, digits, "-" or "_" such as MOH, got "national info center"',
  ],
  'bad-channel': ['13:14: services[0].channel: expected one of web, mobile, api, gsb, got "mobil" (did you mean "mobile"?)'],
  'negative-beneficiaries': ['13:28: services[0].beneficiaries_per_day: must be at least 0, got -100'],
  'unknown-check-type': [
    '15:15: services[0].checks[0].type: unknown type "htp"; expected one of http, tcp, dns, tls, grpc, websocket, icmp, alert (did you mean "http"?)',
  ],
  'url-not-http': ['16:14: services[0].checks[0].url: expected an absolute http:// or https:// URL, got "ftp://files.moh.gov.sa/"'],
  'bad-method': ['17:17: services[0].checks[0].method: expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got "get" (did you mean "GET"?)'],
  'bad-status': [
    '18:30: services[0].checks[0].expect.status[2]: expected a status code (200), a class (2xx) or a range (200-299), got 600',
    '18:35: services[0].checks[0].expect.status[3]: expected a status code (200), a class (2xx) or a range (200-299), got "299-200"',
  ],
  'bad-regex': ['18:25: services[0].checks[0].expect.body_matches: invalid regular expression "(unclosed": unterminated group'],
  'bad-json-expectation': [
    '19:21: services[0].checks[0].expect.json.status: expected the value this JSON path must equal (text, a number, true, false or null), got a list',
  ],
  'bad-cron': [
    '17:19: services[0].checks[0].schedule: invalid cron expression "every 5 minutes": expected 5 or 6 fields but got 3. Write 6 fields (second minute hour day month weekday) such as "0 */5 * * * *", or 5 without seconds',
  ],
  'port-zero': ['17:15: services[0].checks[0].port: must be at least 1, got 0'],
  'port-too-big': ['17:15: services[0].checks[0].port: must be at most 65535, got 70000'],
  'bad-host': ['16:15: services[0].checks[0].host: expected a host name or IP address without scheme or port, got "https://db.moh.gov.sa"'],
  'bad-listen': ['3:11: agent.listen: expected host:port such as 127.0.0.1:9470, got "localhost"'],
  'bad-timezone': ['3:13: agent.timezone: expected an IANA time zone such as Asia/Riyadh, got "Riyadh"'],
  'canary-duplicate-id': ['6:15: agent.connectivity.canaries[1].id: duplicate canary id "gateway" (first used by canaries[0])'],
  'alert-matchers': [
    '17:38: services[0].checks[0].matchers[1]: invalid label matcher "instance=~\\"(unclosed\\"": invalid regular expression "(unclosed": unterminated group',
    '17:63: services[0].checks[0].matchers[2]: invalid label matcher "severity": expected a label matcher such as job="blackbox" or instance=~"https://.*" (name, then =, !=, =~ or !~, then a value)',
    '18:23: services[0].checks[0].expire_after: expected a duration such as 500ms, 30s, 5m or 2h, got "never"',
  ],
  'alert-without-token': [
    '15:15: services[0].checks[0].type: an alert check needs agent.alertmanager.token, the bearer token Alertmanager sends to POST /api/v1/alertmanager',
  ],
  'alert-canary': [
    "6:31: agent.connectivity.canaries[0].type: an alert check cannot be a canary: alerts say nothing of the agent's own reach; use http, tcp or tls",
  ],
  'canary-builtin-id': [
    '6:15: agent.connectivity.canaries[1].id: canary ids starting with "builtin-" name the built-in canaries; choose another id than "builtin-resolver"',
  ],
  'depends-on-cycle': [
    '13:17: services[0].depends_on: depends_on goes round in a circle back to "portal"; dependencies must form a tree',
    '22:17: services[1].depends_on: depends_on goes round in a circle back to "login"; dependencies must form a tree',
  ],
  'depends-on-unknown': ['13:18: services[0].depends_on[0]: no service "nafath-login"; depends_on names services of this config'],
  'bad-log-level': ['3:14: agent.log_level: expected one of fatal, error, warn, info, debug, trace, silent, got "warning" (did you mean "warn"?)'],
  'max-concurrency-zero': ['3:20: agent.max_concurrency: must be at least 1, got 0'],
  'threshold-zero': [
    '9:22: defaults.failure_threshold: must be at least 1, got 0',
    '19:28: services[0].checks[0].success_threshold: must be at least 1, got 0',
  ],
  'threshold-fraction': ['17:28: services[0].checks[0].failure_threshold: expected a whole number, got 2.5'],
  'auth-token-short': ['3:15: agent.auth_token: must be at least 16 characters'],
  'bad-dns-rcode': ['18:18: services[0].checks[0].expect.rcode: expected one of NOERROR, NXDOMAIN, SERVFAIL, REFUSED, got "NOERR" (did you mean "NOERROR"?)'],
  'bad-dns-record': ['17:17: services[0].checks[0].record: expected one of A, AAAA, CNAME, MX, TXT, NS, got "SRV"'],
  'bad-dns-server': [
    '17:17: services[0].checks[0].server: expected host:port such as 127.0.0.1:53 (the port may be left out), got "10.0.0.53:99999"; port 99999 is above 65535',
  ],
  'bad-cert-valid-days': ['18:28: services[0].checks[0].expect.cert_valid_days: must be at least 0, got -7'],
  'grpc-target-no-port': ['16:17: services[0].checks[0].target: expected host:port such as grpc.example.gov.sa:443, got "grpc.moh.gov.sa"'],
  'grpc-port-too-big': [
    '16:17: services[0].checks[0].target: expected host:port such as grpc.example.gov.sa:443, got "grpc.moh.gov.sa:70000"; port 70000 is above 65535',
  ],
  'grpc-tls-not-boolean': ['17:14: services[0].checks[0].tls: expected true or false, got "off"'],
  'websocket-url-not-ws': ['16:14: services[0].checks[0].url: expected an absolute ws:// or wss:// URL, got "https://live.moh.gov.sa/socket"'],
  'websocket-bad-regex': ['19:28: services[0].checks[0].expect.message_matches: invalid regular expression "\\"op\\":\\"pong\\"(": unterminated group'],
  'icmp-bad-host': ['16:15: services[0].checks[0].host: expected a host name or IP address without scheme or port, got "10.0.0.1/24"'],
  'icmp-port': ['17:9: services[0].checks[0].port: unknown key "port"; did you mean "host"?'],
  'notification-unknown-type': ['17:11: notifications[0].type: unknown type "pagr"; expected one of webhook, email, sms'],
  'email-bad-address': ['20:29: notifications[0].to[1]: expected an e-mail address such as crisis@moh.gov.sa, got "sara at moh.gov.sa"'],
  'email-bad-tls': ['20:12: notifications[0].smtp.tls: expected one of starttls, implicit, none, got "start_tls" (did you mean "starttls"?)'],
  'email-password-file-missing': [
    '21:22: notifications[0].smtp.password_file: cannot read password file /run/secrets/raqib-test-no-such-password: no such file',
  ],
  'email-password-file-open': [
    '22:22: notifications[0].smtp.password_file: password file /etc/passwd is open to group or others (mode 0644); make it private: chmod 600 /etc/passwd',
  ],
  'email-user-without-password-file': ['20:13: notifications[0].smtp.user: user needs password_file, the file that holds its password'],
  'sms-bad-number': ['19:27: notifications[0].to[1]: expected a mobile number in E.164 form such as +966500000000, got "0500000002"'],
  'sms-bad-success-status': ['19:29: notifications[0].success_status[1]: expected a status code (200), a class (2xx) or a range (200-299), got "20x"'],
  'sms-max-segments': ['19:19: notifications[0].max_segments: expected one of 1, 2, got 3'],
  'sms-unknown-placeholder': [
    '21:13: notifications[0].request.body: unknown placeholder {{txt}}; use {{to}}, {{text}}, {{reference}}, {{event}}, {{id}} (did you mean "{{text}}"?)',
    '21:13: notifications[0].request.body: unknown placeholder {{phone}}; use {{to}}, {{text}}, {{reference}}, {{event}}, {{id}}',
  ],
  'sms-body-without-content-type': [
    '20:13: notifications[0].request.body: a body needs a Content-Type header (application/json, application/x-www-form-urlencoded, text/plain, …): it says how the values put into the body are escaped',
  ],
  'sms-json-body-unquoted': [
    '21:13: notifications[0].request.body: is not valid JSON once its placeholders are filled; write each placeholder inside quotes, as in {"to": "{{to}}", "text": "{{text}}"}',
  ],
  'env-var-missing': [
    '3:15: agent.auth_token: environment variable RAQIB_TEST_UNSET_TOKEN is not set; set it, or write ${RAQIB_TEST_UNSET_TOKEN:-default} to give a default',
    '19:26: services[0].checks[0].headers.Authorization: environment variable RAQIB_TEST_UNSET_API_KEY is not set; set it, or write ${RAQIB_TEST_UNSET_API_KEY:-default} to give a default',
  ],

  // ── rules across fields ─────────────────────────────────────────────────────────────────────
  'interval-and-schedule': ['18:19: services[0].checks[0].schedule: set either interval or schedule, not both'],
  'timeout-over-interval': [
    '18:18: services[0].checks[0].timeout: timeout 15s is longer than interval 10s; runs would overlap and be skipped. Set timeout at most 10s or a longer interval',
  ],
  'timeout-over-interval-inherited': [
    '10:12: defaults.timeout: timeout 45s is longer than interval 30s; runs would overlap and be skipped. Set timeout at most 30s or a longer interval',
  ],
  'timeout-over-own-interval-inherited-timeout': [
    '17:19: services[0].checks[0].interval: timeout 10s is longer than interval 5s; runs would overlap and be skipped. Set timeout at most 5s or a longer interval',
  ],
  'retry-interval-over-interval': [
    '18:25: services[0].checks[0].retry_interval: retry_interval 1m is longer than interval 20s; a re-probe must come sooner than the next run',
  ],
  'duplicate-service-id': ['17:9: services[1].id: duplicate service id "portal" (first used by services[0]); ids must be unique'],
  'duplicate-check-id': [
    '17:13: services[0].checks[1].id: duplicate check id "home" in service "portal" (first used by checks[0]); ids must be unique within a service',
  ],
  'provider-own-code': ['13:15: services[0].provider: "MOH" is this entity\'s own code; write provider: self for its own services'],

  // ── several at once: all reported, in file order ────────────────────────────────────────────
  'several-problems': [
    '2:7: agent.id: expected an id of lowercase letters, digits, "-" or "_" (at most 63, starting with a letter or digit), got "Riyadh DC1"',
    '3:11: agent.listen: expected host:port such as 127.0.0.1:9470, got "nowhere:port"',
    '14:5: services[0].chanel: unknown key "chanel"; did you mean "channel"?',
    '18:14: services[0].checks[0].url: expected an absolute http:// or https:// URL, got "www.moh.gov.sa"',
    '19:18: services[0].checks[0].timeout: expected a duration such as 500ms, 30s, 5m or 2h, got "fast"',
  ],
};

describe('invalid configs: one fixture per rejection class, exact operator-facing lines', () => {
  it('has a table entry for every invalid fixture and a fixture for every entry', async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.startsWith('invalid-')).map((f) => f.slice(8, -5));
    expect(files.sort()).toEqual(Object.keys(REJECTIONS).sort());
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it.each(Object.entries(REJECTIONS))('invalid-%s.yaml', async (name, expected) => {
    const file = fixture(`invalid-${name}`);
    const err = await rejection(loadConfigFile(file, { env: {} }));
    expect(lines(err)).toEqual(expected.map((line) => `${file}:${line}`));
    expect(err.message).toBe(lines(err).join('\n'));
    expect(err.code).toBe('RAQIB_CONFIG_INVALID');
    expect(err.exitCode).toBe(2);
  });
});

describe('files that cannot be read', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raqib-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a file over 4 MiB before parsing it', async () => {
    const file = join(dir, 'huge.yaml');
    const line = `# ${'x'.repeat(1021)}\n`; // 1 KiB
    await writeFile(file, line.repeat(MAX_CONFIG_BYTES / 1024 + 1));
    const err = await rejection(loadConfigFile(file));
    expect(lines(err)).toEqual([`${file}:1:1: file is ${MAX_CONFIG_BYTES + 1024} bytes; a config may be at most 4 MiB (4194304 bytes)`]);
  });

  it('says so when the file does not exist', async () => {
    const file = join(dir, 'missing.yaml');
    const err = await rejection(loadConfigFile(file));
    expect(lines(err)).toEqual([`${file}:1:1: cannot read config file: no such file`]);
  });

  it('says so when the path is a directory', async () => {
    const err = await rejection(loadConfigFile(dir));
    expect(lines(err)).toEqual([`${dir}:1:1: is not a regular file; pass the path of a YAML config file`]);
  });
});

// ── valid configs ───────────────────────────────────────────────────────────────────────────

const byKey = (loaded: LoadedConfig): Record<string, CheckSpec> => Object.fromEntries(loaded.checks.map((c) => [c.key, c]));

describe('valid-minimal.yaml: everything not written takes its documented default', () => {
  let loaded: LoadedConfig;
  beforeAll(async () => {
    loaded = await loadConfigFile(fixture('valid-minimal'), { env: {} });
  });

  it('fills agent defaults', () => {
    expect(loaded.config.agent).toEqual({
      id: 'riyadh-dc1',
      listen: '0.0.0.0:9470',
      data_dir: './data',
      timezone: 'Asia/Riyadh',
      max_concurrency: 256,
      shutdown_timeout: 10_000,
      log_level: 'info',
      connectivity: { interval: 10_000, timeout: 3_000, canaries: [] },
    });
  });

  it('fills defaults: interval 30s, timeout 10s, failure_threshold 3, success_threshold 2, flapping 4 changes in 30m', () => {
    expect(loaded.config.defaults).toEqual({
      interval: 30_000,
      timeout: 10_000,
      failure_threshold: 3,
      success_threshold: 2,
      flapping: { changes: 4, window: 1_800_000 },
    });
  });

  it('fills service defaults: provider self, channel web, no beneficiaries', () => {
    const { provider, channel, beneficiaries_per_day } = loaded.config.services[0]!;
    expect({ provider, channel, beneficiaries_per_day }).toEqual({ provider: 'self', channel: 'web', beneficiaries_per_day: 0 });
  });

  it('resolves the check with inherited timing and retry_interval = interval/3', () => {
    const spec = loaded.checks[0]!;
    expect(spec).toMatchObject({
      key: 'portal/home',
      serviceId: 'portal',
      checkId: 'home',
      type: 'http',
      critical: true,
      intervalMs: 30_000,
      schedule: undefined,
      timeoutMs: 10_000,
      retryIntervalMs: 10_000,
      failureThreshold: 3,
      successThreshold: 2,
    });
  });

  it('fills http defaults: GET, 2xx, 1 MiB body, 10 redirects, verified TLS, resumed sessions', () => {
    expect(loaded.checks[0]!.config).toEqual({
      id: 'home',
      type: 'http',
      critical: true,
      url: 'https://www.moh.gov.sa/',
      method: 'GET',
      headers: {},
      insecure: false,
      tls_resume: true,
      max_redirects: 10,
      max_body_size: 1_048_576,
      expect: { status: [{ min: 200, max: 299 }] },
    });
  });
});

/** A valid config around the given `checks:` items (indented as list items under checks). */
const withChecks = (checks: string, defaults = ''): string => `agent:
  id: riyadh-dc1
entity:
  code: MOH
  name: { ar: وزارة الصحة, en: Ministry of Health }
${defaults}services:
  - id: portal
    name: { ar: البوابة, en: Portal }
    checks:
${checks}`;

describe('defaults of the other check types', () => {
  const loaded = parseConfig(
    withChecks(`      - { id: db, type: tcp, host: db.moh.gov.sa, port: 5432 }
      - { id: resolve, type: dns, name: www.moh.gov.sa }
      - { id: cert, type: tls, host: www.moh.gov.sa }
`),
    'raqib.yaml',
    { env: {} },
  );
  const config = (key: string) => byKey(loaded)[key]!.config;

  it.each([
    ['tcp: no banner expected', 'portal/db', { expect: {} } satisfies Partial<TcpCheckConfig>],
    ['dns: record A, rcode NOERROR', 'portal/resolve', { record: 'A', expect: { rcode: 'NOERROR' } } satisfies Partial<DnsCheckConfig>],
    ['tls: port 443, cert_valid_days 14', 'portal/cert', { port: 443, expect: { cert_valid_days: 14 } } satisfies Partial<TlsCheckConfig>],
  ])('%s', (_why, key, expected) => {
    expect(config(key)).toMatchObject(expected);
  });
});

describe('valid-full.yaml: every field once, overrides win over defaults', () => {
  let loaded: LoadedConfig;
  let checks: Record<string, CheckSpec>;
  beforeAll(async () => {
    loaded = await loadConfigFile(fixture('valid-full'), { env: {} });
    checks = byKey(loaded);
  });

  it('keeps the agent settings as written, durations in ms', () => {
    expect(loaded.config.agent).toEqual({
      id: 'riyadh-dc1',
      listen: '127.0.0.1:9100',
      data_dir: '/var/lib/raqib',
      timezone: 'UTC',
      max_concurrency: 64,
      auth_token: '0123456789abcdef0123',
      shutdown_timeout: 20_000,
      log_level: 'debug',
      connectivity: { interval: 10_000, timeout: 3_000, canaries: [] },
    });
  });

  it.each([
    // key, intervalMs, timeoutMs, retryIntervalMs, failureThreshold, successThreshold, why
    ['portal/home', 45_000, 5_000, 10_000, 2, 5, 'every timing field set on the check wins'],
    ['portal/nightly', undefined, 3_000, 20_000, 4, 3, 'a schedule: check has no interval; the rest comes from defaults'],
    ['nic-dns/resolve', 60_000, 15_000, 20_000, 4, 3, 'a check that sets nothing takes defaults:'],
    ['nic-dns/cert', 60_000, 15_000, 20_000, 4, 3, 'same for a tls check'],
  ] as const)('%s: interval %s, timeout %s, retry %s, thresholds %s/%s (%s)', (key, interval, timeout, retry, failures, successes, _why) => {
    expect(checks[key]).toMatchObject({
      intervalMs: interval,
      timeoutMs: timeout,
      retryIntervalMs: retry,
      failureThreshold: failures,
      successThreshold: successes,
    });
  });

  it('parses the http check fully: sizes, status ranges, json expectations', () => {
    const http = checks['portal/home']!.config as HttpCheckConfig;
    expect(http).toMatchObject({
      critical: false,
      method: 'POST',
      headers: { Authorization: 'Bearer abc', Accept: 'application/json' },
      body: '{"ping":true}',
      insecure: true,
      ca_file: '/etc/raqib/ca.pem',
      max_redirects: 3,
      max_body_size: 512 * 1024,
      expect: {
        status: [
          { min: 200, max: 200 },
          { min: 300, max: 399 },
          { min: 400, max: 404 },
        ],
        body_contains: 'ok',
        body_matches: '"status":\\s*"(up|ok)"',
        json: { status: 'up', 'checks[0].healthy': true, version: 3, error: null },
        headers: ['content-type'],
        max_latency: 2_000,
      },
    });
  });

  it('keeps the schedule and the tcp, dns and tls specifics', () => {
    expect(checks['portal/nightly']!.schedule).toBe('0 */5 * * * *');
    expect(checks['portal/nightly']!.config).toMatchObject({ host: 'db.moh.gov.sa', port: 5432, send: 'PING\r\n', expect: { banner: 'PONG' } });
    expect(checks['nic-dns/resolve']!.config).toMatchObject({
      name: 'www.moh.gov.sa',
      record: 'AAAA',
      server: '10.0.0.53:5353',
      expect: { rcode: 'NXDOMAIN', answer_contains: '2001:db8' },
    });
    expect(checks['nic-dns/cert']!.config).toMatchObject({
      port: 8443,
      servername: 'moh.gov.sa',
      ca_file: '/etc/raqib/nic-ca.pem',
      expect: { cert_valid_days: 30 },
    });
  });

  it('keeps service metadata', () => {
    const metadata = loaded.config.services.map(({ id, provider, channel, beneficiaries_per_day }) => ({
      id,
      provider,
      channel,
      beneficiaries_per_day,
    }));
    expect(metadata).toEqual([
      { id: 'portal', provider: 'self', channel: 'api', beneficiaries_per_day: 250_000 },
      { id: 'nic-dns', provider: 'NIC', channel: 'gsb', beneficiaries_per_day: 0 },
    ]);
  });
});

describe('retry_interval defaults to a third of the effective interval', () => {
  it.each([
    ['defaults.interval', '', '', 10_000],
    ["the check's own interval", '', 'interval: 1m, ', 20_000],
    ['an explicit defaults.retry_interval', 'defaults: { retry_interval: 5s }\n', '', 5_000],
    ['never below 1s', 'defaults: { interval: 2s, timeout: 1s }\n', '', 1_000],
  ])('from %s', (_from, defaults, own, expected) => {
    const loaded = parseConfig(withChecks(`      - { id: c, type: tcp, host: h, port: 1, ${own}}\n`, defaults), 'raqib.yaml', { env: {} });
    expect(loaded.checks[0]!.retryIntervalMs).toBe(expected);
  });
});

// ── environment substitution ────────────────────────────────────────────────────────────────

describe('environment substitution', () => {
  const load = (check: string, env: NodeJS.ProcessEnv) => parseConfig(withChecks(check), 'raqib.yaml', { env }).checks[0]!.config;

  it.each([
    ['${X} takes the variable', 'https://${HOST}/health', { HOST: 'api.moh.gov.sa' }, 'https://api.moh.gov.sa/health'],
    ['${X:-d} takes the default when unset', 'https://${HOST:-www.moh.gov.sa}/', {}, 'https://www.moh.gov.sa/'],
    ['${X:-d} takes the default when empty', 'https://${HOST:-www.moh.gov.sa}/', { HOST: '' }, 'https://www.moh.gov.sa/'],
    ['${X:-d} prefers the variable', 'https://${HOST:-www.moh.gov.sa}/', { HOST: 'a.sa' }, 'https://a.sa/'],
    ['$${X} is a literal ${X}', 'https://www.moh.gov.sa/?q=$${HOST}', { HOST: 'no' }, 'https://www.moh.gov.sa/?q=${HOST}'],
  ])('%s', (_why, url, env, expected) => {
    const check = load(`      - id: c\n        type: http\n        url: ${url}\n`, env) as HttpCheckConfig;
    expect(check.url).toBe(expected);
  });

  it('coerces a value that is a single reference to the type its text spells', () => {
    const check = load('      - id: c\n        type: tls\n        host: h\n        port: ${PORT}\n        critical: ${CRITICAL}\n', {
      PORT: '8443',
      CRITICAL: 'false',
    });
    expect(check).toMatchObject({ port: 8443, critical: false });
  });

  it.each([
    ['": " and "#"', 'x: y # not a comment'],
    ['a newline and a list', 'x\nservices: []'],
    ['flow syntax', '{ a: 1 }'],
    ['an anchor and alias', '&a *a'],
  ])('a value containing %s stays a plain string and cannot inject YAML', (_what, value) => {
    const check = load('      - { id: c, type: http, url: "https://h/", body: "${BODY}", headers: { X-Raw: "${BODY}" } }\n', { BODY: value });
    expect(check).toMatchObject({ body: value, headers: { 'X-Raw': value } });
  });

  it('a single reference that is not a number stays text, so the field type decides', () => {
    const err = parseRejection(withChecks('      - { id: c, type: tcp, host: h, port: "${PORT}" }\n'), { PORT: '5432 # admin' });
    expect(lines(err)).toEqual(['raqib.yaml:10:44: services[0].checks[0].port: expected a port number from 1 to 65535, got the value of ${PORT}']);
  });

  it.each([
    ['a flow mapping', '      - { id: c, type: tls, host: h, port: ${PORT} }\n', 'raqib.yaml:10:44'],
    ['a flow list', '      - id: c\n        type: http\n        url: https://h/\n        expect: { headers: [${H}] }\n', 'raqib.yaml:13:29'],
  ])('an unquoted ${...} inside %s is pointed at, with the fix', (_where, check, at) => {
    expect(lines(parseRejection(withChecks(check), { PORT: '1', H: 'x' }))).toEqual([
      `${at}: YAML syntax error: inside { } or [ ], quote a value that uses \${...}, e.g. "\${NAME}"`,
    ]);
  });

  it('an empty variable without a default is reported as empty, at the value', () => {
    const err = parseRejection(withChecks('      - { id: c, type: http, url: "${URL}" }\n'), { URL: '' });
    expect(lines(err)).toEqual([
      'raqib.yaml:10:35: services[0].checks[0].url: environment variable URL is empty; set it, or write ${URL:-default} to give a default',
    ]);
  });
});

describe('pathological YAML is refused with a message, not a crash', () => {
  it.each([
    ['brackets', `agent: ${'['.repeat(5_000)}1${']'.repeat(5_000)}\n`],
    ['flow mappings', `agent: ${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}\n`],
    ['list items', `${'- '.repeat(5_000)}1\n`],
  ])('nesting thousands of %s deep', (_what, text) => {
    // Where the parser runs out of stack depends on the stack size, so only line and message are fixed.
    const [problem, ...rest] = parseRejection(text).problems;
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({
      line: 1,
      path: '',
      message: 'YAML syntax error: nested too deeply (hundreds of levels); a config needs only a few',
    });
  });
});

describe('several problems in one file', () => {
  it('reports every cross-field problem, sorted by line', () => {
    const text = `agent:
  id: riyadh-dc1
entity:
  code: MOH
  name: { ar: a, en: b }
services:
  - id: portal
    name: { ar: a, en: b }
    provider: MOH
    checks:
      - { id: c, type: tcp, host: h, port: 1, interval: 5s, timeout: 6s }
      - { id: c, type: tcp, host: h, port: 1, schedule: "* * * * *", interval: 1m }
  - id: portal
    name: { ar: a, en: b }
    checks:
      - { id: c, type: tcp, host: h, port: 1, retry_interval: 1m }
`;
    expect(lines(parseRejection(text))).toEqual([
      'raqib.yaml:9:15: services[0].provider: "MOH" is this entity\'s own code; write provider: self for its own services',
      'raqib.yaml:11:70: services[0].checks[0].timeout: timeout 6s is longer than interval 5s; runs would overlap and be skipped. Set timeout at most 5s or a longer interval',
      'raqib.yaml:12:15: services[0].checks[1].id: duplicate check id "c" in service "portal" (first used by checks[0]); ids must be unique within a service',
      'raqib.yaml:12:57: services[0].checks[1].schedule: set either interval or schedule, not both',
      'raqib.yaml:13:9: services[1].id: duplicate service id "portal" (first used by services[0]); ids must be unique',
      'raqib.yaml:16:63: services[1].checks[0].retry_interval: retry_interval 1m is longer than interval 30s; a re-probe must come sooner than the next run',
    ]);
  });

  it('reports a broken YAML line once, not every stumble of the parser on it', () => {
    // The parser raises four errors for line 3; only the first says what the operator did.
    const err = parseRejection('agent:\n  - x\n\t- y\n');
    expect(lines(err)).toEqual(['raqib.yaml:3:1: YAML syntax error: a tab is used for indentation; indent with spaces']);
  });
});
