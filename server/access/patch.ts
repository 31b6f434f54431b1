/**
 * Scope patches: when the scopes a replica holds change (a connected user gained or lost a scope,
 * or reconnected with other claims), the rows it may now read but could not before are sent as
 * they are now (`insert`), and the rows it could read but may not any more as `delete`s, in
 * `scope_patch` frames (byte-bounded; only the LAST carries `scopes`, the set the replica then
 * holds, so a patch cut by a disconnect is sent again at the next hello). The client applies each
 * frame on arrival, in one transaction, without moving its LSN: these rows have LSNs below its
 * position, so catch-up alone could not bring them. The rows are read lazily, frame by frame, as
 * the connection's output drains (patch-sender.ts): a frame holds rows as they are when it is
 * made, and a change committed in between reaches the connection as a broadcast (its scopes are
 * already the new ones), so the replica ends at the current state.
 */
import type { Row, SchemaDeclaration } from '../../lib/protocol/index.js';
import { intersects } from './scope-index.js';
import type { RowScopesOf } from './writes.js';

/** What a patch needs of the store. */
export interface RowScanner {
  scanRows(entity: string): IterableIterator<Row>;
}

/** The changes of a patch from `had` to `now` (serialised, made one at a time), over every table with a rule. */
export function* patchStream(store: RowScanner, schema: SchemaDeclaration, tables: readonly string[], scopesOf: RowScopesOf, had: ReadonlySet<string>, now: ReadonlySet<string>): Generator<string, void, undefined> {
  const gained = [...now].some((s) => !had.has(s));
  const lost = [...had].some((s) => !now.has(s));
  if (!gained && !lost) return;
  for (const table of tables) {
    const pk = schema[table]!.primaryKey;
    for (const row of store.scanRows(table)) {
      const scopes = scopesOf(table, row);
      const before = intersects(scopes, had);
      const after = intersects(scopes, now);
      if (before === after) continue;
      const entity_id = String(row[pk]);
      yield JSON.stringify(after ? { entity: table, entity_id, op: 'insert', data: row } : { entity: table, entity_id, op: 'delete', data: null });
    }
  }
}

/** One `scope_patch` frame; `scopes` on the last frame of a patch only. */
export function patchFrame(changes: readonly string[], scopes: ReadonlySet<string> | null): string {
  return `{"type":"scope_patch","changes":[${changes.join(',')}]${scopes === null ? '' : `,"scopes":${JSON.stringify([...scopes].sort())}`}}`;
}
