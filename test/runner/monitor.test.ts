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
  const loaded = loadedConfig([
    {
      id: 'web',
      checks: [
        { id: 'portal', type: 'http', url: 'http://127.0.0.1:1/', interval: '30s', timeout: '5s' },
        { id: 'port', type: 'tcp', host: '127.0.0.1', port: 1, interval: '30s', timeout: '5s', critical: false },
      ],
    },
  ], { data_dir: dir });
  const store = await openJsonStore({ dataDir: dir, log });
  const registry = new Registry();
  const metrics = new Metrics(registry, { version: 'test' });
  const tracker = new IncidentTracker({ store, metrics, clock, log });
  const events: IncidentEvent[] = [];
  tracker.onEvent((e) => events.push(e));
  const monitor = new Monitor({ agentId: 'test-agent', store, metrics, clock, log, probe, tracker, shutdown: new AbortController().signal });
  const scheduler = new Scheduler({ clock, log, maxConcurrency: 10, timezone: 'Asia/Riyadh', run: (k, i) => monitor.run(k, i) });
  monitor.attach(scheduler);
  monitor.apply(loaded);
  scheduler.start();
  const metric = async (name: string, labels: Record<string, string>) => {
    const m = (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
    return m?.value;
  };
  return { clock, outcome, monitor, tracker, events, store, scheduler, metric, dir, loaded };
}

describe('monitor: from probe results to incidents', () => {
  it('confirms an outage with quick re-probes and opens one incident dated from the first failure', async () => {
    const t = await setup();
    await t.clock.advance(60_000); // both checks up
    expect(t.monitor.services.get('web')!.state).toBe('UP');
    t.outcome['web/portal'] = 'down';
    const failedAt = t.clock.now();
    await t.clock.advance(60_000); // first failure at the next slot, then re-probes every 10 s (interval/3)
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
    await t.clock.advance(120_000);
    t.outcome['web/portal'] = 'up';
    const recoveredAfter = t.clock.now();
    await t.clock.advance(90_000);
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
    await t.clock.advance(120_000);
    expect(t.monitor.services.get('web')!.state).toBe('DEGRADED');
    expect(t.events).toEqual([]);
  });

  it('records a change of impact in the open incident timeline', async () => {
    const t = await setup();
    t.outcome['web/portal'] = 'down';
    await t.clock.advance(120_000);
    t.outcome['web/port'] = 'down';
    await t.clock.advance(120_000);
    const inc = t.tracker.open()[0]!;
    expect(inc.checks).toEqual(['portal', 'port']);
    expect(t.events.map((e) => e.type)).toEqual(['opened', 'changed']);
  });

  it('keeps check states and the open incident across a restart without opening another', async () => {
    const t = await setup();
    t.outcome['web/portal'] = 'down';
    await t.clock.advance(120_000);
    await t.scheduler.stop();
    await t.store.close();
    const again = await setup(t.dir);
    again.outcome['web/portal'] = 'down';
    await again.clock.advance(120_000);
    expect(again.monitor.checkState('web/portal')).toBe('DOWN');
    expect(again.events).toEqual([]);
    expect(again.tracker.open()).toHaveLength(1);
    again.outcome['web/portal'] = 'up';
    await again.clock.advance(120_000);
    expect(again.events.map((e) => e.type)).toEqual(['closed']);
  });

  it('keeps the last 100 results of each check in memory only', async () => {
    const t = await setup();
    await t.clock.advance(30_000 * 150);
    expect(t.monitor.checks.get('web/portal')!.history).toHaveLength(100);
  });
});
