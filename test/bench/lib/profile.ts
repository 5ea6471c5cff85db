/**
 * Reads a V8 CPU profile (`node --cpu-prof`) of the agent and says where its CPU went during the
 * measured window only (profile timestamps and the benchmark's performance.now() are both the
 * machine's monotonic clock, so the window can be cut out of a whole-life profile): self time by
 * function, self time by area (agent file, package, Node internals, GC) and inclusive time of the
 * agent's own functions.
 */
import { readFile } from 'node:fs/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  what: string;
  ms: number;
  /** Share of the busy (non-idle) time in the window. */
  share: number;
  /** For self time: the agent function (or package) nearest on the stack, most often. */
  from?: string;
}

/** A stretch of samples without an idle one: the event loop did not wait for I/O meanwhile. */
export interface BusyStretch {
  ms: number;
  /** Seconds into the window. */
  at: number;
  top: Row[];
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  /** The longest busy stretches, longest first. */
  stretches: BusyStretch[];
  selfByFunction: Row[];
  selfByArea: Row[];
  inclusiveAgent: Row[];
}

function shortUrl(url: string): string {
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length).replace(/\.js$/, '');
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  return url.replace(/^file:\/\//, '');
}

function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) {
    const parts = url.slice('node:'.length).split('/');
    return `node:${parts[0] === 'internal' ? parts.slice(1, 2).join('/').replace(/\.js$/, '') : parts[0]}`;
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + '/dist/'.length).replace(/\.js$/, '') : url;
}

function label(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  return frame.url ? `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : name;
}

/** The machine's monotonic clock in ms: what V8 stamps CPU profiles with (in µs). */
export const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Summarises `file` between two {@link monoMs} readings, taken by any process on this machine. */
export async function summariseProfile(file: string, fromMs: number, toMs: number, top = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const from = fromMs * 1000;
  const to = toMs * 1000;

  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  /** self-time key → caller key → ms: who, in the agent or its packages, asked for the work. */
  const callers = new Map<string, Map<string, number>>();
  const callerOf = (id: number): string => {
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      const f = byId.get(p)!.callFrame;
      if (f.url.includes('/dist/agent/') || f.url.includes('/node_modules/')) return label(f);
    }
    return '–';
  };
  let t = profile.startTime;
  let total = 0;
  let idle = 0;
  const stretches: { ms: number; start: number; nodes: number[] }[] = [];
  let current: { ms: number; start: number; nodes: number[] } | undefined;
  const closeStretch = () => {
    if (current) stretches.push(current);
    stretches.sort((a, b) => b.ms - a.ms);
    stretches.splice(3);
    current = undefined;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]!)!;
    total += dt;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      closeStretch();
      continue;
    }
    current ??= { ms: 0, start: t, nodes: [] };
    current.ms += dt;
    current.nodes.push(node.id);
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    const caller = callerOf(node.id);
    const byCaller = callers.get(key) ?? new Map<string, number>();
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + dt);
    callers.set(key, byCaller);
    const a = area(node.callFrame);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (!f.url.includes('/dist/agent/')) continue;
      const k = label(f);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  closeStretch();
  const busy = total - idle;
  const stretchRows = stretches.map((st): BusyStretch => {
    const byFn = new Map<string, { ms: number; from: Map<string, number> }>();
    const step = st.ms / st.nodes.length;
    for (const id of st.nodes) {
      const key = label(byId.get(id)!.callFrame);
      const e = byFn.get(key) ?? { ms: 0, from: new Map<string, number>() };
      e.ms += step;
      const c = callerOf(id);
      e.from.set(c, (e.from.get(c) ?? 0) + step);
      byFn.set(key, e);
    }
    const top = [...byFn.entries()]
      .sort((x, y) => y[1].ms - x[1].ms)
      .slice(0, 5)
      .map(([what, e]) => ({ what, ms: e.ms, share: e.ms / st.ms, from: [...e.from.entries()].sort((x, y) => y[1] - x[1])[0]![0] }));
    return { ms: st.ms, at: (st.start - from) / 1e6, top };
  });
  const rows = (m: Map<string, number>, n: number): Row[] =>
    [...m.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([what, ms]) => {
        const byCaller = callers.get(what);
        const from = byCaller ? [...byCaller.entries()].sort((x, y) => y[1] - x[1])[0]?.[0] : undefined;
        return { what, ms, share: busy > 0 ? ms / busy : 0, ...(from !== undefined && m === self ? { from } : {}) };
      });
  return {
    windowMs: total,
    busyMs: busy,
    stretches: stretchRows,
    selfByFunction: rows(self, top),
    selfByArea: rows(areas, top),
    inclusiveAgent: rows(inclusive, top),
  };
}
