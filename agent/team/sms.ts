/**
 * Delivers one queued SMS through the channel's HTTP gateway: the request made from its template
 * (sms-request.ts) for the entry's number and text, the answer judged by `success_status`. Any other
 * answer is sorted as the outbox sorts HTTP: 5xx, 408, 425 and 429 are retried (Retry-After
 * honoured), anything else is a refusal kept as a dead letter. `{{id}}` is the entry's idempotency
 * key, for gateways that drop a message they already took under the same client reference.
 */
import { request } from 'undici';
import { AuthorityError } from '../authority/errors.js';
import type { SmsChannel } from '../config/schema-notifications.js';
import { describeError } from '../errors.js';
import { Refused } from '../outbox/outbox.js';
import { parseRetryAfter } from '../outbox/retry.js';
import type { OutboxEntry } from '../outbox/types.js';
import { gatewayRequest } from './sms-request.js';

export const SMS_TIMEOUT_MS = 10_000;

/** What the outbox keeps of one SMS: the number and the text as composed when it was queued. */
export interface SmsMessage {
  to: string;
  text: string;
  /** The report's reference at the authority, '' when there is none yet. */
  reference: string;
  event: string;
}

export async function deliverSms(channel: SmsChannel, entry: OutboxEntry, sms: SmsMessage): Promise<void> {
  let req: ReturnType<typeof gatewayRequest>;
  try {
    req = gatewayRequest(channel.request, { to: sms.to, text: sms.text, reference: sms.reference, event: sms.event, id: entry.idempotencyKey });
  } catch (err) {
    // The same every time: not worth a retry.
    throw new Refused(`sms ${channel.id}: the gateway's request cannot be made (${describeError(err)})`, undefined, { cause: err });
  }
  let status: number;
  let retryAfter: string | undefined;
  try {
    const res = await request(req.url, {
      method: req.method as 'POST',
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: AbortSignal.timeout(SMS_TIMEOUT_MS),
    });
    status = res.statusCode;
    const header = res.headers['retry-after'];
    retryAfter = Array.isArray(header) ? header[0] : header;
    await res.body.dump();
  } catch (err) {
    throw new AuthorityError('network', `sms ${channel.id}: no answer from the gateway (${describeError(err)})`, { cause: err });
  }
  if (channel.success_status.some((r) => status >= r.min && status <= r.max)) return;
  const retryAfterMs = parseRetryAfter(retryAfter, Date.now());
  throw new AuthorityError('http', `sms ${channel.id}: the gateway answered HTTP ${status}`, {
    status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
