import { afterEach, describe, expect, it } from 'vitest';
import { httpProbe } from '../../agent/probes/http.js';
import { httpCheck, probeContext } from '../helpers/check-config.js';
import { startHttpTarget, type HttpTarget } from '../helpers/targets.js';

const targets: HttpTarget[] = [];
afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

describe('http probe keeps configured secrets where they belong', () => {
  it('sends configured headers to the configured origin only, not to where it is redirected', async () => {
    const first = await startHttpTarget();
    const second = await startHttpTarget();
    targets.push(first, second);
    const check = httpCheck({
      url: `${first.url}/redirect?to=${encodeURIComponent(`${second.url}/ok`)}`,
      headers: { 'X-Api-Key': 'k-123', Authorization: 'Bearer t-456' },
    });
    const result = await httpProbe(check, probeContext());
    expect(result.status).toBe('up');
    expect(first.requests[0]!.headers['x-api-key']).toBe('k-123');
    expect(second.requests[0]!.headers['x-api-key']).toBeUndefined();
    expect(second.requests[0]!.headers['authorization']).toBeUndefined();
    expect(second.requests[0]!.headers['user-agent']).toMatch(/^raqib\//);
  });

  it('never puts a query string (where keys travel) in a result detail', async () => {
    const t = await startHttpTarget();
    targets.push(t);
    const withKey = `${t.url}/ok?api_key=secret-789`;
    const second = `${t.url}/redirect?to=${encodeURIComponent(withKey)}`;
    const result = await httpProbe(httpCheck({ url: `${t.url}/redirect?to=${encodeURIComponent(second)}`, max_redirects: 1 }), probeContext());
    expect(result.code).toBe('HTTP_TOO_MANY_REDIRECTS');
    expect(result.detail).toBe(`more than 1 redirects (next: ${t.url}/ok)`);
  });
});
