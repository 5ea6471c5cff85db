/**
 * When to try an undelivered request again: a pure policy, so every rule is a table test.
 * Only failures that can heal are retried — network errors, 429 and 5xx (and 408); any other 4xx
 * means the request itself is wrong and goes to the dead letters instead (PagerDuty's rule:
 * retry 429/5xx, never 400). Waits grow exponentially with "equal jitter" (between half and all of the step), are capped, and honour
 * the authority's Retry-After when it is longer.
 */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, factor: 2 };

/** HTTP statuses worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * Delay before attempt number `attempt + 1` (attempt counts failures so far, from 1).
 * `random` in [0, 1) spreads retries of many entries; Retry-After is a floor.
 */
export function retryDelay(attempt: number, policy: RetryPolicy, random: number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  const jittered = Math.round(ceiling / 2 + (ceiling / 2) * random);
  return Math.min(Math.max(jittered, retryAfterMs ?? 0), Math.max(policy.maxMs, retryAfterMs ?? 0));
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only an HTTP date (RFC 9110 §5.6.7: IMF-fixdate, RFC 850 or asctime, each starting with the day
  // name and carrying hh:mm:ss): Date.parse alone reads free text such as "retry in 2099" as a date.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? .*\b\d\d:\d\d:\d\d\b/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
