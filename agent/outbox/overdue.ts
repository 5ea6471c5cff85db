/**
 * The crisis team believes the authority has the report from the first minute. When a report's
 * filing is still in the outbox NOT_FILED_MS after it was queued (authority down, nobody signed in,
 * disk full…), the team is told so and why, and again every NOT_FILED_MS until it is filed.
 */
import type { Clock } from '../clock.js';
import { SerialWork } from '../serial-work.js';
import { Ledger } from '../ledger/ledger.js';
import type { ReportRecord } from '../ledger/types.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../team/notify.js';
import type { Outbox } from './outbox.js';

/** How long a queued report may wait to be filed before the team is told (and told again). */
export const NOT_FILED_MS = 10 * 60_000;

export class Overdue {
  private readonly work: SerialWork;

  constructor(
    private readonly ledger: Ledger,
    /** The report outbox: what still waits to be filed, and why. */
    private readonly outbox: Outbox,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly tickMs = 10_000,
  ) {
    this.work = new SerialWork(clock, log, 'overdue check failed');
  }

  start(): void {
    this.work.every(
      () => this.tickMs,
      () => this.tick(),
    );
  }

  stop(): void {
    this.work.stop();
  }

  idle(): Promise<void> {
    return this.work.idle();
  }

  async tick(): Promise<void> {
    const now = this.clock.now();
    for (const rec of this.ledger.all()) if (!rec.reportId) await this.check(rec, now);
  }

  private async check(rec: ReportRecord, now: number): Promise<void> {
    if (rec.queuedAt === 0 || now - rec.queuedAt < NOT_FILED_MS || now - (rec.notFiledToldAt ?? 0) < NOT_FILED_MS) return;
    const waiting = this.outbox.waitingToFile(rec.key);
    if (!waiting) return; // refused (its dead letter told the team), or never queued
    const minutes = Math.round((now - rec.queuedAt) / 60_000);
    this.ledger.told(rec, 'notFiledToldAt', now);
    this.log.error({ module: 'outbox', report: rec.key, minutes, lastError: waiting.lastError }, 'report still not filed with the authority');
    await this.notifier.notify({
      event: 'report_failed',
      facts: { why: 'unfiled', minutes, ...(waiting.lastError ? { lastError: waiting.lastError } : {}) },
      at: now,
      subject: `${rec.key}:unfiled:${minutes}`,
      serviceId: rec.serviceId,
      report: Ledger.ref(rec),
    });
  }
}
