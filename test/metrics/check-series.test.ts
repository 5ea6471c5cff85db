import { describe, expect, it } from 'vitest';
import type { CheckState } from '../../agent/detect/transition.js';
import { CHECK_FAMILIES, CheckSeries } from '../../agent/metrics/check-series.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { isOneByte, twoByteSlice } from '../helpers/one-byte.js';

const spec = { key: 'web/portal', serviceId: 'web', checkId: 'portal', type: 'http' };
const result = (over: Record<string, unknown> = {}) => ({ status: 'up' as const, code: 'OK', detail: '', phases: { dns: 1, connect: 2, tls: 3, ttfb: 4, total: 10 }, observedAt: 0, httpStatus: 200, ...over });

describe('per-check series', () => {
  it('renders each family once, with HELP and TYPE, and the check state as one-of-four', () => {
    const s = new CheckSeries();
    s.add(spec, 'UNKNOWN');
    expect(s.render()).toBe(
      '# HELP raqib_probe_success Whether the last probe succeeded (up or degraded = 1, down = 0).\n# TYPE raqib_probe_success gauge\n' +
        '# HELP raqib_probe_phase_seconds Duration of each phase of the last probe (dns, connect, tls, ttfb, transfer, total).\n# TYPE raqib_probe_phase_seconds gauge\n' +
        '# HELP raqib_probe_http_status_code HTTP status code of the last answer (0 when none arrived).\n# TYPE raqib_probe_http_status_code gauge\n' +
        '# HELP raqib_probe_tls_cert_expiry_timestamp_seconds Expiry of the peer certificate seen by the last probe.\n# TYPE raqib_probe_tls_cert_expiry_timestamp_seconds gauge\n' +
        '# HELP raqib_check_state Current state of each check (1 for the current state).\n# TYPE raqib_check_state gauge\n' +
        'raqib_check_state{service="web",check="portal",state="UNKNOWN"} 1\n' +
        'raqib_check_state{service="web",check="portal",state="UP"} 0\n' +
        'raqib_check_state{service="web",check="portal",state="DEGRADED"} 0\n' +
        'raqib_check_state{service="web",check="portal",state="DOWN"} 0\n',
    );
  });

  it('shows the last probe only: a phase it never reached has no series', () => {
    const s = new CheckSeries();
    s.add(spec, 'UP');
    s.observe(spec, result({ tlsCertExpiry: 2_000_000_000 }));
    s.observe(spec, result({ status: 'down', code: 'ECONNREFUSED', phases: { dns: 1, total: 2 }, httpStatus: undefined }));
    const text = s.render();
    expect(text).toContain('raqib_probe_success{service="web",check="portal",type="http"} 0\n');
    expect(text).toContain('raqib_probe_phase_seconds{service="web",check="portal",phase="dns"} 0.001\n');
    expect(text).not.toContain('phase="tls"');
    expect(text).toContain('raqib_probe_http_status_code{service="web",check="portal"} 0\n');
    expect(text).toContain('raqib_probe_tls_cert_expiry_timestamp_seconds{service="web",check="portal"} 2000000000\n'); // last seen expiry stays
  });

  it('keeps its lines one byte per character when the ids came two bytes each (a config with Arabic)', () => {
    const c = { key: 'web/portal', serviceId: twoByteSlice('web-services-portal'), checkId: twoByteSlice('portal-home-page'), type: 'http' };
    const s = new CheckSeries();
    s.add(c, 'UP');
    s.observe(c, result({ tlsCertExpiry: 2_000_000_000 }));
    const pieces = [...s.chunks(64 * 1024)];
    for (const piece of pieces) expect(isOneByte(piece)).toBe(true);
    expect(pieces.join('')).toContain('raqib_probe_success{service="web-services-portal",check="portal-home-page",type="http"} 1\n');
  });

  it('gives the same text in pieces as whole, and forgets a removed check', () => {
    const s = new CheckSeries();
    for (let i = 0; i < 2_500; i++) {
      const c = { ...spec, key: `web/c${i}`, checkId: `c${i}` };
      s.add(c, 'UP');
      s.observe(c, result());
    }
    const pieces = [...s.chunks(64 * 1024)];
    expect(pieces.join('')).toBe(s.render());
    // ~580 KB in pieces that end with the check whose lines reach 64 KiB.
    expect(pieces.length).toBeGreaterThan(5);
    for (const piece of pieces.slice(0, -1)) {
      expect(piece.length).toBeGreaterThanOrEqual(64 * 1024);
      expect(piece.length).toBeLessThan(64 * 1024 + 1_000);
      expect(piece.endsWith('\n')).toBe(true);
    }
    s.remove({ ...spec, key: 'web/c0', checkId: 'c0' });
    expect(s.render()).not.toContain('check="c0"');
    expect(s.size).toBe(2_499);
  });
});

