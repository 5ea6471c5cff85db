/**
 * Timed connection set-up shared by the HTTP, TCP and TLS probes: DNS lookup, TCP connect and an
 * optional TLS upgrade, each step measured on its own and each one abandoned the moment the probe's
 * signal fires. Doing the steps by hand (rather than letting a library do them) is what lets a
 * result say *where* the time went and which step failed.
 */
import { promises as dns } from 'node:dns';
import { readFile, stat } from 'node:fs/promises';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as tls from 'node:tls';
import { systemClock, type Clock } from '../clock.js';
import { unbracket } from '../config/fields.js';
import { describeError } from '../errors.js';
import { CertificateRefused, refusedCertificate } from './cert-verdict.js';
import { trustContext, verifiesWith } from './trust-anchors.js';
import type { ProbePhases } from './types.js';

/** TLS settings of a connection; omit them for plain TCP. */
export interface TlsOptions {
  /** SNI and identity name; ignored (no SNI) when it is an IP literal, as RFC 6066 requires. */
  servername?: string;
  /** Trust to verify against; undefined means Node's bundled roots. See {@link loadTrust}. */
  trust?: tls.SecureContext;
  /**
   * False accepts any certificate (the TLS probe judges it itself, or `insecure: true`). True
   * refuses one that fails verification with a CertificateRefused (cert-verdict.ts) naming it.
   */
  rejectUnauthorized: boolean;
  /** ALPN protocols offered, e.g. `['http/1.1']` so a server never picks h2 on us. */
  alpn?: string[];
  /** A session to resume (see tls-sessions.ts); the server may still insist on a full handshake. */
  session?: Buffer;
  /** Receives each session (ticket) the server issues on this connection. */
  onSession?: (session: Buffer) => void;
  /** Whose "now" a refused certificate's dates are read against (the probe's clock); the system's when absent. */
  clock?: Clock;
}

export interface ConnectOptions {
  host: string;
  port: number;
  signal: AbortSignal;
  tls?: TlsOptions;
  /**
   * Filled in as each step completes (dns, connect, tls in ms), so a failed connection still
   * reports the phases it got through.
   */
  phases: Partial<ProbePhases>;
}

export interface Connection {
  socket: net.Socket | tls.TLSSocket;
  /** The address actually connected to (after DNS). */
  address: string;
}

/** Milliseconds from `start` to `end` (performance.now() readings; `end` now by default), to 0.01 ms. */
export function since(start: number, end = performance.now()): number {
  return Math.round((end - start) * 100) / 100;
}

/**
 * True when the probe's own deadline fired: the caller builds the signal from
 * `AbortSignal.timeout()` (possibly inside `AbortSignal.any`), whose reason is a TimeoutError.
 */
export function timedOut(signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  const reason = signal.reason as { name?: string } | undefined;
  return reason?.name === 'TimeoutError';
}

/** The error to throw for an aborted signal: its reason, or a generic AbortError. */
export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Which connection step was running, judged from the phases already recorded. */
export function connectStage(phases: Partial<ProbePhases>, host: string, withTls: boolean): string {
  if (phases.dns === undefined && net.isIP(unbracket(host)) === 0) return 'resolving the host name';
  if (phases.connect === undefined) return 'connecting';
  return withTls && phases.tls === undefined ? 'in the TLS handshake' : 'connected';
}

/**
 * One printable line from an error, for result details and log lines: describeError's words
 * (errors.ts: OpenSSL's text as a sentence without its per-process prefix, so the same fault reads
 * the same in a log and a detail) on one line, and the error's code.
 */
export function errorMessage(err: unknown): string {
  const msg = describeError(err).replace(/\s+/g, ' ').trim();
  const code = (err as { code?: unknown } | null | undefined)?.code;
  // OpenSSL and libuv codes (ERR_SSL_WRONG_VERSION_NUMBER, EPIPE) are what an operator searches
  // for; a refused certificate's code is the result's own, already beside the detail.
  return typeof code === 'string' && !msg.includes(code) && !(err instanceof CertificateRefused) ? `${msg} (${code})` : msg;
}

