/**
 * The icmp probe through Debian's real `ping` (iputils-ping; `npm test` installs it): a reply over
 * loopback, and, through a lab network namespace acting as a router (test/helpers/netlab.ts), an
 * address it answers with an ICMP "host unreachable" and one whose packets it drops. The agent's
 * limits are real too, as in a container without NET_RAW (the capability out of the bounding set,
 * a fresh network namespace whose ping_group_range is "1 0"): a ping without its file capability
 * is refused the socket, Debian's ping with it cannot even be run, and the same agent gets its
 * reply once ping_group_range covers its group; with no ping on PATH there is nothing to run.
 * Those run the built probe (dist/, `npm test` builds first) in a child process. Needs root, as
 * the blind-agent tests do.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IcmpCheckConfig } from '../../agent/config/schema.js';
import { icmpProbe, pingArgs } from '../../agent/probes/icmp.js';
import { reachedHost } from '../../agent/probes/reach.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { ROOT } from '../helpers/agent-process.js';
import { icmpCheck, probeContext } from '../helpers/check-config.js';
import { startNetLab, type NetLab } from '../helpers/netlab.js';

const run = promisify(execFile);

/** Runs the built icmp probe on `check` in a child process under `wrap` (argv prefix), with PATH `path`. */
async function probeElsewhere(wrap: string[], check: IcmpCheckConfig, path: string, timeoutMs = 3000): Promise<ProbeResult> {
  const script = [
    `const { icmpProbe } = await import(${JSON.stringify(join(ROOT, 'dist/agent/probes/icmp.js'))});`,
    `const { createLogger } = await import(${JSON.stringify(join(ROOT, 'dist/agent/log.js'))});`,
    `const r = await icmpProbe(JSON.parse(process.argv[1]), { signal: AbortSignal.timeout(${timeoutMs}), log: createLogger({ level: 'silent' }), timeoutMs: ${timeoutMs} });`,
    'process.stdout.write(JSON.stringify(r));',
  ].join('\n');
  const argv = [...wrap, 'env', `PATH=${path}`, process.execPath, '--input-type=module', '-e', script, JSON.stringify(check)];
  const { stdout } = await run(argv[0]!, argv.slice(1));
  return JSON.parse(stdout) as ProbeResult;
}

