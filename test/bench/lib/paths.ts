/**
 * Where things are. The benchmark runs compiled (dist/test/bench), so the repository root is found
 * by walking up to raqib's package.json rather than by a fixed relative path.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'raqib') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the raqib repository root above the benchmark');
    dir = up;
  }
}

export const ROOT = findRoot();
/** The built agent, as an operator runs it. */
export const AGENT_MAIN = join(ROOT, 'dist/agent/main.js');
export const TLS_DIR = join(ROOT, 'test/fixtures/tls/');
/** The compiled target-server process. */
export const TARGETS_MAIN = join(ROOT, 'dist/test/bench/serve-targets.js');

/** Every process the benchmark started, so that an interrupted run leaves none behind. */
export const spawned = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  return child;
}
