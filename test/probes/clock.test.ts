/**
 * Probes take their wall-clock time from the context's clock: `observedAt`, and the "now" a
 * certificate's remaining days are counted from. The fixture certificate for localhost expires on
 * 2046-01-01, so a clock set three weeks before that makes it expire soon; the machine's does not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dnsProbe } from '../../agent/probes/dns.js';
import { httpProbe } from '../../agent/probes/http.js';
import { tcpProbe } from '../../agent/probes/tcp.js';
import { tlsProbe } from '../../agent/probes/tls.js';
import { httpCheck, probeContext, tcpCheck, tlsCheck } from '../helpers/check-config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { CA_FILE, startHttpTarget, startTcpTarget, type Target } from '../helpers/targets.js';
import { configSchema, type DnsCheckConfig } from '../../agent/config/schema.js';

/** Three weeks before the localhost fixture's notAfter (2046-01-01T00:00:00Z). */
const SOON = Date.UTC(2045, 11, 11, 0, 0, 0);

const targets: Target[] = [];
afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

const withClock = (clock: ManualClock) => ({ ...probeContext(), clock });

describe('probes on an injected clock', () => {
  it('date an HTTP result by the clock and count certificate days from it', async () => {
    const t = await startHttpTarget({ tls: 'localhost' });
    targets.push(t);
    const clock = new ManualClock(SOON);
    const r = await httpProbe(httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE, expect: { cert_valid_days: 30 } }), withClock(clock));
    expect(r.observedAt).toBe(SOON);
    expect(r).toMatchObject({ status: 'degraded', code: 'TLS_CERT_EXPIRING' });
    expect(r.detail).toContain('fewer than 30 days');
  });

  it('date a TLS result by the clock and count certificate days from it', async () => {
    const t = await startHttpTarget({ tls: 'localhost' });
    targets.push(t);
    const clock = new ManualClock(SOON);
    const r = await tlsProbe(
      tlsCheck({ host: '127.0.0.1', port: t.port, servername: 'localhost', ca_file: CA_FILE, expect: { cert_valid_days: 30 } }),
      withClock(clock),
    );
    expect(r.observedAt).toBe(SOON);
    expect(r).toMatchObject({ status: 'degraded', code: 'TLS_CERT_EXPIRING' });
  });

  it('date TCP and DNS results by the clock', async () => {
    const t = await startTcpTarget();
    targets.push(t);
    const clock = new ManualClock(SOON);
    expect((await tcpProbe(tcpCheck({ host: '127.0.0.1', port: t.port }), withClock(clock))).observedAt).toBe(SOON);
    const dns = configSchema.parse({
      agent: { id: 't' },
      entity: { code: 'MOH', name: { ar: 'a', en: 'b' } },
      // A server that refuses at once: the result, whatever it is, is dated.
      services: [{ id: 's', name: { ar: 'a', en: 'b' }, checks: [{ id: 'd', type: 'dns', name: 'example.test', server: `127.0.0.1:${t.port}` }] }],
    }).services[0]!.checks[0] as DnsCheckConfig;
    expect((await dnsProbe(dns, { ...probeContext(500), clock })).observedAt).toBe(SOON);
  });
});
