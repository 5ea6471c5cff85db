/**
 * Connects the agent to the authority its config names: the real API (live), a sandbox at a URL,
 * the built-in sandbox (mode sandbox without url: started inside the agent, signed in by itself),
 * or drafts. Every mode yields the same AuthorityApi, so nothing downstream knows which it is.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Sandbox } from '../sandbox/server.js';
import { authorityDispatcher, HttpAuthorityClient, type AuthorityApi, type RequestEvent } from './client.js';
import { DraftsAuthority } from './drafts.js';
import { deviceSignIn } from './login.js';
import type { OAuthEndpoint } from './oauth.js';
import { TokenManager } from './tokens.js';

export const EMBEDDED_SANDBOX_FILE = 'sandbox-authority.json';

export interface AuthorityConnection {
  mode: 'live' | 'sandbox' | 'drafts';
  /** Base URL of the API (the embedded sandbox's loopback address when built in). */
  url?: string;
  embedded: boolean;
  api: AuthorityApi;
  tokens?: TokenManager;
  /** Email of the member reports are filed as. */
  subject(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface OpenAuthorityOptions {
  config: Config;
  log: Logger;
  userAgent: string;
  now: () => number;
  onRequest(event: RequestEvent): void;
  onAuthorizedChange(authorized: boolean, reason: string): void;
}

/** The manager is who files by default: first in line, as the authority's service card says. */
function manager(config: Config): string | undefined {
  return config.crisis_team?.members.find((m) => m.role === 'manager')?.email;
}

export async function openAuthority(opts: OpenAuthorityOptions): Promise<AuthorityConnection> {
  const { config, log } = opts;
  const authority = config.authority!;
  const dataDir = config.agent.data_dir;
  if (authority.mode === 'drafts') {
    log.warn({ dir: join(dataDir, 'drafts') }, 'authority mode drafts: reports are prepared for a person to paste into the portal; nothing is sent');
    return {
      mode: 'drafts',
      embedded: false,
      api: new DraftsAuthority(dataDir, opts.now, undefined, () => config.crisis_team?.members ?? []),
      subject: async () => manager(config),
      close: async () => undefined,
    };
  }
  let sandbox: Sandbox | undefined;
  let url = authority.url;
  if (!url) {
    // Loaded only for the built-in sandbox: a live agent does not carry it.
    const { startSandbox } = await import('../sandbox/server.js');
    sandbox = await startSandbox({
      listen: { host: '127.0.0.1', port: 0 },
      dataFile: join(dataDir, EMBEDDED_SANDBOX_FILE),
      autoApprove: true,
      pollIntervalSeconds: 1,
      log,
    });
    url = sandbox.url;
    log.warn(
      { url },
      'authority mode sandbox: reports go to the BUILT-IN SANDBOX authority inside this agent; nothing reaches the Digital Government Authority',
    );
  } else if (authority.mode === 'sandbox') {
    log.warn({ url }, 'authority mode sandbox: reports go to the sandbox authority at this url, not to the Digital Government Authority');
  }
  const dispatcher = authorityDispatcher(authority.ca_file, authority.request_timeout);
  // Token refreshes and userinfo are requests to the authority too: audited and measured like the rest.
  const endpoint: OAuthEndpoint = { baseUrl: url, clientId: authority.client_id, dispatcher, timeoutMs: authority.request_timeout, onRequest: opts.onRequest };
  if (sandbox) {
    // The built-in sandbox approves by itself: sign in as the manager on every start.
    const subject = manager(config)!;
    await deviceSignIn({ endpoint, subject, dataDir, onPrompt: () => undefined, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 1_000))) });
  }
  const tokens = new TokenManager({ endpoint, dataDir, log, authorityUrl: url, onAuthorizedChange: opts.onAuthorizedChange, now: opts.now });
  const client = new HttpAuthorityClient({
    baseUrl: url,
    tokens,
    timeoutMs: authority.request_timeout,
    caFile: authority.ca_file,
    userAgent: opts.userAgent,
    onRequest: opts.onRequest,
    now: opts.now,
  });
  return {
    mode: authority.mode,
    url,
    embedded: sandbox !== undefined,
    api: client,
    tokens,
    subject: () => tokens.subject(),
    close: async () => {
      await client.close();
      await dispatcher.close();
      await sandbox?.close();
    },
  };
}
