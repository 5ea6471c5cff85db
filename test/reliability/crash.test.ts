/**
 * Crashes: the built agent is killed with SIGKILL at random moments, start-up included, while its
 * services go down and come back on a random schedule and the authority is slow both before it
 * handles a request and after it has done it (so kills land mid-request, in the window idempotency
 * keys exist for). After every kill nothing at the authority is duplicated or orphaned; at the end
 * every incident the agent ever recorded has exactly one report, and every ended one exactly one
 * restoration.
 *
 * RAQIB_CRASH_ROUNDS sets the number of kills (20 by default, as in CI; the long mode is e.g.
 * RAQIB_CRASH_ROUNDS=300). RAQIB_CRASH_SEED replays a schedule; the seed is printed on failure.
 */
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import type { SandboxSnapshot } from '../../agent/sandbox/server.js';
import type { StateData } from '../../agent/store/types.js';
import { eventually, sample, startAgent, stopAllAgents } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { closeSandboxes, control, startTestSandbox } from '../helpers/reporting.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { tempDir } from '../helpers/tmp.js';
import { between, describeReports, envInt, exactlyOnceViolations, prepareAgentDir, readAgentState, readSandboxData, seededRandom, sleep } from './helpers.js';

const ROUNDS = envInt('RAQIB_CRASH_ROUNDS', 20);
const SEED = envInt('RAQIB_CRASH_SEED', Math.floor(Math.random() * 2 ** 31));
const SERVICES = ['appointments', 'prescriptions', 'sehhaty'];
/** Log lines right after which a crash is most telling: a step taken in memory, its write under way. */
const TRIGGERS = ['incident opened', 'incident closed', 'queued', 'delivered', 'report filed with the authority', 'check state changed'];

