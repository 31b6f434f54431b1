/**
 * One `client_change` frame applied to the SQLite store, inside its transaction (see
 * LogStore.applyChanges): per change, in order, the dedupe by (client_id, change_id), the size
 * cap, the schema, the permission (with the row as stored right before the change) and the
 * entity table write; a change that fails is acked `rejected` with the current row and the others
 * still apply. The log rows and row versions of the frame are written at its end (sqlite-log.ts).
 */
import Database from 'better-sqlite3';
import { checkChange, safeText, type AckEntry, type ClientChange, type SchemaDeclaration, type ServerChange } from '../../lib/protocol/index.js';
import { ErrorCodes } from '../../lib/errors.js';
import { fillForOlderClient, type EntityTables } from '../entities.js';
import type { ApplyOutcome, KnownColumns, PermitFn } from '../store.js';
import type { LogWriter } from './sqlite-log.js';

/** What applying a frame needs of the store. */
export interface FrameContext {
  readonly schema: SchemaDeclaration;
  readonly entities: EntityTables;
  readonly log: LogWriter;
  /** Largest change, in UTF-8 bytes of entity_id + data JSON. */
  readonly maxChangeBytes: number;
  /** The frame's `created_at` (one clock reading per frame). */
  readonly now: number;
}

/** Who sent the frame, and what applies to it. */
export interface FrameWriter {
  readonly clientId: string;
  /** The token subject, logged with each change (null: open server). */
  readonly sub: string | null;
  readonly permit: PermitFn | null;
  /** The columns an older client's schema version knows (null: the newest). */
  readonly known: KnownColumns;
}

/** Apply `changes` after LSN `prevLsn` (the log's last); the caller's LSN moves by `committed.length`. */
export function applyFrame(ctx: FrameContext, prevLsn: number, who: FrameWriter, changes: readonly ClientChange[]): ApplyOutcome {
  const { clientId, sub, known } = who;
  const acks: AckEntry[] = [];
  const committed: ServerChange[] = [];
  // Dedupe: what the log already holds, then what this frame logs (see sqlite-log.ts).
  const logged = ctx.log.logged(clientId, changeIds(changes));
  const rows = ctx.log.frame();
  let lsn = prevLsn;
  for (const sent of changes) {
    const dup = logged.get(sent.change_id);
    if (dup !== undefined) {
      // Already in the log (a re-send, or twice in one frame): same answer as the first time.
      acks.push({ change_id: sent.change_id, status: 'duplicate', lsn: dup });
      continue;
    }
    // An older client's insert keeps the columns it does not know (see fillForOlderClient).
    const change = known === null ? sent : forOlderClient(ctx, sent, known);
    const dataJson = change.data === null ? null : JSON.stringify(change.data);
    const chars = change.entity_id.length + (dataJson === null ? 0 : dataJson.length);
    // At most 3 UTF-8 bytes per code unit: count bytes only when that bound could pass the cap.
    const size = chars * 3 <= ctx.maxChangeBytes ? chars : Buffer.byteLength(change.entity_id) + (dataJson === null ? 0 : Buffer.byteLength(dataJson));
    const refusal =
      size > ctx.maxChangeBytes
        ? { code: ErrorCodes.LIMIT, reason: `change of ${size} bytes is over the server's limit of ${ctx.maxChangeBytes} bytes (maxChangeBytes): not applied` }
        : tryApply(ctx, change, who);
    if (refusal !== null) {
      acks.push({ change_id: change.change_id, status: 'rejected', code: refusal.code, reason: safeText(refusal.reason), row: ctx.entities.current(change.entity, change.entity_id) });
      continue;
    }
    lsn++;
    logged.set(change.change_id, lsn);
    rows.next().push(lsn, change.change_id, clientId, change.entity, change.entity_id, change.op, dataJson, ctx.now, sub);
    committed.push({ lsn, change_id: change.change_id, client_id: clientId, entity: change.entity, entity_id: change.entity_id, op: change.op, data: change.data });
    acks.push({ change_id: change.change_id, status: 'applied', lsn });
  }
  ctx.log.flush(rows, prevLsn);
  return { acks, committed, prevLsn };
}

function forOlderClient(ctx: FrameContext, change: ClientChange, known: NonNullable<KnownColumns>): ClientChange {
  const def = Object.prototype.hasOwnProperty.call(ctx.schema, change.entity) ? ctx.schema[change.entity] : undefined;
  const current = change.op === 'insert' && def ? ctx.entities.current(change.entity, change.entity_id) : null;
  return fillForOlderClient(change, def, known.get(change.entity), current);
}

/** Write a change to its entity table if it may apply; else say why not (schema, permission, constraint). */
function tryApply(ctx: FrameContext, change: ClientChange, who: FrameWriter): { code: string; reason: string } | null {
  const schemaError = checkChange(ctx.schema, change);
  if (schemaError) return { code: ErrorCodes.SCHEMA, reason: schemaError.message };
  const denied = who.permit ? who.permit(change, { client_id: who.clientId, sub: who.sub }, ctx.entities.current(change.entity, change.entity_id)) : null;
  if (denied !== null) return { code: ErrorCodes.REJECTED, reason: `permission denied: ${denied}` };
  try {
    ctx.entities.apply(change);
    return null;
  } catch (e) {
    // A constraint (NOT NULL key, datatype mismatch...) refused it; the statement wrote nothing.
    if (e instanceof Database.SqliteError && (e.code.startsWith('SQLITE_CONSTRAINT') || e.code === 'SQLITE_MISMATCH')) {
      return { code: ErrorCodes.REJECTED, reason: `constraint: ${e.message}` };
    }
    throw e;
  }
}

/** The change_ids of a frame, in order. */
function* changeIds(changes: readonly ClientChange[]): IterableIterator<string> {
  for (const c of changes) yield c.change_id;
}
