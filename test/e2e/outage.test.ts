import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { phaseOffset } from '../../agent/schedule/spread.js';
import { eventually, sample, startAgent, stopAllAgents } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { startHttpTarget } from '../helpers/targets.js';

interface Status {
  services: { id: string; state: string; open_incident?: string; checks: { id: string; state: string; last_result?: { code: string } }[] }[];
  incidents: { open: { id: string; serviceId: string; startedAt: number }[]; recent: { id: string; endedAt: number; resolution: string }[] };
}

const targets: SwitchTarget[] = [];
afterEach(async () => {
  await stopAllAgents();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

/** One service watched every 500 ms; outages confirmed after 2 failures, recoveries after 2 successes. */
function fastConfig(url: string): string {
  return configYaml(
    [{ id: 'appointments', beneficiaries_per_day: 1000, checks: [{ id: 'portal', type: 'http', url, expect: { body_contains: 'ok' } }] }],
    { data_dir: './data' },
    { defaults: { interval: '500ms', timeout: '400ms', retry_interval: '200ms', failure_threshold: 2, success_threshold: 2 } },
  );
}

describe('raqib run, end to end', () => {
  it('opens an incident when a service goes down and closes it when it comes back', async () => {
    const target = await startSwitchTarget(true);
    targets.push(target);
    const agent = await startAgent(fastConfig(target.url));

    await eventually(async () => (await agent.api<Status>('status')).services[0]!.state === 'UP');
    target.set(false);
    const open = await eventually(async () => (await agent.api<Status>('status')).incidents.open[0]);
    expect(open.serviceId).toBe('appointments');
    const during = await agent.api<Status>('status');
    expect(during.services[0]).toMatchObject({ state: 'DOWN', open_incident: open.id });
    expect(during.services[0]!.checks[0]!.last_result!.code).toBe('HTTP_STATUS');
    let metrics = await agent.metrics();
    expect(sample(metrics, 'raqib_incidents_open', { service: 'appointments' })).toBe(1);
    expect(sample(metrics, 'raqib_service_state', { service: 'appointments', state: 'DOWN' })).toBe(1);
    expect(sample(metrics, 'raqib_check_state', { service: 'appointments', check: 'portal', state: 'DOWN' })).toBe(1);
    expect(sample(metrics, 'raqib_probe_success', { service: 'appointments', check: 'portal', type: 'http' })).toBe(0);
    expect(sample(metrics, 'raqib_probe_http_status_code', { service: 'appointments', check: 'portal' })).toBe(503);

    target.set(true);
    const closed = await eventually(async () => (await agent.api<Status>('status')).incidents.recent[0]);
    expect(closed).toMatchObject({ id: open.id, resolution: 'recovered' });
    expect(closed.endedAt).toBeGreaterThan(open.startedAt);
    metrics = await agent.metrics();
    expect(sample(metrics, 'raqib_incidents_open', { service: 'appointments' })).toBe(0);
    expect(sample(metrics, 'raqib_incidents_total', { service: 'appointments' })).toBe(1);
    expect(sample(metrics, 'raqib_service_up', { service: 'appointments' })).toBe(1);
    expect(agent.logs.some((l) => l.msg === 'incident opened' && l['incident'] === open.id)).toBe(true);
    expect(agent.logs.some((l) => l.msg === 'incident closed' && l['incident'] === open.id)).toBe(true);

    expect(await agent.stop('SIGTERM')).toBe(0);
    const state = JSON.parse(await readFile(join(agent.dir, 'data/state.json'), 'utf8'));
    expect(state.incidents.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([[open.id, 'closed']]);
  });

  it('keeps an open incident across a crash and does not open a second one', async () => {
    const target = await startSwitchTarget(false);
    targets.push(target);
    const first = await startAgent(fastConfig(target.url));
    const open = await eventually(async () => (await first.api<Status>('status')).incidents.open[0]);
    await new Promise((r) => setTimeout(r, 400)); // let the coalesced write land
    expect(await first.stop('SIGKILL')).toBe(null);

    const second = await startAgent(fastConfig(target.url), { dir: first.dir });
    await new Promise((r) => setTimeout(r, 2_000));
    const status = await second.api<Status>('status');
    expect(status.incidents.open.map((i) => i.id)).toEqual([open.id]);
    expect(second.logs.some((l) => l.msg === 'incident opened')).toBe(false);
  });

  it('lets in-flight probes finish on SIGTERM, flushes state and exits 0', async () => {
    const target = await startSwitchTarget(true);
    targets.push(target);
    const agent = await startAgent(fastConfig(target.url));
    await eventually(async () => (await agent.api<Status>('status')).services[0]!.state === 'UP');
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.logs.map((l) => l.msg)).toContain('raqib stopped');
    const state = JSON.parse(await readFile(join(agent.dir, 'data/state.json'), 'utf8'));
    expect(state.checks['appointments/portal'].state).toBe('UP');
  });

  it('aborts probes still running after shutdown_timeout, says so, exits 0 and counts no failure', async () => {
    const hang = await startHttpTarget(); // /hang reads the request and never answers
    try {
      // A probe that would wait 9 s for its timeout; a check id whose first run is within 1 s.
      let id = 0;
      while (phaseOffset(`appointments/portal-${id}`, 10_000) >= 1_000) id++;
      const agent = await startAgent(
        configYaml(
          [{ id: 'appointments', checks: [{ id: `portal-${id}`, type: 'http', url: `${hang.url}/hang` }] }],
          { data_dir: './data', shutdown_timeout: '200ms' },
          {
            defaults: { interval: '10s', timeout: '9s', failure_threshold: 1 },
          },
        ),
      );
      await eventually(() => hang.requests.length > 0);
      const signalled = Date.now();
      expect(await agent.stop('SIGTERM')).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(5_000); // not the probe's own 9 s timeout
      const messages = agent.logs.map((l) => l.msg);
      expect(messages).toContain('probes still running at shutdown; aborting them');
      expect(messages.indexOf('probes still running at shutdown; aborting them')).toBeLessThan(messages.indexOf('raqib stopped'));
      // Nothing to write (no state file at all), or nothing but UNKNOWN and no incident.
      const text = await readFile(join(agent.dir, 'data/state.json'), 'utf8').catch(() => '{}');
      const state = JSON.parse(text) as { checks?: Record<string, { state: string }>; incidents?: unknown[] };
      expect(state.checks?.[`appointments/portal-${id}`]?.state ?? 'UNKNOWN').toBe('UNKNOWN');
      expect(state.incidents ?? []).toEqual([]);
    } finally {
      await hang.close();
    }
  });
});
