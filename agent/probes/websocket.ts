/**
 * WebSocket probe: the opening handshake (RFC 6455) over a fresh connection, then optionally a text
 * message sent and the first message received judged, then a close frame.
 *
 * The handshake is node:http's client on the socket openConnection timed (as the HTTP probe
 * does), so DNS, connect and TLS phases, the trust of `ca_file`, refused certificates and resumed
 * sessions (secure-connect.ts) are the agent's own; frames are read and written by hand
 * (websocket-frames.ts), at most WS_MESSAGE_CAP bytes of a message kept.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SecureContext } from 'node:tls';
import { systemClock } from '../clock.js';
import type { WebsocketCheckConfig } from '../config/schema.js';
import { CertificateRefused } from './cert-verdict.js';
import { CODES, codeForError } from './codes.js';
import { abortError, connectStage, errorMessage, loadTrust, openConnection, since, timedOut } from './connect.js';
import { MAX_HEADER_SIZE, USER_AGENT } from './http.js';
import { openSecure, type SecureConnection } from './secure-connect.js';
import type { ProbeFn, ProbePhases, ProbeResult, ProbeStatus } from './types.js';
import { acceptFor, clientFrame, closeFrame, FrameReader, type FrameEvent, OPCODE } from './websocket-frames.js';

/** Most bytes of the first message read: enough for any greeting or status message, bounded against floods. */
export const WS_MESSAGE_CAP = 64 * 1024;

/** Headers the handshake sets itself; a configured one of these names is left out. */
const OWN_HEADERS = new Set(['host', 'connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']);

/** Received text as one quoted, escaped line of at most `max` characters, for details. */
function printable(text: string, max = 120): string {
  return `${JSON.stringify(text.slice(0, max))}${text.length > max ? '…' : ''}`;
}

/** A URL as results show it: no query (tokens travel there), no credentials. */
const shown = (url: URL) => `${url.protocol}//${url.host}${url.pathname}`;

type Handshake = { upgraded: true; res: IncomingMessage; head: Buffer } | { upgraded: false; status: number };

/** Sends the opening handshake on `socket` and waits for its answer; rejects on errors or abort. */
function handshake(socket: Socket, url: URL, headers: Record<string, string>, signal: AbortSignal, phases: Partial<ProbePhases>): Promise<Handshake> {
  return new Promise<Handshake>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => settle(() => reject(abortError(signal)));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    let sentAt = performance.now();
    socket.once('data', () => (phases.ttfb = since(sentAt)));
    const request = httpRequest({
      method: 'GET',
      path: url.pathname + url.search,
      headers,
      setHost: false,
      createConnection: () => socket,
      maxHeaderSize: MAX_HEADER_SIZE,
    });
    request.on('error', (err) => settle(() => reject(err)));
    request.on('upgrade', (res: IncomingMessage, _sock: Socket, head: Buffer) => settle(() => resolve({ upgraded: true, res, head })));
    request.on('response', (res: IncomingMessage) => {
      res.resume();
      settle(() => resolve({ upgraded: false, status: res.statusCode ?? 0 }));
    });
    sentAt = performance.now();
    request.end();
  });
}

/** Why a 101 answer is not a WebSocket handshake, or undefined when it is one. */
function invalidHandshake(res: IncomingMessage, key: string, offered: string | undefined): string | undefined {
  const h = res.headers;
  if (h.upgrade?.toLowerCase() !== 'websocket') return `101 without Upgrade: websocket (got ${JSON.stringify(h.upgrade ?? '')})`;
  if (
    !(h.connection ?? '')
      .toLowerCase()
      .split(/\s*,\s*/)
      .includes('upgrade')
  )
    return '101 without Connection: Upgrade';
  const accept = h['sec-websocket-accept'];
  if (accept !== acceptFor(key))
    return `Sec-WebSocket-Accept ${JSON.stringify(accept ?? '')} does not answer the key sent (expected ${JSON.stringify(acceptFor(key))})`;
  if (h['sec-websocket-extensions']) return `the server chose extensions that were not offered (${h['sec-websocket-extensions']})`;
  // RFC 6455 4.1: a subprotocol the client did not offer fails the connection.
  const chosen = h['sec-websocket-protocol'];
  const offers = (offered ?? '').split(',').map((p) => p.trim().toLowerCase());
  if (chosen !== undefined && !offers.includes(chosen.trim().toLowerCase()))
    return `the server chose a subprotocol that was not offered (${JSON.stringify(chosen)})`;
  return undefined;
}

