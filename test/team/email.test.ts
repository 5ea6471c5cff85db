/**
 * E-mail notifications against a real SMTP server (Debian's python3-aiosmtpd, test/helpers/smtp.ts):
 * one bilingual message per event to all recipients, Arabic first and right to left in its HTML,
 * read back from the MIME the server received; STARTTLS required and never skipped, implicit TLS,
 * certificates verified; AUTH with the password from its file, read at each attempt; a 4xx reply,
 * a refused sign-in or a server that is down retried and delivered later under the same
 * Message-ID, a 5xx kept as a dead letter.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { messageIdFor } from '../../agent/team/email-message.js';
import type { TeamEvent } from '../../agent/team/notify.js';
import { harnessPerTest } from '../helpers/chain.js';
import { SMTP_CA, startSmtp, stopAllSmtp, type SmtpOptions, type SmtpServer } from '../helpers/smtp.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/webhook.js';

const harness = harnessPerTest();
afterEach(() => stopAllSmtp());

const AT = Date.parse('2026-11-28T12:30:00+03:00');
const filed: TeamEvent = {
  event: 'report_filed',
  facts: { drafts: false },
  at: AT,
  subject: 'appointments-20261128T090000Z',
  serviceId: 'appointments',
  report: { key: 'appointments-20261128T090000Z', reference: 'DGA-2026-000042', type: 'own_service_outage' },
};
const KEY = `raqib:MOH:notify:mail:report_filed:${filed.subject}:${AT}`;
const FROM = 'raqib@moh.gov.sa';
const TO = ['crisis@moh.gov.sa', 'sara@moh.gov.sa'];
const USER = 'raqib-mailer';
const PASSWORD = 'kl3m-p4ss"word';

async function passwordFile(content = `${PASSWORD}\n`): Promise<string> {
  const file = join(await tempDir('raqib-smtp-'), 'smtp-password');
  await writeFile(file, content, { mode: 0o600 });
  return file;
}

/** A server and a harness whose one email channel points at it. */
async function setup(server: SmtpOptions | SmtpServer, smtp: Record<string, unknown> = {}) {
  const smtpServer = 'received' in server ? server : await startSmtp(server);
  const h = await harness({
    deliver: true,
    notifications: [{ id: 'mail', type: 'email', smtp: { host: '127.0.0.1', port: smtpServer.port, ...smtp }, from: FROM, to: TO }],
  });
  return { h, smtp: smtpServer };
}

const starttlsWithAuth = async () => ({ tls: 'starttls', ca_file: SMTP_CA, user: USER, password_file: await passwordFile() });

