/**
 * HTTP(S) probe: one request over a fresh connection per hop, so DNS, connect and TLS failures stay
 * visible instead of hiding behind a pooled socket. Redirects are followed by hand (loops and limits
 * become result codes), the body is read but capped, and the answer is judged against `expect`.
 */
import { performance } from 'node:perf_hooks';
import type { SecureContext, TLSSocket } from 'node:tls';
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { systemClock, type Clock } from '../clock.js';
import type { HttpCheckConfig } from '../config/schema.js';
import { VERSION } from '../version.js';
import { type ChainExpiry, chainExpiry, presentedChain } from './cert-chain.js';
import { CertificateRefused, expiryVerdict } from './cert-verdict.js';
import { AGENT_LIMIT_CODES, CODES, codeForError, type ResultCode } from './codes.js';
import { readBody } from './body-decode.js';
import { decodableAcceptEncoding } from './accept-encoding.js';
import { abortError, connectStage, errorMessage, loadTrust, openConnection, since, timedOut, trustVersion } from './connect.js';
import type { TlsSessions } from './tls-sessions.js';
import type { Logger } from '../log.js';
import type { ProbeFn, ProbePhases, ProbeResult, ProbeStatus } from './types.js';

/** Sent unless the check sets its own User-Agent, so the entity can recognise our traffic. */
export const USER_AGENT = `raqib/${VERSION}`;

/**
 * Largest response head accepted. Node's default (16 KiB) is stricter than browsers, and a probe
 * must not call a site down that every browser loads; 256 KiB matches Chrome's limit.
 */
export const MAX_HEADER_SIZE = 256 * 1024;

/** What one request/response exchange produced. */
interface Hop {
  status: number;
  headers: IncomingHttpHeaders;
  /** Bytes of body read (up to the cap). */
  bytes: number;
  /** The body as read, when an expectation needs it; empty otherwise. */
  body: Buffer;
  truncated: boolean;
  /** The presented chain's earliest expiry and which certificate it is (cert-chain.ts). */
  cert?: ChainExpiry;
}

interface HopRequest {
  url: URL;
  method: string;
  headers: Readonly<Record<string, string>>;
  body: string | undefined;
}

interface HopOptions {
  signal: AbortSignal;
  trust: SecureContext | undefined;
  insecure: boolean;
  maxBody: number;
  /**
   * Whether the check judges the body (body_contains, body_matches, json). A body no expectation
   * reads is counted, not kept: a kept body lives as long as the connection's objects, which
   * outlive the probe in Node until a mark-compact, so large pages would cost mark-compacts for
   * nothing.
   */
  keepBody: boolean;
  phases: Partial<ProbePhases>;
  /** Updated as the exchange advances, so a timeout can say what it was waiting for. */
  progress: { stage: string };
  /** Sessions to resume (tls_resume); undefined for a full handshake every time. */
  sessions: TlsSessions | undefined;
  /** The trust part of a session key: sessions are never shared between differently verified connections. */
  trustKey: string;
  /** Session keys of the hops so far, to forget when the probe fails. */
  sessionKeys: string[];
  log: Logger;
  /** The probe's clock: certificate dates are judged against its wall-clock time. */
  clock: Clock;
}

const isRedirect = (status: number) => [301, 302, 303, 307, 308].includes(status);

/** Whether `headers` sets `name` in any letter case (header names are case-insensitive). */
const hasHeader = (headers: Record<string, string>, name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);

/** The first hop's headers of each check, by its configured `headers` object: worked out once per config. */
const firstHeaders = new WeakMap<Record<string, string>, Readonly<Record<string, string>>>();

/**
 * The headers a check's first request sends: its own, a raqib User-Agent unless it sets one, and
 * its Accept-Encoding without the codings this runtime cannot decode (accept-encoding.ts). Built
 * once per loaded config and frozen: every probe of the check shares it, and hops copy it.
 */
