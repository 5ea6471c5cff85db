/**
 * `raqib check-config` on a config that is valid but would report every failure as an outage when
 * the agent itself is cut off: it still says valid (exit 0), and warns on stderr with the position.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { ALTERNATE, MANAGER } from '../helpers/reporting.js';
import { tempDir } from '../helpers/tmp.js';

const live = { authority: { mode: 'live', url: 'https://127.0.0.1:8443/' }, crisis_team: { members: [MANAGER, ALTERNATE] } };

async function check(agent: Record<string, unknown>, url: string, headers: Record<string, string> = {}) {
  const dir = await tempDir('raqib-check-config-');
  const file = join(dir, 'raqib.yaml');
  await writeFile(file, configYaml([{ id: 'portal', checks: [{ id: 'home', type: 'http', url, headers }] }], agent, live));
  return { file, ...(await runCli(['check-config', '--config', file])) };
}

describe('raqib check-config warnings', () => {
  it('warns, with file:line:col, when a live config has no way to tell a network cut from an outage', async () => {
    const r = await check({ connectivity: { builtin: false } }, 'https://portal.example.gov.sa/');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
    expect(r.stderr).toMatch(
      new RegExp(
        `^warning: ${r.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: agent\\.connectivity: a live agent needs a way to tell a cut of its own network from an outage, and this config has none \\(builtin: false and no canaries\\); add canaries`,
      ),
    );
  });

  it('warns when nothing is there to derive built-in canaries from (addresses only, authority on loopback)', async () => {
    const r = await check({}, 'https://198.51.100.7/');
    expect(r.stderr).toContain('(no canary proves sight, and one host to watch)');
  });

  it('warns when a check asks for a content coding this Node cannot decode', async () => {
    const r = await check({}, 'https://portal.example.gov.sa/', { 'Accept-Encoding': 'gzip, compress;q=0.5, br' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /: services\[0\]\.checks\[0\]\.headers\.Accept-Encoding: Accept-Encoding asks for compress, which Node v\d+\.\d+\.\d+ cannot decode: .*; leave it out\n$/,
    );
  });

  it('warns a drafts config too, and about a canary on a loopback address, which always answers', async () => {
    const dir = await tempDir('raqib-check-config-');
    const file = join(dir, 'raqib.yaml');
    const gateway = { id: 'local', type: 'tcp', host: '127.0.0.1', port: 53 };
    await writeFile(
      file,
      configYaml(
        [{ id: 'portal', checks: [{ id: 'home', type: 'http', url: 'https://198.51.100.7/' }] }],
        { connectivity: { canaries: [gateway], builtin: true } },
        { authority: { mode: 'drafts' }, crisis_team: live.crisis_team },
      ),
    );
    const r = await runCli(['check-config', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('agent.connectivity.canaries[0]: canary "local" is on a loopback address, which always answers');
  });

  it('says nothing more when the built-in canaries apply', async () => {
    const r = await check({}, 'https://portal.example.gov.sa/');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
