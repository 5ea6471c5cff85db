import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe } from '../../agent/probes/http.js';
import { httpCheck, probeContext } from '../helpers/check-config.js';

/** What a route answers: status, Content-Encoding and the body bytes exactly as sent. */
interface Answer {
  status?: number;
  encoding?: string;
  body: Buffer;
}

const routes = new Map<string, (req: http.IncomingMessage) => Answer>();
const seen: http.IncomingHttpHeaders[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    const answer = routes.get(req.url ?? '')?.(req) ?? { status: 404, body: Buffer.from('no such route') };
    res.writeHead(answer.status ?? 200, { 'content-type': 'text/html', ...(answer.encoding ? { 'content-encoding': answer.encoding } : {}) });
    res.end(answer.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** Serves `body` at a fresh path with `encoding` as its Content-Encoding; returns the URL. */
let served = 0;
function serve(encoding: string | undefined, body: Buffer, status?: number): string {
  const path = `/r${++served}`;
  routes.set(path, () => ({ body, ...(encoding !== undefined ? { encoding } : {}), ...(status !== undefined ? { status } : {}) }));
  return `${base}${path}`;
}

const PAGE = JSON.stringify({ status: 'ok', title: 'Welcome to the portal', items: Array.from({ length: 50 }, (_, i) => ({ i })) });
const page = Buffer.from(PAGE);
const { gzipSync, deflateSync, deflateRawSync, brotliCompressSync } = zlib;
const judged = { body_contains: 'Welcome to the portal', json: { status: 'ok', 'items[49].i': 49 } };

/** zstd data made by node:zlib where this Node has zstd; elsewhere one hand-made frame (RFC 8878) with a raw block. */
function zstd(data: Buffer): Buffer {
  const compress = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;
  if (compress) return compress(data);
  const frame = Buffer.alloc(4 + 1 + 4 + 3);
  frame.writeUInt32LE(0xfd2fb528, 0); // magic
  frame[4] = 0xa0; // single segment, 4-byte frame content size
  frame.writeUInt32LE(data.length, 5);
  frame.writeUIntLE((data.length << 3) | 1, 9, 3); // last block, raw, size
  return Buffer.concat([frame, data]);
}
const hasZstd = typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';

describe('httpProbe judges a compressed body by what it decodes to', () => {
  it.each([
    ['gzip', gzipSync(page)],
    ['x-gzip', gzipSync(page)],
    ['deflate', deflateSync(page)],
    ['deflate', deflateRawSync(page)], // raw deflate, without the zlib wrapper: browsers take it
    ['br', brotliCompressSync(page)],
    ['gzip, br', brotliCompressSync(gzipSync(page))],
    ['deflate, gzip', gzipSync(deflateSync(page))],
    ['gzip, identity', gzipSync(page)],
  ])('decodes Content-Encoding %s for a check that sends Accept-Encoding', async (encoding, body) => {
    const check = httpCheck({ url: serve(encoding, body), headers: { 'Accept-Encoding': 'gzip, deflate, br' }, expect: judged });
    const r = await httpProbe(check, probeContext());
    expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.detail).toContain(`${body.length} bytes`);
  });

  it(`decodes zstd where this Node has a decoder${hasZstd ? ' (it has)' : ''}, and otherwise names zstd as unsupported, the agent's limit (degraded)`, async () => {
    const r = await httpProbe(httpCheck({ url: serve('zstd', zstd(page)), expect: judged }), probeContext());
    if (hasZstd) expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK' });
    else {
      expect(r).toMatchObject({ status: 'degraded', code: 'HTTP_CONTENT_ENCODING_UNSUPPORTED' });
      expect(r.detail).toContain('Content-Encoding zstd is not decoded');
    }
  });

  it('decodes gzip a server sends unasked, and adds no Accept-Encoding of its own', async () => {
    const url = serve('gzip', gzipSync(page));
    const r = await httpProbe(httpCheck({ url, expect: judged }), probeContext());
    expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK' });
    expect(seen.at(-1)!['accept-encoding']).toBeUndefined();
  });

  it('reads gzip as Chromium does: a wrong CRC and bytes after the trailer are ignored', async () => {
    const gz = gzipSync(page);
    gz.writeUInt32LE(gz.readUInt32LE(gz.length - 8) ^ 0xffff, gz.length - 8);
    const r = await httpProbe(
      httpCheck({ url: serve('gzip', Buffer.concat([gz, Buffer.from('\r\n<!-- appended by a proxy -->')])), expect: judged }),
      probeContext(),
    );
    expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK' });
  });

  it('decodes every member of concatenated gzip', async () => {
    const [a, b] = [PAGE.slice(0, 100), PAGE.slice(100)];
    const r = await httpProbe(httpCheck({ url: serve('gzip', Buffer.concat([gzipSync(a), gzipSync(b)])), expect: judged }), probeContext());
    expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK' });
  });

  it('ends gzip of more than 1,000 members as HTTP_CONTENT_DECODING_FAILED at once, and still decodes 1,000', async () => {
    const empty = gzipSync(Buffer.alloc(0));
    const many = Buffer.concat(Array.from({ length: 20_000 }, () => empty)); // about 400 KB
    const started = performance.now();
    const r = await httpProbe(httpCheck({ url: serve('gzip', many), expect: judged }), probeContext());
    const took = performance.now() - started;
    expect(r).toMatchObject({ status: 'down', code: 'HTTP_CONTENT_DECODING_FAILED' });
    expect(r.detail).toContain('more than 1000 gzip members');
    expect(took, 'decoding stops at the limit instead of making 20,000 decoders').toBeLessThan(1000);
    const step = Math.ceil(PAGE.length / 1000);
    const parts = Array.from({ length: 1000 }, (_, i) => gzipSync(PAGE.slice(i * step, (i + 1) * step)));
    const whole = await httpProbe(httpCheck({ url: serve('gzip', Buffer.concat(parts)), expect: judged }), probeContext());
    expect(whole, whole.detail).toMatchObject({ status: 'up', code: 'OK' });
  });

  it('judges the start of gzip data that ends early, and says it ended early', async () => {
    const text = Buffer.from(`<h1>Welcome to the portal</h1>${'<p>news</p>'.repeat(20_000)}`);
    const gz = gzipSync(text);
    const r = await httpProbe(
      httpCheck({ url: serve('gzip', gz.subarray(0, gz.length >> 1)), expect: { body_contains: 'Welcome to the portal' } }),
      probeContext(),
    );
    expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.detail).toContain('the gzip data ends early');
  });
});

