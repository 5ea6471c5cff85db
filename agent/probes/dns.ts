/**
 * DNS probe: asks one resolver (the configured `server`, or the system's) for one record type and
 * compares the response code and answers with what the check expects. Uses `node:dns` (c-ares)
 * directly — no extra dependency — with one try and the check's timeout, so that a silent server
 * shows up as DNS_TIMEOUT at the check's deadline rather than after c-ares' own retries.
 */
import * as dns from 'node:dns';
import { Resolver, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../clock.js';
import { splitHostPort } from '../config/fields.js';
import type { DnsCheckConfig } from '../config/schema.js';
import { CODES, codeForError, type ResultCode } from './codes.js';
import { since } from './connect.js';
import type { ProbeContext, ProbeFn, ProbeResult } from './types.js';

type Rcode = DnsCheckConfig['expect']['rcode'];
type RecordType = DnsCheckConfig['record'];

/** What the resolver told us: a response code with answers, or a failure that has its own code. */
type Outcome = { rcode: Rcode; answers: string[] } | { code: ResultCode; error: string };

/** Error codes of the `node:dns` module (ENODATA, EFORMERR, …): a failed query, not a bug. */
const DNS_ERROR_CODES = new Set<string>(Object.values(dns as Record<string, unknown>).filter((v): v is string => typeof v === 'string' && /^E[A-Z]+$/.test(v)));

const RCODE_OF: Record<string, Rcode> = { ENOTFOUND: 'NXDOMAIN', ESERVFAIL: 'SERVFAIL', EREFUSED: 'REFUSED' };
const MISMATCH_CODE: Record<Rcode, ResultCode> = {
  NOERROR: CODES.DNS_RCODE,
  NXDOMAIN: CODES.DNS_NXDOMAIN,
  SERVFAIL: CODES.DNS_SERVFAIL,
  REFUSED: CODES.DNS_REFUSED,
};

/** Answers as text: addresses and names as is, MX as "priority exchange", TXT chunks joined. */
async function query(resolver: Resolver, record: RecordType, name: string): Promise<string[]> {
  switch (record) {
    case 'A':
      return resolver.resolve4(name);
    case 'AAAA':
      return resolver.resolve6(name);
    case 'CNAME':
      return resolver.resolveCname(name);
    case 'NS':
      return resolver.resolveNs(name);
    case 'MX':
      return (await resolver.resolveMx(name)).map((m) => `${m.priority} ${m.exchange}`);
    case 'TXT':
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
  }
}

/** Runs `work` until it settles or `signal` aborts, whichever comes first; `onAbort` cleans up. */
async function raceAbort<T>(signal: AbortSignal, work: () => Promise<T>, onAbort: () => void): Promise<T> {
  signal.throwIfAborted();
  let listener: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    listener = () => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener('abort', listener, { once: true });
  });
  try {
    return await Promise.race([work(), aborted]);
  } finally {
    signal.removeEventListener('abort', listener!);
  }
}

const isTimeout = (signal: AbortSignal): boolean => signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';

/** `host:port` for `setServers`, resolving a host name first (c-ares only takes IP addresses). */
async function resolverAddress(server: string, ctx: ProbeContext): Promise<string | Outcome> {
  const hp = splitHostPort(server, 53);
  if (!hp) return { code: CODES.CONFIG, error: `invalid server ${JSON.stringify(server)}` };
  let host = hp.host;
  if (isIP(host) === 0) {
    try {
      host = (
        await raceAbort(
          ctx.signal,
          () => lookup(host),
          () => {},
        )
      ).address;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return { code: CODES.DNS_ERROR, error: `cannot resolve server ${host}: ${(err as Error).message}` };
    }
  }
  return isIP(host) === 6 ? `[${host}]:${hp.port}` : `${host}:${hp.port}`;
}

