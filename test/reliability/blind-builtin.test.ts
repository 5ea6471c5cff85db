/**
 * Never a false report, on the defaults: an agent with no canaries written still knows when its own
 * network is cut. Each agent runs in a network of the test's own (netlab.ts): a real link, a real
 * resolver (test/helpers/dns-server.ts on port 53 of the link) and real HTTP services, and a cut is
 * the link going down under it, as a failed uplink does.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, sample, startAgent, stopAllAgents, type AgentProcess } from '../helpers/agent-process.js';
import { startDnsServer, type DnsTestServer } from '../helpers/dns-server.js';
import { startNetLab, type NetLab } from '../helpers/netlab.js';
import { ALTERNATE, MANAGER } from '../helpers/reporting.js';
import { tempDir } from '../helpers/tmp.js';

const BLIND = 'agent is blind: nothing shows it can see the network; opening no incidents and filing nothing until a canary or a check answers';
const RESTORED = 'connectivity restored: a canary answers; detection resumes';

/** A service on the lab's link that answers 200, or (hung) accepts and never answers. */
interface Service {
  url: string;
  hang(on: boolean): void;
  close(): Promise<void>;
}

async function startService(host: string, name: string): Promise<Service> {
  let hung = false;
  const server: Server = createServer((req, res) => {
    if (hung) return; // the connection stays open and silent: the probe times out
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${name}:${port}/health`,
    hang: (on) => (hung = on),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Status {
  agent: { connectivity: { blind: boolean; reason?: string; builtin: boolean; canaries: { id: string; status?: string }[] } };
  services: { id: string; state: string }[];
  incidents: { open: unknown[] };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stopAllAgents();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The lab, its resolver (the root's servers and the services' names) and two services in it. */
async function setup() {
  const lab: NetLab = await startNetLab();
  cleanups.push(() => lab.close());
  const names = ['appointments.example.gov.sa', 'portal.example.gov.sa'];
  const dns: DnsTestServer = await startDnsServer(
    { '.': { NS: ['a.root-servers.net'] }, ...Object.fromEntries(names.map((n) => [n, { A: [lab.hostAddr] }])) },
    { host: lab.hostAddr, port: 53 },
  );
  cleanups.push(() => dns.close());
  const services = await Promise.all(names.map((n) => startService(lab.hostAddr, n)));
  cleanups.push(async () => void (await Promise.all(services.map((s) => s.close()))));
  return { lab, dns, services };
}

/**
 * The README's smallest useful config with the built-in sandbox authority and a crisis team, as a
 * new user writes it: no canaries. Fast timing so the test takes seconds, not a minute.
 */
async function start(lab: NetLab, services: Service[]): Promise<{ agent: AgentProcess; dataDir: string }> {
  const dir = await tempDir('raqib-blind-builtin-');
  const dataDir = join(dir, 'data');
  const yaml = stringify({
    agent: { id: 'riyadh-dc1', listen: '127.0.0.1:0', data_dir: dataDir },
    entity: { code: 'MOH', name: { ar: 'وزارة الصحة', en: 'Ministry of Health' } },
    defaults: { interval: '1s', timeout: '800ms', retry_interval: '300ms' },
    authority: { mode: 'sandbox' },
    crisis_team: { members: [MANAGER, ALTERNATE] },
    services: services.map((s, i) => ({
      id: ['appointments', 'portal'][i],
      name: { ar: 'خدمة', en: `Service ${i}` },
      checks: [{ id: 'portal', type: 'http', url: s.url }],
    })),
  });
  const agent = await startAgent(yaml, { dir, wrap: lab.wrap, fetch: lab.get });
  return { agent, dataDir };
}

async function filed(agent: AgentProcess, dataDir: string): Promise<number> {
  const mine = (await agent.api<{ reports: unknown[] }>('reports')).reports.length;
  const sandbox = await readFile(join(dataDir, 'sandbox-authority.json'), 'utf8').then(
    (t) => (JSON.parse(t) as { reports?: unknown[] }).reports?.length ?? 0,
    () => 0,
  );
  return mine + sandbox;
}

const status = (agent: AgentProcess) => agent.api<Status>('status');
const blindLines = (agent: AgentProcess) => agent.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('agent is blind')).length;

describe('blind agent with no canaries written', () => {
  it('files nothing when started with no network, and says so in the metric, /readyz, the status API and one log line', async () => {
    const { lab, services } = await setup();
    await lab.cut();
    const { agent, dataDir } = await start(lab, services);
    await eventually(async () => sample(await agent.metrics(), 'raqib_agent_blind') === 1);
    const line = await agent.waitForLog((l) => l.msg === BLIND);
    const reason = String(line['reason']);
    expect(reason).toMatch(/^(no connectivity canary answers \(builtin-resolver: \w+\)|checks on 2 hosts fail and none answers \(\w+(, \w+)*\))/);
    const ready = await agent.get('/readyz');
    expect(ready.status).toBe(503);
    expect((JSON.parse(ready.body) as { reasons: string[] }).reasons).toEqual([`agent is blind: ${reason}, so no outage can be confirmed or reported`]);
    const s = await status(agent);
    expect(s.agent.connectivity).toMatchObject({ blind: true, reason, builtin: true, canaries: [{ id: 'builtin-resolver' }] });
    await new Promise((r) => setTimeout(r, 6_000)); // five intervals: thresholds would have confirmed twice over
    expect((await status(agent)).incidents.open).toEqual([]);
    expect(await filed(agent, dataDir)).toBe(0);
    expect(blindLines(agent)).toBe(1);
  });

  it('files nothing when its link goes down under it, and resumes when the link comes back', async () => {
    const { lab, services } = await setup();
    const { agent, dataDir } = await start(lab, services);
    await eventually(async () => (await status(agent)).services.every((s) => s.state === 'UP'));
    expect((await status(agent)).agent.connectivity.blind).toBe(false);
    await lab.cut();
    await agent.waitForLog((l) => l.msg === BLIND);
    await new Promise((r) => setTimeout(r, 5_000));
    expect((await status(agent)).incidents.open).toEqual([]);
    expect(await filed(agent, dataDir)).toBe(0);
    await lab.restore();
    await agent.waitForLog((l) => l.msg === RESTORED);
    await eventually(async () => (await status(agent)).services.every((s) => s.state === 'UP'));
    expect(await filed(agent, dataDir)).toBe(0);
  });

  it('files nothing when every packet is lost in silence, not even for probes still waiting when the network comes back', async () => {
    const { lab, services } = await setup();
    const { agent, dataDir } = await start(lab, services);
    await eventually(async () => (await status(agent)).services.every((s) => s.state === 'UP'));
    await lab.cut('silent'); // probes time out at 800 ms: one is nearly always in flight
    await agent.waitForLog((l) => l.msg === BLIND);
    await new Promise((r) => setTimeout(r, 4_000));
    await lab.restore();
    await agent.waitForLog((l) => l.msg === RESTORED);
    await new Promise((r) => setTimeout(r, 4_000)); // the probes that were waiting fail after the restore
    expect((await status(agent)).incidents.open).toEqual([]);
    expect(await filed(agent, dataDir)).toBe(0);
    await eventually(async () => (await status(agent)).services.every((s) => s.state === 'UP'));
  }, 60_000);

  it('still reports a service that stops answering while the other still answers', async () => {
    const { lab, services } = await setup();
    const { agent, dataDir } = await start(lab, services);
    await eventually(async () => (await status(agent)).services.every((s) => s.state === 'UP'));
    services[0]!.hang(true); // silent, like a cut: only the other service shows the agent can see
    await eventually(async () => (await filed(agent, dataDir)) >= 1, 20_000);
    const s = await status(agent);
    expect(s.services.find((x) => x.id === 'appointments')!.state).toBe('DOWN');
    expect(s.agent.connectivity.blind).toBe(false);
    expect(blindLines(agent)).toBe(0);
  });
});
