/**
 * The notification queue's sender: finds the channel an entry was queued for and hands the entry
 * to its kind of delivery (webhook.ts, email.ts, sms.ts). The channel is read from the live config,
 * so a changed URL, server or template applies to what is still queued; an entry whose channel, or
 * whose number, left the config is dropped with a warning, as nobody asked for it any more.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { OutboxEntry } from '../outbox/types.js';
import type { EmailContent } from './email-message.js';
import { deliverEmail } from './email.js';
import { deliverSms, type SmsMessage } from './sms.js';
import { deliverWebhook } from './webhook.js';

/** An e-mail or SMS entry's body; a webhook's body is the JSON it posts. */
type Body = { email?: EmailContent; sms?: SmsMessage } | null;

export function notificationSender(config: () => Config, log: Logger): (entry: OutboxEntry) => Promise<void> {
  return async (entry) => {
    const channel = config().notifications.find((c) => c.id === entry.channel);
    const body = entry.body as Body;
    const drop = (msg: string) => log.warn({ module: 'notify', channel: entry.channel, seq: entry.seq }, msg);
    if (!channel) return drop('notification channel no longer configured; dropping its queued message');
    switch (channel.type) {
      case 'webhook':
        if (body?.email !== undefined || body?.sms !== undefined) return drop('notification channel changed type; dropping its queued message');
        return deliverWebhook(channel, entry);
      case 'email':
        if (body?.email === undefined) return drop('notification channel changed type; dropping its queued message');
        return deliverEmail(channel, body.email, log);
      case 'sms':
        if (body?.sms === undefined) return drop('notification channel changed type; dropping its queued message');
        if (!channel.to.includes(body.sms.to)) return drop('number no longer in its SMS channel; dropping its queued message');
        return deliverSms(channel, entry, body.sms);
    }
  };
}
