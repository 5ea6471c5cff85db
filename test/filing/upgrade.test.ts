/**
 * A state file written by raqib 0.1.0 (test/fixtures/state/written-by-0.1.0.json: an open outage
 * with its report and an update still queued, a closed one whose restoration is queued) loads,
 * and what it queued is sent once, worded from the facts frozen at start.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finalReportBody, reportBody, updateBody } from '../../agent/authority/contract.js';
import { FakeAuthority, harnessPerTest, HOUR } from '../helpers/chain.js';
import { tempDir } from '../helpers/tmp.js';

const harness = harnessPerTest();
const SERVICES = [
  { id: 'appointments', beneficiaries_per_day: 48000, checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:1/health' }] },
  { id: 'records', beneficiaries_per_day: 1000, checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:1/r' }] },
];

async function fromFixture() {
  const dir = await tempDir('raqib-upgrade-');
  await copyFile(join(import.meta.dirname, '../fixtures/state/written-by-0.1.0.json'), join(dir, 'state.json'));
  const api = new FakeAuthority();
  const h = await harness({ dir, services: SERVICES, api });
  await h.settled();
  return { h, api };
}

describe('a state file written by raqib 0.1.0', () => {
  it('loads, and every call it queued carries frozen facts instead of a build spec before anything is sent', async () => {
    const { h } = await fromFixture();
    const pending = h.reportEntries();
    expect(pending.map((e) => [e.summary, e.facts?.what.kind])).toEqual([
      ['report', 'report'],
      ['update 1 (impact_changed)', 'ongoing'],
      ['restoration', 'restored'],
    ]);
    for (const e of pending) expect(e).not.toHaveProperty('build');
    expect(h.record('records-20261128T090500Z')!.closedIncident).toMatchObject({ status: 'closed', resolution: 'recovered' });
  });

  it('sends what it queued once, as valid bodies, and files the final report of the closed outage at its deadline', async () => {
    const { h, api } = await fromFixture();
    h.team();
    for (const e of h.reportEntries()) {
      const answer = await h.chain.sender.send(e);
      h.store.update((d) => (d.outbox = d.outbox.filter((x) => x !== e)));
      h.chain.answers.delivered(e, answer);
    }
    expect(api.calls.map((c) => c.key)).toEqual([
      'raqib:MOH:appointments-20261128T090000Z:report',
      'raqib:MOH:appointments-20261128T090000Z:update:1',
      'raqib:MOH:records-20261128T090500Z:restored',
    ]);
    expect(() => reportBody.parse(api.calls[0]!.body)).not.toThrow();
    expect(updateBody.parse(api.calls[1]!.body)).toMatchObject({ status: 'ongoing', impact: 'total' });
    expect(updateBody.parse(api.calls[2]!.body)).toMatchObject({ status: 'restored' });
    await h.tickAt(25 * HOUR);
    const final = h.reportEntries().find((e) => e.op === 'final_report')!;
    await h.chain.sender.send(final);
    expect(finalReportBody.parse(api.calls.at(-1)!.body).actions_pending).toBe(true);
  });
});
