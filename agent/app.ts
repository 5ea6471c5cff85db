/**
 * The composition root: builds every part from the config and wires them together. Nothing
 * else creates a logger child, registry, store, clock or probe runner; tests build an App with
 * their own. start() either brings up everything or nothing; stop() is orderly and bounded.
 */
import { Registry } from 'prom-client';
import { writeAgentFile } from './agent-file.js';
import { AlertBook } from './alerts/book.js';
import { compileMatchers, matchesAll } from './alerts/matchers.js';
import { alertReceiver } from './alerts/receiver.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { loadConfigFile, type LoadedConfig, type LoadOptions } from './config/load.js';
import { splitHostPort } from './config/fields.js';
import { CANARY_SERVICE, resolveConnectivity, type CheckSpec } from './config/resolve.js';
import type { AlertCheckConfig } from './config/schema.js';
import { watchConfig, type ConfigWatcher } from './config/watch.js';
import { describeError, formatProblem, isConfigError, RaqibError } from './errors.js';
import { activeWindow } from './incidents/maintenance.js';
import { IncidentTracker, type ServicePolicy } from './incidents/tracker.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics/metrics.js';
import { createProbeRunner, type ProbeRunner } from './probes/registry.js';
import { TlsSessions } from './probes/tls-sessions.js';
import { startReporting, type ReportingRuntime } from './reporting-chain.js';
import { ConnectivityGuard } from './runner/connectivity.js';
import { Monitor } from './runner/monitor.js';
import { Scheduler } from './schedule/scheduler.js';
import { startServer, type AgentServer } from './server/server.js';
import { createStatusApi } from './server/status-api.js';
import type { StoreFs } from './store/durable-file.js';
import { openJsonStore, type JsonStore } from './store/json-store.js';
import { VERSION } from './version.js';

export interface AppOptions {
  loaded: LoadedConfig;
  log: Logger;
  registry?: Registry;
  clock?: Clock;
  fs?: StoreFs;
  probe?: ProbeRunner;
  env?: NodeJS.ProcessEnv;
  /** Reload when the config file changes (SIGHUP always works). */
  watch?: boolean;
  /** How a reload reads the config file: loadConfigFile unless given (`raqib run` gives load-isolated.ts's). */
  loadConfig?(file: string, options: LoadOptions): Promise<LoadedConfig>;
  /** Something happened after which the agent must not go on (its data_dir lock was taken over). */
  onFatal?(reason: string): void;
  /** How often reporting looks at time-driven work (tests shorten it). */
  reportingTickMs?: number;
}

export interface App {
  readonly server: AgentServer | undefined;
  readonly metrics: Metrics;
  start(): Promise<void>;
  /** Apply the config file again; false (and the old config kept) when it is invalid. */
  reload(): Promise<boolean>;
  stop(): Promise<void>;
}

