/**
 * Following filed reports at a real sandbox authority: status changes, guidance, returned for
 * info, acknowledgement and its metric, escalation when nobody acknowledges in time, and when
 * reports are read. The chain is the one startReporting builds (real HTTP client, outbox, sign-in
 * file), on a manual clock; reads are made by pollAll() or tick() rather than its timer.
 */
import { Registry } from 'prom-client';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceSignIn } from '../../agent/authority/login.js';
import type { ReportRecord } from '../../agent/ledger/types.js';
import { IncidentTracker } from '../../agent/incidents/tracker.js';
import { Metrics } from '../../agent/metrics/metrics.js';
import { startReporting, type ReportingRuntime } from '../../agent/reporting-chain.js';
import { openJsonStore, type JsonStore } from '../../agent/store/json-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { closeSandboxes, control, MANAGER, startTestSandbox } from '../helpers/reporting.js';
import { tempDir } from '../helpers/tmp.js';
import { buildConfig, captureLog, MINUTE } from '../helpers/chain.js';
import { startWebhook, until, type Webhook } from '../helpers/webhook.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await closeSandboxes();
});

async function setup(authority: Record<string, unknown> = {}, sandboxOptions: Record<string, unknown> = {}) {
  const sandbox = await startTestSandbox({ ackDelayMs: -1, ...sandboxOptions });
  const hook: Webhook = await startWebhook();
  cleanup.push(() => hook.close());
  const dir = await tempDir('raqib-followup-');
  const config = buildConfig(dir, {
    authority: { url: sandbox.url, ack_deadline: '30m', request_timeout: '5s', ...authority },
    notifications: [{ id: 'ops', type: 'webhook', url: `${hook.url}/hook` }],
  });
  const dispatcher = new Agent();
  await deviceSignIn({
    endpoint: { baseUrl: sandbox.url, clientId: 'raqib', dispatcher, timeoutMs: 5_000 },
    subject: MANAGER.email,
    dataDir: dir,
    onPrompt: () => undefined,
    sleep: async () => undefined,
  });
  await dispatcher.close();

  const clock = new ManualClock(Date.now());
  const { log, lines } = captureLog();
  const store: JsonStore = await openJsonStore({ dataDir: dir, log, coalesceMs: 5 });
  const registry = new Registry();
  const tracker = new IncidentTracker({ store, metrics: new Metrics(registry, { version: 'test' }), clock, log });
  const runtime: ReportingRuntime = await startReporting({
    config: () => config,
    store,
    tracker,
    clock,
    log,
    registry,
    userAgent: 'raqib-test',
    tickMs: 3_600_000,
  });
  runtime.start();
  cleanup.push(async () => {
    await runtime.stop();
    await store.close();
  });
  await until(() => store.data.team !== undefined, 5_000, 'team registration');

  /** An outage opens; waits until the authority has its report. */
  async function file(): Promise<ReportRecord> {
    tracker.serviceChanged({
      serviceId: 'appointments',
      from: 'UP',
      to: 'DOWN',
      at: clock.now(),
      impact: 'total',
      failing: ['portal'],
      evidence: [
        {
          check: 'portal',
          type: 'http',
          status: 'down',
          code: 'HTTP_STATUS',
          detail: '503',
          phases: { total: 5 },
          observedAt: clock.now(),
          httpStatus: 503,
          agentId: 'test-agent',
        },
      ],
    });
    await until(() => Object.values(store.data.reports).some((r) => r.reportId), 5_000, 'report filed');
    return Object.values(store.data.reports)[0]!;
  }
  const events = (name: string) => hook.received.filter((r) => r.body.event === name);
  const nameOf = (v: object) => (v as { metricName?: string }).metricName;
  const histogram = async (name: string) => {
    const m = await registry.getSingleMetric(name)!.get();
    return { count: m.values.find((v) => nameOf(v) === `${name}_count`)?.value, sum: m.values.find((v) => nameOf(v) === `${name}_sum`)?.value };
  };
  const counter = async (name: string, labels: Record<string, string> = {}) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
  /** Requests answered by the authority, of one endpoint. */
  const requests = async (endpoint: string) =>
    (await registry.getSingleMetric('raqib_authority_request_duration_seconds')!.get()).values.find(
      (v) => nameOf(v) === 'raqib_authority_request_duration_seconds_count' && v.labels['endpoint'] === endpoint,
    )?.value ?? 0;
  const getReports = () => requests('get_report');
  /** The outage ends; waits until the restoration is queued. */
  async function recover(): Promise<void> {
    tracker.serviceChanged({
      serviceId: 'appointments',
      from: 'DOWN',
      to: 'UP',
      at: clock.now(),
      impact: undefined,
      failing: [],
      evidence: [
        {
          check: 'portal',
          type: 'http',
          status: 'up',
          code: 'OK',
          detail: '200',
          phases: { total: 5 },
          observedAt: clock.now(),
          httpStatus: 200,
          agentId: 'test-agent',
        },
      ],
    });
    await runtime.chain.settled();
  }
  const followUp = runtime.chain.followUp;
  return { sandbox, hook, dir, clock, store, runtime, followUp, lines, file, recover, events, histogram, counter, requests, getReports };
}

