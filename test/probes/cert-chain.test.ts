import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeLeft } from '../../agent/probes/cert-verdict.js';
import { httpProbe } from '../../agent/probes/http.js';
import { tlsProbe } from '../../agent/probes/tls.js';
import { TlsSessions } from '../../agent/probes/tls-sessions.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { DAY_MS, HOUR_MS, makeCertChain, serveChain, STALE_CA_CN, type CertChain, type ChainServer } from '../helpers/cert-chain.js';
import { httpCheck, probeContext, tlsCheck } from '../helpers/check-config.js';

/** A chain made for the test and a server presenting it (leaf + intermediate). */
interface Served {
  chain: CertChain;
  server: ChainServer;
}
const made: Served[] = [];
async function served(spec: Parameters<typeof makeCertChain>[0]): Promise<Served> {
  const chain = await makeCertChain(spec);
  const s = { chain, server: await serveChain(chain) };
  made.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(made.map(async (s) => (await s.server.close(), await s.chain.remove())));
});

/** Both probes of the server, trusting its root through `ca_file`. */
async function probeBoth(s: Served, certValidDays = 14): Promise<{ tls: ProbeResult; https: ProbeResult }> {
  const ca_file = s.chain.rootFile;
  const tls = await tlsProbe(tlsCheck({ host: '127.0.0.1', port: s.server.port, ca_file, expect: { cert_valid_days: certValidDays } }), probeContext());
  const check = httpCheck({ url: `https://127.0.0.1:${s.server.port}/`, ca_file, tls_resume: false, expect: { cert_valid_days: certValidDays } });
  return { tls, https: await httpProbe(check, probeContext()) };
}

/** The notAfter openssl wrote for `ms`, in epoch seconds as results carry it (`openssl ca` keeps whole seconds). */
const notAfter = (ms: number) => Math.floor(ms / 1000);

describe('a chain whose intermediate expires before its leaf', () => {
  let fiveDays: Served;
  let intermediateTo: number;
  beforeAll(async () => {
    intermediateTo = Date.now() + 5 * DAY_MS + HOUR_MS;
    fiveDays = await served({ intermediate: { to: intermediateTo } });
  });

  it('is DEGRADED TLS_CERT_EXPIRING from the tls probe, naming the intermediate and exporting its expiry', async () => {
    const { tls } = await probeBoth(fiveDays);
    expect(tls).toMatchObject({ status: 'degraded', code: 'TLS_CERT_EXPIRING', tlsCertExpiry: notAfter(intermediateTo) });
    expect(tls.detail).toMatch(
      /^certificate CN=localhost issued by CN=Test Intermediate; first to expire: intermediate CN=Test Intermediate, 5 days left \(expires \d{4}-\d\d-\d\d\), fewer than 14 days$/,
    );
  });

  it('is DEGRADED TLS_CERT_EXPIRING from the https probe with cert_valid_days, naming the intermediate and exporting its expiry', async () => {
    const { https } = await probeBoth(fiveDays);
    expect(https).toMatchObject({ status: 'degraded', code: 'TLS_CERT_EXPIRING', httpStatus: 200, tlsCertExpiry: notAfter(intermediateTo) });
    expect(https.detail).toMatch(/^200 in \d+ ms, 2 bytes; intermediate CN=Test Intermediate, 5 days left \(expires \d{4}-\d\d-\d\d\), fewer than 14 days$/);
  });

  it('is UP from an https check without cert_valid_days, and still exports the intermediate expiry for the metric', async () => {
    const check = httpCheck({ url: `https://127.0.0.1:${fiveDays.server.port}/`, ca_file: fiveDays.chain.rootFile });
    expect(await httpProbe(check, probeContext())).toMatchObject({ status: 'up', code: 'OK', tlsCertExpiry: notAfter(intermediateTo) });
  });

  it('is UP from both when cert_valid_days is below the days left, with the intermediate named in the tls detail', async () => {
    const { tls, https } = await probeBoth(fiveDays, 3);
    expect(tls).toMatchObject({ status: 'up', code: 'OK', tlsCertExpiry: notAfter(intermediateTo) });
    expect(tls.detail).toContain('first to expire: intermediate CN=Test Intermediate, 5 days left');
    expect(https).toMatchObject({ status: 'up', code: 'OK', tlsCertExpiry: notAfter(intermediateTo) });
  });

  it('keeps the intermediate as what expires first across resumed HTTPS sessions', async () => {
    const sessions = new TlsSessions();
    const ctx = () => ({ ...probeContext(), tlsSessions: sessions });
    const check = httpCheck({ url: `https://127.0.0.1:${fiveDays.server.port}/`, ca_file: fiveDays.chain.rootFile, expect: { cert_valid_days: 14 } });
    const before = { ...fiveDays.server.handshakes };
    const results = [await httpProbe(check, ctx()), await httpProbe(check, ctx()), await httpProbe(check, ctx())];
    expect(fiveDays.server.handshakes.resumed - before.resumed).toBeGreaterThanOrEqual(1);
    for (const r of results) {
      expect(r).toMatchObject({ status: 'degraded', code: 'TLS_CERT_EXPIRING', tlsCertExpiry: notAfter(intermediateTo) });
      expect(r.detail).toContain('intermediate CN=Test Intermediate, 5 days left');
    }
  });
});

