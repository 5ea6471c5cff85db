/**
 * What people see of reports — in /api/v1/reports and `raqib reports list|show` — computed from
 * the state alone, so the CLI can show it from the state file even when the agent is down.
 * Outbox bodies are left out: they hold team members' names and contacts.
 */
import { entriesIn } from '../outbox/outbox.js';
import type { OutboxEntry } from '../outbox/types.js';
import { findRecord as findIn, recordsIn } from './ledger.js';
import type { ReportRecord } from './types.js';
import type { StateData } from '../store/types.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function entryView(e: OutboxEntry) {
  return {
    seq: e.seq,
    op: e.op,
    summary: e.summary,
    idempotency_key: e.idempotencyKey,
    created_at: iso(e.createdAt),
    attempts: e.attempts,
    next_attempt_at: e.dead ? undefined : iso(e.nextAttemptAt),
    last_error: e.lastError,
    dead: e.dead && { at: iso(e.dead.at), status: e.dead.status, reason: e.dead.reason },
  };
}

export function reportSummary(rec: ReportRecord, outbox: readonly OutboxEntry[]) {
  const mine = outbox.filter((e) => e.reportKey === rec.key);
  return {
    key: rec.key,
    kind: rec.kind,
    type: rec.type,
    service: rec.serviceId,
    incident: rec.incidentId,
    reference: rec.reference,
    id: rec.reportId,
    status: rec.status ?? (rec.suppressedUntil !== undefined && rec.queuedAt === 0 ? 'suppressed' : 'queued'),
    filed_at: iso(rec.filedAt),
    acknowledged_at: iso(rec.acknowledgedAt),
    updates: rec.updates,
    restored: rec.restoredQueued ?? false,
    finals: rec.finals,
    actions_pending: rec.actionsPending,
    guidance: rec.guidance.length,
    pending: mine.filter((e) => !e.dead).length,
    dead_letters: mine.filter((e) => e.dead).length,
    done: rec.done ?? false,
    followed: rec.followed ?? false,
  };
}

export function reportDetail(rec: ReportRecord, outbox: readonly OutboxEntry[]) {
  return {
    ...reportSummary(rec, outbox),
    window: rec.window && { id: rec.window.windowId, start: iso(rec.window.start), end: iso(rec.window.end) },
    final_due_at: iso(rec.finalDueAt),
    escalated_at: iso(rec.escalatedAt),
    status_history: rec.statusHistory.map((h) => ({ status: h.status, at: iso(h.at) })),
    guidance: rec.guidance,
    outbox: outbox.filter((e) => e.reportKey === rec.key).map(entryView),
  };
}

/** Records newest first, and the outbox's dead letters. */
export function reportsView(all: readonly ReportRecord[], entries: readonly OutboxEntry[]) {
  const records = [...all].sort((a, b) => b.queuedAt - a.queuedAt);
  return {
    reports: records.map((r) => reportSummary(r, entries)),
    outbox: { pending: entries.filter((e) => !e.dead).length, dead_letters: entries.filter((e) => e.dead).map(entryView) },
  };
}

export function findRecord(data: StateData, ref: string): ReportRecord | undefined {
  return findIn(data.reports, ref);
}

/** The view of a state file read from disk (the CLI when no agent runs). */
export function stateView(data: StateData) {
  return reportsView(recordsIn(data), entriesIn(data));
}
