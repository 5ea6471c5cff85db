/** Helpers shared by the commands: argument parsing that fails with a usage error, and config loading. */
import { UsageError } from '../errors.js';

export const DEFAULT_CONFIG = 'config/raqib.yaml';

/** The output streams a command writes to; main passes the process's, tests their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** Run a parseArgs call, turning its complaint into a usage error that points at --help. */
export function usage<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.replace(/\. To specify.*$/s, '')}. See raqib ${command} --help`);
  }
}

export function configPath(value: string | undefined, env: NodeJS.ProcessEnv): string {
  return value ?? env['RAQIB_CONFIG'] ?? DEFAULT_CONFIG;
}

/** Rows as aligned columns (the last column is not padded), for the CLI's tables. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ')).join('\n') + '\n';
}
