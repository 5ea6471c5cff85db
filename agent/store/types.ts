/**
 * What raqib keeps across restarts, and the narrow interface every module uses to reach it.
 * Only store/ touches the file; a PostgreSQL store can implement the same interface.
 */
import type { CheckState } from '../detect/transition.js';
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
}

export function emptyState(): StateData {
  return { version: STATE_VERSION, checks: {}, incidents: [] };
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
