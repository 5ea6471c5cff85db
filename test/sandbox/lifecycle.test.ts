import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { report, reportUpdate } from '../../agent/authority/contract.js';
import { finalBody, maintenanceBody, reportBody, updateBody, withTeam } from './helpers.js';

type Setup = Awaited<ReturnType<typeof withTeam>>;

async function file(s: Setup, body = reportBody(s.teamId)): Promise<string> {
  const res = await s.t.call('POST', '/api/v1/reports', { token: s.manager.access_token, key: `file-${Math.random()}`, json: body });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const get = async (s: Setup, id: string) => report.parse((await s.t.call('GET', `/api/v1/reports/${id}`, { token: s.manager.access_token })).body);
const post = (s: Setup, id: string, what: 'updates' | 'final-report', json: unknown, key = `${what}-${Math.random()}`) =>
  s.t.call('POST', `/api/v1/reports/${id}/${what}`, { token: s.manager.access_token, key, json });

/** Polls until the check passes; the sandbox acknowledges on a real timer. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 2_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await sleep(10);
  }
}

describe('acknowledgement', () => {
  it('receives an outage report after ackDelayMs, and keeps maintenance scheduled', async () => {
    const s = await withTeam({ ackDelayMs: 100 });
    const outage = await file(s);
    const maintenance = await file(s, maintenanceBody(s.teamId));
    expect((await get(s, outage)).acknowledged_at).toBeUndefined();
    s.t.advance(2_000);
    const acked = await eventually(
      () => get(s, outage),
      (r) => r.acknowledged_at !== undefined,
    );
    expect(acked.status).toBe('received');
    expect(acked.acknowledged_at).toBe('2026-11-28T06:00:02.000Z');
    expect(acked.status_history.map((h) => h.status)).toEqual(['submitted', 'received']);
    const m = await eventually(
      () => get(s, maintenance),
      (r) => r.acknowledged_at !== undefined,
    );
    expect(m.status).toBe('scheduled');
    expect(m.status_history.map((h) => h.status)).toEqual(['scheduled']);
  });

  it('never acknowledges by itself when ackDelayMs is negative', async () => {
    const s = await withTeam({ ackDelayMs: -1 });
    const id = await file(s);
    await sleep(50);
    expect((await get(s, id)).acknowledged_at).toBeUndefined();
    await s.t.call('POST', `/sandbox/reports/${id}/status`, { json: { status: 'received' } });
    const r = await get(s, id);
    expect(r.status).toBe('received');
    expect(r.acknowledged_at).toBe('2026-11-28T06:00:00.000Z');
  });
});

describe('updates and the final report', () => {
  it('moves an outage through ongoing, restored, awaiting_final_report and closed', async () => {
    const s = await withTeam();
    const id = await file(s);
    const ongoing = await post(s, id, 'updates', updateBody('ongoing', { impact: 'partial' }));
    expect(ongoing.status).toBe(201);
    const stored = reportUpdate.parse(ongoing.body);
    expect(stored.id).toMatch(/^upd_/);
    expect(stored).toMatchObject({ status: 'ongoing', impact: 'partial', received_at: '2026-11-28T06:00:00.000Z' });
    expect((await get(s, id)).status).toBe('ongoing');
    await post(s, id, 'updates', updateBody('ongoing'));
    const restored = await post(s, id, 'updates', updateBody('restored', { ended_at: '2026-11-28T10:30:00+03:00' }));
    expect(restored.status).toBe(201);
    let r = await get(s, id);
    expect(r.status).toBe('awaiting_final_report');
    expect(r.updates).toHaveLength(3);
    expect(r.status_history.map((h) => h.status)).toEqual(['submitted', 'ongoing', 'restored', 'awaiting_final_report']);

    const pending = await post(s, id, 'final-report', finalBody(true));
    expect(pending.status).toBe(201);
    expect(report.parse(pending.body)).toMatchObject({ status: 'awaiting_final_report', final_report: { actions_pending: true } });
    const complete = await post(s, id, 'final-report', finalBody(false));
    expect(complete.status).toBe(201);
    r = report.parse(complete.body);
    expect(r.status).toBe('closed');
    expect(r.final_report?.received_at).toBe('2026-11-28T06:00:00.000Z');
    expect(r.status_history.at(-1)?.status).toBe('closed');

    const again = await post(s, id, 'final-report', finalBody(false));
    expect(again.status).toBe(409);
    const late = await post(s, id, 'updates', updateBody('ongoing'));
    expect(late.status).toBe(409);
    expect(late.body.type).toBe('https://raqib.invalid/problems/report-closed');
  });

  it('refuses a second final report once one was filed without pending actions', async () => {
    const s = await withTeam();
    const id = await file(s);
    expect((await post(s, id, 'final-report', finalBody(false))).status).toBe(201);
    await s.t.call('POST', `/sandbox/reports/${id}/status`, { json: { status: 'awaiting_final_report' } });
    const res = await post(s, id, 'final-report', finalBody(true));
    expect(res.status).toBe(409);
    expect(res.body.type).toBe('https://raqib.invalid/problems/final-report-exists');
  });

  it('takes maintenance updates: in_progress, extended, completed leading to awaiting_final_report', async () => {
    const s = await withTeam();
    const id = await file(s, maintenanceBody(s.teamId));
    expect((await post(s, id, 'updates', updateBody('ongoing'))).status).toBe(422);
    for (const status of ['in_progress', 'extended'] as const) {
      expect((await post(s, id, 'updates', updateBody(status))).status).toBe(201);
      expect((await get(s, id)).status).toBe(status);
    }
    const missingEnd = await post(s, id, 'updates', updateBody('completed'));
    expect(missingEnd.status).toBe(422);
    expect(missingEnd.body.errors[0].path).toBe('ended_at');
    await post(s, id, 'updates', updateBody('completed', { ended_at: '2026-12-06T03:00:00+03:00' }));
    expect((await get(s, id)).status_history.map((h) => h.status)).toEqual(['scheduled', 'in_progress', 'extended', 'completed', 'awaiting_final_report']);
  });

  it('refuses an outage update with a maintenance status (422)', async () => {
    const s = await withTeam();
    const id = await file(s);
    const res = await post(s, id, 'updates', updateBody('in_progress'));
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('status');
  });

  it('replays an update sent again with its key, and refuses the key with another update', async () => {
    const s = await withTeam();
    const id = await file(s);
    const first = await post(s, id, 'updates', updateBody('ongoing'), 'u-1');
    const again = await post(s, id, 'updates', updateBody('ongoing'), 'u-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await get(s, id)).updates).toHaveLength(1);
    expect((await post(s, id, 'updates', updateBody('ongoing', { impact: 'partial' }), 'u-1')).status).toBe(409);
    expect((await post(s, id, 'final-report', finalBody(true), 'u-1')).status).toBe(409);
    const noKey = await s.t.call('POST', `/api/v1/reports/${id}/updates`, { token: s.manager.access_token, json: updateBody('ongoing') });
    expect(noKey.status).toBe(400);
  });

  it('refuses updates to cancelled reports and to reports of unknown ids', async () => {
    const s = await withTeam();
    const id = await file(s);
    await s.t.call('POST', `/sandbox/reports/${id}/status`, { json: { status: 'cancelled' } });
    expect((await post(s, id, 'updates', updateBody('ongoing'))).status).toBe(409);
    expect((await post(s, id, 'final-report', finalBody(false))).status).toBe(409);
    expect((await post(s, 'rpt_missing', 'updates', updateBody('ongoing'))).status).toBe(404);
  });
});

describe('the authority acting on a report', () => {
  it('sets any status by hand and records it', async () => {
    const s = await withTeam();
    const id = await file(s);
    const res = await s.t.call('POST', `/sandbox/reports/${id}/status`, { json: { status: 'returned_for_info' } });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('returned_for_info');
    expect((await get(s, id)).status_history.map((h) => h.status)).toEqual(['submitted', 'returned_for_info']);
    expect((await s.t.call('POST', `/sandbox/reports/${id}/status`, { json: { status: 'lost' } })).status).toBe(422);
    expect((await s.t.call('POST', '/sandbox/reports/rpt_none/status', { json: { status: 'closed' } })).status).toBe(404);
  });

  it('appends bilingual guidance with an id and a time', async () => {
    const s = await withTeam();
    const id = await file(s);
    s.t.advance(30_000);
    const text = { ar: 'يرجى تحديث الحالة كل ساعة', en: 'Please update the status every hour' };
    const res = await s.t.call('POST', `/sandbox/reports/${id}/guidance`, { json: { text } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ at: '2026-11-28T06:00:30.000Z', text });
    expect(res.body.id).toMatch(/^gdn_/);
    expect((await get(s, id)).guidance).toEqual([res.body]);
    expect((await s.t.call('POST', `/sandbox/reports/${id}/guidance`, { json: { text: { en: 'only English' } } })).status).toBe(422);
  });
});
