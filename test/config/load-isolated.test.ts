/**
 * `raqib run` loads its config in a worker thread (load-isolated.ts), so the heap that parsing
 * takes is given back. The worker runs compiled JavaScript, so these tests use the built modules
 * in dist/ (`npm test` builds first): whatever the file, the worker's outcome must be the one
 * loadConfigFile gives in the same thread.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { tempDir } from '../helpers/tmp.js';

type Load = typeof import('../../agent/config/load.js');
type Isolated = typeof import('../../agent/config/load-isolated.js');
type Errors = typeof import('../../agent/errors.js');

const built = <T>(path: string): Promise<T> => import(pathToFileURL(join(ROOT, 'dist/agent', path)).href) as Promise<T>;
let load: Load;
let isolated: Isolated;
let errors: Errors;

beforeAll(async () => {
  [load, isolated, errors] = await Promise.all([built<Load>('config/load.js'), built<Isolated>('config/load-isolated.js'), built<Errors>('errors.js')]);
});

/** What a load came to: the LoadedConfig, or the problems of the ConfigError it threw. */
async function outcome(run: Promise<unknown>): Promise<{ loaded: unknown } | { problems: unknown }> {
  try {
    return { loaded: await run };
  } catch (err) {
    expect(err).toBeInstanceOf(errors.ConfigError);
    return { problems: (err as InstanceType<Errors['ConfigError']>).problems };
  }
}

/** The longest time, in ms, that a 1 ms interval timer could not fire while `work` ran. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const note = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const timer = setInterval(note, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  note();
  return longest;
}

const ENV = { RAQIB_AGENT_ID: 'from-env', RAQIB_AUTH_TOKEN: 'a-token-of-at-least-thirty-two-characters!' };

describe('loading the config in a worker thread', () => {
  it.each([
    'config/raqib.yaml',
    'config/examples/full.yaml',
    'test/fixtures/config/valid-full.yaml',
    'test/fixtures/config/valid-minimal.yaml',
    'test/fixtures/config/invalid-several-problems.yaml',
    'test/fixtures/config/invalid-env-var-missing.yaml',
    'test/fixtures/config/invalid-yaml-unclosed-flow.yaml',
    'test/fixtures/config/invalid-alias-bomb.yaml',
    'test/fixtures/config/no-such-file.yaml',
  ])('gives what loadConfigFile gives in the same thread for %s', async (relative) => {
    const file = join(ROOT, relative);
    const here = await outcome(load.loadConfigFile(file, { env: ENV }));
    const there = await outcome(isolated.loadConfigIsolated(file, { env: ENV }));
    expect(there).toStrictEqual(here);
  });

  it('rejects with a ConfigError whose message names the file, line and field', async () => {
    const file = join(ROOT, 'test/fixtures/config/invalid-port-too-big.yaml');
    const err = await isolated.loadConfigIsolated(file, { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ConfigError);
    const message = (err as Error).message;
    expect(message.startsWith(`${file}:`)).toBe(true);
    expect(message.slice(file.length)).toMatch(/^:\d+:\d+: services\[0\]\.checks\[0\]\.port: /);
  });

  describe('with a config of its own', () => {
    /** A config with Arabic names whose agent id is ${ONLY_IN_OPTIONS}. */
    async function ownConfig(): Promise<string> {
      const file = join(await tempDir('raqib-isolated-'), 'raqib.yaml');
      await writeFile(
        file,
        [
          'agent: { id: "${ONLY_IN_OPTIONS}", listen: "127.0.0.1:0" }',
          'entity: { code: MOH, name: { ar: "وزارة الصحة", en: Ministry of Health } }',
          'services:',
          '  - id: appointments-portal',
          '    name: { ar: "خدمة المواعيد الإلكترونية", en: Appointments }',
          '    checks: [{ id: home-page-availability, type: http, url: "https://appointments.moh.example.sa/health?from=raqib" }]',
          '',
        ].join('\n'),
      );
      return file;
    }

    it('substitutes variables from the env it is given, not from its own process', async () => {
      expect(process.env['ONLY_IN_OPTIONS']).toBeUndefined();
      const loaded = await isolated.loadConfigIsolated(await ownConfig(), { env: { ONLY_IN_OPTIONS: 'agent-7' } });
      expect(loaded.config.agent.id).toBe('agent-7');
    });

    it("parses a big config in another thread: the caller's event loop keeps turning meanwhile", async () => {
      const file = join(await tempDir('raqib-isolated-big-'), 'raqib.yaml');
      const services = Array.from({ length: 80 }, (_, s) => ({
        id: `svc-${s}`,
        checks: Array.from({ length: 50 }, (_, c) => ({ id: `check-${c}`, type: 'http', url: `https://svc-${s}.example.sa/health?c=${c}` })),
      }));
      await writeFile(file, configYaml(services));
      const here = await longestStall(() => load.loadConfigFile(file, { env: {} }));
      const there = await longestStall(() => isolated.loadConfigIsolated(file, { env: {} }));
      // In the same thread the parse holds the loop for all of it (hundreds of ms for 4,000 checks);
      // in a worker only the copy of the result back does.
      expect(there).toBeLessThan(here / 3);
    });
  });
});