describe('follow-up of filed reports', () => {
  it('records status changes at the authority, in order', async () => {
    const t = await setup();
    const rec = await t.file();
    expect(rec.status).toBe('submitted');
    await control(t.sandbox, `reports/${rec.reportId}/status`, { status: 'ongoing' });
    await t.followUp.pollAll();
    expect(rec.status).toBe('ongoing');
    await control(t.sandbox, `reports/${rec.reportId}/status`, { status: 'restored' });
    await t.followUp.pollAll();
    await t.followUp.pollAll();
    expect(rec.statusHistory.map((s) => s.status)).toEqual(['submitted', 'ongoing', 'restored']);
    expect(t.lines.filter((l) => l['msg'] === 'report status changed at the authority').map((l) => l['to'])).toEqual(['ongoing', 'restored']);
  });

  it('records new guidance once and tells the team once per guidance', async () => {
    const t = await setup();
    const rec = await t.file();
    await control(t.sandbox, `reports/${rec.reportId}/guidance`, { text: { ar: 'يرجى تفعيل خطة التعافي', en: 'Please activate the recovery plan' } });
    await t.followUp.pollAll();
    await t.followUp.pollAll();
    expect(rec.guidance.map((g) => g.text.en)).toEqual(['Please activate the recovery plan']);
    await until(() => t.events('guidance_received').length === 1, 3_000, 'guidance notification');
    await control(t.sandbox, `reports/${rec.reportId}/guidance`, { text: { ar: 'حدّثوا الحالة كل ساعة', en: 'Update the status every hour' } });
    await t.followUp.pollAll();
    await t.followUp.pollAll();
    expect(rec.guidance.map((g) => g.text.en)).toEqual(['Please activate the recovery plan', 'Update the status every hour']);
    await until(() => t.events('guidance_received').length === 2, 3_000, 'second guidance notification');
    await new Promise((r) => setTimeout(r, 50));
    expect(t.events('guidance_received')).toHaveLength(2);
    expect(t.events('guidance_received')[1]!.body.message.en).toContain('Update the status every hour');
    expect(await t.counter('raqib_guidance_total')).toBe(2);
  });

  it('tells the team when the authority returns a report for more information, once', async () => {
    const t = await setup();
    const rec = await t.file();
    await control(t.sandbox, `reports/${rec.reportId}/status`, { status: 'returned_for_info' });
    await t.followUp.pollAll();
    await t.followUp.pollAll();
    expect(rec.status).toBe('returned_for_info');
    await until(() => t.events('returned_for_info').length === 1, 3_000, 'returned_for_info notification');
    await new Promise((r) => setTimeout(r, 50));
    expect(t.events('returned_for_info')).toHaveLength(1);
    expect(t.events('returned_for_info')[0]!.body.report).toMatchObject({ reference: rec.reference });
  });

  it('sets acknowledgedAt on acknowledgement and observes raqib_report_ack_seconds once', async () => {
    const t = await setup({}, { ackDelayMs: 100 });
    const rec = await t.file();
    await new Promise((r) => setTimeout(r, 200));
    await t.followUp.pollAll();
    const report = t.sandbox.state.reports.find((r) => r.id === rec.reportId)!;
    expect(report.acknowledged_at).toBeDefined();
    expect(rec.acknowledgedAt).toBe(Date.parse(report.acknowledged_at!));
    expect(rec.status).toBe('received');
    await t.followUp.pollAll();
    const ack = await t.histogram('raqib_report_ack_seconds');
    expect(ack.count).toBe(1);
    expect(ack.sum).toBeGreaterThanOrEqual(0);
    expect(ack.sum).toBeLessThan(60);
    await until(() => t.events('report_acknowledged').length === 1, 3_000, 'acknowledgement notification');
    t.clock.jump(60 * MINUTE); // past ack_deadline: acknowledged, so no escalation
    await t.followUp.pollAll();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.events('not_acknowledged')).toEqual([]);
  });

  it('escalates a report nobody acknowledged exactly once, after ack_deadline', async () => {
    const t = await setup({ ack_deadline: '30m' });
    const rec = await t.file();
    t.clock.jump(30 * MINUTE - 1);
    await t.followUp.tick();
    expect(rec.escalatedAt).toBeUndefined();
    t.clock.jump(1);
    await t.followUp.tick();
    expect(rec.escalatedAt).toBe(t.clock.now());
    t.clock.jump(30 * MINUTE);
    await t.followUp.tick();
    await t.followUp.tick();
    await until(() => t.events('not_acknowledged').length >= 1, 3_000, 'escalation');
    await new Promise((r) => setTimeout(r, 50));
    expect(t.events('not_acknowledged')).toHaveLength(1);
    expect(t.events('not_acknowledged')[0]!.body).toMatchObject({ event: 'not_acknowledged', service: 'appointments', report: { reference: rec.reference } });
    expect(t.lines.filter((l) => l['msg'] === 'report not acknowledged in time; escalating to the team')).toHaveLength(1);
  });

  it('asks the authority for the team once at a first start, then once every followup_interval', async () => {
    const t = await setup();
    await new Promise((resolve) => setTimeout(resolve, 300)); // a heartbeat sent at start has its answer by now (loopback)
    expect(await t.requests('find_team')).toBe(1); // registering the team looked it up
    await t.clock.advance(5 * MINUTE);
    for (const end = Date.now() + 3_000; (await t.requests('find_team')) < 2 && Date.now() < end;) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await t.requests('find_team')).toBe(2);
  });

  it('stops following a report the authority cancelled once it has read it again a followup_interval later', async () => {
    const t = await setup();
    const rec = await t.file();
    await control(t.sandbox, `reports/${rec.reportId}/status`, { status: 'cancelled' });
    await t.followUp.pollAll();
    expect(rec).toMatchObject({ status: 'cancelled', done: true });
    expect(rec.followed).toBeUndefined();
    t.clock.jump(5 * MINUTE);
    await t.followUp.pollAll();
    expect(rec.followed).toBe(true);
    const polls = await t.getReports();
    t.clock.jump(60 * MINUTE);
    await t.followUp.tick();
    await t.followUp.pollAll();
    expect(await t.getReports()).toBe(polls);
  });
});

