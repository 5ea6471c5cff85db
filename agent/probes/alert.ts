/**
 * The `alert` check: no network, it reads what Alertmanager has sent (alerts/book.ts). DOWN while
 * an alert matching the check's matchers fires; UP when none does, also when the last one expired
 * (not sent again for `expire_after`), which the detail says. While the watchdog alert is not
 * heard, ALERT_SOURCE_SILENT: the monitor does not count it, and the check keeps its state.
 */
import { systemClock } from '../clock.js';
import { compileMatchers } from '../alerts/matchers.js';
import type { KeptAlert } from '../alerts/book.js';
import type { AlertCheckConfig } from '../config/schema.js';
import { CODES } from './codes.js';
import type { ProbeFn } from './types.js';

export const alertProbe: ProbeFn<AlertCheckConfig> = (check, ctx) => {
  const t0 = performance.now();
  const now = (ctx.clock ?? systemClock).now();
  const done = (status: 'up' | 'degraded' | 'down', code: string, detail: string) =>
    Promise.resolve({ status, code, detail, observedAt: now, phases: { total: performance.now() - t0 } });
  if (!ctx.alerts) {
    return done(
      'degraded',
      CODES.ALERT_NO_SOURCE,
      'alert checks read what Alertmanager sends to the running agent (POST /api/v1/alertmanager); nothing to read here',
    );
  }
  if (!ctx.alerts.heard(now)) {
    return done('degraded', CODES.ALERT_SOURCE_SILENT, 'the watchdog alert (agent.alertmanager.watchdog) is not heard: no verdict until it is');
  }
  const matchers = compileMatchers(check.matchers);
  const { firing, expired } = ctx.alerts.firing(matchers, check.expire_after, now);
  if (firing.length > 0) {
    const first = firing.reduce((a, b) => (b.startsAt < a.startsAt ? b : a));
    const more = firing.length > 1 ? ` (and ${firing.length - 1} more)` : '';
    return done('down', CODES.ALERT_FIRING, `${describe(first)} firing since ${new Date(first.startsAt).toISOString()}${more}`);
  }
  if (expired.length > 0) {
    const last = expired.reduce((a, b) => (b.receivedAt > a.receivedAt ? b : a));
    return done('up', CODES.OK, `no matching alert firing; ${describe(last)} expired: not sent again since ${new Date(last.receivedAt).toISOString()}`);
  }
  return done('up', CODES.OK, 'no matching alert firing');
};

/** alertname, instance and summary: what a person recognizes an alert by. */
function describe(a: KeptAlert): string {
  const name = a.labels['alertname'] ?? '(no alertname)';
  const instance = a.labels['instance'] ? ` ${a.labels['instance']}` : '';
  const summary = a.annotations['summary'] ? `: ${a.annotations['summary']}` : '';
  return `${name}${instance}${summary}`.slice(0, 300);
}
