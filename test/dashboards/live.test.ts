/**
 * The dashboards and rules against a real Prometheus scraping a real agent. The built agent runs
 * as a child process watching local targets: appointments is up (HTTP and a TLS check),
 * national-address is degraded (a non-critical check refused), and payments goes down after
 * Prometheus has started scraping, so its incident is reported to a sandbox authority in this
 * process, acknowledged and answered with guidance; an authority outage of a second adds errors,
 * and a webhook takes the team's notifications. Prometheus (on loopback, a scrape and a rule
 * evaluation every second, with dashboards/prometheus/*.rules.yml) then has to answer **every
 * expression of every panel** of every dashboard — with each variable at its first value, and
 * again with every "All" variable at All — with at least one number (NaN alone is not data).
 * Needs Debian's prometheus package: `npm test` installs it when missing (test/dashboards/
 * test/ensure-debian.sh), and builds the agent first.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, runCli, sample, startAgent, stopAllAgents, type AgentProcess } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { ALTERNATE, closeSandboxes, control, MANAGER, startTestSandbox } from '../helpers/reporting.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { CA_FILE, closedPort, startHttpTarget, type HttpTarget } from '../helpers/targets.js';
import { tempDir } from '../helpers/tmp.js';
import { interpolate, loadDashboards, panelQueries, parseLabelValues, RULES_DIR, variableQuery, type Dashboard, type Selection } from './grafana.js';
import { PrometheusError, startPrometheus, type PromSample, type PrometheusServer } from './prometheus.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  await stopAllAgents();
  await closeSandboxes();
});

/** The crisis team's chat: takes webhook posts and counts them. */
async function startWebhookSink(): Promise<{ url: string; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/raqib`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Job {
  file: string;
  panel: string;
  refId: string;
  variant: string;
  where: string;
  expr: string;
  last: string;
  samples: { metric: Record<string, string>; value: number }[];
}

/** A result that holds at least one number: an empty vector is no data, and so is NaN alone. */
function describeResult(result: { resultType: string; result: unknown }): { ok: boolean; text: string; samples: Job['samples'] } {
  const samples: Job['samples'] =
    result.resultType === 'vector'
      ? (result.result as PromSample[]).map((s) => ({ metric: s.metric, value: Number(s.value[1]) }))
      : result.resultType === 'scalar'
        ? [{ metric: {}, value: Number((result.result as [number, string])[1]) }]
        : [];
  const values = samples.map((s) => s.value);
  return { ok: values.some((v) => !Number.isNaN(v)), text: values.length ? `${values.length} series: ${values.slice(0, 4).join(', ')}` : 'empty', samples };
}

/** `label_values(selector, label)` through the label values API, sorted as the variable asks (1: ascending). */
async function labelValues(prom: PrometheusServer, query: string): Promise<string[]> {
  const { selector, label } = parseLabelValues(query);
  const params = new URLSearchParams();
  if (selector) params.set('match[]', selector);
  const values = await prom.api<string[]>(`label/${label}/values?${params}`);
  return [...values].sort();
}

/** Every (variant × panel × target) of a dashboard with its variables substituted. */
async function dashboardJobs(prom: PrometheusServer, d: Dashboard): Promise<Job[]> {
  const vars = d.templating.list;
  const first: Record<string, Selection> = {};
  for (const v of vars.filter((x) => x.type === 'query')) {
    const query = interpolate(variableQuery(v), vars, first);
    const values = await eventually(
      async () => {
        const got = await labelValues(prom, query);
        return got.length > 0 && got;
      },
      20_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${d.file}: variable ${v.name} (${query}) has no values: ${String(err)}`);
    });
    first[v.name] = { value: values[0]! };
  }
  const variants: [string, Record<string, Selection>][] = [['first values', first]];
  const withAll = vars.filter((v) => v.includeAll);
  if (withAll.length) variants.push(['All', { ...first, ...Object.fromEntries(withAll.map((v) => [v.name, { all: true } as const])) }]);
  return variants.flatMap(([variant, selections]) =>
    panelQueries(d).map((q) => ({
      file: d.file,
      panel: q.panel,
      refId: q.refId,
      variant,
      where: `${d.file} › ${q.panel} › ${q.refId} (${variant}: ${Object.entries(selections)
        .map(([k, s]) => `${k}=${'all' in s ? 'All' : s.value}`)
        .join(', ')})`,
      expr: interpolate(q.expr, vars, selections),
      last: 'not run',
      samples: [],
    })),
  );
}

