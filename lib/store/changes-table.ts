/**
 * Prepared statements over `local_changes` and the mapping of its rows to {@link LocalChange}.
 * Every statement is prepared once per database and reused.
 */
import type { Database, SqlValue, Statement } from 'sql.js';
import type { LocalChange } from '../engine/ports.js';
import type { Op } from '../protocol/index.js';

/** A `local_changes` row about to be written: a {@link LocalChange} with `data` already serialized. */
export type ChangeRow = Omit<LocalChange, 'data'> & {
  /** JSON text of the data, or null for a delete (and for server changes, whose entity row holds it). */
  dataJson: string | null;
};

/** The fields of a change that move after it is written (ack, attempt, failure). */
export interface ChangeState {
  status: LocalChange['status'];
  processed_sync: 0 | 1;
  lsn: number | null;
  attempts: number;
  last_error: string | null;
  updated_at: number;
}

const COLUMNS =
  'seq, change_id, origin, entity, entity_id, op, data, lsn, processed_local, processed_sync, status, attempts, last_error, created_at, updated_at';
const PLACEHOLDERS = COLUMNS.split(',').map(() => '?').join(', ');
/** One server row's VALUES tuple: constants in the SQL, 8 values to bind (seq, change_id, entity, entity_id, op, lsn, now, now). */
const SERVER_TUPLE = "(?, ?, 'server', ?, ?, ?, NULL, ?, 1, 1, 'synced', 0, NULL, ?, ?)";
/** Rows per multi-row INSERT (one statement run serves many rows; measured fastest near 32 in sql.js). */
export const SERVER_ROWS_PER_STATEMENT = 32;
const ROWS_PER_STATEMENT = 32;

/** A server change's `local_changes` row (origin server, synced; its data lives in the entity row). */
export interface ServerChangeRow {
  seq: number;
  change_id: string;
  entity: string;
  entity_id: string;
  op: Op;
  lsn: number;
}

