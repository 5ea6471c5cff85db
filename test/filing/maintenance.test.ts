/**
 * Planned maintenance in the report lifecycle: announcing a window notice_before it starts, its
 * in_progress / completed (or extended) updates and final report, and outages inside a window,
 * which are filed only if they outlast it. Times are Asia/Riyadh; the manual clock starts at
 * 2026-11-28 12:00 Riyadh (09:00 UTC).
 */
import { describe, expect, it } from 'vitest';
import { isRaqibError } from '../../agent/errors.js';
import type { MiniService } from '../helpers/config.js';
import { HOUR, MINUTE, harnessPerTest, SERVICE, type Harness } from '../helpers/chain.js';

const harness = harnessPerTest();

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
/** 15:00–17:00 Riyadh, three hours after the clock's start. */
const START = Date.parse('2026-11-28T15:00:00+03:00');
const END = Date.parse('2026-11-28T17:00:00+03:00');
const KEY = `maintenance:appointments:upgrade:${new Date(START).toISOString()}`;
const STEM = `raqib:MOH:${KEY}`;

function withWindows(...maintenance: Record<string, unknown>[]): MiniService[] {
  return [{ ...SERVICE, maintenance }];
}
const upgrade = (extra: Record<string, unknown> = {}) => ({
  id: 'upgrade',
  start: '2026-11-28T15:00:00+03:00',
  end: '2026-11-28T17:00:00+03:00',
  notify_authority: true,
  description: { ar: 'ترقية قاعدة البيانات', en: 'Database upgrade' },
  ...extra,
});

/** Move to `at` (absolute wall time) and tick once. */
const tickTo = (h: Harness, at: number) => h.tickAt(at - h.clock.now());

describe('announcing planned maintenance', () => {
  it('files one scheduled_maintenance report at start − notice_before, not before, and never again', async () => {
    const h = await harness({ services: withWindows(upgrade()), authority: { notice_before: '1h' } });
    expect(h.clock.now()).toBe(T0);
    await h.filing.tick();
    await tickTo(h, START - HOUR - 1);
    expect(h.entries()).toEqual([]);
    await tickTo(h, START - HOUR);
    expect(h.reportEntries()).toHaveLength(1);
    expect(h.reportEntries()[0]).toMatchObject({
      op: 'create_report',
      idempotencyKey: `${STEM}:report`,
      facts: { what: { kind: 'maintenance' } },
      summary: 'maintenance notice',
      lane: `report:${KEY}`,
    });
    expect(h.record(KEY)).toMatchObject({
      kind: 'maintenance',
      type: 'scheduled_maintenance',
      serviceId: 'appointments',
      window: { windowId: 'upgrade', start: START, end: END },
      windowUpdates: [],
    });
    await tickTo(h, START - 30 * MINUTE);
    await tickTo(h, START - 1);
    expect(h.reportEntries()).toHaveLength(1);
  });

  it('announces nothing for a window without notify_authority', async () => {
    const h = await harness({ services: withWindows(upgrade({ notify_authority: false })) });
    for (const at of [START - HOUR, START, START + HOUR, END, END + HOUR]) await tickTo(h, at);
    expect(h.entries()).toEqual([]);
  });

  it('announces each occurrence of a weekly window (Friday 01:00 Riyadh) once, notice_before ahead', async () => {
    const h = await harness({
      services: withWindows({ id: 'weekly', schedule: '0 0 1 * * 5', duration: '2h', notify_authority: true }),
      authority: { notice_before: '24h' },
    });
    for (let i = 0; i < 15 * 24 * 2; i++) await h.tickAt(30 * MINUTE); // 15 days in half hours
    const notices = h.reportEntries().filter((e) => e.op === 'create_report');
    const fridays = ['2026-12-03T22:00:00.000Z', '2026-12-10T22:00:00.000Z'];
    expect(notices.map((e) => e.idempotencyKey)).toEqual(fridays.map((s) => `raqib:MOH:maintenance:appointments:weekly:${s}:report`));
    expect(notices.map((e) => e.createdAt)).toEqual(fridays.map((s) => Date.parse(s) - 24 * HOUR));
  });
});

describe('the window itself', () => {
  it('queues in_progress at the start, then completed and a maintenance final report at the end', async () => {
    const h = await harness({ services: withWindows(upgrade()) });
    await tickTo(h, START - HOUR);
    await tickTo(h, START - 1);
    expect(h.keys()).toEqual([`${STEM}:report`]);
    await tickTo(h, START);
    expect(h.reportEntries()[1]).toMatchObject({
      op: 'add_update',
      idempotencyKey: `${STEM}:in_progress`,
      facts: { what: { kind: 'maintenance_update', status: 'in_progress', at: START } },
    });
    await tickTo(h, END - 1);
    expect(h.keys()).toHaveLength(2);
    await tickTo(h, END);
    expect(h.keys()).toEqual([`${STEM}:report`, `${STEM}:in_progress`, `${STEM}:completed`, `${STEM}:final:1`]);
    expect(h.reportEntries()[2]!.facts!.what).toMatchObject({ kind: 'maintenance_update', status: 'completed', at: END });
    expect(h.reportEntries()[3]).toMatchObject({ op: 'final_report', facts: { what: { kind: 'maintenance_final' } } });
    await tickTo(h, END + HOUR);
    await tickTo(h, END + 48 * HOUR);
    expect(h.keys()).toHaveLength(4);
  });

  it('announces and starts a window at once when the agent first looks after its start', async () => {
    const h = await harness({ services: withWindows(upgrade()) });
    await tickTo(h, START + 10 * MINUTE);
    expect(h.keys()).toEqual([`${STEM}:report`, `${STEM}:in_progress`]);
  });

  it('refuses finalize() for a maintenance report (its final report is automatic) and queues nothing', async () => {
    const h = await harness({ services: withWindows(upgrade()) });
    await tickTo(h, START);
    let code: string | undefined;
    try {
      await h.filing.finalize(KEY, { taken: 'done' });
    } catch (err) {
      code = isRaqibError(err) ? err.code : String(err);
    }
    expect(code).toBe('RAQIB_REPORT_MAINTENANCE');
    expect(h.reportEntries().filter((e) => e.op === 'final_report')).toEqual([]);
    await tickTo(h, END);
    expect(
      h
        .reportEntries()
        .filter((e) => e.op === 'final_report')
        .map((e) => e.facts!.what.kind),
    ).toEqual(['maintenance_final']);
  });
});