describe('per-check series against prom-client', () => {
  it('are the text prom-client gives for the same gauges, family by family', async () => {
    const { Gauge, Registry } = await import('prom-client');
    const registry = new Registry();
    const gauge = (name: string, labelNames: string[]) => {
      const family = CHECK_FAMILIES.find((f) => f.name === name)!;
      return new Gauge({ name, help: family.help, labelNames, registers: [registry] });
    };
    const success = gauge('raqib_probe_success', ['service', 'check', 'type']);
    const phase = gauge('raqib_probe_phase_seconds', ['service', 'check', 'phase']);
    const http = gauge('raqib_probe_http_status_code', ['service', 'check']);
    const expiry = gauge('raqib_probe_tls_cert_expiry_timestamp_seconds', ['service', 'check']);
    const state = gauge('raqib_check_state', ['service', 'check', 'state']);

    const s = new CheckSeries();
    const checks: { key: string; serviceId: string; checkId: string; type: string; r: ProbeResult; now: CheckState }[] = [
      { key: 'web/portal', serviceId: 'web', checkId: 'portal', type: 'http', r: result({ tlsCertExpiry: 1_790_000_000 }), now: 'UP' },
      { key: 'web/api', serviceId: 'web', checkId: 'api', type: 'http', r: result({ status: 'down', code: 'HTTP_STATUS', httpStatus: 503, phases: { connect: 0.25, ttfb: 3.33, transfer: 0.01, total: 3.6 } }), now: 'DOWN' },
      { key: 'dns/ns "1"', serviceId: 'dns\\a', checkId: 'ns "1"\nb', type: 'dns', r: result({ phases: { dns: 200.5, total: 200.75 }, httpStatus: undefined }), now: 'DEGRADED' },
      { key: 'db/tcp', serviceId: 'db', checkId: 'tcp', type: 'tcp', r: result({ status: 'down', code: 'ECONNREFUSED', phases: { total: 0.12 }, httpStatus: undefined }), now: 'UNKNOWN' },
      { key: 'web/cert', serviceId: 'web', checkId: 'cert', type: 'tls', r: result({ phases: { connect: 1, tls: 7.77, total: 9 }, httpStatus: undefined, tlsCertExpiry: 1_800_000_000.5 }), now: 'UP' },
    ];
    for (const c of checks) {
      s.add(c, 'UNKNOWN');
      s.observe(c, c.r);
      s.setState(c, c.now);
      const labels = { service: c.serviceId, check: c.checkId };
      success.set({ ...labels, type: c.type }, c.r.status === 'down' ? 0 : 1);
      for (const [p, ms] of Object.entries(c.r.phases)) phase.set({ ...labels, phase: p }, ms / 1000);
      if (c.type === 'http') http.set(labels, c.r.httpStatus ?? 0);
      if (c.r.tlsCertExpiry !== undefined) expiry.set(labels, c.r.tlsCertExpiry);
      for (const st of ['UNKNOWN', 'UP', 'DEGRADED', 'DOWN']) state.set({ ...labels, state: st }, st === c.now ? 1 : 0);
    }
    // prom-client puts a blank line between families and one newline at the end.
    const expected = (await registry.metrics()).split('\n\n').map((f) => (f.endsWith('\n') ? f : `${f}\n`)).join('');
    expect(s.render()).toBe(expected);
  });
});
