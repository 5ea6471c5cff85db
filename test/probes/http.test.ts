import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe, USER_AGENT } from '../../agent/probes/http.js';
import { httpCheck, probeContext } from '../helpers/check-config.js';
import { CA_FILE, JSON_BODY, OK_BODY, closedPort, startHttpTarget, startSilentTarget, type HttpTarget } from '../helpers/targets.js';

let web: HttpTarget;
beforeAll(async () => {
  web = await startHttpTarget();
});
afterAll(async () => {
  await web.close();
});

describe('httpProbe against a healthy endpoint', () => {
  it('reports up with OK, the status, and dns-less phases for an IP literal', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/ok` }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK', httpStatus: 200 });
    expect(r.detail).toContain('200');
    expect(r.phases.dns).toBeUndefined();
    expect(r.phases.tls).toBeUndefined();
    for (const p of ['connect', 'ttfb', 'transfer', 'total'] as const) expect(r.phases[p]).toBeGreaterThanOrEqual(0);
    expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.ttfb!);
    expect(r.observedAt).toBeGreaterThan(Date.now() - 10_000);
    await web.idle();
  });

  it('measures a dns phase when the URL names a host', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.namedUrl}/ok` }), probeContext());
    expect(r.status).toBe('up');
    expect(r.phases.dns).toBeGreaterThanOrEqual(0);
  });

  it('sends method, body, headers and a raqib User-Agent unless one is configured', async () => {
    const check = httpCheck({
      url: `${web.url}/echo`,
      method: 'POST',
      body: 'ping',
      headers: { 'x-token': 't1' },
      expect: { json: { method: 'POST', body: 'ping', 'headers.x-token': 't1', 'headers.user-agent': USER_AGENT } },
    });
    expect(await httpProbe(check, probeContext())).toMatchObject({ status: 'up', code: 'OK' });
    const own = httpCheck({ url: `${web.url}/echo`, headers: { 'User-Agent': 'custom/1' }, expect: { json: { 'headers.user-agent': 'custom/1' } } });
    expect((await httpProbe(own, probeContext())).code).toBe('OK');
  });

  it('opens a fresh connection for every probe and closes it afterwards', async () => {
    const before = web.accepted();
    await httpProbe(httpCheck({ url: `${web.url}/ok` }), probeContext());
    await httpProbe(httpCheck({ url: `${web.url}/ok` }), probeContext());
    expect(web.accepted() - before).toBe(2);
    await web.idle();
  });
});

