/**
 * ReportSender: bodies are built at the first attempt, made durable in the entry, then sent; a
 * retry sends the very same body; an entry that cannot go yet (no sign-in, a signed-in person who
 * may not file, no registered team, no authority id for its report) is NotReady and stays unbuilt.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { finalReportBody, reportBody, updateBody, type FinalReportBody, type ReportBody, type UpdateBody } from '../../agent/authority/contract.js';
import { AuthorityError } from '../../agent/authority/errors.js';
import { HOLD_MS, NotReady } from '../../agent/outbox/outbox.js';
import type { OutboxEntry } from '../../agent/outbox/types.js';
import { ALTERNATE, MANAGER } from '../helpers/reporting.js';
import { until } from '../helpers/webhook.js';
import { FakeAuthority, HOUR, MEMBER, MINUTE, reportingHarness, SERVICE, type Harness, type HarnessOptions } from '../helpers/chain.js';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

const TEAM_ID = 'team_k3x9q2m7a4bc';

/** The chain's own ReportSender, to a FakeAuthority; its outboxes deliver only when `outbox` is set. */
async function setup(options: HarnessOptions & { outbox?: boolean; team?: boolean } = {}) {
  const api = new FakeAuthority();
  const who = { subject: MANAGER.email as string | undefined };
  const h = await reportingHarness({ ...options, api, subject: () => who.subject, deliver: options.outbox ?? false });
  open.push(h);
  if (options.team !== false) h.team(TEAM_ID);
  return { h, api, sender: h.chain.sender, who };
}

async function notReady(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NotReady) return err.message;
    throw err;
  }
  throw new Error('expected NotReady');
}

