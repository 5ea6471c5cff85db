import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { IncidentTracker } from '../../agent/incidents/tracker.js';
import { createLogger } from '../../agent/log.js';
import { Metrics } from '../../agent/metrics/metrics.js';
import { Monitor } from '../../agent/runner/monitor.js';
import { JsonPieces } from '../../agent/server/server.js';
import { createStatusApi } from '../../agent/server/status-api.js';
import { openJsonStore } from '../../agent/store/json-store.js';
import { loadedConfig, type MiniService } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { drain } from '../helpers/pieces.js';
import { tempDir } from '../helpers/tmp.js';

const log = createLogger({ level: 'silent' });

const services = (n: number, checks: number): MiniService[] =>
  Array.from({ length: n }, (_, s) => ({
    id: `svc-${s}`,
    checks: Array.from({ length: checks }, (_, c) => ({ id: `check-${c}`, type: 'tcp', host: '127.0.0.1', port: 1, interval: '30s', timeout: '5s' })),
  }));

/** The status API over a real monitor (no scheduler: nothing runs) of `n` services. */
async function setup(n: number, checks: number) {
  const dir = await tempDir();
  const clock = new ManualClock();
  const store = await openJsonStore({ dataDir: dir, log });
  const metrics = new Metrics(new Registry(), { version: 'test' });
  const tracker = new IncidentTracker({ store, metrics, clock, log });
  const monitor = new Monitor({ agentId: 'test-agent', store, metrics, clock, log, tracker, probe: () => Promise.reject(new Error('not run')) });
  monitor.apply(loadedConfig(services(n, checks), { data_dir: dir }));
  const api = createStatusApi(monitor, tracker, {
    id: 'test-agent',
    version: 'test',
    startedAt: 0,
    configFile: 'test.yaml',
    configLoadedAt: () => 0,
    lastReloadOk: () => true,
  });
  const reload = (m: number, c: number) => monitor.apply(loadedConfig(services(m, c), { data_dir: dir }));
  return { api, reload, tracker, clock };
}

function piecesOf(answer: unknown): AsyncIterable<string> {
  expect(answer).toBeInstanceOf(JsonPieces);
  return (answer as JsonPieces).pieces;
}

describe('/api/v1/status', () => {
  it('is one JSON document of every service and check, written in several pieces', async () => {
    const { api } = await setup(60, 40);
    const pieces = await drain(piecesOf(api('status')));
    expect(pieces.length).toBeGreaterThan(3);
    const text = pieces.join('');
    const status = JSON.parse(text) as { agent: { id: string }; services: { id: string; checks: { id: string; state: string }[] }[]; incidents: unknown };
    expect(JSON.stringify(status)).toBe(text);
    expect(Object.keys(status)).toEqual(['agent', 'services', 'incidents']);
    expect(status.agent.id).toBe('test-agent');
    expect(status.services.map((s) => s.id)).toEqual(Array.from({ length: 60 }, (_, i) => `svc-${i}`));
    expect(status.services.every((s) => s.checks.length === 40 && s.checks.every((c) => c.state === 'UNKNOWN'))).toBe(true);
    expect(status.incidents).toEqual({ open: [], recent: [] });
  });

  it('ends with the incidents, open and recent, after the last service', async () => {
    const { api, tracker, clock } = await setup(60, 40);
    tracker.serviceChanged({ serviceId: 'svc-59', from: 'UP', to: 'DOWN', at: clock.now(), impact: 'total', failing: ['check-0'], evidence: [] });
    await tracker.settled();
    const text = (await drain(piecesOf(api('status')))).join('');
    const status = JSON.parse(text) as { services: { id: string; open_incident?: string }[]; incidents: { open: { id: string; serviceId: string }[] } };
    expect(JSON.stringify(status)).toBe(text);
    expect(status.incidents.open.map((i) => i.serviceId)).toEqual(['svc-59']);
    expect(status.services.at(-1)).toMatchObject({ id: 'svc-59', open_incident: status.incidents.open[0]!.id });
  });

  it('leaves out the services and checks a reload removes while the answer is being written', async () => {
    const { api, reload } = await setup(60, 40);
    const it = piecesOf(api('status'))[Symbol.asyncIterator]();
    const first = await it.next();
    const written = (first.value as string).match(/"id":"svc-\d+"/g)!.length;
    expect(written).toBeLessThan(30);
    reload(30, 5); // services 30–59 go; every service keeps checks 0–4 only
    let text = first.value as string;
    for (let r = await it.next(); !r.done; r = await it.next()) text += r.value;
    const status = JSON.parse(text) as { services: { id: string; checks: unknown[] }[] };
    expect(status.services.map((s) => s.id)).toEqual(Array.from({ length: 30 }, (_, i) => `svc-${i}`));
    expect(status.services.slice(written).every((s) => s.checks.length === 5)).toBe(true);
  });
});
