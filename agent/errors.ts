/**
 * Errors raqib raises on purpose. Each has a stable `code` (callers and tests switch on it, never on
 * the message) and an `exitCode` for the CLI. Anything else that reaches main is a bug.
 */
import { withoutOpensslText } from './probes/tls-error-text.js';

export class RaqibError extends Error {
  override name = 'RaqibError';
  readonly code: string;
  /** Exit code the CLI uses when this error ends a command: 1 failure, 2 usage or config. */
  readonly exitCode: number;

  constructor(code: string, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** One problem found in a config file, positioned so an editor can jump to it. */
export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  /** Field path such as `services[0].checks[1].timeout`; empty for whole-file problems. */
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** The config could not be loaded; `problems` holds every finding, not just the first. */
export class ConfigError extends RaqibError {
  override name = 'ConfigError';
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super('RAQIB_CONFIG_INVALID', problems.map(formatProblem).join('\n'), { exitCode: 2 });
    this.problems = problems;
  }
}

/** Wrong command-line usage: unknown command or flag, missing argument. */
export class UsageError extends RaqibError {
  override name = 'UsageError';
  constructor(message: string) {
    super('RAQIB_USAGE', message, { exitCode: 2 });
  }
}

/** The state in data_dir cannot be used (corrupt, locked, unwritable); start-up stops. */
export class StoreError extends RaqibError {
  override name = 'StoreError';
  constructor(code: 'RAQIB_STORE_CORRUPT' | 'RAQIB_STORE_LOCKED' | 'RAQIB_STORE_IO', message: string, cause?: unknown) {
    super(code, message, { cause, exitCode: 1 });
  }
}

export function isRaqibError(err: unknown): err is RaqibError {
  return err instanceof RaqibError;
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError;
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError;
}

/**
 * `text` on one line that a terminal shows as it is: control characters (newlines, escape
 * sequences) as \uXXXX. For messages that quote a file's bytes, such as JSON.parse's.
 */
export function printableLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A short description of any thrown value, for logs and probe details: its message (of an Error
 * or any object that has one), else its name or String(err), with OpenSSL's text in words
 * (tls-error-text.ts). The probes' errorMessage (connect.ts) builds on it.
 */
export function describeError(err: unknown): string {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return withoutOpensslText(typeof message === 'string' && message !== '' ? message : err instanceof Error ? err.name : String(err));
}
