/**
 * Flapping and dependencies in the incident tracker: a service that keeps going down and up gets
 * one incident, reported as intermittent; a service that fails because one it depends on is down
 * joins that service's incident instead of opening its own.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceState } from '../../agent/detect/service-state.js';
import { IncidentTracker, type IncidentEvent, type ServicePolicy } from '../../agent/incidents/tracker.js';
import { createLogger } from '../../agent/log.js';
import { Metrics } from '../../agent/metrics/metrics.js';
import { openJsonStore, type JsonStore } from '../../agent/store/json-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = 60_000;
const log = createLogger({ level: 'silent' });
const stores: JsonStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function setup(dependsOn: Record<string, string[]> = {}) {
  const store = await openJsonStore({ dataDir: await tempDir(), log });
  stores.push(store);
  const clock = new ManualClock();
  const states = new Map<string, ServiceState>();
  const registry = new Registry();
  const metrics = new Metrics(registry, { version: 't' });
  const policy: ServicePolicy = {
    flapping: () => ({ changes: 4, window: 30 * MIN }),
    dependsOn: (id) => dependsOn[id] ?? [],
    name: (id) => ({ ar: `خدمة ${id}`, en: `Service ${id}` }),
  };
  const tracker = new IncidentTracker({ store, metrics, clock, log, policy });
  const events: IncidentEvent[] = [];
  tracker.onEvent((e) => events.push(e));
  /** The service becomes `to` now (after `afterMs`). */
  const go = async (service: string, to: ServiceState, afterMs = MIN) => {
    clock.jump(afterMs);
    const from = states.get(service) ?? 'UP';
    states.set(service, to);
    tracker.serviceChanged({
      serviceId: service,
      from,
      to,
      at: clock.now(),
      impact: to === 'DOWN' ? 'total' : undefined,
      failing: to === 'DOWN' ? ['portal'] : [],
      evidence: [],
    });
    await tracker.settled();
  };
  const flapping = async (service: string) =>
    (await registry.getSingleMetric('raqib_service_flapping')!.get()).values.find((v) => v.labels['service'] === service)?.value;
  return { tracker, events, go, clock, store, flapping, metrics };
}

describe('flapping', () => {
  it('keeps one incident open once a service changes state more than four times in the window', async () => {
    const t = await setup();
    t.metrics.addService('web', 'UP', 0, 99.5);
    for (let i = 0; i < 5; i++) {
      await t.go('web', 'DOWN');
      await t.go('web', 'UP');
    }
    // Changes 1–4 are two ordinary outages; the fifth (down again) reopens the second as intermittent,
    // and from then on it stays open: two incidents in all, however long it flaps.
    const ids = [...new Set(t.events.map((e) => e.incident.id))];
    expect(ids).toHaveLength(2);
    const inc = t.tracker.openFor('web')!;
    expect(inc.id).toBe(ids[1]);
    expect(t.events.filter((e) => e.type === 'opened')).toHaveLength(2);
    expect(inc.flapping).toMatchObject({ changes: expect.any(Number) });
    expect(inc.flapping!.changes).toBeGreaterThan(4);
    expect(await t.flapping('web')).toBe(1);
  });

  it('closes the intermittent incident once the service has been stable for a whole window', async () => {
    const t = await setup();
    t.metrics.addService('web', 'UP', 0, 99.5);
    for (let i = 0; i < 3; i++) {
      await t.go('web', 'DOWN');
      await t.go('web', 'UP');
    }
    const inc = t.tracker.openFor('web')!;
    expect(inc.flapping).toBeDefined();
    const lastChange = t.clock.now();
    t.clock.jump(29 * MIN);
    expect(t.tracker.tick(t.clock.now())).toEqual([]);
    t.clock.jump(2 * MIN);
    const [closed] = t.tracker.tick(t.clock.now());
    expect(closed).toMatchObject({ type: 'closed', incident: { id: inc.id, resolution: 'recovered', endedAt: lastChange } });
    expect(await t.flapping('web')).toBe(0);
  });

  it('does not close an intermittent incident while the service is down', async () => {
    const t = await setup();
    for (let i = 0; i < 3; i++) {
      await t.go('web', 'DOWN');
      await t.go('web', 'UP');
    }
    await t.go('web', 'DOWN');
    t.clock.jump(60 * MIN);
    expect(t.tracker.tick(t.clock.now())).toEqual([]);
    expect(t.tracker.openFor('web')).toBeDefined();
  });

  it('treats changes spread wider than the window as separate outages', async () => {
    const t = await setup();
    for (let i = 0; i < 5; i++) {
      await t.go('web', 'DOWN', 20 * MIN);
      await t.go('web', 'UP', 20 * MIN);
    }
    expect(t.events.filter((e) => e.type === 'opened')).toHaveLength(5);
    expect(t.tracker.openFor('web')).toBeUndefined();
  });
});

