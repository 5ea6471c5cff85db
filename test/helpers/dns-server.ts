/**
 * A tiny authoritative DNS server over UDP for tests: real resolvers (c-ares via `node:dns`) talk
 * to it on 127.0.0.1, so probe tests and fault-injection suites exercise the real wire path
 * without network access. It speaks just enough RFC 1035 to answer one question per query.
 *
 * Behaviour is chosen per name, so one server can host the healthy, broken and silent cases of a
 * suite at once, and `set()` changes a name while the server runs (e.g. to inject an outage).
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';

/** How the server treats a query for a name. */
export type DnsBehaviour =
  /** Answer from the zone entry: NOERROR with the records of the asked type (none → NODATA). */
  | 'answer'
  /** RCODE 3, "no such name". Default for names not in the zone. */
  | 'nxdomain'
  /** RCODE 2, the server failed. */
  | 'servfail'
  /** RCODE 5, the server refuses to answer. */
  | 'refused'
  /** Never answer, so the resolver times out. */
  | 'drop';

/** Records and behaviour of one name. Record values are given as a resolver would return them. */
export interface DnsZoneEntry {
  A?: string[];
  AAAA?: string[];
  CNAME?: string[];
  NS?: string[];
  /** Each TXT record is a list of character-strings (each at most 255 bytes). */
  TXT?: string[][];
  MX?: { priority: number; exchange: string }[];
  /** Default `'answer'`. */
  behaviour?: DnsBehaviour;
  /** Delay before the response is sent, to simulate a slow server. */
  delayMs?: number;
  /** TTL of the records, seconds; default 60. */
  ttl?: number;
}

/** Names (case-insensitive, trailing dot optional) to their entries. */
export type DnsZone = Record<string, DnsZoneEntry>;

export interface DnsServerOptions {
  /** Behaviour for names not in the zone; default `'nxdomain'`. */
  unknown?: DnsBehaviour;
  /** Address to listen on: `'127.0.0.1'` (default), `'::1'` to test IPv6 servers, or a test network's (netlab.ts). */
  host?: string;
  /** Port to listen on; default one the OS chooses (53 for a resolver named in a resolv.conf). */
  port?: number;
  /** Remember each question in `questions` (default true); a load test asking millions says false. */
  keepQuestions?: boolean;
}

export interface DnsTestServer {
  /** `127.0.0.1:PORT` (or `[::1]:PORT`), ready for a dns check's `server` field. */
  readonly address: string;
  readonly port: number;
  /** Datagrams received so far (including dropped and malformed ones). */
  readonly queries: number;
  /** Questions parsed so far, in order, as `{ name, type }` (name lowercased, no trailing dot). */
  readonly questions: ReadonlyArray<{ name: string; type: string }>;
  /** Replaces (or, with `undefined`, removes) a name's entry while the server runs. */
  set(name: string, entry: DnsZoneEntry | undefined): void;
  /** Stops listening and cancels delayed responses. */
  close(): Promise<void>;
}

const TYPES: Record<number, keyof typeof ENCODERS> = { 1: 'A', 2: 'NS', 5: 'CNAME', 15: 'MX', 16: 'TXT', 28: 'AAAA' };
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const norm = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** A name as uncompressed labels. */
function encodeName(name: string): Buffer {
  const labels = norm(name)
    .split('.')
    .filter((l) => l !== '');
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}

function encodeIPv6(addr: string): Buffer {
  if (isIP(addr) !== 6) throw new Error(`not an IPv6 address: ${addr}`);
  const [head = '', tail] = addr.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const buf = Buffer.alloc(16);
  all.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16), i * 2));
  return buf;
}

const ENCODERS = {
  A: (v: string) => Buffer.from(v.split('.').map(Number)),
  AAAA: encodeIPv6,
  NS: encodeName,
  CNAME: encodeName,
  MX: (v: { priority: number; exchange: string }) => {
    const pref = Buffer.alloc(2);
    pref.writeUInt16BE(v.priority);
    return Buffer.concat([pref, encodeName(v.exchange)]);
  },
  TXT: (chunks: string[]) => Buffer.concat(chunks.map((c) => Buffer.concat([Buffer.from([Buffer.byteLength(c)]), Buffer.from(c)]))),
};

