/**
 * The notification channels of the config: webhook, email and sms told apart by `type`, with their
 * documented defaults (an SMTP port that follows tls, STARTTLS required, two SMS segments, 2xx), and
 * the rules that look across fields or at the password file. The rejections with their exact lines
 * are fixtures in load.test.ts; these are the ones a fixture cannot hold (a file made private).
 */
import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.js';
import { ConfigError, formatProblem } from '../../agent/errors.js';
import { configYaml } from '../helpers/config.js';
import { tempDir } from '../helpers/tmp.js';

const SERVICE = { id: 'portal', checks: [{ id: 'home', type: 'http', url: 'https://portal.moh.gov.sa/' }] };
const load = (notifications: unknown[]) => parseConfig(configYaml([SERVICE], {}, { notifications }), 'raqib.yaml').config.notifications;
const problems = (notifications: unknown[]): string[] => {
  try {
    load(notifications);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => formatProblem(p).replace(/^raqib\.yaml:\d+:\d+: /, ''));
    throw err;
  }
  return [];
};

async function privateFile(mode = 0o600): Promise<string> {
  const file = join(await tempDir('raqib-config-'), 'smtp-password');
  await writeFile(file, 's3cret\n', { mode });
  return file;
}

const email = (smtp: Record<string, unknown>) => ({
  id: 'mail',
  type: 'email',
  smtp: { host: 'smtp.moh.gov.sa', ...smtp },
  from: 'raqib@moh.gov.sa',
  to: ['crisis@moh.gov.sa'],
});
const sms = (request: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ id: 'sms', type: 'sms', request, to: ['+966500000001'], ...extra });

describe('email channels', () => {
  it.each([
    ['starttls', 587],
    ['implicit', 465],
    ['none', 25],
  ])('takes port %s → %i by default; STARTTLS and verified certificates unless told otherwise', (tls, port) => {
    expect(load([email({ tls })])[0]).toMatchObject({ type: 'email', smtp: { host: 'smtp.moh.gov.sa', tls, port, insecure: false } });
  });

  it('defaults to STARTTLS on port 587, every event, and keeps a port that is written', async () => {
    const file = await privateFile();
    const [channel] = load([email({ port: 2525, user: 'raqib', password_file: file })]);
    expect(channel).toEqual({
      id: 'mail',
      type: 'email',
      smtp: { host: 'smtp.moh.gov.sa', port: 2525, tls: 'starttls', user: 'raqib', password_file: file, insecure: false },
      from: 'raqib@moh.gov.sa',
      to: ['crisis@moh.gov.sa'],
      events: expect.arrayContaining(['report_filed', 'guidance_received']) as unknown,
    });
  });

  it('accepts a password file readable by its owner only (0600 or 0400)', async () => {
    expect(problems([email({ user: 'raqib', password_file: await privateFile(0o400) })])).toEqual([]);
  });

  it("accepts group read for the agent's own group, as Kubernetes mounts a secret under fsGroup (0440)", async () => {
    const file = await privateFile(0o440);
    await chown(file, process.getuid!(), process.getgid!());
    expect(problems([email({ user: 'raqib', password_file: file })])).toEqual([]);
  });

  it('refuses a password file another group may read, and a password sent without TLS', async () => {
    const file = await privateFile(0o640);
    await chown(file, process.getuid!(), process.getgid!() + 4321); // a group the agent is not in
    expect(problems([email({ tls: 'none', user: 'raqib', password_file: file })])).toEqual([
      `notifications[0].smtp.tls: tls none would send the password in the clear; use starttls (port 587) or implicit (port 465)`,
      `notifications[0].smtp.password_file: password file ${file} is open to group or others (mode 0640); make it private: chmod 600 ${file}`,
    ]);
  });

  it('refuses a password file without the user to sign in as', async () => {
    expect(problems([email({ password_file: await privateFile() })])).toEqual([
      'notifications[0].smtp.password_file: password_file needs user, the name to sign in as',
    ]);
  });
});

describe('sms channels', () => {
  it('posts by default, counts 2xx as delivered, and allows two segments', () => {
    expect(load([sms({ url: 'https://sms.example.sa/send?to={{to}}&text={{text}}' })])[0]).toMatchObject({
      request: { method: 'POST', headers: {} },
      success_status: [{ min: 200, max: 299 }],
      max_segments: 2,
    });
  });

  it('refuses {{text}} in a header, which carries Latin-1 only', () => {
    expect(problems([sms({ url: 'https://sms.example.sa/send', headers: { 'X-Text': '{{ text }}' } })])).toEqual([
      'notifications[0].request.headers.X-Text: a header carries Latin-1 only, and {{text}} is Arabic: put {{text}} in the body or the url',
    ]);
  });

  it('reads placeholders with spaces inside the braces', () => {
    expect(problems([sms({ url: 'https://sms.example.sa/send?to={{ to }}', headers: { 'X-Ref': '{{ id }}' } })])).toEqual([]);
  });

  it('refuses a number twice in one channel, a GET with a body, and a header with an unknown placeholder', () => {
    expect(
      problems([
        sms({ method: 'GET', url: 'https://sms.example.sa/', headers: { 'X-Ref': '{{ref}}' }, body: 'x' }, { to: ['+966500000001', '+966500000001'] }),
      ]),
    ).toEqual(['notifications[0].request.headers.X-Ref: unknown placeholder {{ref}}; use {{to}}, {{text}}, {{reference}}, {{event}}, {{id}}']);
    expect(problems([sms({ method: 'GET', url: 'https://sms.example.sa/', body: 'x' }, { to: ['+966500000001', '+966500000001'] })])).toEqual([
      'notifications[0].request.body: a GET request has no body; use POST or PUT, or put the placeholders in the url',
      'notifications[0].to[1]: duplicate number +966500000001 (first at to[0])',
    ]);
  });

  it('takes a JSON body whose placeholders are quoted, under a JSON media type with parameters', () => {
    const body = '{"to": ["{{to}}"], "text": "{{text}}", "ref": "{{reference}}"}';
    expect(problems([sms({ url: 'https://sms.example.sa/', headers: { 'content-type': 'application/json; charset=utf-8' }, body })])).toEqual([]);
  });
});

describe('webhook channels', () => {
  it('keep their shape and defaults', () => {
    expect(load([{ id: 'ops', type: 'webhook', url: 'https://hooks.example.sa/x' }])[0]).toMatchObject({ type: 'webhook', format: 'json', headers: {} });
  });
});
