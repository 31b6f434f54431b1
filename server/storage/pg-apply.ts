/**
 * One `client_change` frame applied in ONE PostgreSQL transaction (the same rules as the SQLite
 * LogStore.applyChanges). LSNs: the transaction takes a transaction-scoped advisory lock before it
 * reads max(lsn), and holds it until COMMIT, so the next writer can only number its changes after
 * this one is committed and visible: LSNs increase strictly in commit order, and a reader that
 * sees LSN n has every LSN below n (see docs/DESIGN.md, "PostgreSQL backend").
 *
 * Few round trips: the frame is cut, in order, into BATCHES of changes to pairwise distinct rows
 * (and distinct change_ids), so every change of a batch sees the rows as they were before the
 * batch, exactly as if the changes ran one by one. A batch's current rows (when access rules or
 * an older client need them) are read with one query per table, and its changes are written by
 * RUNS (consecutive changes of the same table, op and column set): one statement per run
 * (pg-batch.ts). The frame's last run, its log, row versions and NOTIFY go in one closing
 * statement. The writes are not awaited one by one: they go out back to back on the pipelined
 * connection, behind the begin and with the COMMIT behind them (pg-pipeline.ts), and are settled
 * together. The changes are numbered from 0 here and from the base (max(lsn) under the lock) in
 * SQL (beginFrames), and the answers are moved by the base once it is known, so a group of frames
 * without reads (no access rules, no older client) takes ONE round trip. A read (the rows before a
 * batch) first settles what was sent, so it sees the writes before it and a refusal is known
 * before anything depends on it.
 *
 * A refused statement aborts a PostgreSQL transaction, so the frames first run in the common
 * case's way (pg-retry.ts): no dedupe lookup (the log's unique index refuses a change_id sent
 * before: then again with the lookup) and no savepoints (a change refused: the frame again with
 * one savepoint per run, and one per change inside a refused run: exactly the refused change is
 * rejected, the others apply).
 */
import { ErrorCodes } from '../../lib/errors.js';
import { checkChange, safeText, type AckEntry, type ClientChange, type Row, type SchemaDeclaration, type ServerChange } from '../../lib/protocol/index.js';
import { fillForOlderClient } from '../entities.js';
import type { ApplyOutcome, KnownColumns, PermitFn } from '../store.js';
import type { FrameRequest } from './types.js';
import { beginFrames, currentRows, frameEnd, runKey, runStatement, type LogEntry } from './pg-batch.js';
import { isRefusal, type PgEntities } from './pg-entities.js';
import { Pipeline } from './pg-pipeline.js';
import { NeedsLookup, NeedsSavepoints, runRefused, settle, type Mode } from './pg-retry.js';
import type { PoolClient } from './pg-types.js';

/** What a frame's apply needs of its store. */
export interface ApplyContext {
  readonly schema: SchemaDeclaration;
  readonly entities: PgEntities;
  readonly maxChangeBytes: number;
  readonly now: () => number;
  /** The NOTIFY channel of the schema. */
  readonly channel: string;
}

/** Most changes in one batch (bounds the statements' size). */
const MAX_BATCH = 2000;

type Refusal = { code: string; reason: string };

/** One attempt at a frame: its parameters and what it has done so far. */
interface Attempt {
  readonly db: PoolClient;
  readonly ctx: ApplyContext;
  readonly clientId: string;
  readonly permit: PermitFn | null;
  readonly sub: string | null;
  readonly known: KnownColumns;
  readonly mode: Mode;
  readonly now: number;
  /** change_id -> LSN of the changes already in the log (this frame's too). */
  readonly logged: Map<string, number>;
  /** One per change of the frame, by its index. */
  readonly acks: AckEntry[];
  readonly committed: ServerChange[];
  readonly log: LogEntry[];
  lsn: number;
  /** The frame's last run, left for the frame's closing statement (fast path only). */
  deferred: ClientChange[] | null;
  /** The writes sent and not yet settled (shared by the frames of a group). */
  readonly pipe: Pipeline;
}

