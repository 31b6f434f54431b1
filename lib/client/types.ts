/**
 * The public types of the main-thread client (DESIGN section 6): what createSyncClient returns,
 * the values and writes it takes, and the status it publishes.
 */
import type { Observable } from 'rxjs';
import type { SyncError } from '../errors.js';
import type { SyncStatusWire } from '../protocol/index.js';
import type { LocalChange, QuarantinedChange } from '../engine/ports.js';
import type { EngineMetrics } from '../log/metrics.js';

/** The status snapshot published by the engine. */
export type SyncStatus = SyncStatusWire;

/**
 * A row as the app passes it: any object whose values are SQLite values. (Interfaces without an
 * index signature fit too; every column and value is checked against the schema at run time.)
 */
export type RowLike<T> = { [K in keyof T]: AppValue };

/** A bound query parameter (`true` / `false` bind as 1 / 0, as BOOLEAN columns store them). */
export type QueryParam = string | number | boolean | null;

/** A value as the app passes it: text, number, null, a boolean (BOOLEAN), bytes (BLOB), any JSON value (JSON). */
export type AppValue = string | number | boolean | null | Uint8Array | object;

/** One write of a {@link SyncClient.write} batch. */
export type WriteOp =
  | { op: 'insert'; table: string; row: object }
  | { op: 'update'; table: string; id: string | number; patch: object }
  | { op: 'delete'; table: string; id: string | number };

/** What createSyncClient returns. */
export interface SyncClient {
  /** Resolves once the local database is open (and rejects if it cannot be). */
  readonly ready: Promise<void>;
  /** This client's id (known after `ready`). */
  readonly clientId: Promise<string>;
  /** Insert (or replace) a whole row. Resolves once recorded durably; rejects with SchemaError for a bad table/column/value. */
  insert<T extends RowLike<T>>(table: string, row: T): Promise<void>;
  /** Change some columns of a row. */
  update<T extends RowLike<T>>(table: string, id: string | number, patch: Partial<T>): Promise<void>;
  /** Delete a row. */
  delete(table: string, id: string | number): Promise<void>;
  /** Several writes recorded in ONE transaction: all or none. */
  write(ops: readonly WriteOp[]): Promise<void>;
  /** Read-only SQL; resolves to row objects. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly QueryParam[]): Promise<T[]>;
  /** A live query: emits now and again after each change to the tables it reads (when the result changed). */
  query$<T = Record<string, unknown>>(sql: string, params?: readonly QueryParam[]): Observable<T[]>;
  /** Local changes not yet acknowledged by the server, oldest first. */
  pendingChanges(): Promise<LocalChange[]>;
  /** Local changes that failed for good (rejected, or out of attempts), newest first. */
  failedChanges(): Promise<LocalChange[]>;
  /**
   * Send failed changes again (all, or those named): each goes to the END of the queue with fresh
   * attempts (same change_id: a change the server did get is not applied twice), and its value is
   * written on top of its row again. Resolves to the change_ids retried, once durable.
   */
  retryFailed(ids?: readonly string[]): Promise<string[]>;
  /**
   * Give failed changes up (all, or those named): they are removed, and their rows are fetched
   * again from the server, whose version then replaces the local one (this client's other pending
   * changes of the row re-applied on top). Resolves to the change_ids discarded.
   */
  discardFailed(ids?: readonly string[]): Promise<string[]>;
  /** Server changes this client could not apply (quarantined; their rows were fetched again), oldest first. */
  quarantinedChanges(): Promise<QuarantinedChange[]>;
  /**
   * Replays the latest status; emits only real changes. The first value is the host's real status
   * (read from the stored database): nothing is emitted before the sync host answered.
   */
  readonly status$: Observable<SyncStatus>;
  /** The engine's counters (see README "Metrics"): the latest on subscribe, then each change. */
  readonly metrics$: Observable<EngineMetrics>;
  /** Errors: bad frames, rejections, exhausted retries, storage problems. */
  readonly errors$: Observable<SyncError>;
  connect(): void;
  disconnect(): void;
  /** Flush, close the connection and the database, stop the worker. */
  close(): Promise<void>;
  /**
   * Stop the worker at once, without flushing or closing anything: what a page reload or a crash
   * does. Everything a write promise reported as recorded is durable and comes back on reopen.
   */
  terminate(): void;
}

/** A status with nothing known yet (for UIs that need a value before `status$` emits; `status$` never emits it). */
export const INITIAL_STATUS: SyncStatus = {
  connection: 'disconnected', lsn: 0, pending: 0, failed: 0, inFlight: 0,
  catchingUp: null, lastSyncedAt: null, lastError: null, stuck: false,
};
