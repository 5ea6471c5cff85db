/**
 * Tells the crisis team what needs a person: a report filed or refused, guidance received, a
 * report returned for more information or not acknowledged, the sign-in lost, a final report due.
 * Every event is logged; configured webhooks get it through the outbox, so a chat outage delays
 * a notification but never loses it. Slack and Teams incoming webhooks take `{"text": …}`.
 */
import { request } from 'undici';
import type { Bilingual } from '../authority/contract.js';
import { AuthorityError } from '../authority/errors.js';
import type { Outbox } from '../outbox/outbox.js';
import type { OutboxEntry } from '../outbox/types.js';
import type { NotifyEvent } from '../config/schema-reporting.js';
import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';

export interface TeamEvent {
  event: NotifyEvent;
  at: number;
  /** Stable id of what it is about (incident, report key), for the idempotency key. */
  subject: string;
  serviceId?: string;
  report?: { key: string; id?: string; reference?: string; status?: string; type?: string };
  message: Bilingual;
}

export const WEBHOOK_TIMEOUT_MS = 10_000;

export class Notifier {
  private readonly log: Logger;

  constructor(
    private readonly config: () => Config,
    private readonly outbox: Outbox,
    log: Logger,
    private readonly agentId: string,
  ) {
    this.log = log.child({ module: 'notify' });
  }

  /** Log the event and queue it for every channel that wants it. */
  async notify(ev: TeamEvent): Promise<void> {
    const level = ['report_failed', 'authorization_lost', 'not_acknowledged', 'returned_for_info'].includes(ev.event) ? 'warn' : 'info';
    this.log[level]({ event: ev.event, service: ev.serviceId, report: ev.report?.reference ?? ev.report?.key, text: ev.message.en }, 'team notified');
    const channels = this.config().notifications.filter((c) => c.events.includes(ev.event));
    if (channels.length === 0) return;
    await this.outbox.enqueue(
      channels.map((c) => ({
        lane: `notify:${c.id}`,
        op: 'notify' as const,
        channel: c.id,
        idempotencyKey: `raqib:${this.config().entity.code}:notify:${c.id}:${ev.event}:${ev.subject}:${ev.at}`,
        body: this.payload(ev, c.format),
        summary: `notify ${ev.event}`,
      })),
    );
  }

  private payload(ev: TeamEvent, format: 'json' | 'slack' | 'teams'): unknown {
    const config = this.config();
    if (format !== 'json') {
      const ref = ev.report?.reference ? ` [${ev.report.reference}]` : '';
      return { text: `raqib (${config.entity.code}, ${this.agentId})${ref}: ${ev.message.en}\n${ev.message.ar}` };
    }
    return {
      source: 'raqib',
      event: ev.event,
      at: new Date(ev.at).toISOString(),
      entity: config.entity.code,
      agent: this.agentId,
      ...(ev.serviceId ? { service: ev.serviceId } : {}),
      ...(ev.report ? { report: ev.report } : {}),
      message: ev.message,
    };
  }

  /** Deliver one queued notification (the outbox's sender for `notify` entries). */
  async send(entry: OutboxEntry): Promise<void> {
    const channel = this.config().notifications.find((c) => c.id === entry.channel);
    if (!channel) {
      this.log.warn({ channel: entry.channel }, 'notification channel no longer configured; dropping its queued message');
      return;
    }
    let status: number;
    try {
      const res = await request(channel.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': entry.idempotencyKey, ...channel.headers },
        body: JSON.stringify(entry.body),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      status = res.statusCode;
      await res.body.dump();
    } catch (err) {
      throw new AuthorityError('network', `webhook ${channel.id}: no answer (${describeError(err)})`, { cause: err });
    }
    if (status >= 300) throw new AuthorityError('http', `webhook ${channel.id}: HTTP ${status}`, { status });
  }
}
