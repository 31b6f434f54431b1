/**
 * One `client_change` frame applied in ONE PostgreSQL transaction (the same rules as the SQLite
 * LogStore.applyChanges). LSNs: the transaction takes a transaction-scoped advisory lock before it
 * reads max(lsn), and holds it until COMMIT, so the next writer can only number its changes after
 * this one is committed and visible: LSNs increase strictly in commit order, and a reader that
 * sees LSN n has every LSN below n (see docs/DESIGN.md, "PostgreSQL backend").
 *
 * A change refused by a constraint aborts a PostgreSQL transaction, so the frame first runs
 * without savepoints (the common case, fewest round trips); if a change is refused the whole
 * frame is rolled back and run again with one savepoint per change.
 */
import { ErrorCodes } from '../../lib/errors.js';
import { checkChange, safeText, type AckEntry, type ClientChange, type SchemaDeclaration, type ServerChange } from '../../lib/protocol/index.js';
import { fillForOlderClient } from '../entities.js';
import type { ApplyOutcome, KnownColumns, PermitFn } from '../store.js';
import { isRefusal, type PgEntities } from './pg-entities.js';
import { versionsUpsert } from './pg-snapshot.js';
import { LSN_LOCK_SQL, type PoolClient } from './pg-types.js';

/** What a frame's apply needs of its store. */
export interface ApplyContext {
  readonly schema: SchemaDeclaration;
  readonly entities: PgEntities;
  readonly maxChangeBytes: number;
  readonly now: () => number;
  /** The NOTIFY channel of the schema. */
  readonly channel: string;
}

/** Thrown inside the fast path when a change is refused: the frame is re-run with savepoints. */
class NeedsSavepoints extends Error {}

/** Most rows in one INSERT into the change log (9 parameters each, PostgreSQL allows 65535). */
const LOG_ROWS_PER_INSERT = 5000;

/** Apply a frame: dedupe, check, write, log; COMMIT. Rolls back and throws on a database failure. */
export async function applyFrame(
  db: PoolClient, ctx: ApplyContext, clientId: string, changes: readonly ClientChange[], permit: PermitFn | null, sub: string | null, known: KnownColumns,
): Promise<ApplyOutcome> {
  try {
    return await attempt(db, ctx, clientId, changes, permit, sub, known, false);
  } catch (e) {
    await db.query({ text: 'ROLLBACK' }).catch(() => undefined);
    if (!(e instanceof NeedsSavepoints)) throw e;
  }
  try {
    return await attempt(db, ctx, clientId, changes, permit, sub, known, true);
  } catch (e) {
    await db.query({ text: 'ROLLBACK' }).catch(() => undefined);
    throw e;
  }
}