/** Statement cache for `local_changes`. */
export class ChangeStatements {
  private readonly insert: Statement;
  private readonly insertMany: Statement;
  private readonly insertServer: Statement;
  private readonly insertServerMany: Statement;
  private readonly setState: Statement;
  private readonly byChangeId: Statement;
  private readonly ackOne: Statement;
  private readonly pending: Statement;
  private readonly pendingFor: Statement;
  private readonly failed: Statement;
  private readonly counts: Statement;
  private readonly maxSeq: Statement;
  private readonly prune: Statement;
  private readonly pendingKeys: Statement;
  private readonly acked: Statement;
  private readonly ackedKeys: Statement;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(`INSERT INTO local_changes (${COLUMNS}) VALUES (${PLACEHOLDERS})`);
    this.insertMany = db.prepare(`INSERT INTO local_changes (${COLUMNS}) VALUES ${Array.from({ length: ROWS_PER_STATEMENT }, () => `(${PLACEHOLDERS})`).join(', ')}`);
    // The hot path of server batches: constants in the SQL, fewer values to bind.
    this.insertServer = db.prepare(
      `INSERT INTO local_changes (${COLUMNS}) VALUES (?, ?, 'server', ?, ?, ?, ?, ?, 1, 1, 'synced', 0, NULL, ?, ?)`,
    );
    this.insertServerMany = db.prepare(
      `INSERT INTO local_changes (${COLUMNS}) VALUES ${Array.from({ length: SERVER_ROWS_PER_STATEMENT }, () => SERVER_TUPLE).join(', ')}`,
    );
    this.setState = db.prepare('UPDATE local_changes SET status = ?, processed_sync = ?, lsn = ?, attempts = ?, last_error = ?, updated_at = ? WHERE seq = ?');
    this.byChangeId = db.prepare("SELECT * FROM local_changes WHERE change_id = ? AND origin = 'local'");
    // An ack in one statement, without reading the row's data back (the journal needs only these).
    this.ackOne = db.prepare(
      "UPDATE local_changes SET status = 'synced', processed_sync = 1, lsn = ?, updated_at = ? WHERE change_id = ? AND origin = 'local' AND NOT (status = 'synced' AND lsn IS ?) RETURNING seq, attempts, last_error",
    );
    this.pending = db.prepare("SELECT * FROM local_changes WHERE status = 'pending' ORDER BY seq LIMIT ?");
    this.pendingFor = db.prepare("SELECT * FROM local_changes WHERE status = 'pending' AND entity = ? AND entity_id = ? ORDER BY seq");
    this.failed = db.prepare("SELECT * FROM local_changes WHERE status = 'failed' ORDER BY seq DESC LIMIT ?");
    // Kept by triggers (store migration 3): O(1), however many changes are pending.
    this.counts = db.prepare(
      "SELECT (SELECT n FROM local_changes_counts WHERE status = 'pending'), (SELECT n FROM local_changes_counts WHERE status = 'failed')",
    );
    this.maxSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM local_changes');
    this.prune = db.prepare("DELETE FROM local_changes WHERE status = 'synced' AND updated_at < ?");
    this.pendingKeys = db.prepare("SELECT DISTINCT entity, entity_id FROM local_changes WHERE status = 'pending'");
    // A range of the local_changes_lsn index: usually empty (acks and echoes come close together).
    // (No ORDER BY: with it the planner may scan the whole table; the few rows are sorted in JS.)
    const ackedAbove = "FROM local_changes WHERE origin = 'local' AND lsn IS NOT NULL AND lsn > ? AND status = 'synced'";
    this.acked = db.prepare(`SELECT * ${ackedAbove}`);
    this.ackedKeys = db.prepare(`SELECT entity, entity_id ${ackedAbove}`);
  }

  /** Append a row; throws on a duplicate change_id. */
  add(row: ChangeRow): void {
    this.insert.run(rowParams(row));
  }

  /** Append rows in order, {@link ROWS_PER_STATEMENT} per statement (the rest one by one); throws on a duplicate change_id. */
  addMany(rows: readonly ChangeRow[]): void {
    let i = 0;
    for (; i + ROWS_PER_STATEMENT <= rows.length; i += ROWS_PER_STATEMENT) {
      const params: SqlValue[] = [];
      for (let k = 0; k < ROWS_PER_STATEMENT; k++) params.push(...rowParams(rows[i + k]!));
      this.insertMany.run(params);
    }
    for (; i < rows.length; i++) this.add(rows[i]!);
  }

  /** Append a server change's row (origin server, synced). */
  addServer(seq: number, changeId: string, entity: string, entityId: string, op: Op, dataJson: string | null, lsn: number, now: number): void {
    this.insertServer.run([seq, changeId, entity, entityId, op, dataJson, lsn, now, now]);
  }

  /** Append server changes' rows, {@link SERVER_ROWS_PER_STATEMENT} per statement (the rest one by one). */
  addServerMany(rows: readonly ServerChangeRow[], now: number): void {
    const per = SERVER_ROWS_PER_STATEMENT;
    let i = 0;
    for (; i + per <= rows.length; i += per) {
      const params: SqlValue[] = new Array<SqlValue>(per * 8);
      for (let k = 0; k < per; k++) {
        const r = rows[i + k]!;
        const o = k * 8;
        params[o] = r.seq;
        params[o + 1] = r.change_id;
        params[o + 2] = r.entity;
        params[o + 3] = r.entity_id;
        params[o + 4] = r.op;
        params[o + 5] = r.lsn;
        params[o + 6] = now;
        params[o + 7] = now;
      }
      this.insertServerMany.run(params);
    }
    for (; i < rows.length; i++) {
      const r = rows[i]!;
      this.addServer(r.seq, r.change_id, r.entity, r.entity_id, r.op, null, r.lsn, now);
    }
  }

  /** Set the moving fields of row `seq`. */
  update(seq: number, s: ChangeState): void {
    this.setState.run([s.status, s.processed_sync, s.lsn, s.attempts, s.last_error, s.updated_at, seq]);
  }

  /**
   * Our own change `changeId` is synced at `lsn`: the row's state if it changed, null when there is
   * no such row or it was already synced at that LSN (a repeated ack).
   */
  ackLocal(changeId: string, lsn: number, now: number): { seq: number; state: ChangeState } | null {
    try {
      this.ackOne.bind([lsn, now, changeId, lsn]);
      if (!this.ackOne.step()) return null;
      const [seq, attempts, lastError] = this.ackOne.get() as [number, number, string | null];
      return { seq, state: { status: 'synced', processed_sync: 1, lsn, attempts, last_error: lastError, updated_at: now } };
    } finally {
      this.ackOne.reset();
    }
  }

  /** Our own (origin local) row with this change_id, or null. */
  findLocal(changeId: string): LocalChange | null {
    return this.all(this.byChangeId, [changeId])[0] ?? null;
  }

  /** Pending rows in seq order. */
  pendingChanges(limit: number): LocalChange[] {
    return this.all(this.pending, [limit]);
  }

  /** Pending rows of one entity row, in seq order. */
  pendingForRow(entity: string, entityId: string): LocalChange[] {
    return this.all(this.pendingFor, [entity, entityId]);
  }

  /** `entity + NUL + entity_id` of every row with pending changes. */
  pendingRowKeys(): Set<string> {
    const keys = new Set<string>();
    try {
      while (this.pendingKeys.step()) {
        const [entity, id] = this.pendingKeys.get() as string[];
        keys.add(rowKey(entity!, id!));
      }
    } finally {
      this.pendingKeys.reset();
    }
    return keys;
  }

  /**
   * Our changes the server acknowledged at an LSN above `lsn`, in seq order: their echo has not
   * been applied yet, so a server change at or below `lsn` that writes their row comes BEFORE
   * them in the server's order (see applyBatch: they are re-applied on top like pending ones).
   */
  ackedAbove(lsn: number): LocalChange[] {
    return this.all(this.acked, [lsn]).sort((a, b) => a.seq - b.seq);
  }

  /** `entity + NUL + entity_id` of the rows of {@link ackedAbove} (no data read). */
  ackedRowKeys(lsn: number): Set<string> {
    const keys = new Set<string>();
    try {
      this.ackedKeys.bind([lsn]);
      while (this.ackedKeys.step()) {
        const [entity, id] = this.ackedKeys.get() as string[];
        keys.add(rowKey(entity!, id!));
      }
    } finally {
      this.ackedKeys.reset();
    }
    return keys;
  }

  /** Failed rows, newest first. */
  failedChanges(limit: number): LocalChange[] {
    return this.all(this.failed, [limit]);
  }

  /** Pending and failed counts. */
  countByStatus(): { pending: number; failed: number } {
    try {
      this.counts.step();
      const [pending, failed] = this.counts.get() as number[];
      return { pending: pending ?? 0, failed: failed ?? 0 };
    } finally {
      this.counts.reset();
    }
  }

  /** The highest seq in the table (0 if empty). */
  highestSeq(): number {
    try {
      this.maxSeq.step();
      return Number(this.maxSeq.get()[0] ?? 0);
    } finally {
      this.maxSeq.reset();
    }
  }

  /** Delete synced rows last updated before `before`. Returns how many. */
  pruneSynced(before: number): number {
    this.prune.run([before]);
    return this.db.getRowsModified();
  }

  /** Free every statement (on close). */
  free(): void {
    for (const s of [this.insert, this.insertMany, this.insertServer, this.insertServerMany, this.setState, this.byChangeId, this.ackOne, this.pending, this.pendingFor, this.failed, this.counts, this.maxSeq, this.prune, this.pendingKeys, this.acked, this.ackedKeys]) s.free();
  }

  private all(stmt: Statement, params: SqlValue[]): LocalChange[] {
    const out: LocalChange[] = [];
    try {
      stmt.bind(params);
      while (stmt.step()) out.push(toLocalChange(stmt.get()));
    } finally {
      stmt.reset();
    }
    return out;
  }
}

/** The key of one entity row in sets and maps. */
export function rowKey(entity: string, entityId: string): string {
  return `${entity}\u0000${entityId}`;
}

function rowParams(r: ChangeRow): SqlValue[] {
  return [
    r.seq, r.change_id, r.origin, r.entity, r.entity_id, r.op, r.dataJson, r.lsn, r.processed_local, r.processed_sync,
    r.status, r.attempts, r.last_error, r.created_at, r.updated_at,
  ];
}

/** Map a `SELECT *` row (column order of the table) to a LocalChange. */
function toLocalChange(v: SqlValue[]): LocalChange {
  return {
    seq: v[0] as number,
    change_id: v[1] as string,
    origin: v[2] as LocalChange['origin'],
    entity: v[3] as string,
    entity_id: v[4] as string,
    op: v[5] as Op,
    data: v[6] === null ? null : (JSON.parse(v[6] as string) as LocalChange['data']),
    lsn: v[7] as number | null,
    processed_local: v[8] as 0 | 1,
    processed_sync: v[9] as 0 | 1,
    status: v[10] as LocalChange['status'],
    attempts: v[11] as number,
    last_error: v[12] as string | null,
    created_at: v[13] as number,
    updated_at: v[14] as number,
  };
}
