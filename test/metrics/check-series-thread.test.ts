/**
 * `raqib run` keeps the per-check families in a worker thread (check-series-thread.ts). The worker
 * runs compiled JavaScript, so these tests use the built modules in dist/ (`npm test` builds
 * first). Whatever happens between the threads, a scrape must give the page CheckSeries gives in
 * one thread, or fail — never a page with checks missing that looks whole.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CheckState } from '../../agent/detect/transition.js';
import type { ObservedResult, PerCheckSeries } from '../../agent/metrics/check-series.js';
import { ROOT } from '../helpers/agent-process.js';
import { drain } from '../helpers/pieces.js';
import { twoByteSlice } from '../helpers/one-byte.js';
import { tempDir } from '../helpers/tmp.js';

type Series = typeof import('../../agent/metrics/check-series.js');
type Threaded = typeof import('../../agent/metrics/check-series-thread.js');
type Slices = typeof import('../../agent/slices.js');

const built = <T>(path: string): Promise<T> => import(pathToFileURL(join(ROOT, 'dist/agent', path)).href) as Promise<T>;
let series: Series;
let threaded: Threaded;
let slices: Slices;
beforeAll(async () => {
  [series, threaded, slices] = await Promise.all([built<Series>('metrics/check-series.js'), built<Threaded>('metrics/check-series-thread.js'), built<Slices>('slices.js')]);
});

const open: PerCheckSeries[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function inThread(options: ConstructorParameters<Threaded['ThreadedCheckSeries']>[0] = {}): InstanceType<Threaded['ThreadedCheckSeries']> {
  const s = new threaded.ThreadedCheckSeries(options);
  open.push(s);
  return s;
}

const text = async (s: PerCheckSeries) => (await drain(s.chunks() as AsyncIterable<string | Buffer>)).map(String).join('');

/** n checks, each with a result: a page of ~0.7 KB a check, several pieces from 1,500 on. */
function filled(s: PerCheckSeries, n: number): void {
  for (let i = 0; i < n; i++) {
    s.add(check(i), 'UP');
    s.observe(check(i), result(i));
  }
}
const check = (i: number, type = i % 3 === 0 ? 'https' : 'http') => ({ key: `web/c${i}`, serviceId: 'web', checkId: `c${i}`, type });
const result = (i: number, over: Partial<ObservedResult> = {}): ObservedResult => ({
  status: i % 7 === 0 ? 'down' : 'up',
  phases: i % 7 === 0 ? { dns: 0.5, connect: 1.25, total: 3 } : { dns: 0.5, connect: 1.25, tls: i % 3 === 0 ? 4 : undefined, ttfb: 6.5, transfer: 0.125, total: 9 + i / 1000 },
  httpStatus: i % 7 === 0 ? undefined : 200,
  tlsCertExpiry: i % 3 === 0 ? 2_000_000_000 + i : undefined,
  ...over,
});

/** The same changes, in the same order, to each series. */
function apply(targets: PerCheckSeries[], change: (s: PerCheckSeries) => void): void {
  for (const s of targets) change(s);
}

