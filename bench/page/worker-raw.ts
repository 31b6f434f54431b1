/**
 * The raw sql.js baselines (run in a dedicated bench worker, same sql.js build as the store):
 * prepared statements, one transaction per batch, the same table DDL and PRAGMAs as the store,
 * and nothing else: no validation, no journal, no engine.
 */
import type { Database } from 'sql.js';
import { parseSchema, quoteIdent } from '../../lib/protocol/index.js';
import { MIGRATIONS, loadSqlJs, runMigrations } from '../../lib/store/index.js';
import { ensureEntityTables } from '../../lib/store/ddl.js';
import { BENCH_SCHEMA, makeRow, mulberry32, type BenchRow } from '../shared/data.js';
import type { ApplyRun } from './worker-engine.js';

const COLS = Object.keys(BENCH_SCHEMA.items.columns);
const UPSERT =
  `INSERT INTO items (${COLS.map(quoteIdent).join(', ')}) VALUES (${COLS.map(() => '?').join(', ')}) ` +
  `ON CONFLICT (id) DO UPDATE SET ${COLS.filter((c) => c !== 'id').map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}`;

async function freshDb(withStoreTables: boolean): Promise<Database> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.run('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA locking_mode = EXCLUSIVE');
  if (withStoreTables) runMigrations(db, MIGRATIONS);
  ensureEntityTables(db, parseSchema(BENCH_SCHEMA));
  return db;
}

function values(d: BenchRow): (string | number)[] {
  return [d.id, d.title, d.body, d.owner, d.qty, d.price];
}

const CHANGE_ROW =
  'INSERT INTO local_changes (seq, change_id, origin, entity, entity_id, op, data, lsn, processed_local, processed_sync, status, attempts, last_error, created_at, updated_at) ';

type WireChange = { lsn: number; change_id: string; entity: string; entity_id: string; op: string; data: BenchRow };

/**
 * Baseline of apply_server_batch: JSON.parse each frame, prepared upsert of its rows, one
 * transaction per frame. With `withChangeRow`, also the `local_changes` row the engine writes
 * per change (same table, same values): the SQL floor of the engine's two rows per change.
 */
export async function rawApply(frames: readonly string[], withChangeRow = false): Promise<ApplyRun> {
  const db = await freshDb(withChangeRow);
  const upsert = db.prepare(UPSERT);
  const change = withChangeRow ? db.prepare(`${CHANGE_ROW}VALUES (?, ?, 'server', ?, ?, ?, ?, ?, 1, 1, 'synced', 0, NULL, ?, ?)`) : null;
  let changes = 0;
  let seq = 1;
  const t0 = performance.now();
  const now = Math.floor(t0);
  for (const text of frames) {
    const frame = JSON.parse(text) as { changes: WireChange[] };
    db.run('BEGIN');
    for (const c of frame.changes) {
      upsert.run(values(c.data));
      change?.run([seq++, c.change_id, c.entity, c.entity_id, c.op, JSON.stringify(c.data), c.lsn, now, now]);
    }
    db.run('COMMIT');
    changes += frame.changes.length;
  }
  const ms = performance.now() - t0;
  upsert.free();
  change?.free();
  db.close();
  return { changes, ms };
}

/** Baseline of bulk_record: `n` entity rows + `local_changes` rows, prepared inserts, one transaction. */
export async function rawBulk(n: number, seed: number): Promise<ApplyRun> {
  const db = await freshDb(true);
  const upsert = db.prepare(UPSERT);
  const change = db.prepare(`${CHANGE_ROW}VALUES (?, ?, 'local', 'items', ?, 'insert', ?, NULL, 1, 0, 'pending', 0, NULL, ?, ?)`);
  const rnd = mulberry32(seed);
  const rows: BenchRow[] = [];
  for (let i = 0; i < n; i++) rows.push(makeRow(rnd, 'raw', i));
  const t0 = performance.now();
  const now = Math.floor(t0);
  db.run('BEGIN');
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    upsert.run(values(r));
    change.run([i + 1, crypto.randomUUID(), r.id, JSON.stringify(r), now, now]);
  }
  db.run('COMMIT');
  const ms = performance.now() - t0;
  upsert.free();
  change.free();
  db.close();
  return { changes: n, ms };
}
