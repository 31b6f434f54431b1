/**
 * Replaying journal operations on open (see the list in writer.ts): the same statements the live
 * writes ran, nothing journaled again. Runs of server changes (`S`) are written together with
 * multi-row statements, as they were when applied.
 */
import type { Database, SqlValue } from 'sql.js';
import type { ChangeRow, ChangeState, ChangeStatements } from './changes-table.js';
import type { EntityStatements } from './entity-statements.js';
import { QUARANTINE_INSERT } from './quarantine.js';
import { rowOf, writeServerRows, type ServerRowWrite } from './server-rows.js';

/** What a replay writes to (the writer's statements, inside its transaction). */
export interface ReplayTarget {
  entities: EntityStatements;
  changes: ChangeStatements;
  db: Database;
  putState(key: string, value: SqlValue): void;
  /** Empty the replica (the `R` operation). */
  reset(): void;
}

const q = JSON.stringify;

/** Apply `ops` in order; returns the highest `local_changes` seq they wrote (0 if none). Throws on a bad operation. */
export function replayOps(t: ReplayTarget, ops: readonly unknown[]): number {
  let highest = 0;
  let run: ServerRowWrite[] = [];
  let runNow = 0;
  const flush = (): void => {
    if (run.length > 0) writeServerRows(t.entities, t.changes, run, runNow);
    run = [];
  };
  for (const op of ops) {
    const s = serverOp(op);
    if (s === null || (run.length > 0 && s.now !== runNow)) flush();
    if (s === null) {
      highest = Math.max(highest, replayOne(t, op));
      continue;
    }
    run.push(s.row);
    runNow = s.now;
    highest = Math.max(highest, s.row.seq);
  }
  flush();
  return highest;
}

/** One operation other than `S`; returns the seq it wrote, or 0. */
function replayOne(t: ReplayTarget, op: unknown): number {
  if (!Array.isArray(op)) throw new Error('operation is not an array');
  const a = op as unknown[];
  switch (a[0]) {
    case 'u':
      t.entities.upsert(str(a[1]), rowOf(a[2]));
      return 0;
    case 'p':
      t.entities.patch(str(a[1]), str(a[2]), rowOf(a[3]));
      return 0;
    case 'd':
      t.entities.remove(str(a[1]), str(a[2]));
      return 0;
    case 'c': {
      const [, seq, change_id, origin, entity, entity_id, kind, data, lsn, pl, ps, status, attempts, last_error, created_at, updated_at] = a;
      const r = {
        seq, change_id, origin, entity, entity_id, op: kind, dataJson: data === null ? null : q(data), lsn,
        processed_local: pl, processed_sync: ps, status, attempts, last_error, created_at, updated_at,
      } as ChangeRow;
      t.changes.add(r);
      return r.seq;
    }
    case 'm': {
      const [, seq, status, ps, lsn, attempts, last_error, updated_at] = a;
      t.changes.update(seq as number, { status, processed_sync: ps, lsn, attempts, last_error, updated_at } as ChangeState);
      return 0;
    }
    case 'x':
      t.changes.pruneSynced(a[1] as number);
      return 0;
    case 's':
      t.putState(str(a[1]), a[2] as SqlValue);
      return 0;
    case 'q': {
      const [, lsn, change_id, client_id, entity, entity_id, kind, data, error, now] = a;
      t.db.run(QUARANTINE_INSERT, [lsn, change_id, client_id, entity, entity_id, kind, data, error, now] as SqlValue[]);
      return 0;
    }
    case 'z':
      t.db.run('DELETE FROM local_changes WHERE seq = ?', [a[1] as number]);
      return 0;
    case 'R':
      t.reset();
      return 0;
    default:
      throw new Error(`unknown operation ${q(a[0])}`);
  }
}

/** An `S` operation as the row it writes, or null for any other operation. */
function serverOp(op: unknown): { row: ServerRowWrite; now: number } | null {
  if (!Array.isArray(op) || op[0] !== 'S') return null;
  const [, seq, change_id, entity, entity_id, kind, data, lsn, now] = op as unknown[];
  if (kind !== 'insert' && kind !== 'update' && kind !== 'delete') throw new Error('bad op');
  if (typeof seq !== 'number' || typeof lsn !== 'number' || typeof now !== 'number') throw new Error('bad server change operation');
  return { row: { seq, change_id: str(change_id), entity: str(entity), entity_id: str(entity_id), op: kind, data: kind === 'delete' ? null : rowOf(data), lsn }, now };
}

function str(u: unknown): string {
  if (typeof u !== 'string') throw new Error('expected a string');
  return u;
}
