/**
 * Catch-up pages under access rules. A page covers the log's LSNs (`from`, `lsn`] like an open
 * server's, so the client's position still means "seen everything I may read up to here", but
 * it carries only what the connection may see: for each row touched in the range by a change
 * whose scopes (before or after, see scope-log.ts) meet the connection's, ONE change at the last
 * such LSN: an `insert` of the row as it is NOW when the connection may read it now, else a
 * `delete`. So a catch-up never replays history of a row from when it was in someone else's
 * scope, and a row that left the connection's scopes is removed. Ids are server-made (views.ts).
 */
import type { Row, ServerChange } from '../../lib/protocol/index.js';
import type { Page } from '../store.js';
import type { Awaitable } from '../storage/types.js';
import { intersects } from './scope-index.js';
import type { ScopeLog } from './scope-log.js';
import { maskedIds } from './views.js';
import type { RowScopesOf } from './writes.js';

/** What a filtered page needs of the server. */
export interface PageSource {
  readPage(from: number, limit: number, maxBytes?: number): Awaitable<Page>;
  currentRow(entity: string, entityId: string): Awaitable<Row | null>;
}

/** A filtered page: its changes serialised, and the log range it covers. */
export interface FilteredPage {
  changesJson: string[];
  lsn: number;
  complete: boolean;
}

/**
 * Read up to `limit` log changes after `from` and keep what `scopes` may see. Current rows can be
 * bigger than the changes that touched them: a page over `maxBytes` is read again with half the
 * limit (down to one change).
 */
export async function filteredPage(source: PageSource, log: ScopeLog, scopesOf: RowScopesOf, scopes: ReadonlySet<string>, from: number, limit: number, maxBytes: number): Promise<FilteredPage> {
  for (let size = limit; ; size = Math.max(1, Math.floor(size / 2))) {
    const page = await filterOnce(source, log, scopesOf, scopes, from, size, maxBytes);
    let bytes = 0;
    for (const j of page.changesJson) bytes += j.length * 3;
    if (size === 1 || page.changesJson.length <= 1 || bytes <= maxBytes) return page;
  }
}

async function filterOnce(source: PageSource, log: ScopeLog, scopesOf: RowScopesOf, scopes: ReadonlySet<string>, from: number, size: number, maxBytes: number): Promise<FilteredPage> {
  const page = await source.readPage(from, size, maxBytes);
  const recorded = page.changesJson.length > 0 ? log.between(from, page.lsn) : new Map<number, string[]>();
  const current = new Map<string, { row: Row | null; scopes: readonly string[] }>();
  const last = new Map<string, ServerChange>();
  for (const json of page.changesJson) {
    const c = JSON.parse(json) as ServerChange;
    const key = `${c.entity}\u0000${c.entity_id}`;
    let now = current.get(key);
    if (!now) {
      const row = await source.currentRow(c.entity, c.entity_id);
      now = { row, scopes: row === null ? [] : scopesOf(c.entity, row) };
      current.set(key, now);
    }
    // Unknown to the scope log: judge by the row now (and an insert's own row).
    const touched = recorded.get(c.lsn) ?? [...now.scopes, ...(c.op === 'insert' && c.data ? scopesOf(c.entity, c.data) : [])];
    if (!intersects(touched, scopes)) continue;
    last.delete(key);
    last.set(key, c);
  }
  const changesJson: string[] = [];
  for (const [key, c] of last) {
    const now = current.get(key)!;
    const readable = now.row !== null && intersects(now.scopes, scopes);
    const out: ServerChange = { lsn: c.lsn, ...maskedIds(c.lsn), entity: c.entity, entity_id: c.entity_id, op: readable ? 'insert' : 'delete', data: readable ? now.row : null };
    changesJson.push(JSON.stringify(out));
  }
  return { changesJson, lsn: page.lsn, complete: page.complete };
}
