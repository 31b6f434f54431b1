/**
 * What the pipelines report. Every pipeline is an Observable of these events; the engine merges
 * them and derives status$, errors$, processed$ and metrics$ from the one stream with pure
 * reducers. Plain data only.
 */
import type { SyncError } from '../errors.js';
import type { ChangesProcessedMsg } from '../protocol/index.js';
import type { TransportState } from './ports.js';

/** One engine event. */
export type EngineEvent =
  /** The transport changed state. */
  | { type: 'transport'; state: TransportState }
  /** The app recorded local changes (already in the store). */
  | { type: 'recorded'; count: number }
  /** Fresh pending / failed counts read from the store. */
  | { type: 'counts'; pending: number; failed: number }
  /** A `client_change` frame went out with these changes. */
  | { type: 'sent'; change_ids: string[] }
  /** One sent change is no longer in flight (acked, timed out, errored). */
  | { type: 'settled'; change_id: string }
  /** The server acknowledged changes (`applied` / `duplicate`), or their echo arrived. */
  | { type: 'acked'; change_ids: string[] }
  /** One counted attempt failed (ack timeout / transient server error); `attempt` is 1-based. */
  | { type: 'attempt'; change_id: string; attempt: number }
  /** A change is failed for good (rejected, or out of attempts). */
  | { type: 'failed'; change_id: string }
  /** After a `welcome`: catch-up from `from` towards `to` started. */
  | { type: 'catchup_started'; from: number; to: number }
  /** Catch-up is complete (or was not needed): the client is synced. */
  | { type: 'caught_up'; lsn: number }
  /** A server batch committed: the new LSN, what it did, how long the transaction took. */
  /** `progress`: for a snapshot page, the LSN of the last row it brought (the local LSN stays until the last page). */
  | { type: 'batch_applied'; lsn: number; applied: number; echoed: string[]; entities: string[]; ms: number; progress?: number }
  /** A server batch already applied (lsn <= local lsn) was skipped and acked. */
  | { type: 'batch_skipped'; lsn: number }
  /** `changes_processed` for the main thread (server batch committed, or a rejected row restored). */
  | { type: 'processed'; message: ChangesProcessedMsg }
  /** Server changes that could not be applied went to quarantine (their rows are fetched again). */
  | { type: 'quarantined'; change_ids: string[] }
  /** `rows` (the answer to `fetch_rows`) were put in place. */
  | { type: 'rows_fetched'; count: number }
  /** The server's log is another one (`server_changed`): the replica was reset, `kept` pending changes stay. */
  | { type: 'server_changed'; kept: number }
  /** The queue-head detector changed its verdict. */
  | { type: 'stuck'; stuck: boolean; change_id?: string }
  /** Something went wrong; also goes out on errors$. */
  | { type: 'error'; error: SyncError };

/** The event types after which pending / failed counts may have changed. */
export const COUNT_CHANGING: ReadonlySet<EngineEvent['type']> = new Set<EngineEvent['type']>(['recorded', 'acked', 'failed', 'batch_applied', 'server_changed', 'quarantined']);
