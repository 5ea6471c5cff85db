import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, runCli, sample, startAgent, stopAllAgents } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';

interface Status {
  services: { id: string; state: string; since: string; checks: { id: string; state: string; since: string }[] }[];
}

const targets: SwitchTarget[] = [];
afterEach(async () => {
  await stopAllAgents();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

const defaults = { interval: '500ms', timeout: '400ms', failure_threshold: 2, success_threshold: 2 };

function config(url: string, extraChecks: Record<string, unknown>[] = [], agent: Record<string, unknown> = {}): string {
  return configYaml([{ id: 'web', checks: [{ id: 'portal', type: 'http', url }, ...extraChecks] }], { data_dir: './data', ...agent }, { defaults });
}

describe('config reload', () => {
  it('applies a valid new config on SIGHUP and keeps the state of unchanged checks', async () => {
    const t = await startSwitchTarget(true);
    targets.push(t);
    const agent = await startAgent(config(t.url));
    const before = await eventually(async () => {
      const s = await agent.api<Status>('status');
      return s.services[0]!.checks[0]!.state === 'UP' && s;
    });
    await writeFile(agent.configFile, config(t.url, [{ id: 'port', type: 'tcp', host: '127.0.0.1', port: t.port }]));
    agent.child.kill('SIGHUP');
    await agent.waitForLog((l) => l.msg === 'config reloaded');
    const after = await agent.api<Status>('status');
    expect(after.services[0]!.checks.map((c) => c.id)).toEqual(['portal', 'port']);
    expect(after.services[0]!.checks[0]).toMatchObject({ state: 'UP', since: before.services[0]!.checks[0]!.since });
    expect(sample(await agent.metrics(), 'raqib_config_last_reload_successful')).toBe(1);
  });

  it('keeps running the old config when the new one is invalid, and says so', async () => {
    const t = await startSwitchTarget(true);
    targets.push(t);
    const agent = await startAgent(config(t.url));
    await writeFile(agent.configFile, config(t.url).replace('interval: 500ms', 'interval: 5 minutes'));
    agent.child.kill('SIGHUP');
    const failed = await agent.waitForLog((l) => l.msg === 'config reload failed; keeping the running config');
    expect(failed['problems']).toEqual([expect.stringMatching(/raqib\.yaml:\d+:\d+: defaults\.interval: expected a duration .* got "5 minutes"$/)]);
    expect(failed['level']).toBe('error');
    expect(sample(await agent.metrics(), 'raqib_config_last_reload_successful')).toBe(0);
    const hits = t.hits();
    await eventually(() => t.hits() > hits + 1);
    expect((await agent.api<Status>('status')).services[0]!.checks.map((c) => c.id)).toEqual(['portal']);
  });

  it('reloads by itself when the config file changes', async () => {
    const t = await startSwitchTarget(true);
    targets.push(t);
    const agent = await startAgent(config(t.url));
    await writeFile(agent.configFile, config(t.url, [{ id: 'second', type: 'http', url: t.url }]));
    await agent.waitForLog((l) => l.msg === 'config reloaded');
    expect((await agent.api<Status>('status')).services[0]!.checks.map((c) => c.id)).toEqual(['portal', 'second']);
  });
});

describe('refusing to half-start', () => {
  it('exits 2 with file:line:col problems and no stack trace on an invalid config', async () => {
    const agent = await startAgent(config('http://127.0.0.1:1/').replace('failure_threshold: 2', 'failure_threshold: 0'), { noWait: true });
    expect(await agent.exited).toBe(2);
    expect(agent.stderr()).toMatch(/^\S+raqib\.yaml:\d+:\d+: defaults\.failure_threshold: must be at least 1, got 0\n$/);
    expect(agent.logs).toEqual([]);
  });

  it('exits 1 with a clear message when another agent holds the data_dir', async () => {
    const t = await startSwitchTarget(true);
    targets.push(t);
    const first = await startAgent(config(t.url));
    const second = await startAgent(config(t.url), { dir: first.dir, noWait: true });
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(/^raqib: data_dir \.\/data is in use by another raqib \(pid \d+ on .*\)\. Only one agent may use a data_dir/);
    expect(second.stderr()).not.toMatch(/\n\s+at /);
  });

  it('exits 1 and releases the data_dir when its listen address is taken', async () => {
    const t = await startSwitchTarget(true);
    targets.push(t);
    const agent = await startAgent(config(t.url, [], { listen: `127.0.0.1:${t.port}` }), { noWait: true });
    expect(await agent.exited).toBe(1);
    expect(agent.stderr()).toBe(`raqib: cannot listen on 127.0.0.1:${t.port} (agent.listen): the address is already in use\n`);
    const again = await startAgent(config(t.url), { dir: agent.dir });
    expect(again.url).toMatch(/^http:/);
  });
});

describe('agent endpoints', () => {
  it('requires the bearer token on /metrics and /api but never on health checks', async () => {
    const t = await startSwitchTarget(true);
    targets.push(t);
    const token = 'x'.repeat(20) + 'secret-marker';
    const agent = await startAgent(config(t.url, [], { auth_token: '${TOKEN}' }), { env: { TOKEN: token } });
    expect((await fetch(`${agent.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${agent.url}/api/v1/status`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${agent.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${agent.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${agent.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${agent.url}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect(JSON.stringify(agent.logs)).not.toContain('secret-marker');
  });

  it('accepts actions only as JSON from this machine by a loopback name, so a web page cannot forge one', async () => {
    const t = await startSwitchTarget(true);
    targets.push(t);
    const agent = await startAgent(config(t.url));
    const url = `${agent.url}/api/v1/reports/x/finalize`;
    const { request } = await import('undici');
    const post = async (headers: Record<string, string>) => (await request(url, { method: 'POST', headers, body: '{"actions":"x"}' })).statusCode;
    expect(await post({ 'content-type': 'text/plain' })).toBe(415);
    expect(await post({ 'content-type': 'application/json', host: 'attacker.example' })).toBe(401);
    expect(await post({ 'content-type': 'application/json' })).toBe(404); // allowed through; no reporting configured here
  });

  it('exports build info, pre-set series and Node process metrics', async () => {
    const t = await startSwitchTarget(true);
    targets.push(t);
    const agent = await startAgent(config(t.url));
    const text = await agent.metrics();
    expect(text).toMatch(/^raqib_build_info\{version="\d+\.\d+\.\d+",node="v[\d.]+",agent="test-agent"\} 1$/m);
    expect(sample(text, 'raqib_service_in_maintenance', { service: 'web' })).toBe(0);
    expect(sample(text, 'raqib_probes_total', { service: 'web', result: 'down' })).toBe(0);
    expect(sample(text, 'raqib_probes_skipped_total', { service: 'web', reason: 'overlap' })).toBe(0);
    expect(sample(text, 'raqib_incidents_total', { service: 'web' })).toBe(0);
    expect(sample(text, 'raqib_config_last_reload_successful')).toBe(1);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('the per-check series of `raqib run`', () => {
  it('follow probes, state changes and reloads on /metrics', async () => {
    const t = await startSwitchTarget(true);
    targets.push(t);
    const agent = await startAgent(config(t.url));
    const portal = { service: 'web', check: 'portal' };
    await eventually(async () => {
      const text = await agent.metrics();
      return sample(text, 'raqib_check_state', { ...portal, state: 'UP' }) === 1 && sample(text, 'raqib_probe_success', { ...portal, type: 'http' }) === 1;
    });
    const up = await agent.metrics();
    expect(sample(up, 'raqib_probe_http_status_code', portal)).toBe(200);
    expect(sample(up, 'raqib_probe_phase_seconds', { ...portal, phase: 'total' })).toBeGreaterThan(0);

    t.set(false);
    await eventually(async () => sample(await agent.metrics(), 'raqib_check_state', { ...portal, state: 'DOWN' }) === 1);
    expect(sample(await agent.metrics(), 'raqib_probe_success', { ...portal, type: 'http' })).toBe(0);

    // A reload adds a check and the next scrape lists it; one it removes is gone.
    await writeFile(
      agent.configFile,
      configYaml([{ id: 'web', checks: [{ id: 'port', type: 'tcp', host: '127.0.0.1', port: t.port }] }], { data_dir: './data' }, { defaults }),
    );
    agent.child.kill('SIGHUP');
    await agent.waitForLog((l) => l.msg === 'config reloaded');
    const after = await agent.metrics();
    // One state of four is 1, whichever its first probes have reached.
    const states = ['UNKNOWN', 'UP', 'DEGRADED', 'DOWN'].map((state) => sample(after, 'raqib_check_state', { service: 'web', check: 'port', state }));
    expect(states.sort()).toEqual([0, 0, 0, 1]);
    expect(after).not.toContain('check="portal"');
  });
});

describe('raqib probe', () => {
  it('prints a table and exits 0 when every selected check is up, 1 otherwise', async () => {
    const up = await startSwitchTarget(true);
    const down = await startSwitchTarget(false);
    targets.push(up, down);
    const agent = await startAgent(config(up.url, [{ id: 'broken', type: 'http', url: down.url }]), { noWait: true, args: ['--version'] });
    await agent.exited;
    const ok = await runCli(['probe', '--config', agent.configFile, 'web/portal']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^SERVICE\s+CHECK\s+TYPE\s+STATUS\s+CODE\s+LATENCY\s+FIRST\s+DETAIL\nweb\s+portal\s+http\s+UP\s+OK\s+\d+ms\s+\d+ms\s+200 in/);
    const all = await runCli(['probe', '--config', agent.configFile]);
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/web\s+broken\s+http\s+DOWN\s+HTTP_STATUS\s+\d+ms\s+\d+ms\s+got 503, expected 200-299/);
    const unknown = await runCli(['probe', '--config', agent.configFile, 'web/nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('raqib: probe: no check or service named web/nope; known: web/portal, web/broken\n');
  });
});
