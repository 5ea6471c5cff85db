/**
 * Storage faults. A state file that cannot be trusted (truncated by a crash of the disk, or
 * garbage) stops start-up with a message naming it and its backup, and is never overwritten. A disk
 * that fails writes (ENOSPC, EIO — injected through the store's file-system seam) does not stop the
 * agent: it says it is not ready, counts the errors, keeps retrying, and sends nothing to the
 * authority that is not on disk yet; once the disk recovers, what waited is filed exactly once.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../agent/app.js';
import { loadConfigFile } from '../../agent/config/load.js';
import { createLogger } from '../../agent/log.js';
import { eventually, runCli, sample, startAgent, stopAllAgents, type LogLine } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { closeSandboxes, startTestSandbox } from '../helpers/reporting.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { tempDir } from '../helpers/tmp.js';
import {
  exactlyOnceViolations,
  faultyStoreFs,
  type FaultyStoreFs,
  prepareAgentDir,
  readAgentState,
  readSandboxData,
  sleep,
  updateOrderViolations,
} from './helpers.js';

const targets: SwitchTarget[] = [];
const apps: App[] = [];
const disks: FaultyStoreFs[] = [];
afterEach(async () => {
  for (const fs of disks.splice(0)) fs.fail = fs.only = undefined; // so a failed test's agent can still stop cleanly
  await Promise.all(apps.splice(0).map((a) => a.stop()));
  await stopAllAgents();
  await closeSandboxes();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

describe('a state file that cannot be trusted', () => {
  /** An agent directory whose state.json has been written and read back once (so state.json.bak exists). */
  async function agentWithBackup() {
    const target = await startSwitchTarget(true);
    targets.push(target);
    const dir = await tempDir('raqib-storage-');
    const dataDir = join(dir, 'data');
    const yaml = configYaml([{ id: 'appointments', checks: [{ id: 'portal', type: 'http', url: target.url, interval: '300ms', timeout: '250ms' }] }], {
      data_dir: dataDir,
    });
    const first = await startAgent(yaml, { dir });
    await eventually(async () => (await readAgentState(dataDir).catch(() => undefined))?.checks['appointments/portal']?.state === 'UP');
    expect(await first.stop('SIGTERM')).toBe(0);
    const second = await startAgent(yaml, { dir }); // a good start keeps what it read as the backup
    expect(await second.stop('SIGTERM')).toBe(0);
    const file = join(dataDir, 'state.json');
    await stat(`${file}.bak`);
    return { dir, dataDir, file, configFile: join(dir, 'raqib.yaml') };
  }

  it.each([
    ['truncated', (good: string) => good.slice(0, Math.floor(good.length / 2)), 'is not valid JSON'],
    ['garbage', () => randomBytes(512).toString('latin1'), 'is not valid JSON'],
    ['foreign (JSON, not raqib state)', () => '{"version": 99, "incidents": "none"}', 'does not hold raqib state'],
  ])('refuses to start on a %s state file, naming the file and its backup, and leaves both untouched', async (_what, corrupt, why) => {
    const a = await agentWithBackup();
    const good = await readFile(a.file, 'utf8');
    const backup = await readFile(`${a.file}.bak`);
    const bad = corrupt(good);
    await writeFile(a.file, bad, 'latin1');
    const before = await readFile(a.file);

    const run = await runCli(['run', '--config', a.configFile], {}, a.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`state file ${a.file} ${why}`);
    expect(run.stderr).toContain(`The last good backup is ${a.file}.bak`);
    expect(run.stderr).toContain('raqib will not overwrite it');
    expect(run.stderr).not.toMatch(/\n\s+at |internal error/); // a message, not a stack trace
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(await readFile(a.file)).toEqual(before);
    expect(await readFile(`${a.file}.bak`)).toEqual(backup);
    await expect(stat(join(a.dataDir, 'raqib.lock'))).rejects.toThrow(/ENOENT/); // nothing half-started
  });
});