const targets: SwitchTarget[] = [];
afterEach(async () => {
  await stopAllAgents();
  await closeSandboxes();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

/** Flips one of the services, chosen at random, every 200–1500 ms until stopped. */
function flapper(services: { target: SwitchTarget; up: boolean }[], random: () => number) {
  let stopped = false;
  let flips = 0;
  const done = (async () => {
    while (!stopped) {
      await sleep(between(random, 200, 1_500));
      if (stopped) break;
      const s = services[Math.floor(random() * services.length)]!;
      s.up = !s.up;
      s.target.set(s.up);
      flips++;
    }
  })();
  return {
    get flips() {
      return flips;
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/**
 * What must hold at any moment, even mid-crash: every report at the authority is about an
 * incident in the agent's state file, no outage is reported twice, none restored twice.
 */
function midCrashViolations(state: StateData, sandbox: SandboxSnapshot): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const r of sandbox.reports) {
    const outage = `${r.body.service.id}@${Date.parse(r.body.started_at)}`;
    if (seen.has(outage)) problems.push(`${r.reference} and ${seen.get(outage)} report the same outage ${outage}`);
    seen.set(outage, r.reference);
    if (!state.incidents.some((i) => i.serviceId === r.body.service.id && i.startedAt === Date.parse(r.body.started_at))) {
      problems.push(`${r.reference} (${outage}) is about no incident in the agent's state file`);
    }
    const restored = r.updates.filter((u) => u.status === 'restored').length;
    if (restored > 1) problems.push(`${r.reference} was restored ${restored} times`);
  }
  return problems;
}

describe('crashes', () => {
  it(
    `files exactly one report per incident and one restoration per ended incident across ${ROUNDS} SIGKILLs at random moments`,
    async () => {
      onTestFailed(() => console.error(`crash test failed with seed ${SEED}: replay with RAQIB_CRASH_SEED=${SEED} RAQIB_CRASH_ROUNDS=${ROUNDS}`));
      const random = seededRandom(SEED);
      const services = await Promise.all(SERVICES.map(async () => ({ target: await startSwitchTarget(true), up: true })));
      targets.push(...services.map((s) => s.target));
      const sandbox = await startTestSandbox();
      const agentDir = await prepareAgentDir({
        prefix: 'raqib-crash-',
        sandboxUrl: sandbox.url,
        services: SERVICES.map((id, i) => ({ id, checks: [{ id: 'portal', type: 'http', url: services[i]!.target.url }] })),
        // Each outage its own incident: flapping never merges them here.
        defaults: { flapping: { changes: 1000, window: '1m' } },
        authority: { update_interval: '2s', followup_interval: '1s', retry_max_delay: '1s' },
      });
      // Slow before handling and after doing: a kill can land while the authority holds a request.
      await control(sandbox, 'faults', { latency_ms: 150, answer_delay_ms: 250 });
      const driver = flapper(services, seededRandom(SEED + 1));
      const context = () => `seed ${SEED} (replay with RAQIB_CRASH_SEED=${SEED}); kill delays and flips follow from it`;
      let kills = 0;
      try {
        for (let round = 1; round <= ROUNDS; round++) {
          const agent = await agentDir.spawn();
          const deadline = sleep(between(random, 300, 2_500));
          // Half the rounds aim at a step that must survive a crash right after it (0–20 ms after its log line).
          const trigger = random() < 0.5 ? TRIGGERS[Math.floor(random() * TRIGGERS.length)]! : undefined;
          const aimed = between(random, 0, 20);
          if (trigger) {
            await Promise.race([
              deadline,
              agent
                .waitForLog((l) => l.msg === trigger, 3_000)
                .then(
                  () => sleep(aimed),
                  () => undefined,
                ),
            ]);
          } else {
            await deadline;
          }
          const code = await agent.stop('SIGKILL');
          expect(code, `round ${round}: the agent exited by itself: ${agent.stderr()}`).toBe(null);
          kills++;
          const state = await readAgentState(agentDir.dataDir).catch(() => undefined);
          if (state) expect(midCrashViolations(state, sandbox.state), `after kill ${round}, ${context()}`).toEqual([]);
        }
      } finally {
        await driver.stop();
      }

      // Every service back; one last start must deliver everything and close every incident.
      for (const s of services) s.target.set((s.up = true));
      await control(sandbox, 'faults', {}, 'DELETE');
      const agent = await agentDir.start();
      let last: StateData | undefined;
      const settled = async () => {
        last = await readAgentState(agentDir.dataDir);
        const quiet = last.incidents.every((i) => i.status === 'closed') && last.outbox.every((e) => e.dead);
        return quiet && sample(await agent.metrics(), 'raqib_outbox_pending') === 0;
      };
      try {
        await eventually(settled, 30_000);
        await sleep(1_000); // a restoration queued just after the outbox emptied would show now
        await eventually(settled, 30_000);
      } catch (err) {
        throw new Error(
          `the agent did not settle (${context()}): ${String(err)}\nincidents: ${JSON.stringify(last?.incidents.map((i) => [i.id, i.status]))}\noutbox: ${JSON.stringify(last?.outbox.map((e) => [e.idempotencyKey, e.lastError]))}`,
          { cause: err },
        );
      }
      expect(await agent.stop('SIGTERM')).toBe(0);

      const state = await readAgentState(agentDir.dataDir);
      const snapshot = sandbox.state;
      const violations = exactlyOnceViolations(state, snapshot, await readSandboxData(sandbox.dataFile));
      expect(violations, `${context()}\nreports:\n${describeReports(snapshot.reports)}`).toEqual([]);
      // The run exercised what it claims to: kills, outages that began and ended, filings.
      expect(kills).toBe(ROUNDS);
      expect(driver.flips).toBeGreaterThanOrEqual(ROUNDS / 2);
      expect(state.incidents.length, context()).toBeGreaterThanOrEqual(Math.min(3, ROUNDS));
      expect(snapshot.reports.length).toBe(state.incidents.length);
    },
    60_000 + ROUNDS * 4_000,
  );

  it('starts at once after an agent was killed while taking over the data_dir lock of one killed before it', async () => {
    // What two crashes in a row leave: the lock of the first agent, and the takeover file of the
    // second, which died in the few milliseconds between judging that lock stale and replacing it.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    const owner = (token: string) => JSON.stringify({ pid: dead.pid, host: hostname(), since: new Date().toISOString(), token });
    const dir = await tempDir('raqib-crash-lock-');
    const dataDir = join(dir, 'data');
    const target = await startSwitchTarget(true);
    targets.push(target);
    await startAgent(configYaml([{ id: 'appointments', checks: [{ id: 'portal', type: 'http', url: target.url }] }], { data_dir: dataDir }), { dir }).then(
      (a) => a.stop('SIGTERM'),
    );
    await writeFile(join(dataDir, 'raqib.lock'), owner('first'));
    await writeFile(join(dataDir, 'raqib.lock.takeover'), owner('second'));

    const started = Date.now();
    const agent = await startAgent(await readFile(join(dir, 'raqib.yaml'), 'utf8'), { dir });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(JSON.parse(await readFile(join(dataDir, 'raqib.lock'), 'utf8')).pid).toBe(agent.child.pid);
    await expect(stat(join(dataDir, 'raqib.lock.takeover'))).rejects.toThrow(/ENOENT/);
  });
});
