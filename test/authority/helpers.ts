/**
 * Shared set-up for the agent/authority tests: a sandbox authority on port 0 with a clock the test
 * moves, a crisis team member signed in through the real device flow, tiny scripted HTTP servers
 * for answers the sandbox would never give, and a port nobody listens on.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { Agent } from 'undici';
import { HttpAuthorityClient, type RequestEvent, type TokenSource } from '../../agent/authority/client.js';
import { deviceSignIn } from '../../agent/authority/login.js';
import type { OAuthEndpoint } from '../../agent/authority/oauth.js';
import { TokenManager } from '../../agent/authority/tokens.js';
import { createLogger } from '../../agent/log.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../agent/sandbox/server.js';
import { tempDir } from '../helpers/tmp.js';

export const log = createLogger({ level: 'silent' });
export const MANAGER = 'manager@moh.gov.sa';
export const T0 = Date.parse('2026-11-28T09:00:00+03:00');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c().catch(() => undefined)));
});

/** Runs `fn` after the current test (servers, dispatchers, stores). */
export function onCleanup(fn: () => Promise<unknown>): void {
  cleanups.push(fn);
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface TestAuthority {
  sandbox: Sandbox;
  url: string;
  /** The sandbox's clock (epoch ms); tests move it. */
  clock: { now: number };
  endpoint: OAuthEndpoint;
  /** How many requests the sandbox answered on `route` (e.g. "POST /oauth/token") with `status`. */
  count(route: string, status?: number): number;
  control(path: string, body?: unknown, method?: string): Promise<unknown>;
}

/** A sandbox authority (in memory, port 0) with its own clock, closed after the test. */
export async function testAuthority(options: Partial<SandboxOptions> = {}): Promise<TestAuthority> {
  const clock = { now: T0 };
  const sandbox = await startSandbox({ log, now: () => clock.now, ackDelayMs: -1, pollIntervalSeconds: 5, ...options });
  onCleanup(() => sandbox.close());
  const dispatcher = new Agent();
  onCleanup(() => dispatcher.close());
  const endpoint: OAuthEndpoint = { baseUrl: sandbox.url, clientId: 'raqib', dispatcher, timeoutMs: 5_000 };
  return {
    sandbox,
    url: sandbox.url,
    clock,
    endpoint,
    count(route, status) {
      const byStatus = sandbox.state.requests[route] ?? {};
      if (status !== undefined) return byStatus[String(status)] ?? 0;
      return Object.values(byStatus).reduce((a, b) => a + b, 0);
    },
    async control(path, body = {}, method = 'POST') {
      const res = await fetch(`${sandbox.url}/sandbox/${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'DELETE' ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`sandbox control ${path}: ${res.status} ${await res.text()}`);
      return res.status === 204 ? undefined : res.json();
    },
  };
}

export interface SignedIn extends TestAuthority {
  dataDir: string;
  tokens: TokenManager;
  client: HttpAuthorityClient;
  events: RequestEvent[];
  /** Changes of the authorized state the token manager reported. */
  changes: boolean[];
}

/**
 * A sandbox that approves sign-ins by itself, the manager signed in through the device flow (the
 * sign-in file in a temp data_dir), a TokenManager on that file and an HttpAuthorityClient on it.
 */
export async function signedIn(options: Partial<SandboxOptions> = {}): Promise<SignedIn> {
  const a = await testAuthority({ autoApprove: true, ...options });
  const dataDir = await tempDir('raqib-authority-');
  await deviceSignIn({ endpoint: a.endpoint, subject: MANAGER, dataDir, onPrompt: () => undefined, sleep: async () => undefined });
  const changes: boolean[] = [];
  const tokens = new TokenManager({ endpoint: a.endpoint, dataDir, log, authorityUrl: a.url, onAuthorizedChange: (ok) => changes.push(ok) });
  const events: RequestEvent[] = [];
  const client = new HttpAuthorityClient({ baseUrl: a.url, tokens, timeoutMs: 5_000, userAgent: 'raqib-test', onRequest: (e) => events.push(e) });
  onCleanup(() => client.close());
  return { ...a, dataDir, tokens, client, events, changes };
}

/** A token source that always hands out `token` and counts invalidations. */
export function fixedTokens(token: string): TokenSource & { invalidated: number; asked: number } {
  const source = {
    invalidated: 0,
    asked: 0,
    async accessToken() {
      source.asked++;
      return token;
    },
    invalidate() {
      source.invalidated++;
    },
  };
  return source;
}

export interface ScriptedServer {
  url: string;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
}

/** A tiny HTTP server answering with `handler`; closed after the test. */
export async function scriptedServer(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<ScriptedServer> {
  const requests: ScriptedServer['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** An http:// URL on 127.0.0.1 where nothing listens (a port that was just free). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