/**
 * Trust for a probe: Node's bundled roots plus the PEM file, because `ca_file` is meant to *add*
 * trust (Node's `ca` option alone would replace the store). Parsing ~150 roots takes ~15 ms of CPU,
 * so the context is built once per file version (path, size, mtime, inode) and reused. The version
 * is looked at no more than once every TRUST_RECHECK_MS per file (a `stat` per probe was 5% of the
 * agent's busy time at 10,000 checks), so a rotated file is picked up within 5 s. These memos are
 * the probes' only module state: they cache immutable file content and Node's defaults, so sharing
 * them cannot make one check affect another. Rejects when the file cannot be read.
 */
const trustMemo = new Map<string, { version: string; checkedAt: number; context: Promise<tls.SecureContext> }>();
export const TRUST_RECHECK_MS = 5_000;
/**
 * The file version each context was built from, for trustVersion(). Kept with the context, not
 * read from trustMemo: by the time a probe asks, the memo may hold a newer file than its context.
 */
const trustVersions = new WeakMap<tls.SecureContext, string>();

/**
 * The version (size, mtime, inode) of the `ca_file` a context from loadTrust was built from, '' for
 * Node's roots. Part of a TLS session's key: a session verified under a replaced file is not
 * resumed, so a CA taken out of the file is trusted no longer from the next probe on.
 */
export function trustVersion(context: tls.SecureContext | undefined): string {
  return (context && trustVersions.get(context)) ?? '';
}

export async function loadTrust(caFile: string | undefined): Promise<tls.SecureContext | undefined> {
  if (caFile === undefined) return undefined;
  const hit = trustMemo.get(caFile);
  const now = performance.now();
  if (hit && now - hit.checkedAt < TRUST_RECHECK_MS) return hit.context;
  const info = await stat(caFile);
  const version = `${info.size}:${info.mtimeMs}:${info.ino}`;
  const current = trustMemo.get(caFile);
  if (current?.version === version) {
    current.checkedAt = now;
    return current.context;
  }
  const context = readFile(caFile, 'utf8').then((pem) => {
    // OpenSSL skips what is not a certificate without a word: say so rather than trust nothing extra.
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    const built = trustContext(pem);
    trustVersions.set(built, version);
    return built;
  });
  const entry = { version, checkedAt: now, context };
  trustMemo.set(caFile, entry);
  context.catch(() => {
    if (trustMemo.get(caFile) === entry) trustMemo.delete(caFile);
  });
  return context;
}

/**
 * Node's default trust (its bundled roots), built once. Without a `secureContext`, every
 * `tls.connect` builds a context of its own: about a quarter of a verified handshake's CPU.
 */
let defaultContext: tls.SecureContext | undefined;
function defaultTrust(): tls.SecureContext {
  defaultContext ??= tls.createSecureContext();
  return defaultContext;
}

/** Waits for `promise` or the signal, whichever comes first; `onAbort` cleans up the loser. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, onAbort: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort();
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err);
      },
    );
  });
}

/** Resolves once `socket` emits `event`, rejects on its error or close; destroys it on abort. */
function waitFor(socket: net.Socket, event: 'connect' | 'secureConnect', signal: AbortSignal): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      socket.off(event, onOk);
      socket.off('error', onErr);
      socket.off('close', onClose);
    };
    const onOk = () => {
      cleanup();
      resolve();
    };
    const onErr = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error('socket closed during connection set-up'), { code: 'ECONNRESET' }));
    };
    socket.once(event, onOk);
    socket.once('error', onErr);
    socket.once('close', onClose);
  });
  return raceAbort(done, signal, () => socket.destroy());
}

/**
 * Opens a fresh connection, timing each step into `opts.phases`. The returned socket is the
 * caller's to destroy; on failure or abort nothing is left open. Rejects with the underlying error
 * (ENOTFOUND, ECONNREFUSED, ERR_SSL_WRONG_VERSION_NUMBER, …), a CertificateRefused for a verifying
 * connection whose chain fails, or the signal's reason.
 */