describe('building the body', () => {
  it('builds it at the first attempt and makes it durable in the entry before sending it', async () => {
    const { h, api, sender } = await setup();
    await h.down();
    const entry = h.reportEntries()[0]!;
    expect(entry.body).toBeNull();
    let onDisk: unknown;
    api.onCall = async () => {
      const state = JSON.parse(await readFile(join(h.dir, 'state.json'), 'utf8'));
      onDisk = state.outbox.find((e: OutboxEntry) => e.seq === entry.seq)?.body;
    };
    const answer = await sender.send(entry);
    expect(answer).toMatchObject({ id: 'rpt_fake00000001', reference: 'DGA-2026-000001' });
    const sent = api.calls[0]!;
    expect(sent).toMatchObject({ op: 'create_report', key: `raqib:MOH:${h.incident().id}:report` });
    expect(onDisk).toEqual(sent.body);
    expect(entry.body).toEqual(sent.body);
    const body = reportBody.parse(sent.body);
    expect(body).toMatchObject({ type: 'own_service_outage', cause: 'incident', impact: 'total', service: { id: 'appointments' } });
    expect(body.submitted_by).toEqual({ name: MANAGER.name, role: 'manager', email: MANAGER.email, crisis_team_id: TEAM_ID });
  });

  it('sends the identical body on a retry, though the incident and the clock changed since', async () => {
    const { h, api, sender } = await setup();
    await h.down('total');
    const entry = h.reportEntries()[0]!;
    api.failNext = new AuthorityError('network', 'connection reset');
    await expect(sender.send(entry)).rejects.toThrow('connection reset');
    const first = JSON.stringify(api.calls[0]!.body);
    h.clock.jump(20 * MINUTE);
    await h.still('partial');
    await sender.send(entry);
    expect(api.calls).toHaveLength(2);
    expect(JSON.stringify(api.calls[1]!.body)).toBe(first);
    expect(api.calls[1]!.key).toBe(api.calls[0]!.key);
  });

  it('rewords the report in the name of whoever signed in since, after asking the authority it did not file it already', async () => {
    const { h, api, sender, who } = await setup();
    await h.down('total');
    const entry = h.reportEntries()[0]!;
    api.failNext = new AuthorityError('network', 'connection reset');
    await expect(sender.send(entry)).rejects.toThrow('connection reset');
    who.subject = ALTERNATE.email;
    await sender.send(entry);
    expect(api.calls.map((c) => c.op)).toEqual(['create_report', 'find_report', 'create_report']);
    expect(api.calls[2]!.key).toBe(api.calls[0]!.key);
    expect((api.calls[2]!.body as { submitted_by: { email: string } }).submitted_by.email).toBe(ALTERNATE.email);
  });

  it('sends the identical body when the outbox retries a failed attempt', async () => {
    const { h, api } = await setup({ outbox: true });
    api.failNext = new AuthorityError('http', 'HTTP 503', { status: 503 });
    await h.down();
    await until(() => api.calls.length === 1);
    await until(() => h.reportEntries()[0]?.attempts === 1);
    h.clock.jump(MINUTE); // the world moves on before the retry
    await h.clock.advance(1_000);
    await until(() => api.calls.length === 2 && h.reportEntries().length === 0);
    expect(api.calls[1]!.body).toEqual(api.calls[0]!.body);
    expect(h.record(h.incident().id)).toMatchObject({ reportId: 'rpt_fake00000001', reference: 'DGA-2026-000001', status: 'submitted' });
  });

  it('files in the name of the alternate when the alternate signed in (email matched in any case)', async () => {
    const { h, api, sender, who } = await setup();
    who.subject = ALTERNATE.email.toUpperCase();
    await h.down();
    await sender.send(h.reportEntries()[0]!);
    expect((api.calls[0]!.body as ReportBody).submitted_by).toEqual({
      name: ALTERNATE.name,
      role: 'alternate',
      email: ALTERNATE.email,
      crisis_team_id: TEAM_ID,
    });
  });

  it('builds contract-valid bodies for every step of an outage', async () => {
    const { h, api, sender } = await setup();
    await h.down('total');
    const id = h.incident().id;
    await sender.send(h.reportEntries()[0]!);
    h.filed(id, 'rpt_fake00000001', 'DGA-2026-000001');
    await h.still('partial');
    await h.tickAt(30 * MINUTE);
    await h.up();
    await h.tickAt(24 * HOUR);
    await h.filing.finalize(id, { taken: 'Restarted the database' });
    for (const e of h.reportEntries()) await sender.send(e);
    const byKey = new Map(api.calls.map((c) => [c.key!.slice(`raqib:MOH:${id}`.length), c]));
    expect([...byKey.keys()]).toEqual([':report', ':update:1', ':update:2', ':restored', ':final:1', ':final:2']);
    for (const k of [':update:1', ':update:2', ':restored']) expect(() => updateBody.parse(byKey.get(k)!.body)).not.toThrow();
    expect(byKey.get(':update:1')!.body as UpdateBody).toMatchObject({ status: 'ongoing', impact: 'partial' });
    expect((byKey.get(':restored')!.body as UpdateBody).status).toBe('restored');
    expect((byKey.get(':restored')!.body as UpdateBody).ended_at).toBeDefined();
    const pending = finalReportBody.parse(byKey.get(':final:1')!.body);
    const complete = finalReportBody.parse(byKey.get(':final:2')!.body);
    expect(pending.actions_pending).toBe(true);
    expect(complete).toMatchObject({ actions_pending: false, actions_taken: { en: 'Restarted the database' } });
    expect(complete.actions_taken.ar).toContain('Restarted the database');
    expect(api.calls.filter((c) => c.op !== 'create_report').every((c) => c.reportId === 'rpt_fake00000001')).toBe(true);
  });
});

