/**
 * No Docker engine runs here, so the image cannot be built; this test runs what the image runs:
 * the final stage's ENTRYPOINT (bin/raqib, which applies config/node-flags) + CMD with its ENV,
 * with /app mapped to this checkout and the config and data paths mapped to a temp dir (as `-v`
 * mounts would), then its HEALTHCHECK.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRuntimeSettings } from '../../agent/cli/runtime-flags.js';
import { AGENT_ENV, AGENT_NODE_FLAGS } from '../bench/lib/node-flags.js';
import { MAIN, ROOT } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/tmp.js';

const LAUNCHER = join(ROOT, 'bin/raqib');
const SETTINGS = parseRuntimeSettings(await readFile(join(ROOT, 'config/node-flags'), 'utf8'));
/** PATH with the node running this test first: bin/raqib runs the `node` in PATH, as in the image. */
const PATH = [dirname(process.execPath), process.env['PATH'] ?? ''].join(delimiter);

interface Stage {
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[];
  user: string;
  expose: string[];
  copies: string[];
}

/** The last stage of the Dockerfile: what `docker run` executes. */
function finalStage(dockerfile: string): Stage {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  const stages = joined.split(/^FROM /m);
  const last = stages.at(-1)!;
  const stage: Stage = { env: {}, entrypoint: [], cmd: [], healthcheck: [], user: 'root', expose: [], copies: [] };
  for (const line of last.split('\n')) {
    const [instr, ...rest] = line.trim().split(/\s+/);
    const args = rest.join(' ');
    if (instr === 'ENV') for (const m of args.matchAll(/(\w+)=(?:"([^"]*)"|(\S+))/g)) stage.env[m[1]!] = m[2] ?? m[3]!;
    if (instr === 'ENTRYPOINT') stage.entrypoint = JSON.parse(args) as string[];
    if (instr === 'CMD') stage.cmd = JSON.parse(args) as string[];
    if (instr === 'HEALTHCHECK') stage.healthcheck = JSON.parse(args.slice(args.indexOf('CMD ') + 4)) as string[];
    if (instr === 'USER') stage.user = args;
    if (instr === 'EXPOSE') stage.expose.push(args);
    if (instr === 'COPY') stage.copies.push(args);
  }
  return stage;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Starts an agent and resolves once it logged "listening", with its port and the lines so far. */
async function listening(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ agent: ChildProcess; port: number; logs: () => string }> {
  const agent = spawn(cmd, args, { cwd, env });
  children.push(agent);
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    agent.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+),"msg":"listening"/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    agent.on('exit', (code) => reject(new Error(`agent exited ${code}: ${out}`)));
  });
  return { agent, port, logs: () => out };
}

