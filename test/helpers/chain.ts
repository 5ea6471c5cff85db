/**
 * The reporting chain for tests: built by reporting-chain.ts itself (so tests and the agent cannot
 * drift), with a log tests read back and an authority they control. Unless asked to deliver, the
 * calls filing decides stay queued in the state to look at.
 */
import { afterEach } from 'vitest';
import { Registry } from 'prom-client';
import type { AuthorityApi } from '../../agent/authority/client.js';
import { AuthorityError } from '../../agent/authority/errors.js';
import type {
  CrisisTeam,
  CrisisTeamBody,
  FinalReportBody,
  Report,
  ReportBody,
  ReportCreated,
  ReportUpdate,
  UpdateBody,
} from '../../agent/authority/contract.js';
import type { ReportRecord } from '../../agent/ledger/types.js';
import type { OutboxEntry } from '../../agent/outbox/types.js';
import { buildReportingChain, readings } from '../../agent/reporting-chain.js';
import type { Config } from '../../agent/config/schema.js';
import type { Impact, ServiceState } from '../../agent/detect/service-state.js';
import { IncidentTracker, type IncidentEvent } from '../../agent/incidents/tracker.js';
import type { Evidence, Incident } from '../../agent/incidents/types.js';
import { createLogger, type Logger } from '../../agent/log.js';
import { Metrics } from '../../agent/metrics/metrics.js';
import { ReportingMetrics } from '../../agent/metrics/reporting-metrics.js';
import { openJsonStore, type JsonStore } from '../../agent/store/json-store.js';
import { loadedConfig, type MiniService } from './config.js';
import { ManualClock } from './manual-clock.js';
import { ALTERNATE, MANAGER } from './reporting.js';
import { tempDir } from './tmp.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const MEMBER = { name: { ar: 'هدى القحطاني', en: 'Huda Alqahtani' }, role: 'member', mobile: '+966500000003', email: 'huda@moh.example.sa' };

/** A log whose JSON lines are kept in `lines`. */
export function captureLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return { log, lines };
}

export interface ConfigParts {
  services?: MiniService[];
  authority?: Record<string, unknown> | null;
  members?: Record<string, unknown>[];
  notifications?: Record<string, unknown>[];
}

export const SERVICE: MiniService = {
  id: 'appointments',
  beneficiaries_per_day: 48000,
  checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:1/health' }],
};

export function buildConfig(dir: string, parts: ConfigParts = {}): Config {
  const extra: Record<string, unknown> = { crisis_team: { members: parts.members ?? [MANAGER, ALTERNATE, MEMBER] } };
  if (parts.authority !== null) {
    extra['authority'] = {
      mode: 'sandbox',
      url: 'http://127.0.0.1:9',
      update_interval: '30m',
      final_report_deadline: '24h',
      notice_before: '1h',
      ack_deadline: '30m',
      followup_interval: '5m',
      retry_max_delay: '1s',
      ...parts.authority,
    };
  }
  if (parts.notifications) extra['notifications'] = parts.notifications;
  return loadedConfig(parts.services ?? [SERVICE], { data_dir: dir }, extra).config;
}

export interface HarnessOptions extends ConfigParts {
  dir?: string;
  clock?: ManualClock;
  /** The authority the report outbox sends to; a FakeAuthority by default. */
  api?: AuthorityApi;
  /** Who the authority says is signed in; the manager by default. */
  subject?: () => string | undefined;
  /** Start both outboxes and follow-up (default: calls are queued, nothing is sent). */
  deliver?: boolean;
  /** Start the chain (subscribe to the tracker, upgrade old entries); default true. */
  start?: boolean;
  /** Whether the agent is blind, as the connectivity guard says it; default never. */
  blind?: () => boolean;
}

export type Harness = Awaited<ReturnType<typeof reportingHarness>>;

/**
 * The reporting chain exactly as reporting-chain.ts builds it for the agent, on the real JsonStore
 * (temp dir), the real IncidentTracker and a ManualClock, with an authority the test controls.
 */