/** Waits for the first message (answering pings), a close, a protocol error or the peer hanging up. */
function firstMessage(socket: Socket, head: Buffer, signal: AbortSignal): Promise<Exclude<FrameEvent, { kind: 'ping' }> | { kind: 'ended' }> {
  const reader = new FrameReader(WS_MESSAGE_CAP);
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onData = (chunk: Buffer) => {
      for (const event of reader.push(chunk)) {
        if (event.kind === 'ping') {
          socket.write(clientFrame(OPCODE.pong, event.data));
          continue;
        }
        cleanup();
        return resolve(event);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: 'ended' });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAbort = () => {
      cleanup();
      reject(abortError(signal));
    };
    if (signal.aborted) return onAbort();
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    if (head.length > 0) onData(head);
  });
}

/**
 * Probes a WebSocket endpoint. Resolves (never rejects) with up (OK), degraded WS_MESSAGE_TOO_LARGE
 * (the first message is longer than WS_MESSAGE_CAP and its start does not match: an agent limit),
 * or down and a code: HTTP_STATUS (an HTTP answer other than 101), WS_HANDSHAKE_INVALID,
 * WS_MESSAGE_MISMATCH, WS_NO_MESSAGE (none within the timeout), WS_CLOSED, WS_PROTOCOL_ERROR,
 * CONFIG (unreadable ca_file), or what `codeForError` makes of a transport failure (TIMEOUT,
 * ECONNREFUSED, DNS_*, TLS_*, HTTP_PROTOCOL_ERROR, …). Every result after a 101 carries
 * `httpStatus: 101`: the host answered.
 */