/** The question of a query: the name, the type code and the raw bytes to echo back. */
function parseQuestion(msg: Buffer): { name: string; qtype: number; raw: Buffer } | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    const len = msg[off];
    if (len === undefined || len > 63) return undefined; // also rejects compression pointers
    off += 1;
    if (len === 0) break;
    labels.push(msg.toString('ascii', off, off + len));
    off += len;
  }
  if (off + 4 > msg.length) return undefined;
  return { name: norm(labels.join('.')), qtype: msg.readUInt16BE(off), raw: msg.subarray(12, off + 4) };
}

/** Response to `query`: question echoed, answers named by a pointer (0xC00C) to the question name. */
function buildResponse(query: Buffer, rcode: number, question: Buffer | undefined, answers: Buffer[] = []): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  const opcodeAndRd = query.readUInt16BE(2) & 0x7900; // opcode + RD from the query
  header.writeUInt16BE(0x8000 | opcodeAndRd | 0x0400 | rcode, 2); // QR, AA
  header.writeUInt16BE(question ? 1 : 0, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, ...(question ? [question] : []), ...answers]);
}

function answerRecords(entry: DnsZoneEntry, type: keyof typeof ENCODERS, qtype: number): Buffer[] {
  const values = (entry[type] ?? []) as never[];
  return values.map((v) => {
    const rdata = (ENCODERS[type] as (x: never) => Buffer)(v);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(qtype, 2);
    rr.writeUInt16BE(1, 4); // class IN
    rr.writeUInt32BE(entry.ttl ?? 60, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
}

/**
 * Starts a server on 127.0.0.1 (or `options.host`) with an OS-chosen port. Names missing from `zone` get
 * `options.unknown` (NXDOMAIN by default); query types other than A/AAAA/CNAME/MX/TXT/NS get
 * NOTIMP. Only records of the asked type are returned (no CNAME chasing).
 */
export async function startDnsServer(zone: DnsZone = {}, options: DnsServerOptions = {}): Promise<DnsTestServer> {
  const entries = new Map(Object.entries(zone).map(([k, v]) => [norm(k), v]));
  const timers = new Set<NodeJS.Timeout>();
  const questions: { name: string; type: string }[] = [];
  const host = options.host ?? '127.0.0.1';
  const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  let queries = 0;
  let closed = false;

  const send = (buf: Buffer, to: RemoteInfo) => {
    if (!closed) socket.send(buf, to.port, to.address);
  };

  socket.on('message', (msg, rinfo) => {
    queries += 1;
    const q = parseQuestion(msg);
    if (!q) {
      if (msg.length >= 12) send(buildResponse(msg, RCODE.FORMERR, undefined), rinfo);
      return;
    }
    const type = TYPES[q.qtype];
    if (options.keepQuestions !== false) questions.push({ name: q.name, type: type ?? String(q.qtype) });
    const entry = entries.get(q.name);
    const behaviour = entry ? (entry.behaviour ?? 'answer') : (options.unknown ?? 'nxdomain');
    if (behaviour === 'drop') return;
    let response: Buffer;
    if (behaviour === 'nxdomain') response = buildResponse(msg, RCODE.NXDOMAIN, q.raw);
    else if (behaviour === 'servfail') response = buildResponse(msg, RCODE.SERVFAIL, q.raw);
    else if (behaviour === 'refused') response = buildResponse(msg, RCODE.REFUSED, q.raw);
    else if (!type) response = buildResponse(msg, RCODE.NOTIMP, q.raw);
    else response = buildResponse(msg, RCODE.NOERROR, q.raw, entry ? answerRecords(entry, type, q.qtype) : []);
    const delay = entry?.delayMs ?? 0;
    if (delay <= 0) return send(response, rinfo);
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(response, rinfo);
    }, delay);
    timers.add(timer);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const port = socket.address().port;

  return {
    address: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`,
    port,
    get queries() {
      return queries;
    },
    questions,
    set(name, entry) {
      if (entry) entries.set(norm(name), entry);
      else entries.delete(norm(name));
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
