/**
 * Secrets stay secret: marker secrets planted where operators put them (the agent's bearer token,
 * a check's Authorization and X-Api-Key headers, a webhook's header and its secret URL path, all
 * through ${ENV}) and the OAuth tokens of a real sign-in are searched for in everything the agent
 * writes or serves over a whole outage filed with a sandbox authority: logs, the API, metrics, the
 * audit log, every file in data_dir but the sign-in itself, what the authority and the webhook
 * received. Then the agent's own server: bearer auth on /metrics and /api (constant-time), size
 * limits on requests, and 0600 files.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../agent/cli/dispatch.js';
import { createLogger } from '../../agent/log.js';
import { startSandbox, type Sandbox } from '../../agent/sandbox/server.js';
import { MAX_ACTION_BYTES, MAX_REQUEST_HEAD_BYTES } from '../../agent/server/server.js';
import { eventually, runCli, startAgent, stopAllAgents, type AgentProcess } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { ALTERNATE, MANAGER } from '../helpers/reporting.js';
import { closedPort } from '../helpers/targets.js';
import { startWebhook, type Webhook } from '../helpers/webhook.js';

// bearerMatches must compare through crypto.timingSafeEqual; the spy lets a test see that it does.
const timingSafeEqual = vi.hoisted(() => ({ calls: [] as [number, number][] }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      timingSafeEqual.calls.push([a.byteLength, b.byteLength]);
      return actual.timingSafeEqual(a, b);
    },
  };
});
const { bearerMatches } = await import('../../agent/server/auth.js');

const MARKER = 'SECRET-MARKER-7f3a';
/** The planted secrets, by where they were planted; each unique, all sharing MARKER. */
const PLANTED = {
  auth_token: `${MARKER}-agent-auth-token`,
  check_bearer: `${MARKER}-check-bearer`,
  check_api_key: `${MARKER}-check-api-key`,
  webhook_header: `${MARKER}-webhook-header`,
  webhook_path: `${MARKER}-webhook-path`,
  check_url_query: `${MARKER}-check-url-query`,
};
const ENV = {
  RAQIB_TEST_AUTH_TOKEN: PLANTED.auth_token,
  RAQIB_TEST_CHECK_BEARER: PLANTED.check_bearer,
  RAQIB_TEST_CHECK_API_KEY: PLANTED.check_api_key,
  RAQIB_TEST_HOOK_TOKEN: PLANTED.webhook_header,
  RAQIB_TEST_URL_KEY: PLANTED.check_url_query,
};

