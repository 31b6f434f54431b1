/**
 * The store's own tables (`local_changes`, `sync_state`) as a numbered list of migrations.
 * `schema_version` (a `sync_state` key) only moves forward, and all pending migrations run in
 * ONE transaction: a failure leaves the database exactly at its previous version.
 */
import type { Database } from 'sql.js';
import { StoreError } from '../errors.js';
import { QUARANTINE_DDL } from './quarantine.js';

/** One migration: its number (1, 2, ...) and the SQL that moves the database to it. */
export interface Migration {
  /** The `schema_version` this migration produces; versions are consecutive from 1. */
  version: number;
  /** What it does, for errors and logs. */
  description: string;
  /** Statements to run (no transaction control inside: the runner owns the transaction). */
  sql: readonly string[];
}

/** The store's migrations, oldest first. Append new ones; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'local_changes and sync_state',
    sql: [
      `CREATE TABLE local_changes (
        seq INTEGER PRIMARY KEY,
        change_id TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('local', 'server')),
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
        data TEXT,
        lsn INTEGER,
        processed_local INTEGER NOT NULL DEFAULT 0,
        processed_sync INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'synced', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      // Idempotency key of OUR changes (acks, echoes). Server rows are deduplicated by LSN instead
      // (a change at or below the local LSN is already applied), which keeps a random-key index
      // off the server-batch hot path.
      "CREATE UNIQUE INDEX local_changes_change_id ON local_changes (change_id) WHERE origin = 'local'",
      // The pending scan (upstream queue) only ever reads pending rows: a partial index stays small.
      "CREATE INDEX local_changes_pending ON local_changes (seq) WHERE status = 'pending'",
      // Per-entity order of unsynced local changes (rebase after server batches, rejections).
      "CREATE INDEX local_changes_entity ON local_changes (entity, entity_id, seq) WHERE status = 'pending'",
      // Failed changes (status, newest first) without scanning the history.
      "CREATE INDEX local_changes_failed ON local_changes (seq) WHERE status = 'failed'",
      // By LSN: our acknowledged changes. Server rows need no index: they are appended in LSN
      // order, so their seq order IS their LSN order.
      "CREATE INDEX local_changes_lsn ON local_changes (lsn) WHERE origin = 'local' AND lsn IS NOT NULL",
      'CREATE TABLE sync_state (key TEXT PRIMARY KEY, value) WITHOUT ROWID',
    ],
  },
  {
    version: 2,
    description: 'quarantined_changes (server changes that could not be applied)',
    sql: [QUARANTINE_DDL],
  },
  {
    version: 3,
    description: 'local_changes_counts: pending and failed counts kept by triggers',
    // status$ reads the counts after every write: a count(*) over the pending index costs
    // O(pending) each time (O(n^2) for n concurrent writes). Triggers keep them in one row per
    // status; synced rows (every server change) are not counted, so the apply path pays only
    // the trigger's WHEN test.
    sql: [
      'CREATE TABLE local_changes_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID',
      "INSERT INTO local_changes_counts (status, n) SELECT 'pending', count(*) FROM local_changes WHERE status = 'pending'",
      "INSERT INTO local_changes_counts (status, n) SELECT 'failed', count(*) FROM local_changes WHERE status = 'failed'",
      `CREATE TRIGGER local_changes_counts_insert AFTER INSERT ON local_changes WHEN NEW.status <> 'synced'
        BEGIN UPDATE local_changes_counts SET n = n + 1 WHERE status = NEW.status; END`,
      `CREATE TRIGGER local_changes_counts_delete AFTER DELETE ON local_changes WHEN OLD.status <> 'synced'
        BEGIN UPDATE local_changes_counts SET n = n - 1 WHERE status = OLD.status; END`,
      `CREATE TRIGGER local_changes_counts_update AFTER UPDATE OF status ON local_changes WHEN NEW.status IS NOT OLD.status
        BEGIN
          UPDATE local_changes_counts SET n = n - 1 WHERE status = OLD.status;
          UPDATE local_changes_counts SET n = n + 1 WHERE status = NEW.status;
        END`,
    ],
  },
];

/** The `schema_version` of a database (0 = the store's tables do not exist yet). */
export function schemaVersion(db: Database): number {
  const exists = db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'");
  if (exists.length === 0) return 0;
  const rows = db.exec("SELECT value FROM sync_state WHERE key = 'schema_version'");
  const v = rows[0]?.values[0]?.[0];
  return typeof v === 'number' ? v : 0;
}

/**
 * Run every migration newer than the database's version, in one transaction. Returns the
 * number of migrations applied. Throws StoreError (database unchanged) if one fails, or if the
 * database is newer than this code knows.
 */
export function runMigrations(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = schemaVersion(db);
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  if (current > latest) throw new StoreError(`database schema_version ${current} is newer than this library (${latest})`);
  const todo = migrations.filter((m) => m.version > current);
  if (todo.length === 0) return 0;
  todo.forEach((m, i) => {
    // Versions must be consecutive so that no step is silently skipped.
    if (m.version !== current + i + 1) throw new StoreError(`migration ${m.version} out of order (expected ${current + i + 1})`);
  });
  db.run('BEGIN');
  let at = current;
  try {
    for (const m of todo) {
      at = m.version;
      for (const sql of m.sql) db.run(sql);
    }
    db.run("INSERT INTO sync_state (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [at]);
    db.run('COMMIT');
  } catch (cause) {
    db.run('ROLLBACK');
    throw new StoreError(`migration ${at} failed; database left at schema_version ${current}`, { cause });
  }
  return todo.length;
}
