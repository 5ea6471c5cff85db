/**
 * The report lifecycle of an outage: what filing queues, once each, as the tracker's events
 * arrive and the manual clock moves. The outbox is not started: its entries stay in the state.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRaqibError } from '../../agent/errors.js';
import { HOUR, MINUTE, harnessPerTest, type Harness } from '../helpers/chain.js';

const harness = harnessPerTest();

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return isRaqibError(err) ? err.code : String(err);
  }
}

describe('filing an outage', () => {
  it('queues exactly one create_report when an incident opens, recorded and durable before it is sent', async () => {
    const h = await harness();
    await h.down('total');
    const inc = h.incident();
    expect(h.reportEntries()).toHaveLength(1);
    const entry = h.reportEntries()[0]!;
    expect(entry).toMatchObject({
      op: 'create_report',
      lane: `report:${inc.id}`,
      reportKey: inc.id,
      idempotencyKey: `raqib:MOH:${inc.id}:report`,
      body: null,
      facts: { what: { kind: 'report' } },
      summary: 'report',
    });
    expect(h.record(inc.id)).toMatchObject({
      key: inc.id,
      kind: 'outage',
      type: 'own_service_outage',
      serviceId: 'appointments',
      incidentId: inc.id,
      queuedAt: h.clock.now(),
      lastImpact: 'total',
      updates: 0,
      finals: 0,
    });
    const onDisk = JSON.parse(await readFile(join(h.dir, 'state.json'), 'utf8'));
    expect(onDisk.reports[inc.id].key).toBe(inc.id);
    expect(onDisk.outbox.map((e: { idempotencyKey: string }) => e.idempotencyKey)).toEqual([`raqib:MOH:${inc.id}:report`]);
  });

  it('files once when the opened event is delivered twice', async () => {
    const h = await harness();
    const ev = await h.down();
    h.tracker['emit'](ev!); // the very same event, delivered again
    await h.settled();
    expect(h.reportEntries().map((e) => e.op)).toEqual(['create_report']);
  });

  it('files a consumed service outage as consumed_service_outage', async () => {
    const h = await harness({ services: [{ id: 'absher', provider: 'NIC', checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:1/' }] }] });
    await h.down('total', 'absher');
    expect(h.record(h.incident().id)?.type).toBe('consumed_service_outage');
  });

  it('files nothing when the config has no authority section', async () => {
    const h = await harness({ authority: null });
    await h.down();
    await h.tickAt(2 * HOUR);
    expect(h.entries()).toEqual([]);
    expect(h.store.data.reports).toEqual({});
  });

  it('after a restart, files the report of an incident that opened before the crash, and only once', async () => {
    const first = await harness({ start: false }); // the agent died before the reporter heard of it
    await first.down();
    const id = first.incident().id;
    expect(first.entries()).toEqual([]);
    await first.close();

    const second = await harness({ dir: first.dir, clock: first.clock });
    await second.settled();
    expect(second.keys()).toEqual([`raqib:MOH:${id}:report`]);
    await second.close();

    const third = await harness({ dir: first.dir, clock: first.clock });
    await third.settled();
    expect(third.keys()).toEqual([`raqib:MOH:${id}:report`]);
    expect(Object.keys(third.store.data.reports)).toEqual([id]);
  });

  it('after a restart, queues the restoration of an incident that closed while nobody listened', async () => {
    const first = await harness();
    await first.down();
    const id = first.incident().id;
    await first.chain.stop(); // stops listening: the close below is never heard
    first.clock.jump(10 * MINUTE);
    await first.up();
    const closedAt = first.incident().endedAt!;
    expect(first.keys()).toEqual([`raqib:MOH:${id}:report`]);
    await first.close();

    const second = await harness({ dir: first.dir, clock: first.clock });
    await second.settled();
    expect(second.keys()).toEqual([`raqib:MOH:${id}:report`, `raqib:MOH:${id}:restored`]);
    expect(second.record(id)).toMatchObject({ restoredQueued: true });
    expect(second.record(id)!.finalDueAt).toBe(second.clock.now() + 24 * HOUR);
    expect(second.record(id)!.finalDueAt).toBeGreaterThanOrEqual(closedAt + 24 * HOUR);
  });
});

describe('updates while the outage lasts', () => {
  it('queues one update when the impact changes and none when it stays the same', async () => {
    const h = await harness();
    await h.down('total');
    const id = h.incident().id;
    await h.still('total');
    expect(h.keys()).toEqual([`raqib:MOH:${id}:report`]);
    await h.still('partial');
    expect(h.keys()).toEqual([`raqib:MOH:${id}:report`, `raqib:MOH:${id}:update:1`]);
    expect(h.reportEntries()[1]).toMatchObject({
      op: 'add_update',
      facts: { what: { kind: 'ongoing', reason: 'impact_changed' } },
      summary: 'update 1 (impact_changed)',
    });
    await h.still('partial');
    expect(h.reportEntries()).toHaveLength(2);
    await h.still('total');
    expect(h.keys().at(-1)).toBe(`raqib:MOH:${id}:update:2`);
    expect(h.record(id)).toMatchObject({ updates: 2, lastImpact: 'total' });
  });

  it('queues a periodic update every update_interval while open, and none after restoration', async () => {
    const h = await harness({ authority: { update_interval: '30m' } });
    await h.down();
    const id = h.incident().id;
    await h.tickAt(30 * MINUTE - 1);
    expect(h.reportEntries()).toHaveLength(1);
    await h.tickAt(1);
    expect(h.reportEntries()[1]).toMatchObject({ idempotencyKey: `raqib:MOH:${id}:update:1`, facts: { what: { kind: 'ongoing', reason: 'periodic' } } });
    await h.tickAt(1 * MINUTE);
    expect(h.reportEntries()).toHaveLength(2);
    await h.tickAt(29 * MINUTE);
    expect(h.keys().at(-1)).toBe(`raqib:MOH:${id}:update:2`);
    await h.up();
    const after = h.keys().length;
    for (let i = 0; i < 4; i++) await h.tickAt(30 * MINUTE);
    expect(
      h
        .reportEntries()
        .slice(after)
        .filter((e) => e.op === 'add_update'),
    ).toEqual([]);
    expect(h.keys().filter((k) => k.includes(':update:'))).toHaveLength(2);
  });

  it('counts the periodic interval from the last update, an impact change included', async () => {
    const h = await harness({ authority: { update_interval: '30m' } });
    await h.down('total');
    await h.tickAt(20 * MINUTE);
    await h.still('partial'); // update 1 at +20m
    await h.tickAt(20 * MINUTE); // +40m: only 20 minutes since update 1
    expect(h.keys().filter((k) => k.includes(':update:'))).toHaveLength(1);
    await h.tickAt(10 * MINUTE); // +50m
    expect(h.keys().filter((k) => k.includes(':update:'))).toHaveLength(2);
  });
});

describe('restoration and the final report', () => {
  it('queues the restoration once when the incident closes, with the final report due final_report_deadline later', async () => {
    const h = await harness({ authority: { final_report_deadline: '24h' } });
    await h.down();
    const id = h.incident().id;
    h.clock.jump(45 * MINUTE);
    const closed = await h.up();
    h.tracker['emit'](closed!); // delivered twice
    await h.settled();
    const restored = h.reportEntries().filter((e) => e.idempotencyKey.endsWith(':restored'));
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({
      op: 'add_update',
      idempotencyKey: `raqib:MOH:${id}:restored`,
      facts: { what: { kind: 'restored' } },
      summary: 'restoration',
    });
    expect(h.record(id)).toMatchObject({ restoredQueued: true, finalDueAt: h.clock.now() + 24 * HOUR });
  });

  it('files the final report at the deadline with actions pending, then a second one with the actions from finalize()', async () => {
    const h = await harness({ authority: { final_report_deadline: '24h' } });
    await h.down();
    const id = h.incident().id;
    await h.up();
    await h.tickAt(24 * HOUR - 1);
    expect(h.keys().filter((k) => k.includes(':final:'))).toEqual([]);
    await h.tickAt(1);
    const first = h.reportEntries().find((e) => e.op === 'final_report')!;
    expect(first).toMatchObject({ idempotencyKey: `raqib:MOH:${id}:final:1`, facts: { what: { kind: 'final' } }, summary: 'final report' });
    expect(first.facts!.what).not.toHaveProperty('actions');
    expect(h.record(id)).toMatchObject({ finals: 1, actionsPending: true });
    await h.tickAt(HOUR);
    expect(h.reportEntries().filter((e) => e.op === 'final_report')).toHaveLength(1);

    const rec = await h.filing.finalize(id, { taken: 'Restarted the appointment servers', rootCause: 'Disk full' });
    expect(rec.key).toBe(id);
    const finals = h.reportEntries().filter((e) => e.op === 'final_report');
    expect(finals.map((e) => e.idempotencyKey)).toEqual([`raqib:MOH:${id}:final:1`, `raqib:MOH:${id}:final:2`]);
    expect(finals[1]).toMatchObject({
      facts: { what: { kind: 'final', actions: { taken: 'Restarted the appointment servers', rootCause: 'Disk full' } } },
      summary: 'final report with actions',
    });
    expect(h.record(id)).toMatchObject({ finals: 2, actionsPending: false });
    expect(await codeOf(h.filing.finalize(id, { taken: 'again' }))).toBe('RAQIB_REPORT_FINAL');
    expect(h.reportEntries().filter((e) => e.op === 'final_report')).toHaveLength(2);
  });

  it('files one final report with the actions when finalize() comes before the deadline, and none at the deadline', async () => {
    const h = await harness({ authority: { final_report_deadline: '24h' } });
    await h.down();
    const id = h.incident().id;
    await h.up();
    await h.tickAt(HOUR);
    await h.filing.finalize(id, { taken: 'Rolled back the release' });
    await h.tickAt(24 * HOUR);
    const finals = h.reportEntries().filter((e) => e.op === 'final_report');
    expect(finals.map((e) => e.idempotencyKey)).toEqual([`raqib:MOH:${id}:final:1`]);
    expect(finals[0]!.facts!.what).toMatchObject({ kind: 'final', actions: { taken: 'Rolled back the release' } });
    expect(await codeOf(h.filing.finalize(id, { taken: 'again' }))).toBe('RAQIB_REPORT_FINAL');
  });

  it('refuses finalize() for an unknown report and for an outage that is not over', async () => {
    const h = await harness();
    expect(await codeOf(h.filing.finalize('DGA-2026-999999', { taken: 'x' }))).toBe('RAQIB_REPORT_UNKNOWN');
    await h.down();
    const id = h.incident().id;
    expect(await codeOf(h.filing.finalize(id, { taken: 'x' }))).toBe('RAQIB_REPORT_ONGOING');
    expect(h.reportEntries().map((e) => e.op)).toEqual(['create_report']);
  });

  it('finds a report for finalize() by its authority reference and id once filed', async () => {
    const h = await harness();
    await h.down();
    const id = h.incident().id;
    h.filed(id, 'rpt_abc', 'DGA-2026-000042');
    await h.up();
    expect((await h.filing.finalize('DGA-2026-000042', { taken: 'Fixed' })).key).toBe(id);
    expect(h.chain.ledger.find('rpt_abc')?.key).toBe(id);
  });

  it('tells the authority monitoring stopped (an ongoing update, no restoration) for an incident closed as unmonitored, and the team report_failed', async () => {
    const h = await harness({ notifications: [{ id: 'ops', type: 'webhook', url: 'http://127.0.0.1:9/hook', events: ['report_failed'] }] });
    await h.down();
    const id = h.incident().id;
    h.tracker.unmonitored('appointments');
    await h.settled();
    expect(h.incident().resolution).toBe('unmonitored');
    expect(h.keys()).toEqual([`raqib:MOH:${id}:report`, `raqib:MOH:${id}:unmonitored`]);
    expect(h.reportEntries()[1]).toMatchObject({ op: 'add_update', summary: 'monitoring stopped', facts: { what: { kind: 'unmonitored' } } });
    expect(h.record(id)!.restoredQueued).toBeUndefined();
    expect(h.record(id)!.done).toBe(true);
    const notes = h.notifications();
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toMatchObject({ event: 'report_failed', service: 'appointments', report: { key: id } });
    expect(h.logged('team notified').map((l) => l['event'])).toEqual(['incident_opened', 'incident_closed', 'report_failed']);
    for (let i = 0; i < 3; i++) await h.tickAt(24 * HOUR);
    expect(h.keys()).toEqual([`raqib:MOH:${id}:report`, `raqib:MOH:${id}:unmonitored`]);
  });
});

describe('idempotency keys', () => {
  async function wholeOutage(h: Harness): Promise<string[]> {
    await h.down('total');
    await h.still('partial');
    await h.tickAt(30 * MINUTE);
    await h.up();
    await h.tickAt(24 * HOUR);
    await h.filing.finalize(h.incident().id, { taken: 'Fixed' });
    return h.keys();
  }

  it('are raqib:<ENTITY>:<incident>:<step>, distinct per step and the same when the same outage is replayed', async () => {
    const a = await harness();
    const keys = await wholeOutage(a);
    const id = a.incident().id;
    expect(id).toMatch(/^appointments-\d{8}T\d{6}Z$/);
    expect(keys).toEqual([':report', ':update:1', ':update:2', ':restored', ':final:1', ':final:2'].map((s) => `raqib:MOH:${id}${s}`));
    expect(new Set(keys).size).toBe(keys.length);
    const b = await harness();
    expect(await wholeOutage(b)).toEqual(keys);
  });

  it('give a new outage of the same service its own keys', async () => {
    const h = await harness();
    await h.down();
    const first = h.incident().id;
    await h.up();
    h.clock.jump(MINUTE);
    await h.down();
    const second = h.incident().id;
    expect(second).not.toBe(first);
    expect(h.keys().filter((k) => k.endsWith(':report'))).toEqual([`raqib:MOH:${first}:report`, `raqib:MOH:${second}:report`]);
  });
});

describe('answers and refusals', () => {
  it('records the authority id, reference and status when the report is delivered, and counts it filed', async () => {
    const h = await harness();
    await h.down();
    const id = h.incident().id;
    h.filed(id, 'rpt_q2m7a4bck3x9', 'DGA-2026-000042');
    expect(h.record(id)).toMatchObject({ reportId: 'rpt_q2m7a4bck3x9', reference: 'DGA-2026-000042', status: 'submitted', filedAt: h.clock.now() });
    expect(h.record(id)!.statusHistory).toEqual([{ status: 'submitted', at: h.clock.now() }]);
    expect(await h.metric('raqib_reports_total', { type: 'own_service_outage', outcome: 'filed' })).toBe(1);
  });

  it('counts a refused report as failed and tells the team', async () => {
    const h = await harness({ notifications: [{ id: 'ops', type: 'webhook', url: 'http://127.0.0.1:9/hook', events: ['report_failed'] }] });
    await h.down();
    const entry = h.reportEntries()[0]!;
    h.store.update(() => (entry.dead = { at: h.clock.now(), status: 400, reason: 'not in the service catalogue' }));
    h.chain.answers.deadLetter(entry);
    await h.settled();
    await new Promise((r) => setImmediate(r));
    expect(await h.metric('raqib_reports_total', { type: 'own_service_outage', outcome: 'failed' })).toBe(1);
    expect(await h.metric('raqib_dead_letters_total', { op: 'create_report' })).toBe(1);
    expect(h.notifications().map((e) => (e.body as { event: string }).event)).toEqual(['report_failed']);
  });
});
