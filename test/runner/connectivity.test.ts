/**
 * The blind guard's rules, one case a row: when a failure that would confirm an outage may count,
 * and when the agent calls itself blind. Probes are replaced by results the test chooses; the
 * end-to-end proof on a real network is test/reliability/blind-builtin.test.ts.
 */
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { resolveConnectivity, type CheckSpec } from '../../agent/config/resolve.js';
import { createLogger } from '../../agent/log.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { ConnectivityGuard } from '../../agent/runner/connectivity.js';
import { loadedConfig } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const up: ProbeResult = { status: 'up', code: 'OK', detail: '', phases: { total: 1 }, observedAt: T0 };
const failed = (code: string, at: number, extra: Partial<ProbeResult> = {}): ProbeResult => ({ status: 'down', code, detail: '', phases: { total: 1 }, observedAt: at, ...extra });

/** A guard over checks on `urls` (one service each) with the config's canaries, and a switch for them. */
function build(urls: string[], connectivity: Record<string, unknown> = {}) {
  const loaded = loadedConfig(
    urls.map((url, i) => ({ id: `s${i}`, checks: [{ id: 'c', type: 'http', url }] })),
    { connectivity },
  );
  let canary: ProbeResult = failed('DNS_TIMEOUT', T0);
  const registry = new Registry();
  const metrics = {
    blind: new Gauge({ name: 'blind', help: 'x', registers: [registry] }),
    canaryUp: new Gauge({ name: 'canary_up', help: 'x', labelNames: ['canary'] as const, registers: [registry] }),
  };
  const guard = new ConnectivityGuard(async () => canary, new ManualClock(T0), createLogger({ level: 'silent' }), metrics);
  const { canaries, builtin } = resolveConnectivity(loaded.config);
  guard.apply(canaries, builtin);
  return {
    guard,
    checks: loaded.checks,
    canaries,
    setCanary: (r: ProbeResult) => (canary = r),
    blindGauge: async () => (await registry.getSingleMetric('blind')!.get()).values[0]!.value,
  };
}

const confirm = (guard: ConnectivityGuard, spec: CheckSpec, result: ProbeResult, downSince = result.observedAt) => {
  guard.observe(spec, result);
  return guard.counts(spec, result, downSince);
};