export const websocketProbe: ProbeFn<WebsocketCheckConfig> = async (check, ctx) => {
  const clock = ctx.clock ?? systemClock;
  const observedAt = clock.now();
  const t0 = performance.now();
  const phases: Partial<ProbePhases> = {};
  const url = new URL(check.url);
  const wss = url.protocol === 'wss:';
  const port = Number(url.port) || (wss ? 443 : 80);
  const progress = { stage: 'connecting' };
  let httpStatus: number | undefined;
  let tlsCertExpiry: number | undefined;
  let secure: SecureConnection | undefined;
  const result = (status: ProbeStatus, code: string, detail: string): ProbeResult => {
    if (status === 'down') secure?.forget();
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
    if (wss) trust = await loadTrust(check.ca_file);
  } catch (err) {
    return result('down', CODES.CONFIG, `cannot read ca_file: ${errorMessage(err)}`);
  }
  let socket: Socket | undefined;
  let upgraded = false;
  try {
    if (wss) {
      secure = await openSecure(
        {
          kind: 'websocket',
          host: url.hostname,
          port,
          servername: undefined,
          trust,
          insecure: check.insecure,
          alpn: ['http/1.1'],
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
    } else {
      socket = (await openConnection({ host: url.hostname, port, signal: ctx.signal, phases })).socket;
    }
    const key = randomBytes(16).toString('base64');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(check.headers)) if (!OWN_HEADERS.has(name.toLowerCase())) headers[name] = value;
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'user-agent')) headers['user-agent'] = USER_AGENT;
    Object.assign(headers, { host: url.host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13' });
    progress.stage = 'waiting for the handshake';
    const hs = await handshake(socket, url, headers, ctx.signal, phases);
    if (!hs.upgraded) {
      httpStatus = hs.status;
      // Node hands a 101 without Upgrade: websocket over as a plain answer: a handshake gone wrong.
      if (hs.status === 101) return result('down', CODES.WS_HANDSHAKE_INVALID, `101 without Upgrade: websocket (${shown(url)})`);
      return result('down', CODES.HTTP_STATUS, `got ${hs.status}, expected 101 Switching Protocols (${shown(url)})`);
    }
    httpStatus = 101;
    upgraded = true;
    const offered = Object.entries(headers).find(([name]) => name.toLowerCase() === 'sec-websocket-protocol')?.[1];
    const invalid = invalidHandshake(hs.res, key, offered);
    if (invalid) return result('down', CODES.WS_HANDSHAKE_INVALID, `${invalid} (${shown(url)})`);
    const headAt = performance.now();
    if (check.send !== undefined) socket.write(clientFrame(OPCODE.text, Buffer.from(check.send, 'utf8')));
    const { message_contains: contains, message_matches: matches } = check.expect;
    const sent = check.send !== undefined ? `, sent ${Buffer.byteLength(check.send)} bytes` : '';
    if (contains === undefined && matches === undefined) {
      return result('up', CODES.OK, `handshake with ${shown(url)} in ${Math.round(since(t0))} ms${sent}`);
    }
    progress.stage = 'waiting for a message';
    const event = await firstMessage(socket, hs.head, ctx.signal);
    phases.transfer = since(headAt);
    if (event.kind === 'ended') return result('down', CODES.WS_CLOSED, `the server hung up before sending a message (${shown(url)})`);
    if (event.kind === 'close') {
      const why = event.code === undefined ? '' : ` (${event.code}${event.reason ? ` ${printable(event.reason, 80)}` : ''})`;
      return result('down', CODES.WS_CLOSED, `the server closed the WebSocket${why} before sending a message (${shown(url)})`);
    }
    if (event.kind === 'error') return result('down', CODES.WS_PROTOCOL_ERROR, `${event.why} (${shown(url)})`);
    const text = event.data.toString('utf8');
    const kind = event.binary ? 'binary message' : 'message';
    const miss =
      contains !== undefined && !text.includes(contains)
        ? `does not contain ${JSON.stringify(contains)}`
        : matches !== undefined && !new RegExp(matches).test(text)
          ? `does not match /${matches}/`
          : undefined;
    if (miss === undefined) return result('up', CODES.OK, `${kind} ${printable(text)} from ${shown(url)} in ${Math.round(since(t0))} ms${sent}`);
    if (event.truncated) {
      return result(
        'degraded',
        CODES.WS_MESSAGE_TOO_LARGE,
        `the first ${WS_MESSAGE_CAP} bytes of a longer ${kind} ${miss}, ${printable(text)} (${shown(url)})`,
      );
    }
    return result('down', CODES.WS_MESSAGE_MISMATCH, `the first ${kind} ${miss}, got ${printable(text)} (${shown(url)})`);
  } catch (err) {
    const late = timedOut(ctx.signal);
    if (upgraded && late) return result('down', CODES.WS_NO_MESSAGE, `no message within ${ctx.timeoutMs} ms after the handshake (${shown(url)})`);
    const code = codeForError(err, late);
    if (err instanceof CertificateRefused && err.expiry) tlsCertExpiry = err.expiry.expiry;
    if (progress.stage === 'connecting') progress.stage = connectStage(phases, url.hostname, wss);
    const why = late ? `no answer within ${ctx.timeoutMs} ms` : errorMessage(err);
    ctx.log.debug({ check: check.id, code, err: errorMessage(err) }, 'websocket probe failed');
    return result('down', code, `${why} while ${progress.stage} (${shown(url)})`);
  } finally {
    if (socket && upgraded && !ctx.signal.aborted && !socket.destroyed) {
      // Closed as a client should: a close frame, then the server closes the TCP connection. One
      // that does not is cut when the socket has been idle a second.
      socket.setTimeout(1000, () => socket!.destroy());
      socket.on('error', () => undefined);
      socket.end(closeFrame());
    } else socket?.destroy();
  }
};
