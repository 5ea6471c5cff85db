/**
 * How a report's work ends: the team hears of incidents and of the final report being due; an
 * outage raqib stopped watching cannot be finalized by it; the authority closing a report ends
 * filing for it; steps behind a refused report are refused too instead of waiting forever; a
 * person taking a refused report into their hands stops raqib filing for it.
 */
import { describe, expect, it } from 'vitest';
import { AuthorityError } from '../../agent/authority/errors.js';
import { HOUR, MINUTE, harnessPerTest } from '../helpers/chain.js';

const harness = harnessPerTest();

describe("how a report's work ends", () => {
  it('tells the team an outage opened and closed, and when the final report is due', async () => {
    const h = await harness();
    await h.down();
    const id = h.incident().id;
    h.filed(id);
    await h.up();
    expect(h.logged('team notified').map((l) => l['event'])).toEqual(['incident_opened', 'report_filed', 'incident_closed', 'final_report_due']);
    const due = h.logged('team notified').find((l) => l['event'] === 'final_report_due')!;
    expect(String(due['text'])).toMatch(/Add the actions taken before .* with: raqib reports finalize DGA-2026-000001 --actions/);
  });

  it('dates the final-report deadline from the end of the outage, not from when raqib noticed', async () => {
    const h = await harness();
    await h.down();
    const id = h.incident().id;
    h.filed(id);
    const endedAt = h.clock.now();
    await h.change('appointments', 'DOWN', 'UP', undefined, endedAt - 10 * MINUTE);
    expect(h.record(id)!.finalDueAt).toBe(endedAt - 10 * MINUTE + 24 * HOUR);
  });

  it('refuses to finalize an outage raqib stopped watching before it ended, since it cannot say when it ended', async () => {
    const h = await harness();
    await h.down();
    const id = h.incident().id;
    h.filed(id);
    h.tracker.unmonitored('appointments');
    await h.settled();
    const err = await h.filing.finalize(id, { taken: 'Moved the service to the new platform' }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('RAQIB_REPORT_UNMONITORED');
    expect((err as Error).message).toMatch(/file the restoration and final report of .* by hand/);
    expect(h.keys().filter((k) => k.includes(':final:'))).toEqual([]);
  });

  it('stops working on a report the authority closed, and files no final report at the deadline', async () => {
    const h = await harness();
    await h.down();
    const id = h.incident().id;
    h.filed(id);
    await h.up();
    h.store.update(() => (h.record(id)!.done = true)); // as follow-up records a report closed at the authority
    await h.tickAt(25 * HOUR);
    expect(h.keys().filter((k) => k.includes(':final:'))).toEqual([]);
    const err = await h.filing.finalize(id, { taken: 'x' }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('RAQIB_REPORT_FINAL');
  });

  it('refuses the updates of a report the authority refused, instead of holding them forever', async () => {
    const h = await harness();
    await h.down();
    await h.still('partial');
    h.team();
    const [create, update] = h.reportEntries();
    h.store.update(() => (create!.dead = { at: 1, status: 400, reason: 'refused' }));
    const err = await h.chain.sender.send(update!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthorityError);
    expect((err as AuthorityError).retryable).toBe(false);
    expect((err as AuthorityError).message).toMatch(/its report was refused by the authority \(dead letter #\d+\)/);
  });

  it('files nothing more and stops escalating once a person dismisses the dead letter of a refused report', async () => {
    const h = await harness();
    await h.down();
    const id = h.incident().id;
    await h.still('partial');
    const [create] = h.reportEntries();
    h.store.update(() => (create!.dead = { at: 1, status: 400, reason: 'refused' }));
    expect(await h.chain.deadLetter(create!.seq, 'dismiss')).toBeDefined();
    expect(h.record(id)!.done).toBe(true);
    expect(h.reportEntries()).toEqual([]);
    for (let i = 1; i <= 4; i++) await h.tickAt(i * 20 * MINUTE);
    expect(h.reportEntries()).toEqual([]);
    expect(h.logged('report still not filed with the authority')).toEqual([]);
  });
});