function requestHeaders(configured: Record<string, string>): Readonly<Record<string, string>> {
  let headers = firstHeaders.get(configured);
  if (headers) return headers;
  const built: Record<string, string> = { ...configured };
  if (!hasHeader(built, 'user-agent')) built['user-agent'] = USER_AGENT;
  for (const name of Object.keys(built)) {
    if (name.toLowerCase() === 'accept-encoding') built[name] = decodableAcceptEncoding(built[name]!);
  }
  headers = Object.freeze(built);
  firstHeaders.set(configured, headers);
  return headers;
}

/**
 * Runs one request on a connection of its own and reads the body up to `maxBody` bytes.
 *
 * The exchange is node:http's client on the socket `openConnection` timed, handed over with
 * `createConnection` (no agent: nothing is pooled, and the request says `Connection: close`). A
 * one-off undici `Client` did this until a heap study found that undici's HTTP/1.1
 * connection object defines a getter closing over the socket: every connection got a hidden class
 * of its own in old space, which kept each probe's socket, and all reachable from it, alive through
 * every scavenge until the next mark-compact.
 */
async function exchange(req: HopRequest, opts: HopOptions): Promise<Hop> {
  const { signal, phases, progress } = opts;
  const https = req.url.protocol === 'https:';
  progress.stage = 'connecting';
  const port = Number(req.url.port) || (https ? 443 : 80);
  const sessionKey = https && opts.sessions ? `${req.url.hostname}:${port}|${opts.trustKey}` : undefined;
  if (sessionKey) opts.sessionKeys.push(sessionKey);
  const cached = sessionKey ? opts.sessions!.get(sessionKey) : undefined;
  let issued: Buffer | undefined;
  const connect = (session: Buffer | undefined) =>
    openConnection({
      host: req.url.hostname,
      port,
      signal,
      phases,
      ...(https
        ? {
            tls: {
              trust: opts.trust,
              rejectUnauthorized: !opts.insecure,
              alpn: ['http/1.1'],
              ...(session ? { session } : {}),
              ...(sessionKey ? { onSession: (s: Buffer) => (issued = s) } : {}),
              clock: opts.clock,
            },
          }
        : {}),
    });
  let conn: Awaited<ReturnType<typeof openConnection>>;
  try {
    conn = await connect(cached?.session);
  } catch (err) {
    // Resuming a session without the server's certificate (tls-session-der.ts) failed in TLS. Node
    // 20 and 22 take such a session as verified; should another Node not, the endpoint is not to
    // blame: a full handshake decides, and if it passes, sessions keep certificates from now on.
    if (!cached?.withoutCertificate || !codeForError(err, false).startsWith('TLS_')) throw err;
    issued = undefined;
    conn = await connect(undefined);
    if (opts.sessions!.keepCertificates()) {
      opts.log.warn(
        { err: errorMessage(err), host: req.url.host },
        'a resumed TLS session without the server certificate was refused, and a full handshake passed: cached sessions keep certificates from now on',
      );
    }
  }
  let removeAbort = () => undefined as void;
  let request: ClientRequest | undefined;
  try {
    let cert: ChainExpiry | undefined;
    let resumed = false;
    if (https) {
      const socket = conn.socket as TLSSocket;
      resumed = cached !== undefined && socket.isSessionReused();
      if (resumed) {
        const { certExpiry, certAbout } = cached!;
        if (certExpiry !== undefined) cert = { expiry: certExpiry, about: certAbout ?? 'the certificate' };
      } else {
        // The whole chain, read once as X509Certificate views: a second read of the peer certificate
        // on the same socket comes back empty in Node 20, and this one is a third of getPeerCertificate()'s cost.
        cert = chainExpiry(presentedChain(socket, opts.clock.now()));
      }
    }
    const hop = await new Promise<Hop>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let sentAt = performance.now();
      let headAt = 0;
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      const onAbort = () => fail(abortError(signal)); // the finally below drops the connection
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      removeAbort = () => signal.removeEventListener('abort', onAbort);
      const { socket } = conn;
      // The first byte of the response head is the socket's first data after the request went out
      // (a server does not speak first). This listener runs before the HTTP parser's.
      socket.once('data', () => {
        phases.ttfb = since(sentAt);
        progress.stage = 'reading the response head';
      });
      const { url } = req;
      const headers = hasHeader(req.headers, 'host') ? req.headers : { ...req.headers, host: url.host };
      request = httpRequest({
        method: req.method,
        path: url.pathname + url.search,
        headers,
        setHost: false,
        createConnection: () => socket,
        maxHeaderSize: MAX_HEADER_SIZE,
      });
      request.on('error', fail);
      // 1xx answers are skipped by node:http; 'response' is the final one.
      request.on('response', (res: IncomingMessage) => {
        headAt = performance.now();
        phases.ttfb ??= since(sentAt);
        progress.stage = 'reading the body';
        res.on('error', fail); // the connection closed before the body was complete
        const status = res.statusCode ?? 0;
        const done = (truncated: boolean) => {
          if (settled) return;
          settled = true;
          phases.transfer = since(headAt);
          resolve({ status, headers: res.headers, bytes: size, body: Buffer.concat(chunks), truncated, ...(cert ? { cert } : {}) });
        };
        if (isRedirect(status) && res.headers.location !== undefined) return done(false); // a redirect's body is of no interest
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          const room = opts.maxBody - size;
          const take = chunk.length <= room ? chunk : chunk.subarray(0, room);
          if (opts.keepBody) chunks.push(take);
          size += take.length;
          if (chunk.length > room) done(true); // the cap: stop downloading, the finally drops the connection
        });
        res.on('end', () => done(false));
      });
      sentAt = performance.now();
      progress.stage = 'waiting for the response';
      request.end(req.body);
    });
    if (sessionKey && issued)
      opts.sessions!.save(sessionKey, issued, resumed ? { resumed } : { resumed, certExpiry: cert?.expiry, ...(cert ? { certAbout: cert.about } : {}) });
    return hop;
  } finally {
    removeAbort();
    request?.destroy();
    conn.socket.destroy();
  }
}

