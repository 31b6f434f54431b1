/**
 * Snapshot pages on PostgreSQL (the compacted log `rsw_row_versions`, see sqlite-rows.ts for the
 * idea): one REPEATABLE READ transaction per page, so the versions and the rows it reads are one
 * consistent state of the database (one LSN), whatever commits meanwhile.
 */
import type { Pool } from 'pg';
import type { Row, SchemaDeclaration } from '../../lib/protocol/index.js';
import type { Page } from '../store.js';
import { MAX_OWN_ECHOES, ownByRow, snapshotResult, versionJson, type VersionRow } from './sqlite-rows.js';
import { currentMany } from './pg-entities.js';

/** Rows read per query while a page is built. */
const ROWS_PER_READ = 64;


/** DDL of the compacted log (one entry per row of the app's tables: its last change). */
export const ROW_VERSIONS_DDL = [
  `CREATE TABLE IF NOT EXISTS rsw_row_versions (entity text NOT NULL, entity_id text NOT NULL, lsn bigint NOT NULL,
    change_id text NOT NULL, client_id text NOT NULL, op text NOT NULL, PRIMARY KEY (entity, entity_id))`,
  'CREATE INDEX IF NOT EXISTS rsw_row_versions_lsn ON rsw_row_versions (lsn)',
];

/** Record the last change of each row of a frame (the last one per row wins), inside its transaction. */
export function versionsUpsert(entries: readonly { lsn: number; change_id: string; client_id: string; entity: string; entity_id: string; op: string }[]): { text: string; values: unknown[] } | null {
  const last = new Map<string, (typeof entries)[number]>();
  for (const e of entries) last.set(`${e.entity}\u0000${e.entity_id}`, e);
  if (last.size === 0) return null;
  const rows = [...last.values()];
  return {
    text: `INSERT INTO rsw_row_versions (entity, entity_id, lsn, change_id, client_id, op)
      SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[])
      ON CONFLICT (entity, entity_id) DO UPDATE SET lsn = EXCLUDED.lsn, change_id = EXCLUDED.change_id, client_id = EXCLUDED.client_id, op = EXCLUDED.op`,
    values: [rows.map((e) => e.entity), rows.map((e) => e.entity_id), rows.map((e) => e.lsn), rows.map((e) => e.change_id), rows.map((e) => e.client_id), rows.map((e) => (e.op === 'delete' ? 'delete' : 'insert'))],
  };
}

/** A snapshot page: the rows whose last change is after `from`, current data, in LSN order. */
export async function pgSnapshotPage(pool: Pool, schema: SchemaDeclaration, from: number, after: number, limit: number, maxBytes: number, clientId: string | null): Promise<Page & { top: number }> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const top = Number(((await db.query('SELECT coalesce(max(lsn), 0)::int8 AS m FROM rsw_change_log')).rows[0] as { m: number }).m);
    const versions = (await db.query({ text: 'SELECT lsn, change_id, client_id, entity, entity_id, op FROM rsw_row_versions WHERE lsn > $1 ORDER BY lsn LIMIT $2', values: [after, limit] })).rows as VersionRow[];
    const own = clientId === null ? new Map<string, string[]>() : ownByRow((await db.query({
      text: `SELECT lsn, change_id, client_id, entity, entity_id, op, data FROM rsw_change_log WHERE client_id = $1 AND lsn > $2 ORDER BY lsn LIMIT ${MAX_OWN_ECHOES}`, values: [clientId, from],
    })).rows as Parameters<typeof ownByRow>[0] & unknown[]);
    const changesJson: string[] = [];
    let bytes = 0;
    let lsn = after;
    // Rows are read a few at a time, so a page holds little more than it sends.
    outer: for (let i = 0; i < versions.length; i += ROWS_PER_READ) {
      const chunk = versions.slice(i, i + ROWS_PER_READ);
      const byEntity = new Map<string, string[]>();
      for (const v of chunk) if (v.op !== 'delete') (byEntity.get(v.entity) ?? byEntity.set(v.entity, []).get(v.entity)!).push(v.entity_id);
      const rows = new Map<string, Map<string, Row>>();
      for (const [entity, ids] of byEntity) rows.set(entity, await currentMany(db, schema, entity, ids));
      for (const v of chunk) {
        const row = v.op === 'delete' ? undefined : rows.get(v.entity)?.get(v.entity_id);
        // A row whose table left the schema (or that is gone) goes as a tombstone.
        const json = versionJson(row === undefined ? { ...v, op: 'delete' } : v, row === undefined ? null : JSON.stringify(row));
        const entries = [...(own.get(`${v.entity}\u0000${v.entity_id}`) ?? []), json];
        const size = entries.reduce((n, e) => n + Buffer.byteLength(e) + 1, 0);
        if (changesJson.length > 0 && bytes + size > maxBytes) break outer;
        changesJson.push(...entries);
        bytes += size;
        lsn = Number(v.lsn);
      }
    }
    await db.query('COMMIT');
    return { ...snapshotResult(changesJson, from, lsn, top), top };
  } catch (e) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    db.release();
  }
}