describe('when reports are read', () => {
  it('reads a report right after it is filed, without waiting for followup_interval', async () => {
    const t = await setup();
    const rec = await t.file();
    await control(t.sandbox, `reports/${rec.reportId}/guidance`, { text: { ar: 'أرسلوا رقم التواصل', en: 'Send a contact number' } });
    // No time passes and nobody polls: the read that follows the filing finds what is there.
    await until(async () => (await t.getReports()) >= 1, 3_000, 'read after filing');
    await t.followUp.idle();
    expect(await t.getReports()).toBe(1);
  });

  it('reads every followup_interval counted from the filing, not from the agent start', async () => {
    const t = await setup();
    t.clock.jump(3 * MINUTE); // the agent ran a while before the outage
    const rec = await t.file();
    await until(async () => (await t.getReports()) >= 1, 3_000, 'read after filing');
    await t.followUp.idle();
    t.clock.jump(5 * MINUTE - 1);
    await t.followUp.tick();
    expect(await t.getReports()).toBe(1);
    t.clock.jump(1);
    await t.followUp.tick();
    expect(await t.getReports()).toBe(2);
    expect(rec.followed).toBeUndefined();
  });

  it('shows the acknowledgement and guidance of a report closed by its final report, and tells the team of guidance given after it closed', async () => {
    const t = await setup();
    const rec = await t.file();
    await until(async () => (await t.getReports()) >= 1, 3_000, 'read after filing');
    await control(t.sandbox, `reports/${rec.reportId}/status`, { status: 'received' }); // acknowledged
    await control(t.sandbox, `reports/${rec.reportId}/guidance`, { text: { ar: 'فعّلوا خطة التعافي', en: 'Activate the recovery plan' } });
    t.clock.jump(MINUTE);
    await t.recover();
    const answer = await t.runtime.finalize(rec.reference!, { actions: { ar: 'أُعيد تشغيل الخوادم', en: 'Restarted the servers' } });
    expect(answer.status).toBe(202);
    await until(() => rec.status === 'closed', 5_000, 'final report closes the report');
    await until(() => rec.guidance.length === 1, 3_000, 'the read after the final report');
    const shown = t.runtime.view(rec.reference!) as { acknowledged_at?: string; guidance: unknown[]; status: string };
    expect(shown.status).toBe('closed');
    expect(shown.acknowledged_at).toBeDefined();
    expect(shown.guidance).toHaveLength(1);
    expect(rec.followed).toBeUndefined(); // read once more a followup_interval later
    await control(t.sandbox, `reports/${rec.reportId}/guidance`, { text: { ar: 'أرسلوا تقرير السبب الجذري', en: 'Send the root-cause analysis' } });
    t.clock.jump(5 * MINUTE);
    await t.followUp.tick();
    expect(rec.guidance.map((g) => g.text.en)).toEqual(['Activate the recovery plan', 'Send the root-cause analysis']);
    expect(rec.followed).toBe(true);
    await until(() => t.events('guidance_received').length === 2, 3_000, 'guidance notifications');
    expect(t.events('guidance_received')[1]!.body.message.en).toBe(`Guidance on ${rec.reference} (the report is closed): Send the root-cause analysis`);
    const reads = await t.getReports();
    t.clock.jump(60 * MINUTE);
    await t.followUp.tick();
    expect(await t.getReports()).toBe(reads);
  });
});