describe('httpProbe asks only for the content codings this runtime decodes', () => {
  /** A route that answers in the first coding asked for among zstd, br and gzip, as servers choose. */
  function negotiating(): string {
    const path = `/n${++served}`;
    routes.set(path, (req) => {
      const asked = String(req.headers['accept-encoding'] ?? '');
      if (/\bzstd\b/.test(asked)) return { encoding: 'zstd', body: zstd(page) };
      if (/\bbr\b/.test(asked)) return { encoding: 'br', body: brotliCompressSync(page) };
      return { body: page };
    });
    return `${base}${path}`;
  }

  it(`sends a browser's Accept-Encoding ${hasZstd ? 'as written, zstd included (this Node decodes it)' : 'without zstd (this Node cannot decode it), so a zstd-only server never answers in it'}`, async () => {
    const check = httpCheck({ url: negotiating(), headers: { 'Accept-Encoding': 'gzip, deflate, br, zstd' }, expect: judged });
    const r = await httpProbe(check, probeContext());
    expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK' });
    expect(seen.at(-1)!['accept-encoding']).toBe(hasZstd ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br');
  });

  it('leaves out of Accept-Encoding what it cannot decode, keeps q-values, order, * and refusals, and sends identity when nothing is left', async () => {
    const cases: [configured: string, sent: string][] = [
      ['zstd;q=1.0, br;q=0.8, compress, gzip;q=0.5', hasZstd ? 'zstd;q=1.0, br;q=0.8, gzip;q=0.5' : 'br;q=0.8, gzip;q=0.5'],
      ['compress', 'identity'],
      ['compress, zstd', hasZstd ? 'zstd' : 'identity'],
      ['*, compress;q=0, zstd;q=0', '*, compress;q=0, zstd;q=0'],
      ['gzip, br', 'gzip, br'],
    ];
    for (const [configured, sent] of cases) {
      const r = await httpProbe(httpCheck({ url: serve(undefined, page), headers: { 'accept-encoding': configured }, expect: judged }), probeContext());
      expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK' });
      expect(seen.at(-1)!['accept-encoding'], configured).toBe(sent);
    }
  });
});

describe('httpProbe reads a JSON or text body that starts with a byte order mark', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  it.each([
    ['plain', undefined, (b: Buffer) => b],
    ['gzip', 'gzip', gzipSync],
  ])('ignores a leading UTF-8 BOM before JSON and text (%s)', async (_name, encoding, code) => {
    const url = serve(encoding, code(Buffer.concat([bom, page])));
    const r = await httpProbe(httpCheck({ url, expect: { json: { status: 'ok' }, body_matches: '^\\{"status"' } }), probeContext());
    expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK' });
  });
});

