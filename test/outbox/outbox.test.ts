import { readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../agent/clock.js';
import { AuthorityError } from '../../agent/authority/errors.js';
import { HOLD_MS, LANES_IN_FLIGHT, NotReady, Outbox, type NewEntry, type OutboxHooks } from '../../agent/outbox/outbox.js';
import type { OutboxEntry } from '../../agent/outbox/types.js';
import type { RetryPolicy } from '../../agent/outbox/retry.js';
import type { StoreFs } from '../../agent/store/durable-file.js';
import { openJsonStore, STATE_FILE, type JsonStore } from '../../agent/store/json-store.js';
import { ManualClock, settle } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/tmp.js';
import { deferred, log, onCleanup, type Deferred } from '../authority/helpers.js';

const POLICY: RetryPolicy = { baseMs: 1_000, maxMs: 4_000, factor: 2 };

/** The real file system; state writes can be held at a gate (a slow disk) or fail (a full one). */
function disk(): StoreFs & { fail: string | undefined; gate: Promise<void> | undefined; writes: number; hold(): () => void } {
  const release: (() => void)[] = [];
  const seam = {
    ...fsp,
    fail: undefined as string | undefined,
    gate: undefined as Promise<void> | undefined,
    writes: 0,
    open: (async (path: string, flags?: string, mode?: number) => {
      if (flags === 'w') {
        if (seam.gate) await seam.gate;
        if (seam.fail) throw Object.assign(new Error(`${seam.fail}: injected`), { code: seam.fail });
        seam.writes++;
      }
      return fsp.open(path, flags, mode);
    }) as StoreFs['open'],
    /** Holds every state write until the returned function is called. */
    hold() {
      const gate = deferred();
      seam.gate = gate.promise;
      const open = () => {
        seam.gate = undefined;
        gate.resolve();
      };
      release.push(open);
      return open;
    },
  };
  // a failed assertion must not leave the store's last write (and the test's clean-up) hanging
  onCleanup(async () => {
    seam.fail = undefined;
    for (const open of release) open();
  });
  return seam;
}

interface Sent {
  seq: number;
  key: string;
  body: unknown;
  at: number;
  /** Whether state.json on disk held the entry when the sender was called. */
  onDisk: boolean;
}

interface Harness {
  dir: string;
  store: JsonStore;
  clock: ManualClock;
  outbox: Outbox;
  sent: Sent[];
  /** What the sender does; replace it per test. Default: answers at once. */
  reply: (entry: OutboxEntry) => Promise<unknown>;
  dead: OutboxEntry[];
  delivered: number[];
  keysSent(): string[];
}

async function harness(options: { dir?: string; fs?: StoreFs; clock?: Clock; start?: boolean; hooks?: OutboxHooks } = {}): Promise<Harness> {
  const dir = options.dir ?? (await tempDir());
  const store = await openJsonStore({ dataDir: dir, log, coalesceMs: 5, retryMs: 5, ...(options.fs ? { fs: options.fs } : {}) });
  const clock = new ManualClock();
  const h: Harness = {
    dir,
    store,
    clock,
    outbox: undefined as unknown as Outbox,
    sent: [],
    reply: async () => ({ ok: true }),
    dead: [],
    delivered: [],
    keysSent: () => h.sent.map((s) => s.key),
  };
  h.outbox = new Outbox({
    store,
    clock: options.clock ?? clock,
    log,
    retry: POLICY,
    random: () => 0,
    send: (entry) => {
      h.sent.push({ seq: entry.seq, key: entry.idempotencyKey, body: structuredClone(entry.body), at: clock.now(), onDisk: onDisk(dir, entry.idempotencyKey) });
      return h.reply(entry);
    },
    hooks: {
      onDead: (e) => h.dead.push(e),
      onSent: (e) => h.delivered.push(e.seq),
      ...options.hooks,
    },
  });
  onCleanup(async () => {
    h.outbox.stop();
    await store.close();
  });
  if (options.start ?? true) h.outbox.start();
  return h;
}

function onDisk(dir: string, key: string): boolean {
  try {
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as { outbox: OutboxEntry[] };
    return state.outbox.some((e) => e.idempotencyKey === key);
  } catch {
    return false;
  }
}

function entry(lane: string, key: string, body: unknown = { key }): NewEntry {
  return { lane, op: 'create_report', idempotencyKey: key, body, summary: `test ${key}` };
}

const unavailable = () => new AuthorityError('http', 'POST create_report: 503 Service unavailable', { status: 503 });

/** A sender that hangs each call until the test answers it, by idempotency key. */
function hanging(h: Harness): Map<string, Deferred<unknown>> {
  const calls = new Map<string, Deferred<unknown>>();
  h.reply = (e) => {
    const d = deferred<unknown>();
    calls.set(e.idempotencyKey, d);
    return d.promise;
  };
  return calls;
}

describe('outbox: durable before the first send', () => {
  it('does not send an entry while its state write is still in flight, and sends it once the write is on disk', async () => {
    const fs = disk();
    const h = await harness({ fs });
    const release = fs.hold();
    let queued = false;
    const enqueued = h.outbox.enqueue([entry('report:a', 'k-a')]).then(() => (queued = true));
    await h.clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 30)); // real time too: the store's own timers
    expect(h.sent).toEqual([]);
    expect(queued).toBe(false);

    release();
    await enqueued;
    await settle();
    expect(h.keysSent()).toEqual(['k-a']);
    expect(h.sent[0]!.onDisk).toBe(true);
  });

  it('keeps an undurable entry back even when another lane finishing wakes the outbox', async () => {
    const fs = disk();
    const h = await harness({ fs });
    const calls = hanging(h);
    await h.outbox.enqueue([entry('report:x', 'k-x')]);
    await settle();
    expect(h.keysSent()).toEqual(['k-x']);

    const release = fs.hold();
    const enqueued = h.outbox.enqueue([entry('report:y', 'k-y')]);
    await settle();
    calls.get('k-x')!.resolve({ ok: true }); // its lane frees up and the outbox looks for work
    await h.clock.advance(HOLD_MS);
    expect(h.keysSent()).toEqual(['k-x']);

    release();
    await enqueued;
    await settle();
    expect(h.keysSent()).toEqual(['k-x', 'k-y']);
    expect(h.sent.every((s) => s.onDisk)).toBe(true);
  });

  it('sends nothing while the disk fails, and sends once the disk recovers', async () => {
    const fs = disk();
    const h = await harness({ fs });
    fs.fail = 'ENOSPC';
    let queued = false;
    const enqueued = h.outbox.enqueue([entry('report:a', 'k-a'), entry('report:b', 'k-b')]).then(() => (queued = true));
    await h.clock.advance(10 * 60_000);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.sent).toEqual([]);
    expect(queued).toBe(false);
    expect(onDisk(h.dir, 'k-a')).toBe(false);

    fs.fail = undefined;
    await h.clock.advance(HOLD_MS);
    await enqueued;
    await settle();
    expect(h.keysSent().sort()).toEqual(['k-a', 'k-b']);
    expect(h.sent.every((s) => s.onDisk)).toBe(true);
  });
});

