/**
 * Every metric raqib exports: the per-service and per-agent families on one injected prom-client
 * Registry, read through its public API only; the per-check families (the bulk of the series) in
 * CheckSeries, which owns them entirely and caches their rendered lines. Names follow prometheus.io: `raqib_` prefix, base units, `_total` counters,
 * `_timestamp_seconds` for moments. Labels come only from config-bounded sets (service, check,
 * type, phase, state, result), never from targets' answers, so a misbehaving endpoint cannot blow
 * up the series count.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { systemClock, type Clock } from '../clock.js';
import type { CheckSpec } from '../config/resolve.js';
import { CHECK_TYPES } from '../config/schema.js';
import { CHECK_STATES, type CheckState } from '../detect/transition.js';
import type { ProbeResult, ProbeStatus } from '../probes/types.js';
import { paced, PieceJoiner, SLICE_MS } from '../slices.js';
import { CheckSeries } from './check-series.js';
import { registryLines } from './registry-text.js';

const RESULTS: readonly ProbeStatus[] = ['up', 'degraded', 'down'];
const SKIP_REASONS = ['overlap', 'missed'] as const;

export interface BuildInfo {
  version: string;
  /** agent.id: dashboards name agents by it rather than by scrape address. */
  agent?: string;
}

/**
 * The period of prom-client's event-loop timer (monitorEventLoopDelay). Its lag figures are the
 * gaps between ticks, so they include this period: an idle loop reads it. The agent dashboard's
 * event-loop panel subtracts it (test/dashboards/dashboards.test.ts holds the two together).
 */
export const EVENT_LOOP_PRECISION_MS = 10;

export class Metrics {
  /** raqib_probe_success, _phase_seconds, _http_status_code, _tls_cert_expiry…, raqib_check_state. */
  readonly checks = new CheckSeries();
  readonly probeDuration: Histogram<'service' | 'type'>;
  readonly probes: Counter<'service' | 'result'>;
  readonly probesSkipped: Counter<'service' | 'reason'>;
  readonly serviceState: Gauge<'service' | 'state'>;
  readonly serviceUp: Gauge<'service'>;
  readonly incidentsOpen: Gauge<'service'>;
  readonly incidents: Counter<'service'>;
  readonly sloObjective: Gauge<'service'>;
  readonly agentBlind: Gauge;
  readonly serviceFlapping: Gauge<'service'>;
  readonly canaryUp: Gauge<'canary'>;
  readonly lateness: Histogram;
  readonly configReloadOk: Gauge;
  readonly configReloadTime: Gauge;
  readonly stateWrites: Counter<'result'>;
  readonly stateWriteErrors: Counter;
  readonly stateWriteDuration: Histogram;
  readonly alertDeliveries: Counter<'result'>;

  /** Services and whether each is in a maintenance window now; app.ts sets it from the live config. */
  maintenance: () => Iterable<[string, boolean]> = () => [];

