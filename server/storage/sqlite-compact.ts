/**
 * Compaction of the SQLite change log: history older than the retention is deleted (the current
 * rows and `rsw_row_versions`, tombstones included, are enough to serve any client from there),
 * and the LSN up to which it is gone, the horizon, is kept in `server_meta`. A client whose LSN is
 * below the horizon gets the snapshot path (see storage/sqlite.ts readPage).
 */
import type Database from 'better-sqlite3';

/** `server_meta` key of the compaction horizon. */
const HORIZON_KEY = 'horizon';

/** The horizon: history up to this LSN is compacted (0: none). */
export function readHorizon(db: Database.Database): number {
  const v = db.prepare('SELECT value FROM server_meta WHERE key = ?').pluck().get(HORIZON_KEY) as string | undefined;
  return v === undefined ? 0 : Number(v);
}

/**
 * Delete the history written before `before` (ms), in one transaction; returns the new horizon
 * and how many changes went. The horizon only moves forward.
 */
export function compactLog(db: Database.Database, before: number): { horizon: number; removed: number } {
  return db.transaction(() => {
    const old = readHorizon(db);
    // The last change always stays: max(lsn) is the log's LSN (the next one numbers on from it).
    const top = (db.prepare('SELECT coalesce(max(lsn), 0) FROM change_log').pluck().get() as number) ?? 0;
    const old_ = (db.prepare('SELECT coalesce(max(lsn), 0) FROM change_log WHERE created_at < ?').pluck().get(before) as number) ?? 0;
    const upTo = Math.min(old_, top - 1);
    if (upTo <= old) return { horizon: old, removed: 0 };
    const removed = db.prepare('DELETE FROM change_log WHERE lsn <= ?').run(upTo).changes;
    db.prepare('INSERT INTO server_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(HORIZON_KEY, String(upTo));
    return { horizon: upTo, removed };
  })();
}
