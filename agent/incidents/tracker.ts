/**
 * Opens an incident when a service goes DOWN, records every later change in its timeline, and
 * closes it when the service is no longer DOWN (UP, or DEGRADED: serving again, if slowly or with
 * a warning — a certificate that expires in ten days is not an outage). Two refinements keep the
 * authority from hearing noise:
 * - flapping: a service that changes state more than `flapping.changes` times within
 *   `flapping.window` keeps one incident open, marked intermittent, until it has been stable for a
 *   whole window (`tick` closes it then);
 * - dependencies: a service that goes DOWN while a service it `depends_on` has an open incident
 *   joins that incident as affected, instead of opening its own; if it is still down when that
 *   incident closes, it gets its own then.
 * Listeners (the reporting chain) hear of a change only once it is durable in the state file, in
 * the order changes happened, each with a copy of the incident as it was at that change; the
 * tracker asks nothing of anyone downstream or upstream: it keeps the last change it was given of
 * each service. Data flows one way.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Impact, ServiceState } from '../detect/service-state.js';
import type { StateStore } from '../store/types.js';
import { flushUntilDurable } from '../store/until-durable.js';
import { FlapCounter, type FlapPolicy } from './flapping.js';
import type { Evidence, Incident, TimelineEntry } from './types.js';

/** Timeline entries kept per incident: a service flapping for days must not grow the state file without end. */
export const MAX_TIMELINE = 1_000;

/** Append, keeping the opening entry and the most recent ones. */
function appendTimeline(incident: Incident, entry: TimelineEntry): void {
  incident.timeline.push(entry);
  if (incident.timeline.length > MAX_TIMELINE) incident.timeline.splice(1, incident.timeline.length - MAX_TIMELINE);
}

/** Closed incidents kept in the state file; older ones are dropped unless their report is unfinished. */
export const KEEP_CLOSED = 200;

/** An incident event carries a copy of the incident at that moment, never the live record. */
export type IncidentEvent =
  | { type: 'opened'; incident: Incident }
  | { type: 'changed'; incident: Incident }
  | { type: 'closed'; incident: Incident }
  /** At subscription (with `replay`), each incident the store holds, as it is now. */
  | { type: 'present'; incident: Incident };

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

/** What the tracker needs to know of the configured services, asked when needed (config reloads). */
export interface ServicePolicy {
  flapping(serviceId: string): FlapPolicy;
  dependsOn(serviceId: string): readonly string[];
  name(serviceId: string): { ar: string; en: string };
}

export interface TrackerOptions {
  store: StateStore;
  metrics: Metrics;
  clock: Clock;
  log: Logger;
  policy?: ServicePolicy;
}

export class IncidentTracker {
  private readonly listeners = new Set<(event: IncidentEvent) => void>();
  private delivery: Promise<void> = Promise.resolve();
  private readonly flaps = new FlapCounter();
  /** The last change given for each service: its state now, as far as incidents go. */
  private readonly last = new Map<string, ServiceChange>();
  private readonly log: Logger;

  constructor(private readonly opts: TrackerOptions) {
    this.log = opts.log.child({ module: 'incidents' });
  }

