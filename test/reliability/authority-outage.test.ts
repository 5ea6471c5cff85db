/**
 * Authority outage, time compressed: the sandbox authority answers 503 to everything for a long
 * stretch (16 s here, standing for hours; retry_max_delay 2 s standing for minutes) while three
 * outages begin and end. Nothing is filed meanwhile, nothing is lost or duplicated, each report
 * arrives before its updates and those in order, and delivery resumes within one backoff cap of
 * the authority coming back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, sample, stopAllAgents } from '../helpers/agent-process.js';
import { closeSandboxes, control, startTestSandbox } from '../helpers/reporting.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { describeReports, exactlyOnceViolations, prepareAgentDir, readAgentState, readSandboxData, sleep, updateOrderViolations } from './helpers.js';

const RETRY_CAP_MS = 2_000;
/** Scheduling slack on a busy CI machine: the timer, a probe's worth of event-loop work, the request itself. */
const MARGIN_MS = 1_000;

const targets: SwitchTarget[] = [];
afterEach(async () => {
  await stopAllAgents();
  await closeSandboxes();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

describe('authority outage', () => {
  it('files nothing while the authority is down, then every report once with its updates in order, resuming within one backoff cap', async () => {
    const ids = ['appointments', 'prescriptions', 'sehhaty'] as const;
    const svc = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await startSwitchTarget(true)] as const))) as Record<
      (typeof ids)[number],
      SwitchTarget
    >;
    targets.push(...Object.values(svc));
    const sandbox = await startTestSandbox();
    const agentDir = await prepareAgentDir({
      prefix: 'raqib-outage-',
      sandboxUrl: sandbox.url,
      services: ids.map((id) => ({ id, checks: [{ id: 'portal', type: 'http', url: svc[id].url }] })),
      // Generous timeouts: a probe slowed by a busy machine must not make an outage of its own here.
      defaults: { interval: '500ms', timeout: '450ms', retry_interval: '150ms', flapping: { changes: 1000, window: '1m' } },
      // Updates every 2 s: each outage queues a few behind its report while the authority is away.
      authority: { update_interval: '2s', followup_interval: '1s', retry_max_delay: `${RETRY_CAP_MS}ms` },
    });
    const agent = await agentDir.start();
    await eventually(() => sandbox.state.teams.length === 1);
    await eventually(async () => (await readAgentState(agentDir.dataDir)).team !== undefined);

    await control(sandbox, 'faults', { down: true });
    const downAt = Date.now();
    const at = (ms: number) => sleep(Math.max(0, downAt + ms - Date.now()));
    await at(1_000);
    svc.appointments.set(false);
    await at(3_000);
    svc.prescriptions.set(false);
    await at(6_000);
    svc.appointments.set(true);
    await at(8_000);
    svc.sehhaty.set(false);
    await at(10_000);
    svc.prescriptions.set(true);
    await at(13_000);
    svc.sehhaty.set(true);
    await at(16_000);

    // Still down: every outage is over and known, nothing reached the authority, the agent kept trying.
    const during = await readAgentState(agentDir.dataDir);
    expect(during.incidents.map((i) => [i.serviceId, i.status])).toEqual([
      ['appointments', 'closed'],
      ['prescriptions', 'closed'],
      ['sehhaty', 'closed'],
    ]);
    expect(sandbox.state.reports).toEqual([]);
    expect(sandbox.state.requests['POST /api/v1/reports']?.['503'] ?? 0).toBeGreaterThan(3);
    const pending = sample(await agent.metrics(), 'raqib_outbox_pending')!;
    expect(pending).toBeGreaterThanOrEqual(9); // three reports, their periodic updates, three restorations

    await control(sandbox, 'faults', {}, 'DELETE');
    const backAt = Date.now();
    await eventually(async () => sample(await agent.metrics(), 'raqib_outbox_pending') === 0, 20_000);
    const drainedAt = Date.now();
    await sleep(1_500); // anything sent twice would show now

    const state = await readAgentState(agentDir.dataDir);
    const snapshot = sandbox.state;
    const data = await readSandboxData(sandbox.dataFile);
    const context = `reports:\n${describeReports(snapshot.reports)}`;
    expect(exactlyOnceViolations(state, snapshot, data), context).toEqual([]);
    expect(updateOrderViolations(state, snapshot, data), context).toEqual([]);
    expect(snapshot.reports).toHaveLength(3);
    expect(snapshot.reports.length + snapshot.reports.reduce((n, r) => n + r.updates.length, 0)).toBe(pending); // all that was queued, once
    expect(snapshot.reports.every((r) => r.updates.some((u) => u.status === 'ongoing'))).toBe(true);

    // Each lane's head was retried at most one cap after the authority came back.
    const resumed = snapshot.reports.map((r) => Date.parse(r.created_at) - backAt);
    expect(Math.min(...resumed)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...resumed), `ms after the authority came back: ${resumed.join(', ')}`).toBeLessThanOrEqual(RETRY_CAP_MS + MARGIN_MS);
    expect(drainedAt - backAt).toBeLessThan(RETRY_CAP_MS + 5_000);
    expect(sample(await agent.metrics(), 'raqib_dead_letters')).toBe(0);
  }, 60_000);
});
