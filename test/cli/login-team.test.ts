/**
 * `raqib login` and `raqib team register` as an operator runs them (child processes of dist/)
 * against a real sandbox authority on a real socket: who signed in is who the authority says,
 * registering is for the manager or an alternate, and every request lands in data_dir/audit.log.
 */
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_FILE } from '../../agent/authority/audit.js';
import { deviceSignIn } from '../../agent/authority/login.js';
import { readSignIn, SIGN_IN_FILE } from '../../agent/authority/sign-in.js';
import { createLogger } from '../../agent/log.js';
import { startSandbox, type Sandbox } from '../../agent/sandbox/server.js';
import { MAIN, runCli } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { tempDir } from '../helpers/tmp.js';

const MANAGER = 'sara@moh.example.sa';
const ALTERNATE = 'khalid@moh.example.sa';
const STRANGER = 'manager@entity.gov.sa';

const sandboxes: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});

async function setUp() {
  const sandbox = await startSandbox({ log: createLogger({ level: 'silent' }), ackDelayMs: -1, pollIntervalSeconds: 1 });
  sandboxes.push(sandbox);
  const dir = await tempDir('raqib-cli-login-');
  const dataDir = join(dir, 'data');
  const config = join(dir, 'raqib.yaml');
  await writeFile(
    config,
    configYaml(
      [{ id: 'appointments', checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:9/' }] }],
      { data_dir: dataDir },
      {
        authority: { mode: 'sandbox', url: sandbox.url },
        crisis_team: {
          members: [
            { name: { ar: 'سارة العتيبي', en: 'Sara Alotaibi' }, role: 'manager', mobile: '+966500000001', email: MANAGER },
            { name: { ar: 'خالد الحربي', en: 'Khalid Alharbi' }, role: 'alternate', mobile: '+966500000002', email: ALTERNATE },
          ],
        },
      },
    ),
  );
  const control = async (path: string, body: unknown) => {
    const res = await fetch(`${sandbox.url}/sandbox/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
  };
  const requests = (route: string) => Object.values(sandbox.state.requests[route] ?? {}).reduce((a, b) => a + b, 0);
  const audit = async () =>
    (await readFile(join(dataDir, AUDIT_FILE), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { sandbox, dir, dataDir, config, control, requests, audit };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

/** `raqib login [args]`; the code it prints is approved (sandbox control) by `approver`. */
async function login(s: Setup, approver: string, args: string[] = []) {
  const child = spawn(process.execPath, [MAIN, 'login', '--config', s.config, ...args], {
    env: { ...process.env, RAQIB_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let approved: Promise<void> | undefined;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    const code = /enter {2}([A-Z]{4}-[A-Z]{4})/.exec(stdout)?.[1];
    if (code && !approved) approved = s.control('device/approve', { user_code: code, subject: approver });
  });
  const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
  await approved;
  return { code: exit, stdout, stderr };
}

const team = (s: Setup) => runCli(['team', 'register', '--config', s.config]);

describe('raqib login', () => {
  it('approved as the manager: says so, saves the manager (0600), and team register registers the team', async () => {
    const s = await setUp();
    const out = await login(s, MANAGER);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`Signed in as ${MANAGER} — Sara Alotaibi (manager).`);
    expect(s.requests('GET /oauth/userinfo')).toBe(1); // who signed in came from the authority
    expect((await readSignIn(s.dataDir))?.subject).toBe(MANAGER);
    expect((await stat(join(s.dataDir, SIGN_IN_FILE))).mode & 0o777).toBe(0o600);

    const registered = await team(s);
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
    expect(registered.stdout).toMatch(/Crisis team of MOH registered: team_/);
    expect(s.sandbox.state.teams).toHaveLength(1);
  });

  it('approved as the alternate though it asked for the manager: signs in as the alternate, says so, and the alternate may register', async () => {
    const s = await setUp();
    const out = await login(s, ALTERNATE);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`Signed in as ${ALTERNATE} — Khalid Alharbi (alternate).`);
    expect(out.stdout).toContain(`raqib asked for ${MANAGER}, but the authority says ${ALTERNATE} approved the code`);
    expect(out.stdout).not.toContain(`Signed in as ${MANAGER}`);
    expect((await readSignIn(s.dataDir))?.subject).toBe(ALTERNATE);

    const registered = await team(s);
    expect(registered.code).toBe(0);
    expect(s.sandbox.state.teams[0]?.members.map((m) => m.email)).toEqual([MANAGER, ALTERNATE]);
  });

  it('approved by someone the crisis team does not list: refuses, names them and who may sign in, and saves nothing', async () => {
    const s = await setUp();
    const out = await login(s, STRANGER);
    expect(out.code).toBe(1);
    expect(out.stdout).not.toContain('Signed in as');
    expect(out.stderr).toContain(`the authority says ${STRANGER} approved the sign-in`);
    expect(out.stderr).toContain(`${MANAGER} (manager), ${ALTERNATE} (alternate)`);
    expect(out.stderr).toContain('raqib login --as');
    expect(await readSignIn(s.dataDir)).toBeUndefined();
  });

  it('audits each request of the device flow by endpoint, names who approved, and writes no code or token', async () => {
    const s = await setUp();
    await login(s, ALTERNATE);
    const lines = await s.audit();
    // polls made before the approval arrived are audited too, as authorization_pending
    const pending = lines.filter((l) => l['error'] === 'authorization_pending');
    expect(pending.every((l) => l['endpoint'] === 'oauth_device_token' && l['outcome'] === 400)).toBe(true);
    expect(lines.filter((l) => !pending.includes(l)).map((l) => [l['endpoint'], l['method'], l['outcome']])).toEqual([
      ['oauth_device_authorization', 'POST', 200],
      ['oauth_device_token', 'POST', 200],
      ['oauth_userinfo', 'GET', 200],
    ]);
    expect(lines.at(-1)?.['actor']).toBe(ALTERNATE);
    for (const l of lines) expect(Object.keys(l)).toEqual(expect.arrayContaining(['at', 'endpoint', 'method', 'outcome', 'seconds']));
    const text = await readFile(join(s.dataDir, AUDIT_FILE), 'utf8');
    expect(text).not.toContain((await readSignIn(s.dataDir))!.refresh_token);
    expect(text).not.toMatch(/device_code|user_code|access_token|Bearer/i);
    expect((await stat(join(s.dataDir, AUDIT_FILE))).mode & 0o777).toBe(0o600);
  });
});

describe('raqib team register', () => {
  it('signed in as someone the crisis team does not list: refuses before asking the authority, naming who is signed in, who may register and how to fix it', async () => {
    const s = await setUp();
    // a sign-in the authority approved for someone else (written by an older raqib, or the config changed since)
    const dispatcher = new Agent();
    let code = '';
    await deviceSignIn({
      endpoint: { baseUrl: s.sandbox.url, clientId: 'raqib', dispatcher, timeoutMs: 5_000 },
      subject: MANAGER,
      dataDir: s.dataDir,
      onPrompt: (d) => (code = d.user_code),
      sleep: () => s.control('device/approve', { user_code: code, subject: STRANGER }),
    });
    await dispatcher.close();

    const out = await team(s);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`signed in to the authority as ${STRANGER}`);
    expect(out.stderr).toContain(`${MANAGER} (manager), ${ALTERNATE} (alternate)`);
    expect(out.stderr).toContain(`raqib login --as ${MANAGER}`);
    expect(s.requests('POST /api/v1/crisis-teams') + s.requests('PUT /api/v1/crisis-teams/{id}')).toBe(0);
    expect(s.sandbox.state.teams).toEqual([]);
  });

  it('writes one audit line per request to the authority, as whom and for which team, flushed before it exits', async () => {
    const s = await setUp();
    await login(s, MANAGER);
    const before = (await s.audit()).length;
    expect((await team(s)).code).toBe(0); // registers
    expect((await team(s)).code).toBe(0); // the team exists: changes it
    const teamId = s.sandbox.state.teams[0]!.id;
    const lines = (await s.audit()).slice(before);
    expect(lines.map((l) => [l['endpoint'], l['method'], l['outcome'], l['actor'] ?? null])).toEqual([
      ['oauth_refresh', 'POST', 200, null],
      ['oauth_userinfo', 'GET', 200, MANAGER],
      ['find_team', 'GET', 200, MANAGER],
      ['register_team', 'POST', 201, MANAGER],
      ['oauth_refresh', 'POST', 200, null],
      ['oauth_userinfo', 'GET', 200, MANAGER],
      ['find_team', 'GET', 200, MANAGER],
      ['update_team', 'PUT', 200, MANAGER],
    ]);
    expect(lines.find((l) => l['endpoint'] === 'update_team')?.['on_behalf_of']).toBe(teamId);
    // as many lines as the authority answered requests, login's included: none lost, none invented
    const answered = Object.values(s.sandbox.state.requests).reduce((n, byStatus) => n + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);
    expect((await s.audit()).length).toBe(answered);
  });
});
