/**
 * The outage state machine of one check: a pure function of (state, result, policy), so every
 * rule is tested with tables and nothing here does I/O or reads a clock.
 *
 * UNKNOWN → UP on the first success: there is nothing to confirm about a working service.
 * Anything → DOWN after `failureThreshold` consecutive down results; → DEGRADED after as many
 * consecutive non-up results that are not all down (slow answers, certificates expiring).
 * DOWN → UP (or DEGRADED) only after `successThreshold` consecutive better results, so a single
 * lucky probe does not end an incident.
 */
import type { ProbeResult, ProbeStatus } from '../probes/types.js';

export type CheckState = 'UNKNOWN' | 'UP' | 'DEGRADED' | 'DOWN';
export const CHECK_STATES: readonly CheckState[] = ['UNKNOWN', 'UP', 'DEGRADED', 'DOWN'];

export interface DetectorState {
  state: CheckState;
  /** Epoch ms the current state was entered (observedAt of the deciding result). */
  since: number;
  /** Consecutive results that were not up (degraded or down). */
  failures: number;
  /** Consecutive down results. */
  downs: number;
  /** Consecutive up results. */
  successes: number;
  /** Consecutive results that were not down (up or degraded). */
  notDowns: number;
  /** observedAt of the first non-up result of the current streak: when degradation began. */
  failingSince?: number;
  /** observedAt of the first down result of the current streak of downs: when the outage began. */
  downSince?: number;
  /** observedAt of the first up result of the current streak of ups. */
  upSince?: number;
  /** observedAt of the first good result of the current recovery streak: when service came back. */
  recoveringSince?: number;
}

export interface DetectPolicy {
  failureThreshold: number;
  successThreshold: number;
}

export interface StateChange {
  from: CheckState;
  to: CheckState;
  /** When the change is deemed to have happened: start of the streak that caused it. */
  at: number;
  /** When it was decided (observedAt of the deciding result). */
  decidedAt: number;
}

export interface TransitionOutput {
  state: DetectorState;
  change?: StateChange;
  /**
   * The check is failing but not yet confirmed: the scheduler should re-probe after the
   * retry interval instead of waiting a full interval.
   */
  confirming: boolean;
}

export function initialDetectorState(since = 0, state: CheckState = 'UNKNOWN'): DetectorState {
  return { state, since, failures: 0, downs: 0, successes: 0, notDowns: 0 };
}

/**
 * The state with its current streak of failures forgotten: what the blind guard asks for when the
 * streak began before the agent could last see the network, so failures it could not judge do not
 * add up to an outage with the ones after.
 */
export function restartStreak(prev: DetectorState): DetectorState {
  return {
    state: prev.state,
    since: prev.since,
    failures: 0,
    downs: 0,
    successes: prev.successes,
    notDowns: prev.notDowns,
    failingSince: undefined,
    downSince: undefined,
    upSince: prev.upSince,
    recoveringSince: prev.recoveringSince,
  };
}

export function transition(prev: DetectorState, result: Pick<ProbeResult, 'status' | 'observedAt'>, policy: DetectPolicy): TransitionOutput {
  const s = count(prev, result.status, result.observedAt);
  const next = decide(prev.state, s, result.status, policy);
  const state: DetectorState = {
    state: next,
    since: next === prev.state ? prev.since : result.observedAt,
    failures: s.failures,
    downs: s.downs,
    successes: s.successes,
    notDowns: s.notDowns,
    failingSince: s.failingSince,
    downSince: s.downSince,
    upSince: s.upSince,
    recoveringSince: s.recoveringSince,
  };
  const confirming =
    next !== 'DOWN' &&
    ((result.status === 'down' && s.downs < policy.failureThreshold) ||
      (result.status === 'degraded' && next !== 'DEGRADED' && s.failures < policy.failureThreshold));
  if (next === prev.state) return { state, confirming };
  const streakStart = next === 'DOWN' ? s.downSince : prev.state === 'DOWN' ? s.recoveringSince : next === 'UP' ? s.upSince : s.failingSince;
  return {
    state,
    confirming,
    change: { from: prev.state, to: next, at: streakStart ?? result.observedAt, decidedAt: result.observedAt },
  };
}

function count(prev: DetectorState, status: ProbeStatus, at: number): Omit<DetectorState, 'state' | 'since'> {
  const up = status === 'up';
  const down = status === 'down';
  const failures = up ? 0 : prev.failures + 1;
  const notDowns = down ? 0 : prev.notDowns + 1;
  return {
    failures,
    downs: down ? prev.downs + 1 : 0,
    successes: up ? prev.successes + 1 : 0,
    notDowns,
    failingSince: up ? undefined : failures === 1 ? at : (prev.failingSince ?? at),
    downSince: !down ? undefined : prev.downs === 0 ? at : (prev.downSince ?? at),
    upSince: !up ? undefined : prev.successes === 0 ? at : (prev.upSince ?? at),
    recoveringSince: down ? undefined : notDowns === 1 ? at : (prev.recoveringSince ?? at),
  };
}

function decide(from: CheckState, s: Omit<DetectorState, 'state' | 'since'>, status: ProbeStatus, p: DetectPolicy): CheckState {
  if (s.downs >= p.failureThreshold) return 'DOWN';
  if (from === 'DOWN') {
    if (status === 'up' && s.successes >= p.successThreshold) return 'UP';
    if (status !== 'down' && s.notDowns >= p.successThreshold) return 'DEGRADED';
    return 'DOWN';
  }
  if (status === 'up') {
    if (from === 'DEGRADED') return s.successes >= p.successThreshold ? 'UP' : 'DEGRADED';
    return 'UP';
  }
  if (s.failures >= p.failureThreshold) return 'DEGRADED';
  return from;
}
