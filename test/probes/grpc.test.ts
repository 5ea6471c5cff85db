/**
 * The grpc probe against real gRPC servers (@grpc/grpc-js with the standard health service of
 * grpc-health-check), in plaintext and over TLS with the fixture CA, and against servers that are
 * not gRPC at all. What reach.ts makes of each code is asserted beside it: a server's own verdict
 * shows the agent can see, a failure without one shows nothing.
 */
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcProbe } from '../../agent/probes/grpc.js';
import { healthCheckRequest, readServingStatus } from '../../agent/probes/grpc-health.js';
import { reachedHost } from '../../agent/probes/reach.js';
import { TlsSessions } from '../../agent/probes/tls-sessions.js';
import { grpcCheck, probeContext } from '../helpers/check-config.js';
import { startGrpcServer, type GrpcServer } from '../helpers/grpc-server.js';
import { CA_FILE, closedPort, startHttpTarget, startSilentTarget, type Target } from '../helpers/targets.js';

const open: (GrpcServer | Target)[] = [];
const track = <T extends GrpcServer | Target>(t: T): T => (open.push(t), t);
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

const plain = (port: number, extra: Parameters<typeof grpcCheck>[0] | object = {}) => grpcCheck({ target: `127.0.0.1:${port}`, tls: false, ...extra });