  /**
   * Hear every later event; with `replay`, first a `present` event for each incident the store
   * holds (open, and the closed ones it keeps), so a listener starting late knows what is there.
   */
  onEvent(listener: (event: IncidentEvent) => void, options: { replay?: boolean } = {}): () => void {
    if (options.replay) {
      const present = this.opts.store.data.incidents.map((incident) => ({ type: 'present' as const, incident: structuredClone(incident) }));
      this.delivery = this.delivery.then(() => {
        for (const event of present) this.deliver(listener, event);
      });
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private deliver(listener: (event: IncidentEvent) => void, event: IncidentEvent): void {
    try {
      listener(event);
    } catch (err) {
      this.log.error({ err, event: event.type }, 'incident listener failed');
    }
  }

  openFor(serviceId: string): Incident | undefined {
    return this.opts.store.data.incidents.find((i) => i.serviceId === serviceId && i.status === 'open');
  }

  open(): Incident[] {
    return this.opts.store.data.incidents.filter((i) => i.status === 'open');
  }

  recent(limit = 20): Incident[] {
    return this.opts.store.data.incidents
      .filter((i) => i.status === 'closed')
      .slice(-limit)
      .reverse();
  }

  /** Apply a service state change; returns the event it caused, if any. */
  serviceChanged(change: ServiceChange): IncidentEvent | undefined {
    this.last.set(change.serviceId, change);
    const policy = this.opts.policy;
    const flips =
      (change.from === 'DOWN') !== (change.to === 'DOWN') && policy ? this.flaps.note(change.serviceId, change.at, policy.flapping(change.serviceId)) : 0;
    const host = this.hostOf(change.serviceId);
    if (host) return this.dependentChanged(host, change);
    const current = this.openFor(change.serviceId);
    if (!current) {
      if (change.to !== 'DOWN') return undefined;
      const dependency = this.dependencyIncident(change.serviceId);
      if (dependency) return this.rollUp(dependency, change);
      const recent =
        policy && flips > policy.flapping(change.serviceId).changes
          ? this.recentlyClosed(change.serviceId, change.at - policy.flapping(change.serviceId).window)
          : undefined;
      return recent ? this.reopen(recent, change, flips) : this.openIncident(change);
    }
    if (change.to !== 'DOWN') {
      const flapping = policy && (current.flapping || flips > policy.flapping(change.serviceId).changes);
      return flapping ? this.keepFlapping(current, change, flips) : this.close(current, change.at, 'recovered', change.evidence);
    }
    return this.record(current, change);
  }

  /**
   * Close intermittent incidents whose service has been serving for a whole flapping window.
   * Called every few seconds by the agent.
   */
  tick(now: number): IncidentEvent[] {
    const policy = this.opts.policy;
    if (!policy) return [];
    const events: IncidentEvent[] = [];
    for (const inc of this.open()) {
      // The last change given, or (after a restart, before any) the state the incident last recorded.
      const state = this.last.get(inc.serviceId)?.to ?? inc.timeline.at(-1)?.state;
      if (!inc.flapping || state === undefined || state === 'DOWN') continue;
      const lastChange = this.flaps.last(inc.serviceId) ?? inc.timeline.at(-1)!.at;
      if (now - lastChange < policy.flapping(inc.serviceId).window) continue;
      this.flaps.forget(inc.serviceId);
      events.push(this.close(inc, lastChange, 'recovered', this.last.get(inc.serviceId)?.evidence ?? []));
    }
    return events;
  }

  /** The open incident a DOWN dependent has joined, if any. */
  private hostOf(serviceId: string): Incident | undefined {
    return this.open().find((i) => i.affected?.some((a) => a.serviceId === serviceId && a.until === undefined));
  }

  /** An open incident of a service `serviceId` depends on (directly, or through the one that joined). */
  private dependencyIncident(serviceId: string): Incident | undefined {
    for (const dep of this.opts.policy?.dependsOn(serviceId) ?? []) {
      const inc = this.openFor(dep) ?? this.hostOf(dep);
      if (inc) return inc;
    }
    return undefined;
  }

  private rollUp(host: Incident, change: ServiceChange): IncidentEvent {
    const name = this.opts.policy!.name(change.serviceId);
    this.opts.store.update(() => {
      host.affected = [...(host.affected ?? []), { serviceId: change.serviceId, name, since: change.at }];
    });
    this.log.warn({ incident: host.id, service: change.serviceId }, 'dependent service down: joined the incident of the service it depends on');
    return this.emit({ type: 'changed', incident: host });
  }

  /** A dependent that joined `host` changed: it recovered (leaves the incident) or is still down. */
  private dependentChanged(host: Incident, change: ServiceChange): IncidentEvent | undefined {
    if (change.to === 'DOWN') return undefined;
    this.opts.store.update(() => {
      const entry = host.affected!.find((a) => a.serviceId === change.serviceId && a.until === undefined)!;
      entry.until = change.at;
    });
    this.log.info({ incident: host.id, service: change.serviceId }, 'dependent service serving again');
    return this.emit({ type: 'changed', incident: host });
  }

  /** The service's last incident, if it closed after `since` (a flapping service's previous outage). */
  private recentlyClosed(serviceId: string, since: number): Incident | undefined {
    const last = this.opts.store.data.incidents.filter((i) => i.serviceId === serviceId).at(-1);
    return last?.status === 'closed' && last.resolution === 'recovered' && (last.endedAt ?? 0) > since ? last : undefined;
  }

  /** Down again soon after closing, while flapping: the same outage goes on, intermittently. */
  private reopen(incident: Incident, change: ServiceChange, flips: number): IncidentEvent {
    this.opts.store.update(() => {
      incident.status = 'open';
      delete incident.endedAt;
      delete incident.resolution;
      delete incident.recoveryEvidence;
      incident.flapping = { since: incident.flapping?.since ?? change.at, changes: flips };
      appendTimeline(incident, { at: change.at, state: change.to, impact: change.impact, checks: [...change.failing] });
      incident.evidence = change.evidence;
    });
    this.countOpen(incident.serviceId);
    this.opts.metrics.serviceFlapping.set({ service: incident.serviceId }, 1);
    this.log.warn(
      { incident: incident.id, service: incident.serviceId, changes: flips },
      'service is flapping: its last incident is open again, reported as intermittent',
    );
    return this.emit({ type: 'changed', incident });
  }

  private keepFlapping(incident: Incident, change: ServiceChange, flips: number): IncidentEvent {
    const first = !incident.flapping;
    this.opts.store.update(() => {
      incident.flapping = { since: incident.flapping?.since ?? change.at, changes: Math.max(flips, incident.flapping?.changes ?? 0) };
      appendTimeline(incident, { at: change.at, state: change.to, impact: change.impact, checks: [...change.failing] });
    });
    this.opts.metrics.serviceFlapping.set({ service: incident.serviceId }, 1);
    if (first)
      this.log.warn(
        { incident: incident.id, service: incident.serviceId, changes: flips },
        'service is flapping: keeping one incident open until it is stable',
      );
    return this.emit({ type: 'changed', incident });
  }

  /** Close an open incident whose service is no longer watched (removed from the config). */
  unmonitored(serviceId: string): IncidentEvent | undefined {
    this.last.delete(serviceId);
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
      appendTimeline(incident, { at: change.at, state: change.to, impact: change.impact, checks: [...change.failing] });
      for (const check of change.failing) if (!incident.checks.includes(check)) incident.checks.push(check);
      if (change.impact) incident.impact = change.impact;
      incident.evidence = change.evidence;
    });
    this.log.info({ incident: incident.id, state: change.to, impact: change.impact }, 'incident changed');
    return this.emit({ type: 'changed', incident });
  }