/**
 * A URL as it may appear in results, logs and reports: origin and path, without the query
 * (where API keys and tokens often travel) or any credentials.
 */
function shown(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Value at a path such as `data.items[0].ok`; undefined when any step is missing. */
function jsonAt(root: unknown, path: string): unknown {
  let cur = root;
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[index ?? key!];
  }
  return cur;
}

/**
 * The first unmet expectation (`failed`), in the documented order of precedence, and what was done
 * to the body to read it (`note`, for the detail). The status is judged before the body is decoded.
 * Body expectations that fail on a body the agent could not read whole (an agent limit, see
 * AGENT_LIMIT_CODES) come after the header expectations: a missing header is the service's fault
 * whatever the body holds.
 */
async function judge(check: HttpCheckConfig, hop: Hop, signal: AbortSignal): Promise<{ failed?: { code: ResultCode; why: string }; note?: string }> {
  const exp = check.expect;
  if (!exp.status.some((r) => hop.status >= r.min && hop.status <= r.max)) {
    const want = exp.status.map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(', ');
    return { failed: { code: CODES.HTTP_STATUS, why: `got ${hop.status}, expected ${want}` } };
  }
  // Content codings undone, a BOM dropped; a body no expectation reads was not kept and costs nothing here.
  const read = await readBody(hop.body, hop.headers['content-encoding'], check.max_body_size, signal, hop.truncated);
  if ('failed' in read) return { failed: read.failed };
  const mismatch = judgeText(exp, read.text);
  if (mismatch && !read.instead) return { failed: mismatch, note: read.note };
  const missing = (exp.headers ?? []).filter((h) => hop.headers[h.toLowerCase()] === undefined);
  if (missing.length > 0) return { failed: { code: CODES.HEADER_MISSING, why: `missing response header ${missing.join(', ')}` }, note: read.note };
  if (mismatch && read.instead) return { failed: { code: read.instead.code, why: `${read.instead.why}: ${mismatch.why}` } };
  return { note: read.note };
}