  /** `clock` dates the moments exported (raqib_config_last_reload_success_timestamp_seconds). */
  constructor(
    readonly registry: Registry,
    build: BuildInfo,
    private readonly clock: Clock = systemClock,
  ) {
    const r = [registry];
    this.probeDuration = new Histogram({
      name: 'raqib_probe_duration_seconds',
      help: 'Duration of probes, per service and probe type.',
      labelNames: ['service', 'type'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    });
    this.probes = new Counter({ name: 'raqib_probes_total', help: 'Probes run, by outcome.', labelNames: ['service', 'result'], registers: r });
    this.probesSkipped = new Counter({
      name: 'raqib_probes_skipped_total',
      help: 'Scheduled runs skipped because the previous run of the check was still going.',
      labelNames: ['service', 'reason'],
      registers: r,
    });
    this.serviceState = new Gauge({
      name: 'raqib_service_state',
      help: 'Current state of each service (1 for the current state).',
      labelNames: ['service', 'state'],
      registers: r,
    });
    this.serviceUp = new Gauge({
      name: 'raqib_service_up',
      help: 'Whether the service is serving (1 unless it is DOWN).',
      labelNames: ['service'],
      registers: r,
    });
    this.incidentsOpen = new Gauge({ name: 'raqib_incidents_open', help: 'Open incidents per service.', labelNames: ['service'], registers: r });
    this.incidents = new Counter({ name: 'raqib_incidents_total', help: 'Incidents opened per service.', labelNames: ['service'], registers: r });
    this.serviceFlapping = new Gauge({
      name: 'raqib_service_flapping',
      help: 'Whether the service is flapping: one incident open, reported as intermittent.',
      labelNames: ['service'],
      registers: r,
    });
    this.agentBlind = new Gauge({
      name: 'raqib_agent_blind',
      help: 'Whether the agent is blind (1): nothing shows it can see the network, so it opens no incident and files nothing.',
      registers: r,
    });
    this.canaryUp = new Gauge({
      name: 'raqib_connectivity_canary_up',
      help: 'Whether each connectivity canary answered on its last run.',
      labelNames: ['canary'],
      registers: r,
    });
    this.sloObjective = new Gauge({
      name: 'raqib_service_slo_objective',
      help: 'Availability objective of each service, as a ratio (slo: 99.5 → 0.995).',
      labelNames: ['service'],
      registers: r,
    });
    this.lateness = new Histogram({
      name: 'raqib_schedule_lateness_seconds',
      help: 'Actual start minus scheduled start of probe runs.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: r,
    });
    this.configReloadOk = new Gauge({ name: 'raqib_config_last_reload_successful', help: 'Whether the last config (re)load succeeded.', registers: r });
    this.configReloadTime = new Gauge({
      name: 'raqib_config_last_reload_success_timestamp_seconds',
      help: 'When the config was last loaded successfully.',
      registers: r,
    });
    this.stateWrites = new Counter({
      name: 'raqib_state_writes_total',
      help: 'Durable writes of the state file, by result.',
      labelNames: ['result'],
      registers: r,
    });
    this.stateWriteErrors = new Counter({ name: 'raqib_store_write_errors_total', help: 'Failed durable writes of the state file.', registers: r });
    this.stateWriteDuration = new Histogram({
      name: 'raqib_state_write_duration_seconds',
      help: 'Time of one durable state write (write, fsync, rename, fsync dir).',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: r,
    });
    new Gauge({ name: 'raqib_build_info', help: 'Build of this agent (always 1).', labelNames: ['version', 'node', 'agent'], registers: r }).set(
      { version: build.version, node: process.version, agent: build.agent ?? '' },
      1,
    );
    // prom-client calls collect() with the gauge as `this`: the Metrics object is reached by name.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const metrics = this;
    new Gauge({
      name: 'raqib_service_in_maintenance',
      help: 'Whether the service is inside one of its planned maintenance windows now (its downtime is planned).',
      labelNames: ['service'],
      registers: r,
      collect() {
        this.reset();
        for (const [service, active] of metrics.maintenance()) this.set({ service }, active ? 1 : 0);
      },
    });
    this.alertDeliveries = new Counter({
      name: 'raqib_alertmanager_deliveries_total',
      help: "Alertmanager's webhook deliveries, by result: accepted, invalid (not its payload), unauthorized, unavailable (state not writable).",
      labelNames: ['result'],
      registers: r,
    });
    for (const result of ['ok', 'error']) this.stateWrites.inc({ result }, 0);
    for (const result of ['accepted', 'invalid', 'unauthorized', 'unavailable']) this.alertDeliveries.inc({ result }, 0);
    this.stateWriteErrors.inc(0);
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });
  }

  /**
   * Pre-set a check's series so a healthy agent never shows "no data": its state (UNKNOWN until
   * the first run) and its counters at 0. Not probe_success: 0 before the first probe would read
   * as a failure and fire alerts; it appears with the first result.
   */
  addCheck(spec: CheckSpec, state: CheckState): void {
    const { serviceId: service } = spec;
    this.checks.add(spec, state);
    for (const reason of SKIP_REASONS) this.probesSkipped.inc({ service, reason }, 0);
    for (const result of RESULTS) this.probes.inc({ service, result }, 0);
  }

  removeCheck(spec: CheckSpec): void {
    this.checks.remove(spec);
  }

  addService(service: string, state: CheckState, open: number, slo: number): void {
    this.setServiceState(service, state);
    this.sloObjective.set({ service }, slo / 100);
    this.serviceFlapping.set({ service }, 0);
    this.incidentsOpen.set({ service }, open);
    this.incidents.inc({ service }, 0);
  }

  removeService(service: string): void {
    for (const state of CHECK_STATES) this.serviceState.remove({ service, state });
    this.serviceUp.remove({ service });
    this.incidentsOpen.remove({ service });
    this.incidents.remove({ service });
    this.sloObjective.remove({ service });
    this.serviceFlapping.remove({ service });
    for (const result of RESULTS) this.probes.remove({ service, result });
    for (const reason of SKIP_REASONS) this.probesSkipped.remove({ service, reason });
    for (const type of CHECK_TYPES) this.probeDuration.remove({ service, type });
  }

  observeProbe(spec: CheckSpec, result: ProbeResult): void {
    const service = spec.serviceId;
    this.checks.observe(spec, result);
    this.probeDuration.observe({ service, type: spec.type }, result.phases.total / 1000);
    this.probes.inc({ service, result: result.status });
  }

  setCheckState(spec: CheckSpec, current: CheckState): void {
    this.checks.setState(spec, current);
  }

  /** The whole exposition in one string: the text of renderChunks(), unpaced. */
  async render(): Promise<string> {
    const parts: string[] = [];
    for await (const piece of this.pieces()) parts.push(typeof piece === 'string' ? piece : piece.toString('utf8'));
    return parts.join('');
  }

  /**
   * The same exposition in pieces, for a server to write without holding the event loop: pieces
   * are made (and written by the server) until SLICE_MS have passed, then the loop turns once.
   */
  renderChunks(sliceMs = SLICE_MS): AsyncGenerator<string | Buffer> {
    return paced(this.pieces(), sliceMs);
  }

  /**
   * The Registry's families, from their values as prom-client's public API gives them
   * (registry-text.ts), then CheckSeries.chunks(); each piece made when it is asked for.
   */
  private async *pieces(): AsyncGenerator<string | Buffer> {
    // The per-check families are written in the text format 0.0.4 only; OpenMetrics would also
    // rename counters and end the page with `# EOF`.
    if (this.registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE)
      throw new Error(`/metrics is written in ${Registry.PROMETHEUS_CONTENT_TYPE}, not ${this.registry.contentType}`);
    const joined = new PieceJoiner();
    for (const line of registryLines(await this.registry.getMetricsAsJSON())) if (joined.add(line)) yield joined.take();
    yield joined.take();
    yield* this.checks.chunks();
  }

  setServiceState(service: string, current: CheckState): void {
    for (const state of CHECK_STATES) this.serviceState.set({ service, state }, state === current ? 1 : 0);
    this.serviceUp.set({ service }, current === 'DOWN' ? 0 : 1);
  }

  configLoaded(ok: boolean): void {
    this.configReloadOk.set(ok ? 1 : 0);
    if (ok) this.configReloadTime.set(this.clock.now() / 1000);
  }

  stateWritten(ok: boolean, seconds: number): void {
    this.stateWrites.inc({ result: ok ? 'ok' : 'error' });
    if (!ok) this.stateWriteErrors.inc();
    this.stateWriteDuration.observe(seconds);
  }
}
