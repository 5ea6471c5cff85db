/**
 * `raqib login [--as EMAIL]`: sign in to the authority on behalf of the crisis team's manager
 * (or an alternate), the way the National SSO works: the person approves a code on their phone.
 * The refresh token is saved in data_dir (0600); a running agent picks it up at its next refresh.
 */
import { parseArgs } from 'node:util';
import { authorityDispatcher } from '../authority/client.js';
import { deviceSignIn } from '../authority/login.js';
import { signInPath } from '../authority/sign-in.js';
import { loadConfigFile } from '../config/load.js';
import { UsageError } from '../errors.js';
import { filers } from '../team/filer.js';
import { configPath, usage, type Io } from './common.js';

export async function loginCommand(args: string[], io: Io): Promise<number> {
  const { values } = usage('login', () =>
    parseArgs({ args, options: { config: { type: 'string', short: 'c' }, as: { type: 'string' } }, strict: true }),
  );
  const { config } = await loadConfigFile(configPath(values.config, io.env), { env: io.env });
  const authority = config.authority;
  if (!authority) throw new UsageError('login: the config has no authority: section, so there is nothing to sign in to');
  if (authority.mode === 'drafts') {
    io.out('authority.mode is drafts: reports are prepared for a person to paste into the portal; no sign-in is needed.\n');
    return 0;
  }
  if (!authority.url) {
    io.out('authority.mode is sandbox without a url: the built-in sandbox signs the agent in by itself when it starts.\n');
    return 0;
  }
  const allowed = filers(config);
  const who = values.as ? allowed.find((m) => m.email.toLowerCase() === values.as!.toLowerCase()) : allowed[0];
  if (!who) {
    throw new UsageError(`login: ${values.as} is not the crisis team's manager or an alternate in the config; those who may file: ${allowed.map((m) => m.email).join(', ')}`);
  }
  const dispatcher = authorityDispatcher(authority.ca_file, authority.request_timeout);
  try {
    await deviceSignIn({
      endpoint: { baseUrl: authority.url, clientId: authority.client_id, dispatcher, timeoutMs: authority.request_timeout },
      subject: who.email,
      dataDir: config.agent.data_dir,
      onPrompt: (auth) => {
        io.out(
          `To sign in to the authority at ${authority.url} on behalf of ${config.entity.name.en} (${config.entity.code})\n` +
            `as ${who.name.en} — ${who.name.ar} (${who.role}):\n\n` +
            `  open   ${auth.verification_uri}\n  enter  ${auth.user_code}\n` +
            (auth.verification_uri_complete ? `  (or open ${auth.verification_uri_complete})\n` : '') +
            `\nWaiting for approval (the code expires in ${Math.round(auth.expires_in / 60)} minutes)…\n`,
        );
      },
    });
  } finally {
    await dispatcher.close();
  }
  io.out(`Signed in as ${who.email}. The sign-in is saved in ${signInPath(config.agent.data_dir)} (mode 0600).\nNext: raqib team register\n`);
  return 0;
}