describe('a certificate out of its dates anywhere in the chain gets the same code from both probes', () => {
  it('an expired intermediate is TLS_CERT_EXPIRED, naming it, with its expiry exported', async () => {
    const to = Date.now() - 30 * DAY_MS;
    const s = await served({ intermediate: { from: Date.now() - 400 * DAY_MS, to } });
    const { tls, https } = await probeBoth(s);
    for (const r of [tls, https]) {
      expect(r).toMatchObject({ status: 'down', code: 'TLS_CERT_EXPIRED', tlsCertExpiry: notAfter(to) });
      expect(r.detail).toMatch(/^intermediate CN=Test Intermediate expired on \d{4}-\d\d-\d\d \(30 days ago\)/);
    }
  });

  it('an intermediate not valid yet is TLS_CERT_NOT_YET_VALID, naming it', async () => {
    const s = await served({ intermediate: { from: Date.now() + 2 * DAY_MS, to: Date.now() + 400 * DAY_MS } });
    const { tls, https } = await probeBoth(s);
    for (const r of [tls, https]) {
      expect(r).toMatchObject({ status: 'down', code: 'TLS_CERT_NOT_YET_VALID' });
      expect(r.detail).toMatch(/^intermediate CN=Test Intermediate is not valid before \d{4}-/);
    }
  });
});

describe('certificates the server sends off the certification path', () => {
  const intermediateTo = Date.now() + 200 * DAY_MS;
  const longExpired = { from: Date.now() - 3000 * DAY_MS, to: Date.now() - 2500 * DAY_MS };
  let stale: Served;
  let crossSigned: Served;
  beforeAll(async () => {
    stale = await served({ intermediate: { to: intermediateTo }, staleCa: longExpired });
    crossSigned = await served({ intermediate: { to: intermediateTo }, crossSignedRoot: longExpired });
  });

  it('an unrelated expired CA certificate in the bundle leaves both probes UP with the intermediate expiry, never naming it', async () => {
    const { tls, https } = await probeBoth(stale);
    for (const r of [tls, https]) {
      expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK', tlsCertExpiry: notAfter(intermediateTo) });
      expect(r.detail).not.toContain(STALE_CA_CN);
    }
    expect(tls.detail).toContain('first to expire: intermediate CN=Test Intermediate, 199 days left');
  });

  it('an unrelated expired CA certificate in the bundle does not stop HTTPS sessions from being resumed', async () => {
    const sessions = new TlsSessions();
    const ctx = () => ({ ...probeContext(), tlsSessions: sessions });
    const check = httpCheck({ url: `https://127.0.0.1:${stale.server.port}/`, ca_file: stale.chain.rootFile, expect: { cert_valid_days: 14 } });
    const before = { ...stale.server.handshakes };
    const results = [await httpProbe(check, ctx()), await httpProbe(check, ctx()), await httpProbe(check, ctx())];
    expect(stale.server.handshakes.resumed - before.resumed).toBeGreaterThanOrEqual(1);
    for (const r of results) expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK', tlsCertExpiry: notAfter(intermediateTo) });
  });

  it('a refused handshake is not blamed on an unrelated expired CA certificate: TLS_CERT_UNTRUSTED from both probes', async () => {
    const tls = await tlsProbe(tlsCheck({ host: '127.0.0.1', port: stale.server.port }), probeContext());
    const https = await httpProbe(httpCheck({ url: `https://127.0.0.1:${stale.server.port}/`, tls_resume: false }), probeContext());
    for (const r of [tls, https]) {
      expect(r, r.detail).toMatchObject({ status: 'down', code: 'TLS_CERT_UNTRUSTED', tlsCertExpiry: notAfter(intermediateTo) });
      expect(r.detail).toMatch(/certificate CN=localhost issued by CN=Test Intermediate is not trusted: UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
      expect(r.detail).not.toContain(STALE_CA_CN);
    }
  });

  it('an expired cross-signed copy of a root trusted on its own leaves both probes UP with the intermediate expiry', async () => {
    const { tls, https } = await probeBoth(crossSigned);
    for (const r of [tls, https]) {
      expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK', tlsCertExpiry: notAfter(intermediateTo) });
      expect(r.detail).not.toMatch(/Test Root|expired/);
    }
  });
});

describe('time left', () => {
  it('is whole days from two days up, hours under two days, minutes under an hour', () => {
    const minute = 60_000;
    const hour = 60 * minute;
    expect(timeLeft(4 * 24 * hour + 23 * hour)).toBe('4 days');
    expect(timeLeft(48 * hour)).toBe('2 days');
    expect(timeLeft(48 * hour - 1)).toBe('47 hours');
    expect(timeLeft(hour)).toBe('1 hour');
    expect(timeLeft(hour - 1)).toBe('59 minutes');
    expect(timeLeft(minute)).toBe('1 minute');
    expect(timeLeft(0)).toBe('0 minutes');
  });

  it('is said in hours by both probes, for a leaf that expires in about 30 hours', async () => {
    const s = await served({ leaf: { to: Date.now() + 30 * HOUR_MS + 30 * 60_000 } });
    const { tls, https } = await probeBoth(s, 2);
    expect(tls).toMatchObject({ status: 'degraded', code: 'TLS_CERT_EXPIRING' });
    expect(tls.detail).toMatch(/^certificate CN=localhost issued by CN=Test Intermediate, 30 hours left \(expires \d{4}-\d\d-\d\d\), fewer than 2 days$/);
    expect(https).toMatchObject({ status: 'degraded', code: 'TLS_CERT_EXPIRING' });
    expect(https.detail).toContain('; certificate CN=localhost issued by CN=Test Intermediate, 30 hours left');
  });
});
