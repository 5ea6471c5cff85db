/**
 * One agent per data_dir: two agents on the same state would file the same incident twice.
 * The lock file holds the owner's pid and host, and the owner touches it every few seconds.
 * A lock is stale, and taken over, when its process is gone (same host) or it has not been
 * touched for STALE_AFTER_MS (another host, e.g. a container recreated after a crash).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import type { StoreFs } from './durable-file.js';

export const HEARTBEAT_MS = 5_000;
export const STALE_AFTER_MS = 30_000;

export interface DataDirLock {
  file: string;
  release(): Promise<void>;
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return false; // a restarted container reuses pid 1: that old lock is ours
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireLock(fs: StoreFs, dataDir: string): Promise<DataDirLock> {
  const file = join(dataDir, 'raqib.lock');
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await fs.open(file, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(info));
        await handle.sync();
      } finally {
        await handle.close();
      }
      const heartbeat = setInterval(() => {
        const now = new Date();
        fs.utimes(file, now, now).catch(() => undefined);
      }, HEARTBEAT_MS);
      heartbeat.unref();
      return {
        file,
        release: async () => {
          clearInterval(heartbeat);
          await fs.unlink(file).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreError('RAQIB_STORE_IO', `cannot create lock file ${file}: ${(err as Error).message}`, err);
      }
    }
    let owner: Partial<LockInfo> = {};
    try {
      owner = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<LockInfo>;
    } catch {
      // unreadable or half-written lock: its writer died before finishing, so it is stale
    }
    const touched = await fs.stat(file).then((s) => s.mtimeMs, () => 0);
    const held =
      typeof owner.pid === 'number' &&
      (owner.host === hostname() ? alive(owner.pid) : Date.now() - touched < STALE_AFTER_MS);
    if (held) {
      throw new StoreError(
        'RAQIB_STORE_LOCKED',
        `data_dir ${dataDir} is in use by another raqib (pid ${owner.pid} on ${owner.host}, since ${owner.since ?? 'unknown'}). ` +
          `Only one agent may use a data_dir: stop the other one, or give this agent its own agent.data_dir.`,
      );
    }
    await fs.unlink(file).catch(() => undefined);
  }
  throw new StoreError('RAQIB_STORE_LOCKED', `could not take the lock ${file}; another agent is starting at the same time`);
}
