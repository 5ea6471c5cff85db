/**
 * The benchmark's targets, all on 127.0.0.1: two plain HTTP servers, one HTTPS server (the
 * fixture certificate for 127.0.0.1/localhost, signed by test/fixtures/tls/ca.crt), a silent TCP
 * port, a TCP port that greets, a closed port and a DNS server. They keep no per-request state
 * (the test targets in test/helpers record every request, which would grow without bound here),
 * except the arrival time of each `/ok?c=<id>` request, from which the scheduler's regularity is
 * measured from outside the agent: the gap between two arrivals of one check minus the interval.
 *
 * HTTP routes: `/ok` 200 with a short body; `/slow/<ms>` the same after a delay; `/status/<code>`;
 * `/hang` reads the request and never answers.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { startDnsServer, type DnsTestServer } from '../../helpers/dns-server.js';
import { closedPort } from '../../helpers/targets.js';
import { GapHistogram, NO_GAPS } from './gap-histogram.js';
import { TLS_DIR } from './paths.js';

export interface TargetAddresses {
  http: number[];
  https: number;
  tcp: number;
  banner: number;
  closed: number;
  dns: string;
  /** PEM file that verifies the HTTPS server. */
  caFile: string;
}

export const OK_BODY = 'ok: raqib bench target';
export const BANNER = '+OK raqib bench\r\n';
/** DNS names the zone answers (`svc-<n>.bench.test` for n below this), one slow, one missing. */
export const DNS_NAMES = 64;
export const DNS_SLOW = 'slow.bench.test';
export const DNS_MISSING = 'missing.bench.test';

export interface JitterStats {
  count: number;
  /** |gap − interval| percentiles, ms. */
  p50: number;
  p99: number;
  max: number;
  /** Mean of (gap − interval), ms: a positive value means checks drift later and later. */
  drift: number;
}

export interface BenchTargets {
  addresses: TargetAddresses;
  startJitter(): void;
  stopJitter(): JitterStats;
  close(): Promise<void>;
}

async function listen(server: net.Server): Promise<number> {
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

export async function startBenchTargets(intervalMs: number): Promise<BenchTargets> {
  const lastSeen = new Map<string, number>();
  let gaps: GapHistogram | undefined;
  const sockets = new Set<net.Socket>();
  const servers: net.Server[] = [];
  const track = (server: net.Server) => {
    servers.push(server);
    server.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    });
    return server;
  };

  const handler: http.RequestListener = (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === '/ok') {
      const c = q < 0 ? undefined : new URLSearchParams(url.slice(q + 1)).get('c');
      if (c) {
        const now = performance.now();
        const prev = lastSeen.get(c);
        lastSeen.set(c, now);
        if (gaps && prev !== undefined) gaps.add(now - prev - intervalMs);
      }
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': OK_BODY.length }).end(OK_BODY);
      return;
    }
    const [, first = '', arg = ''] = path.split('/');
    req.resume();
    if (first === 'slow') {
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(OK_BODY), Number(arg));
      res.on('close', () => clearTimeout(timer));
    } else if (first === 'status') {
      res.writeHead(Number(arg) || 500, { 'content-type': 'text/plain' }).end(`status ${arg}`);
    } else if (first === 'hang') {
      // never answers; the client gives up at its timeout and closes the connection
    } else {
      res.writeHead(404).end('not found');
    }
  };

  const httpPorts: number[] = [];
  for (let i = 0; i < 2; i++) {
    const server = track(http.createServer({ keepAliveTimeout: 5000, requestTimeout: 0 }, handler));
    httpPorts.push(await listen(server));
  }
  const caFile = `${TLS_DIR}ca.crt`;
  const tlsServer = track(
    https.createServer(
      { cert: readFileSync(`${TLS_DIR}localhost.crt`), key: readFileSync(`${TLS_DIR}localhost.key`), keepAliveTimeout: 5000, requestTimeout: 0 },
      handler,
    ),
  );
  tlsServer.on('tlsClientError', () => undefined);
  const httpsPort = await listen(tlsServer);

  // Accepts and waits for the client to hang up (a plain "is the port open" check).
  const tcpServer = track(net.createServer((s) => s.resume()));
  const tcpPort = await listen(tcpServer);
  const bannerServer = track(
    net.createServer((s) => {
      s.resume();
      s.write(BANNER);
    }),
  );
  const bannerPort = await listen(bannerServer);
  const closed = await closedPort();

  const zone: Parameters<typeof startDnsServer>[0] = {
    [DNS_SLOW]: { A: ['10.0.0.2'], delayMs: 200 },
  };
  for (let i = 0; i < DNS_NAMES; i++) zone[`svc-${i}.bench.test`] = { A: [`10.0.${i >> 8}.${i & 255}`] };
  // The benchmark asks millions of questions: the server need not remember them.
  const dns: DnsTestServer = await startDnsServer(zone, { keepQuestions: false });

  return {
    addresses: { http: httpPorts, https: httpsPort, tcp: tcpPort, banner: bannerPort, closed, dns: dns.address, caFile },
    startJitter: () => {
      gaps = new GapHistogram();
    },
    stopJitter: () => {
      const stats = gaps?.stats() ?? { ...NO_GAPS };
      gaps = undefined;
      return stats;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      await dns.close();
    },
  };
}