async function attempt(
  db: PoolClient, ctx: ApplyContext, clientId: string, changes: readonly ClientChange[], permit: PermitFn | null, sub: string | null, known: KnownColumns, savepoints: boolean,
): Promise<ApplyOutcome> {
  // One round trip: the transaction, the origin mark (the capture triggers skip the server's own writes), the lock, the LSN.
  const begun = (await db.query(`BEGIN; SET LOCAL rsw.origin = 'server'; ${LSN_LOCK_SQL}; SELECT coalesce(max(lsn), 0)::int8 AS m FROM rsw_change_log`)) as unknown as { rows: { m: number }[] }[];
  const prevLsn = Number(begun[begun.length - 1]!.rows[0]!.m);
  const logged = new Map<string, number>();
  const ids = changes.map((c) => c.change_id);
  const dup = await db.query({ text: 'SELECT change_id, lsn FROM rsw_change_log WHERE client_id = $1 AND change_id = ANY($2::text[])', values: [clientId, ids] });
  for (const r of dup.rows as { change_id: string; lsn: number }[]) logged.set(r.change_id, Number(r.lsn));
  const acks: AckEntry[] = [];
  const committed: ServerChange[] = [];
  const logValues: unknown[] = [];
  const now = ctx.now();
  let lsn = prevLsn;
  for (const sent of changes) {
    const seen = logged.get(sent.change_id);
    if (seen !== undefined) {
      acks.push({ change_id: sent.change_id, status: 'duplicate', lsn: seen });
      continue;
    }
    const change = known === null ? sent : await forOlderClient(db, ctx, sent, known);
    const dataJson = change.data === null ? null : JSON.stringify(change.data);
    const size = Buffer.byteLength(change.entity_id) + (dataJson === null ? 0 : Buffer.byteLength(dataJson));
    const refusal =
      size > ctx.maxChangeBytes
        ? { code: ErrorCodes.LIMIT, reason: `change of ${size} bytes is over the server's limit of ${ctx.maxChangeBytes} bytes (maxChangeBytes): not applied` }
        : await tryApply(db, ctx, change, permit, clientId, sub, savepoints);
    if (refusal !== null) {
      const row = await ctx.entities.current(db, change.entity, change.entity_id);
      acks.push({ change_id: change.change_id, status: 'rejected', code: refusal.code, reason: safeText(refusal.reason), row });
      continue;
    }
    lsn++;
    logged.set(change.change_id, lsn);
    logValues.push(lsn, change.change_id, clientId, change.entity, change.entity_id, change.op, dataJson, now, sub);
    committed.push({ lsn, change_id: change.change_id, client_id: clientId, entity: change.entity, entity_id: change.entity_id, op: change.op, data: change.data });
    acks.push({ change_id: change.change_id, status: 'applied', lsn });
  }
  for (let i = 0; i < logValues.length; i += 9 * LOG_ROWS_PER_INSERT) {
    const chunk = logValues.slice(i, i + 9 * LOG_ROWS_PER_INSERT);
    const rows: string[] = [];
    for (let r = 0; r < chunk.length / 9; r++) rows.push(`(${Array.from({ length: 9 }, (_, k) => `$${r * 9 + k + 1}`).join(', ')})`);
    await db.query({ text: `INSERT INTO rsw_change_log (lsn, change_id, client_id, entity, entity_id, op, data, created_at, sub) VALUES ${rows.join(', ')}`, values: chunk });
  }
  const versions = versionsUpsert(committed);
  if (versions !== null) await db.query(versions);
  // The other nodes learn of the commit (delivered at COMMIT, in commit order).
  if (committed.length > 0) await db.query({ text: 'SELECT pg_notify($1, $2)', values: [ctx.channel, String(lsn)] });
  await db.query({ text: 'COMMIT' });
  return { acks, committed, prevLsn };
}

async function forOlderClient(db: PoolClient, ctx: ApplyContext, change: ClientChange, known: NonNullable<KnownColumns>): Promise<ClientChange> {
  const def = Object.prototype.hasOwnProperty.call(ctx.schema, change.entity) ? ctx.schema[change.entity] : undefined;
  const current = change.op === 'insert' && def ? await ctx.entities.current(db, change.entity, change.entity_id) : null;
  return fillForOlderClient(change, def, known.get(change.entity), current);
}

async function tryApply(
  db: PoolClient, ctx: ApplyContext, change: ClientChange, permit: PermitFn | null, clientId: string, sub: string | null, savepoints: boolean,
): Promise<{ code: string; reason: string } | null> {
  const schemaError = checkChange(ctx.schema, change);
  if (schemaError) return { code: ErrorCodes.SCHEMA, reason: schemaError.message };
  const denied = permit ? permit(change, { client_id: clientId, sub }, await ctx.entities.current(db, change.entity, change.entity_id)) : null;
  if (denied !== null) return { code: ErrorCodes.REJECTED, reason: `permission denied: ${denied}` };
  if (savepoints) await db.query({ text: 'SAVEPOINT rsw_change' });
  try {
    await ctx.entities.apply(db, change);
  } catch (e) {
    if (!isRefusal(e)) throw e;
    if (!savepoints) throw new NeedsSavepoints();
    await db.query({ text: 'ROLLBACK TO SAVEPOINT rsw_change' });
    return { code: ErrorCodes.REJECTED, reason: `constraint: ${(e as Error).message}` };
  }
  if (savepoints) await db.query({ text: 'RELEASE SAVEPOINT rsw_change' });
  return null;
}
