/**
 * A real WebSocket server for the websocket probe's tests: the `ws` package on a node:http(s)
 * server of 127.0.0.1 port 0, with a fixture certificate for wss://. Paths:
 * - `/echo` sends back every message             - `/greet` sends "welcome v1" on connect
 * - `/silent` accepts and never sends             - `/close` closes with 1011 "going away" at once
 * - `/big` sends one 200 KiB message             - `/ping-first` pings, and says "pong seen" once answered
 * - `/status/<code>` answers the handshake with that HTTP status instead of 101
 * - `/bad-accept` answers 101 with a Sec-WebSocket-Accept that does not answer the key
 * - `/no-upgrade` answers 101 without Upgrade: websocket   - `/evil-protocol` picks a subprotocol never offered
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { tlsFixture, type CertName } from './targets.js';

export interface WsServer {
  port: number;
  /** Messages the server received, in order. */
  received: string[];
  /** Handshake requests' headers, lower-cased names. */
  handshakes: http.IncomingHttpHeaders[];
  /** Connections open on the server side. */
  open(): number;
  close(): Promise<void>;
}

export async function startWsServer(opts: { tls?: CertName } = {}): Promise<WsServer> {
  const server = opts.tls
    ? https.createServer({ cert: readFileSync(tlsFixture(`${opts.tls}.crt`)), key: readFileSync(tlsFixture(`${opts.tls}.key`)) })
    : http.createServer();
  server.on('request', (_req, res) => res.writeHead(426, { upgrade: 'websocket' }).end('upgrade required'));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true });
  const received: string[] = [];
  const handshakes: http.IncomingHttpHeaders[] = [];
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    handshakes.push(req.headers);
    const path = new URL(req.url ?? '/', 'http://ws').pathname;
    const status = /^\/status\/(\d{3})$/.exec(path)?.[1];
    if (status) return void socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[Number(status)] ?? ''}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    const accept = createHash('sha1')
      .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    if (path === '/no-upgrade') return void socket.write(`HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    if (path === '/evil-protocol') {
      return void socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: evil\r\n\r\n`,
      );
    }
    if (path === '/bad-accept') {
      return void socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: d3JvbmcgYWNjZXB0IGtleQ==\r\n\r\n',
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      ws.on('message', (data, binary) => {
        received.push(binary ? `<binary ${(data as Buffer).length}>` : String(data));
        if (path === '/echo') ws.send(data, { binary });
      });
      if (path === '/greet') ws.send('welcome v1');
      if (path === '/close') ws.close(1011, 'going away');
      if (path === '/big') ws.send('x'.repeat(200 * 1024));
      if (path === '/ping-first') {
        ws.on('pong', () => ws.send('pong seen'));
        ws.ping('are you there');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    received,
    handshakes,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