describe('httpProbe status expectations', () => {
  it('reports a 500 as down HTTP_STATUS with what was expected', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/status/500` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'HTTP_STATUS', httpStatus: 500 });
    expect(r.detail).toContain('got 500, expected 200-299');
  });

  it('accepts a status inside any configured code, class or range', async () => {
    const check = (status: (number | string)[], code: number) => httpCheck({ url: `${web.url}/status/${code}`, expect: { status } });
    expect((await httpProbe(check([404], 404), probeContext())).code).toBe('OK');
    expect((await httpProbe(check(['2xx', '4xx'], 418), probeContext())).code).toBe('OK');
    expect((await httpProbe(check(['500-503'], 503), probeContext())).code).toBe('OK');
    expect((await httpProbe(check(['500-502'], 503), probeContext())).code).toBe('HTTP_STATUS');
    expect((await httpProbe(check([200, '3xx'], 204), probeContext())).detail).toContain('expected 200, 300-399');
  });
});

describe('httpProbe body, JSON and header expectations', () => {
  const url = () => `${web.url}/json`;
  it('passes when every expectation holds', async () => {
    const r = await httpProbe(
      httpCheck({
        url: url(),
        expect: {
          body_contains: '"status"',
          body_matches: 'version"?:\\s*3',
          json: { status: 'ok', 'data.items[0].ok': true, none: null },
          headers: ['Content-Type'],
        },
      }),
      probeContext(),
    );
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
  });

  it('reports BODY_MISMATCH for a missing substring or a failed regex', async () => {
    const a = await httpProbe(httpCheck({ url: `${web.url}/ok`, expect: { body_contains: 'maintenance' } }), probeContext());
    expect(a).toMatchObject({ status: 'down', code: 'BODY_MISMATCH' });
    expect(a.detail).toContain('maintenance');
    const b = await httpProbe(httpCheck({ url: `${web.url}/ok`, expect: { body_matches: '^bye' } }), probeContext());
    expect(b).toMatchObject({ status: 'down', code: 'BODY_MISMATCH' });
  });

  it('reports JSON_MISMATCH for a wrong value, a missing path or a body that is not JSON', async () => {
    const wrong = await httpProbe(httpCheck({ url: url(), expect: { json: { 'data.items[0].ok': false } } }), probeContext());
    expect(wrong).toMatchObject({ status: 'down', code: 'JSON_MISMATCH' });
    expect(wrong.detail).toContain('data.items[0].ok');
    expect((await httpProbe(httpCheck({ url: url(), expect: { json: { 'data.items[5].ok': true } } }), probeContext())).code).toBe('JSON_MISMATCH');
    const notJson = await httpProbe(httpCheck({ url: `${web.url}/ok`, expect: { json: { status: 'ok' } } }), probeContext());
    expect(notJson).toMatchObject({ code: 'JSON_MISMATCH' });
    expect(notJson.detail).toContain('not valid JSON');
    expect(JSON_BODY.status).toBe('ok');
  });

  it('reports HEADER_MISSING for an absent response header, matching names case-insensitively', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/ok`, expect: { headers: ['X-Raqib-Test', 'x-request-id'] } }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'HEADER_MISSING' });
    expect(r.detail).toContain('x-request-id');
    expect(r.detail).not.toContain('X-Raqib-Test');
  });

  it('judges the status before the body', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/status/503`, expect: { body_contains: 'absent' } }), probeContext());
    expect(r.code).toBe('HTTP_STATUS');
  });
});

describe('httpProbe latency and timeouts', () => {
  it('reports a slower-than-max_latency answer as degraded SLOW', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/slow/300`, expect: { max_latency: '100ms' } }), probeContext());
    expect(r).toMatchObject({ status: 'degraded', code: 'SLOW', httpStatus: 200 });
    expect(r.phases.ttfb).toBeGreaterThanOrEqual(250);
    const fast = await httpProbe(httpCheck({ url: `${web.url}/slow/0`, expect: { max_latency: '2s' } }), probeContext());
    expect(fast.code).toBe('OK');
  });

  it.each([
    ['an endpoint that never answers', '/hang'],
    ['a slowloris header drip', '/drip'],
  ])('times out promptly on %s and hangs up', async (_name, path) => {
    const started = Date.now();
    const r = await httpProbe(httpCheck({ url: `${web.url}${path}` }), probeContext(400));
    expect(r).toMatchObject({ status: 'down', code: 'TIMEOUT' });
    expect(r.detail).toContain('400 ms');
    expect(Date.now() - started).toBeLessThan(1400);
    expect(r.phases.total).toBeGreaterThanOrEqual(390);
    await web.idle();
  });

  it('times out when the server accepts the connection but never speaks TLS', async () => {
    const silent = await startSilentTarget();
    try {
      const r = await httpProbe(httpCheck({ url: `https://127.0.0.1:${silent.port}/` }), probeContext(300));
      expect(r).toMatchObject({ status: 'down', code: 'TIMEOUT' });
      expect(r.detail).toContain('TLS handshake');
      await silent.idle();
    } finally {
      await silent.close();
    }
  });

  it('returns at once without connecting when the signal has already fired', async () => {
    const before = web.accepted();
    const r = await httpProbe(httpCheck({ url: `${web.url}/ok` }), probeContext(5000, AbortSignal.abort()));
    expect(r).toMatchObject({ status: 'down', code: 'ABORTED' });
    expect(web.accepted()).toBe(before);
  });

  it('reports ABORTED when a shutdown signal fires before the deadline', async () => {
    const shutdown = new AbortController();
    setTimeout(() => shutdown.abort(), 100);
    const r = await httpProbe(httpCheck({ url: `${web.url}/hang` }), probeContext(5000, shutdown.signal));
    expect(r.code).toBe('ABORTED');
    await web.idle();
  });
});

