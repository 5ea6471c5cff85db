/**
 * Counts each service's DOWN ↔ not-DOWN changes in a sliding window. More than the configured
 * number of changes within the window makes the service FLAPPING: its incident then stays open
 * (no open/close storm, no report storm) until the service has been stable for a whole window.
 * Kept in memory: after a restart counting starts again, while an incident already flapping
 * stays so (the mark is persisted on the incident).
 */
export interface FlapPolicy {
  changes: number;
  window: number;
}

export class FlapCounter {
  private readonly flips = new Map<string, number[]>();

  /** Note a change at `at`; returns how many changes the window now holds. */
  note(serviceId: string, at: number, policy: FlapPolicy): number {
    const recent = (this.flips.get(serviceId) ?? []).filter((t) => t > at - policy.window);
    recent.push(at);
    this.flips.set(serviceId, recent);
    return recent.length;
  }

  count(serviceId: string, now: number, policy: FlapPolicy): number {
    return (this.flips.get(serviceId) ?? []).filter((t) => t > now - policy.window).length;
  }

  /** When the service last changed, if this process saw it. */
  last(serviceId: string): number | undefined {
    return this.flips.get(serviceId)?.at(-1);
  }

  forget(serviceId: string): void {
    this.flips.delete(serviceId);
  }
}
