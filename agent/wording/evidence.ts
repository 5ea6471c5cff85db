/**
 * Incident evidence in the contract's shape, and the failing checks the texts explain. The
 * authority gets what the probes saw (status, code, HTTP status, timing phases, vantage point),
 * failures first, so the 50 items the contract allows are spent on what shows the outage.
 */
import type { EvidenceItem } from '../authority/contract.js';
import type { Evidence, Incident } from '../incidents/types.js';
import { toIso } from './dates.js';
import { UNKNOWN_REASON, codeReason } from './templates-codes.js';
import type { FailingCheck } from './templates.js';

/** The contract's cap on evidence items per report or update. */
export const MAX_EVIDENCE = 50;
const MAX_DETAIL = 2_000;

const RANK = { down: 0, degraded: 1, up: 2 } as const;

function phasesOf(phases: Evidence['phases']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, ms] of Object.entries(phases)) {
    if (typeof ms === 'number' && Number.isFinite(ms)) out[name] = Math.max(0, ms);
  }
  return out;
}

/**
 * Evidence items for the contract: down first, then degraded, then up, newest first within each,
 * at most {@link MAX_EVIDENCE}; times as ISO with the zone's offset, phases in ms as measured.
 */
export function toEvidenceItems(evidence: readonly Evidence[], serviceId: string, timeZone: string): EvidenceItem[] {
  return [...evidence]
    .sort((a, b) => RANK[a.status] - RANK[b.status] || b.observedAt - a.observedAt)
    .slice(0, MAX_EVIDENCE)
    .map((e) => ({
      service_id: serviceId,
      check: e.check,
      type: e.type,
      status: e.status,
      code: e.code,
      detail: e.detail.length > MAX_DETAIL ? `${e.detail.slice(0, MAX_DETAIL - 1)}…` : e.detail,
      phases: phasesOf(e.phases),
      observed_at: toIso(e.observedAt, timeZone),
      ...(e.httpStatus !== undefined && Number.isInteger(e.httpStatus) ? { http_status: e.httpStatus } : {}),
      agent_id: e.agentId,
    }));
}

/**
 * The checks failing now and why, from the latest failing result of each check, in the order
 * the incident first saw them fail. When the evidence holds no failure (it can lag the
 * timeline), the checks of the latest timeline entry are listed without a reason.
 */
export function failingChecks(incident: Incident): FailingCheck[] {
  const latest = new Map<string, Evidence>();
  for (const e of incident.evidence) {
    if (e.status === 'up') continue;
    const seen = latest.get(e.check);
    if (!seen || e.observedAt > seen.observedAt) latest.set(e.check, e);
  }
  if (latest.size > 0) {
    const order = (check: string): number => {
      const i = incident.checks.indexOf(check);
      return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    return [...latest.values()]
      .sort((a, b) => order(a.check) - order(b.check) || a.check.localeCompare(b.check))
      .map((e) => ({ check: e.check, reason: codeReason(e.code, e.httpStatus) }));
  }
  const last = [...incident.timeline].sort((a, b) => a.at - b.at).at(-1);
  return (last?.checks ?? incident.checks).map((check) => ({ check, reason: UNKNOWN_REASON }));
}