describe('grpcProbe health verdicts (plaintext)', () => {
  it('is up when the server is SERVING, with connect, ttfb, transfer and total phases', async () => {
    const s = track(await startGrpcServer());
    const r = await grpcProbe(plain(s.port), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.detail).toMatch(/^the server is SERVING \(127\.0\.0\.1:\d+, \d+ ms\)$/);
    expect(r.phases.dns).toBeUndefined();
    expect(r.phases.tls).toBeUndefined();
    for (const p of ['connect', 'ttfb', 'transfer'] as const) expect(r.phases[p]).toBeGreaterThanOrEqual(0);
    expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.connect!);
  });

  it('asks about the named service, and says NOT_SERVING as GRPC_NOT_SERVING, an answer from the host', async () => {
    const s = track(await startGrpcServer({ statuses: { '': 'SERVING', 'moh.Appointments': 'NOT_SERVING' } }));
    const r = await grpcProbe(plain(s.port, { service: 'moh.Appointments' }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'GRPC_NOT_SERVING' });
    expect(r.detail).toContain('service "moh.Appointments" is NOT_SERVING');
    expect(reachedHost('grpc', r)).toBe(true);
    s.health.setStatus('moh.Appointments', 'SERVING');
    expect(await grpcProbe(plain(s.port, { service: 'moh.Appointments' }), probeContext())).toMatchObject({ status: 'up', code: 'OK' });
  });

  it('says UNKNOWN as GRPC_UNKNOWN', async () => {
    const s = track(await startGrpcServer({ statuses: { '': 'UNKNOWN' } }));
    const r = await grpcProbe(plain(s.port), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'GRPC_UNKNOWN' });
    expect(reachedHost('grpc', r)).toBe(true);
  });

  it('says a service the server does not know (grpc-status 5 NOT_FOUND) as GRPC_SERVICE_UNKNOWN', async () => {
    const s = track(await startGrpcServer());
    const r = await grpcProbe(plain(s.port, { service: 'no.Such' }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'GRPC_SERVICE_UNKNOWN' });
    expect(r.detail).toContain('does not know service "no.Such" (grpc-status 5 NOT_FOUND');
    expect(reachedHost('grpc', r)).toBe(true);
  });

  it('does not take a SERVING answer from a server that does not answer as gRPC', async () => {
    // An HTTP/2 server that answers every path with a page, carrying a grpc-status header and a body shaped like SERVING.
    const server = http2.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'grpc-status': '0' });
      res.end(Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    track({ port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) } as unknown as Target);
    const r = await grpcProbe(plain((server.address() as AddressInfo).port), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'GRPC_PROTOCOL_ERROR' });
    expect(r.detail).toContain('the answer is not gRPC (content-type: text/html)');
  });

  it('says a server without the health service as GRPC_STATUS 12 UNIMPLEMENTED', async () => {
    const s = track(await startGrpcServer({ health: false }));
    const r = await grpcProbe(plain(s.port), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'GRPC_STATUS' });
    expect(r.detail).toContain('grpc-status 12 UNIMPLEMENTED');
    // A proxy on the agent's side makes such codes of its own errors: no proof the host answered.
    expect(reachedHost('grpc', r)).toBe(false);
  });

  it("gives up at the check's deadline on a server that never answers, which proves nothing", async () => {
    const s = track(await startGrpcServer({ hang: true }));
    const r = await grpcProbe(plain(s.port), probeContext(400));
    expect(r).toMatchObject({ status: 'down', code: 'TIMEOUT' });
    expect(r.detail).toContain('no answer within the 400 ms deadline while waiting for the response');
    expect(reachedHost('grpc', r)).toBe(false);
  });

  it('says UNAVAILABLE and DEADLINE_EXCEEDED, which a proxy in front answers too, as codes that prove nothing', async () => {
    const unavailable = track(await startGrpcServer({ fail: { code: grpc.status.UNAVAILABLE, details: 'upstream connect error' } }));
    const r = await grpcProbe(plain(unavailable.port), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'GRPC_UNAVAILABLE' });
    expect(r.detail).toContain('grpc-status 14 UNAVAILABLE: upstream connect error');
    expect(reachedHost('grpc', r)).toBe(false);
    const late = track(await startGrpcServer({ fail: { code: grpc.status.DEADLINE_EXCEEDED, details: 'upstream timeout' } }));
    const d = await grpcProbe(plain(late.port), probeContext());
    expect(d).toMatchObject({ status: 'down', code: 'GRPC_DEADLINE_EXCEEDED' });
    expect(reachedHost('grpc', d)).toBe(false);
  });

  it('says a refused connection as ECONNREFUSED, and an unknown name as DNS_NXDOMAIN', async () => {
    const refused = await grpcProbe(plain(await closedPort()), probeContext());
    expect(refused).toMatchObject({ status: 'down', code: 'ECONNREFUSED' });
    expect(reachedHost('grpc', refused)).toBe(false);
    const r = await grpcProbe(grpcCheck({ target: 'nope.invalid:50051', tls: false }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'DNS_NXDOMAIN' });
  });

  it('says an HTTP/1.1 server as GRPC_PROTOCOL_ERROR, which proves nothing', async () => {
    const t = track(await startHttpTarget());
    const r = await grpcProbe(plain(t.port), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'GRPC_PROTOCOL_ERROR' });
    expect(r.detail).toContain('in plaintext (tls: false)?');
    expect(reachedHost('grpc', r)).toBe(false);
  });

  it('stops at once on a silent peer when the context aborts', async () => {
    const t = track(await startSilentTarget());
    const shutdown = new AbortController();
    const probing = grpcProbe(plain(t.port), probeContext(10_000, shutdown.signal));
    setTimeout(() => shutdown.abort(), 50);
    expect(await probing).toMatchObject({ status: 'down', code: 'ABORTED' });
    await t.idle();
  });
});

