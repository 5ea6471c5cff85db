/**
 * The blind guard's rules, one case a test: when a failure that would confirm an outage may count,
 * and when the agent calls itself blind. Probes answer as the test says, per host (or canary id);
 * the end-to-end proof on a real network is test/reliability/blind-builtin.test.ts.
 */
import { Writable } from 'node:stream';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { resolveConnectivity } from '../../agent/config/resolve.js';
import { createLogger } from '../../agent/log.js';
import { targetHost } from '../../agent/probes/reach.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { ConnectivityGuard } from '../../agent/runner/connectivity.js';
import { loadedConfig } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
type Answer = Omit<ProbeResult, 'observedAt'>;
const UP: Answer = { status: 'up', code: 'OK', detail: '', phases: { total: 1 } };
const fail = (code: string, extra: Partial<ProbeResult> = {}): Answer => ({ status: 'down', code, detail: '', phases: { total: 1 }, ...extra });
const TIMEOUT = fail('TIMEOUT');

/** A guard over one service per URL, the config's canaries, and what each host (or canary id) answers now. */
function build(urls: string[], connectivity: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const logged: string[] = [];
  const destination = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      logged.push(chunk.toString());
      done();
    },
  });
  const loaded = loadedConfig(
    urls.map((url, i) => ({ id: `s${i}`, checks: [{ id: 'c', type: 'http', url }] })),
    { connectivity },
    extra,
  );
  const clock = new ManualClock(T0);
  const answers = new Map<string, Answer>();
  const probed: string[] = [];
  const registry = new Registry();
  const metrics = {
    blind: new Gauge({ name: 'blind', help: 'x', registers: [registry] }),
    canaryUp: new Gauge({ name: 'canary_up', help: 'x', labelNames: ['canary'] as const, registers: [registry] }),
  };
  const probe = async (check: Parameters<typeof targetHost>[0]): Promise<ProbeResult> => {
    const key = check.id.startsWith('builtin-') || check.id === 'gateway' ? check.id : targetHost(check);
    probed.push(key);
    return { ...(answers.get(key) ?? TIMEOUT), observedAt: clock.now() };
  };
  const guard = new ConnectivityGuard(probe, clock, createLogger({ level: 'warn', destination }), metrics);
  const c = resolveConnectivity(loaded.config);
  guard.apply(c);
  const checks = loaded.checks;
  /** A result of check i observed now (the clock moves a second first). */
  const seen = (i: number, a: Answer): ProbeResult => {
    clock.jump(1_000);
    const r = { ...a, observedAt: clock.now() };
    guard.observe(checks[i]!, r);
    return r;
  };
  /** Check i fails with `a` and that failure would confirm it DOWN (its streak began at `since`). */
  const confirm = (i: number, a: Answer, since?: number) => {
    const r = seen(i, a);
    return guard.counts(checks[i]!, r, since ?? r.observedAt);
  };
  return {
    guard,
    logged,
    checks,
    canaries: c.canaries,
    sight: c.sight,
    answers,
    probed,
    clock,
    seen,
    confirm,
    blindGauge: async () => (await registry.getSingleMetric('blind')!.get()).values[0]!.value,
  };
}

