/**
 * The compacted log in SQLite (`rsw_row_versions`): per row of the app's tables, the LSN, change_id and
 * client_id of its LAST change and whether that left it present (`insert`) or gone (`delete`, a
 * tombstone). Written in the same transaction as the change log (at the end of each frame, from
 * its log rows: see sqlite-log.ts), so it always says what the log says, with one entry per row
 * instead of one per change. A new table is WITHOUT ROWID (its key is the row; one B-tree less
 * to write per change); one made before keeps its rowid, which nothing reads.
 *
 * A snapshot page (see docs/DESIGN.md "Snapshot first sync") is read from it: the rows whose last
 * change is after `from`, in LSN order, each as an `insert` of its CURRENT row (or a `delete`),
 * with the LSN of that last change. Applying the pages in order gives what applying the whole log
 * gives, at the cost of the live rows, not the history.
 */
import type Database from 'better-sqlite3';
import { SNAPSHOT_CLIENT_ID, type Row } from '../../lib/protocol/index.js';
import type { EntityTables } from '../entities.js';

/** A change log row. */
type LogRowShape = { lsn: number; change_id: string; client_id: string; entity: string; entity_id: string; op: string; data: string | null };

/** One entry of the compacted log (both backends' `rsw_row_versions`). */
export interface VersionRow {
  lsn: number;
  change_id: string;
  client_id: string;
  entity: string;
  entity_id: string;
  op: 'insert' | 'delete';
}

const DDL = `CREATE TABLE IF NOT EXISTS rsw_row_versions (entity TEXT NOT NULL, entity_id TEXT NOT NULL, lsn INTEGER NOT NULL,
  change_id TEXT NOT NULL, client_id TEXT NOT NULL, op TEXT NOT NULL, PRIMARY KEY (entity, entity_id)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS rsw_row_versions_lsn ON rsw_row_versions (lsn);`;

/**
 * The client_id of every snapshot entry ({@link SNAPSHOT_CLIENT_ID}). Not the writer's: a snapshot
 * entry is the WHOLE current row, which the client must write even when the row's last change was
 * its own (an echo would not be written, and the other columns, written by others, would be missing).
 */
export { SNAPSHOT_CLIENT_ID };

/** The serialised form of one snapshot entry (the same JSON shape as a logged change). */
export function versionJson(v: { lsn: number; change_id: string; entity: string; entity_id: string; op: string }, dataJson: string | null): string {
  return (
    `{"lsn":${v.lsn},"change_id":${JSON.stringify(v.change_id)},"client_id":"${SNAPSHOT_CLIENT_ID}","entity":${JSON.stringify(v.entity)},` +
    `"entity_id":${JSON.stringify(v.entity_id)},"op":"${v.op}","data":${dataJson ?? 'null'}}`
  );
}

/** A snapshot page as a catch-up page (see `sync_response.cursor`). */
export interface Page {
  changesJson: string[];
  lsn: number;
  complete: boolean;
  cursor?: number;
}

/**
 * The page for a snapshot read that reached row version `last`: the last page (every logged change
 * records its row's version, so reaching `top` means nothing is left) says `lsn: top`; any other
 * keeps `lsn: from` and carries the cursor.
 */
export function snapshotResult(changesJson: string[], from: number, last: number, top: number): Page {
  return last >= top || changesJson.length === 0 ? { changesJson, lsn: Math.max(top, from), complete: true } : { changesJson, lsn: from, complete: false, cursor: last };
}

/** A row of the change log as the JSON of a ServerChange. */
export function logRowJson(r: { lsn: number; change_id: string; client_id: string; entity: string; entity_id: string; op: string; data: string | null }): string {
  return (
    `{"lsn":${r.lsn},"change_id":${JSON.stringify(r.change_id)},"client_id":${JSON.stringify(r.client_id)},"entity":${JSON.stringify(r.entity)},` +
    `"entity_id":${JSON.stringify(r.entity_id)},"op":${JSON.stringify(r.op)},"data":${r.data ?? 'null'}}`
  );
}

/** Most of the requesting client's own changes looked at per snapshot page. */
export const MAX_OWN_ECHOES = 10_000;

/**
 * The requesting client's OWN changes after `from`, by row. A snapshot row already contains them
 * (and maybe newer changes of others): each goes in the page right before its row, as itself, so
 * the client takes it as the echo it is (marks it synced) and does not re-apply it, as a change
 * still pending, over the newer row (its ack may have been lost on a cut connection).
 */
export function ownByRow(rows: Iterable<{ lsn: number; change_id: string; client_id: string; entity: string; entity_id: string; op: string; data: string | null }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const key = `${r.entity}\u0000${r.entity_id}`;
    (out.get(key) ?? out.set(key, []).get(key)!).push(logRowJson(r));
  }
  return out;
}