describe('when the worker that loads the config fails', () => {
  const file = join(ROOT, 'config/raqib.yaml');
  /** A worker module of the test's own, written to a temporary directory. */
  async function worker(source: string): Promise<URL> {
    const path = join(await tempDir('raqib-isolated-worker-'), 'worker.mjs');
    await writeFile(path, source);
    return pathToFileURL(path);
  }
  const failure = async (run: Promise<unknown>): Promise<Error> => {
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  };

  it('rejects naming the file and the exit code when the worker exits without an answer', async () => {
    const err = await failure(isolated.loadConfigIsolated(file, {}, await worker('process.exit(3);\n')));
    expect(err.message).toBe(`loading ${file} in a worker thread failed: it exited with code 3 and no result`);
  });

  it("rejects with the worker's own error as the cause when the worker throws", async () => {
    const err = await failure(isolated.loadConfigIsolated(file, {}, await worker("throw new Error('boom in the worker');\n")));
    expect(err.message).toBe(`loading ${file} in a worker thread failed: boom in the worker`);
    expect((err.cause as Error).message).toBe('boom in the worker');
  });

  it('rejects with the message and stack of an unexpected error that the worker reports', async () => {
    const source =
      "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage({ error: { message: 'unexpected', stack: 'Error: unexpected\\n    at load-worker' } });\n";
    const err = await failure(isolated.loadConfigIsolated(file, {}, await worker(source)));
    expect(err.message).toBe('unexpected');
    expect(err.stack).toBe('Error: unexpected\n    at load-worker');
    expect(err).not.toBeInstanceOf(errors.ConfigError);
  });

  it('returns a rejected promise rather than throwing when the worker cannot be started', async () => {
    const missing = pathToFileURL(join(await tempDir('raqib-isolated-worker-'), 'no-such-worker.mjs'));
    let run: Promise<unknown> | undefined;
    expect(() => (run = isolated.loadConfigIsolated(file, {}, missing))).not.toThrow();
    const err = await failure(run!);
    expect(err.message.startsWith(`loading ${file} in a worker thread failed: `)).toBe(true);
  });

  it('hands the worker the file and the environment it was given, nothing else of the process', async () => {
    const source =
      "import { parentPort, workerData } from 'node:worker_threads';\n" +
      'parentPort.postMessage({ error: { message: JSON.stringify(workerData), stack: undefined } });\n';
    const err = await failure(isolated.loadConfigIsolated(file, { env: { ONLY_THIS: '1' } }, await worker(source)));
    expect(JSON.parse(err.message)).toStrictEqual({ file, env: { ONLY_THIS: '1' } });
  });
});
