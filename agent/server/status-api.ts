/**
 * JSON views of the monitor for /api/v1: what each service and check is doing, the last results,
 * and open and recent incidents. Built on request from in-memory state; nothing is cached. The
 * status of every service is written in pieces, the event loop turning between them.
 */
import type { IncidentTracker } from '../incidents/tracker.js';
import type { ConnectivityGuard } from '../runner/connectivity.js';
import type { Monitor, CheckRuntime, ServiceRuntime } from '../runner/monitor.js';
import { JsonPieces } from './server.js';
import { paced, PieceJoiner } from '../slices.js';

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
  const serviceView = (svc: ServiceRuntime) => ({
    id: svc.config.id,
    name: svc.config.name,
    provider: svc.config.provider,
    channel: svc.config.channel,
    state: svc.state,
    impact: svc.impact,
    since: iso(svc.since),
    open_incident: tracker.openFor(svc.config.id)?.id,
    // A check removed by a reload while the answer is being written is left out.
    checks: svc.checkKeys.flatMap((k) => {
      const rt = monitor.checks.get(k);
      return rt ? [checkView(rt)] : [];
    }),
  });

  /**
   * The JSON text of `{ agent, services, incidents }`, as JSON.stringify would give it whole, in
   * pieces of about PIECE_CHARS (a piece ends after the service that reaches it): 3 MiB at 10,000
   * checks, which built and stringified in one go held the event loop for 55 ms (180 ms at 20,000
   * checks) in the benchmark. Services are read as the pieces are made (those there were at the
   * start and still are); the incidents at the end.
   */
  function* statusPieces(): Generator<string> {
    const ids = [...monitor.services.keys()];
    const agentText = JSON.stringify({
      id: agent.id,
      version: agent.version,
      started_at: iso(agent.startedAt),
      config: { file: agent.configFile, loaded_at: iso(agent.configLoadedAt()), last_reload_successful: agent.lastReloadOk() },
      connectivity: guard?.status() ?? { blind: false, canaries: [] },
    });
    const pieces = new PieceJoiner();
    pieces.add(`{"agent":${agentText},"services":[`);
    let first = true;
    for (const id of ids) {
      const svc = monitor.services.get(id);
      if (!svc) continue; // removed by a reload while the answer is being written
      const text = JSON.stringify(serviceView(svc));
      const full = pieces.add(first ? text : `,${text}`);
      first = false;
      if (full) yield pieces.take();
    }
    pieces.add(`],"incidents":${JSON.stringify({ open: tracker.open(), recent: tracker.recent() })}}`);
    yield pieces.take();
  }

  return (path: string): unknown => {
    let parts: string[];
    try {
      parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return undefined; // a malformed %-escape names nothing
    }
    if (parts.length === 1 && parts[0] === 'status') return new JsonPieces(paced(statusPieces()));
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
