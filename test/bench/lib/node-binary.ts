/**
 * Which node runs the agent. By default the one running the benchmark; `--node container` (or
 * `--node 22`) measures the agent on the Node major the container image ships (the Dockerfile's
 * `FROM node:NN`), whose OpenSSL differs from Node 20's (3.5 against 3.0: TLS handshakes cost
 * less). The binary comes from the npm registry's official `node-linux-<arch>` package, so it
 * needs nothing but npm, and is cached under node_modules/.cache/raqib-bench/. The test suite runs
 * on it too (test/bench/container-node.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/** The registry's newest `major`.x (or, when npm cannot reach it, the newest cached), fetched with `npm pack` once. */
function fetchMajor(major: string, log: (line: string) => void): string {
  const pkg = `node-${process.platform}-${process.arch}`;
  mkdirSync(CACHE, { recursive: true });
  let newest: string | undefined;
  try {
    const versions = ([] as string[]).concat(
      JSON.parse(execFileSync('npm', ['view', `${pkg}@${major}`, 'version', '--json'], { encoding: 'utf8' })) as string | string[],
    );
    newest = versions.at(-1);
  } catch (err) {
    const cached = readdirSync(CACHE)
      .filter((d) => d.startsWith(`${pkg}-${major}.`) && existsSync(join(CACHE, d, 'package/bin/node')))
      .map((d) => d.slice(pkg.length + 1))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    newest = cached.at(-1);
    if (!newest)
      throw new Error(`--node ${major}: cannot ask the npm registry for ${pkg}@${major} (${String(err)}), and none is cached in ${CACHE}`, { cause: err });
    log(`npm registry unreachable: using the cached Node ${newest}`);
  }
  if (!newest) throw new Error(`--node ${major}: the npm registry has no ${pkg}@${major}`);
  const dir = join(CACHE, `${pkg}-${newest}`);
  const bin = join(dir, 'package/bin/node');
  if (existsSync(bin)) return bin;
  log(`fetching Node ${newest} from the npm registry (${pkg}@${newest})`);
  execFileSync('npm', ['pack', `${pkg}@${newest}`, '--pack-destination', CACHE, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = join(CACHE, `${pkg}-${newest}.tgz`);
  if (!existsSync(tgz)) throw new Error(`--node ${major}: npm pack wrote no ${tgz}`);
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['xzf', tgz, '-C', dir]);
  rmSync(tgz); // the extracted directory is the cache; the 30 MB archive is not needed again
  if (!existsSync(bin)) throw new Error(`--node ${major}: ${tgz} held no package/bin/node`);
  return bin;
}

/** The Node major of the container image: the first `FROM node:NN` of the Dockerfile. */
export function containerMajor(): string {
  const dockerfile = join(ROOT, 'Dockerfile');
  const major = /^FROM\s+node:(\d+)/m.exec(readFileSync(dockerfile, 'utf8'))?.[1];
  if (!major) throw new Error(`${dockerfile}: no "FROM node:NN" line to take the container's Node version from`);
  return major;
}

/**
 * `spec`: undefined (this node), `container` (the Dockerfile's major), a major version such as
 * 22, or a path to a node binary.
 */
export function agentNode(spec: string | undefined, log: (line: string) => void): AgentNode {
  if (spec === undefined) return { bin: process.execPath, version: process.version, openssl: process.versions.openssl ?? '?' };
  const major = spec === 'container' ? containerMajor() : spec;
  if (/^\d+$/.test(major)) return describe(fetchMajor(major, log));
  if (!existsSync(spec)) throw new Error(`--node: ${spec} is neither container, a major version (e.g. 22) nor an existing node binary`);
  return describe(spec);
}
