import { afterEach, describe, expect, it } from 'vitest';
import { tlsProbe } from '../../agent/probes/tls.js';
import { probeContext, tlsCheck } from '../helpers/check-config.js';
import { CA_FILE, startHttpTarget, startSilentTarget, type CertName, type Target } from '../helpers/targets.js';

const open: Target[] = [];
const serve = async (cert?: CertName) => {
  const t = await startHttpTarget(cert ? { tls: cert } : {});
  open.push(t);
  return t;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});
const EXPIRY_2046 = Date.UTC(2046, 0, 1) / 1000;

describe('tlsProbe certificate verdicts', () => {
  it('is up for a trusted, matching, long-lived certificate, with expiry, phases and names in the detail', async () => {
    const t = await serve('localhost');
    const r = await tlsProbe(tlsCheck({ host: 'localhost', port: t.port, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK', tlsCertExpiry: EXPIRY_2046 });
    expect(r.detail).toMatch(/CN=localhost issued by CN=raqib test CA, \d+ days left/);
    for (const p of ['dns', 'connect', 'tls', 'total'] as const) expect(r.phases[p]).toBeGreaterThanOrEqual(0);
    await t.idle();
  });

  it('checks an IP literal against the IP SAN without sending it as SNI', async () => {
    const t = await serve('localhost');
    const r = await tlsProbe(tlsCheck({ host: '127.0.0.1', port: t.port, ca_file: CA_FILE }), probeContext());
    expect(r.code).toBe('OK');
    expect(r.phases.dns).toBeUndefined();
  });

  it('degrades with TLS_CERT_EXPIRING when fewer days are left than cert_valid_days', async () => {
    const t = await serve('localhost');
    const r = await tlsProbe(tlsCheck({ host: 'localhost', port: t.port, ca_file: CA_FILE, expect: { cert_valid_days: 100000 } }), probeContext());
    expect(r).toMatchObject({ status: 'degraded', code: 'TLS_CERT_EXPIRING', tlsCertExpiry: EXPIRY_2046 });
  });

  it('reports an expired certificate as TLS_CERT_EXPIRED and still gives its expiry', async () => {
    const t = await serve('expired');
    const r = await tlsProbe(tlsCheck({ host: 'localhost', port: t.port, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TLS_CERT_EXPIRED', tlsCertExpiry: Date.UTC(2021, 0, 1) / 1000 });
    expect(r.detail).toContain('2021-01-01');
  });

  it('reports a self-signed certificate as TLS_CERT_UNTRUSTED with the OpenSSL reason', async () => {
    const t = await serve('selfsigned');
    const r = await tlsProbe(tlsCheck({ host: 'localhost', port: t.port, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TLS_CERT_UNTRUSTED' });
    expect(r.detail).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(r.tlsCertExpiry).toBeGreaterThan(Date.now() / 1000);
  });

  it('reports a certificate from an unknown CA as TLS_CERT_UNTRUSTED when no ca_file is given', async () => {
    const t = await serve('localhost');
    const r = await tlsProbe(tlsCheck({ host: 'localhost', port: t.port }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TLS_CERT_UNTRUSTED' });
  });

  it('reports a certificate for another name as TLS_HOSTNAME_MISMATCH, and passes with the right servername', async () => {
    const t = await serve('wronghost');
    const r = await tlsProbe(tlsCheck({ host: 'localhost', port: t.port, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TLS_HOSTNAME_MISMATCH' });
    expect(r.detail).toContain('wrong.example');
    const sni = await tlsProbe(tlsCheck({ host: '127.0.0.1', port: t.port, servername: 'wrong.example', ca_file: CA_FILE }), probeContext());
    expect(sni.code).toBe('OK');
  });
});

describe('tlsProbe failures', () => {
  it('times out promptly when the server accepts but never answers the handshake, and hangs up', async () => {
    const silent = await startSilentTarget();
    open.push(silent);
    const started = Date.now();
    const r = await tlsProbe(tlsCheck({ host: '127.0.0.1', port: silent.port }), probeContext(300));
    expect(r).toMatchObject({ status: 'down', code: 'TIMEOUT' });
    expect(r.detail).toContain('TLS handshake');
    expect(r.tlsCertExpiry).toBeUndefined();
    expect(r.phases.connect).toBeGreaterThanOrEqual(0);
    expect(r.phases.tls).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1300);
    await silent.idle();
  });

  it('reports a plain-text server as TLS_PLAINTEXT_ANSWER', async () => {
    const t = await serve();
    const r = await tlsProbe(tlsCheck({ host: '127.0.0.1', port: t.port }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TLS_PLAINTEXT_ANSWER' });
  });

  it('reports an unreadable ca_file as CONFIG', async () => {
    const r = await tlsProbe(tlsCheck({ host: '127.0.0.1', port: 443, ca_file: '/nonexistent/ca.pem' }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'CONFIG' });
  });
});