/** The first body or JSON expectation that `text` fails. */
function judgeText(exp: HttpCheckConfig['expect'], text: string): { code: ResultCode; why: string } | undefined {
  if (exp.body_contains !== undefined && !text.includes(exp.body_contains)) {
    return { code: CODES.BODY_MISMATCH, why: `body does not contain ${JSON.stringify(exp.body_contains)}` };
  }
  if (exp.body_matches !== undefined && !new RegExp(exp.body_matches).test(text)) {
    return { code: CODES.BODY_MISMATCH, why: `body does not match /${exp.body_matches}/` };
  }
  if (exp.json !== undefined) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return { code: CODES.JSON_MISMATCH, why: 'body is not valid JSON' };
    }
    for (const [path, want] of Object.entries(exp.json)) {
      const got = jsonAt(doc, path);
      if (got !== want) return { code: CODES.JSON_MISMATCH, why: `json ${path} is ${JSON.stringify(got) ?? 'missing'}, expected ${JSON.stringify(want)}` };
    }
  }
  return undefined;
}

/** Method and body for the next hop: 303 (and 301/302 after a POST, as browsers do) turn into GET. */
function redirectedRequest(prev: HopRequest, status: number, next: URL): HopRequest {
  const toGet = status === 303 ? prev.method !== 'HEAD' : (status === 301 || status === 302) && prev.method === 'POST';
  const headers = { ...prev.headers };
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    // Configured headers are for the configured origin only (any of them may carry a key, such as
    // X-Api-Key): another origin gets none of them but the User-Agent.
    if (next.origin !== prev.url.origin && lower !== 'user-agent') delete headers[name];
    if (toGet && ['content-type', 'content-length'].includes(lower)) delete headers[name];
  }
  return { url: next, method: toGet ? 'GET' : prev.method, headers, body: toGet ? undefined : prev.body };
}

/**
 * Probes an HTTP(S) endpoint. Resolves (never rejects) with up, degraded (SLOW; TLS_CERT_EXPIRING
 * when `expect.cert_valid_days` is set and the presented chain expires sooner; BODY_TOO_LARGE and
 * HTTP_CONTENT_ENCODING_UNSUPPORTED, the agent's limits) or down and a code: OK, SLOW, HTTP_STATUS,
 * BODY_MISMATCH, JSON_MISMATCH, HEADER_MISSING, HTTP_CONTENT_DECODING_FAILED (body-decode.ts), HTTP_REDIRECT_LOOP,
 * HTTP_TOO_MANY_REDIRECTS, CONFIG (unreadable ca_file) or whatever `codeForError` makes of a
 * transport failure (TIMEOUT, ECONNREFUSED, DNS_*, TLS_*, HTTP_HEADERS_TOO_LARGE, …).
 */
