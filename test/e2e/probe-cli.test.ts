/**
 * `raqib probe` as an operator runs it (a child process, `npm test` builds first) against a local
 * HTTPS target: it must print the running agent's verdict, not a fresh process's. On a 2-core
 * machine a cold process's first HTTPS probe of this target took 34–56 ms, a warm agent's 2.5–4.5.
 * `max_latency: 25ms` splits the two; the assertions compare with warm probes made in this test
 * and take the best of three checks, so a loaded machine's hiccup in one probe fails nothing.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeRunner } from '../../agent/probes/registry.js';
import { runCli } from '../helpers/agent-process.js';
import { httpCheck, probeContext } from '../helpers/check-config.js';
import { configYaml } from '../helpers/config.js';
import { CA_FILE, startHttpTarget, startSilentTarget, type HttpTarget, type Target } from '../helpers/targets.js';
import { tempDir } from '../helpers/tmp.js';

let t: HttpTarget;
let silent: Target;
beforeAll(async () => {
  t = await startHttpTarget({ tls: 'localhost' });
  silent = await startSilentTarget();
});
afterAll(async () => {
  await t.close();
  await silent.close();
});

async function probeCli(checks: Record<string, unknown>[]) {
  const file = join(await tempDir(), 'raqib.yaml');
  await writeFile(file, configYaml([{ id: 'web', checks }]));
  return runCli(['probe', '--config', file]);
}

/** Cells of the row of `check` in the table: SERVICE CHECK TYPE STATUS CODE LATENCY FIRST DETAIL. */
function row(stdout: string, check: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`web `) && l.split(/\s+/)[1] === check);
  expect(line, `no row for ${check} in:\n${stdout}`).toBeDefined();
  return line!.split(/\s{2,}/);
}

const ms = (cell: string) => Number(/^(\d+)ms\b/.exec(cell)?.[1] ?? NaN);

/** Median latency of warm probes of `url` in this process, sessions resumed as in the agent. */
async function warmLatency(url: string): Promise<number> {
  const probe = createProbeRunner();
  const check = httpCheck({ url, ca_file: CA_FILE });
  const totals: number[] = [];
  for (let i = 0; i < 8; i++) totals.push((await probe(check, probeContext())).phases.total);
  const warm = totals.slice(3).sort((a, b) => a - b);
  return warm[Math.floor(warm.length / 2)]!;
}

describe('raqib probe', () => {
  it('prints the warm agent\'s verdict for an HTTPS check, with first contact and process start-up shown apart', async () => {
    const warm = await warmLatency(`${t.namedUrl}/ok`);
    const https = (id: string, extra: Record<string, unknown> = {}) =>
      ({ id, type: 'http', url: `${t.namedUrl}/ok?${id}`, ca_file: CA_FILE, expect: { max_latency: '25ms' }, ...extra });
    const run = async () => {
      const before = { accepted: t.accepted(), ...t.handshakes };
      const out = await probeCli([https('a'), https('b'), https('c'), https('full', { tls_resume: false })]);
      await t.idle();
      const seen = { accepted: t.accepted() - before.accepted, full: t.handshakes.full - before.full, resumed: t.handshakes.resumed - before.resumed };
      const rows = ['a', 'b', 'c'].map((c) => row(out.stdout, c));
      return { out, seen, rows, best: rows.reduce((x, y) => (ms(x[5]!) <= ms(y[5]!) ? x : y)) };
    };
    // A loaded machine can stall the CLI through a whole probe: up to three runs. A cold first
    // probe (34–56 ms here) is far past the bound in every one.
    let r = await run();
    for (let tries = 1; tries < 3 && !(ms(r.best[5]!) <= warm + 15 && r.best[3] === 'UP'); tries++) r = await run();

    expect(r.out.stderr).toBe('');
    expect(r.out.stdout).toMatch(/^SERVICE\s+CHECK\s+TYPE\s+STATUS\s+CODE\s+LATENCY\s+FIRST\s+DETAIL\n/);
    // The best of the three resuming checks is within 15 ms of a warm probe, and judged so.
    expect(ms(r.best[5]!), r.out.stdout).toBeLessThanOrEqual(warm + 15);
    expect(r.best.slice(3, 5)).toEqual(['UP', 'OK']);
    // Each row says what its first probe took; the start-up is counted apart from both.
    for (const cells of [...r.rows, row(r.out.stdout, 'full')]) expect(cells[6]).toMatch(/^\d+ms( [A-Z_]+)?$/);
    expect(r.out.stdout).toMatch(/\nProcess start-up, in neither: \d+ ms before the first probe/);
    // The target saw two probes per check and nothing of the warm-up: the first a full handshake,
    // the second resuming its session as the agent's do, except where tls_resume is false.
    expect(r.seen).toEqual({ accepted: 8, full: 5, resumed: 3 });
  });

  it('warms the process before first contact without contacting the target, so FIRST is close to a warm probe too', async () => {
    const warm = await warmLatency(`${t.namedUrl}/ok`);
    const run = async () => {
      const before = t.accepted();
      const out = await probeCli([{ id: 'only', type: 'http', url: `${t.namedUrl}/ok`, ca_file: CA_FILE }]);
      await t.idle();
      return { out, first: ms(row(out.stdout, 'only')[6]!), accepted: t.accepted() - before };
    };
    // Without the warm-up the first probe pays the trust store and the first TLS client: 34–56 ms.
    let r = await run();
    for (let tries = 1; tries < 3 && !(r.first <= warm + 15); tries++) r = await run();
    expect(r.first, r.out.stdout).toBeLessThanOrEqual(warm + 15);
    expect(r.accepted).toBe(2);
  });

  it('does not make a check that timed out wait its timeout a second time', async () => {
    const before = silent.accepted();
    const out = await probeCli([{ id: 'hung', type: 'http', url: `http://127.0.0.1:${silent.port}/`, timeout: '300ms' }]);
    expect(out.code).toBe(1);
    expect(row(out.stdout, 'hung').slice(3, 7)).toEqual(['DOWN', 'TIMEOUT', expect.stringMatching(/^\d+ms$/), '-']);
    expect(out.stdout).toContain('\nFIRST - : the first probe timed out and was not repeated; the row is that probe.\n');
    expect(silent.accepted() - before).toBe(1);
  });
});
