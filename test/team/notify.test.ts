/**
 * Team notifications: logged always, queued through the durable outbox for every channel that
 * subscribes to the event, delivered to a local webhook in json, slack or teams form with the
 * configured headers; a 5xx is retried, a 4xx becomes a dead letter.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TeamEvent } from '../../agent/team/notify.js';
import { reportingHarness } from '../helpers/chain.js';
import { startWebhook, until, type Webhook } from '../helpers/webhook.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(channels: (url: string) => Record<string, unknown>[], statusFor?: (n: number) => number) {
  const hook: Webhook = await startWebhook(statusFor);
  cleanup.push(() => hook.close());
  const h = await reportingHarness({ notifications: channels(hook.url), deliver: true });
  cleanup.push(() => h.close());
  return { h, hook };
}

const AT = Date.parse('2026-11-28T12:30:00+03:00');
const filed: TeamEvent = {
  event: 'report_filed',
  facts: { drafts: false },
  at: AT,
  subject: 'appointments-20261128T090000Z',
  serviceId: 'appointments',
  report: { key: 'appointments-20261128T090000Z', reference: 'DGA-2026-000042', type: 'own_service_outage' },
};
const filedText = { en: 'Report DGA-2026-000042 filed for appointments.', ar: 'قُدّم البلاغ \u2066DGA-2026-000042\u2069 عن الخدمة \u2066appointments\u2069.' };
const guidance: TeamEvent = {
  ...filed,
  event: 'guidance_received',
  facts: { text: { en: 'call us', ar: 'اتصلوا بنا' }, closed: false },
  subject: 'appointments-20261128T090000Z:gdn_1',
};

describe('webhook delivery', () => {
  it("posts raqib's JSON event with the configured headers and an idempotency key", async () => {
    const { h, hook } = await setup((url) => [
      { id: 'ops', type: 'webhook', url: `${url}/hooks/ops`, headers: { 'x-api-key': 's3cret-value', authorization: 'Bearer abc' } },
    ]);
    await h.notifier.notify(filed);
    await until(() => hook.received.length === 1 && h.entries().length === 0);
    const got = hook.received[0]!;
    expect(got.path).toBe('/hooks/ops');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-api-key']).toBe('s3cret-value');
    expect(got.headers['authorization']).toBe('Bearer abc');
    expect(got.headers['idempotency-key']).toBe(`raqib:MOH:notify:ops:report_filed:${filed.subject}:${AT}`);
    expect(got.body).toEqual({
      source: 'raqib',
      event: 'report_filed',
      at: '2026-11-28T09:30:00.000Z',
      entity: 'MOH',
      agent: 'test-agent',
      service: 'appointments',
      report: filed.report,
      message: filedText,
    });
    expect(await h.metric('raqib_notifications_total', { channel: 'ops', result: 'delivered' })).toBe(1);
  });

  it.each(['slack', 'teams'])('posts {"text": …} with both languages for a %s incoming webhook', async (format) => {
    const { h, hook } = await setup((url) => [{ id: 'chat', type: 'webhook', url: `${url}/chat`, format }]);
    await h.notifier.notify(filed);
    await until(() => hook.received.length === 1);
    expect(hook.received[0]!.body).toEqual({ text: `raqib (MOH, test-agent) [DGA-2026-000042]: ${filedText.en}\n${filedText.ar}` });
  });

  it('retries a webhook that answered 500 and delivers it once it answers 2xx', async () => {
    const { h, hook } = await setup(
      (url) => [{ id: 'ops', type: 'webhook', url }],
      (n) => (n === 0 ? 500 : 204),
    );
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.attempts === 1);
    const entry = h.entries()[0]!;
    expect(entry.lastError).toContain('HTTP 500');
    expect(entry.dead).toBeUndefined();
    expect(hook.received).toHaveLength(1);
    await h.clock.advance(1_000);
    await until(() => hook.received.length === 2 && h.entries().length === 0);
    expect(hook.received[1]!.headers['idempotency-key']).toBe(hook.received[0]!.headers['idempotency-key']);
    expect(hook.received[1]!.body).toEqual(hook.received[0]!.body);
    expect(await h.metric('raqib_notifications_total', { channel: 'ops', result: 'delivered' })).toBe(1);
  });

  it('keeps a notification the webhook refused with 400 as a dead letter and stops sending it', async () => {
    const { h, hook } = await setup(
      (url) => [{ id: 'ops', type: 'webhook', url }],
      () => 400,
    );
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.dead !== undefined);
    expect(h.entries()[0]!.dead).toMatchObject({ status: 400 });
    await h.clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 30));
    expect(hook.received).toHaveLength(1);
    expect(h.chain.notifications.dead()).toHaveLength(1);
    expect(await h.metric('raqib_dead_letters_total', { op: 'notify' })).toBe(1);
    expect(await h.metric('raqib_notifications_total', { channel: 'ops', result: 'failed' })).toBe(1);
    expect(h.notifications()).toHaveLength(1); // a refused notification does not notify about itself
  });
});

describe('subscriptions and logging', () => {
  it('sends an event only to the channels that subscribe to it', async () => {
    const { h, hook } = await setup((url) => [
      { id: 'guidance-only', type: 'webhook', url: `${url}/g`, events: ['guidance_received'] },
      { id: 'everything', type: 'webhook', url: `${url}/all` },
    ]);
    await h.notifier.notify(filed);
    await h.notifier.notify(guidance);
    await until(() => hook.received.length === 3 && h.entries().length === 0);
    await new Promise((r) => setTimeout(r, 30));
    const byPath = (p: string) => hook.received.filter((r) => r.path === p).map((r) => r.body.event);
    expect(byPath('/g')).toEqual(['guidance_received']);
    expect(byPath('/all').sort()).toEqual(['guidance_received', 'report_filed']);
  });

  it('logs every event, also when no channel wants it, warning for those that need a person', async () => {
    const { h, hook } = await setup((url) => [{ id: 'guidance-only', type: 'webhook', url, events: ['guidance_received'] }]);
    await h.notifier.notify(filed);
    await h.notifier.notify({ ...filed, event: 'report_failed', facts: { why: 'refused', what: 'report', reason: 'not in the catalogue' } });
    await h.notifier.notify({ ...filed, event: 'not_acknowledged', facts: { minutes: 31 } });
    const logged = h.logged('team notified');
    expect(logged.map((l) => [l['event'], l['level'], l['text']])).toEqual([
      ['report_filed', 'info', filedText.en],
      ['report_failed', 'warn', 'The authority refused the report for appointments: not in the catalogue. It will not be retried; file it by hand.'],
      ['not_acknowledged', 'warn', 'Report DGA-2026-000042 is not acknowledged by the authority after 31 min; call the authority.'],
    ]);
    expect(logged[0]).toMatchObject({ module: 'notify', service: 'appointments', report: 'DGA-2026-000042' });
    expect(h.entries()).toEqual([]);
    expect(hook.received).toEqual([]);
  });

  it('drops a queued notification whose channel was removed from the config', async () => {
    const { h, hook } = await setup(
      (url) => [{ id: 'ops', type: 'webhook', url }],
      () => 503,
    );
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.attempts === 1);
    h.setConfig({ notifications: [] });
    await h.clock.advance(1_000);
    await until(() => h.entries().length === 0);
    expect(hook.received).toHaveLength(1);
    expect(h.logged('notification channel no longer configured; dropping its queued message')).toHaveLength(1);
  });
});
