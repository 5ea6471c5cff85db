/**
 * ICMP probe: one echo answered, through the system's `ping` (iputils-ping). Node has no ICMP
 * socket, and a raw socket needs privileges the agent should not hold: `ping` uses an unprivileged
 * ICMP socket where net.ipv4.ping_group_range covers the agent's group, or its file capability
 * (CAP_NET_RAW). Where neither is given, the agent cannot ask, and says so (ICMP_NOT_PERMITTED,
 * degraded: the agent's limit, never an outage); docs/operations.md says what a container needs.
 *
 * The name is resolved here (the dns phase, and the DNS_* codes every probe gives), then `ping`
 * is given the address, with a deadline inside the check's timeout, and killed if the timeout
 * comes first. It sends an echo a second until one is answered, so one lost packet is not an outage.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { systemClock } from '../clock.js';
import { unbracket } from '../config/fields.js';
import type { IcmpCheckConfig } from '../config/schema.js';
import { CODES, codeForError } from './codes.js';
import { abortError, errorMessage, since, timedOut } from './connect.js';
import type { ProbeFn, ProbePhases, ProbeResult, ProbeStatus } from './types.js';

/** Most bytes of ping's output kept: a one-echo run prints a few hundred. */
const OUTPUT_CAP = 16 * 1024;

/** What a finished (or killed) ping left. */
interface PingRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The spawn's own error (ENOENT: no ping on PATH). */
  spawnError?: NodeJS.ErrnoException;
}

/**
 * ping's options for a run that ends within `budgetMs`: `-w` (whole seconds) sends an echo a
 * second until one is answered; under a second, one echo waited for with `-W` (fractions allowed).
 */
export function pingArgs(address: string, budgetMs: number): string[] {
  const wait = budgetMs >= 1000 ? ['-w', String(Math.floor(budgetMs / 1000))] : ['-W', (Math.max(100, budgetMs) / 1000).toFixed(1)];
  return ['-n', '-c', '1', ...wait, address];
}

/** Runs ping to its end, or kills it when `signal` aborts (then resolves with what it printed). */
function runPing(args: string[], signal: AbortSignal): Promise<PingRun> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let spawnError: NodeJS.ErrnoException | undefined;
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn('ping', args, {
        // PATH finds it; C keeps its words the ones parsed below.
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // Some failures to start throw rather than emit 'error' (EPERM: a file capability refused).
      return resolve({ exitCode: null, stdout, stderr, spawnError: err as NodeJS.ErrnoException });
    }
    const kill = () => child.kill('SIGKILL');
    signal.addEventListener('abort', kill, { once: true });
    if (signal.aborted) kill(); // aborted before it started: 'abort' has fired already
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout = (stdout + s).slice(0, OUTPUT_CAP)));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(0, OUTPUT_CAP)));
    child.on('error', (err: NodeJS.ErrnoException) => (spawnError = err));
    child.on('close', (exitCode) => {
      signal.removeEventListener('abort', kill);
      resolve({ exitCode, stdout, stderr, ...(spawnError ? { spawnError } : {}) });
    });
  });
}

