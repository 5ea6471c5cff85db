/**
 * `raqib probe` as an operator runs it (a child process, `npm test` builds first) against a local
 * HTTPS target: it must print the running agent's verdict, not a fresh process's. What shows it
 * here is what the target saw (the row's probe resumed its TLS session, as the agent's do; the
 * warm-up contacted nothing) and how the table is laid out; how fast a cold and a warm probe are
 * (34–56 ms against 2.5–4.5 on a 2-core machine) is measured apart, not asserted.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/agent-process.js';
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

describe('raqib probe', () => {
  it("prints the warm agent's verdict for an HTTPS check, with first contact and process start-up shown apart", async () => {
    const https = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'http', url: `${t.namedUrl}/ok?${id}`, ca_file: CA_FILE, ...extra });
    const before = { accepted: t.accepted(), ...t.handshakes };
    const out = await probeCli([https('a'), https('b'), https('c'), https('full', { tls_resume: false })]);
    await t.idle();
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/^SERVICE\s+CHECK\s+TYPE\s+STATUS\s+CODE\s+LATENCY\s+FIRST\s+DETAIL\n/);
    for (const c of ['a', 'b', 'c', 'full']) {
      const cells = row(out.stdout, c);
      expect(cells.slice(3, 5)).toEqual(['UP', 'OK']);
      expect(cells[6]).toMatch(/^\d+ms( [A-Z_]+)?$/); // what the first probe took
    }
    expect(out.stdout).toMatch(/\nProcess start-up, in neither: \d+ ms before the first probe/);
    // Two probes per check and nothing of the warm-up: the first a full handshake, the second
    // resuming its session as the agent's do, except where tls_resume is false.
    expect({ accepted: t.accepted() - before.accepted, full: t.handshakes.full - before.full, resumed: t.handshakes.resumed - before.resumed }).toEqual({
      accepted: 8,
      full: 5,
      resumed: 3,
    });
  });

  it('warms the process before first contact without contacting the target', async () => {
    const before = t.accepted();
    const out = await probeCli([{ id: 'only', type: 'http', url: `${t.namedUrl}/ok`, ca_file: CA_FILE }]);
    await t.idle();
    expect(row(out.stdout, 'only').slice(3, 5)).toEqual(['UP', 'OK']);
    expect(out.stdout).toMatch(/warmed over loopback, no target contacted/);
    expect(t.accepted() - before).toBe(2);
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
