/**
 * A run of one sender's frames written as ONE applyChanges call (server/run-outcomes.ts): on the
 * real SQLite store, for random runs (inserts, updates, deletes, change_ids sent twice within a
 * frame and across frames, changes the schema refuses, a permission hook that refuses some),
 * the merged write split back per frame answers exactly as the frames applied one after another
 * (acks, commits, prevLsn) and leaves the same log and tables. Also the split and the broadcasts
 * of a run's outcomes on hand-made outcomes, and that only one sender's frames merge.
 */
import fc from 'fast-check';
import { parseSchema, type ClientChange, type ServerChange } from '../../lib/protocol/index.js';
import { broadcastsOf, mergeRun, splitOutcome } from '../../server/run-outcomes.js';
import { LogStore, type ApplyOutcome, type PermitFn } from '../../server/store.js';
import type { FrameRequest } from '../../server/storage/types.js';
import { SCHEMA } from './helpers.js';

const open = () => LogStore.open({ file: ':memory:', schema: parseSchema(SCHEMA), now: () => 1000 });
const dump = (s: LogStore) => {
  const db = (s as unknown as { db: { prepare(q: string): { all(): unknown[] } } }).db;
  return {
    log: db.prepare('SELECT lsn, change_id, client_id, entity, entity_id, op, data, sub FROM change_log ORDER BY lsn').all(),
    todos: db.prepare('SELECT * FROM todos ORDER BY id').all(),
    versions: db.prepare('SELECT * FROM rsw_row_versions ORDER BY entity, entity_id').all(),
  };
};
/** Refuses changes to rows whose id ends in 9. */
const permit: PermitFn = (c) => (c.entity_id.endsWith('9') ? 'row 9 is read-only' : null);

const change: fc.Arbitrary<ClientChange> = fc
  .record({ id: fc.integer({ min: 0, max: 12 }), cid: fc.integer({ min: 0, max: 40 }), op: fc.constantFrom('insert', 'update', 'delete', 'bad'), title: fc.string({ maxLength: 4 }) })
  .map(({ id, cid, op, title }): ClientChange => {
    const entity_id = `r${id}`;
    const change_id = `c${cid}`;
    if (op === 'delete') return { change_id, entity: 'todos', entity_id, op: 'delete' as const, data: null };
    if (op === 'bad') return { change_id, entity: 'todos', entity_id, op: 'insert' as const, data: { id: entity_id, nope: 1 } };
    return { change_id, entity: 'todos', entity_id, op: op as 'insert' | 'update', data: op === 'insert' ? { id: entity_id, title, done: 0 } : { title } };
  });
const run = fc.array(fc.array(change, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 });

const request = (changes: ClientChange[]): FrameRequest => ({ clientId: 'w', changes, permit, sub: 'u', known: null });

describe('a run of frames as one applyChanges (SQLite)', () => {
  it('answers each frame and leaves the store as the frames applied one after another', () => {
    fc.assert(
      fc.property(run, fc.array(change, { maxLength: 4 }), (frames, before) => {
        const alone = open();
        const merged = open();
        try {
          // Some history first, so that re-sends of logged changes are duplicates in both.
          for (const s of [alone, merged]) if (before.length > 0) s.applyChanges('w', before, permit, 'u');
          const expected = frames.map((f) => alone.applyChanges('w', f, permit, 'u'));
          const m = mergeRun(frames.map(request));
          const got = splitOutcome(merged.applyChanges(m.clientId, m.changes, m.permit, m.sub, m.known), frames.map((f) => f.length));
          expect(got).toEqual(expected);
          expect(dump(merged)).toEqual(dump(alone));
          expect(merged.lsn()).toBe(alone.lsn());
        } finally {
          alone.close();
          merged.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('merges only the frames of one sender', () => {
    const a = request([]);
    expect(() => mergeRun([a, { ...a, clientId: 'other' }])).toThrowError(/one sender/);
    expect(() => mergeRun([a, { ...a, permit: null }])).toThrowError(/one sender/);
  });
});

const sc = (lsn: number): ServerChange => ({ lsn, change_id: `x${lsn}`, client_id: 'w', entity: 'todos', entity_id: `r${lsn}`, op: 'delete', data: null });
const ok = (prevLsn: number, lsns: number[]): ApplyOutcome => ({ acks: lsns.map((l) => ({ change_id: `x${l}`, status: 'applied' as const, lsn: l })), committed: lsns.map(sc), prevLsn });

describe('splitOutcome', () => {
  it('gives each frame its acks, its commits and the LSN before them', () => {
    const merged: ApplyOutcome = {
      acks: [
        { change_id: 'a', status: 'applied', lsn: 11 },
        { change_id: 'b', status: 'rejected', code: 'schema_error', reason: 'no', row: null },
        { change_id: 'a', status: 'duplicate', lsn: 11 },
        { change_id: 'c', status: 'applied', lsn: 12 },
        { change_id: 'd', status: 'applied', lsn: 13 },
      ],
      committed: [sc(11), sc(12), sc(13)],
      prevLsn: 10,
    };
    const [f1, f2, f3] = splitOutcome(merged, [2, 1, 2]);
    expect(f1).toEqual({ acks: merged.acks.slice(0, 2), committed: [sc(11)], prevLsn: 10 });
    expect(f2).toEqual({ acks: merged.acks.slice(2, 3), committed: [], prevLsn: 11 });
    expect(f3).toEqual({ acks: merged.acks.slice(3), committed: [sc(12), sc(13)], prevLsn: 11 });
    expect(() => splitOutcome(merged, [2, 2])).toThrowError(/one ack per change/);
  });
});

describe('broadcastsOf', () => {
  it('joins the commits of frames whose LSNs follow each other, skipping failed and empty frames', () => {
    expect(broadcastsOf([ok(10, [11, 12]), new Error('db'), ok(12, []), ok(12, [13])])).toEqual([{ prevLsn: 10, committed: [sc(11), sc(12), sc(13)] }]);
  });

  it('starts another broadcast after a gap (another node committed in between), so every prev_lsn stays true', () => {
    expect(broadcastsOf([ok(10, [11]), ok(14, [15, 16]), ok(16, [17])])).toEqual([
      { prevLsn: 10, committed: [sc(11)] },
      { prevLsn: 14, committed: [sc(15), sc(16), sc(17)] },
    ]);
    expect(broadcastsOf([new Error('db')])).toEqual([]);
  });
});
