/**
 * POST /api/v1/alertmanager: Alertmanager's webhook. The alerts some alert check listens for are
 * merged into the book and made durable before the answer is 200, so an alert Alertmanager was
 * told it delivered survives a crash; any other answer makes Alertmanager send it again. Checks
 * whose alerts started or stopped firing run at once rather than at their next slot.
 */
import type { Logger } from '../log.js';
import type { StateStore } from '../store/types.js';
import type { AlertBook, KeptAlert } from './book.js';
import { readPayload } from './payload.js';

export type DeliveryResult = 'accepted' | 'invalid' | 'unavailable';

export interface ReceiverDeps {
  book: AlertBook;
  store: StateStore;
  log: Logger;
  /** Alerts whose firing or resolved state changed: run the checks they match. */
  moved(alerts: KeptAlert[]): void;
  counted(result: DeliveryResult): void;
}

export type AlertReceiver = (body: unknown) => Promise<{ status: number; data: unknown }>;

export function alertReceiver(deps: ReceiverDeps): AlertReceiver {
  const log = deps.log.child({ module: 'alertmanager' });
  return async (body) => {
    const payload = readPayload(body);
    if (typeof payload === 'string') {
      deps.counted('invalid');
      log.warn({ problem: payload }, 'refused a webhook delivery');
      return { status: 400, data: { error: payload } };
    }
    const { alerts, truncated } = payload;
    if (truncated > 0) log.warn({ truncated }, "Alertmanager left alerts out of a delivery (max_alerts): remove max_alerts from raqib's webhook_config");
    const summary = deps.book.receive(alerts);
    // Also when this delivery changed nothing: an earlier copy's write may still be going, or have
    // failed; the answer is 200 only once everything received is durable.
    if (summary.matched > 0) {
      try {
        await deps.store.flush();
      } catch (err) {
        deps.counted('unavailable');
        log.error({ err }, 'could not make received alerts durable; Alertmanager will send them again');
        return { status: 503, data: { error: 'the state file cannot be written now; send again later' } };
      }
    }
    deps.counted('accepted');
    for (const a of summary.moved) log.info({ alert: a.labels['alertname'], fingerprint: a.fingerprint, status: a.status }, 'alert received');
    if (summary.stale > 0) log.debug({ stale: summary.stale }, 'left out late retries and older episodes');
    deps.moved(summary.moved);
    const { moved, ...counts } = summary;
    return { status: 200, data: { received: alerts.length, ...counts, moved: moved.length } };
  };
}
