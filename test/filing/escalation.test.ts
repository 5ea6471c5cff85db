/**
 * What time escalates when the far side does not move: a report still unfiled after ten minutes is
 * told to the team, and again every ten; an announced window removed from the config is no longer
 * followed and the team is told to withdraw it.
 */
import { describe, expect, it } from 'vitest';
import { NOT_FILED_MS } from '../../agent/outbox/overdue.js';
import { HOUR, MINUTE, harnessPerTest, SERVICE } from '../helpers/chain.js';

const harness = harnessPerTest();

describe('escalation when nothing comes back', () => {
  it('tells the team when a confirmed outage is still not filed after ten minutes, and again every ten', async () => {
    const h = await harness();
    await h.down();
    await h.tickAt(NOT_FILED_MS - MINUTE);
    expect(h.logged('report still not filed with the authority')).toHaveLength(0);
    await h.tickAt(MINUTE);
    expect(h.logged('report still not filed with the authority')).toHaveLength(1);
    await h.tickAt(MINUTE);
    expect(h.logged('report still not filed with the authority')).toHaveLength(1);
    await h.tickAt(NOT_FILED_MS);
    expect(h.logged('report still not filed with the authority')).toHaveLength(2);
    expect(h.logged('team notified').filter((l) => l['event'] === 'report_failed')).toHaveLength(2);
  });

  it('says nothing once the report is filed', async () => {
    const h = await harness();
    await h.down();
    h.filed(h.incident().id);
    await h.tickAt(2 * NOT_FILED_MS);
    expect(h.logged('report still not filed with the authority')).toHaveLength(0);
  });

  it('stops following an announced window that was removed from the config, and tells the team to withdraw it', async () => {
    const window = { id: 'upgrade', start: '2026-11-28T15:00:00+03:00', end: '2026-11-28T17:00:00+03:00', notify_authority: true };
    const h = await harness({ services: [{ ...SERVICE, maintenance: [window] }] });
    await h.tickAt(2 * HOUR + MINUTE); // notice_before is 1 h in the harness
    const key = Object.keys(h.store.data.reports)[0]!;
    expect(h.record(key)!.kind).toBe('maintenance');
    h.setConfig({ services: [{ ...SERVICE, maintenance: [] }] });
    await h.tickAt(3 * HOUR);
    expect(h.record(key)!.done).toBe(true);
    expect(h.keys()).toEqual([`raqib:MOH:${key}:report`]); // no in_progress, no completed, no final
    expect(h.logged('announced maintenance window is no longer in the config; not following it further')).toHaveLength(1);
  });
});
