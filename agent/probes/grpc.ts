/**
 * gRPC probe: the standard health checking protocol (grpc.health.v1.Health/Check), one unary call
 * over HTTP/2 on a fresh connection, with TLS (h2) or in plaintext (h2c with prior knowledge).
 *
 * The client is node:http2 on a socket openConnection timed, not @grpc/grpc-js: a library channel
 * resolves, connects, handshakes and retries on its own, pools connections and hides which step
 * failed, and brings its own TLS set-up. Here DNS, connect and TLS are the agent's (phases, the
 * trust of `ca_file`, the verdict on a refused certificate, resumed sessions: secure-connect.ts),
 * the deadline is the check's timeout, and the two tiny messages are encoded by hand
 * (grpc-health.ts).
 */
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SecureContext } from 'node:tls';
import { systemClock } from '../clock.js';
import { splitHostPort } from '../config/fields.js';
import type { GrpcCheckConfig } from '../config/schema.js';
import { CertificateRefused } from './cert-verdict.js';
import { CODES, codeForError } from './codes.js';
import { abortError, connectStage, errorMessage, loadTrust, openConnection, since, timedOut } from './connect.js';
import { GRPC_STATUS_NAMES, grpcMessage, grpcTimeout, HEALTH_CHECK_PATH, healthCheckRequest, readServingStatus, SERVING_STATUS } from './grpc-health.js';
import { USER_AGENT } from './http.js';
import { openSecure, type SecureConnection } from './secure-connect.js';
import type { ProbeFn, ProbePhases, ProbeResult, ProbeStatus } from './types.js';

/** Most bytes of response messages read: a HealthCheckResponse is 2. Bounded against floods. */
export const GRPC_RESPONSE_CAP = 64 * 1024;

/** How much later than the agent the server is told to give up (grpc-timeout). */
const DEADLINE_MARGIN_MS = 200;

/** What the call brought back. */
interface Answer {
  /** HTTP/2 `:status`. */
  status: number;
  contentType: string | undefined;
  /** `grpc-status` from the trailers, or from the headers of a trailers-only response. */
  grpcStatus: number | undefined;
  grpcMessage: string;
  body: Buffer;
}

interface CallOptions {
  authority: string;
  tls: boolean;
  service: string;
  deadlineMs: number;
  signal: AbortSignal;
  phases: Partial<ProbePhases>;
  progress: { stage: string };
  /** Receives the session, for the caller to destroy whatever happens. */
  held: { session?: http2.ClientHttp2Session };
}

const statusName = (n: number) => `${n} ${GRPC_STATUS_NAMES[n] ?? 'unknown status'}`;

function firstValue(v: string | string[] | number | undefined): string | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v[0] : String(v);
}

/** One Health/Check call on `socket`; rejects on a transport or HTTP/2 error, or on abort. */
function call(socket: Socket, opts: CallOptions): Promise<Answer> {
  const { signal, phases, progress } = opts;
  return new Promise<Answer>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      reject(err);
    };
    const done = (answer: Answer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    const onAbort = () => fail(abortError(signal)); // the caller's finally drops the session
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const session = http2.connect(`${opts.tls ? 'https' : 'http'}://${opts.authority}`, {
      createConnection: () => socket,
      settings: { enablePush: false },
    });
    opts.held.session = session;
    session.on('error', fail);
    session.on('close', () => fail(Object.assign(new Error('the HTTP/2 connection closed before the call ended'), { code: 'ERR_HTTP2_SESSION_CLOSED' })));

    const stream = session.request(
      {
        ':method': 'POST',
        ':path': HEALTH_CHECK_PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': grpcTimeout(opts.deadlineMs),
        'user-agent': USER_AGENT,
      },
      { endStream: false },
    );
    let sentAt = performance.now();
    let headAt = 0;
    let head: http2.IncomingHttpHeaders | undefined;
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const answer = (): Answer => {
      const from = trailers ?? head ?? {};
      const raw = firstValue(from['grpc-status']);
      return {
        status: Number(head?.[':status'] ?? 0),
        contentType: firstValue(head?.['content-type']),
        grpcStatus: raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined,
        grpcMessage: grpcMessage(from['grpc-message']),
        body: Buffer.concat(chunks, size),
      };
    };
    stream.on('error', fail);
    stream.on('response', (headers) => {
      headAt = performance.now();
      phases.ttfb = since(sentAt);
      head = headers;
      progress.stage = 'reading the response';
      // An HTTP error is the whole answer; its body is of no interest.
      if (Number(headers[':status']) !== 200) done(answer());
    });
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (chunk: Buffer) => {
      const take = chunk.subarray(0, GRPC_RESPONSE_CAP - size);
      chunks.push(take);
      size += take.length;
      if (size >= GRPC_RESPONSE_CAP) {
        phases.transfer = since(headAt);
        done(answer()); // judged on what was read; the finally drops the call
      }
    });
    stream.on('end', () => {
      if (head) phases.transfer = since(headAt);
      if (head) done(answer());
      else fail(Object.assign(new Error('the stream ended without a response'), { code: 'ERR_HTTP2_STREAM_ERROR' }));
    });
    stream.on('close', () => {
      if (stream.rstCode && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
        fail(Object.assign(new Error(`the server reset the call (HTTP/2 error ${stream.rstCode})`), { code: 'ERR_HTTP2_STREAM_ERROR' }));
      } else fail(Object.assign(new Error('the call closed without a response'), { code: 'ERR_HTTP2_STREAM_ERROR' }));
    });
    sentAt = performance.now();
    progress.stage = 'waiting for the response';
    stream.end(healthCheckRequest(opts.service));
  });
}

