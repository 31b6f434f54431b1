/**
 * The ports the sync engine is built against. The engine only sees these interfaces, so a marble
 * spec can drive it with fakes and a real run wires the sql.js store (lib/store) and the
 * connection manager (lib/transport). Both real parts satisfy these interfaces structurally.
 */
import type { Observable } from 'rxjs';
import type { SyncError } from '../errors.js';
import type { ChangeRequest, ClientFrame, Op, Row, ServerChange, ServerFrame } from '../protocol/index.js';

/** One row of `local_changes`, as the engine sees it. */
export interface LocalChange {
  /** Local order (INTEGER PRIMARY KEY). */
  seq: number;
  /** Idempotency key, unique. */
  change_id: string;
  origin: 'local' | 'server';
  entity: string;
  entity_id: string;
  op: Op;
  data: Row | null;
  /** Server LSN once known (acked local change, or server change). */
  lsn: number | null;
  processed_local: 0 | 1;
  processed_sync: 0 | 1;
  status: 'pending' | 'synced' | 'failed';
  /** Counted attempts so far (ack timeouts and transient server errors; not disconnects). */
  attempts: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** A server batch to apply atomically (server_changes, or one sync_response page). */
export interface ServerBatch {
  prev_lsn: number;
  lsn: number;
  changes: readonly ServerChange[];
  /**
   * A snapshot page that is not the last (`sync_response` with a `cursor`): current rows whose
   * change LSNs are above `lsn`, which equals `prev_lsn` (the local LSN stays until the last page).
   */
  snapshot?: boolean;
}

/** A `scope_patch` frame to apply atomically (access rules: rows gained or lost with a scope). */
export interface ScopePatchBatch {
  changes: readonly { entity: string; entity_id: string; op: 'insert' | 'delete'; data: Row | null }[];
  /** Present on the last frame of a patch: the scopes the replica holds after it. */
  scopes?: readonly string[];
}

/** What applying a batch did. */
export interface ApplyResult {
  /** Entity tables touched (for live queries). */
  entities: string[];
  /** This client's own changes that came back (echo): marked synced, not applied twice. */
  echoed: string[];
  /** Changes applied to entity tables. */
  applied: number;
}

/** One row of the store's `quarantined_changes` table: a server change that could not be applied. */
export interface QuarantinedChange {
  /** The change's LSN in the server's log (primary key). */
  lsn: number;
  change_id: string;
  /** The client that wrote it. */
  client_id: string;
  entity: string;
  entity_id: string;
  op: string;
  /** The change's data as JSON text (null for a delete). */
  data: string | null;
  /** Why it could not be applied. */
  error: string;
  /** When it was quarantined (ms). */
  quarantined_at: number;
}

/** A server change put in quarantine (it could not be applied). */
export interface QuarantinedRef {
  lsn: number;
  change_id: string;
  entity: string;
  entity_id: string;
  /** Why it could not be applied. */
  error: string;
}

/** What a quarantining apply did: an ApplyResult plus the changes that went to quarantine. */
export interface QuarantineOutcome extends ApplyResult {
  quarantined: QuarantinedRef[];
}

/** A row's current version as the server sent it (`row` null: the server has no such row). */
export interface FetchedRowRef {
  id: string;
  row: Row | null;
}

/**
 * The store operations the engine needs. They are SYNCHRONOUS (sql.js is in-memory), so the
 * pipelines stay marble-testable in virtual time; durability is separate: every committed
 * transaction is journaled by the store (group commit), and {@link EngineStore.whenDurable}
 * resolves once everything committed so far is persisted. The API answers `changes_processed`
 * to the app only after that. The `ack { lsn }` to the server is sent right after commit: the
 * server's record of a client's LSN is advisory, the client's `hello.last_lsn` (read from what
 * was actually persisted) is what catch-up starts from.
 */
export interface EngineStore {
  /** This client's id (stable across reopen). */
  clientId(): string;
  /** LSN of the last applied server batch (0 = nothing yet). */
  getLsn(): number;
  /**
   * Atomically, in one transaction: write each entity change and append its `local_changes`
   * row (origin local, pending). Throws SchemaError for bad input (nothing written).
   * Call {@link EngineStore.whenDurable} before telling the app it is recorded.
   */
  recordLocalChanges(changes: readonly ChangeRequest[], now: number): LocalChange[];
  /** Resolves when every transaction committed so far is persisted (rejects if persisting failed). */
  whenDurable(): Promise<void>;
  /**
   * Pending local changes (status pending, not yet synced) that are DURABLE, in `seq` order. A change
   * whose transaction is not persisted yet is left out: it reaches the engine through the API's
   * recorded stream once it is, so nothing is sent before it is durable.
   */
  pendingChanges(limit?: number): LocalChange[];
  /** Failed local changes, newest first. */
  failedChanges(limit?: number): LocalChange[];
  /** Counts for status. */
  counts(): { pending: number; failed: number };
  /** Mark changes acked (applied/duplicate) with the server LSN. */
  markSynced(acks: readonly { change_id: string; lsn: number }[], now: number): void;
  /** Count one attempt and its error, keep the change pending. */
  recordAttempt(change_id: string, attempts: number, error: string, now: number): void;
  /**
   * Mark a change failed. When `serverRow` is given (a rejection), the entity row is put back to
   * the server's version (`null` = the server has no such row: delete it locally), and this
   * client's other pending changes on that row are re-applied on top.
   */
  markFailed(change_id: string, error: string, attempts: number, now: number, serverRow?: Row | null): void;
  /**
   * Apply a server batch in ONE transaction: local_changes rows (origin server), entity writes,
   * re-apply of still-pending local changes on touched rows, echoes marked synced, LSN set to
   * `batch.lsn`. Any error rolls everything back and rethrows (LSN unchanged).
   */
  applyServerBatch(batch: ServerBatch, now: number): ApplyResult;
  /**
   * Apply a scope patch in ONE transaction: write its rows, delete the ones it removes, re-apply
   * this client's pending changes on those rows, record `scopes` when given. The LSN does not move.
   */
  applyScopePatch(patch: ScopePatchBatch, now: number): ApplyResult;
  /** The scopes the replica holds (recorded from the last complete scope patch), or null. */
  replicaScopes(): string[] | null;
  /**
   * The server lost its log after `serverLsn` (it answered `client_ahead`): make this client's
   * changes acked above it pending again and move the LSN back to it, in one transaction.
   * Returns how many changes will be re-sent.
   */
  resyncFrom(serverLsn: number, now: number): number;
  /** Identity of the server log this store follows (`welcome.server_id`), or null before the first. */
  serverId(): string | null;
  /** Remember the server log's identity. */
  setServerId(id: string): void;
  /**
   * A different server log: in one transaction empty the replica (entity rows, history,
   * quarantine), keep this client's pending changes (re-applied on their rows, to be re-sent),
   * LSN 0, store `serverId`. Returns how many pending changes were kept.
   */
  resetForServer(serverId: string, now: number): number;
  /**
   * Apply a batch change by change (one transaction, a savepoint per change): a change that
   * throws is undone and put in `quarantined_changes` with its error, its row is remembered to be
   * fetched again ({@link EngineStore.rowsToFetch}); the LSN moves to `batch.lsn`.
   */
  applyServerBatchQuarantining(batch: ServerBatch, now: number): QuarantineOutcome;
  /** Rows to fetch again from the server (quarantined server changes, discarded local changes). */
  rowsToFetch(): { entity: string; id: string }[];
  /**
   * Put the server's current version of rows in place (pending local changes re-applied on top)
   * and forget them from the rows to fetch. `lsn`: the LSN the server read them at (`rows.lsn`);
   * our changes it acknowledged above it are not in them and are re-applied on top too.
   * Returns the errors of rows that did not fit.
   */
  applyFetchedRows(entity: string, rows: readonly FetchedRowRef[], now: number, lsn?: number): SyncError[];
  /** Read-only app SQL (runs under `PRAGMA query_only`). */
  query(sql: string, params?: readonly (string | number | null)[]): Record<string, unknown>[];
  /** Delete synced history older than `before` (ms). Pending and failed rows are never pruned. */
  pruneHistory(before: number): number;
}

/** Connection states of the transport. */
export type TransportState = 'closed' | 'connecting' | 'handshaking' | 'open';

/** The connection the engine needs. */
export interface EngineTransport {
  /** Current connection state; `open` only after a `welcome` (handshake done). Replays the current value. */
  readonly state$: Observable<TransportState>;
  /** Decoded server frames (the `welcome` included, first after each handshake). */
  readonly message$: Observable<ServerFrame>;
  /** Frames that did not decode, socket and auth errors. */
  readonly errors$: Observable<SyncError>;
  /** Send a frame. While not open it waits in a bounded buffer; returns false if dropped. */
  send(frame: ClientFrame): boolean;
  /**
   * Drop the connection and dial again at once (a new handshake with a fresh `hello`); frames
   * still buffered for the old connection are dropped (the pipelines re-derive them).
   */
  reconnect?(): void;
}
