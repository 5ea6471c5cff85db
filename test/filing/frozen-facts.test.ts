/**
 * What is filed is what was true when raqib decided to file it: calls queued while the authority
 * is away carry the impact, evidence, estimate and times of their own moment, also when they are
 * first sent hours later, after a restart, or reworded for another signer; the final report's
 * timeline says when the report was filed and acknowledged.
 */
import { describe, expect, it } from 'vitest';
import { finalReportBody, type FinalReportBody, type Report, type UpdateBody } from '../../agent/authority/contract.js';
import { ALTERNATE } from '../helpers/reporting.js';
import { FakeAuthority, HOUR, MINUTE, harnessPerTest } from '../helpers/chain.js';

const harness = harnessPerTest();

/** Send every queued report call, in order, as the outbox would once the authority is back. */
async function sendAll(h: Awaited<ReturnType<typeof harness>>): Promise<void> {
  for (const e of h.reportEntries()) {
    const answer = await h.chain.sender.send(e);
    h.store.update((d) => (d.outbox = d.outbox.filter((x) => x !== e)));
    h.chain.answers.delivered(e, answer);
  }
}

describe('calls queued while the authority is away', () => {
  it('each say the impact, estimate, evidence and time of the moment they were decided, not of the send', async () => {
    const api = new FakeAuthority();
    const h = await harness({ api });
    h.team();
    const opened = h.clock.now();
    await h.down('total');
    h.clock.jump(10 * MINUTE);
    const partialAt = h.clock.now();
    await h.still('partial');
    h.clock.jump(10 * MINUTE);
    const degradedAt = h.clock.now();
    await h.still('degraded');
    h.clock.jump(3 * HOUR); // the authority was away all this time
    await sendAll(h);
    const updates = api.calls.filter((c) => c.op === 'add_update').map((c) => c.body as UpdateBody);
    expect(updates.map((u) => u.impact)).toEqual(['partial', 'degraded']);
    expect(updates.map((u) => Date.parse(u.at))).toEqual([partialAt, degradedAt]);
    expect(updates.map((u) => u.evidence![0]!.observed_at).map(Date.parse)).toEqual([partialAt, degradedAt]);
    // "changed from … to …" as it was then, and beneficiaries so far as of then (not three hours later)
    expect(updates[0]!.note.en).toMatch(/total/i);
    expect(updates[0]!.note.en).toMatch(/partial/i);
    expect(updates[0]!.beneficiaries_affected!).toBeLessThan(updates[1]!.beneficiaries_affected!);
    const report = api.calls.find((c) => c.op === 'create_report')!.body as { impact: string; detected_at: string };
    expect(report.impact).toBe('total');
    expect(Date.parse(report.detected_at)).toBe(opened);
  });

  it('keep their facts through a restart: the entry sent by the next agent says what the first decided', async () => {
    const first = await harness();
    await first.down('total');
    first.clock.jump(10 * MINUTE);
    await first.still('partial');
    const decidedAt = first.clock.now();
    await first.close();
    const api = new FakeAuthority();
    const second = await harness({ dir: first.dir, clock: first.clock, api });
    second.team();
    second.clock.jump(2 * HOUR);
    await second.still('total'); // the live incident moved on since
    await sendAll(second);
    const update1 = api.calls.find((c) => c.key?.endsWith(':update:1'))!.body as UpdateBody;
    expect(update1).toMatchObject({ impact: 'partial' });
    expect(Date.parse(update1.at)).toBe(decidedAt);
  });

  it('says the same facts when reworded for another signer', async () => {
    const api = new FakeAuthority();
    const who = { email: 'sara@moh.example.sa' };
    const h = await harness({ api, subject: () => who.email });
    h.team();
    await h.down('partial');
    const entry = h.reportEntries()[0]!;
    api.failNext = new Error('connection reset');
    await expect(h.chain.sender.send(entry)).rejects.toThrow();
    const before = structuredClone(entry.body) as Record<string, unknown>;
    await h.still('total');
    h.clock.jump(HOUR);
    who.email = ALTERNATE.email;
    await h.chain.sender.send(entry);
    const after = entry.body as Record<string, unknown>;
    expect(after['submitted_by']).toMatchObject({ email: ALTERNATE.email });
    expect({ ...after, submitted_by: null }).toEqual({ ...before, submitted_by: null });
  });
});

describe('the final report', () => {
  it('shows in its timeline when the report was filed and when the authority acknowledged it', async () => {
    const api = new FakeAuthority();
    const h = await harness({ api });
    h.team();
    await h.down('total');
    const id = h.incident().id;
    h.clock.jump(2 * MINUTE);
    await sendAll(h);
    const filedAt = h.clock.now();
    const rec = h.record(id)!;
    h.clock.jump(7 * MINUTE);
    const ackAt = h.clock.now();
    api.copies.set(rec.reportId!, { status: 'received', acknowledged_at: new Date(ackAt).toISOString() } as Partial<Report>);
    await h.chain.followUp.pollAll();
    expect(h.record(id)!.acknowledgedAt).toBe(ackAt);
    h.clock.jump(30 * MINUTE);
    await h.up();
    await h.filing.finalize(id, { taken: { ar: 'أُعيد تشغيل الخوادم', en: 'Restarted the servers' } });
    await sendAll(h);
    const final = finalReportBody.parse(api.calls.find((c) => c.op === 'final_report')!.body) as FinalReportBody;
    const at = (en: string) => final.timeline.filter((e) => e.event.en.includes(en)).map((e) => Date.parse(e.at));
    expect(at('Report filed')).toEqual([filedAt]);
    expect(at('acknowledged')).toEqual([ackAt]);
  });
});
