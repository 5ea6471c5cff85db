/**
 * Signing in on behalf of a crisis team member: the device flow, then the refresh token saved in
 * data_dir (0600) for the agent. Used by `raqib login` (a person approves on their phone) and by
 * the built-in sandbox, which approves by itself. Who signed in is what the authority says
 * (OpenID Connect UserInfo), not whom the client asked for: the person who approves the code may
 * be someone else.
 */
import type { DeviceAuthorization } from './contract.js';
import { fetchUserInfo, pollDeviceToken, startDeviceAuthorization, type OAuthEndpoint, type PollOptions } from './oauth.js';
import { saveSignIn, type SignIn } from './sign-in.js';
import { AuthorityError } from './errors.js';

export interface DeviceSignInOptions extends PollOptions {
  endpoint: OAuthEndpoint;
  /** The member expected to approve: sent as `login_hint`. Who did approve comes from the authority. */
  subject: string;
  dataDir: string;
  /** Shows the person the code and where to approve it. */
  onPrompt(auth: DeviceAuthorization): void;
  /**
   * Called with whom the authority says signed in, before anything is saved; throwing refuses the
   * sign-in and keeps the sign-in already saved (if any).
   */
  accept?(subject: string): void;
  now?: () => number;
}

export async function deviceSignIn(opts: DeviceSignInOptions): Promise<SignIn> {
  const auth = await startDeviceAuthorization(opts.endpoint, opts.subject);
  opts.onPrompt(auth);
  const token = await pollDeviceToken(opts.endpoint, auth, opts);
  if (!token.refresh_token) throw new AuthorityError('auth', 'the authority issued no refresh token; the agent could not renew its access');
  const who = await fetchUserInfo(opts.endpoint, token.access_token);
  opts.accept?.(who.email);
  const signIn: SignIn = {
    authority_url: opts.endpoint.baseUrl,
    client_id: opts.endpoint.clientId,
    subject: who.email,
    refresh_token: token.refresh_token,
    obtained_at: new Date((opts.now ?? Date.now)()).toISOString(),
  };
  await saveSignIn(opts.dataDir, signIn);
  return signIn;
}