export const httpProbe: ProbeFn<HttpCheckConfig> = async (check, ctx) => {
  const clock = ctx.clock ?? systemClock;
  const observedAt = clock.now();
  const t0 = performance.now();
  const phases: Partial<ProbePhases> = {};
  const progress = { stage: 'starting' };
  const sessions = check.tls_resume ? ctx.tlsSessions : undefined;
  const sessionKeys: string[] = [];
  let httpStatus: number | undefined;
  let tlsCertExpiry: number | undefined;
  let truncatedAt: number | undefined;
  let bodyNote: string | undefined;
  const result = (status: ProbeStatus, code: string, detail: string): ProbeResult => {
    // A failed probe's endpoints get a full, verified handshake next time (the confirming re-probe).
    if (status === 'down') for (const key of sessionKeys) sessions?.forget(key);
    return {
      status,
      code,
      detail: `${detail}${truncatedAt === undefined ? '' : ` (body truncated at ${truncatedAt} bytes)`}${bodyNote === undefined ? '' : ` (${bodyNote})`}`,
      phases: { ...phases, total: since(t0) },
      observedAt,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(tlsCertExpiry !== undefined ? { tlsCertExpiry } : {}),
    };
  };

  let trust: SecureContext | undefined;
  try {
    trust = await loadTrust(check.ca_file);
  } catch (err) {
    return result('down', CODES.CONFIG, `cannot read ca_file: ${errorMessage(err)}`);
  }
  let req: HopRequest = { url: new URL(check.url), method: check.method, headers: requestHeaders(check.headers), body: check.body };
  const seen = new Set([req.url.href]);
  const opts: HopOptions = {
    signal: ctx.signal,
    trust,
    insecure: check.insecure,
    maxBody: check.max_body_size,
    keepBody: check.expect.body_contains !== undefined || check.expect.body_matches !== undefined || check.expect.json !== undefined,
    phases,
    progress,
    sessions,
    trustKey: `${check.insecure ? 'insecure' : 'verified'}|${check.ca_file ?? ''}|${trustVersion(trust)}`,
    sessionKeys,
    log: ctx.log,
    clock,
  };

  try {
    for (let redirects = 0; ; redirects++) {
      for (const k of ['dns', 'connect', 'tls', 'ttfb', 'transfer'] as const) delete phases[k]; // they describe the last hop
      // So is the status: a redirect's 302 is not the answer of a next hop that fails before
      // answering, and reach.ts reads any httpStatus as "the check's host answered".
      httpStatus = undefined;
      const hop = await exchange(req, opts);
      httpStatus = hop.status;
      tlsCertExpiry = hop.cert?.expiry;
      truncatedAt = hop.truncated ? hop.bytes : undefined;
      const location = isRedirect(hop.status) ? hop.headers.location : undefined;
      if (typeof location !== 'string' || check.max_redirects === 0) {
        const via = redirects > 0 ? ` after ${redirects} redirect${redirects > 1 ? 's' : ''}` : '';
        if (opts.keepBody) progress.stage = 'decoding the body';
        const { failed, note } = await judge(check, hop, ctx.signal);
        bodyNote = note;
        if (failed) return result(AGENT_LIMIT_CODES.has(failed.code) ? 'degraded' : 'down', failed.code, `${failed.why}${via}`);
        const total = since(t0);
        const summary = `${hop.status} in ${Math.round(total)} ms${via}, ${hop.bytes} bytes`;
        const chain =
          hop.cert && check.expect.cert_valid_days !== undefined
            ? expiryVerdict(hop.cert, check.expect.cert_valid_days, clock.now(), check.insecure)
            : undefined;
        if (chain?.degraded) return result('degraded', CODES.TLS_CERT_EXPIRING, `${summary}; ${chain.detail}`);
        if (check.expect.max_latency !== undefined && total > check.expect.max_latency) {
          return result('degraded', CODES.SLOW, `${summary}, slower than ${check.expect.max_latency} ms`);
        }
        return result('up', CODES.OK, summary);
      }
      let next: URL;
      try {
        next = new URL(location, req.url);
      } catch {
        return result('down', CODES.HTTP_PROTOCOL_ERROR, `${hop.status} with an invalid Location ${JSON.stringify(location)}`);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        return result('down', CODES.HTTP_PROTOCOL_ERROR, `${hop.status} redirects to unsupported ${next.protocol} URL`);
      }
      next.hash = '';
      if (seen.has(next.href)) {
        return result('down', CODES.HTTP_REDIRECT_LOOP, `redirect loop: ${shown(req.url)} sends back to ${shown(next)} after ${redirects + 1} redirects`);
      }
      if (redirects + 1 > check.max_redirects) {
        return result('down', CODES.HTTP_TOO_MANY_REDIRECTS, `more than ${check.max_redirects} redirects (next: ${shown(next)})`);
      }
      seen.add(next.href);
      req = redirectedRequest(req, hop.status, next);
    }
  } catch (err) {
    const late = timedOut(ctx.signal);
    const code = codeForError(err, late);
    if (err instanceof CertificateRefused && err.expiry) tlsCertExpiry = err.expiry.expiry; // what refused it, for the metric
    if (progress.stage === 'connecting') progress.stage = connectStage(phases, req.url.hostname, req.url.protocol === 'https:');
    const where = req.url.href === check.url ? '' : ` at ${shown(req.url)}`;
    const why = code === CODES.HTTP_HEADERS_TOO_LARGE ? `response head larger than ${MAX_HEADER_SIZE} bytes` : errorMessage(err);
    const detail = late ? `no answer within ${ctx.timeoutMs} ms while ${progress.stage}${where}` : `${why} while ${progress.stage}${where}`;
    ctx.log.debug({ check: check.id, code, err: errorMessage(err) }, 'http probe failed');
    return result('down', code, detail);
  }
};