describe('a failing disk', () => {
  /** The agent in this process, its store on a file system whose writes the test can make fail. */
  async function inProcessAgent(authority: Record<string, unknown>) {
    const target = await startSwitchTarget(true);
    targets.push(target);
    const sandbox = await startTestSandbox();
    const agentDir = await prepareAgentDir({
      prefix: 'raqib-disk-',
      sandboxUrl: sandbox.url,
      services: [{ id: 'appointments', checks: [{ id: 'portal', type: 'http', url: target.url }] }],
      defaults: { interval: '500ms', timeout: '450ms', retry_interval: '150ms' },
      authority,
    });
    const fs = faultyStoreFs();
    disks.push(fs);
    const logs: LogLine[] = [];
    const log = createLogger({ level: 'info', destination: { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) } });
    const app = createApp({ loaded: await loadConfigFile(agentDir.configFile), log, fs, reportingTickMs: 100 });
    apps.push(app);
    await app.start();
    const url = `http://127.0.0.1:${app.server!.address.port}`;
    const get = async <T>(path: string) => (await fetch(`${url}${path}`)).json() as Promise<T>;
    const metric = async (name: string, labels: Record<string, string> = {}) => sample(await (await fetch(`${url}/metrics`)).text(), name, labels) ?? 0;
    const ready = async () => {
      const res = await fetch(`${url}/readyz`);
      return { status: res.status, reasons: ((await res.json()) as { reasons: string[] }).reasons };
    };
    await eventually(() => sandbox.state.teams.length === 1);
    await eventually(async () => (await readAgentState(agentDir.dataDir).catch(() => undefined))?.checks['appointments/portal']?.state === 'UP');
    expect((await ready()).status).toBe(200);
    return { target, sandbox, agentDir, fs, logs, app, url, get, metric, ready };
  }

  const NOT_WRITABLE = 'state file is not writable: see the log for the write error';

  it('keeps running through ENOSPC and EIO: not ready, counts and retries the writes, and files an outage confirmed meanwhile once the disk recovers, exactly once', async () => {
    const t = await inProcessAgent({ update_interval: '1h' });
    t.fs.fail = 'ENOSPC';
    t.target.set(false);
    await eventually(async () => (await t.ready()).status === 503);
    expect((await t.ready()).reasons).toContain(NOT_WRITABLE);
    // The outage is confirmed (in memory) but not on disk, so nobody hears of it yet.
    await eventually(async () => (await t.get<{ incidents: { open: unknown[] } }>('/api/v1/status')).incidents.open.length === 1);
    const errorsEarly = await t.metric('raqib_store_write_errors_total');
    const probesEarly = await t.metric('raqib_probes_total', { service: 'appointments', result: 'down' });
    await sleep(2_000);
    t.fs.fail = 'EIO';
    t.fs.only = 'fsync'; // the temp file is written, its fsync fails: nothing may count as written
    await sleep(2_000);

    expect(t.sandbox.state.reports).toEqual([]);
    expect((await readAgentState(t.agentDir.dataDir)).incidents).toEqual([]);
    expect(await t.metric('raqib_store_write_errors_total')).toBeGreaterThan(errorsEarly); // retried, and failing again
    expect(await t.metric('raqib_state_writes_total', { result: 'error' })).toBe(await t.metric('raqib_store_write_errors_total'));
    expect(await t.metric('raqib_probes_total', { service: 'appointments', result: 'down' })).toBeGreaterThan(probesEarly); // still watching
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect((await t.ready()).reasons).toContain(NOT_WRITABLE);
    const failed = t.logs.filter((l) => l.msg === 'state write failed').map((l) => (l['err'] as { code?: string }).code);
    expect(failed).toContain('ENOSPC');
    expect(failed).toContain('EIO');
    expect(t.logs.some((l) => l.msg === 'incident not yet durable; holding it until the state file can be written')).toBe(true);

    t.fs.fail = undefined;
    t.fs.only = undefined;
    const filed = await eventually(() => t.sandbox.state.reports[0], 15_000);
    await eventually(async () => (await t.ready()).status === 200);
    expect(t.logs.some((l) => l.msg === 'state write recovered')).toBe(true);
    t.target.set(true);
    await eventually(() => t.sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored'));
    await eventually(async () => (await t.metric('raqib_outbox_pending')) === 0);
    await sleep(1_000);

    const state = await readAgentState(t.agentDir.dataDir);
    expect(state.incidents).toHaveLength(1);
    expect(state.reports[state.incidents[0]!.id]!.reportId).toBe(filed.id);
    expect(exactlyOnceViolations(state, t.sandbox.state, await readSandboxData(t.sandbox.dataFile))).toEqual([]);
  }, 40_000);

  it('sends no update or restoration that is not on disk: what the agent queues while writes fail waits, then goes once, in order', async () => {
    const t = await inProcessAgent({ update_interval: '1s' });
    t.target.set(false);
    await eventually(() => t.sandbox.state.reports[0]?.updates.some((u) => u.status === 'ongoing'), 10_000);

    t.fs.fail = 'EIO';
    t.fs.only = 'rename';
    await sleep(300); // a write already past its rename may still land; none after it
    const onDisk = await readAgentState(t.agentDir.dataDir);
    const durableUpdates = Object.values(onDisk.reports)[0]!.updates;
    await sleep(1_500); // periodic updates fall due (and are queued in memory)
    t.target.set(true); // the restoration is queued in memory too
    await sleep(2_000);

    type View = { reports: { updates: number; restored: boolean }[] };
    const inMemory = (await t.get<View>('/api/v1/reports')).reports[0]!;
    const held = t.sandbox.state.reports[0]!;
    expect(inMemory.updates).toBeGreaterThan(durableUpdates);
    expect(held.updates.filter((u) => u.status === 'ongoing').length).toBeLessThanOrEqual(durableUpdates);
    expect(held.updates.some((u) => u.status === 'restored')).toBe(false);
    expect((await readAgentState(t.agentDir.dataDir)).incidents[0]!.status).toBe('open');
    expect((await t.ready()).status).toBe(503);

    t.fs.fail = undefined;
    t.fs.only = undefined;
    // A durable entry whose first attempt met the failing disk is held (not sent) for up to 30 s.
    await eventually(() => t.sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored'), 35_000);
    await eventually(async () => (await t.metric('raqib_outbox_pending')) === 0);
    await sleep(1_000);
    const state = await readAgentState(t.agentDir.dataDir);
    const snapshot = t.sandbox.state;
    const data = await readSandboxData(t.sandbox.dataFile);
    expect(exactlyOnceViolations(state, snapshot, data)).toEqual([]);
    expect(updateOrderViolations(state, snapshot, data)).toEqual([]);
    expect(snapshot.reports).toHaveLength(1);
  }, 60_000);
});
