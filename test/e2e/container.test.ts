/**
 * No Docker engine runs here, so the image cannot be built; this test runs what the image runs:
 * the final stage's ENTRYPOINT + CMD with its ENV, with /app mapped to this checkout and the
 * config and data paths mapped to a temp dir (as `-v` mounts would), then its HEALTHCHECK.
 */
import { spawn } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_ENV, AGENT_HEAP_FLAGS, AGENT_NODE_FLAGS, AGENT_V8_FLAGS } from '../bench/lib/node-flags.js';
import { ROOT } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/tmp.js';

interface Stage {
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[];
  user: string;
  expose: string[];
}

/** The last stage of the Dockerfile: what `docker run` executes. */
function finalStage(dockerfile: string): Stage {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  const stages = joined.split(/^FROM /m);
  const last = stages.at(-1)!;
  const stage: Stage = { env: {}, entrypoint: [], cmd: [], healthcheck: [], user: 'root', expose: [] };
  for (const line of last.split('\n')) {
    const [instr, ...rest] = line.trim().split(/\s+/);
    const args = rest.join(' ');
    if (instr === 'ENV') for (const m of args.matchAll(/(\w+)=(?:"([^"]*)"|(\S+))/g)) stage.env[m[1]!] = m[2] ?? m[3]!;
    if (instr === 'ENTRYPOINT') stage.entrypoint = JSON.parse(args) as string[];
    if (instr === 'CMD') stage.cmd = JSON.parse(args) as string[];
    if (instr === 'HEALTHCHECK') stage.healthcheck = JSON.parse(args.slice(args.indexOf('CMD ') + 4)) as string[];
    if (instr === 'USER') stage.user = args;
    if (instr === 'EXPOSE') stage.expose.push(args);
  }
  return stage;
}

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

describe('container image', () => {
  it('declares a non-root user, the state volume, port 9470 and a healthcheck without curl', async () => {
    const text = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const stage = finalStage(text);
    expect(stage.user).not.toBe('root');
    expect(stage.expose).toEqual(['9470']);
    expect(text).toMatch(/^VOLUME \["\/var\/lib\/raqib"\]$/m);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(stage.healthcheck[0]).toBe('node');
    expect(stage.cmd).toEqual(['run', '--config', '/etc/raqib/raqib.yaml']);
  });

  it('runs the agent with the same V8 flags and malloc environment in the image, under npm start and in the benchmark', async () => {
    const stage = finalStage(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    // The heap flags in NODE_OPTIONS (a user may change them there), the others on the command line.
    expect(stage.env['NODE_OPTIONS']?.split(' ')).toEqual(AGENT_HEAP_FLAGS);
    expect(stage.entrypoint).toEqual(['node', ...AGENT_V8_FLAGS, '/app/dist/agent/main.js']);
    for (const [name, value] of Object.entries(AGENT_ENV)) expect(stage.env[name], name).toBe(value);
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const start = /&& ((?:\w+=\S+ )*)node (.*?) dist\/agent\/main\.js run/.exec(pkg.scripts['start']!);
    expect(start?.[2]?.split(' ')).toEqual(AGENT_NODE_FLAGS);
    const startEnv = Object.fromEntries([...(start?.[1] ?? '').matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    expect(startEnv).toEqual(AGENT_ENV);
  });

  it('starts with the image entry, flags and env and answers its own healthcheck', async () => {
    const stage = finalStage(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    const dir = await tempDir('raqib-container-');
    const config = join(dir, 'raqib.yaml');
    await copyFile(join(ROOT, 'config/raqib.yaml'), config); // the config the image ships
    const map = (arg: string) => arg.replace(/^\/app\//, ROOT).replace('/etc/raqib/raqib.yaml', config);
    const [cmd, ...args] = [...stage.entrypoint, ...stage.cmd].map(map);
    const env = {
      PATH: process.env['PATH'] ?? '',
      ...stage.env,
      RAQIB_CONFIG: config,
      RAQIB_DATA_DIR: join(dir, 'data'), // the volume
      RAQIB_LISTEN: '127.0.0.1:0', // `-p` would publish 9470; port 0 keeps parallel tests apart
    };
    expect(cmd).toBe('node');
    const agent = spawn(process.execPath, args, { cwd: dir, env });
    children.push(agent);
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      agent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"port":(\d+),"msg":"listening"/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      agent.on('exit', (code) => reject(new Error(`agent exited ${code}: ${out}`)));
    });

    const [hcCmd, ...hcArgs] = stage.healthcheck;
    expect(hcCmd).toBe('node');
    const health = spawn(process.execPath, hcArgs, { env: { ...env, RAQIB_LISTEN: `127.0.0.1:${port}` } });
    expect(await new Promise((resolve) => health.on('exit', resolve))).toBe(0);

    agent.kill('SIGTERM');
    expect(await new Promise((resolve) => agent.on('exit', resolve))).toBe(0);
    const dead = spawn(process.execPath, hcArgs, { env: { ...env, RAQIB_LISTEN: `127.0.0.1:${port}` } });
    expect(await new Promise((resolve) => dead.on('exit', resolve))).toBe(1);
  });
});
