/**
 * `raqib team register | show`: the crisis team must be registered with the authority before any
 * outage. The agent also registers it by itself once signed in; this command does it now, and
 * shows what the authority holds.
 */
import { parseArgs } from 'node:util';
import { HttpAuthorityClient } from '../authority/client.js';
import { authorityDispatcher } from '../authority/client.js';
import { TokenManager } from '../authority/tokens.js';
import { loadConfigFile } from '../config/load.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { teamBody } from '../team/filer.js';
import { VERSION } from '../version.js';
import { configPath, usage, type Io } from './common.js';

export async function teamCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = usage('team', () =>
    parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true, strict: true }),
  );
  const action = positionals[0];
  if (action !== 'register' && action !== 'show') throw new UsageError('team: say register or show, e.g. raqib team register');
  const { config } = await loadConfigFile(configPath(values.config, io.env), { env: io.env });
  const authority = config.authority;
  if (!authority?.url || authority.mode === 'drafts') {
    throw new UsageError('team: needs authority.url (live, or a sandbox at a url); the built-in sandbox and drafts mode register the team by themselves');
  }
  const dispatcher = authorityDispatcher(authority.ca_file, authority.request_timeout);
  const log = createLogger({ level: 'silent' });
  const tokens = new TokenManager({
    endpoint: { baseUrl: authority.url, clientId: authority.client_id, dispatcher, timeoutMs: authority.request_timeout },
    dataDir: config.agent.data_dir,
    authorityUrl: authority.url,
    log,
  });
  const api = new HttpAuthorityClient({ baseUrl: authority.url, tokens, timeoutMs: authority.request_timeout, caFile: authority.ca_file, userAgent: `raqib/${VERSION}` });
  try {
    let team = await api.findTeam(config.entity.code);
    if (action === 'register') {
      team = team ? await api.updateTeam(team.id, teamBody(config)) : await api.registerTeam(teamBody(config));
      io.out(`Crisis team of ${config.entity.code} registered: ${team.id}\n`);
    }
    if (!team) {
      io.out(`No crisis team of ${config.entity.code} is registered with the authority. Run: raqib team register\n`);
      return 1;
    }
    io.out(`team ${team.id} (${team.status}, updated ${team.updated_at})\n`);
    for (const m of team.members) io.out(`  ${m.role.padEnd(9)} ${m.name.en} — ${m.name.ar}  ${m.email}  ${maskMobile(m.mobile)}${m.on_call ? '  on call' : ''}\n`);
    return 0;
  } finally {
    await api.close();
    await dispatcher.close();
  }
}

/** Contact details are masked in what raqib prints: +9665XXXXX123. */
function maskMobile(mobile: string): string {
  return mobile.length > 7 ? `${mobile.slice(0, 5)}${'X'.repeat(mobile.length - 8)}${mobile.slice(-3)}` : mobile;
}