  private close(incident: Incident, endedAt: number, resolution: Incident['resolution'], evidence: Evidence[]): IncidentEvent {
    const stillDown = (incident.affected ?? []).filter((a) => a.until === undefined);
    this.opts.store.update((d) => {
      incident.status = 'closed';
      incident.endedAt = endedAt;
      incident.resolution = resolution;
      if (evidence.length > 0) incident.recoveryEvidence = evidence;
      appendTimeline(incident, { at: endedAt, state: resolution === 'recovered' ? 'UP' : 'UNKNOWN', checks: [] });
      // Reports keep their own copy of what they say (events carry copies), so any closed incident may go.
      const closed = d.incidents.filter((i) => i.status === 'closed');
      if (closed.length > KEEP_CLOSED) {
        const drop = new Set(closed.slice(0, closed.length - KEEP_CLOSED));
        d.incidents = d.incidents.filter((i) => !drop.has(i));
      }
    });
    this.countOpen(incident.serviceId);
    if (incident.flapping) this.opts.metrics.serviceFlapping.set({ service: incident.serviceId }, 0);
    this.log.info(
      { incident: incident.id, service: incident.serviceId, resolution, durationSeconds: Math.round((endedAt - incident.startedAt) / 1000) },
      'incident closed',
    );
    const event = this.emit({ type: 'closed', incident });
    // Dependents still down when the service they depend on is back have an outage of their own.
    for (const a of stillDown) {
      this.opts.store.update(() => (a.until = endedAt));
      const now = this.last.get(a.serviceId);
      if (now?.to === 'DOWN') this.openIncident({ ...now, from: 'DOWN', at: a.since });
    }
    return event;
  }

  private countOpen(serviceId: string): void {
    this.opts.metrics.incidentsOpen.set({ service: serviceId }, this.openFor(serviceId) ? 1 : 0);
  }

  private newId(serviceId: string, at: number): string {
    const stamp = new Date(at)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
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

  private emit(live: IncidentEvent): IncidentEvent {
    // The incident as it is now: later changes must not rewrite what this event says.
    const event = { type: live.type, incident: structuredClone(live.incident) } as IncidentEvent;
    // Incidents are rare and matter: write now rather than with the next coalesced batch, and let
    // listeners (who file reports) hear of them only once they are on disk.
    this.delivery = this.delivery.then(async () => {
      await flushUntilDurable(this.opts.store, this.opts.clock, (err) =>
        this.log.error({ err, incident: event.incident.id }, 'incident not yet durable; holding it until the state file can be written'),
      );
      for (const listener of this.listeners) this.deliver(listener, event);
    });
    return live;
  }
}
