/**
 * The webhook's answer is the promise Alertmanager relies on: 200 only once what it sent is
 * durable, otherwise an error that makes it send again, also for a copy that changes nothing.
 */
import * as nodeFs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertBook } from '../../agent/alerts/book.js';
import { compileMatchers } from '../../agent/alerts/matchers.js';
import { alertReceiver, type DeliveryResult } from '../../agent/alerts/receiver.js';
import { createLogger } from '../../agent/log.js';
import type { StoreFs } from '../../agent/store/durable-file.js';
import { openJsonStore, type JsonStore } from '../../agent/store/json-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/tmp.js';

const log = createLogger({ level: 'silent' });
const stores: JsonStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
});

const delivery = (status: 'firing' | 'resolved') => ({
  version: '4',
  alerts: [
    {
      status,
      labels: { alertname: 'ProbeFailed', job: 'blackbox' },
      startsAt: '2026-12-08T03:00:00Z',
      endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-12-08T03:10:00Z',
      fingerprint: 'f1',
    },
  ],
});

async function setup() {
  let full = false;
  const fs: StoreFs = {
    ...nodeFs,
    rename: (from, to) => (full ? Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })) : nodeFs.rename(from, to)),
  };
  const dataDir = await tempDir();
  const store = await openJsonStore({ dataDir, log, fs, coalesceMs: 5 });
  stores.push(store);
  const results: DeliveryResult[] = [];
  const receive = alertReceiver({
    book: new AlertBook(store, new ManualClock(), () => [compileMatchers(['job="blackbox"'])]),
    store,
    log,
    moved: () => undefined,
    counted: (r) => results.push(r),
  });
  const onDisk = async () => JSON.parse(await nodeFs.readFile(`${dataDir}/state.json`, 'utf8')) as { alerts?: Record<string, { status: string }> };
  return { receive, results, onDisk, setFull: (v: boolean) => (full = v) };
}

describe('the webhook answer', () => {
  it('is 503 while the state cannot be written, also for a repeat that changes nothing, and 200 once it is durable', async () => {
    const t = await setup();
    expect((await t.receive(delivery('firing'))).status).toBe(200);
    t.setFull(true);
    expect(await t.receive(delivery('resolved'))).toMatchObject({ status: 503 });
    expect(await t.receive(delivery('resolved'))).toMatchObject({ status: 503 }); // Alertmanager's retry
    expect((await t.onDisk()).alerts?.['f1']?.status).toBe('firing');
    t.setFull(false);
    expect(await t.receive(delivery('resolved'))).toMatchObject({ status: 200 });
    expect((await t.onDisk()).alerts?.['f1']?.status).toBe('resolved');
    expect(t.results).toEqual(['accepted', 'unavailable', 'unavailable', 'accepted']);
  });
});
