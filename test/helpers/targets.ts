/**
 * Local servers for probe and fault-injection tests: a well-behaved endpoint and the hostile ones a
 * real government service can turn into (slow, dripping, endless, resetting, silent). Every server
 * listens on 127.0.0.1 port 0, tracks the sockets it accepted so `close()` is prompt even with a
 * hung peer, and exposes `idle()` so a test can assert that the client really hung up.
 *
 * Usage:
 *   const t = await startHttpTarget({ tls: 'localhost' });
 *   await httpProbe(httpCheck({ url: `${t.url}/ok`, ca_file: CA_FILE }), ctx);
 *   await t.idle(); await t.close();
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';

const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

/** Certificates in test/fixtures/tls, all issued for localhost + 127.0.0.1 except `wronghost`. */
export type CertName = 'localhost' | 'expired' | 'wronghost' | 'selfsigned';
/** PEM of the CA that signed localhost, expired and wronghost (not selfsigned). */
export const CA_FILE = `${TLS_DIR}ca.crt`;
/** Absolute path of a fixture file such as `localhost.crt`. */
export const tlsFixture = (file: string): string => `${TLS_DIR}${file}`;

/** Body of `/ok`, so tests can match on it. */
export const OK_BODY = 'hello from raqib test target';
/** Body of `/json`. */
export const JSON_BODY = { status: 'ok', version: 3, data: { items: [{ ok: true, name: 'first' }] }, none: null };

/** A running server. `close()` destroys every open socket and is safe to call twice. */
export interface Target {
  host: string;
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections currently open on the server side. */
  open(): number;
  /** Resolves once no accepted connection is open; rejects after `timeoutMs` (default 2 s). */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface HttpTarget extends Target {
  /** `http(s)://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  /** Same server by name (`localhost`), for tests that need a DNS phase or SNI. */
  namedUrl: string;
  /** Every request seen: method, path, lower-cased headers and body. */
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }[];
  /** TLS handshakes completed so far, full and resumed (both 0 for plain HTTP). */
  handshakes: { full: number; resumed: number };
}