describe('grpcProbe over TLS', () => {
  it('is up through a certificate the fixture CA issued, with dns and tls phases and the expiry', async () => {
    const s = track(await startGrpcServer({ tls: 'localhost' }));
    const r = await grpcProbe(grpcCheck({ target: `localhost:${s.port}`, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.phases.dns).toBeGreaterThanOrEqual(0);
    expect(r.phases.tls).toBeGreaterThanOrEqual(0);
    expect(r.tlsCertExpiry).toBeGreaterThan(Date.now() / 1000);
  });

  it('refuses a certificate no trusted CA issued (TLS_CERT_UNTRUSTED), an answer from the host, unless insecure', async () => {
    const s = track(await startGrpcServer({ tls: 'localhost' }));
    const r = await grpcProbe(grpcCheck({ target: `localhost:${s.port}` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TLS_CERT_UNTRUSTED' });
    expect(reachedHost('grpc', r)).toBe(true);
    expect(await grpcProbe(grpcCheck({ target: `localhost:${s.port}`, insecure: true }), probeContext())).toMatchObject({ code: 'OK' });
  });

  it('refuses a certificate for another name (TLS_HOSTNAME_MISMATCH), and checks servername when given', async () => {
    const s = track(await startGrpcServer({ tls: 'wronghost' }));
    const r = await grpcProbe(grpcCheck({ target: `localhost:${s.port}`, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TLS_HOSTNAME_MISMATCH' });
    const good = track(await startGrpcServer({ tls: 'localhost' }));
    const named = await grpcProbe(grpcCheck({ target: `127.0.0.1:${good.port}`, servername: 'localhost', ca_file: CA_FILE }), probeContext());
    expect(named).toMatchObject({ status: 'up', code: 'OK' });
  });

  it('says a TLS server that does not offer HTTP/2 as GRPC_PROTOCOL_ERROR', async () => {
    const t = track(await startHttpTarget({ tls: 'localhost' }));
    const r = await grpcProbe(grpcCheck({ target: `localhost:${t.port}`, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'GRPC_PROTOCOL_ERROR' });
    expect(r.detail).toContain('did not agree to HTTP/2');
  });

  it('keeps the session of a probe that passed for the next one, and forgets it after a failure', async () => {
    const s = track(await startGrpcServer({ tls: 'localhost', statuses: { '': 'SERVING', x: 'NOT_SERVING' } }));
    const sessions = new TlsSessions();
    const ctx = () => ({ ...probeContext(), tlsSessions: sessions });
    expect(await grpcProbe(grpcCheck({ target: `localhost:${s.port}`, ca_file: CA_FILE }), ctx())).toMatchObject({ code: 'OK' });
    expect(await grpcProbe(grpcCheck({ target: `localhost:${s.port}`, ca_file: CA_FILE }), ctx())).toMatchObject({ code: 'OK' });
    expect(sessions.size).toBe(1);
    expect(await grpcProbe(grpcCheck({ target: `localhost:${s.port}`, ca_file: CA_FILE, service: 'x' }), ctx())).toMatchObject({ code: 'GRPC_NOT_SERVING' });
    expect(sessions.size).toBe(0);
  });

  it('gives CONFIG for a ca_file that cannot be read', async () => {
    const r = await grpcProbe(grpcCheck({ target: 'localhost:1', ca_file: '/nonexistent/ca.pem' }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'CONFIG' });
  });
});

describe('grpc health messages', () => {
  it('encodes a request with and without a service name, framed', () => {
    expect(healthCheckRequest('')).toEqual(Buffer.from([0, 0, 0, 0, 0]));
    expect(healthCheckRequest('ab')).toEqual(Buffer.from([0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]));
  });

  it('reads a status, skips unknown fields, and refuses what is cut short or compressed', () => {
    expect(readServingStatus(Buffer.from([0, 0, 0, 0, 2, 0x08, 2]))).toEqual({ status: 2 });
    expect(readServingStatus(Buffer.from([0, 0, 0, 0, 0]))).toEqual({ status: 0 });
    expect(readServingStatus(Buffer.from([0, 0, 0, 0, 6, 0x12, 2, 0x61, 0x62, 0x08, 1]))).toEqual({ status: 1 });
    expect(readServingStatus(Buffer.from([0, 0, 0, 0, 9, 0x08]))).toHaveProperty('error');
    expect(readServingStatus(Buffer.from([1, 0, 0, 0, 2, 0x08, 1]))).toHaveProperty('error');
  });
});