describe('outages inside a window', () => {
  it('suppresses an outage that begins inside a window, and files it when it outlasts the window', async () => {
    const h = await harness({ services: withWindows(upgrade({ notify_authority: false })) });
    h.clock.jump(START + 30 * MINUTE - h.clock.now());
    await h.down();
    const id = h.incident().id;
    expect(h.reportEntries()).toEqual([]);
    expect(h.record(id)).toMatchObject({ queuedAt: 0, suppressedUntil: END });
    expect(await h.metric('raqib_reports_total', { type: 'own_service_outage', outcome: 'suppressed' })).toBe(1);
    expect(h.logged('outage inside a maintenance window; not reported unless it outlasts the window')).toHaveLength(1);
    await h.still('partial'); // no update for what was never filed
    await tickTo(h, END - 1);
    expect(h.reportEntries()).toEqual([]);
    await tickTo(h, END);
    expect(h.keys()).toEqual([`raqib:MOH:${id}:report`]);
    expect(h.record(id)).toMatchObject({ queuedAt: END, lastImpact: 'partial' });
    expect(h.record(id)!.suppressedUntil).toBeUndefined();
    expect(h.logged('outage outlasted its maintenance window; reporting it')).toHaveLength(1);
    await tickTo(h, END + 5 * MINUTE);
    expect(h.keys()).toHaveLength(1);
  });

  it('files an outage that outlasted its window only once the agent can see again', async () => {
    let blind = false;
    const h = await harness({ services: withWindows(upgrade({ notify_authority: false })), blind: () => blind });
    h.clock.jump(START + 30 * MINUTE - h.clock.now());
    await h.down();
    blind = true;
    await tickTo(h, END + 5 * MINUTE);
    expect(h.reportEntries()).toEqual([]);
    blind = false;
    await tickTo(h, END + 10 * MINUTE);
    expect(h.logged('outage outlasted its maintenance window; reporting it')).toHaveLength(1);
  });

  it('never files an outage that ends inside its window', async () => {
    const h = await harness({ services: withWindows(upgrade({ notify_authority: false })) });
    h.clock.jump(START + 10 * MINUTE - h.clock.now());
    await h.down();
    const id = h.incident().id;
    h.clock.jump(20 * MINUTE);
    await h.up();
    expect(h.record(id)).toMatchObject({ done: true });
    for (const at of [END, END + HOUR, END + 48 * HOUR]) await tickTo(h, at);
    expect(h.entries()).toEqual([]);
  });

  it('files an outage that began before the window as usual', async () => {
    const h = await harness({ services: withWindows(upgrade({ notify_authority: false })) });
    h.clock.jump(START - 10 * MINUTE - h.clock.now());
    await h.down();
    expect(h.keys()).toEqual([`raqib:MOH:${h.incident().id}:report`]);
  });

  it('sends extended when the service is still down at the window end, and completed once it is back', async () => {
    const h = await harness({ services: withWindows(upgrade()) });
    await tickTo(h, START - HOUR);
    await tickTo(h, START);
    h.clock.jump(15 * MINUTE);
    await h.down(); // the maintenance takes the service down: suppressed
    const id = h.incident().id;
    await tickTo(h, END);
    const maintenanceKeys = () => h.keys().filter((k) => k.startsWith(STEM));
    expect(maintenanceKeys()).toEqual([`${STEM}:report`, `${STEM}:in_progress`, `${STEM}:extended`]);
    expect(h.reportEntries().find((e) => e.idempotencyKey === `${STEM}:extended`)!.facts!.what).toMatchObject({
      kind: 'maintenance_update',
      status: 'extended',
      at: END,
    });
    expect(h.keys()).toContain(`raqib:MOH:${id}:report`); // the overrun is an outage now
    await tickTo(h, END + 10 * MINUTE);
    expect(maintenanceKeys()).toHaveLength(3);
    h.clock.jump(20 * MINUTE);
    await h.up();
    const back = h.clock.now();
    await h.filing.tick();
    expect(maintenanceKeys()).toEqual([`${STEM}:report`, `${STEM}:in_progress`, `${STEM}:extended`, `${STEM}:completed`, `${STEM}:final:1`]);
    expect(h.reportEntries().find((e) => e.idempotencyKey === `${STEM}:completed`)!.facts!.what).toMatchObject({
      kind: 'maintenance_update',
      status: 'completed',
      at: back,
    });
    await tickTo(h, END + 5 * HOUR);
    expect(maintenanceKeys()).toHaveLength(5);
  });
});
