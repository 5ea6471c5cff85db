/**
 * Alertmanager's webhook on the built agent (a child process) filing with a real sandbox: who may
 * send, what is refused and why, and that repeats, duplicates, late retries and a restart file
 * exactly one report and one restoration.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, runCli, sample, startAgent, stopAllAgents, type AgentProcess } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { ALTERNATE, closeSandboxes, MANAGER, startTestSandbox } from '../helpers/reporting.js';
import { tempDir } from '../helpers/tmp.js';

afterEach(async () => {
  await stopAllAgents();
  await closeSandboxes();
});

const TOKEN = 'alertmanager-token-0123456789';

async function setup(withToken = true, alertmanager: Record<string, unknown> = {}) {
  const sandbox = await startTestSandbox();
  const dir = await tempDir('raqib-e2e-');
  const yaml = configYaml(
    [
      {
        id: 'appointments',
        checks: [{ id: 'alerts', type: 'alert', matchers: ['job="blackbox"', 'instance=~"https://appointments\\\\..*"'], interval: '1s', timeout: '500ms' }],
      },
    ],
    { data_dir: './data', ...(withToken ? { alertmanager: { token: TOKEN, ...alertmanager } } : {}) },
    {
      authority: { mode: 'sandbox', url: sandbox.url, update_interval: '2s', followup_interval: '500ms', retry_max_delay: '1s' },
      crisis_team: { members: [MANAGER, ALTERNATE] },
    },
  );
  const configFile = join(dir, 'raqib.yaml');
  await writeFile(configFile, yaml);
  expect((await runCli(['login', '--config', configFile], {}, dir)).code).toBe(0);
  return { sandbox, start: () => startAgent(yaml, { dir }) };
}

const STARTS = '2026-12-08T03:00:00.000Z';
function payload(status: 'firing' | 'resolved', startsAt = STARTS, instance = 'https://appointments.example.gov.sa/health', alertname = 'ProbeFailed') {
  return {
    version: '4',
    groupKey: '{}:{alertname="ProbeFailed"}',
    status,
    receiver: 'raqib',
    groupLabels: { alertname: 'ProbeFailed' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    truncatedAlerts: 0,
    alerts: [
      {
        status,
        labels: { alertname, job: 'blackbox', instance },
        annotations: { summary: 'appointments portal does not answer' },
        startsAt,
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-12-08T03:20:00.000Z',
        generatorURL: 'http://prometheus.example:9090/graph',
        fingerprint: `${alertname}-c6eadffa33fcdf37`,
      },
    ],
  };
}

/** POSTs to the webhook with `token` as the bearer token ('' sends none). */
async function post(agent: AgentProcess, body: unknown, token = TOKEN, raw?: string) {
  const res = await fetch(`${agent.url}/api/v1/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ?? JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const checkState = async (agent: AgentProcess, state: string) => sample(await agent.metrics(), 'raqib_check_state', { check: 'alerts', state }) === 1;

describe("Alertmanager's webhook", () => {
  it('refuses a sender without the token, and a body that is not the payload, saying why', async () => {
    const t = await setup();
    const agent = await t.start();
    expect((await post(agent, payload('firing'), '')).status).toBe(401);
    expect((await post(agent, payload('firing'), 'wrong-token-0123456789')).status).toBe(401);
    expect(await post(agent, { ...payload('firing'), version: '3' })).toMatchObject({ status: 400, body: { error: expect.stringContaining('version "4"') } });
    expect(await post(agent, { version: '4', alerts: [{ status: 'burning' }] })).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/alerts\.0\.status/) },
    });
    expect(await post(agent, undefined, TOKEN, '{not json')).toMatchObject({ status: 400, body: { error: 'the body is not JSON' } });
    const metrics = await agent.metrics();
    expect(sample(metrics, 'raqib_alertmanager_deliveries_total', { result: 'unauthorized' })).toBe(2);
    expect(sample(metrics, 'raqib_alertmanager_deliveries_total', { result: 'invalid' })).toBe(2);
    expect(t.sandbox.state.reports).toHaveLength(0);
  });

  it('answers 404 when no token is configured for it', async () => {
    const agent = await startAgent(configYaml([{ id: 'web', checks: [{ id: 'site', type: 'tcp', host: '127.0.0.1', port: 9 }] }]));
    expect(await post(agent, payload('firing'))).toMatchObject({ status: 404, body: { error: expect.stringContaining('agent.alertmanager.token') } });
  });

  it('files one report for a firing alert however often it is sent, keeps it over a restart, and restores it once', async () => {
    const t = await setup();
    const agent = await t.start();
    await eventually(() => t.sandbox.state.teams.length === 1);
    await eventually(() => checkState(agent, 'UP'));

    expect(await post(agent, payload('firing'))).toMatchObject({ status: 200, body: { received: 1, matched: 1, changed: 1, moved: 1 } });
    const filed = await eventually(() => t.sandbox.state.reports[0]);
    expect(JSON.stringify(filed.body)).toContain('ProbeFailed');
    // Alertmanager's repeats, and the same alert from the cluster's second Alertmanager.
    for (let i = 0; i < 3; i++) expect((await post(agent, payload('firing'))).body).toMatchObject({ moved: 0 });

    // Killed and started again: the alert is still firing, nothing is restored.
    expect(await agent.stop('SIGKILL')).toBe(null);
    const again = await t.start();
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await checkState(again, 'DOWN')).toBe(true);
    expect(t.sandbox.state.reports).toHaveLength(1);
    expect(t.sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored')).toBe(false);

    expect((await post(again, payload('resolved'))).body).toMatchObject({ moved: 1 });
    await eventually(() => t.sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored'));
    // A late retry of the firing delivery after its resolution opens nothing.
    expect((await post(again, payload('firing'))).body).toMatchObject({ stale: 1, moved: 0 });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await checkState(again, 'UP')).toBe(true);
    expect(t.sandbox.state.reports).toHaveLength(1);
    expect(t.sandbox.state.reports[0]!.updates.filter((u) => u.status === 'restored')).toHaveLength(1);
  });

  it('holds the check as it is while the watchdog alert is not heard, and follows the alerts again once it is', async () => {
    const t = await setup(true, { watchdog: { matchers: ['alertname="Watchdog"'], expire_after: '2s' } });
    const agent = await t.start();
    await eventually(() => t.sandbox.state.teams.length === 1);
    const watchdog = () => post(agent, payload('firing', STARTS, 'prometheus', 'Watchdog'));
    expect((await watchdog()).status).toBe(200);
    expect((await post(agent, payload('firing'))).status).toBe(200);
    await eventually(() => t.sandbox.state.reports[0]);
    const history = async () => (await agent.api<{ history: { code: string }[] }>('checks/appointments/alerts')).history.map((h) => h.code);
    await eventually(async () => (await history()).at(-1) === 'ALERT_SOURCE_SILENT'); // 2 s without the watchdog
    const before = (await history()).length;
    expect((await post(agent, payload('resolved'))).body).toMatchObject({ moved: 1 });
    await eventually(async () => (await history()).length > before); // read after the resolution: still no verdict
    expect((await history()).at(-1)).toBe('ALERT_SOURCE_SILENT');
    expect(await checkState(agent, 'DOWN')).toBe(true);
    expect(t.sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored')).toBe(false);
    expect((await watchdog()).status).toBe(200);
    await eventually(() => t.sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored'));
  });

  it('ignores alerts no check listens for', async () => {
    const t = await setup();
    const agent = await t.start();
    await eventually(() => checkState(agent, 'UP'));
    expect(await post(agent, payload('firing', STARTS, 'https://portal.example.gov.sa/'))).toMatchObject({ status: 200, body: { received: 1, matched: 0 } });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await checkState(agent, 'UP')).toBe(true);
  });
});
