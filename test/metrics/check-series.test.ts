import { describe, expect, it } from 'vitest';
import { CheckSeries } from '../../agent/metrics/check-series.js';

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

  it('gives the same text in pieces as whole, and forgets a removed check', () => {
    const s = new CheckSeries();
    for (let i = 0; i < 2_500; i++) {
      const c = { ...spec, key: `web/c${i}`, checkId: `c${i}` };
      s.add(c, 'UP');
      s.observe(c, result());
    }
    expect([...s.chunks(1_000)].join('')).toBe(s.render());
    expect([...s.chunks(1_000)].length).toBe(5 * 3);
    s.remove({ ...spec, key: 'web/c0', checkId: 'c0' });
    expect(s.render()).not.toContain('check="c0"');
    expect(s.size).toBe(2_499);
  });
});
