/**
 * The PostgreSQL change log (`rsw_change_log`) and the server's other own tables: their DDL, the
 * compaction horizon, log pages, and compaction (history older than the retention setting goes;
 * the current rows in the app tables are enough, and a client behind the horizon gets a snapshot).
 */
import type { Pool } from 'pg';
import type { LogRow } from '../store.js';
import type { PoolClient } from './pg-types.js';

/** The server's own tables (the app tables are in pg-entities.ts, the row versions in pg-snapshot.ts). */
export const LOG_DDL = [
  `CREATE TABLE IF NOT EXISTS rsw_change_log (lsn bigint PRIMARY KEY, change_id text NOT NULL, client_id text NOT NULL, entity text NOT NULL,
    entity_id text NOT NULL, op text NOT NULL, data text, created_at bigint NOT NULL, sub text, UNIQUE (client_id, change_id))`,
  'CREATE TABLE IF NOT EXISTS rsw_clients (client_id text PRIMARY KEY, acked_lsn bigint NOT NULL DEFAULT 0, last_seen bigint NOT NULL, sub text)',
  'CREATE INDEX IF NOT EXISTS rsw_clients_last_seen ON rsw_clients (last_seen)',
  'CREATE TABLE IF NOT EXISTS rsw_server_meta (key text PRIMARY KEY, value text NOT NULL)',
];

/** The compaction horizon in `rsw_server_meta` (0: nothing compacted). */
export async function readPgHorizon(db: Pick<Pool, 'query'>): Promise<number> {
  const r = await db.query("SELECT value FROM rsw_server_meta WHERE key = 'horizon'");
  return r.rows.length === 0 ? 0 : Number((r.rows[0] as { value: string }).value);
}

/** Up to `limit` changes with lsn > `from`, as page JSON within `maxBytes` (at least one); `cut`: a change was left out for the bytes. */
export async function readPgLog(on: Pick<Pool, 'query'>, from: number, limit: number, maxBytes: number): Promise<{ changesJson: string[]; lsn: number; rows: number; cut: boolean }> {
  const res = await on.query({ text: 'SELECT lsn, change_id, client_id, entity, entity_id, op, data FROM rsw_change_log WHERE lsn > $1 ORDER BY lsn LIMIT $2', values: [from, limit] });
  const changesJson: string[] = [];
  let bytes = 0;
  let lsn = from;
  for (const r of res.rows as LogRow[]) {
    const json =
      `{"lsn":${r.lsn},"change_id":${JSON.stringify(r.change_id)},"client_id":${JSON.stringify(r.client_id)},"entity":${JSON.stringify(r.entity)},` +
      `"entity_id":${JSON.stringify(r.entity_id)},"op":${JSON.stringify(r.op)},"data":${r.data ?? 'null'}}`;
    const size = Buffer.byteLength(json) + 1;
    if (changesJson.length > 0 && bytes + size > maxBytes) return { changesJson, lsn, rows: res.rows.length, cut: true };
    changesJson.push(json);
    bytes += size;
    lsn = r.lsn;
  }
  return { changesJson, lsn, rows: res.rows.length, cut: false };
}

/**
 * Drop the history committed before `before` (ms), in one transaction; the last change always
 * stays (max(lsn) is the log's LSN: the next one numbers on from it). Resolves with the horizon
 * after (never lower than before) and the rows removed.
 */
export async function compactPgLog(pool: Pool, before: number): Promise<{ horizon: number; removed: number }> {
  const db: PoolClient = await pool.connect();
  try {
    await db.query('BEGIN');
    const old = await readPgHorizon(db);
    const r = await db.query({
      text: 'SELECT least(coalesce(max(lsn) FILTER (WHERE created_at < $1), 0), coalesce(max(lsn), 0) - 1)::int8 AS up FROM rsw_change_log',
      values: [before],
    });
    const upTo = Number((r.rows[0] as { up: number }).up);
    let removed = 0;
    if (upTo > old) {
      removed = (await db.query({ text: 'DELETE FROM rsw_change_log WHERE lsn <= $1', values: [upTo] })).rowCount ?? 0;
      await db.query({ text: "INSERT INTO rsw_server_meta (key, value) VALUES ('horizon', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", values: [String(upTo)] });
    }
    await db.query('COMMIT');
    return { horizon: Math.max(old, upTo), removed };
  } catch (e) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    db.release();
  }
}
