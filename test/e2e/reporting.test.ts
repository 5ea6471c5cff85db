/**
 * The reporting loop end to end: the built agent as a child process, a real sandbox authority,
 * a local service that goes down and comes back. Each test is one of issue 3's "done when".
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, runCli, sample, startAgent, stopAllAgents, type AgentProcess } from '../helpers/agent-process.js';
import { ALTERNATE, closeSandboxes, control, MANAGER, reportingConfig, startTestSandbox } from '../helpers/reporting.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { tempDir } from '../helpers/tmp.js';

const targets: SwitchTarget[] = [];
afterEach(async () => {
  await stopAllAgents();
  await closeSandboxes();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

/** A target, a sandbox, a config in a fresh directory, and `raqib login` done as the manager. */
async function setup(authority: Record<string, unknown> = {}, service: Record<string, unknown> = {}, sandboxOptions = {}) {
  const target = await startSwitchTarget(true);
  targets.push(target);
  const sandbox = await startTestSandbox(sandboxOptions);
  const dir = await tempDir('raqib-e2e-');
  const yaml = reportingConfig(target.url, sandbox.url, authority, service);
  const configFile = join(dir, 'raqib.yaml');
  await writeFile(configFile, yaml);
  const login = await runCli(['login', '--config', configFile], {}, dir);
  expect(login.stderr).toBe('');
  expect(login.stdout).toContain(`Signed in as ${MANAGER.email}`);
  const start = () => startAgent(yaml, { dir });
  return { target, sandbox, dir, configFile, start, cli: (...args: string[]) => runCli([...args, '--config', configFile], {}, dir) };
}

const metric = async (agent: AgentProcess, name: string, labels: Record<string, string> = {}) => sample(await agent.metrics(), name, labels);

