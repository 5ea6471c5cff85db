/**
 * The alert book: what Alertmanager sends is merged by time so that repeats, cluster duplicates
 * and late retries change nothing they should not, it survives a restart (whose downtime is not
 * silence), a silence expires, and a silent watchdog says the alerts cannot be trusted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlertBook, LATE_RETRY_MS, type Watchdog } from '../../agent/alerts/book.js';
import { compileMatchers } from '../../agent/alerts/matchers.js';
import type { DeliveredAlert } from '../../agent/alerts/payload.js';
import { createLogger } from '../../agent/log.js';
import { openJsonStore, type JsonStore } from '../../agent/store/json-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/tmp.js';

const log = createLogger({ level: 'silent' });
const stores: JsonStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const listens = compileMatchers(['job="blackbox"']);
const T0 = Date.UTC(2026, 11, 8, 3, 0, 0);
const MIN = 60_000;

function alert(status: DeliveredAlert['status'], startsAt = T0, extra: Partial<DeliveredAlert> = {}): DeliveredAlert {
  return {
    fingerprint: 'f1',
    status,
    labels: { alertname: 'ProbeFailed', job: 'blackbox', instance: 'https://a.example' },
    annotations: {},
    startsAt,
    ...(status === 'resolved' ? { endsAt: startsAt + 5 * MIN } : {}),
    ...extra,
  };
}

async function setup(dir?: string, start = T0 + MIN, watchdog?: Watchdog) {
  const dataDir = dir ?? (await tempDir());
  const store = await openJsonStore({ dataDir, log, coalesceMs: 5 });
  stores.push(store);
  const clock = new ManualClock(start);
  const book = new AlertBook(
    store,
    clock,
    () => [listens],
    () => watchdog,
  );
  const firing = () => book.firing(listens, 4.5 * 60 * MIN, clock.now()).firing.map((a) => a.fingerprint);
  return { dataDir, store, clock, book, firing };
}

describe('the alert book', () => {
  it('keeps a firing alert until its resolution arrives, and ignores repeats and duplicates', async () => {
    const { book, firing } = await setup();
    expect(book.receive([alert('firing')]).moved).toHaveLength(1);
    expect(firing()).toEqual(['f1']);
    const again = book.receive([alert('firing'), alert('firing')]); // a repeat, and a second Alertmanager of the cluster
    expect(again.moved).toHaveLength(0);
    expect(firing()).toEqual(['f1']);
    expect(book.receive([alert('resolved')]).moved).toHaveLength(1);
    expect(firing()).toEqual([]);
    expect(book.receive([alert('resolved')])).toMatchObject({ changed: 0, moved: [] });
  });

  it('does not let a retry of a firing delivery just after the resolution reopen the alert', async () => {
    const { book, firing, clock } = await setup();
    book.receive([alert('firing')]);
    book.receive([alert('resolved')]);
    await clock.advance(LATE_RETRY_MS / 2);
    expect(book.receive([alert('firing')])).toMatchObject({ stale: 1, moved: [] });
    expect(firing()).toEqual([]);
  });

  it('reopens an episode that fires again with its old start once the resolution is past retries', async () => {
    // Alertmanager resolves an alert Prometheus stopped sending (a cut between them), then takes it
    // back, with its first start, when Prometheus reaches it again.
    const { book, firing, clock } = await setup();
    book.receive([alert('firing')]);
    book.receive([alert('resolved')]);
    await clock.advance(LATE_RETRY_MS + 1);
    expect(book.receive([alert('firing')]).moved).toHaveLength(1);
    expect(firing()).toEqual(['f1']);
  });

  it('merges the copies of a cluster that disagree on the start: the earliest is kept, and a resolution after it ends it', async () => {
    const { book, firing, clock, store } = await setup();
    book.receive([alert('firing', T0 + 2 * MIN)]);
    await clock.advance(30 * MIN);
    expect(book.receive([alert('firing', T0)])).toMatchObject({ stale: 0, moved: [] }); // the peer that fired first
    expect(store.data.alerts!['f1']).toMatchObject({ startsAt: T0, receivedAt: clock.now() });
    expect(book.receive([alert('resolved', T0 + 2 * MIN)]).moved).toHaveLength(1);
    expect(firing()).toEqual([]);
  });

  it('takes a resolution that arrives before the firing it ends, and then the firing is stale', async () => {
    const { book, firing } = await setup();
    book.receive([alert('resolved')]);
    expect(book.receive([alert('firing')])).toMatchObject({ stale: 1 });
    expect(firing()).toEqual([]);
  });

  it('opens a new episode when the same alert fires again later, and ignores the older one after it', async () => {
    const { book, firing } = await setup();
    book.receive([alert('firing')]);
    book.receive([alert('resolved')]);
    expect(book.receive([alert('firing', T0 + 30 * MIN)]).moved).toHaveLength(1);
    expect(firing()).toEqual(['f1']);
    expect(book.receive([alert('resolved', T0)])).toMatchObject({ stale: 1 }); // the first episode's resolution, sent again
    expect(firing()).toEqual(['f1']);
  });

  it('keeps only alerts some alert check listens for, but follows one it keeps to its resolution', async () => {
    const { book, store } = await setup();
    const other = alert('firing', T0, { fingerprint: 'f2', labels: { alertname: 'DiskFull', job: 'node' } });
    expect(book.receive([other, alert('firing')])).toMatchObject({ matched: 1, changed: 1 });
    expect(Object.keys(store.data.alerts ?? {})).toEqual(['f1']);
    const renamed = { labels: { alertname: 'ProbeFailed', job: 'blackbox-old' } }; // the check's matchers were edited meanwhile
    expect(book.receive([alert('resolved', T0, renamed)])).toMatchObject({ matched: 1, moved: [{ status: 'resolved' }] });
  });

  it('counts a firing alert as ended once it has not been sent again for expire_after, and a repeat renews it', async () => {
    const { book, clock } = await setup();
    book.receive([alert('firing')]);
    await clock.advance(60 * MIN);
    book.receive([alert('firing')]); // Alertmanager's repeat_interval
    await clock.advance(90 * MIN);
    expect(book.firing(listens, 2 * 60 * MIN, clock.now())).toMatchObject({ firing: [{ fingerprint: 'f1' }], expired: [] });
    await clock.advance(31 * MIN);
    expect(book.firing(listens, 2 * 60 * MIN, clock.now())).toMatchObject({ firing: [], expired: [{ fingerprint: 'f1' }] });
  });

  it("does not count the agent's own downtime as silence", async () => {
    const first = await setup();
    first.book.receive([alert('firing')]);
    await first.store.close();
    stores.splice(stores.indexOf(first.store), 1);
    const later = await setup(first.dataDir, T0 + MIN + 5 * 3600_000); // down for 5 hours, past expire_after
    expect(later.firing()).toEqual(['f1']);
    await later.clock.advance(4.5 * 60 * MIN + 1);
    expect(later.firing()).toEqual([]);
  });

  it('hears the alerts while the watchdog fires, and not once it has fallen silent', async () => {
    const watchdog = { matchers: compileMatchers(['alertname="Watchdog"']), expireAfterMs: 15 * MIN };
    const { book, clock } = await setup(undefined, T0, watchdog);
    expect(book.heard(clock.now())).toBe(true); // just started: it has not had the time to arrive
    await clock.advance(16 * MIN);
    expect(book.heard(clock.now())).toBe(false);
    book.receive([alert('firing', T0, { fingerprint: 'w', labels: { alertname: 'Watchdog' } })]);
    expect(book.heard(clock.now())).toBe(true);
    await clock.advance(16 * MIN);
    expect(book.heard(clock.now())).toBe(false);
  });

  it('survives a restart: a firing alert is still firing, and a late retry after it is still stale', async () => {
    const first = await setup();
    first.book.receive([alert('firing', T0, { fingerprint: 'up' }), alert('firing', T0, { fingerprint: 'done' })]);
    first.book.receive([alert('resolved', T0, { fingerprint: 'done' })]);
    await first.store.flush();
    await first.store.close();
    stores.splice(stores.indexOf(first.store), 1);
    const second = await setup(first.dataDir);
    expect(second.firing()).toEqual(['up']);
    expect(second.book.receive([alert('firing', T0, { fingerprint: 'done' })])).toMatchObject({ stale: 1 });
  });
});