describe('httpProbe bodies', () => {
  it.each([
    ['an endless body', '/endless'],
    ['a 10 MB body', '/big/10485760'],
  ])('reads at most max_body_size of %s and judges the truncated body', async (_name, path) => {
    const started = Date.now();
    const r = await httpProbe(httpCheck({ url: `${web.url}${path}`, max_body_size: '64KiB', expect: { body_contains: 'xxx' } }), probeContext(5000));
    expect(r).toMatchObject({ status: 'up', code: 'OK', httpStatus: 200 });
    expect(r.detail).toContain('truncated at 65536 bytes');
    expect(Date.now() - started).toBeLessThan(2000);
    await web.idle();
  });

  it('reports expectations that fail on a body cut at max_body_size as degraded BODY_TOO_LARGE, not as a mismatch', async () => {
    const url = `${web.url}/big/10485760`;
    const r = await httpProbe(httpCheck({ url, max_body_size: '64KiB', expect: { body_contains: 'welcome' } }), probeContext(5000));
    expect(r).toMatchObject({ status: 'degraded', code: 'BODY_TOO_LARGE', httpStatus: 200 });
    expect(r.detail).toContain('larger than max_body_size 65536 bytes');
    expect(r.detail).toContain('"welcome"');
    const json = await httpProbe(httpCheck({ url, max_body_size: '64KiB', expect: { json: { status: 'ok' } } }), probeContext(5000));
    expect(json).toMatchObject({ status: 'degraded', code: 'BODY_TOO_LARGE' });
    const whole = await httpProbe(httpCheck({ url: `${web.url}/big/1000`, max_body_size: 1000, expect: { body_contains: 'welcome' } }), probeContext());
    expect(whole).toMatchObject({ status: 'down', code: 'BODY_MISMATCH' });
    await web.idle();
  });

  it('reports a missing header as down HEADER_MISSING even when the body could not be read whole', async () => {
    const check = httpCheck({ url: `${web.url}/big/10485760`, max_body_size: '64KiB', expect: { body_contains: 'welcome', headers: ['X-Request-Id'] } });
    const r = await httpProbe(check, probeContext(5000));
    expect(r).toMatchObject({ status: 'down', code: 'HEADER_MISSING' });
    await web.idle();
  });

  it('caps a 10 MB body at the default max_body_size of 1 MiB', async () => {
    const started = Date.now();
    const r = await httpProbe(httpCheck({ url: `${web.url}/big/10485760` }), probeContext(5000));
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.detail).toContain('truncated at 1048576 bytes');
    expect(Date.now() - started).toBeLessThan(2000);
    await web.idle();
  });

  it('reads a body that fits without calling it truncated', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/big/1000`, max_body_size: 1000 }), probeContext());
    expect(r.code).toBe('OK');
    expect(r.detail).not.toContain('truncated');
  });

  it('reports a connection reset mid-body as ECONNRESET', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/reset` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'ECONNRESET' });
  });

  it('reports about 1 MB of response headers as HTTP_HEADERS_TOO_LARGE', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/huge-headers` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'HTTP_HEADERS_TOO_LARGE' });
    await web.idle();
  });
});

describe('httpProbe on the edges of HTTP/1.1', () => {
  it('skips a 103 Early Hints answer and judges the final 200', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/early-hints`, expect: { body_contains: OK_BODY } }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK', httpStatus: 200 });
  });

  it('reads no body for a HEAD request and does not wait for one', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/ok`, method: 'HEAD' }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK', httpStatus: 200 });
    expect(r.detail).toContain(', 0 bytes');
  });

  it('reports an answer that is not HTTP as HTTP_PROTOCOL_ERROR', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/not-http` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'HTTP_PROTOCOL_ERROR' });
  });

  it('reports a server that hangs up without answering as ECONNRESET, while waiting for the response', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/hang-up` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'ECONNRESET' });
    expect(r.detail).toContain('while waiting for the response');
  });

  it("sends the URL's host and port as Host, and Connection: close on its one-off connection", async () => {
    const check = httpCheck({ url: `${web.url}/echo`, expect: { json: { 'headers.host': `127.0.0.1:${web.port}`, 'headers.connection': 'close' } } });
    expect(await httpProbe(check, probeContext())).toMatchObject({ status: 'up', code: 'OK' });
  });

  it("sends a configured Host header instead of the URL's, once", async () => {
    const check = httpCheck({ url: `${web.url}/echo`, headers: { Host: 'portal.example.sa' }, expect: { json: { 'headers.host': 'portal.example.sa' } } });
    expect(await httpProbe(check, probeContext())).toMatchObject({ status: 'up', code: 'OK' });
    const seen = web.requests.at(-1)!;
    expect(seen.headers.host).toBe('portal.example.sa');
  });
});

describe('httpProbe redirects', () => {
  it('follows a redirect chain to the final answer', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/chain/3`, expect: { body_contains: OK_BODY } }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK', httpStatus: 200 });
    expect(r.detail).toContain('after 4 redirects');
  });

  it('reports a redirect loop as HTTP_REDIRECT_LOOP', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/loop/a` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'HTTP_REDIRECT_LOOP', httpStatus: 302 });
  });

  it('reports more redirects than max_redirects as HTTP_TOO_MANY_REDIRECTS', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/chain/5`, max_redirects: 3 }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'HTTP_TOO_MANY_REDIRECTS' });
    expect((await httpProbe(httpCheck({ url: `${web.url}/chain/2`, max_redirects: 3 }), probeContext())).code).toBe('OK');
  });

  it('keeps the first answer when max_redirects is 0', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/chain/1`, max_redirects: 0, expect: { status: ['3xx'] } }), probeContext());
    expect(r).toMatchObject({ status: 'up', httpStatus: 302 });
  });

  it('leaves httpStatus unset when the hop after a redirect gets no HTTP answer, and names that hop', async () => {
    const to = encodeURIComponent(`http://127.0.0.1:${await closedPort()}/moved`);
    const r = await httpProbe(httpCheck({ url: `${web.url}/redirect?status=302&to=${to}` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'ECONNREFUSED' });
    expect(r.httpStatus).toBeUndefined();
    expect(r.detail).toContain('/moved');
  });

  it('turns a POST into a GET on 303 and keeps it on 307', async () => {
    const to = encodeURIComponent('/echo');
    const see = httpCheck({ url: `${web.url}/redirect?status=303&to=${to}`, method: 'POST', body: 'x', expect: { json: { method: 'GET', body: '' } } });
    expect((await httpProbe(see, probeContext())).code).toBe('OK');
    const keep = httpCheck({ url: `${web.url}/redirect?status=307&to=${to}`, method: 'POST', body: 'x', expect: { json: { method: 'POST', body: 'x' } } });
    expect((await httpProbe(keep, probeContext())).code).toBe('OK');
  });
});