/** Socket bookkeeping shared by every kind of target. */
function track(server: net.Server): Omit<Target, 'host' | 'port'> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let waiters: (() => void)[] = [];
  server.on('connection', (s: net.Socket) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => {
      sockets.delete(s);
      if (sockets.size === 0) for (const w of waiters.splice(0)) w();
    });
  });
  return {
    accepted: () => accepted,
    open: () => sockets.size,
    idle: (timeoutMs = 2000) =>
      new Promise<void>((resolve, reject) => {
        if (sockets.size === 0) return resolve();
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== done);
          reject(new Error(`${sockets.size} connection(s) still open after ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        waiters.push(done);
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** Writes `total` bytes of filler (or forever when total is Infinity), honouring backpressure. */
function pour(res: http.ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  const more = () => {
    while (sent < total && !res.destroyed) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', more);
    }
    if (sent >= total) res.end();
  };
  more();
}

/** Writes raw bytes on the socket, bypassing Node's response writer (for malformed/slow heads). */
function raw(req: http.IncomingMessage, text: string): void {
  if (!req.socket.destroyed) req.socket.write(text);
}

/**
 * The multi-route HTTP(S) target. Routes (query strings ignored unless noted):
 * - `/ok` 200 `OK_BODY`, header `x-raqib-test: yes`    - `/status/<code>` that status, body `status <code>`
 * - `/slow/<ms>` waits before the head, then as `/ok`   - `/drip` status line then a header every 100 ms, forever (slowloris)
 * - `/hang` reads the request and never answers          - `/endless` 200 chunked filler forever
 * - `/big/<bytes>` 200 with exactly that much filler     - `/huge-headers` ~1 MB of response headers
 * - `/loop/a` ⇄ `/loop/b` 302 forever                    - `/chain/<n>` 302 to `/chain/<n-1>` … `/chain/0` is `/ok`
 * - `/redirect?to=<url>&status=<3xx>` one redirect       - `/reset` content-length 100000, 1000 bytes, then a TCP RST
 * - `/json` `JSON_BODY` as application/json              - `/echo` JSON of the request's method, headers and body
 * - `/early-hints` 103 Early Hints, then as `/ok`        - `/not-http` an SSH banner instead of an HTTP answer
 * - `/hang-up` closes the connection without answering
 */
export async function startHttpTarget(opts: { tls?: CertName; maxVersion?: 'TLSv1.2' } = {}): Promise<HttpTarget> {
  const requests: HttpTarget['requests'] = [];
  const handler: http.RequestListener = (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://target');
      requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
      route(req, res, url, body);
    });
  };
  const server = opts.tls
    ? https.createServer(
        {
          cert: readFileSync(tlsFixture(`${opts.tls}.crt`)),
          key: readFileSync(tlsFixture(`${opts.tls}.key`)),
          ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
        },
        handler,
      )
    : http.createServer(handler);
  server.on('tlsClientError', () => undefined);
  const handshakes = { full: 0, resumed: 0 };
  server.on('secureConnection', (s: TLSSocket) => handshakes[s.isSessionReused() ? 'resumed' : 'full']++);
  const tracked = track(server);
  const port = await listen(server);
  const scheme = opts.tls ? 'https' : 'http';
  return { ...tracked, host: '127.0.0.1', port, url: `${scheme}://127.0.0.1:${port}`, namedUrl: `${scheme}://localhost:${port}`, requests, handshakes };
}

function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string): void {
  const [, first = '', arg = ''] = url.pathname.split('/');
  switch (first) {
    case 'ok':
      res.writeHead(200, { 'content-type': 'text/plain', 'x-raqib-test': 'yes' }).end(OK_BODY);
      return;
    case 'status':
      res.writeHead(Number(arg), { 'content-type': 'text/plain' }).end(`status ${arg}`);
      return;
    case 'slow': {
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(OK_BODY), Number(arg));
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case 'drip': {
      raw(req, 'HTTP/1.1 200 OK\r\n');
      let n = 0;
      const timer = setInterval(() => raw(req, `x-drip-${n++}: ${'.'.repeat(10)}\r\n`), 100);
      req.socket.on('close', () => clearInterval(timer));
      return;
    }
    case 'hang':
      return;
    case 'endless':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return pour(res, Infinity);
    case 'big':
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Number(arg) });
      return pour(res, Number(arg));
    case 'huge-headers': {
      const line = (i: number) => `x-filler-${i}: ${'h'.repeat(1000)}\r\n`;
      raw(req, `HTTP/1.1 200 OK\r\ncontent-length: 2\r\n${Array.from({ length: 1000 }, (_, i) => line(i)).join('')}\r\nok`);
      return;
    }
    case 'loop':
      res.writeHead(302, { location: arg === 'a' ? '/loop/b' : '/loop/a' }).end();
      return;
    case 'chain':
      res.writeHead(302, { location: Number(arg) > 0 ? `/chain/${Number(arg) - 1}` : '/ok' }).end();
      return;
    case 'redirect':
      res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/ok' }).end();
      return;
    case 'reset':
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 100_000 });
      res.write(Buffer.alloc(1000, 'r'));
      setTimeout(() => req.socket.resetAndDestroy(), 50);
      return;
    case 'json':
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(JSON_BODY));
      return;
    case 'echo':
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, headers: req.headers, body }));
      return;
    case 'early-hints':
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' }, () => res.writeHead(200, { 'content-type': 'text/plain' }).end(OK_BODY));
      return;
    case 'not-http':
      raw(req, 'SSH-2.0-OpenSSH_9.2\r\n\r\n');
      req.socket.end();
      return;
    case 'hang-up':
      req.socket.destroy();
      return;
    default:
      res.writeHead(404).end('not found');
  }
}

/**
 * Accepts TCP connections, discards what it receives and never sends a byte: hangs HTTP requests,
 * TLS handshakes and banner reads alike.
 */
export async function startSilentTarget(): Promise<Target> {
  // Reading (and dropping) what arrives is what lets the server notice the peer hanging up.
  const server = net.createServer((s) => s.resume());
  const tracked = track(server);
  const port = await listen(server);
  return { ...tracked, host: '127.0.0.1', port };
}

/**
 * A line-oriented TCP server. It sends `banner` on connect (after `delayMs`), answers each received
 * line with `reply(line)` when given, and hangs up after the banner when `closeAfterBanner` is set.
 */
export async function startTcpTarget(
  opts: { banner?: string; delayMs?: number; reply?: (line: string) => string; closeAfterBanner?: boolean } = {},
): Promise<Target & { received: () => string }> {
  let received = '';
  const server = net.createServer((s) => {
    const timer = setTimeout(() => {
      if (opts.banner !== undefined) s.write(opts.banner);
      if (opts.closeAfterBanner) s.end();
    }, opts.delayMs ?? 0);
    s.on('close', () => clearTimeout(timer));
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      received += d;
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (opts.reply && !s.destroyed) s.write(opts.reply(line));
      }
    });
  });
  const tracked = track(server);
  const port = await listen(server);
  return { ...tracked, host: '127.0.0.1', port, received: () => received };
}

/**
 * A port on 127.0.0.1 with nothing listening: connecting is refused. It is taken below Linux's
 * ephemeral range (32768–60999), where no `listen(0)` of a test running alongside can be given it
 * a moment later and turn the refused check into an answering one; bound once to make sure it is
 * free now, then released.
 */
export async function closedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = net.createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((r) => server.close(() => r()));
    return port;
  }
}
