/**
 * Moments and ages the metrics export are read on the agent's clock: the last good config load,
 * and the age of the oldest undelivered outbox entry (whose createdAt is that clock's too).
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../agent/metrics/metrics.js';
import { ReportingMetrics } from '../../agent/metrics/reporting-metrics.js';
import type { OutboxEntry } from '../../agent/outbox/types.js';
import { ManualClock } from '../helpers/manual-clock.js';

const FAR = Date.UTC(2041, 2, 14, 3, 0, 0);

async function value(registry: Registry, name: string): Promise<number | undefined> {
  return (await registry.getSingleMetric(name)!.get()).values[0]?.value;
}

describe('metrics on an injected clock', () => {
  it('stamps the last successful config load with the clock', async () => {
    const registry = new Registry();
    const metrics = new Metrics(registry, { version: 'test' }, new ManualClock(FAR));
    metrics.configLoaded(true);
    expect(await value(registry, 'raqib_config_last_reload_success_timestamp_seconds')).toBe(FAR / 1000);
  });

  it('ages the oldest undelivered outbox entry on the clock', async () => {
    const registry = new Registry();
    const clock = new ManualClock(FAR);
    const entries = [{ dead: { at: FAR, reason: 'refused' }, createdAt: FAR - 600_000 }, { createdAt: FAR - 90_000 }] as OutboxEntry[];
    new ReportingMetrics(registry, () => ({ records: () => [], entries: () => entries }), clock);
    expect(await value(registry, 'raqib_outbox_oldest_age_seconds')).toBe(90);
    clock.jump(10_000);
    expect(await value(registry, 'raqib_outbox_oldest_age_seconds')).toBe(100);
  });
});