describe('httpProbe connection failures', () => {
  it('reports a closed port as ECONNREFUSED', async () => {
    const r = await httpProbe(httpCheck({ url: `http://127.0.0.1:${await closedPort()}/` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'ECONNREFUSED' });
    expect(r.phases.connect).toBeUndefined();
  });

  it('reports an unresolvable host as DNS_NXDOMAIN', async () => {
    const r = await httpProbe(httpCheck({ url: 'http://nope.invalid/' }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'DNS_NXDOMAIN' });
    expect(r.detail).toContain('resolving');
  });

  it('reports an unreadable ca_file as CONFIG without connecting', async () => {
    const r = await httpProbe(httpCheck({ url: `${web.url}/ok`, ca_file: '/nonexistent/ca.pem' }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'CONFIG' });
  });
});

describe('httpProbe over TLS', () => {
  const targets: HttpTarget[] = [];
  const serve = async (cert: 'localhost' | 'expired' | 'wronghost' | 'selfsigned') => {
    const t = await startHttpTarget({ tls: cert });
    targets.push(t);
    return t;
  };
  afterAll(async () => {
    await Promise.all(targets.map((t) => t.close()));
  });

  it('is up with a certificate trusted through ca_file, with tls phase and certificate expiry', async () => {
    const t = await serve('localhost');
    const r = await httpProbe(httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK', httpStatus: 200 });
    expect(r.tlsCertExpiry).toBe(Date.UTC(2046, 0, 1) / 1000);
    for (const p of ['dns', 'connect', 'tls', 'ttfb', 'transfer'] as const) expect(r.phases[p]).toBeGreaterThanOrEqual(0);
    const byIp = await httpProbe(httpCheck({ url: `${t.url}/ok`, ca_file: CA_FILE }), probeContext());
    expect(byIp.code).toBe('OK');
    await t.idle();
  });

  it('reports a certificate from an unknown CA as TLS_CERT_UNTRUSTED', async () => {
    const t = await serve('localhost');
    const r = await httpProbe(httpCheck({ url: `${t.url}/ok` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TLS_CERT_UNTRUSTED' });
    expect(r.detail).toContain('TLS handshake');
    await t.idle();
  });

  it('reports a self-signed certificate as TLS_CERT_UNTRUSTED, and accepts it when insecure', async () => {
    const t = await serve('selfsigned');
    expect((await httpProbe(httpCheck({ url: `${t.url}/ok`, ca_file: CA_FILE }), probeContext())).code).toBe('TLS_CERT_UNTRUSTED');
    const r = await httpProbe(httpCheck({ url: `${t.url}/ok`, insecure: true }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.tlsCertExpiry).toBeGreaterThan(Date.now() / 1000);
  });

  it('reports an expired certificate as TLS_CERT_EXPIRED', async () => {
    const t = await serve('expired');
    const r = await httpProbe(httpCheck({ url: `${t.url}/ok`, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TLS_CERT_EXPIRED' });
  });

  it('says an insecure check did not verify an expired certificate, not that the connection was accepted without it', async () => {
    const t = await serve('expired');
    const r = await httpProbe(httpCheck({ url: `${t.url}/ok`, insecure: true, expect: { cert_valid_days: 14 } }), probeContext());
    expect(r).toMatchObject({ status: 'degraded', code: 'TLS_CERT_EXPIRING' });
    expect(r.detail).toMatch(/expired on \d{4}-\d\d-\d\d/);
    expect(r.detail).toContain('certificate not verified (insecure: true)');
    expect(r.detail).not.toContain('accepted without it');
  });

  it('reports a certificate for another host as TLS_HOSTNAME_MISMATCH', async () => {
    const t = await serve('wronghost');
    const r = await httpProbe(httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TLS_HOSTNAME_MISMATCH' });
    expect(r.detail).toContain('wrong.example');
  });

  it('follows a redirect from https to http and reports the final hop', async () => {
    const t = await serve('localhost');
    const to = encodeURIComponent(`${web.url}/ok`);
    const r = await httpProbe(httpCheck({ url: `${t.url}/redirect?to=${to}`, ca_file: CA_FILE }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.phases.tls).toBeUndefined();
    expect(r.tlsCertExpiry).toBeUndefined();
  });
});
