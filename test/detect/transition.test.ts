import { describe, expect, it } from 'vitest';
import { initialDetectorState, restartStreak, transition, type CheckState, type DetectorState } from '../../agent/detect/transition.js';
import type { ProbeStatus } from '../../agent/probes/types.js';

const policy = { failureThreshold: 3, successThreshold: 2 };
const code: Record<string, ProbeStatus> = { u: 'up', d: 'down', g: 'degraded' };

/** Feed results spelled as a string (u = up, d = down, g = degraded), one per second from t=1000. */
function run(results: string, start: DetectorState = initialDetectorState()) {
  let state = start;
  const states: CheckState[] = [];
  const changes: { from: CheckState; to: CheckState; at: number; decidedAt: number }[] = [];
  const confirming: boolean[] = [];
  [...results].forEach((r, i) => {
    const out = transition(state, { status: code[r]!, observedAt: 1000 * (i + 1) }, policy);
    state = out.state;
    states.push(state.state);
    confirming.push(out.confirming);
    if (out.change) changes.push(out.change);
  });
  return { state, states, changes, confirming };
}

describe('check state machine (failure_threshold 3, success_threshold 2)', () => {
  it.each([
    // results, final state, why
    ['u', 'UP', 'a first success is enough to know the check is up'],
    ['d', 'UNKNOWN', 'one failure at start proves nothing yet'],
    ['ddd', 'DOWN', 'three consecutive failures confirm an outage'],
    ['uddu', 'UP', 'failures below the threshold never leave UP'],
    ['udud', 'UP', 'alternating failures never add up to the threshold'],
    ['uddd', 'DOWN', 'three consecutive failures after UP'],
    ['udddu', 'DOWN', 'one success does not end an outage'],
    ['udddudu', 'DOWN', 'successes must be consecutive'],
    ['uddduu', 'UP', 'two consecutive successes end it'],
    ['uggg', 'DEGRADED', 'three slow answers make the check degraded'],
    ['uggd', 'DEGRADED', 'a failure streak that is not all down is degraded'],
    ['ugggddd', 'DOWN', 'degraded goes down after three downs'],
    ['ugggu', 'DEGRADED', 'one good answer does not end degradation'],
    ['ugggug', 'DEGRADED', 'recovery needs consecutive successes'],
    ['ugggguu', 'UP', 'two good answers end degradation'],
    ['udddgg', 'DEGRADED', 'a down check that answers slowly is degraded, not up'],
    ['udddgu', 'DEGRADED', 'mixed slow and good answers after an outage make it degraded'],
    ['udddguu', 'UP', 'and then up after two good answers'],
  ])('%s → %s: %s', (results, expected) => {
    expect(run(results).state.state).toBe(expected);
  });

  it('dates an outage from its first failing probe, not from when it was confirmed', () => {
    const { changes } = run('uuddd');
    expect(changes).toEqual([
      { from: 'UNKNOWN', to: 'UP', at: 1000, decidedAt: 1000 },
      { from: 'UP', to: 'DOWN', at: 3000, decidedAt: 5000 },
    ]);
  });

  it('dates an outage that follows a degraded spell from its first down probe', () => {
    const { changes } = run('ugggddd');
    expect(changes.at(-1)).toEqual({ from: 'DEGRADED', to: 'DOWN', at: 5000, decidedAt: 7000 });
  });

  it('dates the end of a degraded spell from the first good probe of the recovery', () => {
    const { changes } = run('uggggguu');
    expect(changes.at(-1)).toEqual({ from: 'DEGRADED', to: 'UP', at: 7000, decidedAt: 8000 });
  });

  it('dates a recovery from its first good probe', () => {
    const { changes } = run('udddduu');
    expect(changes.at(-1)).toEqual({ from: 'DOWN', to: 'UP', at: 6000, decidedAt: 7000 });
  });

  it('asks for a quick re-probe while a failure is unconfirmed and stops once it is', () => {
    expect(run('udddd').confirming).toEqual([false, true, true, false, false]);
  });

  it('asks for a re-probe to confirm degradation too', () => {
    expect(run('uggg').confirming).toEqual([false, true, true, false]);
  });

  it('keeps `since` at the moment the current state was entered', () => {
    const { state } = run('uudddd');
    expect(state.since).toBe(5000);
  });

  it('honours a threshold of one: the first failure is an outage', () => {
    const out = transition(initialDetectorState(), { status: 'down', observedAt: 1 }, { failureThreshold: 1, successThreshold: 1 });
    expect(out.state.state).toBe('DOWN');
    expect(out.confirming).toBe(false);
  });
});

describe('restartStreak', () => {
  it('forgets the failures of the current streak, so the next failure is the first of a new one', () => {
    const policy = { failureThreshold: 3, successThreshold: 2 };
    let s = transition(initialDetectorState(0), { status: 'up', observedAt: 1 }, policy).state;
    s = transition(s, { status: 'down', observedAt: 2 }, policy).state;
    s = transition(s, { status: 'down', observedAt: 3 }, policy).state;
    const restarted = restartStreak(s);
    expect(restarted).toMatchObject({ state: 'UP', failures: 0, downs: 0, downSince: undefined, failingSince: undefined });
    const next = transition(restarted, { status: 'down', observedAt: 4 }, policy);
    expect(next.change).toBeUndefined();
    expect(next.state).toMatchObject({ downs: 1, downSince: 4 });
  });
});
