/**
 * When follow-up stops reading a report: a whole interval after the authority closed it, when the
 * authority no longer has it, or a week after raqib finished with a report the authority never
 * closes. A report raqib finished with is not escalated for a missing acknowledgement.
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../agent/authority/contract.js';
import { FOLLOW_DONE_MS } from '../../agent/followup/followup.js';
import { FakeAuthority, HOUR, MINUTE, harnessPerTest } from '../helpers/chain.js';

const harness = harnessPerTest();

async function filed() {
  const api = new FakeAuthority();
  const h = await harness({ api });
  await h.down('total');
  const id = h.incident().id;
  h.filed(id, 'rpt_end000000001', 'DGA-2026-000777');
  await h.chain.followUp.idle();
  return { h, api, rec: h.record(id)! };
}

describe('the end of follow-up', () => {
  it('stops reading a report the authority no longer has (404)', async () => {
    const { h, api, rec } = await filed();
    api.gone.add(rec.reportId!);
    await h.chain.followUp.pollAll();
    expect(rec.followed).toBe(true);
    const reads = api.reads.length;
    await h.tickAt(HOUR);
    expect(api.reads).toHaveLength(reads);
  });

  it('stops, a week after its last change, reading a report raqib finished with that the authority never closes', async () => {
    const { h, api, rec } = await filed();
    h.tracker.unmonitored('appointments');
    await h.settled();
    expect(rec.done).toBe(true);
    api.copies.set(rec.reportId!, { status: 'ongoing' } as Partial<Report>);
    await h.tickAt(5 * MINUTE);
    expect(rec.followed).toBeUndefined();
    await h.tickAt(FOLLOW_DONE_MS);
    expect(rec.followed).toBe(true);
  });

  it('does not escalate a missing acknowledgement of a report raqib finished with', async () => {
    const { h, rec } = await filed();
    h.tracker.unmonitored('appointments');
    await h.settled();
    await h.tickAt(2 * HOUR);
    expect(rec.escalatedAt).toBeUndefined();
    expect(h.logged('report not acknowledged in time; escalating to the team')).toEqual([]);
  });
});
