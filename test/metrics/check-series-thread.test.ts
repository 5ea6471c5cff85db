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

const built = <T>(path: string): Promise<T> => import(pathToFileURL(join(ROOT, 'dist/agent', path)).href) as Promise<T>;
let series: Series;
let threaded: Threaded;
beforeAll(async () => {
  [series, threaded] = await Promise.all([built<Series>('metrics/check-series.js'), built<Threaded>('metrics/check-series-thread.js')]);
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
    const pieces: Buffer[] = [];
    for await (const piece of s.chunks()) {
      pieces.push(piece);
      await new Promise((resolve) => setTimeout(resolve, 2)); // a slow reader: the thread waits for it
    }
    expect(pieces.length).toBeGreaterThan(4);
    for (const p of pieces.slice(0, -1)) expect(p.length).toBeGreaterThanOrEqual(256 * 1024);
    for (const p of pieces) expect(p.byteOffset === 0 && p.buffer.byteLength === p.length).toBe(true);
    const here = new series.CheckSeries();
    for (let i = 0; i < 5_000; i++) {
      here.add(check(i), 'UP');
      here.observe(check(i), result(i));
    }
    expect(Buffer.concat(pieces).toString()).toBe(here.render());
  });

  it('leave out of a scrape a check added after it began, and serve the next one whole after a scrape is dropped', async () => {
    const s = inThread();
    for (let i = 0; i < 3_000; i++) s.add(check(i), 'UP');
    const scrape = s.chunks()[Symbol.asyncIterator]();
    const first = await scrape.next();
    expect(first.done).toBe(false);
    s.add(check(9_999), 'DOWN');
    let rest = String(first.value);
    for (let next = await scrape.next(); !next.done; next = await scrape.next()) rest += String(next.value);
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
  });

  it('fail a scrape when the thread dies, then start a new one with every check and its state', async () => {
    const errors: unknown[] = [];
    const log = { error: (fields: unknown) => errors.push(fields) } as never;
    const s = inThread({ log, restartMs: 0 });
    for (let i = 0; i < 3_000; i++) {
      s.add(check(i), 'UP');
      s.observe(check(i), result(i));
    }
    s.setState(check(3), 'DOWN');
    const scrape = s.chunks()[Symbol.asyncIterator]();
    await scrape.next();
    await (s as unknown as { thread: { terminate(): Promise<number> } }).thread.terminate();
    await expect(drain({ [Symbol.asyncIterator]: () => scrape })).rejects.toThrow(/thread of the per-check metrics exited/);
    expect(errors).toContainEqual(expect.objectContaining({ restartInMs: 0 }));

    // The new thread: every check and its state; probe series come back with each next result.
    await expect.poll(async () => text(s).catch(() => ''), { timeout: 10_000 }).toContain('raqib_check_state{service="web",check="c3",state="DOWN"} 1\n');
    const after = await text(s);
    expect(after.match(/^raqib_check_state\{.*\} 1$/gm)).toHaveLength(3_000);
    expect(after).not.toContain('raqib_probe_success{');
    s.observe(check(3), result(3));
    expect(await text(s)).toContain('raqib_probe_success{service="web",check="c3",type="https"} 1\n');
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
    expect(errors[1]).toMatchObject({ msg: expect.stringMatching(/exited; starting a new one/), fields: { code: 1 } });
  });

  it('fail a scrape still going when closed, and start no thread after', async () => {
    const s = inThread();
    for (let i = 0; i < 3_000; i++) s.add(check(i), 'UP' satisfies CheckState);
    const scrape = s.chunks()[Symbol.asyncIterator]();
    await scrape.next();
    await s.close();
    await expect(drain({ [Symbol.asyncIterator]: () => scrape })).rejects.toThrow(/the agent is stopping/);
    await expect(text(s)).rejects.toThrow(/not running/);
  });
});
