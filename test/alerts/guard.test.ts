/**
 * Alert checks and the blind guard: an alert says nothing of the agent's own reach, so it neither
 * proves sight nor counts as a host that fails; but while the agent is blind an alert files
 * nothing either, and before it confirms an outage the agent makes sure it can see.
 */
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { resolveConnectivity } from '../../agent/config/resolve.js';
import { createLogger } from '../../agent/log.js';
import { ALERTMANAGER, targetHost } from '../../agent/probes/reach.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { ConnectivityGuard } from '../../agent/runner/connectivity.js';
import { loadedConfig } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';

type Answer = Omit<ProbeResult, 'observedAt'>;
const UP: Answer = { status: 'up', code: 'OK', detail: '', phases: { total: 0 } };
const FIRING: Answer = { status: 'down', code: 'ALERT_FIRING', detail: 'ServiceProbeFailed', phases: { total: 0 } };
const TIMEOUT: Answer = { status: 'down', code: 'TIMEOUT', detail: '', phases: { total: 1 } };
const ALERT = { id: 'alerts', type: 'alert', matchers: ['job="blackbox"'] };

/** Service 0 has the alert check; one more service per URL. */
function build(urls: string[]) {
  const loaded = loadedConfig([{ id: 'app', checks: [ALERT] }, ...urls.map((url, i) => ({ id: `s${i}`, checks: [{ id: 'c', type: 'http', url }] }))], {
    alertmanager: { token: 'a-token-of-sixteen-chars' },
  });
  const clock = new ManualClock();
  const answers = new Map<string, Answer>();
  const registry = new Registry();
  const metrics = {
    blind: new Gauge({ name: 'blind', help: 'x', registers: [registry] }),
    canaryUp: new Gauge({ name: 'canary_up', help: 'x', labelNames: ['canary'] as const, registers: [registry] }),
  };
  const probe = async (check: Parameters<typeof targetHost>[0]): Promise<ProbeResult> => {
    const key = check.id.startsWith('builtin-') ? check.id : targetHost(check);
    return { ...(answers.get(key) ?? TIMEOUT), observedAt: clock.now() };
  };
  const guard = new ConnectivityGuard(probe, clock, createLogger({ level: 'silent' }), metrics);
  const connectivity = resolveConnectivity(loaded.config);
  guard.apply(connectivity);
  const seen = (i: number, a: Answer): ProbeResult => {
    clock.jump(1_000);
    const r = { ...a, observedAt: clock.now() };
    guard.observe(loaded.checks[i]!, r);
    return r;
  };
  const confirm = (i: number, a: Answer) => {
    const r = seen(i, a);
    return guard.counts(loaded.checks[i]!, r, r.observedAt);
  };
  return { guard, connectivity, answers, seen, confirm };
}

describe('alert checks and the blind guard', () => {
  it('adds no resolver canary and no host to watch', () => {
    expect(build([]).connectivity).toMatchObject({ canaries: [], hosts: [] });
    expect(build(['https://a.example.gov.sa/']).connectivity.canaries.map((c) => c.checkId)).toEqual(['builtin-resolver']);
    expect(build(['https://a.example.gov.sa/']).connectivity.hosts).toEqual(['a.example.gov.sa']);
  });

  it('files from an alert when nothing else could tell', async () => {
    expect(await build([]).confirm(0, FIRING)).toBe('count');
  });

  it('files nothing from an alert while the agent is blind, and confirms it once another host answers again', async () => {
    const t = build(['http://198.51.100.7/', 'http://198.51.100.8/']);
    t.seen(1, TIMEOUT);
    t.seen(2, TIMEOUT);
    expect(t.guard.blind).toBe(true);
    expect(await t.confirm(0, FIRING)).toBe('ignore');
    t.seen(1, UP);
    expect(t.guard.blind).toBe(false);
    t.answers.set('198.51.100.7', UP);
    t.answers.set(ALERTMANAGER, FIRING);
    expect(await t.confirm(0, FIRING)).toBe('count');
  });

  it("takes neither an alert's absence as sight nor its firing as a host that fails", () => {
    const t = build(['http://198.51.100.7/', 'http://198.51.100.8/']);
    t.seen(1, TIMEOUT);
    t.seen(0, FIRING);
    expect(t.guard.blind).toBe(false); // one host fails; the alert is not a second
    t.seen(2, TIMEOUT);
    t.seen(0, UP);
    expect(t.guard.blind).toBe(true); // no alert firing proves nothing of the agent's reach
  });
});
