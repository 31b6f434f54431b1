/**
 * The durable sql.js store: the {@link EngineStore} the sync engine runs on. All operations are
 * synchronous transactions on the in-memory database; each committed transaction is journaled
 * (group commit) and {@link SqlJsStore.whenDurable} says when it is on the medium.
 * Create one with `openStore()` (open.ts).
 */
import type { Database } from 'sql.js';
import type { ApplyResult, EngineStore, LocalChange, QuarantineOutcome, ScopePatchBatch, ServerBatch } from '../engine/ports.js';
import { ErrorCodes, SyncError } from '../errors.js';
import type { ChangeRequest, Row, SchemaDeclaration } from '../protocol/index.js';
import { applyBatch } from './apply-batch.js';
import { applyPatch, readReplicaScopes } from './apply-patch.js';
import { ErrorLog } from './error-log.js';
import type { DurabilityStats, GroupCommitter } from './group-commit.js';
import { checkWrite, countAttempt, failChange, recordChecked, reopenLost } from './local-writes.js';
import type { Persistence } from './persistence.js';
import { QueryRunner } from './query.js';
import { applyQuarantining, rowsToFetch, type FetchedRowInput, type QuarantinedChange, type RowRef } from './quarantine.js';
import { discardFailed, putFetchedRows, resetForServer, retryFailed } from './recovery.js';
import type { StoreWriter } from './writer.js';

/** What a store is built from (made by `openStore`). */
export interface StoreParts {
  db: Database;
  schema: SchemaDeclaration;
  writer: StoreWriter;
  committer: GroupCommitter;
  persistence: Persistence;
  /** Makes change_ids. */
  newId: () => string;
  /** Errors found while opening (e.g. a corrupt journal tail), reported before the store existed. */
  errors: SyncError[];
  /** The owner epoch this open claimed in the medium (0 if the medium keeps none). */
  epoch?: number;
  /** Largest local change recorded, in bytes (see {@link OpenStoreOptions.maxChangeBytes}); absent: no limit. */
  maxChangeBytes?: number;
}

/** The sql.js implementation of the engine's store port. */
export class SqlJsStore implements EngineStore {
  /** Schema the store was opened with (checked). */
  readonly schema: SchemaDeclaration;
  private readonly queries: QueryRunner;
  private lsn: number;
  private id: string;
  private readonly errorLog: ErrorLog;
  private closed: Promise<void> | null = null;
  /** Local recordings not yet persisted, oldest first: their transaction and first change seq. */
  private readonly notYetDurable: { tx: number; firstSeq: number }[] = [];

  constructor(private readonly parts: StoreParts) {
    this.schema = parts.schema;
    this.queries = new QueryRunner(parts.db);
    this.errorLog = new ErrorLog(parts.errors);
    this.lsn = Number(parts.writer.getState('lsn') ?? 0);
    this.id = String(parts.writer.getState('client_id') ?? '');
  }

  /** This client's id (stable across reopen). */
  clientId(): string {
    return this.id;
  }

  /** The owner epoch this open claimed (a later open of the same database claims a higher one). */
  ownerEpoch(): number {
    return this.parts.epoch ?? 0;
  }

  /** LSN of the last applied server batch (0 = nothing yet). */
  getLsn(): number {
    return this.lsn;
  }

  /** Set the LSN directly (e.g. a reset to resync from scratch). Journaled like every write. */
  setLsn(lsn: number): void {
    this.tx(() => this.parts.writer.setState('lsn', lsn));
    this.lsn = lsn;
  }

  /** Replace this client's id. */
  setClientId(id: string): void {
    this.tx(() => this.parts.writer.setState('client_id', id));
    this.id = id;
  }

  /** Identity of the server log this store follows (`welcome.server_id`), or null. */
  serverId(): string | null {
    const v = this.parts.writer.getState('server_id');
    return typeof v === 'string' ? v : null;
  }

  /** Remember the server log's identity. */
  setServerId(id: string): void {
    this.tx(() => this.parts.writer.setState('server_id', id));
  }

  /** A new server log (`server_changed`): rebuild from scratch, keep pending local changes (see recovery.ts). */
  resetForServer(serverId: string): number {
    const kept = this.tx(() => resetForServer(this.parts.writer, serverId));
    this.lsn = 0;
    return kept;
  }

