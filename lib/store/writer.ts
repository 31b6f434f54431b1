/**
 * Every write to the database goes through here, inside {@link StoreWriter.transaction}. Each
 * write runs its cached prepared statement AND is recorded as a logical journal operation; on
 * commit the operations are handed to the group committer, on rollback they are dropped. On open
 * the journal is replayed through the same methods ({@link StoreWriter.replay}), so a replayed
 * database is the one that was journaled.
 *
 * Journal operations (JSON arrays; `data` is embedded as the JSON text already made for SQL):
 *   ["u", table, data]              upsert a whole entity row
 *   ["p", table, id, data]          set some columns of an entity row
 *   ["d", table, id]                delete an entity row
 *   ["S", seq, change_id, entity, entity_id, op, data, lsn, now]   a server change: its
 *         local_changes row (origin server, synced) AND its entity write, in one operation;
 *         seq 0: a snapshot entry, the entity write only (no history row)
 *   ["c", seq, change_id, origin, entity, entity_id, op, data, lsn, processed_local,
 *         processed_sync, status, attempts, last_error, created_at, updated_at]   add a local_changes row
 *   ["m", seq, status, processed_sync, lsn, attempts, last_error, updated_at]     move a local_changes row
 *   ["x", before]                   prune synced history
 *   ["s", key, value]               set a sync_state key
 *   ["q", lsn, change_id, client_id, entity, entity_id, op, data, error, now]   quarantine a server change
 *   ["z", seq]                      remove a local_changes row (a retried change moves to the end, a discarded one goes)
 *   ["R"]                           reset the replica: entity rows, history (all but pending and failed local
 *                                   changes) and quarantine emptied (a new server log follows)
 */
import type { Database, SqlValue, Statement } from 'sql.js';
import { StoreError } from '../errors.js';
import type { Op, Row, SchemaDeclaration } from '../protocol/index.js';
import { ChangeStatements, type ChangeRow, type ChangeState } from './changes-table.js';
import { quoteIdent } from '../protocol/index.js';
import { QUARANTINE_INSERT, type QuarantinedChange } from './quarantine.js';
import { EntityStatements } from './entity-statements.js';
import { writeServerRows, type ServerRowWrite } from './server-rows.js';
import { replayOps } from './replay.js';

/** `idle`: writes refused; `tx`: writes journaled; `replay`: writes not journaled (they come from it). */
type Mode = 'idle' | 'tx' | 'replay';

const q = JSON.stringify;

/** Journaled writes and the transaction helper of one database. */
export class StoreWriter {
  /** Entity statements (reads are free to use them directly). */
  readonly entities: EntityStatements;
  /** local_changes statements (reads are free to use them directly). */
  readonly changes: ChangeStatements;
  private mode: Mode = 'idle';
  private ops: string[] = [];
  private nextSeq: number;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private readonly putState: Statement;
  private readonly getStateStmt: Statement;