/** Apply a frame: dedupe, check, write, log; COMMIT. Rolls back and throws on a database failure. */
export async function applyFrame(
  db: PoolClient, ctx: ApplyContext, clientId: string, changes: readonly ClientChange[], permit: PermitFn | null, sub: string | null, known: KnownColumns,
): Promise<ApplyOutcome> {
  const frame: FrameRequest = { clientId, changes, permit, sub, known };
  for (let mode: Mode = 'optimistic'; ; ) {
    try {
      return (await attempt(db, ctx, [frame], mode))[0]!;
    } catch (e) {
      await db.query({ text: 'ROLLBACK' }).catch(() => undefined);
      if (e instanceof NeedsLookup) mode = 'checked';
      else if (e instanceof NeedsSavepoints) mode = 'savepoints';
      else throw e;
    }
  }
}

/**
 * Group commit: frames that waited for the same turn, in ONE transaction and one COMMIT, each
 * answered as if it had been applied alone right after the one before it (its own acks, LSNs and
 * prevLsn). A change_id logged before makes the group run again, still whole, with the lookup;
 * when a change of any of them is refused, the group is rolled back and each frame is applied on
 * its own (applyFrame, savepoints and all). Rolls back and throws on a database failure.
 */
export async function applyFrames(db: PoolClient, ctx: ApplyContext, frames: readonly FrameRequest[]): Promise<ApplyOutcome[]> {
  if (frames.length === 1) return [await applyFrame(db, ctx, frames[0]!.clientId, frames[0]!.changes, frames[0]!.permit, frames[0]!.sub, frames[0]!.known)];
  for (let mode: Mode = 'optimistic'; ; mode = 'checked') {
    try {
      return await attempt(db, ctx, frames, mode);
    } catch (e) {
      await db.query({ text: 'ROLLBACK' }).catch(() => undefined);
      if (e instanceof NeedsSavepoints) break;
      if (!(e instanceof NeedsLookup)) throw e;
    }
  }
  const out: ApplyOutcome[] = [];
  for (const f of frames) out.push(await applyFrame(db, ctx, f.clientId, f.changes, f.permit, f.sub, f.known));
  return out;
}

async function attempt(db: PoolClient, ctx: ApplyContext, frames: readonly FrameRequest[], mode: Mode): Promise<ApplyOutcome[]> {
  const pipe = new Pipeline(db);
  // LSNs are numbered from 0 here and from the base in SQL (beginFrames), and moved by the base at the end.
  const begun = beginFrames(db, pipe, frames, mode !== 'optimistic');
  // change_id -> LSN per client, shared by its frames (a later frame's re-send of an earlier one's change is a duplicate).
  const loggedBy = await begun.logged;
  let lsn = 0;
  const now = ctx.now();
  const out: ApplyOutcome[] = [];
  for (const f of frames) {
    const a: Attempt = { db, ctx, clientId: f.clientId, permit: f.permit, sub: f.sub, known: f.known, mode, now, logged: loggedBy.get(f.clientId)!, acks: new Array<AckEntry>(f.changes.length), committed: [], log: [], lsn, deferred: null, pipe };
    await applyBody(a, f.changes);
    // The last run, the log, the row versions, and the NOTIFY the other nodes learn of the commit by (delivered at COMMIT, in commit order).
    if (a.log.length > 0) pipe.send(frameEnd(ctx.schema, a.deferred, a.log, f.clientId, now, f.sub, ctx.channel));
    out.push({ acks: a.acks, committed: a.committed, prevLsn: lsn });
    lsn = a.lsn;
  }
  // Every answer follows the COMMIT: none is given unless each statement and the COMMIT itself succeeded.
  const commit = pipe.send({ text: 'COMMIT' });
  await settle(pipe, mode);
  if ((await commit).command !== 'COMMIT') throw new Error(`PostgreSQL ended the transaction with ${(await commit).command}, not COMMIT`);
  const base = await begun.base;
  return out.map((o) => fromBase(o, base));
}