  /** Apply a batch change by change, quarantining what throws; the LSN moves to `batch.lsn` (see quarantine.ts). */
  applyServerBatchQuarantining(batch: ServerBatch, now: number): QuarantineOutcome {
    const r = this.tx(() => applyQuarantining({ writer: this.parts.writer, schema: this.schema, currentLsn: this.lsn, clientId: this.id }, batch, now));
    this.lsn = batch.lsn;
    return r;
  }

  /** Rows still to fetch from the server (quarantined changes, discarded changes). */
  rowsToFetch(): RowRef[] {
    this.open();
    return rowsToFetch(this.parts.writer);
  }

  /** Put the server's current rows (read at `lsn`) in place, pending changes on top; returns rows that did not fit. */
  applyFetchedRows(entity: string, rows: readonly FetchedRowInput[], _now?: number, lsn?: number): SyncError[] {
    return this.tx(() => putFetchedRows(this.parts.writer, this.schema, entity, rows, lsn === undefined ? [] : this.parts.writer.changes.ackedAbove(lsn)));
  }

  /** Quarantined server changes, oldest LSN first. */
  quarantinedChanges(): QuarantinedChange[] {
    this.open();
    return this.queries.query('SELECT * FROM quarantined_changes ORDER BY lsn') as unknown as QuarantinedChange[];
  }

  /** Failed changes (all, or those named) become pending again at the end of the queue; returns them. */
  retryFailed(ids: readonly string[] | undefined, now: number): LocalChange[] {
    const rows = this.tx(() => retryFailed(this.parts.writer, ids, now));
    if (rows.length > 0) this.notYetDurable.push({ tx: this.parts.committer.lastCommitted(), firstSeq: rows[0]!.seq });
    return rows;
  }

  /** Failed changes (all, or those named) are removed; their rows are to be fetched again. Returns those rows. */
  discardFailed(ids: readonly string[] | undefined): RowRef[] {
    return this.tx(() => discardFailed(this.parts.writer, ids));
  }

  /** Write each change to its entity table and append its pending `local_changes` row, atomically. */
  recordLocalChanges(changes: readonly ChangeRequest[], now: number): LocalChange[] {
    const write = checkWrite(this.schema, changes, this.parts.maxChangeBytes);
    const rows = this.tx(() => recordChecked(this.parts.writer, write, now, this.parts.newId));
    // Until this transaction is persisted, pendingChanges() stops before its first change.
    if (rows.length > 0) this.notYetDurable.push({ tx: this.parts.committer.lastCommitted(), firstSeq: rows[0]!.seq });
    return rows;
  }

  /**
   * The rows of a write whose change_ids the calling tab fixed and that is already recorded (the
   * same write re-sent to a new leader tab), or null. A write is one transaction: all or nothing.
   */
  recordedAlready(changes: readonly ChangeRequest[]): LocalChange[] | null {
    this.open();
    if (changes.length === 0 || changes.some((c) => c.change_id === undefined)) return null;
    const known = changes.map((c) => this.parts.writer.changes.findLocal(c.change_id!));
    return known.every((k) => k !== null) ? (known as LocalChange[]) : null;
  }

  /** Resolves once every transaction committed so far is persisted. */
  whenDurable(): Promise<void> {
    return this.parts.committer.whenDurable();
  }

  /**
   * Durable pending changes in seq order (all if no limit). Changes recorded but not yet persisted
   * are left out (see EngineStore.pendingChanges): they must not be sent before they are durable.
   */
  pendingChanges(limit = -1): LocalChange[] {
    this.open();
    const durable = this.parts.committer.lastDurable();
    while (this.notYetDurable.length > 0 && this.notYetDurable[0]!.tx <= durable) this.notYetDurable.shift();
    const rows = this.parts.writer.changes.pendingChanges(limit);
    const bound = this.notYetDurable[0]?.firstSeq;
    return bound === undefined ? rows : rows.filter((r) => r.seq < bound);
  }

  /** Failed changes, newest first (all if no limit). */
  failedChanges(limit = -1): LocalChange[] {
    this.open();
    return this.parts.writer.changes.failedChanges(limit);
  }

  /** Pending and failed counts. */
  counts(): { pending: number; failed: number } {
    this.open();
    return this.parts.writer.changes.countByStatus();
  }

  /** The `local_changes` row of a change, or null. */
  change(changeId: string): LocalChange | null {
    this.open();
    return this.parts.writer.changes.findLocal(changeId);
  }

