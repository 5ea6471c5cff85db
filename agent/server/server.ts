/**
 * The agent's own HTTP endpoints: /metrics for Prometheus, /healthz (alive) and /readyz (able to
 * do its job) for orchestrators, /api/v1/* for people and tools. GET, but POST for actions and
 * Alertmanager's webhook; bounded time per request. /metrics and /api/* take a bearer token when one is configured;
 * the health endpoints never do, so a container runtime can always ask.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { bearerMatches } from './auth.js';

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

export interface ServerDeps {
  log: Logger;
  /** Read on every request, so a reloaded token applies at once. */
  authToken(): string | undefined;
  /** The exposition, as pieces written one by one (the event loop stays free between them). */
  metrics(): { contentType: string; chunks: AsyncIterable<string | Uint8Array> };
  readiness(): Readiness;
  /** Handlers of /api/v1/<path>, returning JSON-able data, JsonPieces, or undefined for 404. */
  api(path: string, query: URLSearchParams): unknown;
  /** Handlers of POST /api/v1/<path> (actions such as finalizing a report); undefined for 404. */
  action?(path: string, body: unknown): Promise<{ status: number; data: unknown } | undefined>;
  /**
   * POST /api/v1/alertmanager, Alertmanager's webhook, with a token of its own (read on every
   * request); 404 while `token()` is undefined.
   */
  alertmanager?: { token(): string | undefined; receive(body: unknown): Promise<{ status: number; data: unknown }>; unauthorized(): void };
}

/** An /api/v1 answer given as JSON text in pieces, written one by one (for answers of megabytes). */
export class JsonPieces {
  constructor(readonly pieces: AsyncIterable<string>) {}
}

/** Largest action body accepted: actions are a few fields of text. */
export const MAX_ACTION_BYTES = 64 * 1024;

/** Largest Alertmanager delivery accepted: ~4,000 alerts with their labels and annotations. */
export const MAX_ALERTS_BYTES = 4 * 1024 * 1024;

export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;

export interface AgentServer {
  address: AddressInfo;
  close(): Promise<void>;
}

export async function startServer(host: string, port: number, deps: ServerDeps): Promise<AgentServer> {
  const log = deps.log.child({ module: 'server' });
  const server: Server = createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES, requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    handle(req, res, deps).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  log.info({ address: address.address, port: address.port }, 'listening');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const path = url.pathname;
  if (req.method === 'POST' && path === '/api/v1/alertmanager') return handleAlertmanager(req, res, deps);
  if (req.method === 'POST' && path.startsWith('/api/v1/') && deps.action) return handleAction(req, res, deps, path.slice('/api/v1/'.length));
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, { error: 'method not allowed: only GET, and POST for actions under /api/v1' });
  }
  if (req.headers['content-length'] && req.headers['content-length'] !== '0') {
    return send(res, 413, { error: 'request bodies are not accepted' });
  }
  if (path === '/healthz') return send(res, 200, { status: 'ok' });
  if (path === '/readyz') {
    const r = deps.readiness();
    return send(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', reasons: r.reasons });
  }
  if (path !== '/metrics' && !path.startsWith('/api/')) return send(res, 404, { error: 'not found' });
  const token = deps.authToken();
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    res.setHeader('www-authenticate', 'Bearer realm="raqib"');
    return send(res, 401, { error: 'missing or wrong bearer token' });
  }
  if (path === '/metrics') {
    const { contentType, chunks } = deps.metrics();
    return sendPieces(req, res, contentType, chunks);
  }
  if (path.startsWith('/api/v1/')) {
    const data = deps.api(path.slice('/api/v1/'.length), url.searchParams);
    if (data instanceof JsonPieces) return sendPieces(req, res, JSON_TYPE, data.pieces);
    if (data !== undefined) return send(res, 200, data);
  }
  return send(res, 404, { error: 'not found' });
}

/**
 * Actions change what the agent files, so they need the bearer token — or, when no token is
 * configured, a caller on this machine (loopback), never an anonymous one from the network.
 */
async function handleAction(req: IncomingMessage, res: ServerResponse, deps: ServerDeps, path: string): Promise<void> {
  const token = deps.authToken();
  const local = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '');
  // A page in a browser on this machine can reach loopback too: a JSON content type forces a CORS
  // preflight (which this server never grants), and the Host check defeats DNS rebinding.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return send(res, 415, { error: 'send the action as application/json' });
  const loopbackHost = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i.test(req.headers.host ?? '');
  if (token !== undefined ? !bearerMatches(req.headers.authorization, token) : !(local && loopbackHost)) {
    res.setHeader('www-authenticate', 'Bearer realm="raqib"');
    return send(res, 401, { error: token ? 'missing or wrong bearer token' : 'actions need agent.auth_token when called from another machine' });
  }
  const body = await readJson(req, res, MAX_ACTION_BYTES);
  if (body === NO_BODY) return;
  const result = await deps.action!(path, body);
  return result ? send(res, result.status, result.data) : send(res, 404, { error: 'not found' });
}

/** Alertmanager's webhook: its own bearer token, never the loopback exemption, a larger body. */
async function handleAlertmanager(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  const token = deps.alertmanager?.token();
  if (!deps.alertmanager || token === undefined) return send(res, 404, { error: 'not found: set agent.alertmanager.token to take alerts here' });
  if (!bearerMatches(req.headers.authorization, token)) {
    deps.alertmanager.unauthorized();
    res.setHeader('www-authenticate', 'Bearer realm="raqib"');
    return send(res, 401, { error: 'missing or wrong bearer token (agent.alertmanager.token)' });
  }
  const body = await readJson(req, res, MAX_ALERTS_BYTES);
  if (body === NO_BODY) return;
  const result = await deps.alertmanager.receive(body);
  return send(res, result.status, result.data);
}

const NO_BODY = Symbol('answered');

/** The request's JSON body, or NO_BODY once it has answered 413 or 400. */
async function readJson(req: IncomingMessage, res: ServerResponse, max: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) {
      send(res, 413, { error: `request body larger than ${max} bytes` });
      return NO_BODY;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
  } catch {
    send(res, 400, { error: 'the body is not JSON' });
    return NO_BODY;
  }
}

/**
 * Until the response has handed what it holds to the socket ('drain'), or is closed. Both
 * listeners go once either fires: a scrape waits here for most of its pieces, and listeners left
 * on the response added up to Node's MaxListenersExceededWarning by the 11th.
 */
function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    if (res.destroyed) return resolve(); // its 'close' may be past
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** A 200 whose body is written piece by piece (chunked), each piece once the socket took the last. */
async function sendPieces(req: IncomingMessage, res: ServerResponse, contentType: string, pieces: AsyncIterable<string | Uint8Array>): Promise<void> {
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
  if (req.method === 'HEAD') return void res.end();
  for await (const piece of pieces) {
    if (res.destroyed) return;
    if (!res.write(piece)) await drained(res);
  }
  res.end();
}

function send(res: ServerResponse, status: number, data: unknown): void {
  const body = JSON.stringify(data);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