describe('reporting to the authority', () => {
  it('files exactly one report for a confirmed outage, updates it, restores it and files the final report', async () => {
    const t = await setup();
    const agent = await t.start();
    await eventually(() => t.sandbox.state.teams.length === 1);
    t.target.set(false);
    const filed = await eventually(() => t.sandbox.state.reports[0]);
    expect(filed.type).toBe('own_service_outage');
    expect(filed.body.submitted_by).toMatchObject({ email: MANAGER.email, role: 'manager', crisis_team_id: t.sandbox.state.teams[0]!.id });
    expect(filed.body.title).toEqual({ ar: 'انقطاع الخدمة: \u2068خدمة appointments\u2069', en: 'Outage of Service appointments' });
    await eventually(() => t.sandbox.state.reports[0]!.updates.some((u) => u.status === 'ongoing'), 10_000);

    await control(t.sandbox, `reports/${filed.id}/guidance`, { text: { ar: 'يرجى تفعيل خطة التعافي', en: 'Please activate the recovery plan' } });
    t.target.set(true);
    await eventually(() => t.sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored'));
    await eventually(async () => (await agent.api<{ guidance: unknown[] }>(`reports/${filed.reference}`)).guidance.length === 1);

    const finalize = await t.cli('reports', 'finalize', filed.reference, '--actions', 'Restarted the appointment servers');
    expect(finalize.stderr).toBe('');
    expect(finalize.code).toBe(0);
    const closed = await eventually(() => t.sandbox.state.reports[0]!.final_report && t.sandbox.state.reports[0]);
    expect(closed.final_report!.actions_taken).toEqual({
      ar: '(قُدّم باللغة الإنجليزية فقط) \u2068Restarted the appointment servers\u2069',
      en: 'Restarted the appointment servers',
    });
    expect(closed.final_report!.actions_pending).toBe(false);
    expect(t.sandbox.state.reports).toHaveLength(1);

    const show = await t.cli('reports', 'show', filed.reference);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`report     ${filed.reference}`);
    expect(show.stdout).toContain('Please activate the recovery plan');
    expect(show.stdout).toContain('يرجى تفعيل خطة التعافي');
    expect(await metric(agent, 'raqib_reports_total', { type: 'own_service_outage', outcome: 'filed' })).toBe(1);
    expect(await metric(agent, 'raqib_guidance_total')).toBe(1);
    expect(await metric(agent, 'raqib_authority_authorized')).toBe(1);
    expect(await metric(agent, 'raqib_outbox_pending')).toBe(0);
  });

  it('loses and duplicates nothing while the authority is down or rate-limiting, and delivers when it is back', async () => {
    const t = await setup();
    const agent = await t.start();
    await eventually(() => t.sandbox.state.teams.length === 1);
    await control(t.sandbox, 'faults', { down: true });
    t.target.set(false);
    await eventually(async () => ((await metric(agent, 'raqib_outbox_pending')) ?? 0) >= 1);
    await new Promise((r) => setTimeout(r, 1_500));
    await control(t.sandbox, 'faults', { rate_limit: { retry_after_seconds: 1 } });
    t.target.set(true); // the restoration queues behind the report, in order
    await new Promise((r) => setTimeout(r, 1_500));
    expect(t.sandbox.state.reports).toHaveLength(0);
    await control(t.sandbox, 'faults', {}, 'DELETE');
    await eventually(() => t.sandbox.state.reports[0]?.updates.some((u) => u.status === 'restored'), 10_000);
    await eventually(async () => (await metric(agent, 'raqib_outbox_pending')) === 0);
    expect(t.sandbox.state.reports).toHaveLength(1);
    expect(t.sandbox.state.reports[0]!.updates.filter((u) => u.status === 'restored')).toHaveLength(1);
    expect(agent.logs.some((l) => l.msg === 'delivery failed; will retry')).toBe(true);
  });

  it('files once when killed after the authority took the report but before its answer arrived', async () => {
    const t = await setup();
    const first = await t.start();
    await eventually(() => t.sandbox.state.teams.length === 1);
    await control(t.sandbox, 'faults', { answer_delay_ms: 5_000 });
    t.target.set(false);
    await eventually(() => t.sandbox.state.reports.length === 1); // filed and persisted at the authority …
    expect(await first.stop('SIGKILL')).toBe(null); // … and the agent dies before hearing so
    await control(t.sandbox, 'faults', {}, 'DELETE');

    const second = await t.start();
    const reference = await eventually(async () => (await second.api<{ reports: { reference?: string }[] }>('reports')).reports[0]?.reference);
    expect(reference).toBe(t.sandbox.state.reports[0]!.reference);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(t.sandbox.state.reports).toHaveLength(1);
    // The same outbox entry, queued by the first agent, was sent again by the second and answered.
    const queued = first.logs.find((l) => l.msg === 'queued' && l['op'] === 'create_report');
    expect(first.logs.some((l) => l.msg === 'delivered')).toBe(false);
    expect(second.logs.some((l) => l.msg === 'queued' && l['op'] === 'create_report')).toBe(false);
    expect(second.logs.find((l) => l.msg === 'delivered' && l['op'] === 'create_report')).toMatchObject({ seq: queued!['seq'] });
  });

  it('puts a report the authority refuses in the dead letters, and shows it in the CLI, metrics and logs', async () => {
    const t = await setup();
    const agent = await t.start();
    await eventually(() => t.sandbox.state.teams.length === 1);
    await control(t.sandbox, 'faults', { reject_reports: { status: 400, detail: 'service appointments is not in the service catalogue' } });
    t.target.set(false);
    await eventually(async () => (await metric(agent, 'raqib_dead_letters_total', { op: 'create_report' })) === 1);
    expect(await metric(agent, 'raqib_reports_total', { type: 'own_service_outage', outcome: 'failed' })).toBe(1);
    const line = await agent.waitForLog((l) => l.msg === 'dead letter: the far side refused this for good');
    expect(line).toMatchObject({ level: 'error', status: 400, summary: 'report' });
    const list = await t.cli('reports', 'list');
    expect(list.stdout).toMatch(/Dead letters .*\n\s+#1 report \(raqib:MOH:appointments-\d{8}T\d{6}Z:report\): 400 .*not in the service catalogue/);
    expect(t.sandbox.state.reports).toHaveLength(0);

    // The cause is fixed at the authority's side; a person sends it again.
    await control(t.sandbox, 'faults', {}, 'DELETE');
    const retry = await t.cli('reports', 'retry', '1');
    expect(retry.stderr).toBe('');
    expect(retry.stdout).toBe('Dead letter #1 is queued again.\n');
    await eventually(() => t.sandbox.state.reports.length === 1);
    expect(await metric(agent, 'raqib_dead_letters')).toBe(0);
  });

  it('refreshes an expired access token by itself, holds the queue when the sign-in is revoked, and resumes after a new login', async () => {
    const t = await setup();
    const agent = await t.start();
    await eventually(() => t.sandbox.state.teams.length === 1);
    await control(t.sandbox, 'tokens/expire');
    t.target.set(false);
    await eventually(() => t.sandbox.state.reports.length === 1); // filed with a fresh token after a 401
    expect(await metric(agent, 'raqib_authority_authorized')).toBe(1);

    await control(t.sandbox, 'tokens/revoke');
    await control(t.sandbox, 'tokens/expire');
    t.target.set(true); // the restoration must wait for someone to sign in
    await eventually(async () => (await metric(agent, 'raqib_authority_authorized')) === 0);
    await agent.waitForLog((l) => l.msg === 'authority sign-in lost; reports are queued until someone signs in');
    await eventually(async () => (await metric(agent, 'raqib_outbox_pending')) === 1);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(t.sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored')).toBe(false);

    expect((await t.cli('login')).code).toBe(0);
    await eventually(() => t.sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored'), 10_000);
    expect(await metric(agent, 'raqib_authority_authorized')).toBe(1);
  });

  it('files in the name of whoever signs in next, when the first signer lost their sign-in mid-report', async () => {
    const t = await setup();
    await t.start();
    await eventually(() => t.sandbox.state.teams.length === 1);
    await control(t.sandbox, 'tokens/revoke');
    await control(t.sandbox, 'tokens/expire');
    t.target.set(false); // the report is worded in the manager's name, then held: her sign-in is gone
    await new Promise((r) => setTimeout(r, 2_500));
    expect(t.sandbox.state.reports).toHaveLength(0);
    expect((await t.cli('login', '--as', ALTERNATE.email)).code).toBe(0);
    const filed = await eventually(() => t.sandbox.state.reports[0], 10_000);
    expect(filed.body.submitted_by).toMatchObject({ email: ALTERNATE.email, role: 'alternate' });
    expect(t.sandbox.state.reports).toHaveLength(1);
  });

  it('takes the same authority url with a trailing slash for the same authority, leaving nothing behind', async () => {
    const t = await setup();
    const first = await t.start();
    await eventually(() => t.sandbox.state.teams.length === 1);
    expect(await first.stop('SIGTERM')).toBe(0);

    const yaml = reportingConfig(t.target.url, `${t.sandbox.url}/`);
    await writeFile(t.configFile, yaml);
    const second = await startAgent(yaml, { dir: t.dir });
    t.target.set(false);
    const filed = await eventually(() => t.sandbox.state.reports[0]);
    expect(filed.type).toBe('own_service_outage');
    expect(second.logs.some((l) => l.msg?.startsWith('the authority changed'))).toBe(false);
    expect(t.sandbox.state.teams).toHaveLength(1);
  });

  it('never sends to a new authority what was made for the previous one, and files open outages with the new one', async () => {
    const t = await setup();
    const first = await t.start();
    await eventually(() => t.sandbox.state.teams.length === 1);
    await control(t.sandbox, 'faults', { down: true }); // the drill sandbox goes away with a report pending
    t.target.set(false);
    await eventually(async () => (await metric(first, 'raqib_outbox_pending')) === 1);
    expect(await first.stop('SIGTERM')).toBe(0);

    const live = await startTestSandbox(); // "switching to live"
    const yaml = reportingConfig(t.target.url, live.url);
    await writeFile(t.configFile, yaml);
    expect((await t.cli('login')).code).toBe(0);
    const second = await startAgent(yaml, { dir: t.dir });
    const filed = await eventually(() => live.state.reports[0]);
    expect(filed.type).toBe('own_service_outage');
    expect(live.state.teams).toHaveLength(1);
    const list = await t.cli('reports', 'list');
    expect(list.stdout).toMatch(/made for the previous authority \(sandbox http:\/\/127\.0\.0\.1:\d+\); not sent to sandbox http/);
    await control(t.sandbox, 'faults', {}, 'DELETE');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(t.sandbox.state.reports).toHaveLength(0);
    expect(
      second.logs.some((l) => l.msg === 'the authority changed: reports made for the previous one stay there; open outages are filed with the new one'),
    ).toBe(true);
  });

  it('files one scheduled_maintenance report for a planned window and no outage report for an outage inside it', async () => {
    const now = Date.now();
    const window = {
      id: 'upgrade',
      start: new Date(now - 60_000).toISOString(),
      end: new Date(now + 10 * 60_000).toISOString(),
      notify_authority: true,
      description: { ar: 'ترقية قاعدة البيانات', en: 'Database upgrade' },
    };
    const t = await setup({}, { maintenance: [window] });
    const agent = await t.start();
    const notice = await eventually(() => t.sandbox.state.reports[0]);
    expect(notice.type).toBe('scheduled_maintenance');
    t.target.set(false);
    await agent.waitForLog((l) => l.msg === 'outage inside a maintenance window; not reported unless it outlasts the window');
    await new Promise((r) => setTimeout(r, 2_000));
    expect(t.sandbox.state.reports.map((r) => r.type)).toEqual(['scheduled_maintenance']);
    expect(await metric(agent, 'raqib_reports_total', { type: 'own_service_outage', outcome: 'suppressed' })).toBe(1);
  });
});
