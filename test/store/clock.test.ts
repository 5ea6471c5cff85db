/**
 * The store's timers run on its clock: the coalescing delay before a write, and the data_dir
 * lock's heartbeat, which also dates the lock file (its mtime is the lock's age) by that clock.
 */
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.js';
import type { StoreFs } from '../../agent/store/durable-file.js';
import { openJsonStore } from '../../agent/store/json-store.js';
import { HEARTBEAT_MS, STALE_AFTER_MS } from '../../agent/store/lock.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/tmp.js';

const log = createLogger({ level: 'silent' });
const FAR = Date.UTC(2041, 2, 14, 3, 0, 0);

/** The real file system, noting each open-for-write (a write's first call) and read, and waking on utimes. */
function watchedFs() {
  const opened: string[] = [];
  const read: string[] = [];
  let touched: (() => void) | undefined;
  const fs: StoreFs = {
    ...fsp,
    readFile: ((path: string, options: BufferEncoding) => {
      read.push(path);
      return fsp.readFile(path, options);
    }) as StoreFs['readFile'],
    open: (async (path: string, flags?: string, mode?: number) => {
      if (flags === 'w') opened.push(path);
      return fsp.open(path, flags, mode);
    }) as StoreFs['open'],
    utimes: (async (...args: Parameters<StoreFs['utimes']>) => {
      await fsp.utimes(...args);
      touched?.();
    }) as StoreFs['utimes'],
  };
  /** Resolves after the next utimes through this fs has completed. */
  const nextTouch = () => new Promise<void>((resolve) => (touched = resolve));
  return { fs, opened, read, nextTouch };
}

describe('store on an injected clock', () => {
  it('writes a change once the clock has moved the coalescing delay, not before', async () => {
    const dir = await tempDir();
    const clock = new ManualClock(FAR);
    const { fs, opened } = watchedFs();
    const store = await openJsonStore({ dataDir: dir, log, fs, clock, coalesceMs: 200 });
    const before = opened.length;
    store.update((d) => (d.checks['web/a'] = { state: 'DOWN', since: clock.now() }));
    await clock.advance(199);
    expect(opened.length).toBe(before);
    await clock.advance(1);
    // The write began when the timer fired: its temp file was opened for writing.
    expect(opened.slice(before)).toEqual([join(dir, '.state.json.tmp')]);
    await store.close();
  });

  it('spaces burst writes by maxCoalesceMs on the clock', async () => {
    const dir = await tempDir();
    const clock = new ManualClock(FAR);
    const { fs, opened } = watchedFs();
    const store = await openJsonStore({ dataDir: dir, log, fs, clock, coalesceMs: 10, maxCoalesceMs: 1_000, burstChanges: 5 });
    const base = opened.length;
    for (let i = 0; i < 5; i++) store.update((d) => (d.checks[`web/${i}`] = { state: 'UP', since: 1 }));
    await clock.advance(10); // the burst's write
    await store.flush();
    expect(opened.length - base).toBe(1);
    store.update((d) => (d.checks['web/x'] = { state: 'UP', since: 2 }));
    await clock.advance(999); // the burst's write began at 10: the next is due at 1,010
    expect(opened.length - base).toBe(1);
    await clock.advance(1);
    expect(opened.length - base).toBe(2);
    await store.close();
  });

  it('dates the lock and beats its heartbeat by the clock, and notices a takeover at the next beat', async () => {
    const dir = await tempDir();
    const lockFile = join(dir, 'raqib.lock');
    const clock = new ManualClock(FAR);
    const { fs, read, nextTouch } = watchedFs();
    let lose!: (reason: string) => void;
    const lost = new Promise<string>((resolve) => (lose = resolve));
    const store = await openJsonStore({ dataDir: dir, log, fs, clock, onLockLost: (r) => lose(r) });
    expect(JSON.parse(await fsp.readFile(lockFile, 'utf8')).since).toBe(new Date(FAR).toISOString());
    expect((await fsp.stat(lockFile)).mtimeMs).toBe(FAR);

    const touch = nextTouch();
    await clock.advance(HEARTBEAT_MS);
    await touch;
    expect((await fsp.stat(lockFile)).mtimeMs).toBe(FAR + HEARTBEAT_MS);

    // Fresh on the clock: another agent on it is refused. Silent for STALE_AFTER_MS: taken over.
    await expect(openJsonStore({ dataDir: dir, log, clock: new ManualClock(FAR + HEARTBEAT_MS + STALE_AFTER_MS - 1) })).rejects.toThrow(
      /in use by another raqib/,
    );
    const taker = await openJsonStore({ dataDir: dir, log, clock: new ManualClock(FAR + HEARTBEAT_MS + STALE_AFTER_MS + 1) });
    const reads = () => read.filter((f) => f === lockFile).length;
    const seen = reads();
    await clock.advance(HEARTBEAT_MS - 1);
    expect(reads()).toBe(seen);
    await clock.advance(1);
    expect(reads()).toBe(seen + 1); // the beat reads the lock, finds another agent's token, and says so
    expect(await lost).toMatch(/no longer this agent's/);
    await taker.close();
    await store.close();
  });
});
