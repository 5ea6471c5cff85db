/**
 * `raqib sandbox`: runs the sandbox authority on its own (drills, the demo, an agent in another
 * process or container) until SIGTERM or SIGINT, then closes it and exits 0. Logs are JSON lines on
 * stdout, the first saying where it listens.
 */
import { parseArgs } from 'node:util';
import { hostPort, splitHostPort } from '../config/fields.js';
import { parseDuration } from '../config/units.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { usage, type Io } from './common.js';

export const SANDBOX_USAGE = `  raqib sandbox [--listen 127.0.0.1:8787] [--data FILE] [--auto-approve] [--ack-delay 2s|never]
               [--poll-interval 5] [--public-url URL] [--log-level info]
                                       run the sandbox authority (Authority API v1) until SIGTERM/SIGINT
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * `until` stops the sandbox as a signal would; tests pass it instead of signalling their own process.
 */
export async function sandboxCommand(args: string[], io: Io, until?: AbortSignal): Promise<number> {
  const { values } = usage('sandbox', () =>
    parseArgs({
      args,
      options: {
        listen: { type: 'string', short: 'l' },
        data: { type: 'string' },
        'auto-approve': { type: 'boolean' },
        'ack-delay': { type: 'string' },
        'poll-interval': { type: 'string' },
        'public-url': { type: 'string' },
        'log-level': { type: 'string' },
      },
      strict: true,
    }),
  );
  const listenText = values.listen ?? '127.0.0.1:8787';
  const listen = hostPort(8787).safeParse(listenText).success ? splitHostPort(listenText, 8787) : undefined;
  if (!listen) throw new UsageError(`sandbox: --listen expects host:port such as 127.0.0.1:8787, got ${JSON.stringify(listenText)}`);
  const ackText = values['ack-delay'] ?? '2s';
  const ackDelayMs = ackText === 'never' ? -1 : parseDuration(ackText);
  if (ackDelayMs === undefined) throw new UsageError(`sandbox: --ack-delay expects a duration such as 2s or 500ms, or "never", got ${JSON.stringify(ackText)}`);
  const poll = values['poll-interval'] === undefined ? 5 : Number(values['poll-interval']);
  if (!Number.isInteger(poll) || poll < 1)
    throw new UsageError(`sandbox: --poll-interval expects whole seconds (1 or more), got ${JSON.stringify(values['poll-interval'])}`);
  const level = values['log-level'] ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level))
    throw new UsageError(`sandbox: --log-level expects one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  const publicUrl = values['public-url'];
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+/.test(publicUrl))
    throw new UsageError(`sandbox: --public-url expects an http(s) URL, got ${JSON.stringify(publicUrl)}`);

  const log = createLogger({ level: level as (typeof LEVELS)[number], destination: { write: (line: string) => io.out(line) } });
  let sandbox: Sandbox | undefined;
  let stopRequested = false;
  let signals = 0;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const stop = () => {
    if (!sandbox) return void (stopRequested = true);
    sandbox.close().then(
      () => finish(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        finish(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      finish(1);
      return;
    }
    log.info({ signal }, 'stopping');
    stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  until?.addEventListener('abort', stop, { once: true });
  try {
    sandbox = await startSandbox({
      listen,
      log,
      ackDelayMs,
      pollIntervalSeconds: poll,
      autoApprove: values['auto-approve'] ?? false,
      ...(values.data !== undefined ? { dataFile: values.data } : {}),
      ...(publicUrl !== undefined ? { publicUrl } : {}),
    });
    if (stopRequested || until?.aborted) stop();
    return await done;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    until?.removeEventListener('abort', stop);
  }
}
