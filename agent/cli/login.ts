/**
 * `raqib login [--as EMAIL]`: sign in to the authority on behalf of the crisis team's manager
 * (or an alternate), the way the National SSO works: the person approves a code on their phone.
 * Who signed in is what the authority says (userinfo), whoever raqib asked for; a sign-in by
 * someone who is not the config's manager or an alternate is refused and not saved. The refresh
 * token is saved in data_dir (0600); a running agent picks it up at its next use. Every request
 * is audited in data_dir/audit.log (endpoints and outcomes; never a code or a token).
 */
import { parseArgs } from 'node:util';
import { AuditLog, requestAuditor } from '../authority/audit.js';
import { authorityDispatcher } from '../authority/client.js';
import { deviceSignIn } from '../authority/login.js';
import { signInPath } from '../authority/sign-in.js';
import { loadConfigFile } from '../config/load.js';
import { RaqibError, UsageError } from '../errors.js';
import { filers } from '../team/filer.js';
import { configPath, usage, type Io } from './common.js';
import { cliLogger, registeredTeamId } from './team.js';

export async function loginCommand(args: string[], io: Io): Promise<number> {
  const { values } = usage('login', () => parseArgs({ args, options: { config: { type: 'string', short: 'c' }, as: { type: 'string' } }, strict: true }));
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
  const asked = values.as ? allowed.find((m) => m.email.toLowerCase() === values.as!.toLowerCase()) : allowed[0];
  if (!asked) {
    throw new UsageError(
      `login: ${values.as} is not the crisis team's manager or an alternate in the config; those who may file: ${allowed.map((m) => m.email).join(', ')}`,
    );
  }
  const dataDir = config.agent.data_dir;
  const audit = new AuditLog(dataDir, cliLogger(io));
  const teamId = await registeredTeamId(dataDir);
  // Nobody is signed in while the code waits; the userinfo answer names who approved it (RequestEvent.actor).
  const onRequest = requestAuditor(audit, { actor: () => undefined, onBehalfOf: () => teamId }, Date.now);
  const dispatcher = authorityDispatcher(authority.ca_file, authority.request_timeout);
  let signedIn;
  try {
    signedIn = await deviceSignIn({
      endpoint: { baseUrl: authority.url, clientId: authority.client_id, dispatcher, timeoutMs: authority.request_timeout, onRequest },
      subject: asked.email,
      dataDir,
      onPrompt: (auth) => {
        io.out(
          `To sign in to the authority at ${authority.url} on behalf of ${config.entity.name.en} (${config.entity.code})\n` +
            `as ${asked.name.en} — ${asked.name.ar} (${asked.role}):\n\n` +
            `  open   ${auth.verification_uri}\n  enter  ${auth.user_code}\n` +
            (auth.verification_uri_complete ? `  (or open ${auth.verification_uri_complete})\n` : '') +
            `\nWaiting for approval (the code expires in ${Math.round(auth.expires_in / 60)} minutes)…\n`,
        );
      },
      accept: (subject) => {
        if (allowed.some((m) => m.email.toLowerCase() === subject.toLowerCase())) return;
        throw new RaqibError(
          'RAQIB_NOT_A_FILER',
          `login: the authority says ${subject} approved the sign-in, who is not the crisis team's manager or an alternate in the config ` +
            `(${allowed.map((m) => `${m.email} (${m.role})`).join(', ')}). Nothing was saved. ` +
            `Run raqib login --as <one of them> and have that person approve the code, or list ${subject} in crisis_team.`,
        );
      },
    });
  } finally {
    await dispatcher.close();
    await audit.close(); // every line on disk before the process exits
  }
  const who = allowed.find((m) => m.email.toLowerCase() === signedIn.subject.toLowerCase())!;
  const instead =
    who === asked ? '' : `raqib asked for ${asked.email}, but the authority says ${who.email} approved the code: reports are filed in ${who.name.en}'s name.\n`;
  io.out(
    `Signed in as ${who.email} — ${who.name.en} (${who.role}).\n${instead}` +
      `The sign-in is saved in ${signInPath(dataDir)} (mode 0600).\nNext: raqib team register\n`,
  );
  return 0;
}