/** An outcome numbered from 0, numbered from `base`. */
function fromBase(o: ApplyOutcome, base: number): ApplyOutcome {
  for (const c of o.committed) c.lsn += base;
  return {
    acks: o.acks.map((ack) => (ack.status === 'rejected' ? ack : { ...ack, lsn: ack.lsn + base })),
    committed: o.committed,
    prevLsn: o.prevLsn + base,
  };
}

/** Dedupe, check and write one frame's changes (all but its last run, on the fast path: see frameEnd). */
async function applyBody(a: Attempt, changes: readonly ClientChange[]): Promise<void> {
  let batch: number[] = [];
  const rows = new Set<string>();
  const ids = new Set<string>();
  for (let i = 0; i < changes.length; i++) {
    const sent = changes[i]!;
    const row = `${sent.entity}\u0000${sent.entity_id}`;
    // A second change of a row (or a change_id again) waits until the batch before it is written.
    if (rows.has(row) || ids.has(sent.change_id) || batch.length >= MAX_BATCH) {
      await runBatch(a, batch.map((k) => ({ i: k, sent: changes[k]! })), false);
      batch = [];
      rows.clear();
      ids.clear();
    }
    const seen = a.logged.get(sent.change_id);
    if (seen !== undefined) {
      // Already in the log (a re-send, or twice in one frame): same answer as the first time.
      a.acks[i] = { change_id: sent.change_id, status: 'duplicate', lsn: seen };
      continue;
    }
    batch.push(i);
    rows.add(row);
    ids.add(sent.change_id);
  }
  await runBatch(a, batch.map((k) => ({ i: k, sent: changes[k]! })), true);
}

/** The current row of each change (null: none), one query per table (after the writes sent before it are settled). */
async function rowsOf(a: Attempt, changes: readonly ClientChange[]): Promise<(Row | null)[]> {
  await settle(a.pipe, a.mode);
  const out: (Row | null)[] = changes.map(() => null);
  const byEntity = new Map<string, number[]>();
  changes.forEach((c, k) => (byEntity.get(c.entity) ?? byEntity.set(c.entity, []).get(c.entity)!).push(k));
  for (const [entity, ks] of byEntity) {
    const got = await currentRows(a.db, a.ctx.schema, entity, ks.map((k) => changes[k]!.entity_id));
    ks.forEach((k, j) => (out[k] = got[j]!));
  }
  return out;
}

/** Check, write and ack a batch (changes to distinct rows, in frame order); `last`: the frame's last batch. */
async function runBatch(a: Attempt, batch: readonly { i: number; sent: ClientChange }[], last: boolean): Promise<void> {
  if (batch.length === 0) return;
  const { ctx } = a;
  // The rows before the batch: the permission check and an older client's insert need them.
  let current = a.permit !== null || a.known !== null ? await rowsOf(a, batch.map((b) => b.sent)) : null;
  const changes: ClientChange[] = [];
  const json: (string | null)[] = [];
  const refusals: (Refusal | null)[] = [];
  for (let k = 0; k < batch.length; k++) {
    const sent = batch[k]!.sent;
    const def = Object.prototype.hasOwnProperty.call(ctx.schema, sent.entity) ? ctx.schema[sent.entity] : undefined;
    // An older client's insert keeps the columns it does not know (see fillForOlderClient).
    const change = a.known === null ? sent : fillForOlderClient(sent, def, a.known.get(sent.entity), sent.op === 'insert' && def ? current![k]! : null);
    const dataJson = change.data === null ? null : JSON.stringify(change.data);
    changes.push(change);
    json.push(dataJson);
    refusals.push(check(a, change, dataJson, current?.[k] ?? null));
  }
  const refused = batch.map((_, k) => k).filter((k) => refusals[k] !== null);
  if (current === null && refused.length > 0) {
    const got = await rowsOf(a, refused.map((k) => changes[k]!));
    current = batch.map(() => null);
    refused.forEach((k, j) => (current![k] = got[j]!));
  }
  // Runs: consecutive changes (of those that passed) of one table, op and column set.
  const passed = batch.map((_, k) => k).filter((k) => refusals[k] === null);
  for (let r = 0; r < passed.length; ) {
    const key = runKey(ctx.schema, changes[passed[r]!]!);
    let end = r + 1;
    while (end < passed.length && runKey(ctx.schema, changes[passed[end]!]!) === key) end++;
    const run = passed.slice(r, end);
    const outcome = await writeRunOrEach(a, run.map((k) => changes[k]!), last && end === passed.length);
    for (let j = 0; j < run.length; j++) {
      if (outcome[j] === null) continue;
      refusals[run[j]!] = outcome[j]!;
      (current ??= batch.map(() => null))[run[j]!] = await ctx.entities.current(a.db, changes[run[j]!]!.entity, changes[run[j]!]!.entity_id);
    }
    r = end;
  }
  // Acks and LSNs in frame order.
  for (let k = 0; k < batch.length; k++) {
    const change = changes[k]!;
    const refusal = refusals[k];
    if (refusal) {
      a.acks[batch[k]!.i] = { change_id: change.change_id, status: 'rejected', code: refusal.code, reason: safeText(refusal.reason), row: current![k] ?? null };
      continue;
    }
    const lsn = ++a.lsn;
    a.logged.set(change.change_id, lsn);
    a.log.push({ lsn, change_id: change.change_id, entity: change.entity, entity_id: change.entity_id, op: change.op, data: json[k]! });
    a.committed.push({ lsn, change_id: change.change_id, client_id: a.clientId, entity: change.entity, entity_id: change.entity_id, op: change.op, data: change.data });
    a.acks[batch[k]!.i] = { change_id: change.change_id, status: 'applied', lsn };
  }
}

