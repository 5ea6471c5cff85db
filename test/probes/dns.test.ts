import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type DnsCheckConfig } from '../../agent/config/schema.js';
import { createLogger } from '../../agent/log.js';
import { dnsProbe } from '../../agent/probes/dns.js';
import type { ProbeContext } from '../../agent/probes/types.js';
import { startDnsServer, type DnsTestServer } from '../helpers/dns-server.js';

/** A dns check as the agent sees it: the written form run through the real schema (defaults applied). */
function dnsCheck(check: Record<string, unknown>): DnsCheckConfig {
  const config = configSchema.parse({
    agent: { id: 't' },
    entity: { code: 'MOH', name: { ar: 'a', en: 'b' } },
    services: [{ id: 's', name: { ar: 'a', en: 'b' }, checks: [{ id: 'c', type: 'dns', ...check }] }],
  });
  const parsed = config.services[0]!.checks[0]!;
  if (parsed.type !== 'dns') throw new Error('expected a dns check');
  return parsed;
}

const log = createLogger({ level: 'silent' });
const ctx = (timeoutMs = 2000, signal: AbortSignal = AbortSignal.timeout(timeoutMs)): ProbeContext => ({ signal, log, timeoutMs });

let server: DnsTestServer;

beforeAll(async () => {
  server = await startDnsServer({
    'ok.test.': {
      A: ['10.0.0.1', '10.0.0.2'],
      AAAA: ['::1', '2001:db8::5'],
      TXT: [['v=spf1 ', '-all'], ['google-site-verification=abc']],
      MX: [{ priority: 10, exchange: 'mx.ok.test' }],
      NS: ['ns1.ok.test', 'ns2.ok.test'],
    },
    'alias.test': { CNAME: ['target.test'] },
    'servfail.test': { behaviour: 'servfail' },
    'refused.test': { behaviour: 'refused' },
    'silent.test': { behaviour: 'drop' },
    'slow.test': { A: ['10.9.9.9'], delayMs: 150 },
  });
});
afterAll(() => server.close());

const run = (check: Record<string, unknown>, c = ctx()) => dnsProbe(dnsCheck({ server: server.address, ...check }), c);

describe('dnsProbe answers', () => {
  it.each([
    ['A', 'ok.test', '10.0.0.1, 10.0.0.2'],
    ['AAAA', 'ok.test', '::1, 2001:db8::5'],
    ['CNAME', 'alias.test', 'target.test'],
    ['MX', 'ok.test', '10 mx.ok.test'],
    ['TXT', 'ok.test', 'v=spf1 -all, google-site-verification=abc'],
    ['NS', 'ok.test', 'ns1.ok.test, ns2.ok.test'],
  ])('%s %s is up', async (record, name, answers) => {
    const r = await run({ name, record });
    expect(r).toMatchObject({ status: 'up', code: 'OK', detail: `${record} ${name} → ${answers} (NOERROR)` });
    expect(r.phases.dns).toBeGreaterThan(0);
    expect(r.phases.total).toBe(r.phases.dns);
    // In 0.01 ms steps, as every probe times itself (connect.ts since()): the history packs them.
    expect(Math.round(r.phases.total * 100) / 100).toBe(r.phases.total);
    expect(Math.abs(r.observedAt - Date.now())).toBeLessThan(5000);
  });

  it('defaults to an A query and waits for a slow server', async () => {
    const r = await run({ name: 'slow.test' });
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.phases.total).toBeGreaterThanOrEqual(100);
  });

  it('passes when an answer contains expect.answer_contains (names case-insensitively)', async () => {
    expect(await run({ name: 'ok.test', record: 'TXT', expect: { answer_contains: 'spf1 -all' } })).toMatchObject({ status: 'up' });
    expect(await run({ name: 'ok.test', record: 'MX', expect: { answer_contains: 'MX.OK.TEST' } })).toMatchObject({ status: 'up' });
  });

  it('fails with DNS_ANSWER_MISMATCH listing the answers', async () => {
    const r = await run({ name: 'ok.test', record: 'A', expect: { answer_contains: '10.0.0.3' } });
    expect(r).toMatchObject({ status: 'down', code: 'DNS_ANSWER_MISMATCH' });
    expect(r.detail).toBe('A ok.test → 10.0.0.1, 10.0.0.2: no answer contains "10.0.0.3"');
  });
});