describe('httpProbe says clearly when a coded body cannot be read', () => {
  it.each([
    ['compress', Buffer.from([0x1f, 0x9d, 0x90, 0x7b, 0x22, 0x73, 0x74, 0x61, 0x74, 0x75, 0x73, 0x22, 0x3a])],
    ['foo', Buffer.from('*&^%$ opaque bytes')],
  ])(
    "reports an unknown Content-Encoding %s as degraded HTTP_CONTENT_ENCODING_UNSUPPORTED naming it, the agent's limit, not a mismatch",
    async (encoding, body) => {
      const r = await httpProbe(httpCheck({ url: serve(encoding, body), expect: judged }), probeContext());
      expect(r).toMatchObject({ status: 'degraded', code: 'HTTP_CONTENT_ENCODING_UNSUPPORTED' });
      expect(r.detail).toContain(`Content-Encoding ${encoding} is not decoded`);
    },
  );

  it('judges a plain page mislabelled with an unknown coding as sent, as Chromium shows it', async () => {
    const r = await httpProbe(httpCheck({ url: serve('foo', page), expect: judged }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.detail).toContain('Content-Encoding foo not decoded');
  });

  const corrupt = Buffer.from(gzipSync(page));
  corrupt.fill(0xff, 20, 40);
  it.each([
    ['gzip', Buffer.from('this is not gzip at all')],
    ['gzip', corrupt],
    ['br', Buffer.from('this is not brotli either, no')],
    ['deflate', Buffer.concat([Buffer.from([0x78, 0x9c]), Buffer.alloc(40, 0xff)])],
  ])('reports corrupt %s data as HTTP_CONTENT_DECODING_FAILED, and only where the body is judged', async (encoding, body) => {
    const url = serve(encoding, body);
    const r = await httpProbe(httpCheck({ url, expect: judged }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'HTTP_CONTENT_DECODING_FAILED' });
    expect(r.detail).toContain(`the ${encoding} body cannot be decoded`);
    expect(await httpProbe(httpCheck({ url }), probeContext())).toMatchObject({ status: 'up', code: 'OK' });
    const failing = serve(encoding, body, 503);
    expect((await httpProbe(httpCheck({ url: failing, expect: judged }), probeContext())).code).toBe('HTTP_STATUS');
  });
});

describe('httpProbe caps the decoded body at max_body_size', () => {
  /** gzip of `mib` MiB of zeros (about 1 KiB per MiB), made without holding the zeros. */
  async function zeroBomb(mib: number): Promise<Buffer> {
    const gz = zlib.createGzip({ level: 9 });
    const parts: Buffer[] = [];
    gz.on('data', (d: Buffer) => parts.push(d));
    const zeros = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < mib; i++) if (!gz.write(zeros)) await once(gz, 'drain');
    gz.end();
    await once(gz, 'end');
    return Buffer.concat(parts);
  }

  it('ends a decompression bomb as degraded BODY_TOO_LARGE without decoding it whole', async () => {
    const bomb = await zeroBomb(512);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const url = serve('gzip', bomb);
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
    try {
      const started = Date.now();
      const r = await httpProbe(httpCheck({ url, expect: { body_contains: 'Welcome' } }), probeContext());
      expect(r).toMatchObject({ status: 'degraded', code: 'BODY_TOO_LARGE' });
      expect(r.detail).toContain('the decoded body exceeds max_body_size 1048576 bytes');
      expect(r.detail).toContain('Welcome');
      expect(Date.now() - started).toBeLessThan(2000);
      const json = await httpProbe(httpCheck({ url, max_body_size: '64KiB', expect: { json: { status: 'ok' } } }), probeContext());
      expect(json).toMatchObject({ status: 'degraded', code: 'BODY_TOO_LARGE' });
      expect(json.detail).toContain('max_body_size 65536 bytes');
    } finally {
      clearInterval(sampler);
    }
    expect(peak - before, 'external memory grew by at most a few caps, not by the 512 MiB the bomb holds').toBeLessThan(32 * 1024 * 1024);
  });

  it('judges the start of a gzip page larger than max_body_size, as it judges a plain one', async () => {
    const big = Buffer.from(`<h1>Welcome to the portal</h1>${'<p>a long page of news</p>'.repeat(120_000)}`);
    expect(big.length).toBeGreaterThan(2 * 1024 * 1024);
    const plain = await httpProbe(httpCheck({ url: serve(undefined, big), expect: { body_contains: 'Welcome to the portal' } }), probeContext());
    expect(plain).toMatchObject({ status: 'up', code: 'OK' });
    const r = await httpProbe(httpCheck({ url: serve('gzip', gzipSync(big)), expect: { body_contains: 'Welcome to the portal' } }), probeContext());
    expect(r, r.detail).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.detail).toContain('decoded body truncated at 1048576 bytes');
  });
});
