/**
 * The sandbox authority: an HTTP server that serves Authority API v1 (docs/authority-api.md) with
 * the checks a real authority would make, plus control endpoints for drills and tests. The agent
 * embeds it when `authority.mode: sandbox` has no url; `raqib sandbox` runs it on its own.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CrisisTeam, Report } from '../authority/contract.js';
import { RaqibError } from '../errors.js';
import type { Logger } from '../log.js';
import { realFs, type StoreFs } from '../store/durable-file.js';
import { Control } from './control.js';
import { Faults } from './faults.js';
import { BODY_LIMIT, send, type Reply } from './http.js';
import { Idempotency } from './idempotency.js';
import { Acknowledger } from './lifecycle.js';
import { OAuth, NO_STORE } from './oauth.js';
import { DurableWriter, loadData, memoryPersistence, type Persistence } from './persistence.js';
import { OAuthError, ProblemError, problems } from './problems.js';
import { Reports } from './reports.js';
import { matchRoute, routeName, type Resolvers, type Route } from './router.js';
import { buildRoutes } from './routes.js';
import { SandboxState } from './state.js';
import { Teams } from './teams.js';
import { Tokens } from './tokens.js';

export interface SandboxOptions {
  /** Where to listen; default 127.0.0.1 on a free port (0). */
  listen?: { host: string; port: number };
  /** JSON file holding the state, written durably before each answer; in memory when omitted. */
  dataFile?: string;
  /** Approve a device sign-in at its first token poll as its login_hint (access_denied without one). */
  autoApprove?: boolean;
  /** Acknowledge reports this long after filing; negative: never (only via control). Default 2000. */
  ackDelayMs?: number;
  /** Device-flow polling interval in seconds. Default 5. */
  pollIntervalSeconds?: number;
  /** Access-token lifetime in seconds. Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Device-code lifetime in seconds. Default 600. */
  deviceCodeTtlSeconds?: number;
  /** Base URL people reach the sandbox at (verification_uri), when not the listen address. */
  publicUrl?: string;
  log: Logger;
  /** Wall clock in epoch ms (token and device-code expiry, timestamps). Default Date.now. */
  now?: () => number;
  /** Numbers in [0, 1) for the error_rate fault (never for secrets). Default Math.random. */
  random?: () => number;
  /** File-system seam for the data file (fault-injection tests). */
  fs?: StoreFs;
}

/** What GET /sandbox/state shows: every team and report, and request counts by route and status. */
export interface SandboxSnapshot {
  teams: CrisisTeam[];
  reports: Report[];
  requests: Record<string, Record<string, number>>;
}

export interface Sandbox {
  /** http://host:port, without a trailing slash. */
  readonly url: string;
  /** A copy of the state as of this read. */
  readonly state: Readonly<SandboxSnapshot>;
  /** Stops listening, drops open connections, waits for the data file. Safe to call twice. */
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const log = options.log.child({ module: 'sandbox' });
  const now = options.now ?? Date.now;
  const listen = options.listen ?? { host: '127.0.0.1', port: 0 };
  const loaded = options.dataFile ? await loadData(options.dataFile, options.fs ?? realFs) : undefined;
  const state = loaded ? SandboxState.fromData(loaded) : new SandboxState();
  let persistence: Persistence = memoryPersistence;
  if (options.dataFile) {
    const writer = new DurableWriter(options.dataFile, () => state.toData(), options.fs ?? realFs);
    await writer.prepare();
    persistence = writer;
  }

