/**
 * Server changes that cannot be applied (after the engine's bounded retries, or at once when
 * they can never fit): applied one by one, each under a SAVEPOINT; one that throws is undone and
 * written to `quarantined_changes` with its error, the others commit, and the LSN moves to the
 * batch's. The rows of quarantined changes are remembered (`sync_state` key `refetch_rows`) until
 * the server sent their current version (`fetch_rows` / `rows`), so the replica converges.
 */
import type { ApplyResult, ServerBatch } from '../engine/ports.js';
import type { Row } from '../protocol/index.js';
import { applyBatch, type BatchContext } from './apply-batch.js';
import { rowKey } from './changes-table.js';
import type { StoreWriter } from './writer.js';

/** One row of `quarantined_changes` (the type lives with the ports: the client API returns it too). */
export type { QuarantinedChange } from '../engine/ports.js';
import type { QuarantinedChange } from '../engine/ports.js';

/** A row to fetch again from the server. */
export interface RowRef {
  entity: string;
  id: string;
}

/** The table (store migration 2). */
export const QUARANTINE_DDL = `CREATE TABLE quarantined_changes (
  lsn INTEGER PRIMARY KEY,
  change_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  op TEXT NOT NULL,
  data TEXT,
  error TEXT NOT NULL,
  quarantined_at INTEGER NOT NULL
)`;

export const QUARANTINE_INSERT =
  'INSERT OR REPLACE INTO quarantined_changes (lsn, change_id, client_id, entity, entity_id, op, data, error, quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** `sync_state` key of the rows still to fetch (JSON array of [entity, id]). */
export const REFETCH_KEY = 'refetch_rows';

/** What a quarantining apply did. */
export interface QuarantineResult extends ApplyResult {
  /** The changes put in quarantine. */
  quarantined: QuarantinedChange[];
}

/** Apply `batch` change by change (call inside ONE transaction); see the module comment. */
export function applyQuarantining(ctx: BatchContext, batch: ServerBatch, now: number): QuarantineResult {
  const { writer } = ctx;
  const out: QuarantineResult = { entities: [], echoed: [], applied: 0, quarantined: [] };
  // The rows written so far by this batch, shared by its one-change parts (see BatchContext.written).
  const written = new Set<string>();
  const part: BatchContext = { ...ctx, written };
  for (const c of batch.changes) {
    if (c.lsn <= ctx.currentLsn) continue;
    const key = rowKey(c.entity, c.entity_id);
    const wasWritten = written.has(key);
    try {
      const r = writer.savepoint(() => applyBatch(part, { prev_lsn: batch.prev_lsn, lsn: batch.lsn, changes: [c] }, now));
      out.applied += r.applied;
      out.echoed.push(...r.echoed);
      for (const e of r.entities) if (!out.entities.includes(e)) out.entities.push(e);
    } catch (cause) {
      // Undone: it wrote nothing (its row is fetched again).
      if (!wasWritten) written.delete(key);
      const q: QuarantinedChange = {
        lsn: c.lsn, change_id: c.change_id, client_id: c.client_id, entity: c.entity, entity_id: c.entity_id, op: c.op,
        data: c.data === null ? null : JSON.stringify(c.data), error: cause instanceof Error ? cause.message : String(cause), quarantined_at: now,
      };
      writer.addQuarantined(q);
      out.quarantined.push(q);
      // Our own change came back unusable: it still proves the server applied it at c.lsn. Mark it
      // synced as an echo would, or it would stay pending and be re-applied over later changes.
      const ours = c.client_id === ctx.clientId ? writer.changes.findLocal(c.change_id) : null;
      if (ours && ours.status !== 'synced') {
        writer.updateChange(ours.seq, { status: 'synced', processed_sync: 1, lsn: c.lsn, attempts: ours.attempts, last_error: ours.last_error, updated_at: now });
        out.echoed.push(c.change_id);
      }
    }
  }
  addRowsToFetch(writer, out.quarantined.map((q) => ({ entity: q.entity, id: q.entity_id })));
  writer.setState('lsn', batch.lsn);
  return out;
}

/** The rows still to fetch from the server. */
export function rowsToFetch(writer: StoreWriter): RowRef[] {
  const v = writer.getState(REFETCH_KEY);
  if (typeof v !== 'string') return [];
  return (JSON.parse(v) as [string, string][]).map(([entity, id]) => ({ entity, id }));
}

/** Remember rows to fetch (call inside a transaction). */
export function addRowsToFetch(writer: StoreWriter, rows: readonly RowRef[]): void {
  if (rows.length === 0) return;
  const all = rowsToFetch(writer);
  for (const r of rows) if (!all.some((a) => a.entity === r.entity && a.id === r.id)) all.push(r);
  writer.setState(REFETCH_KEY, JSON.stringify(all.map((r) => [r.entity, r.id])));
}

/** Forget fetched rows (call inside a transaction). */
export function removeRowsToFetch(writer: StoreWriter, entity: string, ids: readonly string[]): void {
  const all = rowsToFetch(writer);
  const left = all.filter((r) => !(r.entity === entity && ids.includes(r.id)));
  if (left.length !== all.length) writer.setState(REFETCH_KEY, left.length === 0 ? null : JSON.stringify(left.map((r) => [r.entity, r.id])));
}

/** A fetched row as the server sent it (`row` null: the server has no such row). */
export interface FetchedRowInput {
  id: string;
  row: Row | null;
}
