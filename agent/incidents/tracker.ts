/**
 * Opens an incident when a service goes DOWN, records every later change in its timeline, and
 * closes it when the service is no longer DOWN (UP, or DEGRADED: serving again, if slowly or with
 * a warning — a certificate that expires in ten days is not an outage). Listeners (the reporting
 * pipeline) hear of a change only once it is durable in the state file, in the order changes
 * happened, and only ever read incidents: data flows one way.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Impact, ServiceState } from '../detect/service-state.js';
import type { StateStore } from '../store/types.js';
import type { Evidence, Incident } from './types.js';

/** Closed incidents kept in the state file; older ones are dropped (reports keep their own copy). */
export const KEEP_CLOSED = 200;

export type IncidentEvent =
  | { type: 'opened'; incident: Incident }
  | { type: 'changed'; incident: Incident }
  | { type: 'closed'; incident: Incident };

export interface ServiceChange {
  serviceId: string;
  from: ServiceState;
  to: ServiceState;
  /** When the change began (start of the deciding streak). */
  at: number;
  impact: Impact | undefined;
  /** Ids of the checks failing now. */
  failing: string[];
  evidence: Evidence[];
}

export interface TrackerOptions {
  store: StateStore;
  metrics: Metrics;
  clock: Clock;
  log: Logger;
}

export class IncidentTracker {
  private readonly listeners = new Set<(event: IncidentEvent) => void>();
  private delivery: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly opts: TrackerOptions) {
    this.log = opts.log.child({ module: 'incidents' });
  }

  onEvent(listener: (event: IncidentEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  openFor(serviceId: string): Incident | undefined {
    return this.opts.store.data.incidents.find((i) => i.serviceId === serviceId && i.status === 'open');
  }

  open(): Incident[] {
    return this.opts.store.data.incidents.filter((i) => i.status === 'open');
  }

  recent(limit = 20): Incident[] {
    return this.opts.store.data.incidents.filter((i) => i.status === 'closed').slice(-limit).reverse();
  }

  /** Apply a service state change; returns the event it caused, if any. */
  serviceChanged(change: ServiceChange): IncidentEvent | undefined {
    const current = this.openFor(change.serviceId);
    if (!current) {
      if (change.to !== 'DOWN') return undefined;
      return this.openIncident(change);
    }
    if (change.to !== 'DOWN') return this.close(current, change.at, 'recovered', change.evidence);
    return this.record(current, change);
  }

  /** Close an open incident whose service is no longer watched (removed from the config). */
  unmonitored(serviceId: string): IncidentEvent | undefined {
    const current = this.openFor(serviceId);
    return current ? this.close(current, this.opts.clock.now(), 'unmonitored', []) : undefined;
  }

  private openIncident(change: ServiceChange): IncidentEvent {
    const incident: Incident = {
      id: this.newId(change.serviceId, change.at),
      serviceId: change.serviceId,
      status: 'open',
      startedAt: change.at,
      detectedAt: this.opts.clock.now(),
      impact: change.impact ?? 'total',
      checks: [...change.failing],
      timeline: [{ at: change.at, state: change.to, impact: change.impact, checks: [...change.failing] }],
      evidence: change.evidence,
    };
    this.opts.store.update((d) => {
      d.incidents.push(incident);
    });
    this.opts.metrics.incidents.inc({ service: change.serviceId });
    this.countOpen(change.serviceId);
    this.log.warn({ incident: incident.id, service: change.serviceId, checks: incident.checks, impact: incident.impact }, 'incident opened');
    return this.emit({ type: 'opened', incident });
  }

  private record(incident: Incident, change: ServiceChange): IncidentEvent {
    this.opts.store.update(() => {
      incident.timeline.push({ at: change.at, state: change.to, impact: change.impact, checks: [...change.failing] });
      for (const check of change.failing) if (!incident.checks.includes(check)) incident.checks.push(check);
      if (change.impact) incident.impact = change.impact;
      incident.evidence = change.evidence;
    });
    this.log.info({ incident: incident.id, state: change.to, impact: change.impact }, 'incident changed');
    return this.emit({ type: 'changed', incident });
  }

  private close(incident: Incident, endedAt: number, resolution: Incident['resolution'], evidence: Evidence[]): IncidentEvent {
    this.opts.store.update((d) => {
      incident.status = 'closed';
      incident.endedAt = endedAt;
      incident.resolution = resolution;
      if (evidence.length > 0) incident.recoveryEvidence = evidence;
      incident.timeline.push({ at: endedAt, state: resolution === 'recovered' ? 'UP' : 'UNKNOWN', checks: [] });
      const closed = d.incidents.filter((i) => i.status === 'closed');
      if (closed.length > KEEP_CLOSED) {
        const drop = new Set(closed.slice(0, closed.length - KEEP_CLOSED));
        d.incidents = d.incidents.filter((i) => !drop.has(i));
      }
    });
    this.countOpen(incident.serviceId);
    this.log.info({ incident: incident.id, service: incident.serviceId, resolution, durationSeconds: Math.round((endedAt - incident.startedAt) / 1000) }, 'incident closed');
    return this.emit({ type: 'closed', incident });
  }

  private countOpen(serviceId: string): void {
    this.opts.metrics.incidentsOpen.set({ service: serviceId }, this.openFor(serviceId) ? 1 : 0);
  }

  private newId(serviceId: string, at: number): string {
    const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const base = `${serviceId}-${stamp}`;
    const taken = new Set(this.opts.store.data.incidents.map((i) => i.id));
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    return id;
  }

  /** Resolves once every event so far has been made durable and delivered. */
  settled(): Promise<void> {
    return this.delivery;
  }

  private emit(event: IncidentEvent): IncidentEvent {
    // Incidents are rare and matter: write now rather than with the next coalesced batch, and let
    // listeners (who file reports) hear of them only once they are on disk.
    this.delivery = this.delivery.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.opts.store.flush();
          break;
        } catch (err) {
          if (attempt === 1) this.log.error({ err, incident: event.incident.id }, 'incident not yet durable; holding it until the state file can be written');
          await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * attempt)));
        }
      }
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (err) {
          this.log.error({ err, event: event.type }, 'incident listener failed');
        }
      }
    });
    return event;
  }
}
