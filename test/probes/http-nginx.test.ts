import { get, type IncomingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe } from '../../agent/probes/http.js';
import { httpCheck, probeContext } from '../helpers/check-config.js';
import { startNginx, type Nginx } from '../helpers/nginx.js';

const PAGE = '<!doctype html><title>Portal</title><h1>Welcome to the e-services portal</h1>';
const STATUS = JSON.stringify({ status: 'ok', services: { payments: 'up' } });

let nginx: Nginx;
beforeAll(async () => {
  nginx = await startNginx(
    // Only the pre-compressed file exists: every client gets the gzip, as with a build that ships .gz files.
    { 'static/index.html.gz': gzipSync(PAGE), 'dynamic/status.json': STATUS },
    ['    location /static/ { gzip_static always; }', '    location /dynamic/ { gzip on; gzip_types application/json; gzip_min_length 1; }'].join('\n'),
  );
}, 30_000);
afterAll(async () => {
  await nginx?.stop();
});

/** The head nginx answers `path` with for these request headers (the body is not read). */
function head(path: string, headers: Record<string, string>): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    get(`${nginx.url}${path}`, { headers, agent: false }, (res) => {
      res.resume();
      resolve(res.headers);
    }).on('error', reject);
  });
}

describe('httpProbe against a real nginx that compresses', () => {
  it('reads the page nginx sends gzipped with gzip_static always to a check that asked for no compression', async () => {
    expect((await head('/static/index.html', {}))['content-encoding']).toBe('gzip');
    const r = await httpProbe(
      httpCheck({ url: `${nginx.url}/static/index.html`, expect: { body_contains: 'Welcome to the e-services portal' } }),
      probeContext(),
    );
    expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK', httpStatus: 200 });
  });

  it("reads the JSON nginx gzips on the fly for a check that sends a browser's Accept-Encoding", async () => {
    const acceptEncoding = { 'Accept-Encoding': 'gzip, deflate, br' };
    expect((await head('/dynamic/status.json', acceptEncoding))['content-encoding']).toBe('gzip');
    const check = httpCheck({
      url: `${nginx.url}/dynamic/status.json`,
      headers: acceptEncoding,
      expect: { json: { status: 'ok', 'services.payments': 'up' } },
    });
    const r = await httpProbe(check, probeContext());
    expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK', httpStatus: 200 });
  });
});
