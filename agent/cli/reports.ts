/**
 * `raqib reports list | show ID | finalize ID --actions-ar "…" --actions-en "…" [--root-cause-ar "…" --root-cause-en "…"]`
 * (`--actions` / `--root-cause` take either language).
 * list and show read the state file directly (read-only, so they work while the agent runs or
 * when it is down); finalize asks the running agent, which alone may queue a report.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { AGENT_FILE } from '../agent-file.js';
import { splitHostPort } from '../config/fields.js';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { RaqibError, UsageError } from '../errors.js';
import { findRecord, reportDetail, stateView } from '../ledger/views.js';
import { entriesIn } from '../outbox/outbox.js';
import { STATE_FILE } from '../store/json-store.js';
import { emptyState, upgradeState, type StateData } from '../store/types.js';
import { textLanguage } from '../wording/team-text.js';
import { configPath, table, usage, type Io } from './common.js';

export async function reportsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = usage('reports', () =>
    parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        actions: { type: 'string' },
        'actions-ar': { type: 'string' },
        'actions-en': { type: 'string' },
        'root-cause': { type: 'string' },
        'root-cause-ar': { type: 'string' },
        'root-cause-en': { type: 'string' },
        json: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    }),
  );
  const [action, ref] = positionals;
  const { config } = await loadConfigFile(configPath(values.config, io.env), { env: io.env });
  if (action === 'list') return list(await readState(config), io, values.json ?? false);
  if (action === 'show' && ref) return show(await readState(config), ref, io, values.json ?? false);
  if (action === 'finalize' && ref) {
    const body = finalizeBody(values);
    const answer = (await askAgent(config, `reports/${encodeURIComponent(ref)}/finalize`, body)) as { reference?: string; key?: string };
    io.out(`Final report of ${answer.reference ?? answer.key ?? ref} queued with the actions taken; raqib files it now.\n`);
    return 0;
  }
  if ((action === 'retry' || action === 'dismiss') && ref && /^\d+$/.test(ref)) {
    await askAgent(config, `outbox/${ref}/${action}`, {});
    io.out(action === 'retry' ? `Dead letter #${ref} is queued again.\n` : `Dead letter #${ref} is dismissed (handled by hand).\n`);
    return 0;
  }
  throw new UsageError('reports: say list, show ID, finalize ID --actions-ar "…" --actions-en "…", retry SEQ or dismiss SEQ');
}

/** The team's words as the finalize call carries them: one string (language left to the agent), or {ar, en}. */
export type TeamWords = string | { ar?: string; en?: string };

/** The flags of one text: `--NAME` in either language, `--NAME-ar` and `--NAME-en` for each. */
function teamWords(flag: string, any: string | undefined, ar: string | undefined, en: string | undefined): TeamWords | undefined {
  const given = { ar: ar?.trim() ?? '', en: en?.trim() ?? '' };
  const plain = any?.trim() ?? '';
  if (plain) {
    if (!given.ar && !given.en) return plain;
    const lang = textLanguage(plain);
    if (given[lang]) {
      const [named, other] = lang === 'ar' ? ['Arabic', 'en'] : ['English', 'ar'];
      throw new UsageError(
        `reports finalize: --${flag} reads as ${named}, and --${flag}-${lang} gives ${named} too; give the other language with --${flag}-${other}`,
      );
    }
    given[lang] = plain;
  }
  if (given.ar && given.en) return { ar: given.ar, en: given.en };
  if (given.ar) return { ar: given.ar };
  if (given.en) return { en: given.en };
  return undefined;
}

/**
 * The body of `POST /api/v1/reports/{ref}/finalize`: `{ actions, root_cause? }`, each a string (one
 * language, as typed) or `{ar, en}` (either may be missing). Both languages are asked for; one is
 * enough, and the report then says which language it was given in.
 */
export function finalizeBody(values: Partial<Record<'actions' | 'actions-ar' | 'actions-en' | 'root-cause' | 'root-cause-ar' | 'root-cause-en', string>>): {
  actions: TeamWords;
  root_cause?: TeamWords;
} {
  const actions = teamWords('actions', values.actions, values['actions-ar'], values['actions-en']);
  if (!actions) {
    throw new UsageError('reports finalize: give the actions taken with --actions-ar "…" and --actions-en "…" (or --actions "…" in one language)');
  }
  const rootCause = teamWords('root-cause', values['root-cause'], values['root-cause-ar'], values['root-cause-en']);
  return { actions, ...(rootCause ? { root_cause: rootCause } : {}) };
}

async function readState(config: Config): Promise<StateData> {
  const file = join(config.agent.data_dir, STATE_FILE);
  try {
    return upgradeState(JSON.parse(await readFile(file, 'utf8')) as StateData);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return emptyState();
    if (code === 'EACCES') throw new RaqibError('RAQIB_STORE_IO', `cannot read ${file}: permission denied; run this as the user the agent runs as`);
    throw new RaqibError('RAQIB_STORE_CORRUPT', `cannot read ${file}: ${(err as Error).message}`);
  }
}

