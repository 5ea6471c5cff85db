/**
 * Signing in on behalf of a crisis team member: the device flow, then the refresh token saved in
 * data_dir (0600) for the agent. Used by `raqib login` (a person approves on their phone) and by
 * the built-in sandbox, which approves by itself.
 */
import type { DeviceAuthorization } from './contract.js';
import { pollDeviceToken, startDeviceAuthorization, type OAuthEndpoint, type PollOptions } from './oauth.js';
import { saveSignIn, type SignIn } from './sign-in.js';
import { AuthorityError } from './errors.js';

export interface DeviceSignInOptions extends PollOptions {
  endpoint: OAuthEndpoint;
  /** The member's email: the identity the approval is expected from. */
  subject: string;
  dataDir: string;
  /** Shows the person the code and where to approve it. */
  onPrompt(auth: DeviceAuthorization): void;
  now?: () => number;
}

export async function deviceSignIn(opts: DeviceSignInOptions): Promise<SignIn> {
  const auth = await startDeviceAuthorization(opts.endpoint, opts.subject);
  opts.onPrompt(auth);
  const token = await pollDeviceToken(opts.endpoint, auth, opts);
  if (!token.refresh_token) throw new AuthorityError('auth', 'the authority issued no refresh token; the agent could not renew its access');
  const signIn: SignIn = {
    authority_url: opts.endpoint.baseUrl,
    client_id: opts.endpoint.clientId,
    subject: opts.subject,
    refresh_token: token.refresh_token,
    obtained_at: new Date((opts.now ?? Date.now)()).toISOString(),
  };
  await saveSignIn(opts.dataDir, signIn);
  return signIn;
}
