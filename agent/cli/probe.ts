/**
 * `raqib probe`: run checks once, now, and print what each saw. For trying a config before
 * deploying it, and for "is it us or them?" at 3 a.m. Touches no state and files nothing.
 */
import { loadConfigFile } from '../config/load.js';
import type { CheckSpec } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { runProbe } from '../probes/registry.js';
import type { ProbeResult } from '../probes/types.js';
import { parseArgs } from 'node:util';
import { configPath, table, usage, type Io } from './common.js';

const PARALLEL = 16;

export async function probeCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = usage('probe', () =>
    parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true, strict: true }),
  );
  const loaded = await loadConfigFile(configPath(values.config, io.env), { env: io.env });
  const selected = select(loaded.checks, positionals);
  const log = createLogger({ level: 'silent' });
  const results: ProbeResult[] = new Array(selected.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < selected.length; i = next++) {
      const spec = selected[i]!;
      results[i] = await runProbe(spec.config, { signal: AbortSignal.timeout(spec.timeoutMs), log, timeoutMs: spec.timeoutMs });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, selected.length) }, worker));
  io.out(table(resultRows(selected, results)));
  return results.every((r) => r.status === 'up') ? 0 : 1;
}

function select(checks: CheckSpec[], filters: string[]): CheckSpec[] {
  if (filters.length === 0) return checks;
  const unknown = filters.filter((f) => !checks.some((c) => c.key === f || c.serviceId === f));
  if (unknown.length > 0) {
    throw new UsageError(`probe: no check or service named ${unknown.join(', ')}; known: ${checks.map((c) => c.key).join(', ')}`);
  }
  return checks.filter((c) => filters.some((f) => c.key === f || c.serviceId === f));
}

function resultRows(specs: CheckSpec[], results: ProbeResult[]): string[][] {
  const rows = [['SERVICE', 'CHECK', 'TYPE', 'STATUS', 'CODE', 'LATENCY', 'DETAIL']];
  specs.forEach((s, i) => {
    const r = results[i]!;
    rows.push([s.serviceId, s.checkId, s.type, r.status.toUpperCase(), r.code, `${Math.round(r.phases.total)}ms`, r.detail]);
  });
  return rows;
}
