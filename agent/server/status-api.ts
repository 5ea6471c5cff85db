/**
 * JSON views of the monitor for /api/v1: what each service and check is doing, the last results,
 * and open and recent incidents. Built on request from in-memory state; nothing is cached.
 */
import type { IncidentTracker } from '../incidents/tracker.js';
import type { ConnectivityGuard } from '../runner/connectivity.js';
import type { Monitor, CheckRuntime } from '../runner/monitor.js';

export interface AgentInfo {
  id: string;
  version: string;
  startedAt: number;
  configFile: string;
  configLoadedAt(): number;
  lastReloadOk(): boolean;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function checkView(rt: CheckRuntime) {
  const last = rt.last;
  return {
    id: rt.spec.checkId,
    type: rt.spec.type,
    critical: rt.spec.critical,
    state: rt.detector.state,
    since: iso(rt.detector.since),
    interval_seconds: rt.spec.intervalMs === undefined ? undefined : rt.spec.intervalMs / 1000,
    schedule: rt.spec.schedule,
    last_result: last && { ...last, observedAt: iso(last.observedAt) },
  };
}

export function createStatusApi(monitor: Monitor, tracker: IncidentTracker, agent: AgentInfo, guard?: ConnectivityGuard) {
  const status = () => ({
    agent: {
      id: agent.id,
      version: agent.version,
      started_at: iso(agent.startedAt),
      config: { file: agent.configFile, loaded_at: iso(agent.configLoadedAt()), last_reload_successful: agent.lastReloadOk() },
      connectivity: guard?.status() ?? { blind: false, canaries: [] },
    },
    services: [...monitor.services.values()].map((svc) => ({
      id: svc.config.id,
      name: svc.config.name,
      provider: svc.config.provider,
      channel: svc.config.channel,
      state: svc.state,
      impact: svc.impact,
      since: iso(svc.since),
      open_incident: tracker.openFor(svc.config.id)?.id,
      checks: svc.checkKeys.map((k) => checkView(monitor.checks.get(k)!)),
    })),
    incidents: { open: tracker.open(), recent: tracker.recent() },
  });

  return (path: string): unknown => {
    let parts: string[];
    try {
      parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return undefined; // a malformed %-escape names nothing
    }
    if (parts.length === 1 && parts[0] === 'status') return status();
    if (parts[0] === 'incidents') {
      if (parts.length === 1) return { open: tracker.open(), recent: tracker.recent(200) };
      if (parts.length === 2) return [...tracker.open(), ...tracker.recent(200)].find((i) => i.id === parts[1]);
    }
    if (parts[0] === 'checks' && parts.length === 3) {
      const rt = monitor.checks.get(`${parts[1]}/${parts[2]}`);
      if (!rt) return undefined;
      return { service: rt.spec.serviceId, ...checkView(rt), history: rt.history.toArray().map((r) => ({ ...r, observedAt: iso(r.observedAt) })) };
    }
    return undefined;
  };
}
