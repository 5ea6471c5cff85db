/**
 * The crisis team member's sign-in, kept in data_dir so the agent can refresh access tokens on
 * its own: the refresh token, who it belongs to, and which authority issued it. Mode 0600,
 * written durably; never logged. `raqib login` writes it; the agent re-reads it at each refresh,
 * so signing in again while the agent runs takes effect without a restart.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { realFs, writeFileDurably, type StoreFs } from '../store/durable-file.js';

export const SIGN_IN_FILE = 'authority-sign-in.json';

export interface SignIn {
  authority_url: string;
  client_id: string;
  /** Email of the member who approved the sign-in, as the authority says (userinfo): reports are filed in their name. */
  subject: string;
  refresh_token: string;
  obtained_at: string;
}

export function signInPath(dataDir: string): string {
  return join(dataDir, SIGN_IN_FILE);
}

/** The saved sign-in; undefined when there is none. `why` says what was wrong with one that is unusable. */
export async function readSignIn(dataDir: string, why?: (reason: string) => void): Promise<SignIn | undefined> {
  const file = signInPath(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') why?.(`cannot read ${file} (${code ?? (err as Error).message}): was raqib login run as another user?`);
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<SignIn>;
    if (typeof value.refresh_token === 'string' && typeof value.subject === 'string' && typeof value.authority_url === 'string') return value as SignIn;
  } catch {
    // fall through
  }
  why?.(`${file} is not a raqib sign-in; run raqib login again`);
  return undefined;
}

export async function saveSignIn(dataDir: string, signIn: SignIn, fs: StoreFs = realFs): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileDurably(fs, signInPath(dataDir), JSON.stringify(signIn, null, 2));
}
