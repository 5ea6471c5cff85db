/**
 * Team notifications end to end: the built agent as a child process tells the crisis team of an
 * outage by e-mail (a real SMTP server, Debian's python3-aiosmtpd) and SMS (a local HTTP gateway).
 * The agent is killed with SIGKILL after the SMTP server has the whole message and before the agent
 * learns so (the server holds its answer): the restarted agent sends it again under the same
 * Message-ID, which is all SMTP lets a client promise, and the outbox then lets it go.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateData } from '../../agent/store/types.js';
import { eventually, sample, startAgent, stopAllAgents } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { ALTERNATE, MANAGER } from '../helpers/reporting.js';
import { SMTP_CA, startSmtp, stopAllSmtp } from '../helpers/smtp.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { tempDir } from '../helpers/tmp.js';
import { startWebhook, type Webhook } from '../helpers/webhook.js';

const targets: SwitchTarget[] = [];
const gateways: Webhook[] = [];
afterEach(async () => {
  await stopAllAgents();
  await stopAllSmtp();
  await Promise.all([...targets.splice(0), ...gateways.splice(0)].map((t) => t.close()));
});

const USER = 'raqib-mailer';
const PASSWORD = 'e2e-smtp-password';

/** An agent config in a fresh directory: one service on `target`, drafts mode, the given channels. */
async function agentDir(target: SwitchTarget, notifications: unknown[]) {
  const dir = await tempDir('raqib-e2e-notify-');
  await writeFile(join(dir, 'smtp-password'), `${PASSWORD}\n`, { mode: 0o600 });
  const yaml = configYaml(
    [{ id: 'appointments', name: { ar: 'خدمة المواعيد', en: 'Appointments' }, checks: [{ id: 'portal', type: 'http', url: target.url }] }],
    { data_dir: './data' },
    {
      defaults: { interval: '500ms', timeout: '400ms', retry_interval: '200ms', failure_threshold: 2, success_threshold: 2 },
      authority: { mode: 'drafts', retry_max_delay: '1s' },
      crisis_team: { members: [MANAGER, ALTERNATE] },
      notifications,
    },
  );
  return { dir, start: () => startAgent(yaml, { dir }) };
}

const state = async (dir: string) => JSON.parse(await readFile(join(dir, 'data', 'state.json'), 'utf8')) as StateData;

describe('the crisis team is told of an outage', () => {
  it('by e-mail, sent again after a crash under the same Message-ID, and by SMS', async () => {
    const smtp = await startSmtp({ tls: 'starttls', auth: { user: USER, password: PASSWORD } });
    const gateway = await startWebhook(() => 200);
    gateways.push(gateway);
    const target = await startSwitchTarget(true);
    targets.push(target);
    const t = await agentDir(target, [
      {
        id: 'crisis-mail',
        type: 'email',
        smtp: { host: '127.0.0.1', port: smtp.port, tls: 'starttls', ca_file: SMTP_CA, user: USER, password_file: 'smtp-password' },
        from: 'raqib@moh.gov.sa',
        to: ['crisis@moh.gov.sa'],
        events: ['incident_opened'],
      },
      {
        id: 'oncall-sms',
        type: 'sms',
        request: { url: `${gateway.url}/send`, headers: { 'Content-Type': 'application/json' }, body: '{"to": "{{to}}", "text": "{{text}}", "ref": "{{id}}"}' },
        to: ['+966500000001'],
        events: ['incident_opened'],
      },
    ]);
    smtp.holdNext();
    const agent = await t.start();
    target.set(false);

    const first = await smtp.message(0, 20_000);
    agent.child.kill('SIGKILL');
    await agent.exited;
    expect(first).toMatchObject({ tls: true, login: USER, rcptTos: ['crisis@moh.gov.sa'] });
    expect(first.headers['Subject']).toBe('رقيب: انقطاع مؤكد · خدمة المواعيد — raqib: Outage confirmed · Appointments');
    const queued = (await state(t.dir)).outbox.filter((e) => e.channel === 'crisis-mail');
    expect(queued).toHaveLength(1);

    const again = await t.start();
    const second = await smtp.message(1, 20_000);
    expect(second.headers['Message-ID']).toBe(first.headers['Message-ID']);
    expect(second.parts).toEqual(first.parts);
    await eventually(async () => sample(await again.metrics(), 'raqib_notifications_total', { channel: 'crisis-mail', result: 'delivered' }) === 1);
    await eventually(async () => (await state(t.dir)).outbox.length === 0);
    expect(smtp.received).toHaveLength(2);
    // The password went to the server and nowhere else.
    expect(JSON.stringify([agent.logs, again.logs, agent.stderr(), again.stderr()])).not.toContain(PASSWORD);
    expect(await readFile(join(t.dir, 'data', 'state.json'), 'utf8')).not.toContain(PASSWORD);

    const sms = gateway.received.map((r) => r.body as { to: string; text: string; ref: string });
    expect(sms.length).toBeGreaterThanOrEqual(1);
    expect(new Set(sms.map((s) => s.ref)).size).toBe(1); // a resend, if any, carries the same client reference
    expect(sms[0]!).toMatchObject({ to: '+966500000001', text: 'رقيب: تأكّد انقطاع خدمة المواعيد (انقطاع كلي).' });
  });
});
