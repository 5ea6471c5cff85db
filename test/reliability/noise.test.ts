/**
 * No report storm: a flapping service files one report that says "intermittent", and a service
 * that fails because one it depends on is down joins that service's report.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, runCli, startAgent, stopAllAgents } from '../helpers/agent-process.js';
import { configYaml, type MiniService } from '../helpers/config.js';
import { ALTERNATE, closeSandboxes, MANAGER, startTestSandbox } from '../helpers/reporting.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { tempDir } from '../helpers/tmp.js';

const targets: SwitchTarget[] = [];
afterEach(async () => {
  await stopAllAgents();
  await closeSandboxes();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

async function setup(services: MiniService[], defaults: Record<string, unknown> = {}) {
  const sandbox = await startTestSandbox();
  const dir = await tempDir('raqib-noise-');
  const yaml = configYaml(
    services,
    { data_dir: './data' },
    {
      defaults: { interval: '400ms', timeout: '300ms', retry_interval: '150ms', failure_threshold: 2, success_threshold: 2, ...defaults },
      authority: { mode: 'sandbox', url: sandbox.url, update_interval: '1h', followup_interval: '500ms', retry_max_delay: '1s' },
      crisis_team: { members: [MANAGER, ALTERNATE] },
    },
  );
  await writeFile(join(dir, 'raqib.yaml'), yaml);
  expect((await runCli(['login', '--config', join(dir, 'raqib.yaml')], {}, dir)).code).toBe(0);
  const agent = await startAgent(yaml, { dir });
  await eventually(() => sandbox.state.teams.length === 1);
  return { sandbox, agent };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('no report storm', () => {
  it('files one report for a flapping service and says it is intermittent', async () => {
    const web = await startSwitchTarget(true);
    targets.push(web);
    const t = await setup([{ id: 'web', checks: [{ id: 'portal', type: 'http', url: web.url }] }], { flapping: { changes: 2, window: '1m' } });
    for (let i = 0; i < 4; i++) {
      web.set(false);
      await sleep(2_000);
      web.set(true);
      await sleep(2_000);
    }
    await eventually(() => t.sandbox.state.reports[0]?.updates.some((u) => /intermittent/.test(u.note.en)));
    expect(t.sandbox.state.reports).toHaveLength(1);
    expect(t.sandbox.state.reports[0]!.updates.filter((u) => /intermittent/.test(u.note.en))).toHaveLength(1);
    await t.agent.waitForLog((l) => l.msg === 'service is flapping: its last incident is open again, reported as intermittent');
  }, 40_000);

  it('rolls a dependent service into the report of the service it depends on', async () => {
    const nafath = await startSwitchTarget(true);
    const appointments = await startSwitchTarget(true);
    targets.push(nafath, appointments);
    const t = await setup([
      { id: 'nafath', checks: [{ id: 'sso', type: 'http', url: nafath.url }] },
      { id: 'appointments', depends_on: ['nafath'], checks: [{ id: 'portal', type: 'http', url: appointments.url }] },
    ]);
    await sleep(1_500);
    nafath.set(false);
    await eventually(() => t.sandbox.state.reports.length === 1);
    appointments.set(false); // it fails because it cannot sign its users in
    await eventually(() => t.sandbox.state.reports[0]!.updates.some((u) => /depend on it/.test(u.note.en)));
    await sleep(1_500);
    expect(t.sandbox.state.reports.map((r) => r.body.service.id)).toEqual(['nafath']);
    expect(t.sandbox.state.reports[0]!.updates.find((u) => /depend on it/.test(u.note.en))!.note.en).toContain('Service appointments');
  }, 30_000);
});
