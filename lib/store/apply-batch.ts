/**
 * Applying a server batch, and the entity write shared by every path (local record, server
 * change, rebase of pending changes, restore after a rejection).
 */
import type { ApplyResult, LocalChange, ServerBatch } from '../engine/ports.js';
import { StoreError } from '../errors.js';
import type { Op, Row, SchemaDeclaration } from '../protocol/index.js';
import { checkChangesOnce } from '../protocol/checked.js';
import { SNAPSHOT_CLIENT_ID } from '../protocol/server-messages.js';
import { rowKey } from './changes-table.js';
import type { StoreWriter } from './writer.js';

/**
 * Write one change to its entity table: insert = upsert of the whole row, update = only the
 * given columns, delete = delete the row. `dataJson` is `JSON.stringify(data)` when known.
 */
export function writeEntity(writer: StoreWriter, entity: string, id: string, op: Op, data: Row | null, dataJson?: string): void {
  switch (op) {
    case 'insert':
      return writer.upsertRow(entity, data ?? {}, dataJson);
    case 'update':
      return writer.patchRow(entity, id, data ?? {}, dataJson);
    case 'delete':
      return writer.deleteRow(entity, id);
  }
}

/**
 * {@link writeEntity} of each change, in order; a run of inserts into one table is written with
 * multi-row upserts. `dataJson[i]` is `JSON.stringify(changes[i].data)` (null for a delete).
 */
export function writeEntities(writer: StoreWriter, changes: readonly { entity: string; entity_id: string; op: Op; data: Row | null }[], dataJson: readonly (string | null)[]): void {
  let start = 0;
  while (start < changes.length) {
    const first = changes[start]!;
    let end = start + 1;
    if (first.op === 'insert') while (end < changes.length && changes[end]!.op === 'insert' && changes[end]!.entity === first.entity) end++;
    if (end - start > 1) {
      writer.upsertRows(first.entity, changes.slice(start, end).map((c) => c.data ?? {}), dataJson.slice(start, end) as string[]);
    } else writeEntity(writer, first.entity, first.entity_id, first.op, first.data, dataJson[start] ?? undefined);
    start = end;
  }
}

/**
 * Re-apply this client's pending changes on one row, in order (keeps the optimistic state
 * visible), together with `acked` ones of that row (acknowledged, echo not applied yet), in seq order.
 */
export function rebaseRow(writer: StoreWriter, entity: string, id: string, acked: readonly LocalChange[] = []): void {
  const pending = writer.changes.pendingForRow(entity, id);
  const mine = acked.filter((a) => a.entity === entity && a.entity_id === id);
  const all = mine.length === 0 ? pending : [...pending, ...mine].sort((a, b) => a.seq - b.seq);
  for (const p of all) writeEntity(writer, entity, id, p.op, p.data);
}

/** What {@link applyBatch} needs besides the batch. */
export interface BatchContext {
  writer: StoreWriter;
  schema: SchemaDeclaration;
  /** The local LSN before the batch. */
  currentLsn: number;
  /** This client's id: only changes carrying it can be echoes of ours. */
  clientId: string;
  /**
   * Rows (`rowKey`) already written by server changes of the same batch before these changes.
   * A batch applied change by change (quarantine.ts) passes one set through all its parts and
   * gets it filled, so that an echo of ours is written again after another client's change on
   * its row, exactly as the whole batch would do it in one part.
   */
  written?: Set<string>;
}

/**
 * Apply `batch` (call inside ONE transaction): each change gets a `local_changes` row (origin
 * server) and its entity write; a change at or below the local LSN is already applied and is
 * skipped; a change of ours (its change_id is a local row) is an echo: marked synced with its
 * LSN, not applied again; rows touched that carry pending local changes get them re-applied; the
 * LSN is set. Throws SchemaError / StoreError; the caller's transaction then rolls back.
 */