  /** Mark local changes acked (applied / duplicate) with their LSN. Unknown ids are ignored. */
  markSynced(acks: readonly { change_id: string; lsn: number }[], now: number): void {
    // Only our own changes are acked; a repeated ack changes nothing.
    this.tx(() => acks.forEach((a) => this.parts.writer.ackChange(a.change_id, a.lsn, now)));
  }

  /**
   * The server's log is behind this client (restored from an older backup): it lost every change
   * after `serverLsn`. In one transaction, this client's own changes acked above `serverLsn` become
   * pending again (same change_ids, original order: they are re-sent), and the LSN moves back to
   * `serverLsn` so that catch-up follows the server's log from there. Rows written by other
   * clients' lost changes stay as they are locally. Returns how many changes will be re-sent.
   */
  resyncFrom(serverLsn: number, now: number): number {
    return this.tx(() => {
      const reopened = reopenLost(this.parts.db, this.parts.writer, serverLsn, now);
      this.parts.writer.setState('lsn', serverLsn);
      this.lsn = serverLsn;
      return reopened;
    });
  }

  /** Count an attempt and its error; the change stays pending. */
  recordAttempt(change_id: string, attempts: number, error: string, now: number): void {
    this.tx(() => countAttempt(this.parts.writer, change_id, attempts, error, now));
  }

  /** Mark a change failed; with `serverRow`, restore the server's row and re-apply our other pending changes on it. */
  markFailed(change_id: string, error: string, attempts: number, now: number, serverRow?: Row | null): void {
    this.tx(() => failChange(this.parts.writer, this.schema, change_id, error, attempts, now, serverRow));
  }

  /** Apply a server batch in one transaction (see `applyBatch`); rolls back and rethrows on any error. */
  applyServerBatch(batch: ServerBatch, now: number): ApplyResult {
    const result = this.tx(() => applyBatch({ writer: this.parts.writer, schema: this.schema, currentLsn: this.lsn, clientId: this.id }, batch, now));
    this.lsn = batch.lsn;
    return result;
  }

  /** Apply a scope patch in one transaction (see `applyPatch`); the LSN does not move. */
  applyScopePatch(patch: ScopePatchBatch, _now: number): ApplyResult {
    return this.tx(() => applyPatch(this.parts.writer, this.schema, patch));
  }

  /** The scopes the replica holds (see `applyPatch`), or null when none were recorded. */
  replicaScopes(): string[] | null {
    return readReplicaScopes(this.parts.writer);
  }

  /** Read-only app SQL under `PRAGMA query_only = ON`; returns row objects. */
  query(sql: string, params?: readonly (string | number | null)[]): Record<string, unknown>[] {
    this.open();
    return this.queries.query(sql, params);
  }

  /** Delete synced history last updated before `before` (ms). Pending and failed rows stay. */
  pruneHistory(before: number): number {
    return this.tx(() => this.parts.writer.prune(before));
  }

  /** Run `fn` in one journaled transaction (all-or-nothing); for callers that combine operations. */
  transaction<T>(fn: () => T): T {
    return this.tx(fn);
  }

  /** Write a snapshot now (it empties the journal); resolves when it is on the medium. */
  snapshot(): Promise<void> {
    this.open();
    return this.parts.committer.snapshot();
  }

  /** Durability counters (journal writes, snapshots...). */
  stats(): DurabilityStats {
    return this.parts.committer.stats();
  }

  /** Recent persistence errors (journal corruption found on open, failed writes), oldest first. */
  get errors(): readonly SyncError[] {
    return this.errorLog.errors;
  }

  /** Be told about each persistence error from now on. Returns a function that unsubscribes. */
  onError(listener: (e: SyncError) => void): () => void {
    return this.errorLog.onError(listener);
  }

  /** Called by the committer when a write fails. */
  reportError(error: SyncError): void {
    this.errorLog.report(error);
  }

  /** Wait until everything committed is durable, then release the database and the medium. */
  close(): Promise<void> {
    this.closed ??= this.parts.committer
      .whenDurable()
      .finally(() => {
        this.queries.free();
        this.parts.writer.free();
        this.parts.db.close();
        return this.parts.persistence.close();
      });
    return this.closed;
  }

  private tx<T>(fn: () => T): T {
    this.open();
    try {
      return this.parts.writer.transaction(fn);
    } catch (error) {
      // The transaction rolled back: re-read what it may have moved in memory.
      this.lsn = Number(this.parts.writer.getState('lsn') ?? 0);
      throw error;
    }
  }

  private open(): void {
    if (this.closed) throw new SyncError(ErrorCodes.CLOSED, 'the store is closed');
  }
}