/** Why a change may not apply before it is written (size, schema, permission), or null. */
function check(a: Attempt, change: ClientChange, dataJson: string | null, current: Row | null): Refusal | null {
  const size = Buffer.byteLength(change.entity_id) + (dataJson === null ? 0 : Buffer.byteLength(dataJson));
  if (size > a.ctx.maxChangeBytes) return { code: ErrorCodes.LIMIT, reason: `change of ${size} bytes is over the server's limit of ${a.ctx.maxChangeBytes} bytes (maxChangeBytes): not applied` };
  const schemaError = checkChange(a.ctx.schema, change);
  if (schemaError) return { code: ErrorCodes.SCHEMA, reason: schemaError.message };
  const denied = a.permit ? a.permit(change, { client_id: a.clientId, sub: a.sub }, current) : null;
  return denied === null ? null : { code: ErrorCodes.REJECTED, reason: `permission denied: ${denied}` };
}

/**
 * Write a run in one statement (the frame's last one, on the fast path: in the closing statement);
 * if it is refused (savepoint attempt only), each change alone: the refusal of each.
 */
async function writeRunOrEach(a: Attempt, run: ClientChange[], lastOfFrame: boolean): Promise<(Refusal | null)[]> {
  const { db, ctx } = a;
  if (a.mode !== 'savepoints') {
    if (lastOfFrame) a.deferred = run;
    else a.pipe.send(runStatement(ctx.schema, run));
    return run.map(() => null);
  }
  await settle(a.pipe, a.mode);
  await db.query({ text: 'SAVEPOINT rsw_run' });
  try {
    await db.query(runStatement(ctx.schema, run));
    await db.query({ text: 'RELEASE SAVEPOINT rsw_run' });
    return run.map(() => null);
  } catch (e) {
    if (!runRefused(e)) throw e;
    await db.query({ text: 'ROLLBACK TO SAVEPOINT rsw_run' });
  }
  const out: (Refusal | null)[] = [];
  for (const change of run) {
    await db.query({ text: 'SAVEPOINT rsw_change' });
    try {
      await ctx.entities.apply(db, change);
      await db.query({ text: 'RELEASE SAVEPOINT rsw_change' });
      out.push(null);
    } catch (e) {
      if (!isRefusal(e)) throw e;
      await db.query({ text: 'ROLLBACK TO SAVEPOINT rsw_change' });
      out.push({ code: ErrorCodes.REJECTED, reason: `constraint: ${(e as Error).message}` });
    }
  }
  await db.query({ text: 'RELEASE SAVEPOINT rsw_run' });
  return out;
}
