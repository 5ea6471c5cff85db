/**
 * Rules of the notification channels that span fields or look outside the file: an SMTP login has
 * a user and a private password file and never goes in the clear.
 */
import { passwordFileProblem } from '../team/password-file.js';
import type { PathProblem } from './messages.js';
import type { Config } from './schema.js';
import type { EmailChannel } from './schema-notifications.js';

export function notificationProblems(config: Config): PathProblem[] {
  return config.notifications.flatMap((channel, i) => {
    const at = ['notifications', i];
    if (channel.type === 'email') return emailProblems(channel, at);
    return [];
  });
}

function emailProblems(channel: EmailChannel, at: (string | number)[]): PathProblem[] {
  const problems: PathProblem[] = [];
  const { smtp } = channel;
  const smtpAt = [...at, 'smtp'];
  if (smtp.user !== undefined && smtp.password_file === undefined) {
    problems.push({ path: [...smtpAt, 'user'], message: 'user needs password_file, the file that holds its password' });
  }
  if (smtp.password_file !== undefined) {
    if (smtp.user === undefined) problems.push({ path: [...smtpAt, 'password_file'], message: 'password_file needs user, the name to sign in as' });
    const problem = passwordFileProblem(smtp.password_file);
    if (problem !== undefined) problems.push({ path: [...smtpAt, 'password_file'], message: problem });
    if (smtp.tls === 'none') {
      problems.push({
        path: [...smtpAt, 'tls'],
        message: 'tls none would send the password in the clear; use starttls (port 587) or implicit (port 465)',
      });
    }
  }
  return problems;
}