export function createApp(options: AppOptions): App {
  const clock = options.clock ?? systemClock;
  const registry = options.registry ?? new Registry();
  const metrics = new Metrics(registry, { version: VERSION, agent: options.loaded.config.agent.id }, clock);
  metrics.maintenance = () =>
    loaded.config.services.map((s): [string, boolean] => [s.id, activeWindow(s, loaded.config.agent.timezone, clock.now()) !== undefined]);
  const log = options.log;
  let loaded = options.loaded;
  let loadedAt = clock.now();
  let lastReloadOk = true;
  let store: JsonStore | undefined;
  let server: AgentServer | undefined;
  let scheduler: Scheduler | undefined;
  let monitor: Monitor | undefined;
  let tracker: IncidentTracker | undefined;
  let guard: ConnectivityGuard | undefined;
  let tickTimer: unknown;
  let reporting: ReportingRuntime | undefined;
  let watcher: ConfigWatcher | undefined;
  let stopping: Promise<void> | undefined;
  let reloading: Promise<boolean> = Promise.resolve(true);
  const startedAt = clock.now();

  async function start(): Promise<void> {
    const agent = loaded.config.agent;
    store = await openJsonStore({
      dataDir: agent.data_dir,
      log,
      fs: options.fs,
      clock,
      hooks: { onWrite: (ok, s) => metrics.stateWritten(ok, s) },
      onLockLost: (reason) => {
        log.fatal({ reason }, 'data_dir lock lost; stopping so two agents never file for the same incidents');
        options.onFatal?.(reason);
      },
    });
    try {
      tracker = new IncidentTracker({ store, metrics, clock, log, policy: servicePolicy() });
      const alertChecks = () =>
        [...monitor!.checks.values()].filter((rt) => rt.spec.config.type === 'alert').map((rt) => rt.spec as CheckSpec<AlertCheckConfig>);
      const alerts = new AlertBook(
        store,
        clock,
        () => alertChecks().map((s) => compileMatchers(s.config.matchers)),
        () => {
          const dog = loaded.config.agent.alertmanager?.watchdog;
          return dog && { matchers: compileMatchers(dog.matchers), expireAfterMs: dog.expire_after };
        },
      );
      const probe = options.probe ?? createProbeRunner(new TlsSessions(), alerts);
      guard = new ConnectivityGuard(probe, clock, log, { blind: metrics.agentBlind, canaryUp: metrics.canaryUp });
      monitor = new Monitor({ agentId: agent.id, store, metrics, clock, log, probe, tracker, guard });
      scheduler = new Scheduler({
        clock,
        log: log.child({ module: 'scheduler' }),
        maxConcurrency: agent.max_concurrency,
        timezone: agent.timezone,
        run: (key, info) => (key.startsWith(`${CANARY_SERVICE}/`) ? guard!.run(key) : monitor!.run(key, info)),
        onStart: (_key, info) => metrics.lateness.observe(info.lateMs / 1000),
        onSkip: (key, reason, count) => metrics.probesSkipped.inc({ service: key.slice(0, key.indexOf('/')), reason }, count),
      });
      monitor.attach(scheduler);
      monitor.apply(loaded);
      applyCanaries(loaded);
      metrics.configLoaded(true);
      if (loaded.config.authority) {
        reporting = await startReporting({
          config: () => loaded.config,
          store,
          tracker,
          clock,
          log,
          registry,
          userAgent: `raqib/${VERSION}`,
          tickMs: options.reportingTickMs,
          blind: () => guard?.blind ?? false,
        });
      } else {
        log.warn('no authority: section in the config: incidents are detected and recorded, but nothing is reported');
      }
      const api = createStatusApi(
        monitor,
        tracker,
        {
          id: agent.id,
          version: VERSION,
          startedAt,
          configFile: loaded.file,
          configLoadedAt: () => loadedAt,
          lastReloadOk: () => lastReloadOk,
        },
        guard,
      );
      const listen = splitHostPort(agent.listen)!;
      server = await startServer(listen.host, listen.port, {
        log,
        authToken: () => loaded.config.agent.auth_token,
        metrics: () => ({ contentType: registry.contentType, chunks: metrics.renderChunks() }),
        readiness: () => {
          const reasons: string[] = [];
          if (!store?.writable) reasons.push('state file is not writable: see the log for the write error');
          if (guard?.blind) reasons.push(`agent is blind: ${guard.blindReason}, so no outage can be confirmed or reported`);
          if (stopping) reasons.push('shutting down');
          return { ready: reasons.length === 0, reasons };
        },
        api: (path) => {
          const [first, ref, ...rest] = path.split('/');
          if (first === 'reports' && reporting && rest.length === 0) return reporting.view(ref ? decodeURIComponent(ref) : undefined);
          return api(path);
        },
        alertmanager: {
          token: () => loaded.config.agent.alertmanager?.token,
          unauthorized: () => metrics.alertDeliveries.inc({ result: 'unauthorized' }),
          receive: alertReceiver({
            book: alerts,
            store,
            log,
            counted: (result) => metrics.alertDeliveries.inc({ result }),
            moved: (moved) => {
              for (const spec of alertChecks())
                if (moved.some((a) => matchesAll(compileMatchers(spec.config.matchers), a.labels))) scheduler!.runSoon(spec.key, 0);
            },
          }),
        },
        action: async (path, body) => {
          if (!reporting) return undefined;
          const finalize = /^reports\/([^/]+)\/finalize$/.exec(path);
          if (finalize) return reporting.finalize(decodeURIComponent(finalize[1]!), body);
          const dead = /^outbox\/(\d+)\/(retry|dismiss)$/.exec(path);
          if (dead) return reporting.deadLetter(Number(dead[1]), dead[2] as 'retry' | 'dismiss');
          return undefined;
        },
      }).catch((err: unknown) => {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EACCES' ? 'permission denied' : describeError(err);
        throw new RaqibError('RAQIB_LISTEN', `cannot listen on ${agent.listen} (agent.listen): ${why}`, { cause: err });
      });
      await writeAgentFile(agent.data_dir, server.address, log);
      scheduler.start();
      reporting?.start();
      const trackerTick = () => {
        // A flapping incident is closed once its service has been stable for a window: not while
        // the agent is blind, when what it last saw may no longer be true.
        if (!guard?.blind) tracker!.tick(clock.now());
        tickTimer = clock.setTimer(trackerTick, 5_000);
      };
      tickTimer = clock.setTimer(trackerTick, 5_000);
      if (options.watch) {
        try {
          watcher = watchConfig(loaded.file, loaded.hash, () => void reload(), { clock });
        } catch (err) {
          // e.g. the inotify limit is reached: SIGHUP still reloads, so watching is not worth failing for
          log.warn({ err, file: loaded.file }, 'cannot watch the config file; reload with SIGHUP');
        }
      }
      warnAbout(loaded);
      log.info({ agent: agent.id, checks: loaded.checks.length, services: loaded.config.services.length, version: VERSION }, 'raqib started');
    } catch (err) {
      await scheduler?.stop();
      await reporting?.stop().catch(() => undefined);
      await server?.close();
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  /** What the incident tracker asks of the configured services (read live, so reloads apply). */
  function servicePolicy(): ServicePolicy {
    const service = (id: string) => loaded.config.services.find((s) => s.id === id);
    return {
      flapping: (id) => service(id)?.flapping ?? loaded.config.defaults.flapping,
      dependsOn: (id) => service(id)?.depends_on ?? [],
      name: (id) => service(id)?.name ?? { ar: id, en: id },
    };
  }

  /** Schedule the connectivity canaries of `config` (keys `#connectivity/<id>`), replacing the old ones. */
  function applyCanaries(next: LoadedConfig): void {
    const connectivity = resolveConnectivity(next.config);
    const { canaries } = connectivity;
    for (const old of guard!.canaries) if (!canaries.some((c) => c.key === old.key && c.fingerprint === old.fingerprint)) scheduler!.remove(old.key);
    for (const c of canaries)
      if (!guard!.canaries.some((o) => o.key === c.key && o.fingerprint === c.fingerprint))
        scheduler!.add({ key: c.key, intervalMs: c.intervalMs, cron: c.schedule });
    guard!.apply(connectivity);
  }

  /** What check-config warns about, in the log, at start and at each reload. */
  function warnAbout(config: LoadedConfig): void {
    for (const w of config.warnings) log.warn({ warning: formatProblem(w) }, 'config warning');
  }

  /** Reloads run one after another, so an older file read can never be applied last. */
  function reload(): Promise<boolean> {
    reloading = reloading.then(reloadOnce, reloadOnce);
    return reloading;
  }

  async function reloadOnce(): Promise<boolean> {
    if (!monitor || !scheduler || stopping) return false;
    let next: LoadedConfig;
    try {
      next = await (options.loadConfig ?? loadConfigFile)(loaded.file, { env: options.env });
    } catch (err) {
      lastReloadOk = false;
      metrics.configLoaded(false);
      const problems = isConfigError(err) ? err.problems.map(formatProblem) : [describeError(err)];
      log.error({ file: loaded.file, problems }, 'config reload failed; keeping the running config');
      return false;
    }
    if (stopping) return false;
    try {
      for (const field of ['id', 'listen', 'data_dir', 'timezone'] as const) {
        if (next.config.agent[field] !== loaded.config.agent[field]) {
          log.warn(
            { field: `agent.${field}`, running: loaded.config.agent[field], file: next.config.agent[field] },
            'changed field needs a restart; keeping the running value',
          );
          next.config.agent[field] = loaded.config.agent[field] as never;
        }
      }
      if (JSON.stringify(next.config.authority) !== JSON.stringify(loaded.config.authority)) {
        log.warn({ field: 'authority' }, 'changed field needs a restart; keeping the running value');
        next.config.authority = loaded.config.authority;
      }
      const summary = monitor.apply(next);
      applyCanaries(next);
      scheduler.maxConcurrency = next.config.agent.max_concurrency;
      log.level = next.config.agent.log_level;
      loaded = next;
      loadedAt = clock.now();
      lastReloadOk = true;
      metrics.configLoaded(true);
      reporting?.reloaded();
      warnAbout(loaded);
      log.info({ file: loaded.file, ...summary }, 'config reloaded');
      return true;
    } catch (err) {
      lastReloadOk = false;
      metrics.configLoaded(false);
      log.error({ err, file: loaded.file }, 'config reload failed while applying; the agent may be running a mix of old and new settings');
      return false;
    }
  }

  /** Whether `work` settles within `ms`; false when it is still going then (it is not stopped). */
  async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([work.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
    clearTimeout(timer);
    return inTime;
  }

  async function settledWithin(work: Promise<void> | undefined, ms: number, what: string): Promise<void> {
    if (!(await within(work ?? Promise.resolve(), ms))) log.warn({ what, waitedMs: ms }, 'shutdown did not wait longer for this; the next start takes it up');
  }

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      watcher?.close();
      if (tickTimer !== undefined) clock.clearTimer(tickTimer);
      const grace = loaded.config.agent.shutdown_timeout;
      const inFlight = scheduler?.stop() ?? Promise.resolve();
      if (!(await within(inFlight, grace))) log.warn({ graceMs: grace }, 'probes still running at shutdown; aborting them');
      monitor?.abortAll(new RaqibError('RAQIB_SHUTDOWN', 'agent is shutting down'));
      guard?.abortAll(new RaqibError('RAQIB_SHUTDOWN', 'agent is shutting down'));
      await inFlight;
      // With a full disk these never settle; what is not durable by now must not be sent anyway.
      await settledWithin(tracker?.settled(), 5_000, 'incident events');
      await settledWithin(reporting?.stop(), 10_000, 'reporting');
      await server?.close();
      await store?.close();
      log.info('raqib stopped');
    })();
    return stopping;
  }

  const app: App = {
    get server() {
      return server;
    },
    metrics,
    start,
    reload,
    stop,
  };
  return app;
}
