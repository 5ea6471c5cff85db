/**
 * What raqib keeps across restarts, and the narrow interface every module uses to reach it.
 * Only store/ touches the file; a PostgreSQL store can implement the same interface.
 */
import type { KeptAlert } from '../alerts/book.js';
import type { CheckState } from '../detect/transition.js';
import type { ReportRecord } from '../ledger/types.js';
import type { OutboxEntry } from '../outbox/types.js';
import type { Incident } from '../incidents/types.js';

export const STATE_VERSION = 1;

/** A check's confirmed state; written only when it changes, never per probe. */
export interface PersistedCheckState {
  state: CheckState;
  since: number;
}

export interface StateData {
  version: typeof STATE_VERSION;
  checks: Record<string, PersistedCheckState>;
  /** Open incidents and the most recent closed ones (bounded). */
  incidents: Incident[];
  /** Reports to the authority, by incident id or maintenance occurrence. */
  reports: Record<string, ReportRecord>;
  /** Outbound calls not yet answered, and dead letters (entries with `dead`). */
  outbox: OutboxEntry[];
  outboxSeq: number;
  /** The crisis team as the authority registered it. */
  team?: { id: string; fingerprint: string; registeredAt: number };
  /** Which authority the reports and the team belong to (`mode url`): switching leaves them behind. */
  authority?: string;
  /** Alerts from Alertmanager that alert checks listen for, by fingerprint (alerts/book.ts). */
  alerts?: Record<string, KeptAlert>;
}

export function emptyState(): StateData {
  return { version: STATE_VERSION, checks: {}, incidents: [], reports: {}, outbox: [], outboxSeq: 0 };
}

/** Fill in collections that a state file written by an older raqib does not have yet. */
export function upgradeState(data: StateData): StateData {
  data.reports ??= {};
  data.outbox ??= [];
  data.outboxSeq ??= data.outbox.reduce((max, e) => Math.max(max, e.seq), 0);
  return data;
}

export interface StateStore {
  /** The in-memory state. Read freely; change only through `update`. */
  readonly data: StateData;
  /** Apply a change in memory and schedule a coalesced durable write. */
  update(mutate: (data: StateData) => void): void;
  /** Resolves once every change made so far is durable on disk; rejects if the write fails. */
  flush(): Promise<void>;
  /** False after a failed write until a later write succeeds. */
  readonly writable: boolean;
  /** Flush and release the data_dir lock. */
  close(): Promise<void>;
}
