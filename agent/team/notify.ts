/**
 * Tells the crisis team what needs a person: a report filed or refused, guidance received, a
 * report returned for more information or not acknowledged, the sign-in lost, a final report due.
 * Every event is logged; configured webhooks get it through the notification queue (an outbox of
 * its own in the state file), so a chat outage delays a notification but never loses it, and
 * never delays a report. Slack and Teams incoming webhooks take `{"text": …}`. The last stage of
 * the chain: it calls nothing upstream.
 */
import type { Bilingual } from '../authority/contract.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';
import { teamMessage, type TeamFacts } from './messages.js';

export type TeamEvent = TeamFacts & {
  at: number;
  /** Stable id of what it is about (incident, report key), for the idempotency key. */
  subject: string;
  serviceId?: string;
  report?: { key: string; id?: string; reference?: string; status?: string; type?: string };
};

const WARN = new Set(['report_failed', 'authorization_lost', 'not_acknowledged', 'returned_for_info']);

export class Notifier {
  private readonly log: Logger;

  constructor(
    private readonly config: () => Config,
    /** The notification queue (lanes `notify:<channel>`). */
    private readonly queue: Outbox,
    log: Logger,
    private readonly agentId: string,
  ) {
    this.log = log.child({ module: 'notify' });
  }

  /** Log the event and queue it for every channel that wants it. */
  async notify(ev: TeamEvent): Promise<void> {
    const message = teamMessage(ev);
    this.log[WARN.has(ev.event) ? 'warn' : 'info'](
      { event: ev.event, service: ev.serviceId, report: ev.report?.reference ?? ev.report?.key, text: message.en },
      'team notified',
    );
    const channels = this.config().notifications.filter((c) => c.events.includes(ev.event));
    if (channels.length === 0) return;
    await this.queue.enqueue(
      channels.map((c) => ({
        lane: `notify:${c.id}`,
        op: 'notify' as const,
        channel: c.id,
        idempotencyKey: `raqib:${this.config().entity.code}:notify:${c.id}:${ev.event}:${ev.subject}:${ev.at}`,
        body: this.payload(ev, message, c.format),
        summary: `notify ${ev.event}`,
      })),
    );
  }

  private payload(ev: TeamEvent, message: Bilingual, format: 'json' | 'slack' | 'teams'): unknown {
    const config = this.config();
    if (format !== 'json') {
      const ref = ev.report?.reference ? ` [${ev.report.reference}]` : '';
      return { text: `raqib (${config.entity.code}, ${this.agentId})${ref}: ${message.en}\n${message.ar}` };
    }
    return {
      source: 'raqib',
      event: ev.event,
      at: new Date(ev.at).toISOString(),
      entity: config.entity.code,
      agent: this.agentId,
      ...(ev.serviceId ? { service: ev.serviceId } : {}),
      ...(ev.report ? { report: ev.report } : {}),
      message,
    };
  }
}
