/**
 * The packed history ring: it must give back exactly the entries the object-per-result history
 * gave (the status API returns them as they are), oldest first, capped at HISTORY_SIZE.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProbeStatus } from '../../agent/probes/types.js';
import { HISTORY_INITIAL_SLOTS, HISTORY_SIZE, HistoryRing, type HistoryEntry, type HistorySource } from '../../agent/runner/history.js';

const result = (i: number, over: Partial<HistorySource> = {}): HistorySource => ({
  status: 'up',
  code: 'OK',
  detail: `200 in ${i} ms`,
  observedAt: 1_700_000_000_000 + i * 30_000,
  phases: { total: i + 0.25 },
  httpStatus: 200,
  ...over,
});

/** The history as Monitor.record kept it before the ring: an object per result, push and shift. */
function reference(results: HistorySource[], size = HISTORY_SIZE): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const r of results) {
    out.push({
      status: r.status,
      code: r.code,
      observedAt: r.observedAt,
      ms: r.phases.total,
      ...(r.status === 'up' ? {} : { detail: r.detail }),
      ...(r.httpStatus !== undefined ? { httpStatus: r.httpStatus } : {}),
    });
    if (out.length > size) out.shift();
  }
  return out;
}

const filled = (results: HistorySource[], size?: number): HistoryRing => {
  const ring = new HistoryRing(size);
  for (const r of results) ring.push(r);
  return ring;
};

