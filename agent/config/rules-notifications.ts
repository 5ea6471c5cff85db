/**
 * Rules of the notification channels that span fields or look outside the file: an SMTP login has
 * a user and a private password file and never goes in the clear; an SMS gateway's body says how
 * its values are escaped and is what it claims to be once they are filled; no number is texted twice.
 */
import { bodyKind, contentType, gatewayRequest } from '../team/sms-request.js';
import { passwordFileProblem } from '../team/password-file.js';
import type { PathProblem } from './messages.js';
import type { Config } from './schema.js';
import type { EmailChannel, SmsChannel } from './schema-notifications.js';

/** Values that need every kind of escaping, to try a body template with. */
const TRIAL = { to: '+966500000000', text: 'نص "تجريبي" & 100%\n\\', reference: 'DGA-2026-000001', event: 'report_filed', id: 'raqib:MOH:notify:x' };

export function notificationProblems(config: Config): PathProblem[] {
  return config.notifications.flatMap((channel, i) => {
    const at = ['notifications', i];
    if (channel.type === 'email') return emailProblems(channel, at);
    if (channel.type === 'sms') return smsProblems(channel, at);
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

function smsProblems(channel: SmsChannel, at: (string | number)[]): PathProblem[] {
  const problems: PathProblem[] = [];
  const first = new Map<string, number>();
  channel.to.forEach((number, j) => {
    const seen = first.get(number);
    if (seen !== undefined) problems.push({ path: [...at, 'to', j], message: `duplicate number ${number} (first at to[${seen}])` });
    else first.set(number, j);
  });
  const { request } = channel;
  for (const [name, value] of Object.entries(request.headers))
    if (/\{\{\s*text\s*\}\}/.test(value))
      problems.push({
        path: [...at, 'request', 'headers', name],
        message: 'a header carries Latin-1 only, and {{text}} is Arabic: put {{text}} in the body or the url',
      });
  if (request.body === undefined) return problems;
  const bodyAt = [...at, 'request', 'body'];
  if (request.method === 'GET') {
    problems.push({ path: bodyAt, message: 'a GET request has no body; use POST or PUT, or put the placeholders in the url' });
    return problems;
  }
  const type = contentType(request.headers);
  if (type === undefined) {
    problems.push({
      path: bodyAt,
      message:
        'a body needs a Content-Type header (application/json, application/x-www-form-urlencoded, text/plain, …): it says how the values put into the body are escaped',
    });
  } else if (bodyKind(type) === 'json') {
    try {
      JSON.parse(gatewayRequest(request, TRIAL).body!);
    } catch {
      // Not the parser's own words: they differ between Node versions.
      problems.push({
        path: bodyAt,
        message: 'is not valid JSON once its placeholders are filled; write each placeholder inside quotes, as in {"to": "{{to}}", "text": "{{text}}"}',
      });
    }
  }
  return problems;
}
