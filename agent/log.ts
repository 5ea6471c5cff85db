import { pino, type Logger, type DestinationStream, type Level } from 'pino';
import { withoutOpensslText } from './probes/tls-error-text.js';

export type { Logger };

/**
 * Paths pino replaces with "[redacted]" wherever they appear in a log line's fields. Secrets reach
 * logs mostly through request options and config objects, so the usual carriers are listed.
 */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers.cookie',
  'token',
  '*.token',
  'auth_token',
  '*.auth_token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'client_secret',
  '*.client_secret',
  'password',
  '*.password',
];

export interface LogOptions {
  level?: Level | 'silent';
  /** Where lines go; stdout when omitted. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/**
 * The one root logger of a process; modules take `log.child({ module })` from it. Writes to stdout
 * asynchronously: a slow log pipe (a busy container log driver) must never stall probing. Buffered
 * lines are flushed on exit; only a SIGKILL can lose the last few.
 */
export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    {
      name: 'raqib',
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * pino's error serializer, with OpenSSL's text (a per-process thread id in hex, source files) said
 * in words in the message and stack, the causes' included: a log line names the fault the same way
 * in every process. Only those strings are touched, and a serializer never throws.
 */
function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as Record<string, unknown> | undefined;
  for (let e = out, depth = 0; e && typeof e === 'object' && depth < 10; e = e['cause'] as Record<string, unknown> | undefined, depth++) {
    for (const field of ['message', 'stack']) if (typeof e[field] === 'string') e[field] = withoutOpensslText(e[field]);
  }
  return out;
}