export async function openConnection(opts: ConnectOptions): Promise<Connection> {
  const { signal, phases } = opts;
  if (signal.aborted) throw abortError(signal);
  const host = unbracket(opts.host);

  let address = host;
  let family = net.isIP(host);
  if (family === 0) {
    const t0 = performance.now();
    const found = await raceAbort(dns.lookup(host), signal, () => undefined);
    phases.dns = since(t0);
    address = found.address;
    family = found.family;
  }

  const t1 = performance.now();
  const raw = net.connect({ host: address, port: opts.port, family });
  // A late RST after we gave up must not crash the process; real handlers are added by callers.
  raw.on('error', () => undefined);
  // Taken in a listener of our own, added before the TLS socket's: that one starts the handshake
  // in the same 'connect' event, before any awaiting code could look at the clock.
  let connectedAt = 0;
  raw.once('connect', () => (connectedAt = performance.now()));
  const connected = waitFor(raw, 'connect', signal);
  if (!opts.tls) {
    await connected;
    phases.connect = since(t1, connectedAt);
    return { socket: raw, address };
  }

  // The TLS socket is made while TCP connects (see startTls), after net.connect has sent the SYN:
  // it does that on the next tick, queued before this one, so the TLS socket's CPU overlaps the
  // round trip instead of delaying it. The handshake is waited for from the moment the socket
  // exists: a handshake that fails as it starts, in the 'connect' event, must give its own error.
  connected.catch(() => undefined);
  await new Promise<void>((resolve) => process.nextTick(resolve));
  let secure: tls.TLSSocket | undefined;
  try {
    if (raw.destroyed) await connected; // failed or aborted already: throws its error
    secure = startTls(raw, host, opts.tls);
    const handshake = waitFor(secure, 'secureConnect', signal);
    handshake.catch(() => undefined);
    await connected;
    phases.connect = since(t1, connectedAt);
    await handshake;
    // Refused here rather than by Node, which would drop the connection before anyone could see
    // which certificate failed: the same judgement, and the same words, as the `tls` probe's.
    const refused = opts.tls.rejectUnauthorized ? refusedCertificate(secure, opts.tls.servername ?? host, (opts.tls.clock ?? systemClock).now()) : undefined;
    if (refused) throw refused;
  } catch (err) {
    secure?.destroy();
    raw.destroy();
    throw err;
  }
  phases.tls = since(connectedAt);
  return { socket: secure, address };
}

/** Node's TLSSocket.setSession: public and unchanged since Node 0.x, but not in @types/node. */
interface SessionSetter {
  setSession(session: Buffer): void;
}

/**
 * The TLS side of a connection on `raw` while it is still connecting; the handshake starts when it
 * connects. A session to resume is set here, once. Given to tls.connect as its `session` option,
 * Node sets it twice (the TLS socket's constructor does, then tls.connect again), and OpenSSL
 * decodes it from bytes each time: ~200 µs of CPU per connection on Node 20 (OpenSSL 3.0).
 * Node 22.23.5 skips the second decode for verified connections, not with `insecure`
 * (docs/performance.md).
 */
function startTls(raw: net.Socket, host: string, options: TlsOptions): tls.TLSSocket {
  const servername = options.servername ?? host;
  const secure = tls.connect({
    socket: raw,
    host: servername,
    ...(net.isIP(servername) === 0 ? { servername } : {}),
    secureContext: options.trust ?? defaultTrust(),
    ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
    // Node verifies all the same (`authorized`); openConnection refuses, see there.
    rejectUnauthorized: false,
  });
  secure.on('error', () => undefined);
  verifiesWith(secure, options.trust);
  if (options.onSession) secure.on('session', options.onSession);
  if (options.session) (secure as unknown as SessionSetter).setSession(options.session);
  return secure;
}
