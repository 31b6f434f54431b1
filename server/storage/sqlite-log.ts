/**
 * The SQLite change log's table and its per-frame writes (issue 12: the write path, batched).
 *
 * A frame's changes are checked and applied to the entity tables one at a time (a change that
 * fails must not take the others with it), but what the frame adds to `change_log` and to
 * `rsw_row_versions` is only written at the end of its transaction: the log rows as multi-row
 * inserts, then the row versions in one INSERT ... SELECT from those log rows. Nothing inside the
 * transaction reads those rows back except the dedupe, and the dedupe of a frame is answered by
 * one lookup up front plus the change_ids the frame itself has logged.
 * Same transaction, same rows, same order: what commits is exactly what the per-change
 * statements wrote; the frame only makes fewer statement calls.
 */
import type Database from 'better-sqlite3';

/** Columns of `change_log`; (client_id, change_id) is the dedupe key. */
export const CHANGE_LOG_COLUMNS = `lsn INTEGER PRIMARY KEY, change_id TEXT NOT NULL, client_id TEXT NOT NULL,
  entity TEXT NOT NULL, entity_id TEXT NOT NULL, op TEXT NOT NULL, data TEXT, created_at INTEGER NOT NULL, sub TEXT,
  UNIQUE (client_id, change_id)`;

/**
 * Bring a log made by an older version up to date, in one transaction: the `sub` columns, and
 * the dedupe key (change_id alone -> (client_id, change_id)), which SQLite can only change by
 * copying the table.
 */
export function migrateLog(db: Database.Database): void {
  const cols = (table: string) => new Set((db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((r) => r.name));
  db.transaction(() => {
    if (!cols('clients').has('sub')) db.exec('ALTER TABLE clients ADD COLUMN sub TEXT');
    if (!cols('change_log').has('sub')) {
      db.exec(`CREATE TABLE change_log_new (${CHANGE_LOG_COLUMNS});
        INSERT INTO change_log_new (lsn, change_id, client_id, entity, entity_id, op, data, created_at)
          SELECT lsn, change_id, client_id, entity, entity_id, op, data, created_at FROM change_log;
        DROP TABLE change_log;
        ALTER TABLE change_log_new RENAME TO change_log;`);
    }
  })();
}

/** Most rows (or looked-up ids) per statement: 64 x 9 parameters stays far below SQLite's limit. */
const MAX_RUN = 64;

/**
 * One statement shape over a variable number of rows: `head` + `n` groups of `width` `?` + `tail`,
 * prepared on first use for each n from 1 to {@link MAX_RUN} (so at most 64 statements per shape).
 */
export class MultiRow {
  private readonly stmts = new Map<number, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly head: string,
    readonly width: number,
    private readonly tail: string,
    /** How many parameters come before the rows' own (bound first, e.g. a client id). */
    private readonly lead = 0,
  ) {}

  /** The statement for one run of `params` (lead + whole rows, at most {@link MAX_RUN} of them). */
  statement(params: readonly unknown[]): Database.Statement {
    const n = (params.length - this.lead) / this.width;
    let stmt = this.stmts.get(n);
    if (!stmt) {
      const group = this.width === 1 ? '?' : `(${Array.from({ length: this.width }, () => '?').join(', ')})`;
      stmt = this.db.prepare(`${this.head}${Array.from({ length: n }, () => group).join(', ')}${this.tail}`);
      this.stmts.set(n, stmt);
    }
    return stmt;
  }
}

/** Rows gathered for a {@link MultiRow} statement, in runs of at most {@link MAX_RUN} rows (no copying at write time). */
export class RowRuns {
  readonly runs: unknown[][] = [];
  private run: unknown[] = [];

  constructor(
    private readonly width: number,
    private readonly lead: readonly unknown[] = [],
  ) {
    this.run = [...lead];
  }

  /** The run to push the next row's `width` values onto. */
  next(): unknown[] {
    if (this.run.length === this.lead.length + this.width * MAX_RUN) {
      this.runs.push(this.run);
      this.run = [...this.lead];
    }
    return this.run;
  }

  /** Every run, the last one included. */
  all(): unknown[][] {
    if (this.run.length > this.lead.length) {
      this.runs.push(this.run);
      this.run = [...this.lead];
    }
    return this.runs;
  }
}

/** What one frame appends to `change_log` (lsn, change_id, client_id, entity, entity_id, op, data, created_at, sub), gathered while its changes apply. */
export type FrameRows = RowRuns;

/** Batched reads and writes of `change_log` and `rsw_row_versions` for one frame. */
export class LogWriter {
  private readonly lookup: MultiRow;
  private readonly append: MultiRow;
  private readonly versionsAfter: Database.Statement;

  constructor(db: Database.Database) {
    this.lookup = new MultiRow(db, 'SELECT change_id, lsn FROM change_log WHERE client_id = ? AND change_id IN (', 1, ')', 1);
    this.append = new MultiRow(db, 'INSERT INTO change_log (lsn, change_id, client_id, entity, entity_id, op, data, created_at, sub) VALUES ', 9, '');
    // The frame's log rows, in LSN order, as row versions: a row changed twice in the frame ends
    // with its last change (each selected row is upserted in turn). Read back from the pages just
    // written, inside SQLite: no second binding of every value from JS.
    this.versionsAfter = db.prepare(
      `INSERT INTO rsw_row_versions (entity, entity_id, lsn, change_id, client_id, op)
       SELECT entity, entity_id, lsn, change_id, client_id, CASE op WHEN 'delete' THEN 'delete' ELSE 'insert' END FROM change_log WHERE lsn > ? ORDER BY lsn
       ON CONFLICT (entity, entity_id) DO UPDATE SET lsn = excluded.lsn, change_id = excluded.change_id, client_id = excluded.client_id, op = excluded.op`,
    );
  }

  /** Empty log rows for one frame. */
  frame(): FrameRows {
    return new RowRuns(9);
  }

  /** The change_ids of `clientId` among `changeIds` already in the log, with their LSN. */
  logged(clientId: string, changeIds: Iterable<string>): Map<string, number> {
    const ids = new RowRuns(1, [clientId]);
    for (const id of changeIds) ids.next().push(id);
    const found = new Map<string, number>();
    for (const run of ids.all()) for (const r of this.lookup.statement(run).raw().all(run) as [string, number][]) found.set(r[0], r[1]);
    return found;
  }

  /**
   * Write what the frame gathered (inside its transaction, after its last change), in order: its
   * log rows, then the row versions of every change after `prevLsn` (the LSN before the frame).
   */
  flush(rows: FrameRows, prevLsn: number): void {
    const runs = rows.all();
    if (runs.length === 0) return;
    for (const run of runs) this.append.statement(run).run(run);
    this.versionsAfter.run(prevLsn);
  }
}