describe('built-in guard (no canaries written)', () => {
  it('runs the system resolver as a canary when a check is named by a host name, none for addresses and loopback', () => {
    expect(build(['https://a.example.gov.sa/']).canaries.map((c) => c.checkId)).toEqual(['builtin-resolver']);
    expect(build(['http://127.0.0.1:1/', 'http://localhost:2/', 'http://198.51.100.7/']).canaries).toEqual([]);
  });

  it("takes the resolver's answer as sight only with one host to watch: a resolver answers from its cache", () => {
    expect(build(['https://a.example.gov.sa/']).sight).toEqual(['#connectivity/builtin-resolver']);
    expect(build(['https://a.example.gov.sa/', 'https://b.example.gov.sa/']).sight).toEqual([]);
  });

  it('confirms an outage when the check still fails and another host answers now', async () => {
    const t = build(['https://a.example.gov.sa/', 'https://b.example.gov.sa/']);
    t.seen(1, UP);
    t.answers.set('b.example.gov.sa', UP);
    expect(await t.confirm(0, TIMEOUT)).toBe('count');
    expect(t.probed).toEqual(expect.arrayContaining(['a.example.gov.sa', 'b.example.gov.sa']));
  });

  it("refuses it, and is blind with the reason, when nothing answers: not the resolver's cached answer either", async () => {
    const t = build(['https://a.example.gov.sa/', 'https://b.example.gov.sa/']);
    t.seen(1, UP); // before the cut: stale now
    t.answers.set('builtin-resolver', UP);
    expect(await t.confirm(0, TIMEOUT)).toBe('ignore');
    expect(t.guard.blind).toBe(true);
    expect(t.guard.blindReason).toBe('checks on 2 hosts fail and none answers (TIMEOUT)');
    expect(await t.blindGauge()).toBe(1);
    expect(await t.guard.counts(t.checks[1]!, t.seen(1, TIMEOUT))).toBe('ignore');
  });

  it('does not count a failure of a check that works when probed again, once another host answered', async () => {
    const t = build(['https://a.example.gov.sa/', 'https://b.example.gov.sa/']);
    t.seen(1, UP);
    t.answers.set('b.example.gov.sa', UP);
    t.answers.set('a.example.gov.sa', UP);
    expect(await t.confirm(0, TIMEOUT)).toBe('ignore');
    expect(t.guard.blind).toBe(false);
  });

  it('probes the check again only once something has answered, so a cut healing meanwhile cannot confirm it', async () => {
    const t = build(['https://a.example.gov.sa/', 'https://b.example.gov.sa/']);
    t.seen(1, UP);
    t.answers.set('b.example.gov.sa', UP);
    expect(await t.confirm(0, TIMEOUT)).toBe('count');
    expect(t.probed.indexOf('b.example.gov.sa')).toBeLessThan(t.probed.indexOf('a.example.gov.sa'));
  });

  it('does not confirm a failed name lookup while the system resolver itself fails', async () => {
    const t = build(['https://a.example.gov.sa/', 'http://198.51.100.7/']);
    t.seen(1, UP);
    t.answers.set('198.51.100.7', UP); // an address needs no resolver
    t.answers.set('a.example.gov.sa', fail('DNS_TIMEOUT'));
    expect(await t.confirm(0, fail('DNS_TIMEOUT'))).toBe('ignore');
    expect(t.guard.blind).toBe(false); // other hosts answer: the resolver is the agent's own fault, said in the log
    expect(t.logged.some((l) => l.includes('not confirming a failed name lookup while the system resolver fails'))).toBe(true);
  });

  it("confirms a failure that is an answer from the check's host at once, but asks first about a gateway error", async () => {
    const t = build(['https://a.example.gov.sa/', 'https://b.example.gov.sa/']);
    t.seen(1, UP);
    expect(await t.confirm(0, fail('HTTP_STATUS', { httpStatus: 503 }))).toBe('count');
    expect(await t.confirm(0, fail('TLS_CERT_EXPIRED'))).toBe('count');
    expect(t.probed).toEqual([]);
    expect(await t.confirm(0, fail('HTTP_STATUS', { httpStatus: 502 }))).toBe('ignore');
    expect(t.probed).toContain('b.example.gov.sa');
  });

  it('treats a refused connection as no answer: a firewall rejecting the agent looks the same', async () => {
    const t = build(['https://a.example.gov.sa/', 'https://b.example.gov.sa/']);
    t.answers.set('a.example.gov.sa', fail('ECONNREFUSED'));
    t.answers.set('b.example.gov.sa', fail('ECONNREFUSED'));
    expect(await t.confirm(0, fail('ECONNREFUSED'))).toBe('ignore');
  });

  it('with one host to watch, lets the resolver decide', async () => {
    const t = build(['https://a.example.gov.sa/']);
    expect(await t.confirm(0, TIMEOUT)).toBe('ignore');
    expect(t.guard.blind).toBe(true);
    const u = build(['https://a.example.gov.sa/']);
    u.answers.set('builtin-resolver', UP);
    expect(await u.confirm(0, TIMEOUT)).toBe('count');
  });

  it('says once in the log when the resolver that decides for one host cannot answer while the check does', async () => {
    const t = build(['https://a.example.gov.sa/']);
    t.seen(0, UP);
    await t.guard.run(t.canaries[0]!.key);
    await t.guard.run(t.canaries[0]!.key);
    expect(t.logged.filter((l) => l.includes('the system resolver does not answer for the root zone while checks answer')).length).toBe(1);
  });

  it('confirms when nothing could tell (addresses and loopback only), but not while blind', async () => {
    const t = build(['http://127.0.0.1:9/']);
    expect(await t.confirm(0, fail('ECONNREFUSED'))).toBe('count');
    const u = build(['http://198.51.100.7/', 'http://198.51.100.8/', 'http://127.0.0.1:9/']);
    expect(await u.confirm(0, TIMEOUT)).toBe('ignore'); // the other address fails too
    expect(u.guard.blind).toBe(true);
    expect(await u.confirm(2, fail('ECONNREFUSED'))).toBe('ignore'); // a local proxy may front a remote service
  });

  it('is blind while checks on two hosts fail unanswered and no canary can say otherwise, and sees again at an answer', async () => {
    const t = build(['http://198.51.100.7/', 'http://198.51.100.8/']);
    t.seen(0, TIMEOUT);
    expect(t.guard.blind).toBe(false);
    t.seen(1, fail('ENETUNREACH'));
    expect(t.guard.blind).toBe(true);
    expect(t.guard.blindReason).toBe('checks on 2 hosts fail and none answers (TIMEOUT, ENETUNREACH)');
    t.seen(1, fail('HTTP_STATUS', { httpStatus: 500 }));
    expect(t.guard.blind).toBe(false);
  });

  it('ignores failures of probes begun while it was blind, and restarts streaks begun before it could see again', async () => {
    const t = build(['http://198.51.100.7/', 'http://198.51.100.8/']);
    const beganInCut = t.seen(0, TIMEOUT).observedAt;
    t.seen(1, TIMEOUT);
    expect(t.guard.blind).toBe(true);
    t.seen(1, UP); // the link is back
    expect(t.guard.blind).toBe(false);
    const late = { ...TIMEOUT, observedAt: beganInCut }; // in flight through the restore
    expect(await t.guard.counts(t.checks[0]!, late, beganInCut)).toBe('ignore');
    expect(await t.confirm(0, TIMEOUT, beganInCut)).toBe('restart');
  });
});

