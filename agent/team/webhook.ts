/** Delivers one queued team notification to its webhook. */
import { request } from 'undici';
import { AuthorityError } from '../authority/errors.js';
import type { WebhookChannel } from '../config/schema-notifications.js';
import { describeError } from '../errors.js';
import type { OutboxEntry } from '../outbox/types.js';

export const WEBHOOK_TIMEOUT_MS = 10_000;

export async function deliverWebhook(channel: WebhookChannel, entry: OutboxEntry): Promise<void> {
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
