import { describe, expect, it } from 'vitest';
import type { CheckState } from '../../agent/detect/transition.js';
import { CHECK_FAMILIES } from '../../agent/metrics/check-families.js';
import { CheckSeries } from '../../agent/metrics/check-series.js';
import type { ProbeResult } from '../../agent/probes/types.js';

const spec = { key: 'web/portal', serviceId: 'web', checkId: 'portal', type: 'http' };
const result = (over: Record<string, unknown> = {}) => ({
  status: 'up' as const,
  code: 'OK',
  detail: '',
  phases: { dns: 1, connect: 2, tls: 3, ttfb: 4, total: 10 },
  observedAt: 0,
  httpStatus: 200,
  ...over,
});

/** A CheckSeries with n http checks of service web (c0, c1, …), each added UP with one result. */
function seriesOf(n: number, first: ProbeResult = result()) {
  const s = new CheckSeries();
  const checks = Array.from({ length: n }, (_, i) => ({ ...spec, key: `web/c${i}`, checkId: `c${i}` }));
  for (const c of checks) {
    s.add(c, 'UP');
    s.observe(c, first);
  }
  return { s, checks };
}

describe('per-check series', () => {
  it('renders each family once, with HELP and TYPE, and the check state as one-of-four', () => {
    const s = new CheckSeries();
    s.add(spec, 'UNKNOWN');
    expect(s.render()).toBe(
      '# HELP raqib_probe_success Whether the last probe succeeded (up or degraded = 1, down = 0).\n# TYPE raqib_probe_success gauge\n' +
        '# HELP raqib_probe_phase_seconds Duration of each phase of the last probe (dns, connect, tls, ttfb, transfer, total).\n# TYPE raqib_probe_phase_seconds gauge\n' +
        '# HELP raqib_probe_http_status_code HTTP status code of the last answer (0 when none arrived).\n# TYPE raqib_probe_http_status_code gauge\n' +
        '# HELP raqib_probe_tls_cert_expiry_timestamp_seconds Earliest expiry in the certificate chain the peer presented (leaf or intermediate) to the last probe that saw one.\n# TYPE raqib_probe_tls_cert_expiry_timestamp_seconds gauge\n' +
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
    expect(text).toContain('raqib_probe_phase_seconds{service="web",check="portal",phase="dns"} 0.001000000\n');
    expect(text).not.toContain('phase="tls"');
    expect(text).toContain('raqib_probe_http_status_code{service="web",check="portal"} 0\n');
    expect(text).toContain('raqib_probe_tls_cert_expiry_timestamp_seconds{service="web",check="portal"} 2000000000\n'); // last seen expiry stays
  });

  it('gives the same text in pieces as whole, and forgets a removed check', () => {
    const { s } = seriesOf(2_500);
    const pieces = [...s.chunks()];
    expect(pieces.join('')).toBe(s.render());
    // The families' headers in strings (a family with no lines shares its string with the next).
    const strings = pieces.filter((p): p is string => typeof p === 'string');
    for (const piece of strings) expect(piece).toMatch(/^(# HELP raqib_\w+ .*\n# TYPE raqib_\w+ gauge\n)+$/);
    // The families in one Buffer per block of 256 checks: success, phases, status code and state
    // (no check saw a certificate), 10 blocks each.
    const buffers = pieces.filter((p) => typeof p !== 'string');
    expect(buffers).toHaveLength(40);
    for (const b of buffers) {
      expect(b.toString().endsWith('\n')).toBe(true);
      // Memory of its own, not a slice of Node's shared pool that it would keep whole.
      expect(b.byteOffset === 0 && b.buffer.byteLength === b.length).toBe(true);
    }
    s.remove({ ...spec, key: 'web/c0', checkId: 'c0' });
    expect(s.render()).not.toContain('check="c0"');
    expect(s.size).toBe(2_499);
  });

  it('sends the same text for a block until a value in it changes, and only that block new', () => {
    const { s, checks } = seriesOf(600, result({ tlsCertExpiry: 2_000_000_000 }));
    // The phases change with every probe (phase-lines.test.ts); the other families' Buffers:
    const buffers = () => [...s.chunks()].filter((p) => typeof p !== 'string' && !p.toString('latin1', 0, 32).startsWith('raqib_probe_phase_seconds'));
    const first = buffers();
    expect(first).toHaveLength(4 * 3); // four families, three blocks (256, 256, 88 checks)
    // Another probe with the same outcome, a state set again: the very same Buffers.
    for (const c of checks) s.observe(c, result({ tlsCertExpiry: 2_000_000_000, phases: { connect: 7, total: 8 } }));
    s.setState(checks[0]!, 'UP');
    expect(buffers().every((b, i) => b === first[i])).toBe(true);

    // In the second block (checks 256–511): one check goes down, another gets a new certificate,
    // a third changes state.
    s.observe(checks[300]!, result({ status: 'down', code: 'HTTP_STATUS', httpStatus: 503, tlsCertExpiry: 2_000_000_000 }));
    s.observe(checks[301]!, result({ tlsCertExpiry: 2_100_000_000 }));
    s.setState(checks[302]!, 'DOWN');
    const after = buffers();
    const changed = after.map((b, i) => b !== first[i]);
    // Family by family (success, status code, expiry, state), block by block.
    expect(changed).toEqual([false, true, false, false, true, false, false, true, false, false, true, false]);
    const text = s.render();
    expect(text).toContain('raqib_probe_success{service="web",check="c300",type="http"} 0\n');
    expect(text).toContain('raqib_probe_http_status_code{service="web",check="c300"} 503\n');
    expect(text).toContain('raqib_probe_tls_cert_expiry_timestamp_seconds{service="web",check="c301"} 2100000000\n');
    expect(text).toContain('raqib_check_state{service="web",check="c302",state="DOWN"} 1\n');
    expect(text).toContain('raqib_check_state{service="web",check="c302",state="UP"} 0\n');
    expect(text).toContain('raqib_probe_phase_seconds{service="web",check="c0",phase="connect"} 0.007000000\n');
  });

  it('lists a check that joins a block it shares with others in the next page', () => {
    const s = new CheckSeries();
    const checks = Array.from({ length: 10 }, (_, i) => ({ ...spec, key: `web/c${i}`, checkId: `c${i}` }));
    for (const c of checks.slice(0, 9)) s.add(c, 'UP');
    expect(s.render()).not.toContain('check="c9"');
    s.add(checks[9]!, 'DOWN');
    expect(s.render()).toContain('raqib_check_state{service="web",check="c9",state="DOWN"} 1\n');
    s.remove(checks[3]!);
    expect(s.render()).not.toContain('check="c3"');
    // Small texts too in memory of their own, not slices of Node's shared pool kept whole.
    for (const b of [...s.chunks()].filter((p) => typeof p !== 'string')) expect(b.byteOffset === 0 && b.buffer.byteLength === b.length).toBe(true);
  });

  it('lists a check added again once, and skips no other check when checks go while a scrape is read', () => {
    const { s, checks } = seriesOf(600);
    s.add(checks[5]!, 'DOWN');
    s.observe(checks[5]!, result());
    expect(s.size).toBe(600);
    expect(s.render().match(/raqib_probe_success\{service="web",check="c5",/g)).toHaveLength(1);

    // A reload removes the first block's checks, then one that the phases have passed and one they
    // have not reached, while a scrape is being written: every other check is still in every
    // family of that scrape, and a removed one in none that came after its removal.
    const pieces: (string | Buffer)[] = [];
    for (const piece of s.chunks()) {
      pieces.push(piece);
      if (pieces.length === 3) for (const c of checks.slice(0, 256)) s.remove(c);
      if (piece.toString().includes('check="c300",phase=')) for (const c of [checks[260]!, checks[520]!]) s.remove(c);
    }
    const text = pieces.join('');
    const gone = new Set(['c260', 'c520']);
    for (const c of checks.slice(256)) {
      if (gone.has(c.checkId)) continue;
      for (const line of [
        `raqib_probe_success{service="web",check="${c.checkId}",`,
        `raqib_probe_http_status_code{service="web",check="${c.checkId}"}`,
        `raqib_check_state{service="web",check="${c.checkId}",state="UP"} 1`,
      ]) {
        expect(text).toContain(line);
      }
      expect(text).toContain(`raqib_probe_phase_seconds{service="web",check="${c.checkId}",phase="total"}`);
    }
    expect(text).toContain('raqib_probe_phase_seconds{service="web",check="c260"');
    expect(text).not.toContain('raqib_probe_phase_seconds{service="web",check="c520"');
    expect(text).not.toContain('raqib_probe_http_status_code{service="web",check="c260"');
    expect(text).not.toContain('raqib_probe_phase_seconds{service="web",check="c0"');
    expect(text).not.toContain('raqib_check_state{service="web",check="c0"');
    expect(s.size).toBe(342);
  });

  it('never lists a check twice when a reload replaces it while a scrape is read', () => {
    const { s, checks } = seriesOf(600);
    const toTcp = (c: (typeof checks)[number]) => {
      const tcp = { ...c, type: 'tcp' };
      s.add(tcp, 'UP');
      s.observe(tcp, result({ phases: { connect: 1, total: 1 }, httpStatus: undefined }));
    };
    // After the first block's success text went out, c5 and c300 become tcp checks (remove, add);
    // so does c10 once its phases went out.
    const pieces: (string | Buffer)[] = [];
    for (const piece of s.chunks()) {
      pieces.push(piece);
      if (pieces.length === 2) for (const c of [checks[5]!, checks[300]!]) toTcp(c);
      if (piece.toString().includes('check="c10",phase="total"')) toTcp(checks[10]!);
    }
    const text = pieces.join('');
    for (const id of ['c5', 'c10', 'c300']) {
      for (const family of ['raqib_probe_success', 'raqib_probe_phase_seconds', 'raqib_probe_http_status_code']) {
        expect(text.match(new RegExp(`^${family}\\{service="web",check="${id}"[,}]`, 'gm'))?.length ?? 0).toBeLessThanOrEqual(
          family === 'raqib_probe_phase_seconds' ? 5 : 1,
        );
      }
      expect(text.match(new RegExp(`^raqib_check_state\\{service="web",check="${id}",state="UP"\\}`, 'gm'))?.length ?? 0).toBeLessThanOrEqual(1);
    }
    // The next scrape has them once, as tcp checks.
    const next = s.render();
    expect(next.match(/^raqib_probe_success\{service="web",check="c300",type="tcp"\} 1$/gm)).toHaveLength(1);
    expect(next).not.toContain('raqib_probe_http_status_code{service="web",check="c300"}');
    expect(next.match(/^raqib_check_state\{service="web",check="c5",state="UP"\} 1$/gm)).toHaveLength(1);
  });

  it('does not let a scrape that began before a replacement take the text a later scrape cached', () => {
    const { s, checks } = seriesOf(300);
    const first = s.chunks();
    const pieces: (string | Buffer)[] = [first.next().value!, first.next().value!]; // success: header, first block
    s.add({ ...checks[5]!, type: 'tcp' }, 'UP'); // c5 leaves the first block for the second
    s.render(); // a second scrape, whole: it caches the second block's text, c5 in it
    for (const piece of first) pieces.push(piece);
    // In the families made before the replacement as it was, in none after it: never the new one.
    const text = pieces.join('');
    expect(text.match(/^raqib_probe_success\{service="web",check="c5",/gm)).toEqual(['raqib_probe_success{service="web",check="c5",']);
    expect(text).toContain('raqib_probe_success{service="web",check="c5",type="http"} 1\n');
    expect(text).not.toContain('raqib_check_state{service="web",check="c5",');
  });

  it('merges blocks that reloads left part-empty, with the same text', () => {
    const { s, checks } = seriesOf(1_024);
    const buffers = () => [...s.chunks()].filter((p) => typeof p !== 'string').length;
    expect(buffers()).toBe(4 * 4); // success, phases, status code, state; four blocks of 256
    for (const c of checks) if (c.checkId.endsWith('0') || c.checkId.endsWith('5') || Number(c.checkId.slice(1)) % 4 !== 0) s.remove(c);
    const left = checks.filter((c) => s.render().includes(`check="${c.checkId}",type=`));
    expect(left.length).toBe(s.size);
    expect(buffers()).toBe(4 * 1); // 205 checks: one block
    const text = s.render();
    for (const c of left) expect(text).toContain(`raqib_check_state{service="web",check="${c.checkId}",state="UP"} 1\n`);
    expect(text.match(/^raqib_probe_success\{/gm)).toHaveLength(s.size);
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
      {
        key: 'web/api',
        serviceId: 'web',
        checkId: 'api',
        type: 'http',
        r: result({ status: 'down', code: 'HTTP_STATUS', httpStatus: 503, phases: { connect: 0.25, ttfb: 3.33, transfer: 0.01, total: 3.6 } }),
        now: 'DOWN',
      },
      {
        key: 'dns/ns "1"',
        serviceId: 'dns\\a',
        checkId: 'ns "1"\nb',
        type: 'dns',
        r: result({ phases: { dns: 200.5, total: 200.75 }, httpStatus: undefined }),
        now: 'DEGRADED',
      },
      {
        key: 'db/tcp',
        serviceId: 'db',
        checkId: 'tcp',
        type: 'tcp',
        r: result({ status: 'down', code: 'ECONNREFUSED', phases: { total: 0.12 }, httpStatus: undefined }),
        now: 'UNKNOWN',
      },
      {
        key: 'web/cert',
        serviceId: 'web',
        checkId: 'cert',
        type: 'tls',
        r: result({ phases: { connect: 1, tls: 7.77, total: 9 }, httpStatus: undefined, tlsCertExpiry: 1_800_000_000.5 }),
        now: 'UP',
      },
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
    // prom-client puts a blank line between families and one newline at the end. raqib writes the
    // phases in a fixed width (0.000120000 where prom-client has 0.00011999999999999999): the
    // same number to the nanosecond.
    const expected = (await registry.metrics())
      .split('\n\n')
      .map((f) => (f.endsWith('\n') ? f : `${f}\n`))
      .join('');
    const nanoseconds = (text: string) =>
      text.replace(/^(raqib_probe_phase_seconds\{.*\}) (\S+)$/gm, (_, series: string, v: string) => `${series} ${Number(v).toFixed(9)}`);
    expect(s.render()).not.toBe(expected);
    expect(nanoseconds(s.render())).toBe(nanoseconds(expected));
  });
});