/** The image's environment, with the config and data paths in `dir` and a port of its own. */
async function imageEnv(stage: Stage, dir: string): Promise<{ env: Record<string, string>; config: string }> {
  const config = join(dir, 'raqib.yaml');
  await copyFile(join(ROOT, 'config/raqib.yaml'), config); // the config the image ships
  const env = {
    PATH,
    ...stage.env,
    RAQIB_CONFIG: config,
    RAQIB_DATA_DIR: join(dir, 'data'), // the volume
    RAQIB_LISTEN: '127.0.0.1:0', // `-p` would publish 9470; port 0 keeps parallel tests apart
  };
  return { env, config };
}

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

  it('runs the agent through bin/raqib in the image and under npm start, with the flags the benchmark reads', async () => {
    const stage = finalStage(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(stage.entrypoint).toEqual(['/app/bin/raqib']);
    expect(stage.copies).toEqual(expect.arrayContaining(['--chmod=0755 bin/raqib ./bin/raqib', 'config/node-flags ./config/node-flags']));
    // config/node-flags is the one place: the image's ENV must not set them again (it would win).
    expect(Object.keys(stage.env)).not.toContain('NODE_OPTIONS');
    for (const name of Object.keys(SETTINGS.env)) expect(Object.keys(stage.env)).not.toContain(name);
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
    expect(pkg.scripts['start']).toMatch(/&& bin\/raqib run --config config\/raqib\.yaml$/);
    expect(pkg.bin['raqib']).toBe('bin/raqib');
    // The benchmark reads the same file, and reads it the way the agent does.
    expect(SETTINGS.flags.length).toBeGreaterThan(0);
    expect(AGENT_NODE_FLAGS).toEqual(SETTINGS.flags);
    expect(AGENT_ENV).toEqual(SETTINGS.env);
  });

  it("bin/raqib puts the file's flags on node's command line and its variables in the environment, yours winning", async () => {
    // The launcher in a root of its own, with a settings file of the test's.
    const root = await tempDir('raqib-launcher-');
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'config'));
    await copyFile(LAUNCHER, join(root, 'bin/raqib'));
    await chmod(join(root, 'bin/raqib'), 0o755);
    await writeFile(
      join(root, 'config/node-flags'),
      '# a comment\n--max-old-space-size=512\n\n# --not-this=1\n--stack-size=900\nRAQIB_T_ONE=1\nRAQIB_T_TWO=a=b\n',
    );
    // A `node` that says what it was given.
    await writeFile(join(root, 'bin/node'), '#!/bin/sh\nprintf \'%s\\n\' "$@" "one=${RAQIB_T_ONE-unset}" "two=${RAQIB_T_TWO-unset}"\n');
    await chmod(join(root, 'bin/node'), 0o755);
    const run = async (env: Record<string, string>) => {
      const child = spawn(join(root, 'bin/raqib'), ['run', '--config', 'a b.yaml'], {
        env: { PATH: [join(root, 'bin'), process.env['PATH'] ?? ''].join(delimiter), ...env },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
      return out.trimEnd().split('\n');
    };
    const main = join(root, 'dist/agent/main.js');
    expect(await run({})).toEqual(['--max-old-space-size=512', '--stack-size=900', main, 'run', '--config', 'a b.yaml', 'one=1', 'two=a=b']);
    // A heap limit raised in NODE_OPTIONS (the README's way) and a variable set by hand win.
    expect(await run({ NODE_OPTIONS: '--max-old-space-size=1024', RAQIB_T_ONE: '8' })).toEqual([
      '--stack-size=900',
      main,
      'run',
      '--config',
      'a b.yaml',
      'one=8',
      'two=a=b',
    ]);
  });

  it('starts with the image entry, flags and env and answers its own healthcheck', async () => {
    const stage = finalStage(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    const dir = await tempDir('raqib-container-');
    const { env, config } = await imageEnv(stage, dir);
    const map = (arg: string) => arg.replace(/^\/app\//, ROOT).replace('/etc/raqib/raqib.yaml', config);
    const [cmd, ...args] = [...stage.entrypoint, ...stage.cmd].map(map);
    expect(cmd).toBe(LAUNCHER);
    const { agent, port, logs } = await listening(cmd!, args, env, dir);

    // bin/raqib exec'd node in its own process: node has the file's flags and environment.
    const argv = (await readFile(`/proc/${agent.pid}/cmdline`, 'utf8')).split('\0');
    expect(argv.slice(1, 1 + SETTINGS.flags.length)).toEqual(SETTINGS.flags);
    expect(argv[1 + SETTINGS.flags.length]).toBe(MAIN);
    const environ = (await readFile(`/proc/${agent.pid}/environ`, 'utf8')).split('\0');
    for (const [name, value] of Object.entries(SETTINGS.env)) expect(environ).toContain(`${name}=${value}`);
    expect(logs()).not.toContain('started without the node flags');

    const [hcCmd, ...hcArgs] = stage.healthcheck;
    expect(hcCmd).toBe('node');
    const health = spawn(process.execPath, hcArgs, { env: { ...env, RAQIB_LISTEN: `127.0.0.1:${port}` } });
    expect(await new Promise((resolve) => health.on('exit', resolve))).toBe(0);

    agent.kill('SIGTERM');
    expect(await new Promise((resolve) => agent.on('exit', resolve))).toBe(0);
    const dead = spawn(process.execPath, hcArgs, { env: { ...env, RAQIB_LISTEN: `127.0.0.1:${port}` } });
    expect(await new Promise((resolve) => dead.on('exit', resolve))).toBe(1);
  });

  it('says at start what it lacks when run as `node dist/agent/main.js run`, without bin/raqib', async () => {
    const stage = finalStage(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    const dir = await tempDir('raqib-container-');
    const { env, config } = await imageEnv(stage, dir);
    const { logs } = await listening(process.execPath, [MAIN, 'run', '--config', config], { ...env, NODE_OPTIONS: '--max-old-space-size=1024' }, dir);
    const warning = logs()
      .split('\n')
      .slice(0, -1) // the last line may be cut short
      .map((line) => JSON.parse(line) as { level: string; msg: string; missing?: string[] })
      .find((line) => line.msg.startsWith('started without the node flags'));
    expect(warning?.level).toBe('warn');
    // A heap limit of your own is a choice, not something missing.
    const envLines = Object.entries(SETTINGS.env).map(([name, value]) => `${name}=${value}`);
    expect(warning?.missing).toEqual([...SETTINGS.flags.filter((f) => !f.startsWith('--max-old-space-size=')), ...envLines]);
  });
});
