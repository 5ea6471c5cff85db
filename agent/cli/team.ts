/**
 * `raqib team register | show`: the crisis team must be registered with the authority before any
 * outage. The agent also registers it by itself once signed in; this command does it now, and
 * shows what the authority holds. Only the config's manager or an alternate may register: who is
 * signed in (as the authority says) is checked first. Every request is audited in data_dir/audit.log.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AuditLog, requestAuditor } from '../authority/audit.js';
import { authorityDispatcher, HttpAuthorityClient } from '../authority/client.js';
import { TokenManager } from '../authority/tokens.js';
import type { Config } from '../config/schema.js';
import { loadConfigFile } from '../config/load.js';
import { RaqibError, UsageError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { STATE_FILE } from '../store/json-store.js';
import { filers, teamBody } from '../team/filer.js';
import { VERSION } from '../version.js';
import { configPath, usage, type Io } from './common.js';

export async function teamCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = usage('team', () =>
    parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true, strict: true }),
  );
  const action = positionals[0];
  if (action !== 'register' && action !== 'show') throw new UsageError('team: say register or show, e.g. raqib team register');
  const file = configPath(values.config, io.env);
  const { config } = await loadConfigFile(file, { env: io.env });
  const authority = config.authority;
  if (!authority?.url || authority.mode === 'drafts') {
    throw new UsageError('team: needs authority.url (live, or a sandbox at a url); the built-in sandbox and drafts mode register the team by themselves');
  }
  const dataDir = config.agent.data_dir;
  const audit = new AuditLog(dataDir, cliLogger(io));
  let teamId = await registeredTeamId(dataDir);
  const onRequest = requestAuditor(audit, { actor: () => tokens.currentSubject, onBehalfOf: () => teamId }, Date.now);
  const dispatcher = authorityDispatcher(authority.ca_file, authority.request_timeout);
  const tokens = new TokenManager({
    endpoint: { baseUrl: authority.url, clientId: authority.client_id, dispatcher, timeoutMs: authority.request_timeout, onRequest },
    dataDir,
    authorityUrl: authority.url,
    log: createLogger({ level: 'silent' }),
  });
  const api = new HttpAuthorityClient({
    baseUrl: authority.url,
    tokens,
    timeoutMs: authority.request_timeout,
    caFile: authority.ca_file,
    userAgent: `raqib/${VERSION}`,
    onRequest,
  });
  try {
    if (action === 'register') await mayRegister(config, file, tokens);
    let team = await api.findTeam(config.entity.code);
    teamId = team?.id ?? teamId;
    if (action === 'register') {
      team = team ? await api.updateTeam(team.id, teamBody(config)) : await api.registerTeam(teamBody(config));
      teamId = team.id;
      io.out(`Crisis team of ${config.entity.code} registered: ${team.id}\n`);
    }
    if (!team) {
      io.out(`No crisis team of ${config.entity.code} is registered with the authority. Run: raqib team register\n`);
      return 1;
    }
    io.out(`team ${team.id} (${team.status}, updated ${team.updated_at})\n`);
    for (const m of team.members)
      io.out(`  ${m.role.padEnd(9)} ${m.name.en} — ${m.name.ar}  ${m.email}  ${maskMobile(m.mobile)}${m.on_call ? '  on call' : ''}\n`);
    return 0;
  } finally {
    await api.close();
    await dispatcher.close();
    await audit.close(); // every line on disk before the process exits
  }
}

/**
 * Registering is for the manager or an alternate (the authority answers 403 to anyone else): say
 * so before asking, naming who is signed in — as the authority says — and who may register.
 */
async function mayRegister(config: Config, file: string, tokens: TokenManager): Promise<void> {
  await tokens.accessToken(); // not signed in: AuthorityError('auth') says to run raqib login
  const subject = tokens.currentSubject!;
  const allowed = filers(config);
  if (allowed.some((m) => m.email.toLowerCase() === subject.toLowerCase())) return;
  throw new RaqibError(
    'RAQIB_NOT_A_FILER',
    `team register: signed in to the authority as ${subject}, who is not the crisis team's manager or an alternate in ${file}. ` +
      `Only they may register the team: ${allowed.map((m) => `${m.email} (${m.role})`).join(', ')}. ` +
      `Sign in as one of them: raqib login --as ${allowed[0]?.email ?? '<email>'} (or list ${subject} in crisis_team if they should register it).`,
  );
}

/** The crisis team id the agent registered (data_dir/state.json), for the audit log's on_behalf_of. */
export async function registeredTeamId(dataDir: string): Promise<string | undefined> {
  try {
    const state = JSON.parse(await readFile(join(dataDir, STATE_FILE), 'utf8')) as { team?: { id?: unknown } };
    return typeof state.team?.id === 'string' ? state.team.id : undefined;
  } catch {
    return undefined; // no agent ran here yet, or its state is unreadable: the line goes without it
  }
}

/** What a CLI command logs: errors only (an audit line that cannot be written), on stderr. */
export function cliLogger(io: Io): Logger {
  return createLogger({ level: 'error', destination: { write: (line: string) => io.err(line) } });
}

/** Contact details are masked in what raqib prints: +9665XXXXX123. */
function maskMobile(mobile: string): string {
  return mobile.length > 7 ? `${mobile.slice(0, 5)}${'X'.repeat(mobile.length - 8)}${mobile.slice(-3)}` : mobile;
}
