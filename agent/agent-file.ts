/**
 * data_dir/agent.json: where the running agent answers, for CLI commands that talk to it (its port
 * may have been chosen by the OS, with listen port 0).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from './log.js';

export const AGENT_FILE = 'agent.json';

export async function writeAgentFile(dataDir: string, address: { address: string; port: number }, log: Logger): Promise<void> {
  const host = ['0.0.0.0', '::'].includes(address.address) ? '127.0.0.1' : address.address;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  await writeFile(join(dataDir, AGENT_FILE), JSON.stringify({ pid: process.pid, url }), { mode: 0o600 }).catch((err: unknown) =>
    log.warn({ err }, 'could not write agent.json; raqib reports finalize will use agent.listen'),
  );
}
