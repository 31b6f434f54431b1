/**
 * Applying a `scope_patch` (the replica's scopes changed on the server): rows it may now read are
 * written as they are, rows it may not read any more are deleted; this client's pending local
 * changes on those rows are re-applied on top (its other pending changes are not touched). No
 * LSN moves and no history row is written: these rows are current state, not changes. When the
 * frame names `scopes` (the last frame of a patch), they are recorded in `sync_state` in the same
 * transaction and go back to the server in the next `hello`.
 */
import type { ApplyResult, ScopePatchBatch } from '../engine/ports.js';
import { checkChange, type SchemaDeclaration } from '../protocol/index.js';
import { rebaseRow, writeEntity } from './apply-batch.js';
import { rowKey } from './changes-table.js';
import type { StoreWriter } from './writer.js';

/** `sync_state` key of the scopes the replica holds (JSON array). */
export const SCOPES_STATE_KEY = 'scopes';

/** Apply a patch (call inside ONE transaction). Throws SchemaError; the caller rolls back. */
export function applyPatch(writer: StoreWriter, schema: SchemaDeclaration, patch: ScopePatchBatch): ApplyResult {
  for (const c of patch.changes) {
    const err = checkChange(schema, c);
    if (err) throw err;
  }
  const pendingRows = writer.changes.countByStatus().pending > 0 ? writer.changes.pendingRowKeys() : null;
  const entities = new Set<string>();
  for (const c of patch.changes) {
    writeEntity(writer, c.entity, c.entity_id, c.op, c.data);
    entities.add(c.entity);
    if (pendingRows?.has(rowKey(c.entity, c.entity_id))) rebaseRow(writer, c.entity, c.entity_id);
  }
  if (patch.scopes !== undefined) writer.setState(SCOPES_STATE_KEY, JSON.stringify(patch.scopes));
  return { entities: [...entities], echoed: [], applied: patch.changes.length };
}

/** The scopes the replica holds (recorded by the last patch that named them), or null when none were recorded or the record is unreadable. */
export function readReplicaScopes(writer: StoreWriter): string[] | null {
  const raw = writer.getState(SCOPES_STATE_KEY);
  if (typeof raw !== 'string') return null;
  try {
    const list: unknown = JSON.parse(raw);
    return Array.isArray(list) && list.every((s) => typeof s === 'string') ? (list as string[]) : null;
  } catch {
    return null;
  }
}
