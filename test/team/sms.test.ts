/**
 * SMS notifications through an HTTP gateway (a local node:http server): one request per number, in a
 * lane of its own, made from the channel's template with each value escaped for where it stands
 * (JSON, a form, the URL, plain text); the answers success_status names deliver, a 5xx is retried,
 * any other 4xx is a dead letter; the Arabic text fits the channel's segments with the reference.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TeamEvent } from '../../agent/team/notify.js';
import { countSms } from '../../agent/team/sms-text.js';
import { smsText } from '../../agent/team/sms-wording.js';
import { harnessPerTest } from '../helpers/chain.js';
import { startWebhook, until, type Webhook } from '../helpers/webhook.js';

const harness = harnessPerTest();
const gateways: Webhook[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

const AT = Date.parse('2026-11-28T12:30:00+03:00');
const filed: TeamEvent = {
  event: 'report_filed',
  facts: { drafts: false },
  at: AT,
  subject: 'appointments-20261128T090000Z',
  serviceId: 'appointments',
  report: { key: 'appointments-20261128T090000Z', reference: 'DGA-2026-000042', type: 'own_service_outage' },
};
const guidance = (ar: string): TeamEvent => ({ ...filed, event: 'guidance_received', facts: { text: { ar, en: 'call us' }, closed: false }, subject: 'gdn_1' });
const KEY = `raqib:MOH:notify:sms:report_filed:${filed.subject}:${AT}`;
const ONE = '+966500000001';
const TWO = '+966500000002';
/** The service's name in the test config (test/helpers/config.ts). */
const SERVICE_AR = 'خدمة appointments';

async function setup(channel: (url: string) => Record<string, unknown>, statusFor?: Webhook['statusFor']) {
  const gateway = await startWebhook(statusFor);
  gateways.push(gateway);
  const h = await harness({ deliver: true, notifications: [{ id: 'sms', type: 'sms', to: [ONE], ...channel(gateway.url) }] });
  return { h, gateway };
}

const json = (url: string) => ({
  request: {
    url: `${url}/api/sms`,
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer gw-token' },
    body: '{"recipient": "{{to}}", "message": "{{text}}", "reference": "{{reference}}", "client_ref": "{{id}}", "kind": "{{event}}"}',
  },
});

describe('the request', () => {
  it('posts one request per number, with the headers, and the values JSON-escaped into the body', async () => {
    const { h, gateway } = await setup((url) => ({ ...json(url), to: [ONE, TWO] }));
    await h.notifier.notify(filed);
    await until(() => gateway.received.length === 2 && h.entries().length === 0, 10_000, 'both numbers sent');
    const byNumber = Object.fromEntries(gateway.received.map((r) => [r.body.recipient, r]));
    for (const number of [ONE, TWO]) {
      const r = byNumber[number]!;
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/api/sms');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['authorization']).toBe('Bearer gw-token');
      expect(r.body).toEqual({
        recipient: number,
        message: smsText(filed, SERVICE_AR, 2),
        reference: 'DGA-2026-000042',
        client_ref: `${KEY}:${number}`,
        kind: 'report_filed',
      });
    }
    expect(h.logged('queued').map((l) => l['lane'])).toEqual([`notify:sms:${ONE}`, `notify:sms:${TWO}`]);
    expect(await h.metric('raqib_notifications_total', { channel: 'sms', result: 'delivered' })).toBe(2);
  });

  it('keeps quotes, backslashes and line breaks of the text valid JSON', async () => {
    const { h, gateway } = await setup(json);
    const text = 'قال "اتصلوا" \\ ثم\nسطر';
    await h.notifier.notify(guidance(text));
    await until(() => gateway.received.length === 1, 10_000, 'the request');
    expect(gateway.received[0]!.body.message).toContain(text);
  });

  it('form-encodes the values for application/x-www-form-urlencoded', async () => {
    const { h, gateway } = await setup((url) => ({
      request: { url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'to={{to}}&msg={{text}}&ref={{reference}}' },
    }));
    await h.notifier.notify(guidance('أ & ب = ج?'));
    await until(() => gateway.received.length === 1, 10_000, 'the request');
    const form = new URLSearchParams(gateway.received[0]!.body as string);
    expect(form.get('to')).toBe(ONE);
    expect(form.get('msg')).toBe(smsText(guidance('أ & ب = ج?'), SERVICE_AR, 2));
    expect(form.get('ref')).toBe('DGA-2026-000042');
    expect([...form.keys()]).toEqual(['to', 'msg', 'ref']);
  });

  it('percent-encodes the values in the URL of a GET gateway', async () => {
    const { h, gateway } = await setup((url) => ({ request: { method: 'GET', url: `${url}/send?to={{to}}&text={{text}}&key=k1` } }));
    await h.notifier.notify(filed);
    await until(() => gateway.received.length === 1, 10_000, 'the request');
    const r = gateway.received[0]!;
    expect(r.method).toBe('GET');
    const query = new URL(r.path, 'http://x').searchParams;
    expect(query.get('to')).toBe(ONE);
    expect(query.get('text')).toBe(smsText(filed, SERVICE_AR, 2));
    expect(query.get('key')).toBe('k1');
  });

  it('puts the values as they are into a text/plain body', async () => {
    const { h, gateway } = await setup((url) => ({
      request: { url, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: '{{to}}|{{reference}}|{{text}}' },
    }));
    await h.notifier.notify(filed);
    await until(() => gateway.received.length === 1, 10_000, 'the request');
    expect(gateway.received[0]!.body).toBe(`${ONE}|DGA-2026-000042|${smsText(filed, SERVICE_AR, 2)}`);
  });
});