  /**
   * @param db the database (store tables and entity tables exist)
   * @param schema the checked schema (the only source of table and column names)
   * @param onCommit receives the serialized operations of each committed transaction that wrote something
   */
  constructor(
    private readonly db: Database,
    private readonly schema: SchemaDeclaration,
    private readonly onCommit: (ops: string[]) => void,
  ) {
    this.entities = new EntityStatements(db, schema);
    this.changes = new ChangeStatements(db);
    this.begin = db.prepare('BEGIN');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.putState = db.prepare('INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.getStateStmt = db.prepare('SELECT value FROM sync_state WHERE key = ?');
    this.nextSeq = this.changes.highestSeq() + 1;
  }

  /**
   * Run `fn` in one transaction: commit and journal if it returns, roll back EVERYTHING (and
   * journal nothing) if it throws, then rethrow. A nested call joins the outer transaction.
   */
  transaction<T>(fn: () => T): T {
    if (this.mode !== 'idle') return fn();
    const seqAtStart = this.nextSeq;
    this.begin.run();
    this.mode = 'tx';
    this.ops = [];
    try {
      const result = fn();
      this.commit.run();
      const ops = this.ops;
      this.mode = 'idle';
      this.ops = [];
      if (ops.length > 0) this.onCommit(ops);
      return result;
    } catch (error) {
      this.mode = 'idle';
      this.ops = [];
      this.nextSeq = seqAtStart;
      this.safeRollback();
      throw error;
    }
  }

  /**
   * Run `fn` inside the current transaction under a SAVEPOINT: if it throws, only its own writes
   * (and journal operations) are undone and the error is rethrown; the transaction goes on.
   */
  savepoint<T>(fn: () => T): T {
    if (this.mode !== 'tx') throw new StoreError('savepoint outside a transaction');
    const opsAt = this.ops.length;
    const seqAt = this.nextSeq;
    this.db.run('SAVEPOINT rsw_change');
    try {
      const result = fn();
      this.db.run('RELEASE rsw_change');
      return result;
    } catch (error) {
      this.db.run('ROLLBACK TO rsw_change');
      this.db.run('RELEASE rsw_change');
      this.ops.length = opsAt;
      this.nextSeq = seqAt;
      throw error;
    }
  }

  /** Put a server change that cannot be applied into `quarantined_changes` (replaces one of the same LSN). */
  addQuarantined(c: QuarantinedChange): void {
    this.db.run(QUARANTINE_INSERT, [c.lsn, c.change_id, c.client_id, c.entity, c.entity_id, c.op, c.data, c.error, c.quarantined_at]);
    this.record(() => `["q",${c.lsn},${q(c.change_id)},${q(c.client_id)},${q(c.entity)},${q(c.entity_id)},${q(c.op)},${q(c.data)},${q(c.error)},${c.quarantined_at}]`);
  }

  /** Remove a local_changes row. */
  removeChange(seq: number): void {
    this.db.run('DELETE FROM local_changes WHERE seq = ?', [seq]);
    this.record(() => `["z",${seq}]`);
  }

  /** Empty the replica (a new server log follows): entity rows, history but pending local changes, quarantine. */
  resetReplica(): void {
    this.resetTables();
    this.record(() => '["R"]');
  }

  /** Apply journal operations (on open): same statements, nothing journaled again, one transaction. */
  replay(ops: readonly unknown[]): void {
    this.begin.run();
    this.mode = 'replay';
    try {
      const seen = replayOps(
        { entities: this.entities, changes: this.changes, db: this.db, putState: (k, v) => void this.putState.run([k, v]), reset: () => this.resetTables() },
        ops,
      );
      this.nextSeq = Math.max(this.nextSeq, seen + 1);
      this.commit.run();
    } catch (cause) {
      this.safeRollback();
      this.nextSeq = this.changes.highestSeq() + 1;
      throw new StoreError('journal operation could not be replayed', { cause });
    } finally {
      this.mode = 'idle';
    }
  }

  /** Upsert a whole entity row. `dataJson` is `JSON.stringify(data)` if the caller has it. */
  upsertRow(table: string, data: Row, dataJson?: string): void {
    this.entities.upsert(table, data);
    this.record(() => `["u",${q(table)},${dataJson ?? q(data)}]`);
  }

  /** Set the given columns of row `id`. */
  patchRow(table: string, id: string, data: Row, dataJson?: string): void {
    this.entities.patch(table, id, data);
    this.record(() => `["p",${q(table)},${q(id)},${dataJson ?? q(data)}]`);
  }

  /** Delete row `id`. */
  deleteRow(table: string, id: string): void {
    this.entities.remove(table, id);
    this.record(() => `["d",${q(table)},${q(id)}]`);
  }

  /** Append local_changes rows with the next seqs, in order, several per statement (a duplicate local change_id throws). */
  addChanges(list: readonly Omit<ChangeRow, 'seq'>[]): ChangeRow[] {
    const rows = list.map((fields, i): ChangeRow => ({ seq: this.nextSeq + i, ...fields }));
    this.changes.addMany(rows);
    this.nextSeq += rows.length;
    for (const row of rows) this.record(() => changeOp(row));
    return rows;
  }

  /** Upsert whole rows of one table, in order, several per statement. `dataJson[i]` is `JSON.stringify(rows[i])`. */
  upsertRows(table: string, rows: readonly Row[], dataJson: readonly string[]): void {
    this.entities.upsertMany(table, rows);
    for (let i = 0; i < rows.length; i++) this.record(() => `["u",${q(table)},${dataJson[i]}]`);
  }

  /** Append a local_changes row with the next seq (a duplicate local change_id throws). */
  addChange(fields: Omit<ChangeRow, 'seq'>): ChangeRow {
    const row: ChangeRow = { seq: this.nextSeq, ...fields };
    this.changes.add(row);
    this.nextSeq++;
    this.record(() => changeOp(row));
    return row;
  }

  /**
   * Server changes, in order: their local_changes rows (origin server, synced) and entity writes
   * as multi-row statements ({@link writeServerRows}), each journaled as ONE `S` operation (the
   * hot path of server batches).
   */
  addServerChanges(list: readonly { c: ServerChangeInput; dataJson: string | null; history?: boolean }[], now: number): void {
    if (list.length === 0) return;
    const rows: ServerRowWrite[] = new Array<ServerRowWrite>(list.length);
    let seq = this.nextSeq;
    for (let i = 0; i < list.length; i++) {
      const { c, history } = list[i]!;
      // A snapshot entry (history false) writes its row only: seq 0, never a local_changes seq.
      rows[i] = { seq: history === false ? 0 : seq++, change_id: c.change_id, entity: c.entity, entity_id: c.entity_id, op: c.op, data: c.data, lsn: c.lsn };
    }
    writeServerRows(this.entities, this.changes, rows, now);
    this.nextSeq = seq;
    for (let i = 0; i < list.length; i++) {
      const { c, dataJson } = list[i]!;
      const rowSeq = rows[i]!.seq;
      this.record(() => `["S",${rowSeq},${q(c.change_id)},${q(c.entity)},${q(c.entity_id)},"${c.op}",${dataJson ?? 'null'},${c.lsn},${now}]`);
    }
  }

  /** Move a local_changes row (ack, attempt, failure). */
  updateChange(seq: number, s: ChangeState): void {
    this.changes.update(seq, s);
    this.recordUpdate(seq, s);
  }

  /** Our own change `changeId` acked at `lsn` (one statement); false if nothing changed (unknown, or a repeated ack). */
  ackChange(changeId: string, lsn: number, now: number): boolean {
    const hit = this.changes.ackLocal(changeId, lsn, now);
    if (hit) this.recordUpdate(hit.seq, hit.state);
    return hit !== null;
  }

  /** Journal what {@link updateChange} writes (replay runs the same update). */
  private recordUpdate(seq: number, s: ChangeState): void {
    this.record(() => `["m",${seq},${q(s.status)},${s.processed_sync},${q(s.lsn)},${s.attempts},${q(s.last_error)},${s.updated_at}]`);
  }

  /** Delete synced history last updated before `before`. */
  prune(before: number): number {
    const n = this.changes.pruneSynced(before);
    if (n > 0) this.record(() => `["x",${before}]`);
    return n;
  }

  /** Set a sync_state key. */
  setState(key: string, value: string | number | null): void {
    this.putState.run([key, value]);
    this.record(() => `["s",${q(key)},${q(value)}]`);
  }

  /** Set a sync_state key WITHOUT journaling it (snapshot bookkeeping only). */
  setStateUnjournaled(key: string, value: number): void {
    this.putState.run([key, value]);
  }

  /** Read a sync_state key. */
  getState(key: string): SqlValue | undefined {
    try {
      this.getStateStmt.bind([key]);
      return this.getStateStmt.step() ? this.getStateStmt.get()[0] : undefined;
    } finally {
      this.getStateStmt.reset();
    }
  }

  /** Free every statement (on close). */
  free(): void {
    this.entities.free();
    this.changes.free();
    for (const s of [this.begin, this.commit, this.rollback, this.putState, this.getStateStmt]) s.free();
  }

  private record(op: () => string): void {
    // Only transactions are journaled; a write outside one would escape the journal.
    if (this.mode === 'tx') this.ops.push(op());
    else if (this.mode === 'idle') throw new StoreError('write outside a transaction');
  }

  private resetTables(): void {
    for (const table of Object.keys(this.schema)) this.db.run(`DELETE FROM ${quoteIdent(table)}`);
    this.db.run("DELETE FROM local_changes WHERE NOT (origin = 'local' AND status IN ('pending', 'failed'))");
    this.db.run('DELETE FROM quarantined_changes');
  }

  private safeRollback(): void {
    try {
      this.rollback.run();
    } catch {
      // SQLite may already have rolled back on its own (e.g. out of memory): nothing left to undo.
    }
  }
}

function changeOp(r: ChangeRow): string {
  return `["c",${r.seq},${q(r.change_id)},"${r.origin}",${q(r.entity)},${q(r.entity_id)},"${r.op}",${r.dataJson ?? 'null'},${q(r.lsn)},${r.processed_local},${r.processed_sync},"${r.status}",${r.attempts},${q(r.last_error)},${r.created_at},${r.updated_at}]`;
}

/** A change as {@link StoreWriter.addServerChanges} takes it. */
export interface ServerChangeInput {
  change_id: string;
  entity: string;
  entity_id: string;
  op: Op;
  data: Row | null;
  lsn: number;
}