describe('the per-check series in a thread of their own', () => {
  it('give the page CheckSeries gives in one thread, through adds, probes, states and removals', async () => {
    const here = new series.CheckSeries();
    const there = inThread();
    const both = [here, there];
    apply(both, (s) => {
      for (let i = 0; i < 2_000; i++) s.add(check(i), 'UNKNOWN');
      for (let i = 0; i < 2_000; i++) s.observe(check(i), result(i));
      for (let i = 0; i < 2_000; i += 7) s.setState(check(i), 'DOWN');
      for (let i = 100; i < 700; i++) s.remove(check(i));
      s.add(check(5, 'tcp'), 'DEGRADED'); // added again with another type: once, at the end
      s.observe(check(5, 'tcp'), result(5, { httpStatus: undefined }));
      // An id that came two bytes per character (a config with Arabic), and one the format escapes.
      s.add({ key: 'ar/x', serviceId: twoByteSlice('services-portal'), checkId: 'say "hi"\\now', type: 'dns' }, 'UP');
      s.observe({ key: 'ar/x', serviceId: '', checkId: '', type: 'dns' }, result(1, { tlsCertExpiry: Number.NaN }));
    });
    const expected = here.render();
    expect(expected).toContain('raqib_probe_success{service="services-portal",check="say \\"hi\\"\\\\now",type="dns"} 1\n');
    expect(expected).toContain('raqib_probe_tls_cert_expiry_timestamp_seconds{service="services-portal",check="say \\"hi\\"\\\\now"} NaN\n');
    expect(await text(there)).toBe(expected);
    expect(there.size).toBe(here.size);

    // Changes since: a scrape asked for now sees them, though they wait to be posted together.
    apply(both, (s) => {
      s.observe(check(1), result(1, { status: 'down', httpStatus: 503 }));
      s.setState(check(1), 'DOWN');
      s.remove(check(2));
    });
    expect(await text(there)).toBe(here.render());
  });

  it('send a large page in pieces of their own memory, whole however slowly it is read', async () => {
    const s = inThread();
    for (let i = 0; i < 5_000; i++) {
      s.add(check(i), 'UP');
      s.observe(check(i), result(i));
    }
    const here = new series.CheckSeries();
    for (let i = 0; i < 5_000; i++) {
      here.add(check(i), 'UP');
      here.observe(check(i), result(i));
    }
    // Three scrapes, each piece given back once "written", as the server does: the later scrapes
    // are made in the memory of the earlier ones, and each is whole.
    let given: Buffer[] = [];
    for (let scrape = 0; scrape < 3; scrape++) {
      const texts: string[] = [];
      let pieces = 0;
      for await (const piece of s.chunks()) {
        // What was given back has gone to the thread by now (with the ask for this scrape).
        for (const back of given.splice(0)) expect(back.length).toBe(0);
        pieces++;
        // Memory of its own, not a slice of a pool that others write in, at most 256 KiB.
        expect(piece.byteOffset).toBe(0);
        expect(piece.length).toBeLessThanOrEqual(256 * 1024);
        if (pieces > 1) expect(piece.length).toBeGreaterThan(64 * 1024);
        texts.push(piece.toString());
        const written = piece[slices.WRITTEN];
        expect(written).toBeTypeOf('function');
        await new Promise((resolve) => setTimeout(resolve, 2)); // a slow reader: the thread waits for it
        written!();
        given.push(piece);
      }
      expect(pieces).toBeGreaterThan(8);
      expect(texts.join('')).toBe(here.render());
    }
  });

  it('leave out of a scrape a check added after it began, and serve the next one whole after a scrape is dropped', async () => {
    const s = inThread();
    filled(s, 3_000);
    const scrape = s.chunks()[Symbol.asyncIterator]();
    const first = await scrape.next();
    expect(first.done).toBe(false);
    // Posted with the ask for the 5th piece: the thread has made 4 when it applies this.
    s.add(check(9_999), 'DOWN');
    s.observe(check(9_999), result(9_999));
    let rest = String(first.value);
    let pieces = 1;
    for (let next = await scrape.next(); !next.done; next = await scrape.next()) {
      rest += String(next.value);
      pieces++;
    }
    expect(pieces).toBeGreaterThan(6);
    expect(rest).not.toContain('check="c9999"');
    expect(rest).toContain('raqib_check_state{service="web",check="c2999",state="UP"} 1\n');

    // A reader that goes away after one piece (its socket closed): the scrape is dropped in the
    // thread too, and the next is whole.
    const dropped = s.chunks()[Symbol.asyncIterator]();
    await dropped.next();
    await dropped.return!(undefined);
    const whole = await text(s);
    expect(whole).toContain('raqib_check_state{service="web",check="c9999",state="DOWN"} 1\n');
    expect(whole.match(/^raqib_check_state\{/gm)).toHaveLength(4 * 3_001);
    expect(whole.match(/^raqib_probe_success\{/gm)).toHaveLength(3_001);
  });

  it('fail a scrape when the thread dies, then start a new one with every check and its state', async () => {
    const errors: unknown[] = [];
    const log = { error: (fields: unknown) => errors.push(fields) } as never;
    const s = inThread({ log, restartMs: 0 });
    filled(s, 3_000);
    s.setState(check(3), 'DOWN');
    // A certificate seen once stays, though the last probe saw none (a refused connection).
    s.observe(check(3), result(3, { status: 'down', tlsCertExpiry: undefined, phases: { connect: 1, total: 2 } }));
    const before = await text(s);
    expect(before).toContain('raqib_probe_tls_cert_expiry_timestamp_seconds{service="web",check="c3"} 2000000003\n');
    const scrape = s.chunks()[Symbol.asyncIterator]();
    await scrape.next();
    await (s as unknown as { thread: { terminate(): Promise<number> } }).thread.terminate();
    await expect(drain({ [Symbol.asyncIterator]: () => scrape })).rejects.toThrow(/thread of the per-check metrics exited/);
    expect(errors).toContainEqual(expect.objectContaining({ restartInMs: 0 }));

    // The new thread: every check, its state and the certificate expiry seen; the other probe
    // series come back with each check's next result.
    await expect.poll(async () => text(s).catch(() => ''), { timeout: 10_000 }).toContain('raqib_check_state{service="web",check="c3",state="DOWN"} 1\n');
    const now = await text(s);
    expect(now.match(/^raqib_check_state\{.*\} 1$/gm)).toHaveLength(3_000);
    expect(now).toContain('raqib_probe_tls_cert_expiry_timestamp_seconds{service="web",check="c3"} 2000000003\n');
    expect(now.match(/^raqib_probe_tls_cert_expiry_timestamp_seconds\{/gm)).toHaveLength(1_000);
    expect(now).not.toContain('raqib_probe_success{');
    for (let i = 0; i < 3_000; i++) s.observe(check(i), result(i));
    s.observe(check(3), result(3, { status: 'down', tlsCertExpiry: undefined, phases: { connect: 1, total: 2 } }));
    expect(await text(s)).toBe(before);
  });

  it('fail scrapes with the reason, rather than hang, while the thread cannot start', async () => {
    const worker = join(await tempDir('raqib-series-worker-'), 'worker.mjs');
    await writeFile(worker, "throw new Error('this worker cannot start');\n");
    const errors: { fields: { err?: Error; code?: number }; msg: string }[] = [];
    const log = { error: (fields: { err?: Error }, msg: string) => errors.push({ fields, msg }) } as never;
    const s = inThread({ log, worker: pathToFileURL(worker), restartMs: 60_000 });
    s.add(check(1), 'UP');
    await expect(text(s)).rejects.toThrow(/exited \(code 1\)|not running/);
    await expect.poll(() => text(s).catch((err: Error) => err.message)).toMatch(/not running \(it exited and is being restarted\)/);
    expect(errors[0]).toMatchObject({ msg: 'the thread of the per-check metrics failed', fields: { err: { message: 'this worker cannot start' } } });
    expect(errors[1]).toMatchObject({ msg: 'the thread of the per-check metrics exited', fields: { code: 1 } });
    expect(errors[2]).toMatchObject({ msg: expect.stringMatching(/not running; starting a new one/) });
  });

  it('fail a scrape still going when closed, and start no thread after', async () => {
    const s = inThread();
    filled(s, 3_000);
    s.setState(check(1), 'DOWN' satisfies CheckState);
    const scrape = s.chunks()[Symbol.asyncIterator]();
    await scrape.next();
    await s.close();
    await expect(drain({ [Symbol.asyncIterator]: () => scrape })).rejects.toThrow(/the agent is stopping/);
    await expect(text(s)).rejects.toThrow(/the agent is stopping/);
  });
});