describe('written canaries', () => {
  const gateway = { id: 'gateway', type: 'tcp', host: '127.0.0.1', port: 9 };

  it('replace the built-in ones; builtin: true adds them', () => {
    expect(build(['https://a.example.gov.sa/'], { canaries: [gateway] }).canaries.map((c) => c.checkId)).toEqual(['gateway']);
    expect(build(['https://a.example.gov.sa/'], { canaries: [gateway], builtin: true }).canaries.map((c) => c.checkId)).toEqual([
      'gateway',
      'builtin-resolver',
    ]);
  });

  it('decide alone: every canary failing is blind, whatever the checks see', async () => {
    const t = build(['https://a.example.gov.sa/'], { canaries: [gateway] });
    await t.guard.run(t.canaries[0]!.key);
    expect(t.guard.blind).toBe(true);
    expect(t.guard.blindReason).toBe('no connectivity canary answers');
    t.seen(0, UP);
    expect(t.guard.blind).toBe(true);
  });

  it('confirm an outage when one answers now and the check still fails', async () => {
    const t = build(['https://a.example.gov.sa/'], { canaries: [gateway] });
    t.answers.set('gateway', UP);
    expect(await t.confirm(0, TIMEOUT)).toBe('count');
  });

  it('take an icmp canary the agent may not send (ICMP_NOT_PERMITTED, degraded) as failing, never as sight', async () => {
    const ping = { id: 'gateway', type: 'icmp', host: '198.51.100.1' };
    const t = build(['https://a.example.gov.sa/'], { canaries: [ping] });
    t.answers.set('gateway', { status: 'degraded', code: 'ICMP_NOT_PERMITTED', detail: '', phases: { total: 1 } });
    await t.guard.run(t.canaries[0]!.key);
    expect(t.guard.blind).toBe(true);
    expect(await t.confirm(0, TIMEOUT)).toBe('ignore');
  });

  it('with builtin: false and none written, every failure counts', async () => {
    const t = build(['http://198.51.100.7/', 'http://198.51.100.8/'], { builtin: false });
    expect(await t.confirm(0, TIMEOUT)).toBe('count');
    expect(await t.confirm(1, TIMEOUT)).toBe('count');
    expect(t.probed).toEqual([]);
  });
});
