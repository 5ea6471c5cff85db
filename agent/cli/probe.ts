/**
 * `raqib probe`: run checks now and print what each saw. For trying a config before deploying it,
 * and for "is it us or them?" at 3 a.m. Touches no state and files nothing.
 *
 * What it prints is the running agent's verdict, not a fresh process's. A first probe in a new
 * process pays for the process (trust store, resolver, first TLS client: a loopback HTTPS check
 * the agent probes in 2.5–4.5 ms read 34–56 ms, DEGRADED SLOW, here) and for first contact, which
 * the agent pays once: its later HTTPS probes resume the TLS session of the one before
 * (tls-sessions.ts), a round trip less on TLS 1.2. So the process is warmed first without
 * touching any target (probe-warm-up.ts), then each check is probed twice through the agent's own
 * probe runner, one TLS session cache shared as in the agent: the row is the second probe, and
 * the first shows as FIRST. A check whose first probe timed out is not made to wait again.
 */
import { loadConfigFile } from '../config/load.js';
import type { CheckSpec } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { CODES } from '../probes/codes.js';
import { createProbeRunner, type ProbeRunner } from '../probes/registry.js';
import { TLS_SESSION_MAX_AGE_MS } from '../probes/tls-sessions.js';
import type { ProbeResult } from '../probes/types.js';
import { parseArgs } from 'node:util';
import { configPath, table, usage, type Io } from './common.js';
import { warmUp } from './probe-warm-up.js';

const PARALLEL = 16;

/** Runs `each` over `specs`, `parallel` at a time, keeping their order. */
async function eachOf<T>(specs: CheckSpec[], parallel: number, each: (spec: CheckSpec, i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(specs.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < specs.length; i = next++) out[i] = await each(specs[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, specs.length) }, worker));
  return out;
}

function probeOnce(probe: ProbeRunner, spec: CheckSpec, log: Logger): Promise<ProbeResult> {
  return probe(spec.config, { signal: AbortSignal.timeout(spec.timeoutMs), log, timeoutMs: spec.timeoutMs });
}

/** A probe that waited out its whole timeout: another would only wait as long again. */
const WAITED_OUT = new Set<string>([CODES.TIMEOUT, CODES.DNS_TIMEOUT, CODES.ICMP_NO_REPLY, CODES.WS_NO_MESSAGE]);
const timedOut = (r: ProbeResult) => WAITED_OUT.has(r.code);

export async function probeCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = usage('probe', () =>
    parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true, strict: true }),
  );
  const loaded = await loadConfigFile(configPath(values.config, io.env), { env: io.env });
  const selected = select(loaded.checks, positionals);
  const log = createLogger({ level: 'silent' });
  const startUpMs = await warmUp(
    selected.map((s) => s.config),
    log,
  );
  const probe = createProbeRunner();
  const first = await eachOf(selected, PARALLEL, (spec) => probeOnce(probe, spec, log));
  // One at a time, as the agent's checks mostly run (spread over their interval): parallel
  // handshakes would queue for the CPU and read slower than the agent's.
  const second = await eachOf(selected, 1, (spec, i) => (timedOut(first[i]!) ? Promise.resolve(undefined) : probeOnce(probe, spec, log)));
  io.out(table(resultRows(selected, first, second)));
  io.out(notes(startUpMs, second.includes(undefined)));
  return selected.every((_, i) => (second[i] ?? first[i]!).status === 'up') ? 0 : 1;
}

function select(checks: CheckSpec[], filters: string[]): CheckSpec[] {
  if (filters.length === 0) return checks;
  const unknown = filters.filter((f) => !checks.some((c) => c.key === f || c.serviceId === f));
  if (unknown.length > 0) {
    throw new UsageError(`probe: no check or service named ${unknown.join(', ')}; known: ${checks.map((c) => c.key).join(', ')}`);
  }
  return checks.filter((c) => filters.some((f) => c.key === f || c.serviceId === f));
}

const ms = (r: ProbeResult) => `${Math.round(r.phases.total)}ms`;

/** The row is the second probe; FIRST is the first's latency, with its code when that differs. */
function resultRows(specs: CheckSpec[], first: ProbeResult[], second: (ProbeResult | undefined)[]): string[][] {
  const rows = [['SERVICE', 'CHECK', 'TYPE', 'STATUS', 'CODE', 'LATENCY', 'FIRST', 'DETAIL']];
  specs.forEach((s, i) => {
    const f = first[i]!;
    const r = second[i] ?? f;
    const firstCell = second[i] === undefined ? '-' : f.code === r.code ? ms(f) : `${ms(f)} ${f.code}`;
    rows.push([s.serviceId, s.checkId, s.type, r.status.toUpperCase(), r.code, ms(r), firstCell, r.detail]);
  });
  return rows;
}

function notes(startUpMs: number, anyTimedOut: boolean): string {
  const minutes = TLS_SESSION_MAX_AGE_MS / 60_000;
  return [
    '',
    'Each check was probed twice. STATUS to DETAIL are the second probe: what the running agent sees (it resumes TLS sessions too).',
    `FIRST is the first probe: first contact, with a full TLS handshake for HTTPS (the agent makes one per endpoint every ${minutes} minutes and after a failure), and what start-up the warm-up left.`,
    ...(anyTimedOut ? ['FIRST - : the first probe timed out and was not repeated; the row is that probe.'] : []),
    `Process start-up, in neither: ${Math.round(startUpMs)} ms before the first probe (trust stores, resolver, HTTP client; warmed over loopback, no target contacted).`,
    '',
  ].join('\n');
}