  let baseUrl = '';
  const counts = new Map<string, Map<string, number>>();
  const counters = { snapshot: () => Object.fromEntries([...counts].map(([route, byStatus]) => [route, Object.fromEntries(byStatus)])) };
  const faults = new Faults(options.random ?? Math.random);
  const idempotency = new Idempotency(state, now);
  const tokens = new Tokens(state, now, options.accessTokenTtlSeconds ?? 3600);
  const acks = new Acknowledger(state, persistence, options.ackDelayMs ?? 2000, now, log);
  const oauth = new OAuth(
    state,
    tokens,
    persistence,
    {
      now,
      baseUrl: () => baseUrl,
      autoApprove: options.autoApprove ?? false,
      pollIntervalSeconds: options.pollIntervalSeconds ?? 5,
      deviceCodeTtlSeconds: options.deviceCodeTtlSeconds ?? 600,
    },
    log,
  );
  const teams = new Teams(state, idempotency, persistence, now, log);
  const reports = new Reports(state, idempotency, persistence, acks, faults, now, log);
  const control = new Control(state, oauth, tokens, faults, persistence, counters, now, () => baseUrl, log);
  const routes = buildRoutes({ oauth, teams, reports, control });
  /** Every route that names a report takes its id or its public reference (what people quote). */
  const resolvers: Resolvers = { reports: (idOrReference) => state.reportIdOf(idOrReference) };
  const closing = new AbortController();

  const count = (route: string, status: number) => {
    const byStatus = counts.get(route) ?? new Map<string, number>();
    byStatus.set(String(status), (byStatus.get(String(status)) ?? 0) + 1);
    counts.set(route, byStatus);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const clientFacing = /^\/(oauth|api)(\/|$)/.test(url.pathname);
    const match = matchRoute(routes, method, url.pathname, resolvers);
    const name = match && 'route' in match ? routeName(match.route) : `${method} (no route)`;
    let reply: Reply;
    try {
      if (clientFacing) {
        const refusal = await faults.before(closing.signal);
        if (refusal) throw refusal;
      }
      if (Number(req.headers['content-length'] ?? 0) > BODY_LIMIT) throw problems.tooLarge(BODY_LIMIT);
      if (!match) throw problems.noRoute(method, url.pathname);
      if ('allowed' in match) throw problems.methodNotAllowed(method, url.pathname, match.allowed);
      reply = await run(match.route, { req, url, params: match.params });
    } catch (err) {
      if (closing.signal.aborted) return;
      reply = toReply(err, url.pathname);
    }
    try {
      if (clientFacing) await faults.after(closing.signal);
    } catch {
      return; // closing: the connection goes with the server
    }
    if (clientFacing) count(name, reply.status);
    send(res, reply);
    log.debug({ method, route: name, status: reply.status, ms: Math.round(performance.now() - started) }, 'request');
  }

  function run(route: Route, ctx: Parameters<Route['handler']>[0]): Promise<Reply> | Reply {
    if (route.kind !== 'api') return route.handler(ctx);
    const who = tokens.authenticate(ctx.req);
    if (route.scope && !who.scopes.has(route.scope)) throw problems.insufficientScope(route.scope);
    return route.handler(ctx, who);
  }

  function toReply(err: unknown, path: string): Reply {
    if (err instanceof ProblemError) return { status: err.status, body: err.toProblem(path), headers: err.extra.headers ?? {} };
    if (err instanceof OAuthError) return { status: err.status, body: { error: err.error, error_description: err.message }, headers: NO_STORE };
    log.error({ err, path }, 'request failed');
    return { status: 500, body: problems.internal('the sandbox failed to handle the request; see its log').toProblem(path) };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'request failed');
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new RaqibError('RAQIB_SANDBOX_LISTEN', `sandbox cannot listen on ${listen.host}:${listen.port}: ${err.message}`, { cause: err })),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  baseUrl = (options.publicUrl ?? url).replace(/\/+$/, '');
  for (const r of state.reports.values()) acks.schedule(r);
  log.info({ url, data_file: options.dataFile ?? null, teams: state.teams.size, reports: state.reports.size }, 'sandbox listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    get state(): SandboxSnapshot {
      return structuredClone({ teams: [...state.teams.values()], reports: [...state.reports.values()], requests: counters.snapshot() });
    },
    close() {
      closed ??= (async () => {
        closing.abort();
        acks.close();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopped;
        await persistence.flush().catch((err: unknown) => log.error({ err }, 'cannot write the sandbox data file'));
        log.info({ url }, 'sandbox closed');
      })();
      return closed;
    },
  };
}
