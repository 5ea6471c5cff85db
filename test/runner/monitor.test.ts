import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { IncidentTracker, type IncidentEvent } from '../../agent/incidents/tracker.js';
import { createLogger } from '../../agent/log.js';
import { Metrics } from '../../agent/metrics/metrics.js';
import type { ProbeRunner } from '../../agent/probes/registry.js';
import type { ProbeResult, ProbeStatus } from '../../agent/probes/types.js';
import { Monitor } from '../../agent/runner/monitor.js';
import { Scheduler } from '../../agent/schedule/scheduler.js';
import { openJsonStore } from '../../agent/store/json-store.js';
import { loadedConfig } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/tmp.js';

const log = createLogger({ level: 'silent' });

/**
 * A monitor on a manual clock whose probes answer from a script: `outcome[key]` says what each
 * check sees now. Everything else (scheduler, state machine, store, metrics) is the real thing.
 */
async function setup(dataDir?: string) {
  const dir = dataDir ?? (await tempDir());
  const clock = new ManualClock();
  const outcome: Record<string, ProbeStatus> = {};
  const probe: ProbeRunner = async (check, _ctx) => {
    const key = `web/${check.id}`;
    const status = outcome[key] ?? 'up';
    const r: ProbeResult = { status, code: status === 'up' ? 'OK' : 'HTTP_STATUS', detail: `${key} ${status}`, phases: { total: 5 }, observedAt: clock.now() };
    return r;
  };
  const loaded = loadedConfig(
    [
      {
        id: 'web',
        checks: [
          { id: 'portal', type: 'http', url: 'http://127.0.0.1:1/', interval: '30s', timeout: '5s' },
          { id: 'port', type: 'tcp', host: '127.0.0.1', port: 1, interval: '30s', timeout: '5s', critical: false },
        ],
      },
    ],
    { data_dir: dir },
  );
  const store = await openJsonStore({ dataDir: dir, log });
  const registry = new Registry();
  const metrics = new Metrics(registry, { version: 'test' });
  const tracker = new IncidentTracker({ store, metrics, clock, log });
  const events: IncidentEvent[] = [];
  tracker.onEvent((e) => events.push(e));
  const monitor = new Monitor({ agentId: 'test-agent', store, metrics, clock, log, probe, tracker });
  const scheduler = new Scheduler({ clock, log, maxConcurrency: 10, timezone: 'Asia/Riyadh', run: (k, i) => monitor.run(k, i) });
  monitor.attach(scheduler);
  monitor.apply(loaded);
  scheduler.start();
  const metric = async (name: string, labels: Record<string, string>) => {
    const m = (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
    return m?.value;
  };
  /** Advance the clock, then wait until incident events are durable and delivered. */
  const advance = async (ms: number) => {
    await clock.advance(ms);
    await tracker.settled();
  };
  return { clock, advance, outcome, monitor, tracker, events, store, scheduler, metric, dir, loaded };
}

describe('monitor: from probe results to incidents', () => {
  it('confirms an outage with quick re-probes and opens one incident dated from the first failure', async () => {
    const t = await setup();
    await t.advance(60_000); // both checks up
    expect(t.monitor.services.get('web')!.state).toBe('UP');
    t.outcome['web/portal'] = 'down';
    const failedAt = t.clock.now();
    await t.advance(60_000); // first failure at the next slot, then re-probes every 10 s (interval/3)
    const incidents = t.events.filter((e) => e.type === 'opened');
    expect(incidents).toHaveLength(1);
    const inc = incidents[0]!.incident;
    expect(inc.serviceId).toBe('web');
    expect(inc.checks).toEqual(['portal']);
    expect(inc.impact).toBe('total');
    expect(inc.startedAt).toBeGreaterThanOrEqual(failedAt);
    expect(inc.detectedAt - inc.startedAt).toBeLessThanOrEqual(20_000 + 1);
    expect(inc.evidence.map((e) => [e.check, e.status, e.agentId])).toEqual([
      ['portal', 'down', 'test-agent'],
      ['port', 'up', 'test-agent'],
    ]);
    expect(await t.metric('raqib_incidents_open', { service: 'web' })).toBe(1);
    expect(await t.metric('raqib_service_state', { service: 'web', state: 'DOWN' })).toBe(1);
    expect(await t.metric('raqib_service_up', { service: 'web' })).toBe(0);
  });

  it('closes the incident after two good probes, dated from the first one', async () => {
    const t = await setup();
    t.outcome['web/portal'] = 'down';
    await t.advance(120_000);
    t.outcome['web/portal'] = 'up';
    const recoveredAfter = t.clock.now();
    await t.advance(90_000);
    const closed = t.events.filter((e) => e.type === 'closed');
    expect(closed).toHaveLength(1);
    expect(closed[0]!.incident.resolution).toBe('recovered');
    expect(closed[0]!.incident.endedAt).toBeGreaterThanOrEqual(recoveredAfter);
    expect(closed[0]!.incident.timeline.map((e) => e.state)).toEqual(['DOWN', 'UP']);
    expect(await t.metric('raqib_incidents_open', { service: 'web' })).toBe(0);
    expect(await t.metric('raqib_incidents_total', { service: 'web' })).toBe(1);
  });

  it('only degrades the service when a non-critical check fails, and opens no incident', async () => {
    const t = await setup();
    t.outcome['web/port'] = 'down';
    await t.advance(120_000);
    expect(t.monitor.services.get('web')!.state).toBe('DEGRADED');
    expect(t.events).toEqual([]);
  });

  it('records a change of impact in the open incident timeline', async () => {
    const t = await setup();
    t.outcome['web/portal'] = 'down';
    await t.advance(120_000);
    t.outcome['web/port'] = 'down';
    await t.advance(120_000);
    const inc = t.tracker.open()[0]!;
    expect(inc.checks).toEqual(['portal', 'port']);
    expect(t.events.map((e) => e.type)).toEqual(['opened', 'changed']);
  });

  it('keeps check states and the open incident across a restart without opening another', async () => {
    const t = await setup();
    t.outcome['web/portal'] = 'down';
    await t.advance(120_000);
    await t.scheduler.stop();
    await t.store.close();
    const again = await setup(t.dir);
    again.outcome['web/portal'] = 'down';
    await again.advance(120_000);
    expect(again.monitor.checkState('web/portal')).toBe('DOWN');
    expect(again.events).toEqual([]);
    expect(again.tracker.open()).toHaveLength(1);
    again.outcome['web/portal'] = 'up';
    await again.advance(120_000);
    expect(again.events.map((e) => e.type)).toEqual(['closed']);
  });

  it('keeps the last 100 results of each check in memory only', async () => {
    const t = await setup();
    await t.advance(30_000 * 150);
    const history = t.monitor.checks.get('web/portal')!.history;
    expect(history.length).toBe(100);
    const entries = history.toArray();
    expect(entries).toHaveLength(100);
    // Oldest first, and the newest is the last result.
    expect(entries.map((e) => e.observedAt)).toEqual([...entries.map((e) => e.observedAt)].sort((a, b) => a - b));
    expect(entries.at(-1)).toEqual({ status: 'up', code: 'OK', observedAt: t.monitor.checks.get('web/portal')!.last!.observedAt, ms: 5 });
  });

  it('keeps the detail of failures only in the history', async () => {
    const t = await setup();
    await t.advance(30_000);
    t.outcome['web/portal'] = 'down';
    await t.advance(30_000);
    const entries = t.monitor.checks.get('web/portal')!.history.toArray();
    expect(entries[0]).toEqual({ status: 'up', code: 'OK', observedAt: entries[0]!.observedAt, ms: 5 });
    expect(entries[0]).not.toHaveProperty('detail');
    expect(entries.at(-1)).toMatchObject({ status: 'down', code: 'HTTP_STATUS', detail: 'web/portal down', ms: 5 });
  });
});

describe('monitor: how incidents open and close', () => {
  it('closes the incident when the service is serving again, even if still degraded', async () => {
    const t = await setup();
    t.outcome['web/portal'] = 'down';
    await t.advance(120_000);
    t.outcome['web/portal'] = 'degraded';
    await t.advance(120_000);
    expect(t.monitor.services.get('web')!.state).toBe('DEGRADED');
    expect(t.events.map((e) => e.type)).toEqual(['opened', 'closed']);
    const closed = t.events[1]!.incident;
    expect(closed.resolution).toBe('recovered');
    expect(closed.evidence.find((e) => e.check === 'portal')!.status).toBe('down'); // why it was down survives the close
    expect(closed.recoveryEvidence!.find((e) => e.check === 'portal')!.status).toBe('degraded');
  });

  it('closes as unmonitored an incident whose service was removed while the agent was stopped, and forgets its checks', async () => {
    const t = await setup();
    t.outcome['web/portal'] = 'down';
    await t.advance(120_000);
    await t.scheduler.stop();
    await t.store.close();
    const { IncidentTracker } = await import('../../agent/incidents/tracker.js');
    const store = await openJsonStore({ dataDir: t.dir, log });
    const metrics = new Metrics(new Registry(), { version: 'test' });
    const clock = new ManualClock();
    const tracker = new IncidentTracker({ store, metrics, clock, log });
    const monitor = new Monitor({
      agentId: 'a',
      store,
      metrics,
      clock,
      log,
      probe: async () => ({ status: 'up', code: 'OK', detail: '', phases: { total: 1 }, observedAt: 0 }),
      tracker,
    });
    monitor.apply(loadedConfig([{ id: 'other', checks: [{ id: 'x', type: 'tcp', host: '127.0.0.1', port: 1 }] }], { data_dir: t.dir }));
    await tracker.settled();
    expect(tracker.open()).toEqual([]);
    expect(tracker.recent()[0]).toMatchObject({ serviceId: 'web', resolution: 'unmonitored' });
    expect(Object.keys(store.data.checks)).toEqual([]);
    await store.close();
  });

  it.each(['degraded', 'up'] as const)(
    'closes as unmonitored, not recovered, an incident whose only failing critical check a reload removes (the rest %s)',
    async (rest) => {
      const t = await setup();
      t.outcome['web/portal'] = 'down';
      t.outcome['web/port'] = rest;
      await t.advance(120_000);
      expect(t.tracker.openFor('web')).toBeDefined();
      t.monitor.apply(
        loadedConfig([{ id: 'web', checks: [{ id: 'port', type: 'tcp', host: '127.0.0.1', port: 1, interval: '30s', timeout: '5s', critical: false }] }], {
          data_dir: t.dir,
        }),
      );
      await t.tracker.settled();
      expect(t.events.map((e) => e.type)).toEqual(['opened', 'closed']);
      expect(t.events[1]!.incident.resolution).toBe('unmonitored');
      await t.scheduler.stop();
      await t.store.close();
    },
  );

  it('keeps a flapping incident open through a restart in its quiet time, instead of calling it unmonitored', async () => {
    const t = await setup();
    t.outcome['web/portal'] = 'down';
    await t.advance(120_000);
    const inc = t.tracker.openFor('web')!;
    // In a flapping incident's quiet time the service serves while the incident stays open.
    t.store.update((d) => {
      inc.flapping = { since: inc.startedAt, changes: 5 };
      inc.timeline.push({ at: t.clock.now(), state: 'UP', checks: [] });
      d.checks['web/portal'] = { state: 'UP', since: t.clock.now() };
    });
    await t.scheduler.stop();
    await t.store.close();
    const store = await openJsonStore({ dataDir: t.dir, log });
    const clock = new ManualClock();
    const tracker = new IncidentTracker({ store, metrics: new Metrics(new Registry(), { version: 'test' }), clock, log });
    const events: IncidentEvent[] = [];
    tracker.onEvent((e) => events.push(e));
    const monitor = new Monitor({
      agentId: 'a',
      store,
      metrics: new Metrics(new Registry(), { version: 'test' }),
      clock,
      log,
      probe: async () => ({ status: 'up', code: 'OK', detail: '', phases: { total: 1 }, observedAt: 0 }),
      tracker,
    });
    monitor.apply(t.loaded);
    await tracker.settled();
    expect(events).toEqual([]);
    expect(tracker.openFor('web')).toMatchObject({ id: inc.id, status: 'open' });
    await store.close();
  });

  it('confirms an outage of timeouts within interval/3 × 2 of the first failing run, without counting skips', async () => {
    const dir = await tempDir();
    const clock = new ManualClock();
    // Every probe takes its full 10 s timeout, as a hung server makes it.
    const probe: ProbeRunner = (_check, ctx) =>
      new Promise((resolve) => {
        const started = clock.now();
        ctx.signal.addEventListener('abort', () =>
          resolve({ status: 'down', code: 'TIMEOUT', detail: 'hung', phases: { total: 10_000 }, observedAt: started }),
        );
      });
    const store = await openJsonStore({ dataDir: dir, log });
    const registry = new Registry();
    const metrics = new Metrics(registry, { version: 'test' });
    const tracker = new IncidentTracker({ store, metrics, clock, log });
    const monitor = new Monitor({ agentId: 'a', store, metrics, clock, log, probe, tracker });
    const skips: string[] = [];
    const scheduler = new Scheduler({
      clock,
      log,
      maxConcurrency: 10,
      timezone: 'Asia/Riyadh',
      run: (k, i) => monitor.run(k, i),
      onSkip: (_k, r) => skips.push(r),
    });
    monitor.attach(scheduler);
    monitor.apply(loadedConfig([{ id: 'web', checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:1/' }] }], { data_dir: dir }));
    scheduler.start();
    await clock.advance(120_000);
    await tracker.settled();
    const inc = tracker.open()[0]!;
    // Runs start at t0, t0+10 s and t0+20 s (each re-probe due 10 s after the previous run began,
    // which is when the timeout ends it); the third failure, at t0+30 s, confirms the outage.
    expect(inc.detectedAt - inc.startedAt).toBe(30_000);
    monitor.abortAll(new Error('test over'));
    await scheduler.stop();
    await store.close();
    expect(skips).toEqual([]);
  });
});
