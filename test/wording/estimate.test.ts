import { describe, expect, it } from 'vitest';
import { IMPACT_FACTOR, estimateAffected, estimateIncident, estimateSpans, incidentSpans } from '../../agent/wording/estimate.js';
import { HOUR, MIN, T0, closedIncident, openIncident } from './fixtures.js';

describe('estimateAffected', () => {
  it.each([
    ['a day of total outage', 24_000, 0, 24 * HOUR, 'total', 24_000],
    ['an hour of total outage', 24_000, 0, HOUR, 'total', 1_000],
    ['an hour of partial outage', 24_000, 0, HOUR, 'partial', 500],
    ['an hour of degraded performance', 24_000, 0, HOUR, 'degraded', 250],
    ['rounds to the nearest', 1_000, 0, 90 * MIN, 'total', 63], // 62.5 → 63
    ['at least one when users exist and time passed', 10, 0, MIN, 'degraded', 1],
    ['nothing without a daily figure', 0, 0, 24 * HOUR, 'total', 0],
    ['nothing when no time passed', 24_000, T0, T0, 'total', 0],
    ['nothing for a span that ends before it starts', 24_000, T0, T0 - HOUR, 'total', 0],
    ['nothing for a negative daily figure', -5, 0, HOUR, 'total', 0],
  ] as const)('%s', (_name, perDay, from, to, impact, expected) => {
    expect(estimateAffected(perDay, from, to, impact)).toBe(expected);
  });

  it('uses the documented factors', () => {
    expect(IMPACT_FACTOR).toEqual({ total: 1, partial: 0.5, degraded: 0.25 });
  });

  it('sums spans before rounding, and gives at least one', () => {
    expect(
      estimateSpans(24_000, [
        { from: 0, to: HOUR, impact: 'total' },
        { from: HOUR, to: 2 * HOUR, impact: 'degraded' },
      ]),
    ).toBe(1_250);
    expect(
      estimateSpans(1, [
        { from: 0, to: 1, impact: 'degraded' },
        { from: 1, to: 2, impact: 'degraded' },
      ]),
    ).toBe(1);
    expect(estimateSpans(1, [])).toBe(0);
  });
});

describe('estimateIncident', () => {
  it('counts an open incident from its start to now', () => {
    expect(estimateIncident(48_000, openIncident(), T0 + 2 * HOUR + 15 * MIN)).toBe(4_500);
  });

  it('counts each part of a closed incident at its own impact, up to its end', () => {
    const incident = closedIncident();
    expect(incidentSpans(incident, T0 + 10 * HOUR)).toEqual([
      { from: T0, to: T0 + HOUR, impact: 'total' },
      { from: T0 + HOUR, to: T0 + 2 * HOUR + 15 * MIN, impact: 'partial' },
    ]);
    expect(estimateIncident(48_000, incident, T0 + 10 * HOUR)).toBe(2_000 + 1_250);
  });

  it('does not count a degraded stretch as total, nor time after recovery', () => {
    const incident = openIncident({
      timeline: [
        { at: T0, state: 'DOWN', impact: 'total', checks: ['home'] },
        { at: T0 + HOUR, state: 'DEGRADED', impact: 'degraded', checks: ['home'] },
      ],
    });
    expect(estimateIncident(24_000, incident, T0 + 2 * HOUR)).toBe(1_000 + 250);
  });

  it('falls back to the current impact when the timeline is empty', () => {
    expect(estimateIncident(24_000, openIncident({ timeline: [], impact: 'partial' }), T0 + HOUR)).toBe(500);
  });
});
