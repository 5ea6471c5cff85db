/**
 * What people see of reports (/api/v1/reports, `raqib reports list|show`): computed from the state,
 * and never carrying outbox bodies, which hold crisis team members' names and contacts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AuthorityError } from '../../agent/authority/errors.js';
import { findRecord, reportDetail, stateView } from '../../agent/ledger/views.js';
import { ALTERNATE, MANAGER } from '../helpers/reporting.js';
import { FakeAuthority, MEMBER, reportingHarness, SERVICE, type Harness } from '../helpers/chain.js';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

const SECRETS = [MANAGER, ALTERNATE, MEMBER].flatMap((m) => [m.email, m.mobile, m.name.en, m.name.ar]);

/** A report whose create entry was built (body with submitted_by) and failed once, plus a queued notification. */
async function withBuiltBodies() {
  const h = await reportingHarness({ notifications: [{ id: 'ops', type: 'webhook', url: 'http://127.0.0.1:9/hook' }] });
  open.push(h);
  h.team('team_1');
  const api = h.api as FakeAuthority;
  const sender = h.chain.sender;
  await h.down();
  const entry = h.reportEntries()[0]!;
  api.failNext = new AuthorityError('network', 'reset');
  await expect(sender.send(entry)).rejects.toThrow();
  expect(JSON.stringify(entry.body)).toContain(MANAGER.email); // the body does hold contacts
  await h.notifier.notify({
    event: 'authorization_lost',
    at: 0,
    subject: 's',
    facts: { reason: `filed by ${MANAGER.name.en} ${MANAGER.email} ${MANAGER.name.ar}` },
  });
  return { h, id: h.incident().id };
}

function leaks(view: unknown): string[] {
  const text = JSON.stringify(view);
  return SECRETS.filter((s) => text.includes(s));
}

describe('report views', () => {
  it('reportsView lists reports and pending work without any outbox body', async () => {
    const { h, id } = await withBuiltBodies();
    const view = stateView(h.store.data);
    expect(leaks(view)).toEqual([]);
    expect(JSON.stringify(view)).not.toContain('"body"');
    expect(view.reports).toHaveLength(1);
    expect(view.reports[0]).toMatchObject({
      key: id,
      kind: 'outage',
      type: 'own_service_outage',
      service: 'appointments',
      status: 'queued',
      pending: 1,
      dead_letters: 0,
    });
    expect(view.outbox.pending).toBe(h.store.data.outbox.length); // the report, and the team's notifications
    expect(view.outbox.pending).toBeGreaterThanOrEqual(2);
  });

  it("reportDetail shows the report's outbox entries without their bodies", async () => {
    const { h, id } = await withBuiltBodies();
    const detail = reportDetail(h.record(id)!, h.store.data.outbox);
    expect(leaks(detail)).toEqual([]);
    expect(detail.outbox).toHaveLength(1);
    expect(detail.outbox[0]).toMatchObject({ op: 'create_report', idempotency_key: `raqib:MOH:${id}:report`, attempts: 0, summary: 'report' });
    expect(detail.outbox[0]).not.toHaveProperty('body');
  });

  it('shows dead letters with their reason but not their body', async () => {
    const { h } = await withBuiltBodies();
    h.store.update((d) => {
      for (const e of d.outbox) e.dead = { at: 5, status: 400, reason: 'refused' };
    });
    const view = stateView(h.store.data);
    expect(leaks(view)).toEqual([]);
    expect(view.outbox.dead_letters.map((d) => d.dead)).toEqual(
      h.store.data.outbox.map(() => ({ at: new Date(5).toISOString(), status: 400, reason: 'refused' })),
    );
    expect(view.reports[0]).toMatchObject({ pending: 0, dead_letters: 1 });
  });

  it('shows an outage inside a maintenance window as suppressed', async () => {
    const h = await reportingHarness({
      services: [{ ...SERVICE, maintenance: [{ id: 'w', start: '2026-11-28T11:00:00+03:00', end: '2026-11-28T14:00:00+03:00' }] }],
    });
    open.push(h);
    await h.down();
    expect(stateView(h.store.data).reports[0]!.status).toBe('suppressed');
  });

  it('finds a record by incident, key, authority id or reference', async () => {
    const { h, id } = await withBuiltBodies();
    h.filed(id, 'rpt_view0000001', 'DGA-2026-000777');
    for (const ref of [id, 'rpt_view0000001', 'DGA-2026-000777']) expect(findRecord(h.store.data, ref)?.key).toBe(id);
    expect(findRecord(h.store.data, 'DGA-2026-000000')).toBeUndefined();
  });
});