describe('HistoryRing', () => {
  it('starts empty, allocating nothing', () => {
    const ring = new HistoryRing();
    expect(ring.length).toBe(0);
    expect(ring.slots).toBe(0);
    expect(ring.toArray()).toEqual([]);
  });

  it('caps its length at HISTORY_SIZE, keeping the newest, and grows its slots in one step', () => {
    const ring = new HistoryRing();
    ring.push(result(0));
    expect(ring.slots).toBe(HISTORY_INITIAL_SLOTS);
    for (let i = 1; i <= HISTORY_INITIAL_SLOTS; i++) ring.push(result(i));
    expect(ring.slots).toBe(HISTORY_SIZE);
    for (let i = HISTORY_INITIAL_SLOTS + 1; i < HISTORY_SIZE * 2 + 7; i++) {
      ring.push(result(i));
      expect(ring.length).toBe(Math.min(i + 1, HISTORY_SIZE));
    }
    expect(ring.slots).toBe(HISTORY_SIZE);
    const entries = ring.toArray();
    expect(entries).toHaveLength(HISTORY_SIZE);
    expect(entries[0]!.ms).toBe(HISTORY_SIZE + 7 + 0.25);
    expect(entries.at(-1)!.ms).toBe(HISTORY_SIZE * 2 + 6 + 0.25);
  });

  it('returns oldest first across the wrap-around', () => {
    const results = Array.from({ length: 13 }, (_, i) => result(i));
    const ring = filled(results, 5);
    expect(ring.toArray().map((e) => e.ms)).toEqual([8.25, 9.25, 10.25, 11.25, 12.25]);
    expect(ring.toArray()).toEqual(reference(results, 5));
  });

  it('keeps the detail of failures only, and drops it when its slot is overwritten', () => {
    const ring = new HistoryRing(3);
    ring.push(result(0, { status: 'down', code: 'TIMEOUT', detail: 'no answer within 5000 ms', httpStatus: undefined }));
    ring.push(result(1, { status: 'degraded', code: 'SLOW', detail: '200 in 1500 ms, over 1000 ms' }));
    ring.push(result(2));
    const [down, degraded, up] = ring.toArray();
    expect(down).toEqual({ status: 'down', code: 'TIMEOUT', observedAt: result(0).observedAt, ms: 0.25, detail: 'no answer within 5000 ms' });
    expect(degraded).toMatchObject({ status: 'degraded', code: 'SLOW', detail: '200 in 1500 ms, over 1000 ms', httpStatus: 200 });
    expect(up).not.toHaveProperty('detail');
    // Overwrite the failures' slots with successes: their details go with them.
    ring.push(result(3));
    ring.push(result(4));
    expect(ring.toArray().map((e) => Object.keys(e))).toEqual(Array(3).fill(['status', 'code', 'observedAt', 'ms', 'httpStatus']));
    expect((ring as unknown as { details?: unknown }).details).toBeUndefined();
    // A failure in a slot that held a failure keeps only its own detail.
    ring.push(result(5, { status: 'down', code: 'ECONNREFUSED', detail: 'first' }));
    ring.push(result(6, { status: 'down', code: 'ECONNREFUSED', detail: 'second' }));
    ring.push(result(7));
    ring.push(result(8, { status: 'down', code: 'ECONNREFUSED', detail: 'third' }));
    expect(ring.toArray().map((e) => e.detail)).toEqual(['second', undefined, 'third']);
  });

  it('keeps a failure without a detail as one whose detail is undefined (as before)', () => {
    const ring = filled([result(0, { status: 'down', detail: undefined as unknown as string })]);
    expect(ring.toArray()[0]).toHaveProperty('detail', undefined);
    expect(ring.toArray()).toEqual(reference([result(0, { status: 'down', detail: undefined as unknown as string })]));
  });

  it('includes httpStatus only when the result had one, whatever its value', () => {
    const ring = filled([
      result(0, { httpStatus: undefined }),
      result(1, { httpStatus: 503, status: 'down', code: 'HTTP_STATUS', detail: 'got 503' }),
      result(2, { httpStatus: 0 }),
      result(3, { httpStatus: 70_000 }),
      result(4, { httpStatus: 299.5 }),
    ]);
    const entries = ring.toArray();
    expect(entries[0]).not.toHaveProperty('httpStatus');
    expect(entries.slice(1).map((e) => e.httpStatus)).toEqual([503, 0, 70_000, 299.5]);
    // A slot that held an odd HTTP status, overwritten by a result without one.
    expect(filled([result(0, { httpStatus: 0 }), result(1, { httpStatus: undefined })], 1).toArray()).toEqual([
      { status: 'up', code: 'OK', observedAt: result(1).observedAt, ms: 1.25 },
    ]);
  });

  it('interns codes: known and new ones, and more distinct codes than fit in a byte', () => {
    const many = Array.from({ length: 300 }, (_, i) => result(i, { status: 'down', code: `X_CODE_${i}`, detail: `d${i}` }));
    const ring = filled([result(0, { code: 'TLS_CERT_EXPIRING' }), ...many], 400);
    const entries = ring.toArray();
    expect(entries[0]!.code).toBe('TLS_CERT_EXPIRING');
    expect(entries.slice(1).map((e) => e.code)).toEqual(many.map((r) => r.code));
    // The same code string from another ring reads back the same.
    expect(filled([result(1, { code: 'X_CODE_7' })]).toArray()[0]!.code).toBe('X_CODE_7');
  });

  it('keeps exact durations and times, not rounded', () => {
    const rs = [result(0, { phases: { total: 12.34 } }), result(1, { phases: { total: 0.1 + 0.2 }, observedAt: 1_767_225_600_123 })];
    expect(filled(rs).toArray()).toEqual(reference(rs));
  });

  it('packs what probes give (whole epoch ms, durations in 0.01 ms steps) into its slots, nothing beside them', () => {
    const rs = [
      result(0, { phases: { total: 0 } }),
      result(1, { phases: { total: 0.29 }, observedAt: 0 }),
      result(2, { phases: { total: Math.round(123_456.789 * 100) / 100 }, observedAt: 2 ** 48 - 1 }),
      result(3, { phases: { total: 42_949_672.95 }, observedAt: Date.now() }),
    ];
    const ring = filled(rs);
    expect(ring.toArray()).toEqual(reference(rs));
    expect(ring.spilled).toBe(0);
  });

  it('keeps times and durations a slot cannot hold exactly beside it, and gives them back as pushed', () => {
    const odd = [
      { phases: { total: 0.001 } },
      { phases: { total: -0 } },
      { phases: { total: 42_949_672.96 } },
      { phases: { total: Number.POSITIVE_INFINITY } },
      { observedAt: 1.5 },
      { observedAt: -1 },
      { observedAt: 2 ** 48 },
      { observedAt: -0 },
    ];
    const rs = odd.map((over, i) => result(i, over));
    const ring = filled(rs);
    expect(ring.spilled).toBe(odd.length);
    expect(ring.toArray()).toEqual(reference(rs));
    expect(Object.is(ring.toArray()[1]!.ms, -0)).toBe(true);
    // Overwritten by packable results, the ring keeps nothing beside its slots any more.
    const ring2 = filled([...rs, ...Array.from({ length: 8 }, (_, i) => result(10 + i))], 8);
    expect(ring2.spilled).toBe(0);
    expect(ring2.toArray()).toEqual(reference([...rs, ...Array.from({ length: 8 }, (_, i) => result(10 + i))], 8));
  });

  it('gives exactly what the object-per-result history gave, for any sequence', () => {
    const status = fc.constantFrom<ProbeStatus>('up', 'degraded', 'down');
    const source = fc.record({
      status,
      code: fc.constantFrom('OK', 'TIMEOUT', 'HTTP_STATUS', 'SLOW', 'SOMETHING_NEW'),
      detail: fc.string({ maxLength: 20 }),
      observedAt: fc.double({ noNaN: true }),
      phases: fc.record({ total: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
      httpStatus: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(source, { maxLength: 250 }), fc.integer({ min: 1, max: 120 }), (results, size) => {
        const ring = filled(results, size);
        const want = reference(results, size);
        expect(ring.length).toBe(want.length);
        expect(JSON.stringify(ring.toArray())).toBe(JSON.stringify(want));
        expect(ring.toArray()).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});
