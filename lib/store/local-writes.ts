/**
 * What the store does to this client's own changes, inside the caller's transaction: record a
 * write (entity rows and pending `local_changes` rows), count an attempt, mark one failed
 * (restoring the server's row), and re-open the acked ones a restored server lost. The store
 * (store.ts) wraps each in one journaled transaction; these functions hold the rules.
 */
import type { Database } from 'sql.js';
import type { LocalChange } from '../engine/ports.js';
import { ErrorCodes, SyncError } from '../errors.js';
import { checkChange, projectRow, utf8Length, type ChangeRequest, type Row, type SchemaDeclaration } from '../protocol/index.js';
import { rebaseRow, writeEntities } from './apply-batch.js';
import type { StoreWriter } from './writer.js';

/** A local write, checked and serialised before its transaction starts (see {@link recordChecked}). */
export interface CheckedWrite {
  changes: readonly ChangeRequest[];
  /** Each change's data as JSON text (null for a delete). */
  dataJson: (string | null)[];
}

/** Check each change against the schema and the frame limit, and serialise its data once. Throws the first refusal. */
export function checkWrite(schema: SchemaDeclaration, changes: readonly ChangeRequest[], maxChangeBytes: number | undefined): CheckedWrite {
  for (const c of changes) {
    const err = checkChange(schema, c);
    if (err) throw err;
  }
  const dataJson = changes.map((c) => (c.data === null ? null : JSON.stringify(c.data)));
  if (maxChangeBytes !== undefined) changes.forEach((c, i) => checkChangeSize(c, dataJson[i]!, maxChangeBytes));
  return { changes, dataJson };
}

/** Write each change to its entity table and append its pending `local_changes` row (call inside a transaction). */
export function recordChecked(writer: StoreWriter, write: CheckedWrite, now: number, newId: () => string): LocalChange[] {
  const { changes, dataJson } = write;
  writeEntities(writer, changes, dataJson);
  const added = writer.addChanges(
    changes.map((c, i) => ({
      change_id: c.change_id ?? newId(), origin: 'local' as const, entity: c.entity, entity_id: c.entity_id, op: c.op, dataJson: dataJson[i]!, lsn: null,
      processed_local: 1 as const, processed_sync: 0 as const, status: 'pending' as const, attempts: 0, last_error: null, created_at: now, updated_at: now,
    })),
  );
  return added.map(({ dataJson: _omit, ...rest }, i) => ({ ...rest, data: changes[i]!.data }));
}

/**
 * Mark our change failed (call inside a transaction); with `serverRow`, put the server's row back
 * (null: the server has none) and re-apply our other pending changes of that row on it.
 */
export function failChange(writer: StoreWriter, schema: SchemaDeclaration, change_id: string, error: string, attempts: number, now: number, serverRow?: Row | null): void {
  const row = writer.changes.findLocal(change_id);
  if (!row || row.origin !== 'local' || row.status === 'synced') return;
  writer.updateChange(row.seq, { status: 'failed', processed_sync: 0, lsn: row.lsn, attempts, last_error: error, updated_at: now });
  if (serverRow === undefined) return;
  if (serverRow === null) {
    writer.deleteRow(row.entity, row.entity_id);
  } else {
    // A newer server's row may carry columns this schema does not know yet: they are left out.
    const known = projectRow(schema[row.entity]!, row.entity, serverRow);
    const err = checkChange(schema, { entity: row.entity, entity_id: row.entity_id, op: 'insert', data: known });
    if (err) throw err;
    writer.upsertRow(row.entity, known);
  }
  rebaseRow(writer, row.entity, row.entity_id);
}

/** Count an attempt and its error on our pending change (call inside a transaction); it stays pending. */
export function countAttempt(writer: StoreWriter, change_id: string, attempts: number, error: string, now: number): void {
  const row = writer.changes.findLocal(change_id);
  if (!row || row.status !== 'pending') return;
  writer.updateChange(row.seq, { status: 'pending', processed_sync: 0, lsn: row.lsn, attempts, last_error: error, updated_at: now });
}

/**
 * Our changes acked above `serverLsn` become pending again, same change_ids, original order (call
 * inside a transaction, which also moves the LSN back). Returns how many will be re-sent.
 */
export function reopenLost(db: Database, writer: StoreWriter, serverLsn: number, now: number): number {
  const lost = db.exec(`SELECT seq FROM local_changes WHERE origin = 'local' AND status = 'synced' AND lsn > ? ORDER BY seq`, [serverLsn])[0]?.values ?? [];
  for (const [seq] of lost) {
    writer.updateChange(Number(seq), { status: 'pending', processed_sync: 0, lsn: null, attempts: 0, last_error: null, updated_at: now });
  }
  return lost.length;
}

/** Bytes of a change's frame besides its entity, id and data (change_id, keys, op): a generous bound. */
const CHANGE_ENVELOPE_BYTES = 160;

/**
 * Refuse a change that could never leave in a `client_change` frame of `limit` bytes: sent, it
 * would be refused whole on every reconnect (the upstream cuts frames by bytes, but one change is
 * one frame at least).
 */
function checkChangeSize(c: ChangeRequest, dataJson: string | null, limit: number): void {
  const size = utf8Length(c.entity) + utf8Length(c.entity_id) + (dataJson === null ? 0 : utf8Length(dataJson)) + CHANGE_ENVELOPE_BYTES;
  if (size > limit) {
    throw new SyncError(ErrorCodes.LIMIT, `change of about ${size} bytes to ${c.entity} ${JSON.stringify(c.entity_id.slice(0, 64))} is over the limit of ${limit} bytes per frame (maxFrameBytes): not recorded`, { entity: c.entity });
  }
}