export async function reportingHarness(options: HarnessOptions = {}) {
  const dir = options.dir ?? (await tempDir('raqib-reporting-'));
  const clock = options.clock ?? new ManualClock();
  let config = buildConfig(dir, options);
  const { log, lines } = captureLog();
  const store: JsonStore = await openJsonStore({ dataDir: dir, log, coalesceMs: 5 });
  const registry = new Registry();
  const coreMetrics = new Metrics(registry, { version: 'test' });
  const holder: { chain?: ReturnType<typeof buildReportingChain> } = {};
  const metrics = new ReportingMetrics(registry, () => holder.chain && readings(holder.chain), clock);
  const tracker = new IncidentTracker({ store, metrics: coreMetrics, clock, log });
  const events: IncidentEvent[] = [];
  tracker.onEvent((e) => events.push(e));
  const api = options.api ?? new FakeAuthority();
  const subject = options.subject ?? (() => MANAGER.email);
  const chain = buildReportingChain({
    config: () => config,
    store,
    tracker,
    clock,
    log,
    metrics,
    api,
    drafts: false,
    subject: async () => subject(),
    tickMs: 60 * MINUTE,
    blind: options.blind,
    retry: { baseMs: 1_000, maxMs: 1_000, factor: 2 },
    random: () => 0,
  });
  holder.chain = chain;
  if (options.start !== false) await chain.start({ deliver: options.deliver ?? false });

  const evidence = (status: 'up' | 'down', check = 'portal'): Evidence[] => [
    {
      check,
      type: 'http',
      status,
      code: status === 'up' ? 'OK' : 'HTTP_STATUS',
      detail: status === 'up' ? '200 in 12 ms' : '503 in 12 ms',
      phases: { total: 12 },
      observedAt: clock.now(),
      ...(status === 'down' ? { httpStatus: 503 } : { httpStatus: 200 }),
      agentId: 'test-agent',
    },
  ];

  /** Apply a service change and wait until filing has handled the incident event. */
  async function change(
    serviceId: string,
    from: ServiceState,
    to: ServiceState,
    impact: Impact | undefined,
    at = clock.now(),
  ): Promise<IncidentEvent | undefined> {
    const ev = tracker.serviceChanged({
      serviceId,
      from,
      to,
      at,
      impact,
      failing: to === 'DOWN' ? ['portal'] : [],
      evidence: evidence(to === 'DOWN' ? 'down' : 'up'),
    });
    await settled();
    return ev;
  }

  async function settled(): Promise<void> {
    await chain.settled();
    await chain.filing.idle();
  }

  const h = {
    dir,
    clock,
    store,
    registry,
    metrics,
    tracker,
    events,
    chain,
    api,
    log,
    lines,
    filing: chain.filing,
    outbox: chain.reports,
    notifier: chain.notifier,
    get config() {
      return config;
    },
    setConfig(parts: ConfigParts) {
      config = buildConfig(dir, parts);
    },
    change,
    settled,
    /** The service goes DOWN (opens an incident) at `at`. */
    down: (impact: Impact = 'total', serviceId = 'appointments', at?: number) => change(serviceId, 'UP', 'DOWN', impact, at),
    /** A change while DOWN (same or other impact). */
    still: (impact: Impact, serviceId = 'appointments') => change(serviceId, 'DOWN', 'DOWN', impact),
    up: (serviceId = 'appointments') => change(serviceId, 'DOWN', 'UP', undefined),
    /** Move the clock without firing timers, then run the time-driven work of filing, the outbox and follow-up once. */
    async tickAt(ms: number): Promise<void> {
      clock.jump(ms);
      await chain.filing.tick();
      await chain.overdue.tick();
      await chain.followUp.tick();
    },
    /** Register the crisis team as the authority would have. */
    team(id = 'team_k3x9q2m7a4bc') {
      store.update((d) => (d.team = { id, fingerprint: 'f', registeredAt: 0 }));
    },
    entries: (): OutboxEntry[] => store.data.outbox,
    reportEntries: (): OutboxEntry[] => store.data.outbox.filter((e) => e.op !== 'notify'),
    keys: (): string[] => store.data.outbox.filter((e) => e.op !== 'notify').map((e) => e.idempotencyKey),
    notifications: (): OutboxEntry[] => store.data.outbox.filter((e) => e.op === 'notify'),
    record: (key: string): ReportRecord | undefined => store.data.reports[key],
    incident: (): Incident => store.data.incidents.at(-1)!,
    logged: (msg: string) => lines.filter((l) => l['msg'] === msg),
    async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
      const m = await registry.getSingleMetric(name)?.get();
      return m?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
    },
    /** Pretend the authority took the report: what the report outbox hears on delivery. */
    filed(key: string, id = 'rpt_test0000001', reference = 'DGA-2026-000001') {
      const entry = store.data.outbox.find((e) => e.reportKey === key && e.op === 'create_report')!;
      store.update((d) => (d.outbox = d.outbox.filter((e) => e !== entry)));
      chain.answers.delivered(entry, { id, reference, status: 'submitted' });
    },
    async close(): Promise<void> {
      await chain.stop();
      await store.close();
    },
  };
  return h;
}

