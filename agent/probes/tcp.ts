/**
 * TCP probe: can a connection be opened, and (optionally) does the service greet us the way it
 * should? A port that accepts but whose daemon is wedged is caught by the banner exchange.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../clock.js';
import type { TcpCheckConfig } from '../config/schema.js';
import { CODES, codeForError } from './codes.js';
import { abortError, connectStage, errorMessage, openConnection, since, timedOut } from './connect.js';
import type { ProbeFn, ProbePhases, ProbeResult, ProbeStatus } from './types.js';

/** Most bytes read while waiting for a banner: enough for any greeting, bounded against floods. */
export const BANNER_CAP = 64 * 1024;

/** Received bytes as one quoted, escaped line of at most `max` characters, for details. */
function printable(buf: Buffer, max = 120): string {
  const text = buf.toString('utf8');
  return `${JSON.stringify(text.slice(0, max))}${text.length > max ? '…' : ''}`;
}

/**
 * Reads until `banner` appears (found) or the peer closes (`closed`) or `BANNER_CAP` is reached
 * (not found). Rejects on socket errors or abort. `received` keeps what was read either way.
 */
function readBanner(socket: Socket, banner: string, signal: AbortSignal, received: Buffer[]): Promise<{ found: boolean; closed: boolean }> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onData = (chunk: Buffer) => {
      const take = chunk.subarray(0, BANNER_CAP - size);
      received.push(take);
      size += take.length;
      if (Buffer.concat(received, size).includes(banner)) {
        cleanup();
        resolve({ found: true, closed: false });
      } else if (size >= BANNER_CAP) {
        cleanup();
        resolve({ found: false, closed: false });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({ found: false, closed: true });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAbort = () => {
      cleanup();
      reject(abortError(signal));
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Probes a TCP port. Resolves (never rejects) with up (OK), down TCP_BANNER_MISMATCH (bytes came,
 * not the banner), down TCP_CLOSED (the connection closed before a single byte came), or the code
 * `codeForError` gives a failure (ECONNREFUSED, DNS_*, TIMEOUT, ECONNRESET, …).
 *
 * A close without a byte is no answer with a wrong banner: a firewall or proxy in front of the
 * agent can accept and close as well as the service can, so reach.ts must not count it as the
 * host answering, and a report must not say the server greeted us wrongly.
 */
export const tcpProbe: ProbeFn<TcpCheckConfig> = async (check, ctx) => {
  const observedAt = (ctx.clock ?? systemClock).now();
  const t0 = performance.now();
  const phases: Partial<ProbePhases> = {};
  const received: Buffer[] = [];
  const target = `${check.host}:${check.port}`;
  const result = (status: ProbeStatus, code: string, detail: string): ProbeResult => ({
    status,
    code,
    detail,
    phases: { ...phases, total: since(t0) },
    observedAt,
  });
  let socket: Socket | undefined;
  try {
    const conn = await openConnection({ host: check.host, port: check.port, signal: ctx.signal, phases });
    socket = conn.socket;
    if (check.send !== undefined) socket.write(check.send);
    const banner = check.expect.banner;
    if (banner === undefined) return result('up', CODES.OK, `connected to ${target} (${conn.address}) in ${Math.round(phases.connect ?? 0)} ms`);
    const { found, closed } = await readBanner(socket, banner, ctx.signal, received);
    const all = Buffer.concat(received);
    if (found) return result('up', CODES.OK, `${target} answered ${printable(all)}`);
    if (closed && all.length === 0) {
      return result(
        'down',
        CODES.TCP_CLOSED,
        `the peer closed the connection without sending anything while waiting for the banner ${JSON.stringify(banner)} (${target})`,
      );
    }
    const before = closed ? 'the peer closed the connection' : `${BANNER_CAP} bytes read`;
    return result('down', CODES.TCP_BANNER_MISMATCH, `expected ${JSON.stringify(banner)} from ${target}, got ${printable(all)} before ${before}`);
  } catch (err) {
    const late = timedOut(ctx.signal);
    const code = codeForError(err, late);
    const stage = socket ? 'waiting for the banner' : connectStage(phases, check.host, false);
    const got = received.length > 0 ? `, got ${printable(Buffer.concat(received))}` : '';
    const why = late ? `no answer within ${ctx.timeoutMs} ms` : errorMessage(err);
    ctx.log.debug({ check: check.id, code, err: errorMessage(err) }, 'tcp probe failed');
    return result('down', code, `${why} while ${stage} (${target})${got}`);
  } finally {
    socket?.destroy();
  }
};
