/**
 * Runs a probe bounded by its check's timeout. The timeout is a plain timer on the run's own
 * AbortController (AbortSignal.any over a long-lived shutdown signal leaks an entry per probe in
 * Node 20); `inFlight` lets the owner abort every run at once on shutdown. The probe gets the
 * clock in its context: its result's times are the clock's.
 */
import type { Clock } from '../clock.js';
import type { CheckSpec } from '../config/resolve.js';
import type { Logger } from '../log.js';
import type { ProbeRunner } from '../probes/registry.js';
import type { ProbeResult } from '../probes/types.js';

export async function runBounded(probe: ProbeRunner, spec: CheckSpec, clock: Clock, log: Logger, inFlight: Set<AbortController>): Promise<ProbeResult> {
  const ac = new AbortController();
  const timer = clock.setTimer(() => ac.abort(new DOMException(`no answer within ${spec.timeoutMs} ms`, 'TimeoutError')), spec.timeoutMs);
  inFlight.add(ac);
  try {
    return await probe(spec.config, { signal: ac.signal, log, timeoutMs: spec.timeoutMs, clock });
  } finally {
    clock.clearTimer(timer);
    inFlight.delete(ac);
  }
}
