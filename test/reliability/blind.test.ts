/**
 * Never a false report: when the agent itself cannot see the network it says so and files
 * nothing, and it resumes cleanly when a canary answers.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, runCli, sample, startAgent, stopAllAgents } from '../helpers/agent-process.js';
import { configObject } from '../helpers/config.js';
import { closeSandboxes, MANAGER, ALTERNATE, startTestSandbox } from '../helpers/reporting.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { tempDir } from '../helpers/tmp.js';

const targets: SwitchTarget[] = [];
afterEach(async () => {
  await stopAllAgents();
  await closeSandboxes();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

interface Status {
  agent: { connectivity: { blind: boolean; canaries: { id: string; status?: string }[] } };
  incidents: { open: unknown[] };
}

/** A service and a canary that tests switch, an agent filing with a sandbox, signed in. */
async function setup(canaryInterval: string) {
  const service = await startSwitchTarget(true);
  const canary = await startSwitchTarget(true);
  targets.push(service, canary);
  const sandbox = await startTestSandbox();
  const dir = await tempDir('raqib-blind-');
  const yaml = stringify(
    configObject(
      [{ id: 'appointments', checks: [{ id: 'portal', type: 'http', url: service.url }] }],
      { data_dir: './data', connectivity: { interval: canaryInterval, timeout: '400ms', canaries: [{ id: 'gateway', type: 'http', url: canary.url }] } },
      {
        defaults: { interval: '500ms', timeout: '400ms', retry_interval: '200ms', failure_threshold: 2, success_threshold: 2 },
        authority: { mode: 'sandbox', url: sandbox.url, followup_interval: '500ms', retry_max_delay: '1s' },
        crisis_team: { members: [MANAGER, ALTERNATE] },
      },
    ),
  );
  await writeFile(join(dir, 'raqib.yaml'), yaml);
  expect((await runCli(['login', '--config', join(dir, 'raqib.yaml')], {}, dir)).code).toBe(0);
  const agent = await startAgent(yaml, { dir });
  await eventually(() => sandbox.state.teams.length === 1);
  return { service, canary, sandbox, agent };
}

describe('blind agent', () => {
  it('opens no incident and files nothing while every canary fails, says so everywhere, and resumes when one answers', async () => {
    const t = await setup('500ms');
    await eventually(async () => (await t.agent.api<Status>('status')).agent.connectivity.canaries[0]!.status === 'up');
    t.canary.set(false);
    t.service.set(false); // the network is gone: the service looks down too
    await eventually(async () => sample(await t.agent.metrics(), 'raqib_agent_blind') === 1);
    await t.agent.waitForLog((l) => l.msg === 'agent is blind: every connectivity canary fails; opening no incidents and filing nothing until one answers');
    const ready = await fetch(`${t.agent.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons).toContain(
      'agent is blind: no connectivity canary answers, so no outage can be confirmed or reported',
    );
    expect((await t.agent.api<Status>('status')).agent.connectivity.blind).toBe(true);
    await new Promise((r) => setTimeout(r, 3_000)); // many failing probes of the service meanwhile
    expect((await t.agent.api<Status>('status')).incidents.open).toEqual([]);
    expect(t.sandbox.state.reports).toEqual([]);

    t.canary.set(true); // the network is back; the service really is down
    await t.agent.waitForLog((l) => l.msg === 'connectivity restored: a canary answers; detection resumes');
    await eventually(() => t.sandbox.state.reports.length === 1);
    expect(sample(await t.agent.metrics(), 'raqib_agent_blind')).toBe(0);
  });

  it('re-checks the canaries before confirming an outage, so a network cut cannot race the thresholds', async () => {
    const t = await setup('1h'); // the periodic canary would not notice in time; the confirmation does
    await eventually(async () => (await t.agent.api<{ services: { state: string }[] }>('status')).services[0]!.state === 'UP');
    t.canary.set(false);
    t.service.set(false);
    await eventually(async () => sample(await t.agent.metrics(), 'raqib_agent_blind') === 1, 5_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await t.agent.api<Status>('status')).incidents.open).toEqual([]);
    expect(t.sandbox.state.reports).toEqual([]);
  });
});
