import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe } from '../../agent/probes/http.js';
import { tlsProbe } from '../../agent/probes/tls.js';
import { DAY_MS, HOUR_MS, makeCertChain, type CertChain } from '../helpers/cert-chain.js';
import { httpCheck, probeContext, tlsCheck } from '../helpers/check-config.js';
import { startNginx, type Nginx } from '../helpers/nginx.js';
import { closedPort } from '../helpers/targets.js';

/**
 * A server nobody here wrote: Debian's nginx, presenting a leaf valid for a year and an
 * intermediate that expires in five days (made for the test), on a TLS port next to its plain one.
 */
let chain: CertChain;
let nginx: Nginx;
let tlsPort: number;
let plainPort: number;
let intermediateTo: number;
beforeAll(async () => {
  intermediateTo = Date.now() + 5 * DAY_MS + HOUR_MS;
  chain = await makeCertChain({ intermediate: { to: intermediateTo } });
  tlsPort = await closedPort();
  // One server block, two listeners: the helper's plain one, and TLS with the chain file (leaf, then intermediate).
  nginx = await startNginx(
    {},
    [
      `    listen 127.0.0.1:${tlsPort} ssl;`,
      `    ssl_certificate ${chain.chainFile};`,
      `    ssl_certificate_key ${chain.leafKeyFile};`,
      '    location / { return 200 "ok\\n"; }',
    ].join('\n'),
  );
  plainPort = Number(new URL(nginx.url).port);
}, 30_000);
afterAll(async () => {
  await nginx?.stop();
  await chain?.remove();
});

describe('probes of a real nginx', () => {
  it('whose intermediate expires in five days: DEGRADED TLS_CERT_EXPIRING naming it, from the tls and https probes', async () => {
    const ca_file = chain.rootFile;
    const tls = await tlsProbe(tlsCheck({ host: 'localhost', port: tlsPort, ca_file }), probeContext());
    const https = await httpProbe(httpCheck({ url: `https://localhost:${tlsPort}/`, ca_file, expect: { cert_valid_days: 14 } }), probeContext());
    for (const r of [tls, https]) {
      expect(r, r.detail).toMatchObject({ status: 'degraded', code: 'TLS_CERT_EXPIRING', tlsCertExpiry: Math.floor(intermediateTo / 1000) });
      expect(r.detail).toMatch(/intermediate CN=Test Intermediate, 5 days left \(expires \d{4}-\d\d-\d\d\), fewer than 14 days$/);
    }
  });

  it('answering a TLS handshake on its plain HTTP port: TLS_PLAINTEXT_ANSWER from both probes, in words', async () => {
    const tls = await tlsProbe(tlsCheck({ host: '127.0.0.1', port: plainPort }), probeContext());
    const https = await httpProbe(httpCheck({ url: `https://127.0.0.1:${plainPort}/` }), probeContext());
    for (const r of [tls, https]) {
      expect(r).toMatchObject({ status: 'down', code: 'TLS_PLAINTEXT_ANSWER' });
      expect(r.detail).toMatch(/^the server answered without TLS \(plain HTTP, or another protocol, on this port\)/);
      expect(r.detail).not.toMatch(/error:|SSL routines/);
    }
  });
});