describe('dnsProbe response codes', () => {
  it('NXDOMAIN when NOERROR is expected → DNS_NXDOMAIN', async () => {
    const r = await run({ name: 'missing.test' });
    expect(r).toMatchObject({ status: 'down', code: 'DNS_NXDOMAIN', detail: 'A missing.test: got NXDOMAIN, expected NOERROR' });
  });

  it('NXDOMAIN expected and received → up', async () => {
    expect(await run({ name: 'missing.test', expect: { rcode: 'NXDOMAIN' } })).toMatchObject({ status: 'up', code: 'OK' });
  });

  it('NOERROR when NXDOMAIN is expected → DNS_RCODE', async () => {
    const r = await run({ name: 'ok.test', expect: { rcode: 'NXDOMAIN' } });
    expect(r).toMatchObject({ status: 'down', code: 'DNS_RCODE' });
    expect(r.detail).toMatch(/got NOERROR, expected NXDOMAIN$/);
  });

  it('SERVFAIL → DNS_SERVFAIL, REFUSED → DNS_REFUSED', async () => {
    expect(await run({ name: 'servfail.test' })).toMatchObject({ status: 'down', code: 'DNS_SERVFAIL' });
    expect(await run({ name: 'refused.test' })).toMatchObject({ status: 'down', code: 'DNS_REFUSED' });
    expect(await run({ name: 'refused.test', expect: { rcode: 'REFUSED' } })).toMatchObject({ status: 'up' });
  });

  it('NOERROR without answers → DNS_NODATA', async () => {
    const r = await run({ name: 'alias.test', record: 'A' });
    expect(r).toMatchObject({ status: 'down', code: 'DNS_NODATA' });
  });
});

describe('dnsProbe deadlines and servers', () => {
  it('a server that never answers → DNS_TIMEOUT within timeout + 1 s', async () => {
    const t0 = performance.now();
    const r = await run({ name: 'silent.test' }, ctx(500));
    expect(r).toMatchObject({ status: 'down', code: 'DNS_TIMEOUT' });
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('an abort through the signal returns promptly as ABORTED', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = performance.now();
    const r = await run({ name: 'silent.test' }, ctx(10_000, AbortSignal.any([ac.signal, AbortSignal.timeout(10_000)])));
    expect(r).toMatchObject({ status: 'down', code: 'ABORTED' });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a timeout signal combined with AbortSignal.any still counts as DNS_TIMEOUT', async () => {
    const ac = new AbortController();
    const r = await run({ name: 'silent.test' }, ctx(300, AbortSignal.any([ac.signal, AbortSignal.timeout(300)])));
    expect(r.code).toBe('DNS_TIMEOUT');
  });

  it('takes port 53 when the server has none (nothing listens there → ECONNREFUSED, not CONFIG)', async () => {
    const check = dnsCheck({ name: 'ok.test', server: '127.0.0.1' });
    expect(check.server).toBe('127.0.0.1');
    const r = await dnsProbe(check, ctx());
    expect(r).toMatchObject({ status: 'down', code: 'ECONNREFUSED' });
  });

  it('talks to an IPv6 server given in brackets', async () => {
    const v6 = await startDnsServer({ 'six.test': { AAAA: ['2001:db8::1'] } }, { host: '::1' });
    try {
      expect(v6.address).toMatch(/^\[::1\]:\d+$/);
      const r = await dnsProbe(dnsCheck({ name: 'six.test', record: 'AAAA', server: v6.address }), ctx());
      expect(r).toMatchObject({ status: 'up', detail: 'AAAA six.test → 2001:db8::1 (NOERROR)' });
      expect(v6.queries).toBe(1);
    } finally {
      await v6.close();
    }
  });

  it('sees zone changes made while the server runs', async () => {
    server.set('flip.test', { A: ['10.1.1.1'] });
    expect(await run({ name: 'flip.test' })).toMatchObject({ status: 'up' });
    server.set('flip.test', { behaviour: 'servfail' });
    expect(await run({ name: 'flip.test' })).toMatchObject({ code: 'DNS_SERVFAIL' });
    server.set('flip.test', undefined);
    expect(await run({ name: 'flip.test' })).toMatchObject({ code: 'DNS_NXDOMAIN' });
    expect(server.questions.filter((q) => q.name === 'flip.test')).toHaveLength(3);
  });
});