describe('dependencies', () => {
  it('rolls a dependent failure into the incident of the service it depends on', async () => {
    const t = await setup({ appointments: ['nafath'] });
    await t.go('nafath', 'DOWN');
    await t.go('appointments', 'DOWN');
    expect(t.events.map((e) => [e.type, e.incident.serviceId])).toEqual([
      ['opened', 'nafath'],
      ['changed', 'nafath'],
    ]);
    expect(t.tracker.openFor('appointments')).toBeUndefined();
    expect(t.tracker.openFor('nafath')!.affected).toEqual([
      { serviceId: 'appointments', name: { ar: 'خدمة appointments', en: 'Service appointments' }, since: expect.any(Number) },
    ]);
  });

  it('gives a dependent its own incident when it is still down after its dependency is back', async () => {
    const t = await setup({ appointments: ['nafath'] });
    await t.go('nafath', 'DOWN');
    await t.go('appointments', 'DOWN');
    const since = t.tracker.openFor('nafath')!.affected![0]!.since;
    await t.go('nafath', 'UP');
    const own = t.tracker.openFor('appointments');
    expect(own).toMatchObject({ serviceId: 'appointments', startedAt: since });
    expect(t.events.map((e) => [e.type, e.incident.serviceId])).toEqual([
      ['opened', 'nafath'],
      ['changed', 'nafath'],
      ['closed', 'nafath'],
      ['opened', 'appointments'],
    ]);
  });

  it('records when a dependent is serving again, and opens nothing for it', async () => {
    const t = await setup({ appointments: ['nafath'] });
    await t.go('nafath', 'DOWN');
    await t.go('appointments', 'DOWN');
    await t.go('appointments', 'UP');
    await t.go('nafath', 'UP');
    expect(t.events.filter((e) => e.type === 'opened').map((e) => e.incident.serviceId)).toEqual(['nafath']);
    const closed = t.events.at(-1)!.incident;
    expect(closed.affected![0]!.until).toBeDefined();
  });

  it('follows dependencies through a service that already joined an incident', async () => {
    const t = await setup({ gateway: ['nafath'], appointments: ['gateway'] });
    await t.go('nafath', 'DOWN');
    await t.go('gateway', 'DOWN');
    await t.go('appointments', 'DOWN');
    expect(t.tracker.open().map((i) => i.serviceId)).toEqual(['nafath']);
    expect(t.tracker.openFor('nafath')!.affected!.map((a) => a.serviceId)).toEqual(['gateway', 'appointments']);
  });
});

describe('bounds', () => {
  it('keeps the opening entry and the latest 999 of a timeline that flaps for days', async () => {
    const t = await setup();
    for (let i = 0; i < 700; i++) {
      await t.go('web', 'DOWN', 1_000);
      await t.go('web', 'UP', 1_000);
    }
    const inc = t.tracker.openFor('web')!;
    expect(inc.timeline).toHaveLength(1_000);
    expect(inc.timeline[0]!.state).toBe('DOWN');
    expect(inc.timeline.at(-1)!.at).toBe(t.clock.now());
  });
});
