/** The incident record: what the reporting pipeline files, updates and closes. */
import type { Impact, ServiceState } from '../detect/service-state.js';
import type { ProbePhases, ProbeStatus } from '../probes/types.js';

/** One probe result kept as evidence: what was seen, from where, and how long each phase took. */
export interface Evidence {
  check: string;
  type: string;
  status: ProbeStatus;
  code: string;
  detail: string;
  phases: ProbePhases;
  observedAt: number;
  httpStatus?: number;
  /** The agent (vantage point) that saw it. */
  agentId: string;
}

export interface TimelineEntry {
  at: number;
  state: ServiceState;
  impact?: Impact;
  /** Checks that were failing at that moment. */
  checks: string[];
}

export interface Incident {
  /** Stable for the incident's life; the reporting pipeline derives its idempotency key from it. */
  id: string;
  serviceId: string;
  status: 'open' | 'closed';
  /** observedAt of the first failing probe: when users started to suffer. */
  startedAt: number;
  /** When the outage was confirmed by the thresholds. */
  detectedAt: number;
  /** When the service stopped being DOWN: the first good (or merely degraded) probe of the recovery. */
  endedAt?: number;
  impact: Impact;
  /** Every check that failed during the incident. */
  checks: string[];
  timeline: TimelineEntry[];
  /** Results of the service's checks while it was down: why it was down. Refreshed on every change while open. */
  evidence: Evidence[];
  /** Results when it came back, kept apart so the failure evidence survives the close. */
  recoveryEvidence?: Evidence[];
  /** Why it closed: the service recovered, or it was removed from the config while open. */
  resolution?: 'recovered' | 'unmonitored';
  /**
   * Set when the service kept going down and up (more than `flapping.changes` state changes within
   * `flapping.window`): the incident stays open, reported as intermittent, until the service has
   * been stable for a whole window.
   */
  flapping?: { since: number; changes: number };
  /** Services that depend on this one and failed while it was down: rolled into this incident. */
  affected?: AffectedService[];
}

export interface AffectedService {
  serviceId: string;
  name: { ar: string; en: string };
  since: number;
  /** When that service was serving again. */
  until?: number;
}
