/**
 * The node flags and environment raqib ships with, read from config/node-flags: the file that
 * bin/raqib (the container's ENTRYPOINT, `npm start`) applies, so that the benchmark and the soak
 * measure what runs in production. Why each setting: the comments in that file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

const lines = readFileSync(join(ROOT, 'config/node-flags'), 'utf8').split('\n');

/** Every node flag the agent runs with (`--flag` lines). */
export const AGENT_NODE_FLAGS: readonly string[] = lines.filter((line) => line.startsWith('--')).map((line) => line.trim());

/** The environment the agent runs with beside the flags (`NAME=value` lines). */
export const AGENT_ENV: Readonly<Record<string, string>> = Object.fromEntries(
  lines.filter((line) => /^[A-Za-z_]\w*=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]),
);

/** AGENT_ENV with any of its variables already set in this process's environment winning (as
 * bin/raqib does), so that `MALLOC_ARENA_MAX=8 npm run bench` measures glibc's default arenas. */
export function agentEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(AGENT_ENV).map(([name, value]) => [name, process.env[name] ?? value]));
}
