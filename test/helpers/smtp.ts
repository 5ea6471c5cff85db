/**
 * A real SMTP server for tests: Debian's python3-aiosmtpd (test/helpers/smtp-server.py) as a child
 * process on a port the OS picks, with STARTTLS or implicit TLS on the fixture certificates and AUTH
 * when asked. Every message it takes is kept as received, with its headers and parts as Python's own
 * MIME parser reads them. `npm test` installs the package (test/ensure-debian.sh).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./smtp-server.py', import.meta.url));
const TLS = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
/** The python3 that python3-aiosmtpd installs into (a python3 of pyenv or a venv would not have it). */
export const PYTHON3 = process.env['PYTHON3_BIN'] ?? '/usr/bin/python3';
/** The CA that signed the server's certificate (localhost, 127.0.0.1). */
export const SMTP_CA = `${TLS}ca.crt`;

export interface ReceivedMail {
  mailFrom: string;
  rcptTos: string[];
  /** The message as it arrived, bytes as UTF-8. */
  raw: string;
  login: string | null;
  tls: boolean;
  /** Header values as a mail program decodes them (encoded-words decoded). */
  headers: Record<string, string>;
  parts: { content_type: string; charset: string | null; transfer_encoding: string | null; content: string }[];
}

export interface SmtpServer {
  port: number;
  received: ReceivedMail[];
  /** Answer the next message with this reply instead of 250. */
  answerNext(reply: string): void;
  /** Take the next message, report it, and never answer it. */
  holdNext(): void;
  /** Resolves with the n-th message (0-based) once it has arrived. */
  message(n: number, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export interface SmtpOptions {
  port?: number;
  tls?: 'none' | 'starttls' | 'implicit';
  auth?: { user: string; password: string };
}

const servers = new Set<SmtpServer>();

export async function startSmtp(options: SmtpOptions = {}): Promise<SmtpServer> {
  const tls = options.tls ?? 'none';
  const args = [SCRIPT, '--port', String(options.port ?? 0), '--tls', tls];
  if (tls !== 'none') args.push('--cert', `${TLS}localhost.crt`, '--key', `${TLS}localhost.key`);
  if (options.auth) args.push('--auth', `${options.auth.user}:${options.auth.password}`);
  const child: ChildProcess = spawn(PYTHON3, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const received: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`the SMTP server exited with ${code} before listening: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ev = JSON.parse(line) as Record<string, unknown>;
      if (ev['event'] === 'listening') resolve(ev['port'] as number);
      if (ev['event'] !== 'message') return;
      received.push({
        mailFrom: ev['mail_from'] as string,
        rcptTos: ev['rcpt_tos'] as string[],
        raw: Buffer.from(ev['data'] as string, 'base64').toString('utf8'),
        login: ev['login'] as string | null,
        tls: ev['tls'] as boolean,
        headers: ev['headers'] as Record<string, string>,
        parts: ev['parts'] as ReceivedMail['parts'],
      });
      for (const w of waiters.splice(0)) w();
    });
  });
  const send = (command: unknown) => child.stdin!.write(`${JSON.stringify(command)}\n`);
  const server: SmtpServer = {
    port,
    received,
    answerNext: (reply) => send({ answer: reply }),
    holdNext: () => send({ hold: true }),
    message: (n, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message #${n} within ${timeoutMs} ms (got ${received.length}); stderr: ${stderr}`)), timeoutMs);
        const check = () => {
          if (received.length > n) {
            clearTimeout(timer);
            resolve(received[n]!);
          } else waiters.push(check);
        };
        check();
      }),
    close: async () => {
      servers.delete(server);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  servers.add(server);
  return server;
}

export async function stopAllSmtp(): Promise<void> {
  await Promise.all([...servers].map((s) => s.close()));
}
