/**
 * A network of the test's own: a network namespace joined to this one by a veth pair, with its own
 * resolv.conf (ip netns exec mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf). An agent
 * run inside it (`wrap`) reaches the test's servers and resolver on `hostAddr` as it would a real
 * network, and `cut()` takes the link down under it, as a failed uplink does. Addresses come from
 * TEST-NET-2 (198.51.100.0/24, RFC 5737): one /30 per lab, so test files in parallel do not meet.
 * Needs root (CI and this machine run as root), iproute2 and the kernel's veth.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NetLab {
  /** The namespace's name, for `ip netns exec`. */
  name: string;
  /** This side of the link: where the test's servers and resolver listen. */
  hostAddr: string;
  /** The lab's side of the link: the agent's address. */
  labAddr: string;
  /** argv prefix that runs a command inside the lab. */
  wrap: string[];
  /**
   * Cut the lab off. By default the link goes down: the lab loses every route but loopback, and
   * sends fail at once. `silent`: the link stays up but frames go to a MAC address nobody has, as
   * past a dead uplink: every packet is lost and every probe waits for its timeout.
   */
  cut(how?: 'link' | 'silent'): Promise<void>;
  /** Undo the cut: the link (and the lab's default route) back, frames to the right neighbour. */
  restore(): Promise<void>;
  /** Fetch a URL from inside the lab (the agent listens there): status and body. */
  get(url: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

const ip = (...args: string[]) => run('ip', args);

export async function startNetLab(): Promise<NetLab> {
  const tag = randomBytes(3).toString('hex');
  const name = `raqib-${tag}`;
  const hostIf = `rq${tag}h`;
  const labIf = `rq${tag}l`;
  const slot = randomBytes(1)[0]! % 64;
  const hostAddr = `198.51.100.${slot * 4 + 1}`;
  const labAddr = `198.51.100.${slot * 4 + 2}`;
  const etc = `/etc/netns/${name}`;
  await ip('netns', 'add', name);
  const inLab = (...args: string[]) => ip('netns', 'exec', name, 'ip', ...args);
  try {
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', labIf);
    await ip('link', 'set', labIf, 'netns', name);
    await ip('addr', 'add', `${hostAddr}/30`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await inLab('addr', 'add', `${labAddr}/30`, 'dev', labIf);
    await inLab('link', 'set', 'lo', 'up');
    await inLab('link', 'set', labIf, 'up');
    await inLab('route', 'add', 'default', 'via', hostAddr);
    await mkdir(etc, { recursive: true });
    await writeFile(`${etc}/resolv.conf`, `nameserver ${hostAddr}\noptions timeout:1 attempts:1\n`);
  } catch (err) {
    await ip('link', 'del', hostIf).catch(() => undefined);
    await ip('netns', 'del', name).catch(() => undefined);
    throw err;
  }
  const wrap = ['ip', 'netns', 'exec', name];
  return {
    name,
    hostAddr,
    labAddr,
    wrap,
    cut: async (how = 'link') => {
      if (how === 'link') await ip('link', 'set', hostIf, 'down');
      else await inLab('neigh', 'replace', hostAddr, 'lladdr', '02:00:00:00:00:01', 'dev', labIf, 'nud', 'permanent');
    },
    restore: async () => {
      await ip('link', 'set', hostIf, 'up');
      await inLab('route', 'replace', 'default', 'via', hostAddr);
      await inLab('neigh', 'del', hostAddr, 'dev', labIf).catch(() => undefined); // there after a silent cut only
    },
    get: async (url) => {
      const script = 'fetch(process.argv[1]).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })))';
      const { stdout } = await run(wrap[0]!, [...wrap.slice(1), process.execPath, '-e', script, url], { maxBuffer: 64 * 1024 * 1024 });
      return JSON.parse(stdout) as { status: number; body: string };
    },
    close: async () => {
      await ip('link', 'del', hostIf).catch(() => undefined);
      await ip('netns', 'del', name).catch(() => undefined);
      await rm(etc, { recursive: true, force: true });
    },
  };
}
