/**
 * Times a monitor reports are its clock's: real probes against real local servers, run by the
 * monitor on a manual clock set years away from the machine's, date their results, the check
 * states and the incident from that clock alone.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { IncidentTracker } from '../../agent/incidents/tracker.js';
import { createLogger } from '../../agent/log.js';
import { Metrics } from '../../agent/metrics/metrics.js';
import { createProbeRunner } from '../../agent/probes/registry.js';
import { Monitor } from '../../agent/runner/monitor.js';
import { openJsonStore } from '../../agent/store/json-store.js';
import { loadedConfig } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { CA_FILE, startHttpTarget, startTcpTarget, type Target } from '../helpers/targets.js';
import { tempDir } from '../helpers/tmp.js';

const log = createLogger({ level: 'silent' });
/** Far from any machine's clock, so a date taken from it cannot pass for the manual clock's. */
const FAR = Date.UTC(2041, 2, 14, 3, 0, 0);

const targets: Target[] = [];
afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

describe('monitor on an injected clock, with real probes', () => {
  it('dates results, check states and the incident by the clock, not the machine', async () => {
    const web = await startHttpTarget();
    const secure = await startHttpTarget({ tls: 'localhost' });
    const port = await startTcpTarget();
    targets.push(web, secure, port);
    const dir = await tempDir();
    const clock = new ManualClock(FAR);
    const store = await openJsonStore({ dataDir: dir, log, clock });
    const metrics = new Metrics(new Registry(), { version: 'test' }, clock);
    const tracker = new IncidentTracker({ store, metrics, clock, log });
    const monitor = new Monitor({ agentId: 'a', store, metrics, clock, log, probe: createProbeRunner(), tracker });
    monitor.apply(
      loadedConfig(
        [
          {
            id: 'web',
            checks: [
              { id: 'portal', type: 'http', url: `${web.url}/status/503`, interval: '30s', timeout: '5s' },
              { id: 'api', type: 'http', url: `${secure.namedUrl}/ok`, ca_file: CA_FILE, interval: '30s', timeout: '5s', critical: false },
              { id: 'port', type: 'tcp', host: '127.0.0.1', port: port.port, interval: '30s', timeout: '5s', critical: false },
              {
                id: 'cert',
                type: 'tls',
                host: '127.0.0.1',
                port: secure.port,
                servername: 'localhost',
                ca_file: CA_FILE,
                interval: '30s',
                timeout: '5s',
                critical: false,
              },
            ],
          },
        ],
        { data_dir: dir },
      ),
    );
    const run = (check: string) => monitor.run(`web/${check}`, { scheduledAt: clock.monotonic(), lateMs: 0, extra: false });

    const seen: Record<string, number[]> = {};
    const firstFailure = clock.now();
    for (let round = 0; round < 3; round++) {
      for (const check of ['portal', 'api', 'port', 'cert']) {
        await run(check);
        const last = monitor.checks.get(`web/${check}`)!.last!;
        (seen[check] ??= []).push(last.observedAt);
        expect(last.observedAt).toBe(clock.now());
      }
      clock.jump(10_000);
    }
    await tracker.settled();

    expect(seen.portal).toEqual([FAR, FAR + 10_000, FAR + 20_000]);
    expect(monitor.checks.get('web/api')!.last!.status).toBe('up');
    expect(monitor.checks.get('web/cert')!.last!.status).toBe('up');
    expect(monitor.checks.get('web/port')!.last!.status).toBe('up');
    // Three failures 10 s apart confirm the check DOWN (at the third); the outage dates from the first.
    expect(store.data.checks['web/portal']).toEqual({ state: 'DOWN', since: FAR + 20_000 });
    const [inc] = tracker.open();
    expect(inc).toBeDefined();
    expect(inc!.startedAt).toBe(firstFailure);
    expect(inc!.detectedAt).toBe(FAR + 20_000);
    expect(inc!.evidence.find((e) => e.check === 'portal')).toMatchObject({ status: 'down', httpStatus: 503, observedAt: FAR + 20_000 });
    await store.close();
  });
});
