/**
 * What filing decides across a restart, a switch of authority and a person's hand on a dead
 * letter: nothing heard is lost, nothing left with the old authority stands in for the new one.
 */
import { describe, expect, it } from 'vitest';
import { Ledger, KEEP_FINISHED } from '../../agent/ledger/ledger.js';
import { startWebhook } from '../helpers/webhook.js';
import { FakeAuthority, HOUR, MINUTE, harnessPerTest } from '../helpers/chain.js';

const harness = harnessPerTest();

describe('after a restart', () => {
  it('decides a change made durable but not heard before the crash (an update for the new impact)', async () => {
    const first = await harness();
    await first.down('total');
    const id = first.incident().id;
    await first.chain.stop(); // filing stops listening: the change below is durable, never heard
    await first.still('partial');
    await first.close();
    const second = await harness({ dir: first.dir, clock: first.clock });
    await second.settled();
    expect(second.keys()).toEqual([`raqib:MOH:${id}:report`, `raqib:MOH:${id}:update:1`]);
    expect(second.reportEntries()[1]!.facts!.what).toMatchObject({ kind: 'ongoing', reason: 'impact_changed', incident: { impact: 'partial' } });
  });

  it('sends nothing before what an older raqib queued has its facts', async () => {
    const first = await harness();
    await first.down('total');
    const entry = first.reportEntries()[0]!;
    first.store.update(() => {
      entry.build = { kind: 'report' };
      delete entry.facts; // as raqib 0.1 wrote it
    });
    await first.close();
    const api = new FakeAuthority();
    const sentWithoutFacts: string[] = [];
    const second = await harness({ dir: first.dir, clock: first.clock, api, deliver: true });
    second.team();
    api.onCall = () => {
      for (const e of second.reportEntries()) if (!e.facts) sentWithoutFacts.push(e.idempotencyKey);
    };
    second.outbox.nudge();
    for (let i = 0; i < 200 && api.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(api.ops()).toContain('create_report');
    expect(sentWithoutFacts).toEqual([]);
  });
});

describe('a switch of authority', () => {
  async function switched() {
    const first = await harness();
    await first.down('total');
    const id = first.incident().id;
    await first.close();
    const h = await harness({ dir: first.dir, clock: first.clock, start: false });
    h.chain.leaveAuthority('sandbox built-in', 'live https://dga.example');
    await h.chain.start({ deliver: false });
    await h.settled();
    const abandoned = h.reportEntries().find((e) => e.dead)!;
    return { h, id, abandoned };
  }

  it('files the open outage afresh, and its restoration, beside the letter left with the old authority', async () => {
    const { h, id, abandoned } = await switched();
    expect(abandoned.dead).toMatchObject({ abandoned: true });
    expect(
      h
        .reportEntries()
        .filter((e) => !e.dead)
        .map((e) => e.idempotencyKey),
    ).toEqual([`raqib:MOH:${id}:report`]);
    h.clock.jump(10 * MINUTE);
    await h.up();
    expect(
      h
        .reportEntries()
        .filter((e) => !e.dead)
        .map((e) => e.idempotencyKey),
    ).toEqual([`raqib:MOH:${id}:report`, `raqib:MOH:${id}:restored`]);
  });

  it('does not let a person dismissing the old letter stop the new report, nor send the old one again', async () => {
    const { h, id, abandoned } = await switched();
    expect(await h.chain.deadLetter(abandoned.seq, 'dismiss')).toBeDefined();
    expect(h.record(id)!.done).toBeUndefined();
    expect(h.reportEntries().map((e) => e.idempotencyKey)).toEqual([`raqib:MOH:${id}:report`]);
    const second = await switched();
    expect(await second.h.chain.deadLetter(second.abandoned.seq, 'retry')).toBeUndefined();
  });
});

describe('a refused report sent again', () => {
  it('catches up on the end of the outage it passed over while refused', async () => {
    const h = await harness();
    await h.down('total');
    const id = h.incident().id;
    const create = h.reportEntries()[0]!;
    h.store.update(() => (create.dead = { at: h.clock.now(), status: 400, reason: 'refused' }));
    h.clock.jump(10 * MINUTE);
    await h.up();
    expect(h.keys()).toEqual([`raqib:MOH:${id}:report`]); // refused: nothing more is decided
    await h.chain.deadLetter(create.seq, 'retry');
    expect(h.keys()).toEqual([`raqib:MOH:${id}:report`, `raqib:MOH:${id}:restored`]);
  });
});

describe('notifications', () => {
  it('never hold up a report: a webhook that never answers leaves filing unaffected', async () => {
    const hook = await startWebhook(() => 200);
    const hang = await import('node:http').then(({ createServer }) => createServer(() => undefined));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const port = (hang.address() as { port: number }).port;
    try {
      const api = new FakeAuthority();
      const h = await harness({
        api,
        deliver: true,
        notifications: Array.from({ length: 6 }, (_, i) => ({ id: `chat${i}`, type: 'webhook', url: `http://127.0.0.1:${port}/hook` })),
      });
      h.team();
      await h.down('total');
      for (let i = 0; i < 400 && !api.ops().includes('create_report'); i++) await new Promise((r) => setTimeout(r, 5));
      expect(api.ops()).toContain('create_report');
      expect(h.notifications().length).toBeGreaterThan(0); // still waiting on the hanging webhook
    } finally {
      hang.closeAllConnections();
      await new Promise<void>((r) => hang.close(() => r()));
      await hook.close();
    }
  });
});

describe('the ledger', () => {
  it('keeps at most KEEP_FINISHED finished reports, dropping the oldest, and no incident copy once finished', async () => {
    const h = await harness();
    await h.down('total');
    const incident = h.incident();
    const ledger = new Ledger(h.store);
    for (let i = 0; i < KEEP_FINISHED + 3; i++) {
      ledger.add({
        key: `r${i}`,
        kind: 'outage',
        type: 'own_service_outage',
        serviceId: 'appointments',
        keyStem: `raqib:MOH:r${i}`,
        statusHistory: [],
        queuedAt: i,
        updates: 0,
        finals: 0,
        guidance: [],
        closedIncident: incident,
      });
      const rec = ledger.get(`r${i}`)!;
      expect(rec.closedIncident).toBeDefined();
      ledger.finish(rec);
      expect(rec.closedIncident).toBeUndefined();
      ledger.followed(rec);
    }
    const keys = ledger
      .all()
      .filter((r) => r.done && r.followed)
      .map((r) => r.key);
    expect(keys).toHaveLength(KEEP_FINISHED);
    expect(keys).not.toContain('r0');
    expect(keys).toContain(`r${KEEP_FINISHED + 2}`);
    void HOUR;
  });
});
