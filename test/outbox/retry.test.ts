import { describe, expect, it } from 'vitest';
import { AuthorityError } from '../../agent/authority/errors.js';
import { DEFAULT_RETRY, isRetryableStatus, parseRetryAfter, retryDelay, type RetryPolicy } from '../../agent/outbox/retry.js';

const policy: RetryPolicy = { baseMs: 1_000, maxMs: 60_000, factor: 2 };
/** The largest value Math.random can return, as near 1 as a double below 1 gets. */
const ALMOST_ONE = 1 - Number.EPSILON / 2;

describe('retryDelay', () => {
  it.each([
    // attempt, random, expected ms
    [1, ALMOST_ONE, 1_000],
    [2, ALMOST_ONE, 2_000],
    [3, ALMOST_ONE, 4_000],
    [4, ALMOST_ONE, 8_000],
    [6, ALMOST_ONE, 32_000],
    [7, ALMOST_ONE, 60_000], // 64 s is over the cap
    [50, ALMOST_ONE, 60_000],
    [5_000, ALMOST_ONE, 60_000], // factor ** attempt overflows to Infinity: still the cap
    [1, 0, 500],
    [2, 0, 1_000],
    [3, 0, 2_000],
    [7, 0, 30_000], // half of the cap
    [5_000, 0, 30_000],
    [3, 0.5, 3_000], // three quarters of 4 s
  ])('waits after failure %i with random %d: %i ms', (attempt, random, expected) => {
    expect(retryDelay(attempt, policy, random)).toBe(expected);
  });

  it('grows by the factor at each failure until the cap, then stays there', () => {
    const delays = Array.from({ length: 12 }, (_, i) => retryDelay(i + 1, policy, ALMOST_ONE));
    for (let i = 1; i < delays.length; i++) {
      expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
      if (delays[i]! < policy.maxMs) expect(delays[i]).toBe(delays[i - 1]! * policy.factor);
    }
    expect(delays.at(-1)).toBe(policy.maxMs);
  });

  it('keeps equal jitter between half and all of the step, never above the cap', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const step = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
      for (const random of [0, 0.001, 0.25, 0.5, 0.75, 0.999, ALMOST_ONE]) {
        const d = retryDelay(attempt, policy, random);
        expect(d).toBeGreaterThanOrEqual(step / 2);
        expect(d).toBeLessThanOrEqual(step);
      }
    }
  });

  it.each([
    // attempt, random, Retry-After ms, expected ms
    [1, 0, 5_000, 5_000], // Retry-After longer than the backoff: wait for it
    [1, 0, 100, 500], // shorter: the backoff stands
    [4, ALMOST_ONE, 8_000, 8_000],
    [7, 0, 60_000, 60_000], // equal to the cap
    [1, 0, 120_000, 120_000], // above the cap: the authority said so, it wins
    [20, ALMOST_ONE, 600_000, 600_000],
    [3, 0, 0, 2_000], // Retry-After: 0 is no floor at all
  ])('after failure %i (random %d) with Retry-After %i ms waits %i ms', (attempt, random, retryAfter, expected) => {
    expect(retryDelay(attempt, policy, random, retryAfter)).toBe(expected);
  });

  it('has a default policy from 1 s up to 5 min', () => {
    expect(retryDelay(1, DEFAULT_RETRY, ALMOST_ONE)).toBe(1_000);
    expect(retryDelay(100, DEFAULT_RETRY, ALMOST_ONE)).toBe(300_000);
    expect(retryDelay(100, DEFAULT_RETRY, 0)).toBe(150_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-28T06:30:00Z');

  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 7 ', 7_000],
    ['3600', 3_600_000],
  ])('reads delay-seconds %j as %i ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([
    ['Sat, 28 Nov 2026 06:30:45 GMT', 45_000], // IMF-fixdate
    ['Saturday, 28-Nov-26 06:31:00 GMT', 60_000], // obsolete RFC 850 form
    ['Sat, 28 Nov 2026 06:29:00 GMT', 0], // already past: no wait
  ])('reads the HTTP date %j as %i ms from now', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([undefined, '', '   ', 'soon', '-5', '1.5', '2 minutes', '12abc', 'abc 12', 'Retry in 2', 'in 30', 'null', 'retry in 2099', 'later 2030', 'Wed'])(
    'gives undefined for %j (absent or unreadable)',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );
});

describe('isRetryableStatus', () => {
  it.each([408, 425, 429, 500, 502, 503, 504])('retries %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
    expect(new AuthorityError('http', 'x', { status }).retryable).toBe(true);
  });

  it.each([400, 401, 403, 404, 405, 409, 413, 415, 422])('never retries %i unchanged', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
    expect(new AuthorityError('http', 'x', { status }).retryable).toBe(false);
  });

  it('classifies error kinds: network and invalid answers retry, a lost sign-in does not', () => {
    expect(new AuthorityError('network', 'x').retryable).toBe(true);
    expect(new AuthorityError('invalid_answer', 'x').retryable).toBe(true);
    expect(new AuthorityError('auth', 'x', { status: 401 }).retryable).toBe(false);
    expect(new AuthorityError('http', 'x').retryable).toBe(false); // no status: not a known healing failure
  });
});
