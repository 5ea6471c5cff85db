/**
 * `raqib run`: the daemon. Refuses to start on any config or state problem (nothing half-starts);
 * SIGHUP reloads the config; SIGTERM/SIGINT stop scheduling, let probes in flight finish within
 * agent.shutdown_timeout, flush state and exit 0. Signal handlers are installed before the config
 * is read, so a signal that arrives while the agent is starting is acted on once it has started.
 */
import { parseArgs } from 'node:util';
import { loadConfigIsolated } from '../config/load-isolated.js';
import type { App } from '../app.js';
import { createLogger, type Logger } from '../log.js';
import { configPath, usage, type Io } from './common.js';
import { runtimeSettingsMissing } from './runtime-flags.js';

export async function runCommand(args: string[], io: Io): Promise<number> {
  const { values } = usage('run', () => parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, strict: true }));
  let app: App | undefined;
  let log: Logger | undefined;
  let failed = false;
  let started = false;
  let reloadPending = false;
  let stopSignal: NodeJS.Signals | undefined;
  let signals = 0;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));

  const stop = (signal: NodeJS.Signals) => {
    log!.info({ signal }, 'stopping');
    app!.stop().then(
      () => finish(failed ? 1 : 0),
      (err: unknown) => {
        log!.error({ err }, 'stop failed');
        finish(1);
      },
    );
  };
  const onStop = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log?.warn({ signal }, 'second signal: exiting now');
      finish(1);
    } else if (started) stop(signal);
    else stopSignal = signal;
  };
  const onHup = () => {
    if (started) void app!.reload();
    else reloadPending = true;
  };
  // Before the config is even read: a SIGHUP's default action would end the process.
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);
  try {
    // In a worker thread, so the heap that parsing took is given back (load-isolated.ts).
    const loaded = await loadConfigIsolated(configPath(values.config, io.env), { env: io.env });
    // The agent's modules load after that, so they and the worker's parse are not in memory at
    // once (start-up peak at 20,000 checks on Node 20: 302 MiB with them imported first, 270 after).
    const { createApp } = await import('../app.js');
    log = createLogger({ level: loaded.config.agent.log_level });
    const untuned = runtimeSettingsMissing(process.execArgv, io.env);
    if (untuned)
      log.warn(untuned, 'started without the node flags or environment raqib ships with: start it with bin/raqib, as the container and npm start do');
    app = createApp({
      loaded,
      log,
      env: io.env,
      watch: true,
      loadConfig: loadConfigIsolated,
      onFatal: () => {
        failed = true;
        onStop('SIGTERM');
      },
    });
    await app.start();
  } catch (err) {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGHUP', onHup);
    throw err;
  }
  started = true;
  if (stopSignal) stop(stopSignal);
  else if (reloadPending) void app.reload();
  return done;
}
