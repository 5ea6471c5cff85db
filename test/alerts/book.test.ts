/**
 * The alert book: what Alertmanager sends is merged so that repeats, cluster duplicates and late
 * retries change nothing they should not, it survives a restart, and a silence expires.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlertBook } from '../../agent/alerts/book.js';
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

async function setup(dir?: string) {
  const dataDir = dir ?? (await tempDir());
  const store = await openJsonStore({ dataDir, log, coalesceMs: 5 });
  stores.push(store);
  const clock = new ManualClock(T0 + MIN);
  const book = new AlertBook(store, clock, () => [listens]);
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

  it('does not let a late retry of a firing delivery reopen an alert already resolved', async () => {
    const { book, firing } = await setup();
    book.receive([alert('firing')]);
    book.receive([alert('resolved')]);
    expect(book.receive([alert('firing')])).toMatchObject({ stale: 1, moved: [] });
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

  it('keeps only alerts some alert check listens for', async () => {
    const { book, store } = await setup();
    const other = alert('firing', T0, { fingerprint: 'f2', labels: { alertname: 'DiskFull', job: 'node' } });
    expect(book.receive([other, alert('firing')])).toMatchObject({ matched: 1, changed: 1 });
    expect(Object.keys(store.data.alerts ?? {})).toEqual(['f1']);
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
