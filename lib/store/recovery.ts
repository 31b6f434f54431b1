/**
 * The store's recovery operations (each called inside ONE transaction by store.ts): following a
 * new server log from scratch, putting fetched server rows in place, and the app's answers to a
 * failed change (retry it, or discard it).
 */
import type { LocalChange } from '../engine/ports.js';
import { SchemaError, type SyncError } from '../errors.js';
import { checkChange, projectRow, type SchemaDeclaration } from '../protocol/index.js';
import { rebaseRow, writeEntity } from './apply-batch.js';
import { addRowsToFetch, removeRowsToFetch, REFETCH_KEY, type FetchedRowInput, type RowRef } from './quarantine.js';
import type { StoreWriter } from './writer.js';

/**
 * A different server log (`server_changed`): empty the replica, keep this client's pending
 * changes (re-applied locally, sent again), LSN 0, remember the new server id. Returns how many
 * pending changes were kept.
 */
export function resetForServer(writer: StoreWriter, serverId: string): number {
  writer.resetReplica();
  const pending = writer.changes.pendingChanges(-1);
  const rows = new Map<string, RowRef>();
  for (const p of pending) rows.set(`${p.entity}\u0000${p.entity_id}`, { entity: p.entity, id: p.entity_id });
  for (const r of rows.values()) rebaseRow(writer, r.entity, r.id);
  writer.setState(REFETCH_KEY, null);
  writer.setState('lsn', 0);
  writer.setState('server_id', serverId);
  return pending.length;
}

/**
 * Put the server's current version of rows in place (`null`: delete it) and re-apply this
 * client's pending changes on each, and its `acked` ones (acknowledged above the LSN the rows were
 * read at: not in them yet). A row that does not fit the schema is left as it is and reported.
 * Every given row is forgotten from the rows to fetch.
 */
export function putFetchedRows(writer: StoreWriter, schema: SchemaDeclaration, entity: string, rows: readonly FetchedRowInput[], acked: readonly LocalChange[] = []): SyncError[] {
  const errors: SyncError[] = [];
  const table = Object.prototype.hasOwnProperty.call(schema, entity) ? schema[entity] : undefined;
  if (!table) return [new SchemaError(`fetched rows of unknown table "${entity}"`, { entity })];
  for (const { id, row } of rows) {
    if (row === null) {
      writer.deleteRow(entity, id);
    } else {
      const known = projectRow(table, entity, row);
      const err = checkChange(schema, { entity, entity_id: id, op: 'insert', data: known });
      if (err) {
        errors.push(err);
        continue;
      }
      writer.upsertRow(entity, known);
    }
    rebaseRow(writer, entity, id, acked);
  }
  removeRowsToFetch(writer, entity, rows.map((r) => r.id));
  return errors;
}

/** The failed changes named (all when `ids` is undefined). */
function failedOnes(writer: StoreWriter, ids: readonly string[] | undefined): LocalChange[] {
  const failed = writer.changes.failedChanges(-1).filter((c) => c.origin === 'local');
  return ids === undefined ? failed.reverse() : failed.reverse().filter((c) => ids.includes(c.change_id));
}

/**
 * Retry failed changes: each moves to the END of the queue (a new seq, same change_id: the server
 * deduplicates a change it did get), pending with 0 attempts, and its value is written on top of
 * the row again, so the local row and the server see the row's changes in the same order.
 * Returns the changes as they are now (pending), in their new order.
 */
export function retryFailed(writer: StoreWriter, ids: readonly string[] | undefined, now: number): LocalChange[] {
  return failedOnes(writer, ids).map((c) => {
    writer.removeChange(c.seq);
    const dataJson = c.data === null ? null : JSON.stringify(c.data);
    const { seq: _old, data: _d, ...rest } = c;
    const row = writer.addChange({ ...rest, dataJson, status: 'pending', processed_sync: 0, lsn: null, attempts: 0, last_error: null, updated_at: now });
    writeEntity(writer, c.entity, c.entity_id, c.op, c.data, dataJson ?? undefined);
    const { dataJson: _j, ...out } = row;
    return { ...out, data: c.data };
  });
}

/**
 * Discard failed changes: they are removed, and their rows are fetched again from the server
 * (the server's version then replaces the local one, with this client's other pending changes
 * re-applied on top). Returns the rows to fetch.
 */
export function discardFailed(writer: StoreWriter, ids: readonly string[] | undefined): RowRef[] {
  const gone = failedOnes(writer, ids);
  for (const c of gone) writer.removeChange(c.seq);
  const rows = gone.map((c) => ({ entity: c.entity, id: c.entity_id }));
  addRowsToFetch(writer, rows);
  return rows;
}
