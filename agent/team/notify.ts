/**
 * Tells the crisis team what needs a person: a report filed or refused, guidance received, a
 * report returned for more information or not acknowledged, the sign-in lost, a final report due.
 * Every event is logged; configured channels get it through the notification queue (an outbox of
 * its own in the state file), so a chat, mail or SMS gateway outage delays a notification but never
 * loses it, and never delays a report. What each channel is sent is made here, once, and kept in
 * the entry: a webhook's body (Slack and Teams incoming webhooks take `{"text": …}`), one e-mail to
 * all its recipients (email-message.ts), one SMS per number (sms-wording.ts), each number in a lane
 * of its own. The last stage of the chain: it calls nothing upstream.
 */
import type { Bilingual } from '../authority/contract.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { NotificationChannel } from '../config/schema-notifications.js';
import type { NewEntry, Outbox } from '../outbox/outbox.js';
import { emailContent, type EmailContent } from './email-message.js';
import { teamMessage, type TeamFacts } from './messages.js';
import { smsText } from './sms-wording.js';

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
    await this.queue.enqueue(channels.flatMap((c) => this.entries(c, ev, message)));
  }

  /** The entries one channel gets for an event: one, or one per number for SMS. */
  private entries(c: NotificationChannel, ev: TeamEvent, message: Bilingual): NewEntry[] {
    const config = this.config();
    const key = `raqib:${config.entity.code}:notify:${c.id}:${ev.event}:${ev.subject}:${ev.at}`;
    const entry = { lane: `notify:${c.id}`, op: 'notify' as const, channel: c.id, idempotencyKey: key, summary: `notify ${ev.event}` };
    const service = config.services.find((s) => s.id === ev.serviceId);
    switch (c.type) {
      case 'webhook':
        return [{ ...entry, body: this.payload(ev, message, c.format) }];
      case 'email': {
        const email: EmailContent = emailContent(ev, message, {
          entity: config.entity,
          agentId: this.agentId,
          timeZone: config.agent.timezone,
          ...(service ? { serviceName: service.name } : {}),
          from: c.from,
          idempotencyKey: key,
        });
        return [{ ...entry, body: { email } }];
      }
      case 'sms': {
        const text = smsText(ev, service?.name.ar, c.max_segments);
        return c.to.map((to) => ({
          ...entry,
          lane: `notify:${c.id}:${to}`,
          idempotencyKey: `${key}:${to}`,
          summary: `notify ${ev.event} (sms to ${to})`,
          body: { sms: { to, text, reference: ev.report?.reference ?? '', event: ev.event } },
        }));
      }
    }
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
