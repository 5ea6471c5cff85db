/**
 * The grpc, websocket and icmp check types from config to the rest of the agent: the defaults the
 * schema gives, the host the blind guard counts (reach.ts), which of their results prove the agent
 * can see the network, and their series in /metrics (the type label, the phases they time).
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../agent/metrics/metrics.js';
import { reachedHost } from '../../agent/probes/reach.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { loadedConfig } from '../helpers/config.js';

const checks = [
  { id: 'rpc', type: 'grpc', target: 'GRPC.moh.gov.sa:8443' },
  { id: 'rpc6', type: 'grpc', target: '[2001:db8::1]:50051', tls: false, service: 'moh.Booking' },
  { id: 'live', type: 'websocket', url: 'wss://Live.moh.gov.sa/socket?token=x' },
  { id: 'gw', type: 'icmp', host: '198.51.100.1' },
];

describe('new check types in the config', () => {
  const loaded = loadedConfig([{ id: 'portal', checks }]);
  const byId = Object.fromEntries(loaded.checks.map((c) => [c.checkId, c]));

  it('take their documented defaults', () => {
    expect(byId.rpc!.config).toMatchObject({ service: '', tls: true, insecure: false, tls_resume: true, critical: true });
    expect(byId.live!.config).toMatchObject({ headers: {}, expect: {}, insecure: false, tls_resume: true });
    expect(byId.gw!.config).toEqual({ id: 'gw', type: 'icmp', host: '198.51.100.1', critical: true });
  });

  it('name the host the blind guard counts, lower-cased, without port or brackets', () => {
    expect([byId.rpc!.host, byId.rpc6!.host, byId.live!.host, byId.gw!.host]).toEqual(['grpc.moh.gov.sa', '2001:db8::1', 'live.moh.gov.sa', '198.51.100.1']);
  });
});

describe('which results of the new types prove the agent can see (reach.ts)', () => {
  const r = (status: ProbeResult['status'], code: string, httpStatus?: number): ProbeResult => ({
    status,
    code,
    detail: '',
    phases: { total: 1 },
    observedAt: 0,
    ...(httpStatus !== undefined ? { httpStatus } : {}),
  });
  it.each([
    ['grpc', r('up', 'OK'), true],
    ['grpc', r('down', 'GRPC_NOT_SERVING'), true],
    ['grpc', r('down', 'GRPC_UNKNOWN'), true],
    ['grpc', r('down', 'GRPC_SERVICE_UNKNOWN'), true],
    ['grpc', r('down', 'GRPC_STATUS'), false], // a proxy's own error may become one
    ['grpc', r('down', 'HTTP_STATUS', 503), true],
    ['grpc', r('down', 'HTTP_STATUS', 502), false],
    ['grpc', r('down', 'GRPC_UNAVAILABLE'), false],
    ['grpc', r('down', 'GRPC_DEADLINE_EXCEEDED'), false],
    ['grpc', r('down', 'GRPC_PROTOCOL_ERROR'), false],
    ['grpc', r('down', 'TIMEOUT'), false],
    ['websocket', r('down', 'HTTP_STATUS', 503), true],
    ['websocket', r('down', 'WS_NO_MESSAGE', 101), true],
    ['websocket', r('degraded', 'WS_MESSAGE_TOO_LARGE', 101), true],
    ['websocket', r('down', 'ECONNREFUSED'), false],
    ['icmp', r('up', 'OK'), true],
    ['icmp', r('down', 'ICMP_NO_REPLY'), false],
    ['icmp', r('down', 'ICMP_UNREACHABLE'), false],
    ['icmp', r('degraded', 'ICMP_NOT_PERMITTED'), false],
    ['icmp', r('degraded', 'ICMP_UNAVAILABLE'), false],
  ] as const)('%s %o: %s', (type, result, answered) => {
    expect(reachedHost(type, result)).toBe(answered);
  });
});

describe('new check types in /metrics', () => {
  it('carry their type label and the phases they timed', async () => {
    const metrics = new Metrics(new Registry(), { version: 'test', agent: 'a' });
    const loaded = loadedConfig([{ id: 'portal', checks }]);
    metrics.addService('portal', 'UP', 0, 99.5);
    for (const spec of loaded.checks) metrics.addCheck(spec, 'UNKNOWN');
    const phases = {
      rpc: { connect: 1, tls: 2, ttfb: 3, transfer: 4, total: 10 },
      live: { connect: 1, ttfb: 3, transfer: 5, total: 9 },
      gw: { ttfb: 0.5, total: 4 },
    };
    for (const spec of loaded.checks) {
      const p = phases[spec.checkId as keyof typeof phases] ?? { total: 1 };
      metrics.observeProbe(spec, { status: 'up', code: 'OK', detail: '', phases: p, observedAt: 0 });
    }
    const text = await metrics.render();
    expect(text).toContain('raqib_probe_success{service="portal",check="rpc",type="grpc"} 1');
    expect(text).toContain('raqib_probe_success{service="portal",check="live",type="websocket"} 1');
    expect(text).toContain('raqib_probe_success{service="portal",check="gw",type="icmp"} 1');
    expect(text).toMatch(/raqib_probe_phase_seconds\{service="portal",check="rpc",phase="transfer"\} 0\.004/);
    expect(text).toMatch(/raqib_probe_phase_seconds\{service="portal",check="gw",phase="ttfb"\} 0\.0005/);
    expect(text).toMatch(/raqib_probe_duration_seconds_count\{service="portal",type="icmp"\} 1/);
  });
});
