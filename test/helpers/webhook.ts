/** A local webhook receiver on a free port: keeps every request and answers the status a test picks. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON body of any shape, read field by field
  body: any;
}

export interface Webhook {
  url: string;
  received: Received[];
  /** Status of the n-th request (0-based), which is `request`; 204 by default. */
  statusFor: (n: number, request: Received) => number;
  close(): Promise<void>;
}

export async function startWebhook(statusFor: Webhook['statusFor'] = () => 204): Promise<Webhook> {
  const received: Received[] = [];
  const hook: Webhook = { url: '', received, statusFor, close: async () => undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const request: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      const status = hook.statusFor(received.length, request);
      received.push(request);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? '' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hook.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return hook;
}

/** Poll (real time) until `check` holds. */
export async function until(check: () => boolean | Promise<boolean>, ms = 3_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