/** An in-memory AuthorityApi whose answers tests control; it records every call. */
export class FakeAuthority implements AuthorityApi {
  calls: { op: string; key?: string; reportId?: string; body?: unknown }[] = [];
  teams: CrisisTeam[] = [];
  /** Throw this from the next call (then clear it). */
  failNext: Error | undefined;
  /** Runs at the start of each report call, before answering (e.g. to look at the state file). */
  onCall: ((op: string, body: unknown) => void | Promise<void>) | undefined;
  private n = 0;

  private async enter(op: string, body: unknown, extra: { key?: string; reportId?: string } = {}): Promise<void> {
    this.calls.push({ op, body, ...extra });
    await this.onCall?.(op, body);
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
  }

  async createReport(key: string, body: ReportBody): Promise<ReportCreated> {
    await this.enter('create_report', body, { key });
    this.n++;
    return {
      id: `rpt_fake${String(this.n).padStart(8, '0')}`,
      reference: `DGA-2026-${String(this.n).padStart(6, '0')}`,
      status: body.type === 'scheduled_maintenance' ? 'scheduled' : 'submitted',
    };
  }

  async addUpdate(reportId: string, key: string, body: UpdateBody): Promise<ReportUpdate> {
    await this.enter('add_update', body, { key, reportId });
    return { id: `upd_${this.calls.length}`, received_at: new Date(0).toISOString(), ...body } as ReportUpdate;
  }

  async fileFinalReport(reportId: string, key: string, body: FinalReportBody): Promise<Pick<Report, 'status'>> {
    await this.enter('final_report', body, { key, reportId });
    return { status: body.actions_pending ? 'awaiting_final_report' : 'closed' };
  }

  /** Reports read by follow-up (kept apart from `calls`, which are what raqib files). */
  reads: string[] = [];
  /** What the authority's copy of a report says when read; tests change it. */
  copies = new Map<string, Partial<Report>>();

  /** Reports the authority no longer has (read answers 404). */
  gone = new Set<string>();

  async getReport(reportId: string): Promise<Report> {
    this.reads.push(reportId);
    if (this.gone.has(reportId)) throw new AuthorityError('http', `HTTP 404 for report ${reportId}`, { status: 404 });
    const copy = this.copies.get(reportId);
    return { id: reportId, reference: `DGA-2026-${reportId.slice(-6)}`, status: 'submitted', guidance: [], ...copy } as Report;
  }

  /** Reports filed under a key, as the authority would find them; tests fill it. */
  filedByKey = new Map<string, Report>();

  async findReportByKey(key: string): Promise<Report | undefined> {
    await this.enter('find_report', undefined, { key });
    return this.filedByKey.get(key);
  }

  async findTeam(entityCode: string): Promise<CrisisTeam | undefined> {
    await this.enter('find_team', entityCode);
    return this.teams.find((t) => t.entity.code === entityCode);
  }

  async registerTeam(body: CrisisTeamBody): Promise<CrisisTeam> {
    await this.enter('register_team', body);
    const at = new Date(0).toISOString();
    const team = { id: `team_fake${this.teams.length + 1}`, status: 'registered', registered_at: at, updated_at: at, ...body } as CrisisTeam;
    this.teams.push(team);
    return team;
  }

  async updateTeam(teamId: string, body: CrisisTeamBody): Promise<CrisisTeam> {
    await this.enter('update_team', body, { reportId: teamId });
    const i = this.teams.findIndex((t) => t.id === teamId);
    const team = { ...this.teams[i]!, ...body } as CrisisTeam;
    this.teams[i] = team;
    return team;
  }

  ops(): string[] {
    return this.calls.map((c) => c.op);
  }
}

/**
 * `harness(...)` for a test file: each harness made in a test is closed after it.
 * Usage: `const harness = harnessPerTest();` at the top of a test file.
 */
export function harnessPerTest(): (...args: Parameters<typeof reportingHarness>) => Promise<Harness> {
  const open: Harness[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
  });
  return async (...args) => {
    const h = await reportingHarness(...args);
    open.push(h);
    return h;
  };
}