/**
 * Probes a gRPC server's health. Resolves (never rejects) with up (OK: SERVING) or down and a
 * code: GRPC_NOT_SERVING, GRPC_UNKNOWN (the server does not know its status yet),
 * GRPC_SERVICE_UNKNOWN (no such service: grpc-status 5 NOT_FOUND), GRPC_UNAVAILABLE and
 * GRPC_DEADLINE_EXCEEDED (grpc-status 14 and 4, which a proxy in front answers as readily as the
 * server), GRPC_STATUS (any other grpc-status), HTTP_STATUS (an HTTP answer other than 200),
 * GRPC_PROTOCOL_ERROR (not HTTP/2, not gRPC, no h2 in ALPN, a malformed answer), TIMEOUT (no
 * answer within the deadline), CONFIG (unreadable ca_file), or a connection or TLS code.
 */
export const grpcProbe: ProbeFn<GrpcCheckConfig> = async (check, ctx) => {
  const clock = ctx.clock ?? systemClock;
  const observedAt = clock.now();
  const t0 = performance.now();
  const phases: Partial<ProbePhases> = {};
  const progress = { stage: 'connecting' };
  const { host, port } = splitHostPort(check.target)!; // the schema accepted it
  const what = check.service === '' ? 'the server' : `service ${JSON.stringify(check.service)}`;
  let tlsCertExpiry: number | undefined;
  let httpStatus: number | undefined;
  let secure: SecureConnection | undefined;
  const result = (status: ProbeStatus, code: string, detail: string): ProbeResult => {
    if (status === 'down')
      secure?.forget(); // the confirming re-probe verifies in full
    else secure?.keep();
    return {
      status,
      code,
      detail,
      phases: { ...phases, total: since(t0) },
      observedAt,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(tlsCertExpiry !== undefined ? { tlsCertExpiry } : {}),
    };
  };

  let trust: SecureContext | undefined;
  try {
    if (check.tls) trust = await loadTrust(check.ca_file);
  } catch (err) {
    return result('down', CODES.CONFIG, `cannot read ca_file: ${errorMessage(err)}`);
  }
  const held: CallOptions['held'] = {};
  let socket: Socket | undefined;
  try {
    if (check.tls) {
      secure = await openSecure(
        {
          kind: 'grpc',
          host,
          port,
          servername: check.servername,
          trust,
          insecure: check.insecure,
          // http/1.1 offered too, so a server without HTTP/2 says what it speaks rather than failing the handshake.
          alpn: ['h2', 'http/1.1'],
          sessions: check.tls_resume ? ctx.tlsSessions : undefined,
          signal: ctx.signal,
          phases,
          clock,
          log: ctx.log,
        },
        check.ca_file,
      );
      socket = secure.socket;
      tlsCertExpiry = secure.cert?.expiry;
      if (secure.socket.alpnProtocol !== 'h2') {
        const alpn = secure.socket.alpnProtocol || 'none';
        return result('down', CODES.GRPC_PROTOCOL_ERROR, `${check.target} did not agree to HTTP/2 in the TLS handshake (ALPN: ${alpn}); gRPC needs h2`);
      }
    } else {
      socket = (await openConnection({ host, port, signal: ctx.signal, phases })).socket;
    }
    const a = await call(socket, {
      authority: check.target,
      tls: check.tls,
      service: check.service,
      // The server is told the time left, and a little more: the agent's own deadline comes first,
      // so a hung server reads TIMEOUT, not a DEADLINE_EXCEEDED that raced it.
      deadlineMs: ctx.timeoutMs - since(t0) + DEADLINE_MARGIN_MS,
      signal: ctx.signal,
      phases,
      progress,
      held,
    });
    if (a.status !== 200) {
      httpStatus = a.status;
      return result('down', CODES.HTTP_STATUS, `HTTP ${a.status} from ${check.target}, expected 200 with a gRPC answer`);
    }
    const type = a.contentType ?? 'none';
    const grpc = /^application\/grpc([+;]|$)/i.test(type);
    // A grpc-status on an answer that is not gRPC is not a gRPC server's verdict (the spec's rule).
    if (a.grpcStatus === undefined || !grpc) {
      const why = grpc ? 'no grpc-status in the answer' : `the answer is not gRPC (content-type: ${type})`;
      return result('down', CODES.GRPC_PROTOCOL_ERROR, `${why} (${check.target})`);
    }
    if (a.grpcStatus !== 0) {
      const message = a.grpcMessage ? `: ${a.grpcMessage.slice(0, 200)}` : '';
      const said = `grpc-status ${statusName(a.grpcStatus)}${message}`;
      if (a.grpcStatus === 5) return result('down', CODES.GRPC_SERVICE_UNKNOWN, `${check.target} does not know ${what} (${said})`);
      if (a.grpcStatus === 14) return result('down', CODES.GRPC_UNAVAILABLE, `${said} from ${check.target}`);
      if (a.grpcStatus === 4) return result('down', CODES.GRPC_DEADLINE_EXCEEDED, `${said} from ${check.target}`);
      return result('down', CODES.GRPC_STATUS, `${said} from ${check.target}`);
    }
    const read = readServingStatus(a.body);
    if ('error' in read) return result('down', CODES.GRPC_PROTOCOL_ERROR, `${read.error} from ${check.target}`);
    const name = SERVING_STATUS[read.status] ?? `status ${read.status}`;
    const detail = `${what} is ${name} (${check.target}, ${Math.round(since(t0))} ms)`;
    if (name === 'SERVING') return result('up', CODES.OK, detail);
    if (name === 'NOT_SERVING') return result('down', CODES.GRPC_NOT_SERVING, detail);
    if (name === 'SERVICE_UNKNOWN') return result('down', CODES.GRPC_SERVICE_UNKNOWN, detail);
    return result('down', CODES.GRPC_UNKNOWN, detail);
  } catch (err) {
    const late = timedOut(ctx.signal);
    let code: string = codeForError(err, late);
    const errCode = (err as { code?: unknown } | undefined)?.code;
    if (code === CODES.ERROR && typeof errCode === 'string' && errCode.startsWith('ERR_HTTP2')) code = CODES.GRPC_PROTOCOL_ERROR;
    if (err instanceof CertificateRefused && err.expiry) tlsCertExpiry = err.expiry.expiry;
    if (progress.stage === 'connecting') progress.stage = connectStage(phases, host, check.tls);
    const why = late
      ? `no answer within the ${ctx.timeoutMs} ms deadline`
      : code === CODES.GRPC_PROTOCOL_ERROR
        ? `${errorMessage(err)}; is it an HTTP/2 gRPC server${check.tls ? '' : ' in plaintext (tls: false)'}?`
        : errorMessage(err);
    ctx.log.debug({ check: check.id, code, err: errorMessage(err) }, 'grpc probe failed');
    return result('down', code, `${why} while ${progress.stage} (${check.target})`);
  } finally {
    held.session?.destroy();
    socket?.destroy();
  }
};
