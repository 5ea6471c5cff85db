/**
 * Delivers one queued e-mail notification through the channel's SMTP server with nodemailer, a
 * connection per message (notifications are few). TLS is what the channel says and nothing less:
 * `starttls` requires the upgrade (a server that does not offer it fails the attempt, never a
 * plaintext send), `implicit` is TLS from the first byte, `none` never upgrades; certificates are
 * verified unless `insecure`. The password is read from its file at each attempt and goes nowhere
 * else (nodemailer's logger is off).
 *
 * SMTP's answers sort as the outbox sorts HTTP's: a permanent reply (5xx but 503, RFC 5321) is a
 * refusal, kept as a dead letter; a transient one (4xx), no answer, a TLS failure or a refused
 * sign-in (the password file may be being rotated) is retried. A message the server took for
 * some recipients and refused for others counts as delivered (resending it would duplicate it for
 * the first), and the refused addresses are logged.
 */
import { createTransport } from 'nodemailer';
import type { EmailChannel } from '../config/schema-notifications.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { Refused } from '../outbox/outbox.js';
import { loadTrust } from '../probes/connect.js';
import type { EmailContent } from './email-message.js';
import { readPassword } from './password-file.js';

/** Connecting, the greeting, and any one wait for the server after that. */
export const SMTP_CONNECT_TIMEOUT_MS = 10_000;
export const SMTP_SOCKET_TIMEOUT_MS = 30_000;
/** One whole attempt, from connecting to the server's answer to the message. */
export const SMTP_ATTEMPT_TIMEOUT_MS = 60_000;

interface SmtpFailure {
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  permanent?: boolean;
}

export async function deliverEmail(channel: EmailChannel, email: EmailContent, log: Logger): Promise<void> {
  const { smtp } = channel;
  const pass = smtp.password_file !== undefined ? await readPassword(smtp.password_file) : undefined;
  const secureContext = smtp.tls === 'none' ? undefined : await loadTrust(smtp.ca_file);
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'implicit',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    opportunisticTLS: false,
    ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass } } : {}),
    tls: { rejectUnauthorized: !smtp.insecure, ...(secureContext ? { secureContext } : {}) },
    connectionTimeout: SMTP_CONNECT_TIMEOUT_MS,
    greetingTimeout: SMTP_CONNECT_TIMEOUT_MS,
    socketTimeout: SMTP_SOCKET_TIMEOUT_MS,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });
  try {
    const info = await transport.sendMail({
      from: { name: 'رقيب raqib', address: channel.from },
      to: channel.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId: email.messageId,
      date: new Date(email.date),
      // No out-of-office replies to a machine: RFC 3834, and Exchange's own header for it.
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
      signal: AbortSignal.timeout(SMTP_ATTEMPT_TIMEOUT_MS),
    });
    // A recipient deferred with a 4xx must still get it: the message is sent again (under the same
    // Message-ID, which the others' mail systems know already) rather than lost for them.
    const deferred = (info.rejectedErrors ?? []).filter((r) => (r as SmtpFailure).responseCode === undefined || (r as SmtpFailure).responseCode! < 500);
    if (deferred.length > 0) {
      throw new Error(
        `email ${channel.id}: the SMTP server deferred ${deferred.length} recipient(s) (${(deferred[0] as SmtpFailure).response ?? 'no reply'}); sending again`,
      );
    }
    if (info.rejected.length > 0) {
      log.warn(
        { module: 'notify', channel: channel.id, rejected: info.rejected, response: info.response },
        'the SMTP server took the message for some recipients only; not sent again',
      );
    }
  } catch (err) {
    const e = err as SmtpFailure;
    const reply = e.response ?? describeError(err);
    // A refused sign-in is retried: the password file is read again at the next attempt. So is a
    // server that does not offer STARTTLS (ETLS): its configuration, not the message, is at fault.
    if (e.permanent === true && e.code !== 'EAUTH' && e.code !== 'ETLS')
      throw new Refused(
        `email ${channel.id}: the SMTP server refused the message${e.command !== undefined ? ` (${e.command})` : ''}: ${reply}`,
        e.responseCode,
        { cause: err },
      );
    const answered = e.command !== undefined ? `the SMTP server answered ${e.command} with ${reply}` : `SMTP ${reply}`;
    throw new Error(`email ${channel.id}: ${e.responseCode !== undefined ? answered : `no delivery (${reply})`}`, { cause: err });
  } finally {
    transport.close();
  }
}