export function applyBatch(ctx: BatchContext, batch: ServerBatch, now: number): ApplyResult {
  const { writer, schema } = ctx;
  if (batch.lsn < ctx.currentLsn) throw new StoreError(`batch lsn ${batch.lsn} is behind the local lsn ${ctx.currentLsn}`, { lsn: batch.lsn });
  // The decoder checked these at the boundary (then they are not checked twice).
  const unfit = checkChangesOnce(schema, batch.changes);
  if (unfit) throw unfit;
  for (const c of batch.changes) {
    if (c.lsn > batch.lsn && !batch.snapshot) throw new StoreError(`change lsn ${c.lsn} is above its batch lsn ${batch.lsn}`, { lsn: c.lsn, change_id: c.change_id });
  }
  // Only rows with pending local changes need a rebase: find them once, not per change. So do
  // rows with changes of ours acknowledged above this batch (the ack came before the batches in
  // between, e.g. while one waited for a retry): the server applied them after this batch's
  // changes, and their echo, later, does not write them again unless its own batch wrote the row.
  // (Not for a snapshot page: its rows are the server's current ones, ours included.)
  const ackedRows = batch.snapshot ? new Set<string>() : writer.changes.ackedRowKeys(batch.lsn);
  const pendingRows = writer.changes.countByStatus().pending > 0 || ackedRows.size > 0 ? writer.changes.pendingRowKeys() : null;
  for (const key of ackedRows) pendingRows!.add(key);
  const touched = new Map<string, { entity: string; id: string }>();
  const written = ctx.written ?? new Set<string>();
  const entities = new Set<string>();
  const echoed: string[] = [];
  // Server changes are written in runs (multi-row statements); an echo that writes ends the run first.
  let run: { c: ServerBatch['changes'][number]; dataJson: string | null; history: boolean }[] = [];
  let applied = 0;
  for (const c of batch.changes) {
    // Already applied (an overlapping catch-up page or a re-sent batch): LSNs never repeat.
    if (c.lsn <= ctx.currentLsn) continue;
    const key = rowKey(c.entity, c.entity_id);
    const dataJson = c.data === null ? undefined : JSON.stringify(c.data);
    const ours = c.client_id === ctx.clientId ? writer.changes.findLocal(c.change_id) : null;
    if (ours) {
      echoed.push(c.change_id);
      markEchoSynced(writer, ours, c.lsn, now);
      // Our value is already in the row unless this batch wrote over it first: then replay ours in server order.
      if (written.has(key)) {
        writer.addServerChanges(run, now);
        run = [];
        writeEntity(writer, c.entity, c.entity_id, c.op, c.data, dataJson);
      }
      continue;
    }
    // A snapshot entry is a current row, not a change: no history row (docs/DESIGN.md).
    run.push({ c, dataJson: dataJson ?? null, history: c.client_id !== SNAPSHOT_CLIENT_ID });
    applied++;
    entities.add(c.entity);
    written.add(key);
    if (pendingRows?.has(key) && !touched.has(key)) touched.set(key, { entity: c.entity, id: c.entity_id });
  }
  writer.addServerChanges(run, now);
  // The acknowledged changes themselves (their data) only when one of their rows was touched.
  const acked = [...touched.keys()].some((k) => ackedRows.has(k)) ? writer.changes.ackedAbove(batch.lsn) : [];
  for (const { entity, id } of touched.values()) rebaseRow(writer, entity, id, acked);
  if (batch.lsn !== ctx.currentLsn) writer.setState('lsn', batch.lsn);
  return { entities: [...entities], echoed, applied };
}

function markEchoSynced(writer: StoreWriter, row: LocalChange, lsn: number, now: number): void {
  // The ack may have come first: then the row is synced already and nothing moves.
  if (row.status === 'synced' && row.lsn === lsn) return;
  writer.updateChange(row.seq, { status: 'synced', processed_sync: 1, lsn, attempts: row.attempts, last_error: row.last_error, updated_at: now });
}