async function observe(check: DnsCheckConfig, ctx: ProbeContext): Promise<Outcome> {
  try {
    const resolver = new Resolver({ timeout: Math.min(Math.max(1, Math.round(ctx.timeoutMs)), 2 ** 31 - 1), tries: 1 });
    if (check.server) {
      const addr = await resolverAddress(check.server, ctx);
      if (typeof addr !== 'string') return addr;
      resolver.setServers([addr]);
    }
    const answers = await raceAbort(
      ctx.signal,
      () => query(resolver, check.record, check.name),
      () => resolver.cancel(),
    );
    return { rcode: 'NOERROR', answers };
  } catch (err) {
    const e = err as { code?: unknown; message?: string };
    const code = typeof e?.code === 'string' ? e.code : '';
    const timedOut = isTimeout(ctx.signal);
    if (timedOut || code === 'ETIMEOUT') return { code: CODES.DNS_TIMEOUT, error: `no answer within ${ctx.timeoutMs} ms` };
    if (ctx.signal.aborted) return { code: CODES.ABORTED, error: 'aborted' };
    if (code === 'ENODATA') return { rcode: 'NOERROR', answers: [] };
    const rcode = RCODE_OF[code];
    if (rcode) return { rcode, answers: [] };
    if (code === 'ECONNREFUSED') return { code: CODES.ECONNREFUSED, error: 'connection refused by the server' };
    if (DNS_ERROR_CODES.has(code)) return { code: CODES.DNS_ERROR, error: code };
    ctx.log.debug({ err, check: check.id }, 'dns probe: unexpected error');
    return { code: codeForError(err, false), error: e?.message ?? String(err) };
  }
}

/** Up to five answers, one line. */
function list(answers: string[]): string {
  const shown = answers.slice(0, 5).map((a) => a.replace(/[\r\n\t]+/g, ' '));
  return shown.join(', ') + (answers.length > 5 ? `, … (+${answers.length - 5} more)` : '');
}

/**
 * The DNS probe. Resolves (never rejects) with `up` when the response code is the expected one
 * and, with NOERROR expected, there is an answer and one contains `expect.answer_contains`
 * (case-insensitively, except for TXT). Codes: OK, DNS_NXDOMAIN, DNS_SERVFAIL, DNS_REFUSED,
 * DNS_RCODE, DNS_NODATA, DNS_ANSWER_MISMATCH, DNS_TIMEOUT, DNS_ERROR, ECONNREFUSED, ABORTED,
 * CONFIG, or codeForError's mapping for anything unexpected.
 */
export const dnsProbe: ProbeFn<DnsCheckConfig> = async (check, ctx) => {
  const observedAt = (ctx.clock ?? systemClock).now();
  const start = performance.now();
  const what = `${check.record} ${check.name}`;
  let outcome: Outcome;
  try {
    outcome = await observe(check, ctx);
  } catch (err) {
    outcome = { code: codeForError(err, false), error: String(err) };
  }
  const elapsed = since(start);
  const result = (status: ProbeResult['status'], code: string, detail: string): ProbeResult => ({
    status,
    code,
    detail: detail.replace(/[\r\n]+/g, ' '),
    phases: { dns: elapsed, total: elapsed },
    observedAt,
  });

  if ('code' in outcome) return result('down', outcome.code, `${what}: ${outcome.error}`);
  const { rcode, answers } = outcome;
  const expected = check.expect.rcode;
  if (rcode !== expected) {
    const code = expected === 'NOERROR' ? MISMATCH_CODE[rcode] : CODES.DNS_RCODE;
    const seen = answers.length > 0 ? ` → ${list(answers)}` : '';
    return result('down', code, `${what}${seen}: got ${rcode}, expected ${expected}`);
  }
  if (expected !== 'NOERROR') return result('up', CODES.OK, `${what} → ${rcode} (expected)`);
  if (answers.length === 0) return result('down', CODES.DNS_NODATA, `${what} → no answers (NOERROR), expected at least one`);
  const needle = check.expect.answer_contains;
  if (needle !== undefined) {
    const fold = check.record === 'TXT' ? (s: string) => s : (s: string) => s.toLowerCase();
    if (!answers.some((a) => fold(a).includes(fold(needle)))) {
      return result('down', CODES.DNS_ANSWER_MISMATCH, `${what} → ${list(answers)}: no answer contains ${JSON.stringify(needle)}`);
    }
  }
  return result('up', CODES.OK, `${what} → ${list(answers)} (NOERROR)`);
};
