import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DEVICE_GRANT } from '../../agent/authority/contract.js';
import { sandboxCommand } from '../../agent/cli/sandbox.js';
import type { Io } from '../../agent/cli/common.js';
import { tempDir } from '../helpers/tmp.js';
import { MANAGER } from './helpers.js';

function io() {
  let out = '';
  const streams: Io = { out: (t) => void (out += t), err: (t) => void (out += t), env: {} };
  const lines = () =>
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { streams, lines };
}

async function waitFor<T>(find: () => T | undefined, ms = 3_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = find();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await sleep(10);
  }
}

describe('raqib sandbox', () => {
  it('logs where it listens, serves the API with the flags given, and stops with exit 0', async () => {
    const dir = await tempDir();
    const data = join(dir, 'sandbox.json');
    const { streams, lines } = io();
    const stop = new AbortController();
    const exit = sandboxCommand(['--listen', '127.0.0.1:0', '--data', data, '--auto-approve', '--ack-delay', 'never'], streams, stop.signal);
    const listening = await waitFor(() => lines().find((l) => l['msg'] === 'sandbox listening'));
    expect(listening).toMatchObject({ module: 'sandbox', level: 'info' });
    const url = String(listening['url']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const start = await fetch(`${url}/oauth/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'raqib', login_hint: MANAGER }),
    });
    const { device_code } = (await start.json()) as { device_code: string };
    const token = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code, client_id: 'raqib' }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };

    stop.abort();
    expect(await exit).toBe(0);
    expect(lines().some((l) => l['msg'] === 'sandbox closed')).toBe(true);
    const written = await readFile(data, 'utf8');
    expect(JSON.parse(written).refresh_tokens).not.toEqual({});
    expect(written).not.toContain(access_token);
    expect(JSON.stringify(lines())).not.toContain(access_token);
    await expect(fetch(`${url}/sandbox/state`)).rejects.toThrow();
  });

  it('refuses a bad --listen, --ack-delay or unknown flag as a usage error', async () => {
    const { streams } = io();
    await expect(sandboxCommand(['--listen', 'localhost:99999'], streams)).rejects.toMatchObject({ code: 'RAQIB_USAGE', exitCode: 2 });
    await expect(sandboxCommand(['--ack-delay', 'soon'], streams)).rejects.toThrow(/--ack-delay expects a duration/);
    await expect(sandboxCommand(['--poll-interval', '0'], streams)).rejects.toThrow(/--poll-interval/);
    await expect(sandboxCommand(['--frobnicate'], streams)).rejects.toMatchObject({ code: 'RAQIB_USAGE' });
  });

  it('fails with a message naming the address when it cannot listen', async () => {
    const first = io();
    const stop = new AbortController();
    const running = sandboxCommand(['--listen', '127.0.0.1:0'], first.streams, stop.signal);
    const url = String((await waitFor(() => first.lines().find((l) => l['msg'] === 'sandbox listening')))['url']);
    const port = new URL(url).port;
    await expect(sandboxCommand(['--listen', `127.0.0.1:${port}`], io().streams)).rejects.toMatchObject({
      code: 'RAQIB_SANDBOX_LISTEN',
      message: expect.stringContaining(`127.0.0.1:${port}`),
    });
    stop.abort();
    expect(await running).toBe(0);
  });
});