describe('what the team receives', () => {
  it('sends one message to every recipient over STARTTLS, signed in with the password from its file', async () => {
    const { h, smtp } = await setup({ tls: 'starttls', auth: { user: USER, password: PASSWORD } }, await starttlsWithAuth());
    await h.notifier.notify(filed);
    const m = await smtp.message(0);
    await until(() => h.entries().length === 0, 10_000, 'the entry to leave the outbox');
    expect(m).toMatchObject({ tls: true, login: USER, mailFrom: FROM, rcptTos: TO });
    expect(smtp.received).toHaveLength(1);
    expect(await h.metric('raqib_notifications_total', { channel: 'mail', result: 'delivered' })).toBe(1);
  });

  it('writes a bilingual subject as an encoded word, Arabic first, with a Message-ID from the idempotency key', async () => {
    const { h, smtp } = await setup({ tls: 'starttls' }, { tls: 'starttls', ca_file: SMTP_CA });
    await h.notifier.notify(filed);
    const m = await smtp.message(0);
    expect(m.raw).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m);
    expect(m.raw).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(m.headers['Subject']).toBe(
      'رقيب: قُدّم البلاغ · \u2068خدمة appointments\u2069 \u2066DGA-2026-000042\u2069 — raqib: Report filed · Service appointments DGA-2026-000042',
    );
    expect(m.headers['Message-ID']).toBe(messageIdFor(KEY, FROM));
    expect(m.headers['Message-ID']).toMatch(/^<[0-9a-f]{32}\.raqib@moh\.gov\.sa>$/);
    expect(m.headers['From']).toBe(`رقيب raqib <${FROM}>`);
    expect(m.headers['To']).toBe(TO.join(', '));
    expect(m.headers['Auto-Submitted']).toBe('auto-generated');
    expect(m.headers['X-Auto-Response-Suppress']).toBe('All');
    expect(new Date(m.headers['Date']!).getTime()).toBe(AT);
  });

  it('has a plain-text part, Arabic then English, and an HTML part right to left for the Arabic, UTF-8 intact', async () => {
    const { h, smtp } = await setup({}, { tls: 'none' });
    await h.notifier.notify(filed);
    const m = await smtp.message(0);
    expect(m.parts.map((p) => [p.content_type, p.charset])).toEqual([
      ['text/plain', 'utf-8'],
      ['text/html', 'utf-8'],
    ]);
    const text = m.parts[0]!.content;
    const arabic = 'قُدّم البلاغ \u2066DGA-2026-000042\u2069 عن الخدمة \u2066appointments\u2069.';
    const english = 'Report DGA-2026-000042 filed for appointments.';
    expect(text.indexOf(arabic)).toBeGreaterThanOrEqual(0);
    expect(text.indexOf(english)).toBeGreaterThan(text.indexOf(arabic));
    expect(text).toContain('الخدمة: \u2068خدمة appointments\u2069 (\u2066appointments\u2069)');
    expect(text).toContain('Report: DGA-2026-000042');
    expect(text).toContain('Time: Sat 28 Nov 2026, 12:30 (Riyadh time)');
    expect(text).toContain('الوقت: السبت ٢٨ نوفمبر ٢٠٢٦، ١٢:٣٠ (بتوقيت الرياض)');
    const html = m.parts[1]!.content;
    expect(html).toMatch(/^<!DOCTYPE html>\r?\n<html lang="ar" dir="rtl">/);
    expect(html).toContain('<div lang="ar" dir="rtl" style="text-align:right">');
    expect(html).toContain('<div lang="en" dir="ltr" style="text-align:left">');
    expect(html.indexOf(arabic)).toBeLessThan(html.indexOf(english));
  });

  it('escapes every value it puts into the HTML', async () => {
    const { h, smtp } = await setup({}, { tls: 'none' });
    const hostile = '<script>alert("x")</script> & \'co\'';
    await h.notifier.notify({ ...filed, event: 'guidance_received', facts: { text: { ar: hostile, en: hostile }, closed: false } });
    const m = await smtp.message(0);
    const html = m.parts[1]!.content;
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;co&#39;');
    expect(m.parts[0]!.content).toContain(hostile);
  });
});

describe('TLS', () => {
  it('speaks TLS from the first byte with tls: implicit', async () => {
    const { h, smtp } = await setup({ tls: 'implicit', auth: { user: USER, password: PASSWORD } }, { ...(await starttlsWithAuth()), tls: 'implicit' });
    await h.notifier.notify(filed);
    expect(await smtp.message(0)).toMatchObject({ tls: true, login: USER });
  });

  it('never sends in the clear when STARTTLS is required and the server does not offer it', async () => {
    const { h, smtp } = await setup({ tls: 'none' }, { tls: 'starttls' });
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.attempts === 1, 10_000, 'a failed attempt');
    expect(h.entries()[0]!.lastError).toMatch(/STARTTLS/i);
    expect(h.entries()[0]!.dead).toBeUndefined();
    expect(smtp.received).toEqual([]);
  });

  it('refuses a certificate it cannot verify, and sends once told to trust it (ca_file) or not to check (insecure)', async () => {
    const smtp = await startSmtp({ tls: 'starttls' });
    const { h } = await setup(smtp, { tls: 'starttls' });
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.attempts === 1, 10_000, 'a failed attempt');
    expect(h.entries()[0]!.lastError).toMatch(/certificate/i);
    expect(smtp.received).toEqual([]);
    h.setConfig({ notifications: [{ id: 'mail', type: 'email', smtp: { host: '127.0.0.1', port: smtp.port, ca_file: SMTP_CA }, from: FROM, to: TO }] });
    await h.clock.advance(1_000);
    await smtp.message(0);
    h.setConfig({ notifications: [{ id: 'mail', type: 'email', smtp: { host: '127.0.0.1', port: smtp.port, insecure: true }, from: FROM, to: TO }] });
    await h.notifier.notify({ ...filed, at: AT + 1 });
    expect(await smtp.message(1)).toMatchObject({ tls: true });
  });
});