describe('icmpProbe with the system ping', () => {
  it('is up on an echo reply from 127.0.0.1, the round trip as ttfb', async () => {
    const r = await icmpProbe(icmpCheck({ host: '127.0.0.1' }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.detail).toMatch(/^echo reply from 127\.0\.0\.1 in [\d.]+ ms$/);
    expect(r.phases.ttfb).toBeGreaterThanOrEqual(0);
    expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.ttfb!);
    expect(r.phases.dns).toBeUndefined();
  });

  it('resolves a name itself first (the dns phase), and says one that does not resolve as DNS_NXDOMAIN', async () => {
    const r = await icmpProbe(icmpCheck({ host: 'localhost' }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.phases.dns).toBeGreaterThanOrEqual(0);
    const none = await icmpProbe(icmpCheck({ host: 'nope.invalid' }), probeContext());
    expect(none).toMatchObject({ status: 'down', code: 'DNS_NXDOMAIN' });
  });

  it('bounds ping by the time left: whole seconds of echoes, or one echo under a second', () => {
    expect(pingArgs('192.0.2.1', 9_750)).toEqual(['-n', '-c', '1', '-w', '9', '192.0.2.1']);
    expect(pingArgs('192.0.2.1', 900)).toEqual(['-n', '-c', '1', '-W', '0.9', '192.0.2.1']);
  });

  it('is ICMP_UNAVAILABLE, degraded and no proof of sight, when there is no ping on PATH', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'raqib-nopath-'));
    const saved = process.env.PATH;
    process.env.PATH = empty;
    try {
      const r = await icmpProbe(icmpCheck({ host: '127.0.0.1' }), probeContext());
      expect(r).toMatchObject({ status: 'degraded', code: 'ICMP_UNAVAILABLE' });
      expect(r.detail).toContain('install iputils-ping');
      expect(reachedHost('icmp', r)).toBe(false);
    } finally {
      process.env.PATH = saved;
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('icmpProbe through a router (a lab network namespace)', () => {
  let lab: NetLab;
  const octet = 1 + Math.floor(Math.random() * 120);
  const unreachable = `203.0.113.${octet}`;
  const dropped = `203.0.113.${octet + 128}`;
  const inLab = (...args: string[]) => run('ip', ['netns', 'exec', lab.name, ...args]);
  beforeAll(async () => {
    lab = await startNetLab();
    // The lab routes: it answers for one address that it cannot reach it, and drops the other's packets.
    await inLab('sysctl', '-qw', 'net.ipv4.ip_forward=1');
    await inLab('ip', 'route', 'add', 'unreachable', `${unreachable}/32`);
    await inLab('ip', 'route', 'add', 'blackhole', `${dropped}/32`);
    for (const a of [unreachable, dropped]) await run('ip', ['route', 'add', `${a}/32`, 'via', lab.labAddr]);
  });
  afterAll(async () => {
    for (const a of [unreachable, dropped]) await run('ip', ['route', 'del', `${a}/32`]).catch(() => undefined);
    await lab?.close();
  });

  it("says a router's ICMP host unreachable as ICMP_UNREACHABLE, which proves nothing", async () => {
    const r = await icmpProbe(icmpCheck({ host: unreachable }), probeContext(3000));
    expect(r).toMatchObject({ status: 'down', code: 'ICMP_UNREACHABLE' });
    expect(r.detail).toBe(`an ICMP error from ${lab.labAddr} instead of an echo reply: Destination Host Unreachable (${unreachable})`);
    expect(reachedHost('icmp', r)).toBe(false);
  });

  it('says packets lost on the way as ICMP_NO_REPLY within the timeout, which proves nothing', async () => {
    const r = await icmpProbe(icmpCheck({ host: dropped }), probeContext(1500));
    expect(r).toMatchObject({ status: 'down', code: 'ICMP_NO_REPLY' });
    expect(r.detail).toMatch(new RegExp(`^no echo reply within \\d+ ms \\(${dropped.replace(/\./g, '\\.')}\\)$`));
    expect(reachedHost('icmp', r)).toBe(false);
  });
});

describe('icmpProbe where the agent may not send ICMP', () => {
  // The agent as a container without NET_RAW runs it (--cap-drop NET_RAW): NET_RAW out of the
  // bounding set, in a fresh network namespace, whose ping_group_range is "1 0" (nobody).
  const noNetRaw = ['unshare', '--net', 'setpriv', '--bounding-set=-net_raw'];
  let bin: string;
  let system: string;
  beforeAll(async () => {
    const { stdout } = await run('sh', ['-c', 'command -v ping']);
    system = dirname(stdout.trim());
    // A copy of the real ping without its file capability (cap_net_raw), as where none was granted.
    bin = await mkdtemp(join(tmpdir(), 'raqib-ping-'));
    await copyFile(stdout.trim(), join(bin, 'ping'));
    await chmod(join(bin, 'ping'), 0o755);
  });
  afterAll(async () => {
    await rm(bin, { recursive: true, force: true });
  });

  it('is ICMP_NOT_PERMITTED, degraded, saying what to grant, where ping_group_range leaves its group out', async () => {
    const r = await probeElsewhere(noNetRaw, icmpCheck({ host: '127.0.0.1' }), bin);
    expect(r).toMatchObject({ status: 'degraded', code: 'ICMP_NOT_PERMITTED' });
    expect(r.detail).toContain('this agent may not send ICMP echo requests (ping: socket: Operation not permitted)');
    expect(r.detail).toContain('net.ipv4.ping_group_range covering gid 0) or the NET_RAW capability');
    expect(reachedHost('icmp', r)).toBe(false);
  });

  it("is ICMP_NOT_PERMITTED when the kernel will not run Debian's ping, whose NET_RAW file capability the agent lacks", async () => {
    const r = await probeElsewhere(noNetRaw, icmpCheck({ host: '127.0.0.1' }), system);
    expect(r).toMatchObject({ status: 'degraded', code: 'ICMP_NOT_PERMITTED' });
    expect(r.detail).toContain('ping cannot be run here (spawn EPERM): it carries the NET_RAW file capability');
  });

  it('gets its echo reply once ping_group_range covers its group (what docs/operations.md asks of a container)', async () => {
    const grant = 'ip link set lo up && sysctl -qw net.ipv4.ping_group_range="0 2147483647" && exec "$@"';
    const r = await probeElsewhere(['unshare', '--net', 'sh', '-c', grant, 'sh', 'setpriv', '--bounding-set=-net_raw'], icmpCheck({ host: '127.0.0.1' }), bin);
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
  });
});