/** The ids of the present rows a run of versions names, by table (a tombstone needs no row). */
export function idsByEntity(versions: readonly VersionRow[]): Map<string, string[]> {
  const ids = new Map<string, string[]>();
  for (const v of versions) if (v.op !== 'delete') (ids.get(v.entity) ?? ids.set(v.entity, []).get(v.entity)!).push(v.entity_id);
  return ids;
}

/** A snapshot page being filled (both backends): entries in LSN order within a byte budget. */
export class PageBuilder {
  readonly changesJson: string[] = [];
  bytes = 0;
  /** The LSN of the last version added (`after` while none). */
  lsn: number;

  /** @param own the requester's own changes by row ({@link ownByRow}); @param after where the page starts. */
  constructor(
    private readonly own: ReadonlyMap<string, readonly string[]>,
    private readonly maxBytes: number,
    after: number,
  ) {
    this.lsn = after;
  }

  /**
   * Add `v` with its current row (undefined: none, or its table left the schema: a tombstone),
   * preceded by the requester's own changes of that row. False, adding nothing, when it would
   * take the page over its bytes (the first entry always goes in).
   */
  add(v: VersionRow, row: Row | undefined): boolean {
    return this.addJson(v, row === undefined ? undefined : JSON.stringify(row));
  }

  /** {@link add} with the row as its JSON text already (undefined: none). */
  addJson(v: VersionRow, rowJson: string | undefined): boolean {
    const json = versionJson(rowJson === undefined ? { ...v, op: 'delete' } : v, rowJson ?? null);
    const mine = this.own.size === 0 ? undefined : this.own.get(`${v.entity}\u0000${v.entity_id}`);
    const size = (mine === undefined ? 0 : mine.reduce((n, e) => n + Buffer.byteLength(e) + 1, 0)) + Buffer.byteLength(json) + 1;
    if (this.changesJson.length > 0 && this.bytes + size > this.maxBytes) return false;
    if (mine !== undefined) this.changesJson.push(...mine);
    this.changesJson.push(json);
    this.bytes += size;
    this.lsn = Number(v.lsn);
    return true;
  }
}

/** Creates and reads `rsw_row_versions` (each frame writes it: see sqlite-log.ts). */
export class RowVersions {
  private readonly page;
  private readonly own;

  constructor(db: Database.Database) {
    const fresh = db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'rsw_row_versions'").pluck().get() === 0;
    db.exec(DDL);
    if (fresh) {
      // A log made before rsw_row_versions existed: the last change of each row, from the log.
      db.exec(`INSERT INTO rsw_row_versions (entity, entity_id, lsn, change_id, client_id, op)
        SELECT entity, entity_id, lsn, change_id, client_id, CASE op WHEN 'delete' THEN 'delete' ELSE 'insert' END FROM change_log c
        WHERE lsn = (SELECT max(lsn) FROM change_log d WHERE d.entity = c.entity AND d.entity_id = c.entity_id)`);
    }
    this.own = db.prepare(`SELECT lsn, change_id, client_id, entity, entity_id, op, data FROM change_log WHERE client_id = ? AND lsn > ? ORDER BY lsn LIMIT ${MAX_OWN_ECHOES}`);
    this.page = db.prepare('SELECT lsn, change_id, client_id, entity, entity_id, op FROM rsw_row_versions WHERE lsn > ? ORDER BY lsn LIMIT ?');
  }

  /**
   * A snapshot page: rows whose last change is after `from`, current data, at most `limit`
   * entries and `maxBytes` of JSON (at least one). Synchronous, so one consistent read.
   * `top` is the log's LSN (the page is complete when it reaches it).
   */
  snapshotPage(entities: EntityTables, from: number, after: number, limit: number, maxBytes: number, top: number, clientId: string | null): Page {
    const own = clientId === null ? new Map<string, string[]>() : ownByRow(this.own.all(clientId, from) as LogRowShape[]);
    const versions = this.page.all(after, limit) as VersionRow[];
    // The current rows of the page: one read per table, not one per row.
    const rows = new Map<string, Map<string, Row>>();
    for (const [entity, ids] of idsByEntity(versions)) rows.set(entity, entities.currentMany(entity, ids));
    const page = new PageBuilder(own, maxBytes, after);
    for (const v of versions) if (!page.add(v, v.op === 'delete' ? undefined : rows.get(v.entity)?.get(v.entity_id))) break;
    return snapshotResult(page.changesJson, from, page.lsn, top);
  }
}