/** Runs every job until each returns data or the time is up; a query Prometheus refuses fails at once. */
async function untilAllReturnData(prom: PrometheusServer, jobs: Job[], timeoutMs: number): Promise<Job[]> {
  let pending = jobs;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const still: Job[] = [];
    for (let i = 0; i < pending.length; i += 8) {
      await Promise.all(
        pending.slice(i, i + 8).map(async (job) => {
          try {
            const { ok, text, samples } = describeResult(await prom.query(job.expr));
            job.last = text;
            job.samples = samples;
            if (!ok) still.push(job);
          } catch (err) {
            if (err instanceof PrometheusError && err.errorType === 'bad_data')
              throw new Error(`${job.where}: Prometheus refuses the expression: ${err.message}\n${job.expr}`, { cause: err });
            job.last = String(err);
            still.push(job);
          }
        }),
      );
    }
    pending = still;
    if (pending.length === 0 || Date.now() > until) return pending;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

const metric = async (agent: AgentProcess, name: string, labels: Record<string, string> = {}) => sample(await agent.metrics(), name, labels) ?? 0;

describe('dashboards against a real Prometheus scraping a real agent', () => {
  it('every expression of every panel parses and returns data, every rule evaluates, and the outage raises its alerts', async () => {
    const started = Date.now();
    const timings: string[] = [];
    const mark = (what: string) => timings.push(`${what} +${((Date.now() - started) / 1000).toFixed(1)}s`);

    // The world: three services' endpoints, the team's chat, the authority.
    const [appointments, address, payments] = await Promise.all([startSwitchTarget(true), startSwitchTarget(true), startSwitchTarget(true)]);
    const switches: SwitchTarget[] = [appointments, address, payments];
    closers.push(() => Promise.all(switches.map((s) => s.close())).then(() => undefined));
    const tls: HttpTarget = await startHttpTarget({ tls: 'localhost' });
    closers.push(() => tls.close());
    const sink = await startWebhookSink();
    closers.push(sink.close);
    const sandbox = await startTestSandbox({ ackDelayMs: 200 });
    const refused = await closedPort();

    const dir = await tempDir('raqib-dashboards-');
    const yaml = configYaml(
      [
        {
          id: 'appointments',
          beneficiaries_per_day: 48000,
          checks: [
            { id: 'portal', type: 'http', url: appointments.url },
            { id: 'cert', type: 'tls', host: '127.0.0.1', port: tls.port, ca_file: CA_FILE },
          ],
        },
        {
          id: 'national-address',
          provider: 'SPL',
          channel: 'api',
          checks: [
            { id: 'lookup', type: 'http', url: address.url },
            { id: 'replica', type: 'tcp', host: '127.0.0.1', port: refused, critical: false },
          ],
        },
        { id: 'payments', slo: 99.9, beneficiaries_per_day: 20000, checks: [{ id: 'portal', type: 'http', url: payments.url }] },
      ],
      {
        data_dir: './data',
        connectivity: { interval: '1s', timeout: '500ms', canaries: [{ id: 'gateway', type: 'tcp', host: '127.0.0.1', port: appointments.port }] },
      },
      {
        defaults: { interval: '500ms', timeout: '400ms', retry_interval: '200ms', failure_threshold: 2, success_threshold: 2 },
        authority: { mode: 'sandbox', url: sandbox.url, update_interval: '5s', followup_interval: '1s', final_report_deadline: '1h', retry_max_delay: '1s' },
        crisis_team: { members: [MANAGER, ALTERNATE] },
        notifications: [{ id: 'ops-chat', type: 'webhook', url: sink.url }],
      },
    );
    const configFile = join(dir, 'raqib.yaml');
    await writeFile(configFile, yaml);
    const login = await runCli(['login', '--config', configFile], {}, dir);
    expect(login.code, login.stderr).toBe(0);
    const agent = await startAgent(yaml, { dir });
    mark('agent listening');

    const prom = await startPrometheus({
      dir,
      target: new URL(agent.url).host,
      ruleFiles: ['raqib-recording.rules.yml', 'raqib-alerts.rules.yml'].map((f) => join(RULES_DIR, f)),
    });
    closers.push(() => prom.stop());
    await eventually(async () => describeResult(await prom.query('up{job="raqib"} == 1')).ok, 20_000, 200);
    mark('prometheus scraping');

    // The outage, once Prometheus watches: report, acknowledgement, guidance, an authority hiccup.
    await eventually(() => sandbox.state.teams.length === 1, 15_000);
    payments.set(false);
    const report = await eventually(() => sandbox.state.reports.find((r) => r.type === 'own_service_outage'), 15_000);
    mark('report filed');
    await control(sandbox, `reports/${report.id}/guidance`, { text: { ar: 'يرجى تفعيل خطة التعافي', en: 'Please activate the recovery plan' } });
    await eventually(async () => (await metric(agent, 'raqib_report_ack_seconds_count')) >= 1 && (await metric(agent, 'raqib_guidance_total')) >= 1, 15_000);
    await control(sandbox, 'faults', { down: true });
    await eventually(async () => (await metric(agent, 'raqib_authority_request_duration_seconds_count', { code: '503' })) >= 1, 15_000);
    await control(sandbox, 'faults', {}, 'DELETE');
    await eventually(async () => (await metric(agent, 'raqib_notifications_total', { result: 'delivered' })) >= 1, 15_000);
    expect(sink.received()).toBeGreaterThanOrEqual(1);
    mark('outage reported, acknowledged, guided');
    // … and Prometheus has scraped all of it, and the recording rules have taken in the outage.
    for (const expr of [
      'raqib_service_up{service="payments"} == 0',
      'service:raqib_availability:ratio_1d{service="payments"} < 1',
      'raqib_report_ack_seconds_count > 0',
      'raqib_guidance_total > 0',
      'raqib_authority_request_duration_seconds_count{code="503"} > 0',
      'raqib_notifications_total{result="delivered"} > 0',
    ]) {
      await eventually(async () => describeResult(await prom.query(expr)).ok, 20_000, 250).catch((err: unknown) => {
        throw new Error(`Prometheus never saw ${expr}: ${String(err)}`);
      });
    }
    mark('prometheus saw it');

    // Every expression of every panel, with its variables as Grafana would substitute them.
    const dashboards = loadDashboards();
    const jobs = (await Promise.all(dashboards.map((d) => dashboardJobs(prom, d)))).flat();
    expect(jobs.length).toBeGreaterThan(100);
    const failing = await untilAllReturnData(prom, jobs, 40_000);
    mark(`${jobs.length} panel queries answered`);
    expect(
      failing.map((j) => `${j.where}: ${j.last}\n    ${j.expr}`),
      'panel queries without data',
    ).toEqual([]);
    // The agent-blind panels are held to it like every other: it is exported (0: the canary answers).
    expect(jobs.some((j) => j.expr.includes('raqib_agent_blind'))).toBe(true);

    // Data, and the right data: what the panels say about this scenario.
    const values = (file: string, panel: string, refId = 'A', variant = 'All') => {
      const job = jobs.find((j) => j.file === file && j.panel.startsWith(panel) && j.refId === refId && j.variant === variant);
      if (!job) throw new Error(`no query ${file} › ${panel} › ${refId} (${variant})`);
      return job.samples.map((s) => s.value);
    };
    const byLabel = (file: string, panel: string, label: string) =>
      Object.fromEntries(jobs.find((j) => j.file === file && j.panel.startsWith(panel) && j.variant === 'All')!.samples.map((s) => [s.metric[label], s.value]));
    expect(values('raqib-overview.json', 'Services up')).toEqual([1]);
    expect(values('raqib-overview.json', 'Services degraded')).toEqual([1]);
    expect(values('raqib-overview.json', 'Services down')).toEqual([1]);
    expect(values('raqib-overview.json', 'Open incidents ·')).toEqual([1]);
    expect(byLabel('raqib-overview.json', 'Service state now', 'service')).toEqual({ appointments: 1, 'national-address': 2, payments: 3 });
    expect(byLabel('raqib-overview.json', 'Availability against objective', 'service')).toMatchObject({ appointments: 1, 'national-address': 1 });
    expect(byLabel('raqib-overview.json', 'Availability against objective', 'service')['payments']).toBeLessThan(1);
    expect(values('raqib-service.json', 'Objective', 'A', 'first values')).toEqual([0.995]);
    expect(Math.min(...values('raqib-service.json', 'Certificate days left', 'A', 'first values'))).toBeGreaterThan(365);
    expect(values('raqib-service.json', 'HTTP status codes', 'A', 'first values')).toEqual([200]);
    expect(values('raqib-reporting.json', 'Authority sign-in')).toEqual([1]);
    expect(values('raqib-reporting.json', 'Guidance received')[0]).toBeGreaterThanOrEqual(1);
    expect(values('raqib-reporting.json', 'Authority errors')[0]).toBeGreaterThanOrEqual(1);
    expect(values('raqib-reporting.json', 'Team notifications').reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect(values('raqib-reporting.json', 'Time to acknowledgement')[0]).toBeGreaterThan(0);
    expect(values('raqib-agent.json', 'Blind')).toEqual([0]);

    // Every recording and alerting rule evaluates without error.
    type Rules = { groups: { name: string; rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] };
    const rules = await eventually(
      async () => {
        const data = await prom.api<Rules>('rules');
        const all = data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith('0001-')) && data;
      },
      15_000,
      250,
    );
    const unhealthy = rules.groups.flatMap((g) => g.rules.filter((r) => r.health !== 'ok').map((r) => `${g.name}/${r.name}: ${r.health} ${r.lastError ?? ''}`));
    expect(unhealthy).toEqual([]);
    expect(rules.groups.map((g) => g.name).sort()).toEqual(['raqib-agent', 'raqib-availability', 'raqib-error-budget', 'raqib-reporting', 'raqib-services']);

    // The outage raises RaqibServiceDown and the fast burn (pending until their `for` passes) for
    // payments alone; nothing says the agent, its config or the outbox is in trouble.
    type Alert = { labels: Record<string, string>; state: string };
    const active = await eventually(
      async () => {
        const { alerts } = await prom.api<{ alerts: Alert[] }>('alerts');
        const has = (name: string) => alerts.some((a) => a.labels['alertname'] === name && a.labels['service'] === 'payments');
        return has('RaqibServiceDown') && has('RaqibErrorBudgetBurnFast') && alerts;
      },
      15_000,
      250,
    );
    expect(active.filter((a) => a.labels['service'] !== undefined && a.labels['service'] !== 'payments').map((a) => a.labels)).toEqual([]);
    const quiet = ['RaqibAgentDown', 'RaqibAgentBlind', 'RaqibDeadLetter', 'RaqibConfigReloadFailed', 'RaqibReportNotDelivered', 'RaqibCertificateExpiring'];
    expect(active.filter((a) => quiet.includes(a.labels['alertname']!)).map((a) => a.labels)).toEqual([]);
    mark('rules and alerts checked');
    console.log(`dashboards live test: ${timings.join(', ')}`);
  }, 120_000);
});