describe('built-in guard (no canaries written)', () => {
  it('derives the system resolver as a canary when a check is named by a host name, none for addresses and loopback', () => {
    expect(build(['https://appointments.example.gov.sa/']).canaries.map((c) => c.checkId)).toEqual(['builtin-resolver']);
    expect(build(['http://127.0.0.1:1/', 'http://localhost:2/', 'http://198.51.100.7/']).canaries).toEqual([]);
  });

  it('refuses an outage while no canary answers and nothing has answered since it began, and calls itself blind with the reason', async () => {
    const t = build(['https://a.example.gov.sa/', 'https://b.example.gov.sa/']);
    t.guard.observe(t.checks[1]!, up); // before the cut
    expect(await confirm(t.guard, t.checks[0]!, failed('DNS_TIMEOUT', T0 + 10_000))).toBe(false);
    expect(t.guard.blind).toBe(true);
    expect(t.guard.blindReason).toMatch(/^no connectivity canary answers \(builtin-resolver: DNS_TIMEOUT\) and no check has reached its host since s0\/c began failing$/);
    expect(await t.blindGauge()).toBe(1);
  });

  it('confirms an outage when another check answered after it began failing, even with the resolver canary down', async () => {
    const t = build(['https://a.example.gov.sa/', 'https://b.example.gov.sa/']);
    t.guard.observe(t.checks[1]!, { ...up, observedAt: T0 + 5_000 });
    expect(await confirm(t.guard, t.checks[0]!, failed('TIMEOUT', T0 + 9_000), T0 + 1_000)).toBe(true);
    expect(t.guard.blind).toBe(false);
  });

  it('confirms an outage whose own host answered (an HTTP error status, a certificate)', async () => {
    const t = build(['https://a.example.gov.sa/']);
    expect(await confirm(t.guard, t.checks[0]!, failed('HTTP_STATUS', T0, { httpStatus: 503 }))).toBe(true);
    expect(await confirm(t.guard, t.checks[0]!, failed('TLS_CERT_EXPIRED', T0))).toBe(true);
    expect(await confirm(t.guard, t.checks[0]!, failed('TLS_PLAINTEXT_ANSWER', T0))).toBe(true);
  });

  it('treats a refused connection as no answer: a firewall rejecting the agent looks the same', async () => {
    const t = build(['https://a.example.gov.sa/']);
    expect(await confirm(t.guard, t.checks[0]!, failed('ECONNREFUSED', T0))).toBe(false);
  });

  it('confirms an outage when the canary answers now', async () => {
    const t = build(['https://a.example.gov.sa/']);
    t.setCanary(up);
    expect(await confirm(t.guard, t.checks[0]!, failed('DNS_TIMEOUT', T0))).toBe(true);
  });

  it('counts a loopback check\'s failures, blind or not: no network stands between', async () => {
    const t = build(['https://a.example.gov.sa/', 'http://127.0.0.1:9/']);
    expect(await confirm(t.guard, t.checks[0]!, failed('DNS_TIMEOUT', T0))).toBe(false);
    expect(t.guard.blind).toBe(true);
    expect(await confirm(t.guard, t.checks[1]!, failed('ECONNREFUSED', T0))).toBe(true);
    expect(await t.guard.counts(t.checks[1]!, failed('ECONNREFUSED', T0))).toBe(true);
  });

  it('with no canary at all, refuses an outage every other host shares unanswered, and confirms one host alone', async () => {
    const t = build(['http://198.51.100.7/', 'http://198.51.100.8/']);
    expect(t.canaries).toEqual([]);
    expect(await confirm(t.guard, t.checks[0]!, failed('TIMEOUT', T0))).toBe(true); // the other has not failed
    expect(await confirm(t.guard, t.checks[1]!, failed('TIMEOUT', T0))).toBe(false);
    expect(t.guard.blindReason).toMatch(/^checks on 2 hosts fail without an answer from any \(TIMEOUT\)/);
    t.guard.observe(t.checks[0]!, { ...up, observedAt: T0 + 1 });
    expect(t.guard.blind).toBe(false);
  });

  it('stays blind while every check fails unanswered and the canaries fail, and sees again at the first answer', async () => {
    const t = build(['https://a.example.gov.sa/', 'https://b.example.gov.sa/']);
    await t.guard.run(t.canaries[0]!.key);
    t.guard.observe(t.checks[0]!, failed('DNS_TIMEOUT', T0));
    t.guard.observe(t.checks[1]!, failed('DNS_TIMEOUT', T0));
    expect(t.guard.blind).toBe(true);
    t.guard.observe(t.checks[1]!, failed('HTTP_STATUS', T0 + 1, { httpStatus: 500 }));
    expect(t.guard.blind).toBe(false);
  });
});

describe('written canaries (builtin not set)', () => {
  const gateway = { id: 'gateway', type: 'tcp', host: '127.0.0.1', port: 9 };

  it('replace the built-in ones; builtin: true adds them', () => {
    expect(build(['https://a.example.gov.sa/'], { canaries: [gateway] }).canaries.map((c) => c.checkId)).toEqual(['gateway']);
    expect(build(['https://a.example.gov.sa/'], { canaries: [gateway], builtin: true }).canaries.map((c) => c.checkId)).toEqual(['gateway', 'builtin-resolver']);
  });

  it('decide alone: a check that answers does not end blindness, every canary failing is blind', async () => {
    const t = build(['https://a.example.gov.sa/'], { canaries: [gateway] });
    await t.guard.run(t.canaries[0]!.key);
    expect(t.guard.blind).toBe(true);
    expect(t.guard.blindReason).toBe('no connectivity canary answers');
    t.guard.observe(t.checks[0]!, up);
    expect(t.guard.blind).toBe(true);
  });

  it('with builtin: false and none written, every failure counts', async () => {
    const t = build(['http://198.51.100.7/', 'http://198.51.100.8/'], { builtin: false });
    expect(await confirm(t.guard, t.checks[0]!, failed('TIMEOUT', T0))).toBe(true);
    expect(await confirm(t.guard, t.checks[1]!, failed('TIMEOUT', T0))).toBe(true);
  });
});
