/**
 * What listeners hear: each incident event carries a copy of the incident as it was at that
 * change, heard once durable; a listener that subscribes late with `replay` first hears every
 * incident the store holds.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { IncidentTracker, type IncidentEvent, type ServiceChange } from '../../agent/incidents/tracker.js';
import { createLogger } from '../../agent/log.js';
import { Metrics } from '../../agent/metrics/metrics.js';
import { openJsonStore, type JsonStore } from '../../agent/store/json-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/tmp.js';

const log = createLogger({ level: 'silent' });
const stores: JsonStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function setup(dataDir?: string) {
  const dir = dataDir ?? (await tempDir());
  const store = await openJsonStore({ dataDir: dir, log, coalesceMs: 5 });
  stores.push(store);
  const clock = new ManualClock();
  const tracker = new IncidentTracker({ store, metrics: new Metrics(new Registry(), { version: 't' }), clock, log });
  const change = (to: ServiceChange['to'], impact?: ServiceChange['impact'], from: ServiceChange['from'] = 'DOWN'): ServiceChange => ({
    serviceId: 'web',
    from,
    to,
    at: clock.now(),
    impact,
    failing: to === 'DOWN' ? ['portal'] : [],
    evidence: [],
  });
  return { dir, store, clock, tracker, change };
}

describe('incident events', () => {
  it('carry the incident as it was at each change, however fast the next change comes', async () => {
    const t = await setup();
    const heard: IncidentEvent[] = [];
    t.tracker.onEvent((e) => heard.push(e));
    t.tracker.serviceChanged(t.change('DOWN', 'total', 'UP'));
    t.clock.jump(1_000);
    t.tracker.serviceChanged(t.change('DOWN', 'partial'));
    t.clock.jump(1_000);
    t.tracker.serviceChanged(t.change('UP'));
    await t.tracker.settled();
    expect(heard.map((e) => [e.type, e.incident.impact, e.incident.status, e.incident.timeline.length])).toEqual([
      ['opened', 'total', 'open', 1],
      ['changed', 'partial', 'open', 2],
      ['closed', 'partial', 'closed', 3],
    ]);
    heard[0]!.incident.impact = 'degraded';
    expect(t.tracker.recent()[0]!.impact).toBe('partial'); // a listener's copy is its own
  });

  it('are replayed as present to a listener that asks, before anything new', async () => {
    const first = await setup();
    first.tracker.serviceChanged(first.change('DOWN', 'total', 'UP'));
    first.clock.jump(60_000);
    first.tracker.serviceChanged(first.change('UP'));
    first.clock.jump(60_000);
    first.tracker.serviceChanged(first.change('DOWN', 'partial', 'UP'));
    await first.tracker.settled();
    const dir = first.dir;
    await first.store.close();
    stores.splice(stores.indexOf(first.store), 1);

    const second = await setup(dir);
    const heard: IncidentEvent[] = [];
    second.tracker.onEvent((e) => heard.push(e), { replay: true });
    second.tracker.serviceChanged(second.change('DOWN', 'total'));
    await second.tracker.settled();
    expect(heard.map((e) => [e.type, e.incident.status, e.incident.impact])).toEqual([
      ['present', 'closed', 'total'],
      ['present', 'open', 'partial'],
      ['changed', 'open', 'total'],
    ]);
  });
});
