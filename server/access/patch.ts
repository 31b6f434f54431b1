/**
 * Scope patches: when the scopes a replica holds change (a connected user gained or lost a scope,
 * or reconnected with other claims), the rows it may now read but could not before are sent as
 * they are now (`insert`), and the rows it could read but may not any more as `delete`s, in
 * `scope_patch` frames (byte-bounded; only the LAST carries `scopes`, the set the replica then
 * holds, so a patch cut by a disconnect is sent again at the next hello). The client applies each
 * frame on arrival, in one transaction, without moving its LSN: these rows have LSNs below its
 * position, so catch-up alone could not bring them.
 */
import type { Row, SchemaDeclaration } from '../../lib/protocol/index.js';
import { chunkByBytes } from '../frames.js';
import { intersects } from './scope-index.js';
import type { RowScopesOf } from './writes.js';

/** What a patch needs of the store. */
export interface RowScanner {
  scanRows(entity: string): IterableIterator<Row>;
}

/** The changes of a patch from `had` to `now` (serialised), over every table that has a rule. */
export function patchChanges(store: RowScanner, schema: SchemaDeclaration, tables: readonly string[], scopesOf: RowScopesOf, had: ReadonlySet<string>, now: ReadonlySet<string>): string[] {
  const gained = [...now].some((s) => !had.has(s));
  const lost = [...had].some((s) => !now.has(s));
  if (!gained && !lost) return [];
  const out: string[] = [];
  for (const table of tables) {
    const pk = schema[table]!.primaryKey;
    for (const row of store.scanRows(table)) {
      const scopes = scopesOf(table, row);
      const before = intersects(scopes, had);
      const after = intersects(scopes, now);
      if (before === after) continue;
      const entity_id = String(row[pk]);
      out.push(JSON.stringify(after ? { entity: table, entity_id, op: 'insert', data: row } : { entity: table, entity_id, op: 'delete', data: null }));
    }
  }
  return out;
}

/** `scope_patch` frames for `changes`, each within `maxBytes`; the last one names the scopes held after it. */
export function patchFrames(changes: readonly string[], now: ReadonlySet<string>, maxBytes: number): string[] {
  const runs = changes.length > 0 ? chunkByBytes(changes, maxBytes) : [[]];
  const scopes = JSON.stringify([...now].sort());
  return runs.map((run, i) => `{"type":"scope_patch","changes":[${run.join(',')}]${i === runs.length - 1 ? `,"scopes":${scopes}` : ''}}`);
}
