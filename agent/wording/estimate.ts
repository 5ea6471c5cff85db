/**
 * Estimated beneficiaries affected by an outage. The authority asks for a number; nobody knows
 * the true one, so raqib gives a stated, reproducible estimate from the service's configured
 * `beneficiaries_per_day` rather than a guess that changes with the wording of each report.
 */
import type { Impact } from '../detect/service-state.js';
import type { Incident } from '../incidents/types.js';

const DAY_MS = 86_400_000;

/**
 * Share of the usual users an impact affects. total: everyone who would have used the service;
 * partial: half (some functions or some users still get through); degraded: a quarter (the
 * service works, slowly or with errors, and most users finish, some give up). Round figures on
 * purpose: they are a convention the crisis team can explain, not a measurement.
 */
export const IMPACT_FACTOR: Readonly<Record<Impact, number>> = { total: 1, partial: 0.5, degraded: 0.25 };

/** A stretch of an incident with one impact. */
export interface ImpactSpan {
  from: number;
  to: number;
  impact: Impact;
}

function raw(perDay: number, span: ImpactSpan): number {
  return span.to > span.from ? perDay * ((span.to - span.from) / DAY_MS) * IMPACT_FACTOR[span.impact] : 0;
}

/**
 * round(perDay × hours/24 × factor) over the given spans, assuming users spread evenly over
 * the day (no time-of-day curve: the config has no such data). At least 1 when the service
 * has users (perDay > 0) and some span is longer than zero, since an outage that users could
 * have met never affected "0" of them; 0 when perDay is 0 (not configured) or nothing elapsed.
 */
export function estimateSpans(beneficiariesPerDay: number, spans: readonly ImpactSpan[]): number {
  if (!(beneficiariesPerDay > 0)) return 0;
  const perDay = beneficiariesPerDay;
  const lasted = spans.some((s) => s.to > s.from);
  if (!lasted) return 0;
  const total = spans.reduce((sum, s) => sum + raw(perDay, s), 0);
  return Math.max(1, Math.round(total));
}

/** The estimate for one span with one impact; see {@link estimateSpans} for the rule. */
export function estimateAffected(beneficiariesPerDay: number, fromMs: number, toMs: number, impact: Impact): number {
  return estimateSpans(beneficiariesPerDay, [{ from: fromMs, to: toMs, impact }]);
}

/** The impact a timeline entry stands for: DOWN and DEGRADED count, UP and UNKNOWN do not. */
export function entryImpact(entry: Incident['timeline'][number]): Impact | undefined {
  if (entry.state === 'DOWN') return entry.impact ?? 'total';
  if (entry.state === 'DEGRADED') return entry.impact ?? 'degraded';
  return undefined;
}

/**
 * The incident's spans from its timeline, up to `toMs` (now for an open incident, its end for
 * a closed one): an incident that went from total to degraded counts each part at its own rate.
 * Without a timeline, the whole incident at its current impact.
 */
export function incidentSpans(incident: Incident, toMs: number): ImpactSpan[] {
  const end = Math.min(toMs, incident.endedAt ?? Infinity);
  const entries = [...incident.timeline].sort((a, b) => a.at - b.at);
  if (entries.length === 0) return [{ from: incident.startedAt, to: end, impact: incident.impact }];
  const spans: ImpactSpan[] = [];
  entries.forEach((entry, i) => {
    const impact = entryImpact(entry);
    const from = Math.max(entry.at, incident.startedAt);
    const to = Math.min(entries[i + 1]?.at ?? end, end);
    if (impact && to > from) spans.push({ from, to, impact });
  });
  return spans;
}

/** Beneficiaries an incident has affected up to `toMs`, span by span. */
export function estimateIncident(beneficiariesPerDay: number, incident: Incident, toMs: number): number {
  return estimateSpans(beneficiariesPerDay, incidentSpans(incident, toMs));
}
