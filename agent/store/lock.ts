/**
 * One agent per data_dir: two agents on the same state would file the same incident twice.
 *
 * The lock file holds the owner's pid, host and a random token, and the owner touches it every
 * HEARTBEAT_MS. A lock is stale when its process is gone (same host, another pid) or, when that
 * cannot be told (another host, or our own pid number, as in a restarted container), when it has
 * not been touched for STALE_AFTER_MS. A stale lock is removed only by the agent holding the
 * takeover file (created with O_EXCL), after checking it is still the lock it judged stale, so
 * agents racing for it cannot both win. The heartbeat re-reads the lock: an owner who finds it no
 * longer theirs (a paused VM whose lock was taken over) is told at once and must stop.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { systemClock, unrefTimer, type Clock } from '../clock.js';
import { StoreError } from '../errors.js';
import type { StoreFs } from './durable-file.js';

export const HEARTBEAT_MS = 5_000;
export const STALE_AFTER_MS = 15_000;

export interface DataDirLock {
  file: string;
  release(): Promise<void>;
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  token: string;
}

/** Whether the lock's owner is alive: true, false, or undefined when it cannot be told from here. */
function alive(owner: Partial<LockInfo>): boolean | undefined {
  if (typeof owner.pid !== 'number' || owner.host !== hostname() || owner.pid === process.pid) return undefined;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(fs: StoreFs, file: string): Promise<{ raw: string; owner: Partial<LockInfo> } | undefined> {
  try {
    const raw = await fs.readFile(file, 'utf8');
    let owner: Partial<LockInfo> = {};
    try {
      owner = JSON.parse(raw) as Partial<LockInfo>;
    } catch {
      // half-written: its writer died before finishing
    }
    return { raw, owner };
  } catch {
    return undefined;
  }
}

export interface LockOptions {
  /** Called when the heartbeat finds the lock is no longer ours: the agent must stop at once. */
  onLost?(reason: string): void;
  /**
   * Times the heartbeat and judges staleness; the system's when absent. The lock and takeover
   * files' mtimes are set from it too, so a lock's age is read on the clock that wrote it.
   */
  clock?: Clock;
}

export async function acquireLock(fs: StoreFs, dataDir: string, options: LockOptions = {}): Promise<DataDirLock> {
  const file = join(dataDir, 'raqib.lock');
  const takeover = `${file}.takeover`;
  const clock = options.clock ?? systemClock;
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date(clock.now()).toISOString(), token: randomBytes(8).toString('hex') };
  let holdingTakeover = false;
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await create(fs, file, info, clock)) return held(fs, file, info, options, clock);
      const current = await readLock(fs, file);
      if (!current) continue; // released meanwhile: try again
      const { owner, raw } = current;
      const touched = await fs.stat(file).then(
        (s) => s.mtimeMs,
        () => 0,
      );
      if (alive(owner) ?? clock.now() - touched < STALE_AFTER_MS) {
        throw new StoreError(
          'RAQIB_STORE_LOCKED',
          `data_dir ${dataDir} is in use by another raqib (pid ${owner.pid} on ${owner.host}, since ${owner.since ?? 'unknown'}). ` +
            `Only one agent may use a data_dir: stop the other one, or give this agent its own agent.data_dir. ` +
            `A lock left by an agent that died is taken over ${STALE_AFTER_MS / 1000} s after its last heartbeat.`,
        );
      }
      // Stale. Only the holder of the takeover file may remove it, so racing agents cannot each
      // remove the lock the other has just taken.
      holdingTakeover = await create(fs, takeover, info, clock);
      if (!holdingTakeover) {
        // Its taker died: gone from this host (a crash mid-takeover), or silent for too long.
        const taker = await readLock(fs, takeover);
        const since = await fs.stat(takeover).then(
          (s) => s.mtimeMs,
          () => 0,
        );
        if ((taker && alive(taker.owner) === false) || clock.now() - since > STALE_AFTER_MS) await fs.unlink(takeover).catch(() => undefined);
        // A real pause, not the clock's: it gives another process racing for the takeover file
        // time to finish, and on a test's clock nothing would ever end it.
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
        continue;
      }
      if ((await readLock(fs, file))?.raw === raw) await fs.unlink(file).catch(() => undefined);
      const won = await create(fs, file, info, clock);
      await fs.unlink(takeover).catch(() => undefined);
      holdingTakeover = false;
      if (won) return held(fs, file, info, options, clock);
    }
  } finally {
    if (holdingTakeover) await fs.unlink(takeover).catch(() => undefined);
  }
  throw new StoreError('RAQIB_STORE_LOCKED', `could not take the lock ${file}; another agent is starting at the same time`);
}

/**
 * Create `file` with our lock info if it does not exist; false when it does. Its mtime is set to
 * the clock's now, as the heartbeat sets it, so staleness is judged on one clock throughout.
 */
async function create(fs: StoreFs, file: string, info: LockInfo, clock: Clock): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StoreError('RAQIB_STORE_IO', `cannot create lock file ${file}: ${(err as Error).message}`, err);
  }
  try {
    await handle.writeFile(JSON.stringify(info));
    const now = new Date(clock.now());
    await handle.utimes(now, now);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

function held(fs: StoreFs, file: string, info: LockInfo, options: LockOptions, clock: Clock): DataDirLock {
  let lost = false;
  let released = false;
  const ours = async () => (await readLock(fs, file))?.owner.token === info.token;
  const beat = async () => {
    if (!(await ours())) {
      if (!lost) options.onLost?.(`the lock ${file} is no longer this agent's: another agent took over the data_dir`);
      lost = true;
      return;
    }
    const now = new Date(clock.now());
    await fs.utimes(file, now, now).catch(() => undefined);
  };
  let heartbeat: unknown;
  const arm = () => {
    // Armed again when it fires, not when the beat's file work ends, so beats stay HEARTBEAT_MS apart.
    heartbeat = clock.setTimer(() => {
      if (released) return;
      arm();
      void beat();
    }, HEARTBEAT_MS);
    unrefTimer(heartbeat); // keeping watch is no reason for the process to stay up
  };
  arm();
  return {
    file,
    release: async () => {
      released = true;
      clock.clearTimer(heartbeat);
      if (await ours()) await fs.unlink(file).catch(() => undefined);
    },
  };
}