describe('nothing lost', () => {
  it('retries a message the server answered 451 and delivers it, under the same Message-ID', async () => {
    const { h, smtp } = await setup({}, { tls: 'none' });
    smtp.answerNext('451 4.3.0 Try again later');
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.attempts === 1, 10_000, 'a failed attempt');
    expect(h.entries()[0]!.lastError).toContain('451 4.3.0 Try again later');
    expect(h.entries()[0]!.dead).toBeUndefined();
    await h.clock.advance(1_000);
    await until(() => smtp.received.length === 2 && h.entries().length === 0, 10_000, 'the second attempt delivered');
    expect(smtp.received[1]!.headers['Message-ID']).toBe(smtp.received[0]!.headers['Message-ID']);
    expect(smtp.received[1]!.parts).toEqual(smtp.received[0]!.parts);
    expect(await h.metric('raqib_notifications_total', { channel: 'mail', result: 'delivered' })).toBe(1);
    expect((await h.metric('raqib_notifications_total', { channel: 'mail', result: 'failed' })) ?? 0).toBe(0);
  });

  it('keeps a message the server refused for good (5xx) as a dead letter, counted, and sends it no more', async () => {
    const { h, smtp } = await setup({}, { tls: 'none' });
    smtp.answerNext('554 5.7.1 Message rejected');
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.dead !== undefined, 10_000, 'a dead letter');
    expect(h.entries()[0]!.dead).toMatchObject({ status: 554 });
    expect(h.entries()[0]!.dead!.reason).toContain('554 5.7.1 Message rejected');
    await h.clock.advance(60_000);
    expect(smtp.received).toHaveLength(1);
    expect(await h.metric('raqib_dead_letters_total', { op: 'notify' })).toBe(1);
    expect(await h.metric('raqib_notifications_total', { channel: 'mail', result: 'failed' })).toBe(1);
  });

  it('retries while the server is down and delivers once it is back', async () => {
    const gone = await startSmtp();
    const port = gone.port;
    await gone.close();
    const h = await harness({
      deliver: true,
      notifications: [{ id: 'mail', type: 'email', smtp: { host: '127.0.0.1', port, tls: 'none' }, from: FROM, to: TO }],
    });
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.attempts === 1, 10_000, 'a failed attempt');
    expect(h.entries()[0]!.lastError).toMatch(/ECONNREFUSED/);
    const back = await startSmtp({ port });
    await h.clock.advance(1_000);
    const m = await back.message(0);
    expect(m.headers['Message-ID']).toBe(messageIdFor(KEY, FROM));
    await until(() => h.entries().length === 0, 10_000, 'the entry to leave the outbox');
  });

  it('retries a refused sign-in, reading the password file again at the next attempt', async () => {
    const file = await passwordFile('an-old-password\n');
    const { h, smtp } = await setup(
      { tls: 'starttls', auth: { user: USER, password: PASSWORD } },
      { tls: 'starttls', ca_file: SMTP_CA, user: USER, password_file: file },
    );
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.attempts === 1, 10_000, 'a failed attempt');
    expect(h.entries()[0]!.lastError).toMatch(/535/);
    expect(h.entries()[0]!.lastError).not.toContain('an-old-password');
    expect(h.entries()[0]!.dead).toBeUndefined();
    await writeFile(file, PASSWORD);
    await h.clock.advance(1_000);
    expect(await smtp.message(0)).toMatchObject({ login: USER });
  });

  it('does not use a password file that group or others may read, and says how to fix it', async () => {
    const file = await passwordFile();
    const { h, smtp } = await setup(
      { tls: 'starttls', auth: { user: USER, password: PASSWORD } },
      { tls: 'starttls', ca_file: SMTP_CA, user: USER, password_file: file },
    );
    await chmod(file, 0o644);
    await h.notifier.notify(filed);
    await until(() => h.entries()[0]?.attempts === 1, 10_000, 'a failed attempt');
    expect(h.entries()[0]!.lastError).toBe(`password file ${file} is open to group or others (mode 0644); make it private: chmod 600 ${file}`);
    expect(smtp.received).toEqual([]);
    const logs = JSON.stringify(h.lines);
    expect(logs).not.toContain(PASSWORD);
  });
});
