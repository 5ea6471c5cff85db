import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStoreError } from '../../agent/errors.js';
import { createLogger } from '../../agent/log.js';
import type { StoreFs } from '../../agent/store/durable-file.js';
import { openJsonStore, STATE_FILE } from '../../agent/store/json-store.js';
import type { StateData } from '../../agent/store/types.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/agent-process.js';

const log = createLogger({ level: 'silent' });

/** The real file system with a switch that makes writes fail like a full or broken disk. */
function faultyFs(): StoreFs & { fail: string | undefined; calls: string[] } {
  const seam = {
    fail: undefined as string | undefined,
    calls: [] as string[],
    ...fsp,
    open: (async (path: string, flags?: string, mode?: number) => {
      seam.calls.push(`open ${flags}`);
      if (seam.fail && flags === 'w') throw Object.assign(new Error(`${seam.fail}: injected`), { code: seam.fail });
      return fsp.open(path, flags, mode);
    }) as StoreFs['open'],
    rename: (async (a: string, b: string) => {
      seam.calls.push('rename');
      return fsp.rename(a, b);
    }) as StoreFs['rename'],
  };
  return seam;
}

describe('JSON state store', () => {
  it('starts empty, persists changes and reads them back after a restart', async () => {
    const dir = await tempDir();
    const store = await openJsonStore({ dataDir: dir, log });
    expect(store.data.incidents).toEqual([]);
    store.update((d) => (d.checks['svc/a'] = { state: 'DOWN', since: 42 }));
    await store.close();
    const again = await openJsonStore({ dataDir: dir, log });
    expect(again.data.checks['svc/a']).toEqual({ state: 'DOWN', since: 42 });
    await again.close();
  });

  it('writes the state file with mode 0600 through temp file, fsync and rename', async () => {
    const dir = await tempDir();
    const fs = faultyFs();
    const store = await openJsonStore({ dataDir: dir, log, fs });
    store.update((d) => (d.checks['x/y'] = { state: 'UP', since: 1 }));
    await store.flush();
    expect(fs.calls.filter((c) => c === 'open w' || c === 'rename')).toEqual(['open w', 'rename']);
    expect((await fsp.stat(join(dir, STATE_FILE))).mode & 0o777).toBe(0o600);
    await store.close();
  });

  it('coalesces a burst of changes into one write and writes nothing while nothing changes', async () => {
    const dir = await tempDir();
    let writes = 0;
    const store = await openJsonStore({ dataDir: dir, log, coalesceMs: 50, hooks: { onWrite: () => writes++ } });
    for (let i = 0; i < 100; i++) store.update((d) => (d.checks[`s/c${i}`] = { state: 'UP', since: i }));
    await new Promise((r) => setTimeout(r, 150));
    expect(writes).toBe(1);
    await new Promise((r) => setTimeout(r, 150));
    expect(writes).toBe(1);
    await store.close();
  });

  it('spaces coalesced writes by maxCoalesceMs while each carries many changes', async () => {
    const dir = await tempDir();
    let writes = 0;
    const store = await openJsonStore({ dataDir: dir, log, coalesceMs: 10, maxCoalesceMs: 600, burstChanges: 20, hooks: { onWrite: () => writes++ } });
    const burst = (n: number, from: number) => {
      for (let i = from; i < from + n; i++) store.update((d) => (d.checks[`s/c${i}`] = { state: 'UP', since: i }));
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    burst(30, 0);
    await sleep(150);
    expect(writes).toBe(1); // the first write of a burst is as prompt as ever
    const first = performance.now();
    burst(30, 30);
    await sleep(150);
    expect(writes).toBe(1); // the next waits for maxCoalesceMs after the last began
    await eventually(() => writes >= 2, 3000, 20);
    expect(writes).toBe(2);
    expect(performance.now() - first).toBeGreaterThan(300);
    const onDisk = JSON.parse(await fsp.readFile(join(dir, STATE_FILE), 'utf8'));
    expect(Object.keys(onDisk.checks)).toHaveLength(60);
    await store.close();
  });

  it('keeps the short delay after a write of few changes', async () => {
    const dir = await tempDir();
    let writes = 0;
    const store = await openJsonStore({ dataDir: dir, log, coalesceMs: 10, maxCoalesceMs: 5_000, burstChanges: 20, hooks: { onWrite: () => writes++ } });
    store.update((d) => (d.checks['s/a'] = { state: 'UP', since: 1 }));
    await new Promise((r) => setTimeout(r, 150));
    store.update((d) => (d.checks['s/b'] = { state: 'DOWN', since: 2 }));
    await new Promise((r) => setTimeout(r, 300));
    expect(writes).toBe(2);
    await store.close();
  });

  it('writes at once on flush() even while a burst holds coalesced writes back', async () => {
    const dir = await tempDir();
    let writes = 0;
    const store = await openJsonStore({ dataDir: dir, log, coalesceMs: 10, maxCoalesceMs: 60_000, burstChanges: 20, hooks: { onWrite: () => writes++ } });
    for (let i = 0; i < 30; i++) store.update((d) => (d.checks[`s/c${i}`] = { state: 'UP', since: i }));
    await store.flush();
    store.update((d) => d.outbox.push({ seq: 1 } as StateData['outbox'][number]));
    const started = performance.now();
    await store.flush();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(writes).toBe(2);
    const onDisk = JSON.parse(await fsp.readFile(join(dir, STATE_FILE), 'utf8'));
    expect(onDisk.outbox).toEqual([{ seq: 1 }]);
    // And close() (shutdown) does not wait for the held-back write either.
    store.update((d) => (d.checks['s/late'] = { state: 'DOWN', since: 9 }));
    await store.close();
    expect(writes).toBe(3);
  });

  it('refuses to start on a truncated state file, naming the file and the last good backup', async () => {
    const dir = await tempDir();
    const store = await openJsonStore({ dataDir: dir, log });
    store.update((d) => (d.checks['s/c'] = { state: 'UP', since: 1 }));
    await store.close();
    await (await openJsonStore({ dataDir: dir, log })).close(); // a good start leaves state.json.bak behind
    const file = join(dir, STATE_FILE);
    const text = await fsp.readFile(file, 'utf8');
    await fsp.writeFile(file, text.slice(0, text.length / 2));
    const err = await openJsonStore({ dataDir: dir, log }).catch((e: unknown) => e);
    expect(isStoreError(err) && err.code).toBe('RAQIB_STORE_CORRUPT');
    expect((err as Error).message).toContain(`state file ${file} is not valid JSON`);
    expect((err as Error).message).toContain(`The last good backup is ${file}.bak`);
    expect(await fsp.readFile(file, 'utf8')).toBe(text.slice(0, text.length / 2)); // never overwritten
  });

  it('names a garbage state file in one printable line, whatever bytes JSON.parse quotes from it', async () => {
    const dir = await tempDir();
    // Newlines, a carriage return and a terminal escape sequence where the parse stops.
    await fsp.writeFile(join(dir, STATE_FILE), 'x\n\r\u001b[2J\u0007garbage\u2028', 'utf8');
    const err = await openJsonStore({ dataDir: dir, log }).catch((e: unknown) => e);
    const message = (err as Error).message;
    expect(message).toContain('is not valid JSON');
    expect(message).toContain('\\u000a'); // the newline, written out
    // eslint-disable-next-line no-control-regex -- no control character may be left
    expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  it('refuses a JSON file that is not raqib state and says there is no backup', async () => {
    const dir = await tempDir();
    await fsp.writeFile(join(dir, STATE_FILE), '{"hello": "world"}');
    const err = await openJsonStore({ dataDir: dir, log }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/does not hold raqib state.*There is no backup/);
  });

  it('keeps running when a write fails, reports not writable, retries, and recovers', async () => {
    const dir = await tempDir();
    const fs = faultyFs();
    const results: boolean[] = [];
    const store = await openJsonStore({ dataDir: dir, log, fs, coalesceMs: 10, retryMs: 20, hooks: { onWrite: (ok) => results.push(ok) } });
    fs.fail = 'ENOSPC';
    store.update((d) => (d.checks['s/c'] = { state: 'DOWN', since: 7 }));
    await expect(store.flush()).rejects.toThrow(/ENOSPC/);
    expect(store.writable).toBe(false);
    fs.fail = undefined;
    await new Promise((r) => setTimeout(r, 200));
    expect(store.writable).toBe(true);
    expect(results[0]).toBe(false);
    expect(results.at(-1)).toBe(true);
    const onDisk = JSON.parse(await fsp.readFile(join(dir, STATE_FILE), 'utf8'));
    expect(onDisk.checks['s/c']).toEqual({ state: 'DOWN', since: 7 });
    await store.close();
  });

  it('lets only one agent use a data_dir and names the holder', async () => {
    const dir = await tempDir();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    await fsp.writeFile(join(dir, 'raqib.lock'), JSON.stringify({ pid: holder.pid, host: (await import('node:os')).hostname(), since: 'then' }));
    try {
      const err = await openJsonStore({ dataDir: dir, log }).catch((e: unknown) => e);
      expect(isStoreError(err) && err.code).toBe('RAQIB_STORE_LOCKED');
      expect((err as Error).message).toContain(`is in use by another raqib (pid ${holder.pid}`);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over the lock of an agent that died', async () => {
    const dir = await tempDir();
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    await fsp.writeFile(join(dir, 'raqib.lock'), JSON.stringify({ pid: dead.pid, host: (await import('node:os')).hostname() }));
    const store = await openJsonStore({ dataDir: dir, log });
    const lock = JSON.parse(await fsp.readFile(join(dir, 'raqib.lock'), 'utf8'));
    expect(lock.pid).toBe(process.pid);
    await store.close();
    await expect(fsp.stat(join(dir, 'raqib.lock'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a fresh lock held from another host, and takes a stale one', async () => {
    const dir = await tempDir();
    const lockFile = join(dir, 'raqib.lock');
    await fsp.writeFile(lockFile, JSON.stringify({ pid: 1, host: 'other-host', token: 'theirs' }));
    await expect(openJsonStore({ dataDir: dir, log })).rejects.toThrow(/in use by another raqib \(pid 1 on other-host/);
    const old = new Date(Date.now() - 60_000);
    await fsp.utimes(lockFile, old, old);
    const store = await openJsonStore({ dataDir: dir, log });
    await store.close();
  });

  it('lets exactly one of many agents racing for a stale lock win it', async () => {
    const dir = await tempDir();
    for (let round = 0; round < 10; round++) {
      const lockFile = join(dir, 'raqib.lock');
      await fsp.writeFile(lockFile, JSON.stringify({ pid: 1, host: 'gone-host', token: 'old' }));
      const old = new Date(Date.now() - 60_000);
      await fsp.utimes(lockFile, old, old);
      const results = await Promise.allSettled(Array.from({ length: 4 }, () => openJsonStore({ dataDir: dir, log })));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof openJsonStore>>>).value.close();
    }
  });

  it('keeps the state file 0600 even when a crash left a world-readable temp file behind', async () => {
    const dir = await tempDir();
    await fsp.writeFile(join(dir, `.${STATE_FILE}.tmp`), 'old', { mode: 0o644 });
    await fsp.chmod(join(dir, `.${STATE_FILE}.tmp`), 0o644);
    const store = await openJsonStore({ dataDir: dir, log });
    store.update((d) => (d.checks['s/c'] = { state: 'UP', since: 1 }));
    await store.close();
    expect((await fsp.stat(join(dir, STATE_FILE))).mode & 0o777).toBe(0o600);
  });
});