function list(data: StateData, io: Io, json: boolean): number {
  const view = stateView(data);
  if (json) {
    io.out(`${JSON.stringify(view, null, 2)}\n`);
    return 0;
  }
  const rows = [['REPORT', 'TYPE', 'SERVICE', 'STATUS', 'FILED', 'UPDATES', 'GUIDANCE', 'OUTBOX']];
  for (const r of view.reports) {
    const outbox = `${r.pending} pending${r.dead_letters ? `, ${r.dead_letters} dead` : ''}`;
    rows.push([r.reference ?? r.key, r.type, r.service, r.status, r.filed_at ?? '-', String(r.updates + (r.restored ? 1 : 0)), String(r.guidance), outbox]);
  }
  io.out(table(rows));
  if (view.outbox.dead_letters.length > 0) {
    io.out(`\nDead letters (refused by the far side; not retried — act on them by hand):\n`);
    for (const d of view.outbox.dead_letters) io.out(`  #${d.seq} ${d.summary} (${d.idempotency_key}): ${d.dead?.status ?? ''} ${d.dead?.reason ?? ''}\n`);
  }
  return 0;
}

function show(data: StateData, ref: string, io: Io, json: boolean): number {
  const rec = findRecord(data, ref);
  if (!rec) throw new UsageError(`reports show: no report ${ref}; raqib reports list shows them`);
  const d = reportDetail(rec, entriesIn(data));
  if (json) {
    io.out(`${JSON.stringify(d, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `report     ${d.reference ?? '(not filed yet)'}  ${d.id ?? ''}`,
    `type       ${d.type} (${d.kind})`,
    `service    ${d.service}${d.incident ? `  incident ${d.incident}` : ''}`,
    `status     ${d.status}${d.done ? ' (done)' : ''}`,
    `filed      ${d.filed_at ?? '-'}   acknowledged ${d.acknowledged_at ?? '-'}${d.escalated_at ? `   escalated ${d.escalated_at}` : ''}`,
    `updates    ${d.updates}${d.restored ? ' + restoration' : ''}   final reports ${d.finals}${d.actions_pending ? ' (actions to follow)' : ''}`,
  ];
  if (d.status_history.length) lines.push('history', ...d.status_history.map((h) => `  ${h.at}  ${h.status}`));
  lines.push(`guidance   ${d.guidance.length === 0 ? 'none' : ''}`);
  for (const g of d.guidance) lines.push(`  ${g.at}  ${g.text.en}`, `  ${' '.repeat(g.at.length)}  ${g.text.ar}`);
  lines.push(`outbox     ${d.outbox.length === 0 ? 'empty (everything delivered)' : ''}`);
  for (const e of d.outbox) {
    const state = e.dead
      ? `DEAD ${e.dead.status ?? ''} ${e.dead.reason}`
      : `pending, ${e.attempts} attempts, next ${e.next_attempt_at}${e.last_error ? `, last error: ${e.last_error}` : ''}`;
    lines.push(`  #${e.seq} ${e.summary}: ${state}`);
  }
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

/** The running agent's URL: from data_dir/agent.json (written at start), else from agent.listen. */
async function agentUrl(config: Config): Promise<string> {
  try {
    const { url } = JSON.parse(await readFile(join(config.agent.data_dir, AGENT_FILE), 'utf8')) as { url?: string };
    if (url) return url;
  } catch {
    // not written (agent never started here): fall back to the config
  }
  const listen = splitHostPort(config.agent.listen)!;
  const host = ['0.0.0.0', '::', ''].includes(listen.host) ? '127.0.0.1' : listen.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}

/** POST an action to the running agent; its error message, or a clear one when it cannot be reached. */
async function askAgent(config: Config, path: string, body: unknown): Promise<unknown> {
  const url = `${await agentUrl(config)}/api/v1/${path}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (config.agent.auth_token) headers['authorization'] = `Bearer ${config.agent.auth_token}`;
  let res;
  try {
    res = await request(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    throw new RaqibError(
      'RAQIB_AGENT_DOWN',
      timedOut
        ? `the agent at ${url} did not answer within 10 s; it may still act on it: check with raqib reports show/list`
        : `cannot reach the agent at ${url} (${(err as Error).message}); this needs the agent running (raqib run)`,
    );
  }
  const answer = (await res.body.json().catch(() => ({}))) as { error?: string };
  if (res.statusCode >= 400) throw new RaqibError('RAQIB_AGENT_REFUSED', `${path}: ${answer.error ?? `HTTP ${res.statusCode}`}`);
  return answer;
}
