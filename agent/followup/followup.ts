/**
 * Reads each filed report at the authority and tells the team what came back: status changes,
 * guidance (also on a closed report), a report returned for more information, acknowledgement
 * (and how long it took). A report is read right after it is filed, then every
 * followup_interval counted from its filing, and once more a followup_interval after the
 * authority closed it; only then is it followed to the end. A report not acknowledged within
 * ack_deadline is escalated to the team. It hears answers from the outbox and writes only to the
 * ledger and the team.
 */
import type { AuthorityApi } from '../authority/client.js';
import { isAuthorityError } from '../authority/errors.js';
import type { Clock } from '../clock.js';
import { SerialWork } from '../serial-work.js';
import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import { finalSince, Ledger } from '../ledger/ledger.js';
import type { ReportRecord } from '../ledger/types.js';
import type { Logger } from '../log.js';
import type { ReportingMetrics } from '../metrics/reporting-metrics.js';
import type { Answer } from '../outbox/answers.js';
import type { Notifier } from '../team/notify.js';

/**
 * A report raqib has finished with that the authority never closes (monitoring stopped, a window
 * withdrawn) is read for this long after its last change, then left.
 */
export const FOLLOW_DONE_MS = 7 * 24 * 3_600_000;

export interface FollowUpOptions {
  config: () => Config;
  ledger: Ledger;
  /** The authority; none in drafts mode, where there is no far side to read. */
  api?: AuthorityApi;
  notifier: Notifier;
  metrics: ReportingMetrics;
  clock: Clock;
  log: Logger;
  /** How often time is looked at. */
  tickMs?: number;
}

export class FollowUp {
  private readonly log: Logger;
  /** The last followup_interval slot (counted from filing) each report was read in. */
  private readonly slot = new Map<string, number>();
  private readonly work: SerialWork;

  constructor(private readonly opts: FollowUpOptions) {
    this.log = opts.log.child({ module: 'followup' });
    this.work = new SerialWork(opts.clock, this.log, 'follow-up step failed');
  }

  private get interval(): number {
    return this.opts.config().authority?.followup_interval ?? 300_000;
  }

  start(): void {
    this.work.every(
      () => this.opts.tickMs ?? Math.min(10_000, Math.max(250, Math.round(this.interval / 10))),
      () => this.tick(),
    );
  }

  stop(): void {
    this.work.stop();
  }

  idle(): Promise<void> {
    return this.work.idle();
  }

  private serially(step: () => Promise<void>): Promise<void> {
    return this.work.run(step);
  }

  /** The outbox's answers: a report just filed is read at once, and so is one a final report closed. */
  answered(answer: Answer): void {
    const rec = this.opts.ledger.get(answer.key);
    if (!rec || !this.opts.api) return;
    if (answer.type === 'filed' || rec.done) void this.serially(() => this.read(rec));
  }

  /** What time asks for: reads due by the schedule of each report, and escalations. */
  async tick(): Promise<void> {
    const now = this.opts.clock.now();
    for (const rec of this.opts.ledger.all()) {
      if (!rec.reportId) continue;
      if (this.opts.api && !rec.followed && rec.filedAt !== undefined) {
        const slot = Math.floor((now - rec.filedAt) / this.interval);
        if (slot > (this.slot.get(rec.key) ?? 0)) {
          this.slot.set(rec.key, slot);
          await this.read(rec);
        }
      }
      await this.escalate(rec, now);
    }
  }

  /** Read every report still followed once, now (tests and the CLI's "check now"). */
  pollAll(): Promise<void> {
    return this.serially(async () => {
      for (const rec of this.opts.ledger.all()) if (rec.reportId && !rec.followed) await this.read(rec);
    });
  }

  private async read(rec: ReportRecord): Promise<void> {
    if (!this.opts.api || !rec.reportId || rec.followed) return;
    const closedSince = finalSince(rec);
    let report;
    try {
      report = await this.opts.api.getReport(rec.reportId);
    } catch (err) {
      if (isAuthorityError(err) && err.status === 404) return this.end(rec, 'the authority no longer has the report');
      const level = isAuthorityError(err) && err.kind === 'auth' ? 'debug' : 'warn';
      this.log[level]({ report: rec.reference, err: describeError(err) }, 'follow-up read failed; will try again');
      return;
    }
    const now = this.opts.clock.now();
    const seen = this.opts.ledger.observed(rec, report, now);
    this.tell(rec, seen, now);
    // Closed, and read again a whole interval after it closed: nothing more will come.
    if (closedSince !== undefined && finalSince(rec) === closedSince && now - closedSince >= this.interval) return this.end(rec, 'closed at the authority');
    const lastChange = Math.max(rec.filedAt ?? 0, rec.statusHistory.at(-1)?.at ?? 0);
    if (rec.done && finalSince(rec) === undefined && now - lastChange >= FOLLOW_DONE_MS)
      this.end(rec, 'raqib finished with it and it has not changed for a week');
  }

  private end(rec: ReportRecord, why: string): void {
    this.opts.ledger.followed(rec);
    this.slot.delete(rec.key);
    this.log.info({ report: rec.reference, status: rec.status, why }, 'report followed to its end');
  }

  private tell(rec: ReportRecord, seen: ReturnType<Ledger['observed']>, now: number): void {
    const { notifier, metrics } = this.opts;
    const base = { at: now, serviceId: rec.serviceId, report: Ledger.ref(rec) };
    if (seen.acknowledged) {
      const seconds = Math.max(0, (rec.acknowledgedAt! - (rec.filedAt ?? rec.acknowledgedAt!)) / 1000);
      metrics.ackSeconds.observe(seconds);
      this.log.info({ report: rec.reference, seconds }, 'report acknowledged by the authority');
      void notifier.notify({ ...base, event: 'report_acknowledged', facts: { minutes: Math.round(seconds / 60) }, subject: rec.key });
    }
    if (seen.to !== seen.from) this.log.info({ report: rec.reference, from: seen.from, to: seen.to }, 'report status changed at the authority');
    if (seen.to === 'returned_for_info' && seen.from !== 'returned_for_info') {
      void notifier.notify({ ...base, event: 'returned_for_info', facts: {}, subject: `${rec.key}:${now}` });
    }
    for (const g of seen.fresh) {
      metrics.guidance.inc();
      this.log.warn({ report: rec.reference, guidance: g.id, text: g.text.en }, 'guidance received from the authority');
      void notifier.notify({
        ...base,
        event: 'guidance_received',
        facts: { text: g.text, closed: finalSince(rec) !== undefined },
        subject: `${rec.key}:${g.id}`,
      });
    }
  }

  /** Tell the team once when a filed report has waited too long for acknowledgement. */
  private async escalate(rec: ReportRecord, now: number): Promise<void> {
    const deadline = this.opts.config().authority?.ack_deadline;
    if (!this.opts.api || !deadline || rec.acknowledgedAt || rec.escalatedAt || !rec.filedAt || rec.done || rec.followed || now - rec.filedAt < deadline)
      return;
    this.opts.ledger.told(rec, 'escalatedAt', now);
    this.log.warn({ report: rec.reference, filedAt: new Date(rec.filedAt).toISOString() }, 'report not acknowledged in time; escalating to the team');
    await this.opts.notifier.notify({
      event: 'not_acknowledged',
      facts: { minutes: Math.round((now - rec.filedAt) / 60_000) },
      at: now,
      subject: rec.key,
      serviceId: rec.serviceId,
      report: Ledger.ref(rec),
    });
  }
}