/** Every secret found in `text`, by name; empty when none. */
function leaks(text: string, secrets: Record<string, string>): string[] {
  const found = Object.entries(secrets)
    .filter(([, v]) => v.length >= 8 && text.includes(v))
    .map(([k]) => k);
  if (text.includes(MARKER) && found.length === 0) found.push('marker');
  return found;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** The watched service: records the URL and headers of each request; 200 while up, 503 while down. */
async function startService() {
  let up = true;
  const headers: IncomingHttpHeaders[] = [];
  const urls: string[] = [];
  const server = createServer((req, res) => {
    headers.push(req.headers);
    urls.push(req.url ?? '');
    res.writeHead(up ? 200 : 503, { 'content-type': 'text/plain', connection: 'close' }).end(up ? 'ok' : 'unavailable');
  });
  const url = await listen(server);
  return { url: `${url}/health`, headers, urls, set: (v: boolean) => (up = v), close: () => closeServer(server) };
}

/**
 * A pass-through proxy in front of the sandbox authority that keeps what crossed it: every request
 * (headers, body) and the tokens the authority handed out, so the test knows the access tokens.
 */
async function startRecordingProxy(target: string) {
  const requests: { method: string; path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const tokens = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
      const out = httpRequest(`${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
        const back: Buffer[] = [];
        answer.on('data', (c: Buffer) => back.push(c));
        answer.on('end', () => {
          const text = Buffer.concat(back).toString('utf8');
          if (req.url?.startsWith('/oauth/token')) {
            try {
              const t = JSON.parse(text) as { access_token?: string; refresh_token?: string };
              if (t.access_token) tokens.add(t.access_token);
              if (t.refresh_token) tokens.add(t.refresh_token);
            } catch {
              // not a token answer (e.g. authorization_pending)
            }
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers).end(text);
        });
      });
      out.on('error', () => res.writeHead(502).end());
      out.end(body);
    });
  });
  const url = await listen(server);
  return { url, requests, tokens, close: () => closeServer(server) };
}

/** Every file under `dir`, recursively, as [relative path, content]. */
async function filesUnder(dir: string, prefix = ''): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(join(dir, entry.name), rel)));
    else if (entry.isFile()) out.push([rel, await readFile(join(dir, entry.name), 'utf8')]);
  }
  return out;
}

describe('secrets planted in the config and the sign-in, over a whole outage filed with the authority', () => {
  let dir: string;
  let service: Awaited<ReturnType<typeof startService>>;
  let sandbox: Sandbox;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let hook: Webhook;
  let agent: AgentProcess;
  /** Planted secrets plus the OAuth tokens of the sign-in: nothing below may show any of them. */
  let secrets: Record<string, string>;
  const seen: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raqib-security-'));
    service = await startService();
    sandbox = await startSandbox({
      dataFile: join(dir, 'sandbox.json'),
      autoApprove: true,
      ackDelayMs: 200,
      pollIntervalSeconds: 1,
      log: createLogger({ level: 'silent' }),
    });
    proxy = await startRecordingProxy(sandbox.url);
    hook = await startWebhook();
    const env = { ...ENV, RAQIB_TEST_HOOK_URL: `${hook.url}/hooks/${PLANTED.webhook_path}` };
    const yaml = configYaml(
      [
        {
          id: 'appointments',
          beneficiaries_per_day: 48000,
          checks: [
            {
              id: 'portal',
              type: 'http',
              url: `${service.url}?api_key=\${RAQIB_TEST_URL_KEY}`,
              headers: { Authorization: 'Bearer ${RAQIB_TEST_CHECK_BEARER}', 'X-Api-Key': '${RAQIB_TEST_CHECK_API_KEY}' },
            },
          ],
        },
      ],
      { data_dir: './data', auth_token: '${RAQIB_TEST_AUTH_TOKEN}', log_level: 'debug' },
      {
        defaults: { interval: '500ms', timeout: '400ms', retry_interval: '200ms', failure_threshold: 2, success_threshold: 2 },
        authority: { mode: 'sandbox', url: proxy.url, update_interval: '2s', followup_interval: '500ms', final_report_deadline: '1h', retry_max_delay: '1s' },
        crisis_team: { members: [MANAGER, ALTERNATE] },
        notifications: [{ id: 'ops', type: 'webhook', url: '${RAQIB_TEST_HOOK_URL}', format: 'json', headers: { 'X-Hook-Token': '${RAQIB_TEST_HOOK_TOKEN}' } }],
      },
    );
    const configFile = join(dir, 'raqib.yaml');
    await writeFile(configFile, yaml);
    const cli = async (...args: string[]) => {
      const r = await runCli([...args, '--config', configFile], env, dir);
      seen[`cli ${args.join(' ')}`] = `${r.stdout}\n${r.stderr}`;
      return r;
    };
    const login = await cli('login');
    expect(login.code, login.stderr).toBe(0);
    const signIn = JSON.parse(await readFile(join(dir, 'data/authority-sign-in.json'), 'utf8')) as { refresh_token: string };

    agent = await startAgent(yaml, { dir, env });
    await eventually(() => sandbox.state.teams.length === 1);
    await eventually(() => service.headers.length > 0);
    service.set(false);
    const filed = await eventually(() => sandbox.state.reports[0]);
    await eventually(() => sandbox.state.reports[0]!.updates.some((u) => u.status === 'ongoing'), 10_000);
    service.set(true);
    await eventually(() => sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored'), 10_000);
    expect((await cli('reports', 'finalize', filed.reference, '--actions', 'Restarted the appointment servers')).code).toBe(0);
    await eventually(() => sandbox.state.reports[0]!.final_report, 10_000);
    await eventually(() => hook.received.some((r) => r.body?.event === 'incident_closed'), 10_000);
    await cli('reports', 'list');
    await cli('reports', 'show', filed.reference);
    await cli('reports', 'list', '--json');

    const bearer = { authorization: `Bearer ${PLANTED.auth_token}` };
    for (const path of [
      '/metrics',
      '/api/v1/status',
      '/api/v1/reports',
      `/api/v1/reports/${filed.reference}`,
      '/api/v1/incidents',
      '/api/v1/checks/appointments/portal',
      '/readyz',
      '/healthz',
    ]) {
      const res = await fetch(`${agent.url}${path}`, { headers: bearer });
      expect(res.status, path).toBe(200);
      seen[`GET ${path}`] = await res.text();
    }
    expect(await agent.stop('SIGTERM')).toBe(0);
    seen['agent stdout (logs)'] = JSON.stringify(agent.logs);
    seen['agent stderr'] = agent.stderr();
    for (const [file, text] of await filesUnder(join(dir, 'data'))) {
      if (file !== 'authority-sign-in.json') seen[`data_dir/${file}`] = text;
    }
    seen['authority: what it holds (sandbox.state)'] = JSON.stringify(sandbox.state);
    seen['authority: its data file'] = await readFile(join(dir, 'sandbox.json'), 'utf8');
    // The refresh grant is the one request whose body carries a token (the refresh token, by design).
    const grants = proxy.requests.filter((r) => r.path.startsWith('/oauth/'));
    seen['authority: request bodies'] = JSON.stringify(proxy.requests.filter((r) => !grants.includes(r)).map((r) => r.body));
    seen['authority: OAuth request bodies, but for the refresh token'] = JSON.stringify(
      grants.map((r) => r.body.split(encodeURIComponent(signIn.refresh_token)).join('')),
    );
    seen['authority: request headers other than its own bearer'] = JSON.stringify(proxy.requests.map((r) => ({ ...r.headers, authorization: undefined })));
    seen['webhook: bodies'] = JSON.stringify(hook.received.map((r) => r.body));
    seen['webhook: headers other than its own token'] = JSON.stringify(hook.received.map((r) => ({ ...r.headers, 'x-hook-token': undefined })));

    const accessTokens = [...proxy.tokens].filter((t) => t !== signIn.refresh_token);
    expect(accessTokens.length).toBeGreaterThan(0);
    secrets = { ...PLANTED, refresh_token: signIn.refresh_token, ...Object.fromEntries(accessTokens.map((t, i) => [`access_token_${i}`, t])) };
  }, 90_000);

  afterAll(async () => {
    await stopAllAgents();
    await Promise.all([service?.close(), proxy?.close(), hook?.close(), sandbox?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('used every planted secret where it belongs, so their absence elsewhere means something', () => {
    const h = service.headers.at(-1)!;
    expect(h['authorization']).toBe(`Bearer ${PLANTED.check_bearer}`);
    expect(h['x-api-key']).toBe(PLANTED.check_api_key);
    expect(service.urls.at(-1)).toBe(`/health?api_key=${PLANTED.check_url_query}`);
    expect(hook.received.length).toBeGreaterThan(0);
    for (const r of hook.received) {
      expect(r.headers['x-hook-token']).toBe(PLANTED.webhook_header);
      expect(r.path).toBe(`/hooks/${PLANTED.webhook_path}`);
    }
    const used = Object.entries(secrets)
      .filter(([k]) => k.startsWith('access_token_'))
      .map(([, v]) => `Bearer ${v}`);
    expect(proxy.requests.some((r) => used.includes(r.headers.authorization ?? ''))).toBe(true);
    // The authority gets its own bearer and nothing else in Authorization (never a check's).
    for (const r of proxy.requests) if (r.headers.authorization !== undefined) expect(used).toContain(r.headers.authorization);
    expect(proxy.requests.some((r) => r.body.includes(encodeURIComponent(secrets['refresh_token']!)) || r.body.includes(secrets['refresh_token']!))).toBe(true);
    // The reports went through: a whole outage, restoration and final report were filed.
    expect(sandbox.state.reports).toHaveLength(1);
    expect(sandbox.state.reports[0]!.final_report).toBeDefined();
  });

  it('searched a non-trivial amount of output', () => {
    for (const key of [
      'agent stdout (logs)',
      'GET /metrics',
      'GET /api/v1/status',
      'GET /api/v1/reports',
      'data_dir/audit.log',
      'data_dir/state.json',
      'authority: what it holds (sandbox.state)',
      'webhook: bodies',
    ]) {
      expect(seen[key], key).toBeDefined();
      expect(seen[key]!.length, key).toBeGreaterThan(100);
    }
    expect(Object.keys(seen).length).toBeGreaterThan(20);
  });

  it.each([
    ['the logs (stdout and stderr) and the CLI output', /^(agent |cli )/],
    ['/metrics', /^GET \/metrics$/],
    ['/api/v1/* and the health endpoints', /^GET \/(api|healthz|readyz)/],
    ['the audit log', /^data_dir\/audit\.log$/],
    ['state.json, its backup and every other file in data_dir but the sign-in', /^data_dir\//],
    ['what the authority received and holds (reports, updates, final report)', /^authority: /],
    ['what the webhook received, but for its own header and URL', /^webhook: /],
  ])('no secret appears in %s', (_what, which) => {
    const searched = Object.keys(seen).filter((k) => which.test(k));
    expect(searched.length).toBeGreaterThan(0);
    const found = Object.fromEntries(searched.map((k) => [k, leaks(seen[k]!, secrets)]).filter(([, v]) => v!.length > 0));
    expect(found).toEqual({});
  });

  it('keeps the sign-in, the state and the audit log readable by the owner only (0600), data_dir 0700', async () => {
    for (const file of ['authority-sign-in.json', 'state.json', 'audit.log']) {
      expect(((await stat(join(dir, 'data', file))).mode & 0o777).toString(8), file).toBe('600');
    }
    expect(((await stat(join(dir, 'data'))).mode & 0o077).toString(8)).toBe('0');
  });
});

// ── config errors ────────────────────────────────────────────────────────────────────────────────

describe('config errors about a value taken from the environment', () => {
  /** Long, as real tokens are: messages shorten long values, and the shortened form must not show either. */
  const SECRET = `${MARKER}-${randomBytes(48).toString('hex')}`;
  const config = (agent: string, check: string, extra = '') =>
    `agent:\n  id: a\n${agent}entity: { code: MOH, name: { ar: a, en: b } }\nservices:\n  - id: s\n    name: { ar: a, en: b }\n    checks:\n      - { id: c, type: http, url: "https://x.example.sa/"${check} }\n${extra}`;

  it.each([
    ['agent.log_level', config('  log_level: ${SECRET_VALUE}\n', '')],
    ['agent.max_concurrency', config('  max_concurrency: ${SECRET_VALUE}\n', '')],
    ['agent.listen', config('  listen: ${SECRET_VALUE}\n', '')],
    ['services[0].checks[0].headers', config('', ', headers: "${SECRET_VALUE}"')],
    ['services[0].checks[0].url', config('', '').replace('"https://x.example.sa/"', '"htps://x.example.sa/?token=${SECRET_VALUE}"')],
    ['services[0].checks[0].method', config('', ', method: "${SECRET_VALUE}"')],
    ['services[0].checks[0].insecure', config('', ', insecure: "${SECRET_VALUE}"')],
    ['services[0].checks[0].max_redirects', config('', ', max_redirects: "${SECRET_VALUE}"')],
    ['notifications[0].format', config('', '', 'notifications:\n  - { id: n, type: webhook, url: "https://hooks.example.sa/", format: "${SECRET_VALUE}" }\n')],
    ['notifications[0].url', config('', '', 'notifications:\n  - { id: n, type: webhook, url: "ftp://hooks.example.sa/${SECRET_VALUE}" }\n')],
    ['authority.mode', config('', '', 'authority: { mode: "${SECRET_VALUE}" }\n')],
  ])('%s: check-config names the variable, never prints its value or a part of it', async (path, text) => {
    const dir = await mkdtemp(join(tmpdir(), 'raqib-security-'));
    try {
      const file = join(dir, 'raqib.yaml');
      await writeFile(file, text);
      let out = '';
      let err = '';
      const code = await main(['check-config', '--config', file], { out: (t) => (out += t), err: (t) => (err += t), env: { SECRET_VALUE: SECRET } });
      expect(code).toBe(2);
      expect(err).toContain(`${path}: `);
      expect(err).toContain('${SECRET_VALUE}');
      expect(leaks(err + out, { SECRET, prefix: SECRET.slice(0, 12), suffix: SECRET.slice(-12) })).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ── the agent's own server ───────────────────────────────────────────────────────────────────────

/** Sends raw bytes and returns the status line's code (or the error that ended the exchange). */
function rawExchange(url: string, head: string, body: Buffer = Buffer.alloc(0)): Promise<number | string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(got ? got.slice(0, 40) : (err.code ?? err.message)));
    socket.on('close', () => resolve(got ? got.slice(0, 40) : 'closed'));
    socket.write(head);
    // Sent in pieces, so an early answer can arrive while the body still flows.
    for (let i = 0; i < body.length; i += 16 * 1024) socket.write(body.subarray(i, i + 16 * 1024));
  });
}

describe("the agent's own server, with agent.auth_token set", () => {
  const TOKEN = `${MARKER}-${randomBytes(12).toString('hex')}`;
  let dir: string;
  let agent: AgentProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raqib-security-'));
    const yaml = configYaml(
      [{ id: 'web', checks: [{ id: 'portal', type: 'tcp', host: '127.0.0.1', port: await closedPort(), interval: '1m', timeout: '1s' }] }],
      {
        data_dir: './data',
        auth_token: '${RAQIB_TEST_AUTH_TOKEN}',
      },
    );
    agent = await startAgent(yaml, { dir, env: { RAQIB_TEST_AUTH_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await stopAllAgents();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const get = (path: string, authorization?: string) => fetch(`${agent.url}${path}`, { headers: authorization === undefined ? {} : { authorization } });

  it.each(['/metrics', '/api/v1/status', '/api/v1/incidents', '/api/v1/reports'])(
    '%s answers 401 without the token or with a wrong one, 200 with it',
    async (path) => {
      for (const wrong of [
        undefined,
        '',
        'Bearer',
        `Bearer ${TOKEN.slice(0, -1)}`,
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.toUpperCase()}`,
        `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`,
        TOKEN,
        `Bearer ${TOKEN} extra`,
      ]) {
        const res = await get(path, wrong);
        expect(res.status, `${path} with ${JSON.stringify(wrong)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="raqib"');
        expect(await res.text()).not.toContain(MARKER);
      }
      const ok = await get(path, `Bearer ${TOKEN}`);
      expect(ok.status).not.toBe(401);
      expect([200, 404]).toContain(ok.status);
      if (path !== '/api/v1/reports') expect(ok.status).toBe(200);
    },
  );

  it('leaves /healthz and /readyz open, for the container runtime', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect([200, 503]).toContain((await get('/readyz')).status);
  });

  it('requires the token for actions too, whatever the caller', async () => {
    const res = await fetch(`${agent.url}/api/v1/reports/X/finalize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
  });

  it(`refuses an action body over ${MAX_ACTION_BYTES} bytes with 413, and reads one at the limit`, async () => {
    const head = (length: number) =>
      `POST /api/v1/reports/none/finalize HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
    const json = (size: number) => Buffer.from(`{"actions":"${'a'.repeat(size - 14)}"}`);
    expect(json(MAX_ACTION_BYTES + 1).length).toBe(MAX_ACTION_BYTES + 1);
    expect(await rawExchange(agent.url, head(MAX_ACTION_BYTES + 1), json(MAX_ACTION_BYTES + 1))).toBe(413);
    expect(await rawExchange(agent.url, head(10 * 1024 * 1024), json(256 * 1024))).toBe(413);
    const atLimit = await rawExchange(agent.url, head(MAX_ACTION_BYTES), json(MAX_ACTION_BYTES));
    expect(atLimit).not.toBe(413);
    expect(typeof atLimit).toBe('number');
  });

  it('refuses a body on a GET with 413', async () => {
    expect(
      await rawExchange(
        agent.url,
        `GET /api/v1/status HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\ncontent-length: 5\r\n\r\n`,
        Buffer.from('hello'),
      ),
    ).toBe(413);
  });

  it(`refuses a request head over ${MAX_REQUEST_HEAD_BYTES} bytes with 431, before authentication`, async () => {
    const filler = `x-filler: ${'f'.repeat(MAX_REQUEST_HEAD_BYTES)}\r\n`;
    expect(await rawExchange(agent.url, `GET /metrics HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\n${filler}\r\n`)).toBe(431);
    expect(await rawExchange(agent.url, `GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n${filler}\r\n`)).toBe(431);
    // The agent is unharmed.
    expect((await get('/healthz')).status).toBe(200);
  });
});

describe('bearer comparison', () => {
  it('goes through crypto.timingSafeEqual over equal-length digests, whatever the length or prefix of the offered token', () => {
    const token = 'correct-horse-battery-staple-0123';
    for (const header of [
      `Bearer ${token}`,
      'Bearer c',
      `Bearer ${token}${'x'.repeat(500)}`,
      'Bearer wrong-horse-battery-staple-0123',
      undefined,
      'Basic abc',
    ]) {
      timingSafeEqual.calls.length = 0;
      expect(bearerMatches(header, token)).toBe(header === `Bearer ${token}`);
      expect(timingSafeEqual.calls.length, String(header)).toBe(1);
      const [a, b] = timingSafeEqual.calls[0]!;
      expect(a).toBe(b);
      expect(a).toBe(32);
    }
  });
});
