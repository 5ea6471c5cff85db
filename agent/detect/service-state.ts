/**
 * A service's state and impact, derived from its checks' states. Pure, like transition.ts.
 * A critical check that is DOWN takes the service DOWN; a non-critical one, or any DEGRADED
 * check, makes it DEGRADED. UNKNOWN checks (not yet run) neither help nor hurt.
 */
import type { CheckState } from './transition.js';

export type ServiceState = CheckState;

/** How much of the service an outage takes away, as the authority's report asks. */
export type Impact = 'total' | 'partial' | 'degraded';

export interface CheckView {
  state: CheckState;
  critical: boolean;
}

export function deriveServiceState(checks: readonly CheckView[]): ServiceState {
  let known = false;
  let degraded = false;
  for (const c of checks) {
    if (c.state === 'UNKNOWN') continue;
    known = true;
    if (c.state === 'DOWN' && c.critical) return 'DOWN';
    if (c.state === 'DOWN' || c.state === 'DEGRADED') degraded = true;
  }
  if (!known) return 'UNKNOWN';
  return degraded ? 'DEGRADED' : 'UP';
}

/** total: every critical check is down; partial: some are; degraded: none is down but some suffer. */
export function deriveImpact(checks: readonly CheckView[]): Impact | undefined {
  const critical = checks.filter((c) => c.critical);
  const down = critical.filter((c) => c.state === 'DOWN').length;
  if (down > 0) return down === critical.length ? 'total' : 'partial';
  return checks.some((c) => c.state === 'DOWN' || c.state === 'DEGRADED') ? 'degraded' : undefined;
}
