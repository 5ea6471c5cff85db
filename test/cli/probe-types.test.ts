/**
 * `raqib probe` and `raqib check-config` for the grpc, websocket and icmp check types, as an
 * operator runs them (the built CLI in a child process; `npm test` builds first): each new type is
 * probed through the agent's runner against a real server, and a bad value of each is refused
 * with its file:line:col.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { startGrpcServer, type GrpcServer } from '../helpers/grpc-server.js';
import { CA_FILE } from '../helpers/targets.js';
import { tempDir } from '../helpers/tmp.js';
import { startWsServer, type WsServer } from '../helpers/ws-server.js';

let grpcPlain: GrpcServer;
let grpcTls: GrpcServer;
let ws: WsServer;
beforeAll(async () => {
  grpcPlain = await startGrpcServer({ statuses: { '': 'SERVING', 'moh.Down': 'NOT_SERVING' } });
  grpcTls = await startGrpcServer({ tls: 'localhost' });
  ws = await startWsServer({ tls: 'localhost' });
});
afterAll(async () => {
  await Promise.all([grpcPlain.close(), grpcTls.close(), ws.close()]);
});

async function cli(command: string, checks: Record<string, unknown>[]) {
  const file = join(await tempDir(), 'raqib.yaml');
  await writeFile(file, configYaml([{ id: 'web', checks }]));
  return { file, ...(await runCli([command, '--config', file])) };
}

/** Cells of the row of `check`: SERVICE CHECK TYPE STATUS CODE LATENCY FIRST DETAIL. */
function row(stdout: string, check: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith('web ') && l.split(/\s+/)[1] === check);
  expect(line, `no row for ${check} in:\n${stdout}`).toBeDefined();
  return line!.split(/\s{2,}/);
}

describe('raqib probe with the new check types', () => {
  it('probes grpc (plaintext and TLS), websocket (wss) and icmp checks as the agent would', async () => {
    const out = await cli('probe', [
      { id: 'grpc-plain', type: 'grpc', target: `127.0.0.1:${grpcPlain.port}`, tls: false },
      { id: 'grpc-tls', type: 'grpc', target: `localhost:${grpcTls.port}`, ca_file: CA_FILE },
      { id: 'live', type: 'websocket', url: `wss://localhost:${ws.port}/echo`, ca_file: CA_FILE, send: 'hi', expect: { message_contains: 'hi' } },
      { id: 'ping', type: 'icmp', host: '127.0.0.1' },
    ]);
    expect(out.stderr).toBe('');
    expect(row(out.stdout, 'grpc-plain').slice(2, 5)).toEqual(['grpc', 'UP', 'OK']);
    expect(row(out.stdout, 'grpc-tls').slice(2, 5)).toEqual(['grpc', 'UP', 'OK']);
    expect(row(out.stdout, 'live').slice(2, 5)).toEqual(['websocket', 'UP', 'OK']);
    expect(row(out.stdout, 'ping').slice(2, 5)).toEqual(['icmp', 'UP', 'OK']);
    expect(out.code).toBe(0);
  });

  it('exits 1 and prints the code when a gRPC service is NOT_SERVING', async () => {
    const out = await cli('probe', [{ id: 'down', type: 'grpc', target: `127.0.0.1:${grpcPlain.port}`, tls: false, service: 'moh.Down' }]);
    expect(row(out.stdout, 'down').slice(3, 5)).toEqual(['DOWN', 'GRPC_NOT_SERVING']);
    expect(out.code).toBe(1);
  });
});

describe('raqib check-config with the new check types', () => {
  it('refuses a bad value of each with file:line:col, and exits 2', async () => {
    const out = await cli('check-config', [
      { id: 'rpc', type: 'grpc', target: 'grpc.moh.gov.sa:0' },
      { id: 'live', type: 'websocket', url: 'wss://live.moh.gov.sa/', expect: { message_matches: '[unclosed' } },
      { id: 'gw', type: 'icmp', host: 'http://gw.moh.gov.sa' },
    ]);
    expect(out.code).toBe(2);
    const at = out.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const lines = out.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${at}:\\d+:\\d+: services\\[0\\]\\.checks\\[0\\]\\.target: expected host:port such as grpc\\.example\\.gov\\.sa:443, got "grpc\\.moh\\.gov\\.sa:0"; port 0 is not a port to connect to$`,
      ),
    );
    expect(lines[1]).toMatch(
      new RegExp(`^${at}:\\d+:\\d+: services\\[0\\]\\.checks\\[1\\]\\.expect\\.message_matches: invalid regular expression "\\[unclosed"`),
    );
    expect(lines[2]).toMatch(new RegExp(`^${at}:\\d+:\\d+: services\\[0\\]\\.checks\\[2\\]\\.host: expected a host name or IP address without scheme or port`));
  });
});