describe('not ready yet', () => {
  it('holds while nobody is signed in, and leaves the body unbuilt', async () => {
    const { h, api, sender, who } = await setup();
    who.subject = undefined;
    await h.down();
    const entry = h.reportEntries()[0]!;
    expect(await notReady(sender.send(entry))).toMatch(/not signed in/);
    expect(entry.body).toBeNull();
    expect(api.calls).toEqual([]);
  });

  it.each([
    ['a team member who is neither manager nor alternate', MEMBER.email],
    ['someone outside the team', 'someone@nic.example.sa'],
  ])('holds while the signed-in person is %s', async (_what, email) => {
    const { h, api, sender, who } = await setup();
    who.subject = email;
    await h.down();
    const entry = h.reportEntries()[0]!;
    expect(await notReady(sender.send(entry))).toContain(`signed in as ${email}`);
    expect(entry.body).toBeNull();
    expect(api.calls).toEqual([]);
  });

  it('holds while the crisis team is not registered', async () => {
    const { h, api, sender } = await setup({ team: false });
    await h.down();
    const entry = h.reportEntries()[0]!;
    expect(await notReady(sender.send(entry))).toMatch(/crisis team is not registered/);
    expect(entry.body).toBeNull();
    expect(api.calls).toEqual([]);
  });

  it('holds an update whose report has no authority id yet, then sends it to that report once filed', async () => {
    const { h, api, sender } = await setup();
    await h.down('total');
    const id = h.incident().id;
    await h.still('partial');
    const update = h.reportEntries()[1]!;
    expect(update.op).toBe('add_update');
    expect(await notReady(sender.send(update))).toMatch(/report itself to be filed/);
    expect(update.body).toBeNull();
    expect(api.calls).toEqual([]);
    h.filed(id, 'rpt_abc123');
    await sender.send(update);
    expect(api.calls[0]).toMatchObject({ op: 'add_update', reportId: 'rpt_abc123', key: `raqib:MOH:${id}:update:1` });
  });

  it('makes the outbox hold the entry without counting an attempt', async () => {
    const { h, api, who } = await setup({ outbox: true });
    who.subject = undefined;
    await h.down();
    await until(() => h.reportEntries()[0]?.lastError !== undefined);
    const entry = h.reportEntries()[0]!;
    expect(entry).toMatchObject({ attempts: 0, body: null, nextAttemptAt: h.clock.now() + HOLD_MS });
    expect(entry.dead).toBeUndefined();
    who.subject = MANAGER.email;
    h.outbox.nudge();
    await until(() => api.calls.length === 1 && h.reportEntries().length === 0);
  });
});

describe('maintenance bodies', () => {
  const window = { id: 'upgrade', start: '2026-11-28T15:00:00+03:00', end: '2026-11-28T17:00:00+03:00', notify_authority: true };
  const START = Date.parse(window.start);
  const END = Date.parse(window.end);
  const KEY = `maintenance:appointments:upgrade:${new Date(START).toISOString()}`;

  async function run(overrunMinutes: number) {
    const { h, api, sender } = await setup({ services: [{ ...SERVICE, maintenance: [window] }] });
    await h.tickAt(START - HOUR - h.clock.now());
    await sender.send(h.reportEntries()[0]!);
    h.filed(KEY, 'rpt_maint0000001', 'DGA-2026-000007');
    await h.tickAt(START - h.clock.now());
    if (overrunMinutes > 0) {
      h.clock.jump(10 * MINUTE);
      await h.down();
      await h.tickAt(END - h.clock.now());
      h.clock.jump(overrunMinutes * MINUTE);
      await h.up();
    } else {
      h.clock.jump(END - h.clock.now());
    }
    await h.filing.tick();
    for (const e of h.reportEntries().filter((x) => x.reportKey === KEY)) await sender.send(e);
    const sent = (suffix: string) => api.calls.find((c) => c.key === `raqib:MOH:${KEY}${suffix}`)!.body;
    return { h, sent };
  }

  it('files a valid notice, in_progress, completed and final report for a window that ends on time', async () => {
    const { sent } = await run(0);
    const notice = reportBody.parse(sent(':report'));
    expect(notice).toMatchObject({
      type: 'scheduled_maintenance',
      cause: 'planned',
      started_at: '2026-11-28T15:00:00+03:00',
      expected_end_at: '2026-11-28T17:00:00+03:00',
    });
    expect(updateBody.parse(sent(':in_progress')).status).toBe('in_progress');
    expect(updateBody.parse(sent(':completed')).ended_at).toBe('2026-11-28T17:00:00+03:00');
    const final = finalReportBody.parse(sent(':final:1'));
    expect(final).toMatchObject({ ended_at: '2026-11-28T17:00:00+03:00', duration_seconds: 2 * 3600, actions_pending: false });
  });

  it('gives the real end and duration in the final report of a window that overran', async () => {
    const { sent } = await run(40);
    expect(updateBody.parse(sent(':extended')).status).toBe('extended');
    const completed = updateBody.parse(sent(':completed'));
    expect(completed.ended_at).toBe('2026-11-28T17:40:00+03:00');
    const final: FinalReportBody = finalReportBody.parse(sent(':final:1'));
    expect(final.ended_at).toBe(completed.ended_at);
    expect(final.duration_seconds).toBe(2 * 3600 + 40 * 60);
    expect(final.timeline.at(-1)!.at).toBe('2026-11-28T17:40:00+03:00');
  });
});
