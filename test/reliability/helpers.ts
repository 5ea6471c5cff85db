/**
 * Shared by the fault-injection suite (crash, authority outage, storage): a seeded random
 * generator whose seed is printed on failure, an agent directory signed in to a sandbox, readers
 * of the agent's state file and the sandbox's data file, an exactly-once audit of the two, and a
 * StoreFs whose writes can be made to fail like a full or broken disk.
 */
import * as fsp from 'node:fs/promises';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { expect } from 'vitest';
import type { Report } from '../../agent/authority/contract.js';
import type { SandboxSnapshot } from '../../agent/sandbox/server.js';
import type { SandboxData } from '../../agent/sandbox/state.js';
import type { StoreFs } from '../../agent/store/durable-file.js';
import type { StateData } from '../../agent/store/types.js';
import { runCli, startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { configYaml, type MiniService } from '../helpers/config.js';
import { ALTERNATE, MANAGER } from '../helpers/reporting.js';
import { tempDir } from '../helpers/tmp.js';

const ENTITY = 'MOH';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A positive integer from the environment, or `fallback`. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** mulberry32, the one the sandbox's fault injection uses: its whole sequence follows from its seed. */
export { seededRandom } from '../../agent/sandbox/ids.js';

/** An integer in [min, max] from `random`. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** A signed-in agent directory: config written, `raqib login` done as the manager. */
export interface AgentDir {
  dir: string;
  yaml: string;
  configFile: string;
  dataDir: string;
  /** Start the agent and wait until it has started. */
  start(): Promise<AgentProcess>;
  /** Spawn the agent without waiting for anything (to kill it at any moment, start-up included). */
  spawn(): Promise<AgentProcess>;
}

export interface AgentDirOptions {
  services: MiniService[];
  sandboxUrl: string;
  defaults?: Record<string, unknown>;
  authority?: Record<string, unknown>;
  prefix?: string;
}

export async function prepareAgentDir(options: AgentDirOptions): Promise<AgentDir> {
  const dir = await tempDir(options.prefix ?? 'raqib-reliability-');
  const dataDir = join(dir, 'data'); // absolute: the same for a child process and an in-process app
  const yaml = configYaml(
    options.services,
    { data_dir: dataDir },
    {
      defaults: { interval: '300ms', timeout: '250ms', retry_interval: '100ms', failure_threshold: 2, success_threshold: 2, ...options.defaults },
      authority: {
        mode: 'sandbox',
        url: options.sandboxUrl,
        update_interval: '1h',
        followup_interval: '1s',
        final_report_deadline: '1h',
        retry_max_delay: '1s',
        ...options.authority,
      },
      crisis_team: { members: [MANAGER, ALTERNATE] },
    },
  );
  const configFile = join(dir, 'raqib.yaml');
  await writeFile(configFile, yaml);
  const login = await runCli(['login', '--config', configFile], {}, dir);
  expect(login.stderr).toBe('');
  expect(login.code).toBe(0);
  return {
    dir,
    yaml,
    configFile,
    dataDir,
    start: () => startAgent(yaml, { dir }),
    spawn: () => startAgent(yaml, { dir, noWait: true }),
  };
}

/** The agent's state file as it is on disk now. */
export async function readAgentState(dataDir: string): Promise<StateData> {
  return JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8')) as StateData;
}

/** The sandbox's data file as it is on disk now (it is written before each answer). */
export async function readSandboxData(dataFile: string): Promise<SandboxData> {
  return JSON.parse(await readFile(dataFile, 'utf8')) as SandboxData;
}

/** The idempotency key raqib files an incident's report under. */
const reportKey = (incidentId: string) => `raqib:${ENTITY}:${incidentId}:report`;

/**
 * Everything that breaks "exactly once" between what the agent's state says and what the
 * authority holds; empty when all is well. Reports are matched to incidents both by the key they
 * were filed under (from the sandbox's data file) and by service and started_at.
 */
export function exactlyOnceViolations(state: StateData, sandbox: SandboxSnapshot, data: SandboxData): string[] {
  const problems: string[] = [];
  const outages = sandbox.reports.filter((r) => r.type !== 'scheduled_maintenance');
  const byId = new Map(outages.map((r) => [r.id, r]));
  // Which report each filing key produced, as the sandbox remembers it.
  const filedUnder = new Map<string, string>();
  const prefix = `reports:${ENTITY}\u0000`;
  for (const [scoped, record] of Object.entries(data.idempotency)) {
    if (!scoped.startsWith(prefix)) continue;
    const id = (record.body as { id?: string } | undefined)?.id;
    if (id) filedUnder.set(scoped.slice(prefix.length), id);
  }
  const matched = new Set<string>();
  for (const inc of state.incidents) {
    const key = reportKey(inc.id);
    const id = filedUnder.get(key);
    const report = id ? byId.get(id) : undefined;
    const sameOutage = outages.filter((r) => r.body.service.id === inc.serviceId && Date.parse(r.body.started_at) === inc.startedAt);
    if (!report) {
      problems.push(`incident ${inc.id} (${inc.status}) has no report at the authority under ${key}`);
      continue;
    }
    matched.add(report.id);
    if (sameOutage.length !== 1)
      problems.push(
        `incident ${inc.id} has ${sameOutage.length} reports for ${inc.serviceId} started ${new Date(inc.startedAt).toISOString()}: ${sameOutage.map((r) => r.reference).join(', ')}`,
      );
    if (report.body.service.id !== inc.serviceId || Date.parse(report.body.started_at) !== inc.startedAt) {
      problems.push(`report ${report.reference} under ${key} is about ${report.body.service.id} started ${report.body.started_at}, not incident ${inc.id}`);
    }
    const restored = report.updates.filter((u) => u.status === 'restored');
    if (inc.status === 'closed' && inc.resolution === 'recovered') {
      if (restored.length !== 1) problems.push(`closed incident ${inc.id}: report ${report.reference} has ${restored.length} restored updates`);
      else if (report.updates.at(-1) !== restored[0]) problems.push(`closed incident ${inc.id}: report ${report.reference} has updates after its restoration`);
      else if (Date.parse(restored[0]!.ended_at!) !== inc.endedAt)
        problems.push(
          `closed incident ${inc.id}: restoration of ${report.reference} says ended ${restored[0]!.ended_at}, the agent ${new Date(inc.endedAt!).toISOString()}`,
        );
    }
    if (inc.status === 'open' && restored.length > 0) problems.push(`open incident ${inc.id}: report ${report.reference} already says restored`);
  }
  for (const r of outages) {
    if (!matched.has(r.id)) problems.push(`report ${r.reference} (${r.body.service.id} started ${r.body.started_at}) matches no incident in the agent's state`);
  }
  const dead = state.outbox.filter((e) => e.dead);
  if (dead.length > 0) problems.push(`dead letters: ${dead.map((e) => `${e.idempotencyKey}: ${e.dead!.reason}`).join('; ')}`);
  // A body changed between two sends of one key (409) or a malformed one (400, 422) is a bug here.
  for (const [route, byStatus] of Object.entries(sandbox.requests)) {
    for (const status of ['400', '409', '422']) if (byStatus[status]) problems.push(`${route} answered ${status} ${byStatus[status]} time(s)`);
  }
  return problems;
}

/**
 * Every report's updates arrived once each and in the order the agent queued them (its ongoing
 * updates 1..n, then the restoration), and nothing the agent did not queue; empty when all is well.
 */
export function updateOrderViolations(state: StateData, sandbox: SandboxSnapshot, data: SandboxData): string[] {
  const problems: string[] = [];
  for (const rec of Object.values(state.reports)) {
    if (rec.kind !== 'outage') continue;
    const report = sandbox.reports.find((r) => r.id === rec.reportId);
    if (!report) {
      problems.push(`report of ${rec.key} is not at the authority`);
      continue;
    }
    const keys = [
      ...Array.from({ length: rec.updates }, (_, i) => `${rec.keyStem}:update:${i + 1}`),
      ...(rec.restoredQueued ? [`${rec.keyStem}:restored`] : []),
    ];
    const positions = keys.map((key) => {
      const id = (data.idempotency[`report:${report.id}\u0000${key}`]?.body as { id?: string } | undefined)?.id;
      const at = id ? report.updates.findIndex((u) => u.id === id) : -1;
      if (at < 0) problems.push(`${report.reference}: ${key} never arrived`);
      return at;
    });
    if (positions.some((p, i) => i > 0 && p >= 0 && p < positions[i - 1]!))
      problems.push(`${report.reference}: updates arrived out of order (${keys.join(', ')} at ${positions.join(', ')})`);
    if (report.updates.length !== keys.length)
      problems.push(`${report.reference}: ${report.updates.length} updates at the authority, the agent queued ${keys.length}`);
    const first = report.updates[0];
    if (first && Date.parse(first.received_at) < Date.parse(report.created_at)) problems.push(`${report.reference}: an update arrived before the report`);
  }
  return problems;
}

/** Reports by service, oldest first (for messages). */
export function describeReports(reports: Report[]): string {
  return reports.map((r) => `${r.reference} ${r.body.service.id} ${r.body.started_at} [${r.updates.map((u) => u.status).join(',')}]`).join('\n');
}

export type DiskFault = 'ENOSPC' | 'EIO';
/** The step of a durable write that fails: opening for writing, writing, fsync (file or directory), rename. */
export type DiskStep = 'open' | 'write' | 'fsync' | 'rename';

export interface FaultyStoreFs extends StoreFs {
  /** The error every write gets while set; reads keep working. */
  fail: DiskFault | undefined;
  /** Fail only this step (the others succeed); every step when unset. */
  only: DiskStep | undefined;
}

/**
 * The real file system, with a switch that makes writes fail like a full (ENOSPC) or broken (EIO)
 * disk: opening a file for writing, writing, fsync (files and the directory) and rename.
 */
export function faultyStoreFs(): FaultyStoreFs {
  const refuses = (step: DiskStep) => seam.fail !== undefined && (seam.only === undefined || seam.only === step);
  const refusal = (step: DiskStep, call: string) => {
    const code = seam.fail!;
    const text = code === 'ENOSPC' ? 'no space left on device' : 'i/o error';
    return Object.assign(new Error(`${code}: ${text}, ${call} (injected at ${step})`), { code, errno: code === 'ENOSPC' ? -28 : -5, syscall: call });
  };
  const steps: Record<string, DiskStep> = { writeFile: 'write', write: 'write', truncate: 'write', sync: 'fsync', datasync: 'fsync' };
  const wrap = (handle: FileHandle): FileHandle =>
    new Proxy(handle, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        const step = typeof prop === 'string' ? steps[prop] : undefined;
        if (!step) return (value as (...a: unknown[]) => unknown).bind(target);
        return async (...args: unknown[]) => {
          if (refuses(step)) throw refusal(step, String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const seam: FaultyStoreFs = {
    ...fsp,
    fail: undefined,
    only: undefined,
    open: (async (path: string, flags?: string | number, mode?: number) => {
      if (typeof flags === 'string' && /[wa+]/.test(flags) && refuses('open')) throw refusal('open', 'open');
      return wrap(await fsp.open(path, flags, mode));
    }) as StoreFs['open'],
    rename: (async (from: string, to: string) => {
      if (refuses('rename')) throw refusal('rename', 'rename');
      return fsp.rename(from, to);
    }) as StoreFs['rename'],
  };
  return seam;
}