describe('answers', () => {
  it('retries a 503 and delivers the same request when the gateway answers 2xx', async () => {
    const { h, gateway } = await setup(json, (n) => (n === 0 ? 503 : 200));
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.attempts === 1, 10_000, 'a failed attempt');
    expect(h.entries()[0]!.lastError).toBe('sms sms: the gateway answered HTTP 503');
    expect(h.entries()[0]!.dead).toBeUndefined();
    await h.clock.advance(1_000);
    await until(() => gateway.received.length === 2 && h.entries().length === 0, 10_000, 'the retry delivered');
    expect(gateway.received[1]!.body).toEqual(gateway.received[0]!.body);
    expect(await h.metric('raqib_notifications_total', { channel: 'sms', result: 'delivered' })).toBe(1);
  });

  it('keeps a message the gateway refused with 400 as a dead letter, and sends it no more', async () => {
    const { h, gateway } = await setup(json, () => 400);
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.dead !== undefined, 10_000, 'a dead letter');
    expect(h.entries()[0]!.dead).toMatchObject({ status: 400, reason: 'sms sms: the gateway answered HTTP 400' });
    await h.clock.advance(60_000);
    expect(gateway.received).toHaveLength(1);
    expect(await h.metric('raqib_dead_letters_total', { op: 'notify' })).toBe(1);
    expect(await h.metric('raqib_notifications_total', { channel: 'sms', result: 'failed' })).toBe(1);
  });

  it('counts only the codes of success_status as delivered', async () => {
    const { h, gateway } = await setup(
      (url) => ({ ...json(url), success_status: [201], to: [ONE, TWO] }),
      (_n, r) => (r.body.recipient === ONE ? 201 : 200),
    );
    await h.notifier.notify(filed);
    await until(() => gateway.received.length === 2 && h.entries().length === 1 && h.entries()[0]!.dead !== undefined, 10_000, 'one delivered, one refused');
    expect(h.entries()[0]).toMatchObject({ lane: `notify:sms:${TWO}`, dead: { status: 200 } });
  });

  it('sends each number in its own lane: a number the gateway keeps refusing does not hold up the others', async () => {
    const { h, gateway } = await setup(
      (url) => ({ ...json(url), to: [ONE, TWO] }),
      (_n, r) => (r.body.recipient === ONE ? 503 : 200),
    );
    await h.notifier.notify(filed);
    await h.notifier.notify({ ...filed, at: AT + 1 });
    await until(() => gateway.received.filter((r) => r.body.recipient === TWO).length === 2, 10_000, 'both messages to the second number');
    expect(h.entries().every((e) => e.lane === `notify:sms:${ONE}`)).toBe(true);
  });
});

describe('config changes', () => {
  it('drops a queued SMS whose number left the channel, and still sends to the others', async () => {
    const { h, gateway } = await setup(
      (url) => ({ ...json(url), to: [ONE, TWO] }),
      (n) => (n < 2 ? 503 : 200),
    );
    await h.notifier.notify(filed);
    await until(() => h.entries().every((e) => e.attempts === 1), 10_000, 'both attempts failed');
    h.setConfig({ notifications: [{ id: 'sms', type: 'sms', to: [TWO], ...json(gateway.url) }] });
    await h.clock.advance(1_000);
    await until(() => h.entries().length === 0, 10_000, 'the outbox emptied');
    expect(gateway.received.slice(2).map((r) => r.body.recipient)).toEqual([TWO]);
    expect(h.logged('number no longer in its SMS channel; dropping its queued message')).toHaveLength(1);
  });
});

describe('segments', () => {
  it.each([1, 2])('cuts long Arabic to max_segments %i, keeping the reference whole', async (max) => {
    const { h, gateway } = await setup((url) => ({ ...json(url), max_segments: max }));
    await h.notifier.notify(guidance('فعّلوا خطة التعافي من الكوارث '.repeat(20)));
    await until(() => gateway.received.length === 1, 10_000, 'the request');
    const message = gateway.received[0]!.body.message as string;
    expect(countSms(message)).toMatchObject({ encoding: 'ucs2', segments: max });
    expect(message.startsWith(`رقيب: إرشادات من الهيئة بشأن \u2068خدمة`)).toBe(true);
    expect(message.endsWith('… البلاغ \u2066DGA-2026-000042\u2069')).toBe(true);
  });
});
