/**
 * Snapshot pages on PostgreSQL (the compacted log `rsw_row_versions`, see sqlite-rows.ts for the
 * idea): one REPEATABLE READ transaction per page, so the versions and the rows it reads are one
 * consistent state of the database (one LSN), whatever commits meanwhile.
 */
import type { Pool } from 'pg';
import type { SchemaDeclaration } from '../../lib/protocol/index.js';
import type { Page } from '../store.js';
import { MAX_OWN_ECHOES, PageBuilder, idsByEntity, ownByRow, snapshotResult, type VersionRow } from './sqlite-rows.js';
import { currentJsonMany } from './pg-entities.js';

/**
 * Rows read by the first query while a page is built when no size is known yet; each next query
 * reads what the bytes left would hold at the average size so far, plus an eighth (at least
 * ROWS_PER_READ, at most MAX_ROWS_PER_READ): a page of even rows takes two reads, and reads little
 * more than it sends. A page that follows another starts from that page's average entry size
 * (`estimate`): one read for a page of even rows.
 */
const ROWS_PER_READ = 64;
const MAX_ROWS_PER_READ = 1024;

/** The next read's row count after `sent` entries of `bytes` bytes, with `maxBytes` for the page. */
export function nextRead(sent: number, bytes: number, maxBytes: number): number {
  if (sent === 0 || !Number.isFinite(maxBytes)) return MAX_ROWS_PER_READ;
  const fit = Math.ceil(((maxBytes - bytes) / (bytes / sent)) * 1.125);
  return Math.max(ROWS_PER_READ, Math.min(MAX_ROWS_PER_READ, fit));
}

/** A number for SQL text: a safe integer, or refused. */
function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`expected an integer, got ${n}`);
  return String(n);
}

/** DDL of the compacted log (one entry per row of the app's tables: its last change). */
export const ROW_VERSIONS_DDL = [
  `CREATE TABLE IF NOT EXISTS rsw_row_versions (entity text NOT NULL, entity_id text NOT NULL, lsn bigint NOT NULL,
    change_id text NOT NULL, client_id text NOT NULL, op text NOT NULL, PRIMARY KEY (entity, entity_id))`,
  'CREATE INDEX IF NOT EXISTS rsw_row_versions_lsn ON rsw_row_versions (lsn)',
];

/** The first read of a page: sized by `estimate` (bytes per entry of the page before) when known. */
export function firstRead(estimate: number | null, maxBytes: number): number {
  return estimate === null || !(estimate > 0) ? ROWS_PER_READ : nextRead(1, estimate, maxBytes);
}

/**
 * A snapshot page: the rows whose last change is after `from`, current data, in LSN order.
 * `estimate`: bytes per entry of the page before (null: none); the result's `bytesPerEntry` is this page's.
 */
export async function pgSnapshotPage(
  pool: Pool, schema: SchemaDeclaration, from: number, after: number, limit: number, maxBytes: number, clientId: string | null, estimate: number | null = null,
): Promise<Page & { top: number; bytesPerEntry: number | null }> {
  const db = await pool.connect();
  try {
    // One round trip: the snapshot, its LSN, the versions of the page and the requester's own
    // changes (a simple query has no parameters: the numbers are checked integers, the id an escaped literal).
    const read = (await db.query(
      `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT coalesce(max(lsn), 0)::int8 AS m FROM rsw_change_log;
      SELECT lsn, change_id, client_id, entity, entity_id, op FROM rsw_row_versions WHERE lsn > ${int(after)} ORDER BY lsn LIMIT ${int(limit)}` +
        (clientId === null ? '' : `; SELECT lsn, change_id, client_id, entity, entity_id, op, data FROM rsw_change_log WHERE client_id = ${db.escapeLiteral(clientId)} AND lsn > ${int(from)} ORDER BY lsn LIMIT ${MAX_OWN_ECHOES}`),
    )) as unknown as { rows: unknown[] }[];
    const top = Number((read[1]!.rows[0] as { m: number }).m);
    const versions = read[2]!.rows as VersionRow[];
    const own = clientId === null ? new Map<string, string[]>() : ownByRow(read[3]!.rows as Parameters<typeof ownByRow>[0] & unknown[]);
    const page = new PageBuilder(own, maxBytes, after);
    // Rows are read in chunks sized by what is left of the byte budget: few queries, and little read beyond what is sent.
    // A chunk that reaches the last version is the last read: its COMMIT goes right behind it (pipelined), no round trip of its own.
    let commit: Promise<unknown> | null = null;
    outer: for (let i = 0, n = firstRead(estimate, maxBytes); i < versions.length; i += n, n = nextRead(page.changesJson.length, page.bytes, maxBytes)) {
      const chunk = versions.slice(i, i + n);
      const reads = [...idsByEntity(chunk)].map(([entity, ids]) => currentJsonMany(db, schema, entity, ids).then((rows) => [entity, rows] as const));
      if (i + n >= versions.length) (commit = db.query('COMMIT')).catch(() => undefined);
      const rows = new Map(await Promise.all(reads));
      for (const v of chunk) if (!page.addJson(v, v.op === 'delete' ? undefined : rows.get(v.entity)?.get(v.entity_id))) break outer;
    }
    await (commit ?? db.query('COMMIT'));
    const { changesJson, bytes, lsn } = page;
    return { ...snapshotResult(changesJson, from, lsn, top), top, bytesPerEntry: changesJson.length === 0 ? null : bytes / changesJson.length };
  } catch (e) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    db.release();
  }
}