describe('outbox: lanes', () => {
  it('sends a lane in order: the second entry waits while the first is in flight, even though it is due', async () => {
    const h = await harness();
    const calls = hanging(h);
    await h.outbox.enqueue([entry('report:a', 'a-1'), entry('report:a', 'a-2'), entry('report:a', 'a-3')]);
    await h.clock.advance(60_000);
    expect(h.keysSent()).toEqual(['a-1']);
    calls.get('a-1')!.resolve({});
    await settle();
    expect(h.keysSent()).toEqual(['a-1', 'a-2']);
    calls.get('a-2')!.resolve({});
    await settle();
    expect(h.keysSent()).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('holds the rest of a lane while its head backs off, and lets other lanes go meanwhile', async () => {
    const h = await harness();
    let failFirst = true;
    h.reply = async (e) => {
      if (e.idempotencyKey === 'a-1' && failFirst) {
        failFirst = false;
        throw unavailable();
      }
      return {};
    };
    await h.outbox.enqueue([entry('report:a', 'a-1'), entry('report:a', 'a-2'), entry('report:b', 'b-1')]);
    await settle();
    expect(h.keysSent()).toEqual(['a-1', 'b-1']);
    await h.clock.advance(499); // a-1 waits 500 ms (half of 1 s with random 0)
    expect(h.keysSent()).toEqual(['a-1', 'b-1']);
    await h.clock.advance(1);
    expect(h.keysSent()).toEqual(['a-1', 'b-1', 'a-1', 'a-2']);
  });

  it(`runs different lanes in parallel, at most ${LANES_IN_FLIGHT} at a time`, async () => {
    const h = await harness();
    const calls = hanging(h);
    const lanes = ['a', 'b', 'c', 'd', 'e', 'f'];
    await h.outbox.enqueue(lanes.map((l) => entry(`report:${l}`, `${l}-1`)));
    await settle();
    expect(h.keysSent()).toEqual(['a-1', 'b-1', 'c-1', 'd-1']);
    calls.get('c-1')!.resolve({});
    await settle();
    expect(h.keysSent()).toEqual(['a-1', 'b-1', 'c-1', 'd-1', 'e-1']);
    for (const k of ['a-1', 'b-1', 'd-1', 'e-1']) calls.get(k)!.resolve({});
    await settle();
    expect(h.keysSent()).toHaveLength(6);
    expect(h.outbox.pending()).toHaveLength(1); // f-1 still in flight
    calls.get('f-1')!.resolve({});
    await settle();
    expect(h.outbox.pending()).toEqual([]);
  });
});

describe('outbox: retries', () => {
  it('backs off exponentially with jitter up to the cap after retryable failures, counting attempts', async () => {
    const h = await harness();
    h.reply = async () => {
      throw unavailable();
    };
    await h.outbox.enqueue([entry('report:a', 'a-1')]);
    await h.clock.advance(10_000);
    const t0 = h.sent[0]!.at;
    // random 0: half of 1 s, 2 s, 4 s (the cap), 4 s, …
    expect(h.sent.map((s) => s.at - t0)).toEqual([0, 500, 1_500, 3_500, 5_500, 7_500, 9_500]);
    const [e] = h.outbox.pending();
    expect(e!.attempts).toBe(7);
    expect(e!.lastError).toContain('503');
    expect(e!.dead).toBeUndefined();
    expect(e!.nextAttemptAt).toBe(t0 + 11_500);
  });

  it('retries errors that are not AuthorityErrors (a thrown TypeError, a reset socket) like network failures', async () => {
    const h = await harness();
    let n = 0;
    h.reply = async () => {
      if (n++ === 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return {};
    };
    await h.outbox.enqueue([entry('report:a', 'a-1')]);
    await h.clock.advance(500);
    expect(h.keysSent()).toEqual(['a-1', 'a-1']);
    expect(h.outbox.pending()).toEqual([]);
    expect(h.dead).toEqual([]);
  });

  it('waits at least Retry-After, even beyond the backoff cap', async () => {
    const h = await harness();
    let n = 0;
    h.reply = async () => {
      if (n++ === 0) throw new AuthorityError('http', '429 Too many requests', { status: 429, retryAfterMs: 30_000 });
      return {};
    };
    await h.outbox.enqueue([entry('report:a', 'a-1')]);
    await h.clock.advance(29_999);
    expect(h.sent).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.sent.map((s) => s.at - h.sent[0]!.at)).toEqual([0, 30_000]);
    expect(h.delivered).toEqual([1]);
  });

  it('never arms a timer longer than a Node timer can hold (a Retry-After of 40 days)', async () => {
    const manual = new ManualClock();
    const delays: number[] = [];
    const clock: Clock = {
      now: () => manual.now(),
      monotonic: () => manual.monotonic(),
      setTimer: (fn, ms) => {
        delays.push(ms);
        return manual.setTimer(fn, ms);
      },
      clearTimer: (t) => manual.clearTimer(t),
    };
    const h = await harness({ clock });
    h.clock = manual;
    const FORTY_DAYS = 40 * 86_400_000;
    let n = 0;
    h.reply = async () => {
      if (n++ === 0) throw new AuthorityError('http', '429', { status: 429, retryAfterMs: FORTY_DAYS });
      return {};
    };
    await h.outbox.enqueue([entry('report:a', 'a-1')]);
    await settle();
    // setTimeout turns anything over 2^31-1 ms into 1 ms: the outbox would spin for 40 days
    expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
    await manual.advance(FORTY_DAYS - 1);
    expect(h.sent).toHaveLength(1);
    await manual.advance(1);
    expect(h.sent).toHaveLength(2);
  });

  it.each([
    ['a refused sign-in (AuthorityError auth)', () => new AuthorityError('auth', 'not signed in to the authority')],
    ['NotReady (the report has no authority id yet)', () => new NotReady('waiting for the report itself to be filed first')],
  ])('holds an entry for HOLD_MS without counting an attempt after %s', async (_, error) => {
    const h = await harness();
    let n = 0;
    h.reply = async (e) => {
      if (e.idempotencyKey === 'a-1' && n++ === 0) throw error();
      return {};
    };
    await h.outbox.enqueue([entry('report:a', 'a-1'), entry('report:a', 'a-2')]);
    await settle();
    const [held] = h.outbox.pending();
    expect(held).toMatchObject({ idempotencyKey: 'a-1', attempts: 0 });
    expect(held!.lastError).toBeTruthy();
    expect(held!.nextAttemptAt).toBe(h.clock.now() + HOLD_MS);
    await h.clock.advance(HOLD_MS - 1);
    expect(h.keysSent()).toEqual(['a-1']); // and the lane waits behind it
    await h.clock.advance(1);
    expect(h.keysSent()).toEqual(['a-1', 'a-1', 'a-2']);
    expect(h.dead).toEqual([]);
  });

  it.each([400, 409, 422])('makes a %i a dead letter: kept with `dead`, told once, and the lane goes on', async (status) => {
    const h = await harness();
    h.reply = async (e) => {
      if (e.idempotencyKey === 'a-1') {
        throw new AuthorityError('http', `POST create_report: ${status} refused`, { status, problem: { type: 'x', title: 'refused', status } });
      }
      return {};
    };
    await h.outbox.enqueue([entry('report:a', 'a-1'), entry('report:a', 'a-2')]);
    await settle();
    expect(h.keysSent()).toEqual(['a-1', 'a-2']);
    expect(h.dead.map((e) => e.idempotencyKey)).toEqual(['a-1']);
    const [dead] = h.outbox.dead();
    expect(dead).toMatchObject({ idempotencyKey: 'a-1', attempts: 1, dead: { at: h.clock.now(), status } });
    expect(dead!.dead!.reason).toContain(String(status));
    expect(h.store.data.outbox.map((e) => e.idempotencyKey)).toEqual(['a-1']); // a-2 delivered and gone; a-1 kept
    expect(h.outbox.pending()).toEqual([]);

    h.outbox.nudge();
    await h.clock.advance(24 * 3_600_000);
    expect(h.keysSent()).toEqual(['a-1', 'a-2']); // never sent again
    expect(h.dead).toHaveLength(1);
  });

  it.each([408, 425, 429, 500, 503])('does not make a %i a dead letter', async (status) => {
    const h = await harness();
    let n = 0;
    h.reply = async () => {
      if (n++ === 0) throw new AuthorityError('http', `${status}`, { status });
      return {};
    };
    await h.outbox.enqueue([entry('report:a', 'a-1')]);
    await h.clock.advance(500);
    expect(h.dead).toEqual([]);
    expect(h.delivered).toEqual([1]);
  });

  it('nudge() sends waiting entries at once: a long Retry-After and a held sign-in', async () => {
    const h = await harness();
    let n = 0;
    h.reply = async (e) => {
      if (n++ < 2) {
        throw e.idempotencyKey === 'a-1'
          ? new AuthorityError('http', '429', { status: 429, retryAfterMs: 600_000 })
          : new AuthorityError('auth', 'not signed in');
      }
      return {};
    };
    await h.outbox.enqueue([entry('report:a', 'a-1'), entry('report:b', 'b-1')]);
    await settle();
    expect(h.sent).toHaveLength(2);
    h.outbox.nudge();
    await settle();
    expect(h.sent).toHaveLength(4);
    expect(h.sent.slice(2).every((s) => s.at === h.sent[0]!.at)).toBe(true); // no time passed
    expect(h.outbox.pending()).toEqual([]);
  });
});

describe('outbox: restarts', () => {
  it('resumes pending entries after a restart with the same idempotency keys, bodies and lane order', async () => {
    const dir = await tempDir();
    const first = await harness({ dir });
    first.reply = async (e) => {
      if (e.idempotencyKey === 'b-1') return {};
      throw unavailable();
    };
    const bodies = { 'a-1': { n: 1, text: { ar: 'نص', en: 'text' } }, 'a-2': { n: 2 }, 'c-1': { n: 3 } };
    await first.outbox.enqueue([entry('report:a', 'a-1', bodies['a-1']), entry('report:a', 'a-2', bodies['a-2']), entry('report:b', 'b-1')]);
    await first.outbox.enqueue([entry('report:c', 'c-1', bodies['c-1'])]);
    await first.clock.advance(1_000);
    const dead = first.outbox.pending().find((e) => e.idempotencyKey === 'a-1');
    expect(dead?.attempts).toBeGreaterThan(0);
    first.outbox.stop();
    await first.store.close(); // the process ends

    const second = await harness({ dir, start: false });
    expect(second.outbox.pending().map((e) => [e.seq, e.idempotencyKey])).toEqual([
      [1, 'a-1'],
      [2, 'a-2'],
      [4, 'c-1'],
    ]);
    expect(second.outbox.pending()[0]!.attempts).toBe(dead!.attempts); // the count survives
    second.outbox.start();
    await second.clock.advance(60_000);
    expect(second.keysSent()).toEqual(['a-1', 'c-1', 'a-2']);
    for (const s of second.sent) expect(s.body).toEqual(bodies[s.key as keyof typeof bodies]);
    expect(second.outbox.pending()).toEqual([]);
    const [added] = await second.outbox.enqueue([entry('report:d', 'd-1')]);
    expect(added!.seq).toBe(5); // numbering carries on, never reusing a seq
  });

  it('keeps dead letters across a restart and does not send them again', async () => {
    const dir = await tempDir();
    const first = await harness({ dir });
    first.reply = async () => {
      throw new AuthorityError('http', '422 invalid', { status: 422 });
    };
    await first.outbox.enqueue([entry('report:a', 'a-1')]);
    await settle();
    expect(first.dead).toHaveLength(1);
    first.outbox.stop();
    await first.store.close();

    const second = await harness({ dir });
    await second.clock.advance(60_000);
    expect(second.sent).toEqual([]);
    expect(second.outbox.dead()).toMatchObject([{ idempotencyKey: 'a-1', dead: { status: 422 } }]);
    expect(second.dead).toEqual([]); // not told again
  });
});