/** The lookup of `host`, abandoned when `signal` aborts. */
async function resolveHost(host: string, signal: AbortSignal): Promise<string> {
  if (signal.aborted) throw abortError(signal);
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return (await Promise.race([dns.lookup(host), aborted])).address;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The first line of `text` that matches `re`, trimmed. */
const lineOf = (text: string, re: RegExp) =>
  text
    .split('\n')
    .find((l) => re.test(l))
    ?.trim();

/** What the agent's operator must grant, in one sentence (docs/operations.md, "ICMP checks"). */
function grantHint(): string {
  const gid = process.getgid?.();
  return `grant unprivileged ICMP sockets to the agent's group (sysctl net.ipv4.ping_group_range covering gid ${gid ?? 'of the agent'}) or the NET_RAW capability; see docs/operations.md`;
}

/**
 * Probes a host with ICMP echo. Resolves (never rejects) with up (OK, the round trip in the ttfb
 * phase), degraded ICMP_NOT_PERMITTED / ICMP_UNAVAILABLE (the agent cannot ask: its limit), or
 * down ICMP_NO_REPLY (no echo reply within the timeout), ICMP_UNREACHABLE (an ICMP error came
 * instead, from a router or the agent's own host), ENETUNREACH / EHOSTUNREACH (no local route),
 * DNS_* or TIMEOUT (resolving the name), ABORTED or ERROR.
 */
export const icmpProbe: ProbeFn<IcmpCheckConfig> = async (check, ctx) => {
  const observedAt = (ctx.clock ?? systemClock).now();
  const t0 = performance.now();
  const phases: Partial<ProbePhases> = {};
  const result = (status: ProbeStatus, code: string, detail: string): ProbeResult => ({
    status,
    code,
    detail,
    phases: { ...phases, total: since(t0) },
    observedAt,
  });
  const host = unbracket(check.host);
  let address = host;
  if (isIP(host) === 0) {
    try {
      const t = performance.now();
      address = await resolveHost(host, ctx.signal);
      phases.dns = since(t);
    } catch (err) {
      const late = timedOut(ctx.signal);
      ctx.log.debug({ check: check.id, err: errorMessage(err) }, 'icmp probe failed');
      return result(
        'down',
        codeForError(err, late),
        `${late ? `no answer within ${ctx.timeoutMs} ms` : errorMessage(err)} while resolving the host name (${host})`,
      );
    }
  }
  const target = address === host ? host : `${host} (${address})`;
  // A margin for ping to start and exit before the check's deadline kills it.
  const budget = ctx.timeoutMs - since(t0) - Math.min(250, ctx.timeoutMs / 10);
  const startedAt = performance.now();
  const run = await runPing(pingArgs(address, budget), ctx.signal);
  const { stdout, stderr } = run;
  const said = (stderr.trim().split('\n')[0] ?? '').slice(0, 200);

  if (run.spawnError?.code === 'EPERM') {
    // The kernel refuses to run a program whose file capability (Debian gives ping NET_RAW) the
    // process may not have: a container without NET_RAW, whatever ping_group_range allows.
    const gid = process.getgid?.() ?? 'of the agent';
    return result(
      'degraded',
      CODES.ICMP_NOT_PERMITTED,
      `ping cannot be run here (spawn EPERM): it carries the NET_RAW file capability, which this agent's container does not allow; add NET_RAW, or remove the capability from ping (setcap -r) and grant net.ipv4.ping_group_range covering gid ${gid}; see docs/operations.md`,
    );
  }
  if (run.spawnError) {
    const e = run.spawnError;
    const why = e.code === 'ENOENT' ? `no ping on PATH (${process.env.PATH ?? ''})` : `ping cannot be run: ${errorMessage(e)}`;
    return result('degraded', CODES.ICMP_UNAVAILABLE, `${why}; install iputils-ping (docs/operations.md) to check ${target}`);
  }
  const reply = /bytes from ([^:\s]+).*time[=<]([\d.]+) ms/.exec(stdout);
  if (reply) {
    phases.ttfb = Number(reply[2]);
    return result('up', CODES.OK, `echo reply from ${reply[1]} in ${reply[2]} ms`);
  }
  const refused = lineOf(stderr, /(socket|sendmsg): (Operation not permitted|Permission denied)/);
  if (refused?.includes('socket:') || /cap_net_raw/i.test(stderr)) {
    return result('degraded', CODES.ICMP_NOT_PERMITTED, `this agent may not send ICMP echo requests (${refused ?? said}): ${grantHint()}`);
  }
  if (refused) {
    return result('degraded', CODES.ICMP_NOT_PERMITTED, `the agent's host refuses to send ICMP echo requests to ${target} (${refused}): a local firewall rule`);
  }
  const icmpError = lineOf(stdout, /^From \S+ icmp_seq=/);
  if (icmpError) {
    const [, from, what] = /^From (\S+) icmp_seq=\d+ (.*)$/.exec(icmpError) ?? [];
    return result('down', CODES.ICMP_UNREACHABLE, `an ICMP error from ${from ?? 'a router'} instead of an echo reply: ${what ?? icmpError} (${target})`);
  }
  if (/Network is unreachable/.test(stderr)) return result('down', CODES.ENETUNREACH, `${said} (${target})`);
  if (/No route to host/.test(stderr)) return result('down', CODES.EHOSTUNREACH, `${said} (${target})`);
  if (/invalid (option|argument)|usage:/i.test(stderr)) {
    return result('degraded', CODES.ICMP_UNAVAILABLE, `the ping on PATH does not take iputils-ping's options (${said}); install iputils-ping`);
  }
  if (ctx.signal.aborted && !timedOut(ctx.signal)) return result('down', CODES.ABORTED, `stopped while waiting for an echo reply (${target})`);
  if (run.exitCode === 1 || timedOut(ctx.signal)) {
    return result('down', CODES.ICMP_NO_REPLY, `no echo reply within ${Math.round(since(startedAt))} ms (${target})`);
  }
  return result('down', CODES.ERROR, `ping exited with ${run.exitCode ?? 'a signal'}: ${said || stdout.trim().split('\n').pop() || 'no output'} (${target})`);
};
