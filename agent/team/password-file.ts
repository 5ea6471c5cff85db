/**
 * An SMTP password kept in a file of its own, as systemd credentials, Docker and Kubernetes secrets
 * hand them over: never in the config, the environment or a log. A file that others, or a group
 * other than the agent's own, may open is refused, as ssh refuses a private key: a password anyone
 * on the host can read is no secret. The config rules check it once at load; the sender reads it again at each send, so a
 * rotated password is used without a reload.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** What is wrong with the file as a password file, or undefined when it will do. */
function problemOf(path: string, info: Stats | NodeJS.ErrnoException): string | undefined {
  if (info instanceof Error) {
    const why = info.code === 'ENOENT' ? 'no such file' : info.code === 'EACCES' ? 'permission denied' : info.message;
    return `cannot read password file ${path}: ${why}`;
  }
  if (!info.isFile()) return `password file ${path} is not a regular file`;
  const mode = info.mode & 0o777;
  // Group read is allowed for the agent's own group only: Kubernetes mounts a secret 0440 under the
  // pod's fsGroup, which is then the agent's group.
  const groupOk = (mode & 0o070) === 0 || ((mode & 0o070) === 0o040 && info.gid === process.getgid?.());
  if ((mode & 0o007) !== 0 || !groupOk) {
    return `password file ${path} is open to group or others (mode 0${mode.toString(8)}); make it private: chmod 600 ${path}`;
  }
  return undefined;
}

/** Checked when the config loads (synchronously, as the config rules run). */
export function passwordFileProblem(path: string): string | undefined {
  let info: Stats;
  try {
    info = statSync(path);
    if (info.isFile()) readFileSync(path); // readable by this user at all
  } catch (err) {
    return problemOf(path, err as NodeJS.ErrnoException);
  }
  return problemOf(path, info);
}

export class PasswordFileError extends Error {
  override name = 'PasswordFileError';
}

/** The password, read at the moment it is needed; its last line break is not part of it. */
export async function readPassword(path: string): Promise<string> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (err) {
    throw new PasswordFileError(problemOf(path, err as NodeJS.ErrnoException));
  }
  const problem = problemOf(path, info);
  if (problem !== undefined) throw new PasswordFileError(problem);
  try {
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new PasswordFileError(problemOf(path, err as NodeJS.ErrnoException));
  }
}
