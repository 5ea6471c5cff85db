/**
 * Metrics of the reporting chain, on the same injected Registry as the rest. Gauges that
 * describe the outbox and open reports are computed when scraped from what the ledger and the
 * outbox give (their interfaces, not their stored rows), so they can never drift from what is
 * actually queued.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { REPORT_STATUSES, REPORT_TYPES } from '../authority/contract.js';
import { systemClock, type Clock } from '../clock.js';
import type { ReportRecord } from '../ledger/types.js';
import type { OutboxEntry, OutboxOp } from '../outbox/types.js';

/** What the gauges read at each scrape: every report record, and every outbox entry (pending and dead). */
export interface ReportingReadings {
  records(): readonly ReportRecord[];
  entries(): readonly OutboxEntry[];
}

const OUTCOMES = ['filed', 'failed', 'suppressed'] as const;
const OPS: readonly OutboxOp[] = ['create_report', 'add_update', 'final_report', 'notify'];

export class ReportingMetrics {
  readonly reports: Counter<'type' | 'outcome'>;
  readonly deadLetters: Counter<'op'>;
  readonly requestDuration: Histogram<'endpoint' | 'code'>;
  readonly authorized: Gauge;
  readonly ackSeconds: Histogram;
  readonly guidance: Counter;
  readonly notifications: Counter<'channel' | 'result'>;
  readonly authorityErrors: Counter<'class'>;

  /** Pre-set the delivered/failed counters of each configured notification channel. */
  channels(ids: readonly string[]): void {
    for (const channel of ids) for (const result of ['delivered', 'failed']) this.notifications.inc({ channel, result }, 0);
  }

  /** Count a failed authority request by class (outcome is the HTTP status or 'network'). */
  requestFailed(outcome: number | 'network'): void {
    if (outcome === 'network') this.authorityErrors.inc({ class: 'network' });
    else if (outcome === 429) this.authorityErrors.inc({ class: 'rate_limited' });
    else if (outcome >= 500) this.authorityErrors.inc({ class: 'server' });
    else if (outcome >= 400) this.authorityErrors.inc({ class: 'client' });
  }

  /** `clock` is the agent's: the outbox's age is its now minus the entry's createdAt (the same clock's). */
  constructor(registry: Registry, read: () => ReportingReadings | undefined, clock: Clock = systemClock) {
    const r = [registry];
    this.reports = new Counter({
      name: 'raqib_reports_total',
      help: 'Reports to the authority, by type and outcome (filed, failed: refused for good, suppressed: planned maintenance).',
      labelNames: ['type', 'outcome'],
      registers: r,
    });
    this.deadLetters = new Counter({
      name: 'raqib_dead_letters_total',
      help: 'Outbound calls the far side refused for good, by operation.',
      labelNames: ['op'],
      registers: r,
    });
    this.requestDuration = new Histogram({
      name: 'raqib_authority_request_duration_seconds',
      help: 'Requests to the authority, by endpoint and HTTP status (or "network").',
      labelNames: ['endpoint', 'code'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    });
    this.authorized = new Gauge({
      name: 'raqib_authority_authorized',
      help: 'Whether the agent holds a valid sign-in to file reports (1) or not (0).',
      registers: r,
    });
    this.ackSeconds = new Histogram({
      name: 'raqib_report_ack_seconds',
      help: 'Time from filing a report to the authority acknowledging it.',
      buckets: [10, 30, 60, 300, 900, 1800, 3600, 7200, 21600],
      registers: r,
    });
    this.guidance = new Counter({ name: 'raqib_guidance_total', help: 'Guidance items received from the authority.', registers: r });
    this.notifications = new Counter({
      name: 'raqib_notifications_total',
      help: 'Team notifications delivered or failed, by channel.',
      labelNames: ['channel', 'result'],
      registers: r,
    });
    this.authorityErrors = new Counter({
      name: 'raqib_authority_errors_total',
      help: 'Failed requests to the authority, by class: network (no answer), rate_limited (429), server (5xx), client (other 4xx).',
      labelNames: ['class'],
      registers: r,
    });
    for (const c of ['network', 'rate_limited', 'server', 'client']) this.authorityErrors.inc({ class: c }, 0);
    const openByType = () => {
      const counts = new Map<string, number>(REPORT_TYPES.map((t) => [t, 0]));
      for (const rec of read()?.records() ?? []) if (!rec.done && rec.reportId) counts.set(rec.type, (counts.get(rec.type) ?? 0) + 1);
      return counts;
    };
    new Gauge({
      name: 'raqib_reports_open',
      help: 'Reports filed and not yet closed at the authority, by type.',
      labelNames: ['type'],
      registers: r,
      collect() {
        for (const [type, n] of openByType()) this.set({ type }, n);
      },
    });
    new Gauge({
      name: 'raqib_reports_status',
      help: 'Reports not yet done, by their status at the authority (queued: not filed yet).',
      labelNames: ['status'],
      registers: r,
      collect() {
        const counts = new Map<string, number>([...REPORT_STATUSES, 'queued'].map((s) => [s, 0]));
        for (const rec of read()?.records() ?? []) {
          if (rec.done || (rec.suppressedUntil !== undefined && rec.queuedAt === 0)) continue;
          const status = rec.status ?? 'queued';
          counts.set(status, (counts.get(status) ?? 0) + 1);
        }
        for (const [status, n] of counts) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'raqib_outbox_pending',
      help: 'Outbound calls waiting to be delivered (dead letters excluded).',
      registers: r,
      collect() {
        this.set(
          read()
            ?.entries()
            .filter((e) => !e.dead).length ?? 0,
        );
      },
    });
    new Gauge({
      name: 'raqib_outbox_oldest_age_seconds',
      help: 'Age of the oldest undelivered outbound call (0 when none).',
      registers: r,
      collect() {
        const oldest = read()
          ?.entries()
          .find((e) => !e.dead);
        this.set(oldest ? Math.max(0, (clock.now() - oldest.createdAt) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'raqib_dead_letters',
      help: 'Dead letters kept in the outbox for people to look at.',
      registers: r,
      collect() {
        this.set(
          read()
            ?.entries()
            .filter((e) => e.dead).length ?? 0,
        );
      },
    });
    for (const type of REPORT_TYPES) for (const outcome of OUTCOMES) this.reports.inc({ type, outcome }, 0);
    for (const op of OPS) this.deadLetters.inc({ op }, 0);
    this.guidance.inc(0);
  }
}
