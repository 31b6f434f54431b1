import { SchemaError, StoreError } from '../../lib/errors.js';
import { SNAPSHOT_CLIENT_ID } from '../../lib/protocol/index.js';
import { createMemoryMedium } from '../../lib/store/persistence.js';
import { insert, openMem, sc, todos, UNIQUE_TITLES, update } from './helpers.js';

describe('store: applyServerBatch', () => {
  it('writes local_changes rows (origin server) and entity rows, sets the LSN, reports touched entities', async () => {
    const store = await openMem();
    const result = store.applyServerBatch(
      { prev_lsn: 0, lsn: 3, changes: [sc(1, 's1', 'insert', 'a', { id: 'a', title: 'A', done: 0 }), sc(2, 's2', 'insert', 'b', { id: 'b', title: 'B', done: 0 }), sc(3, 's3', 'delete', 'b', null)] },
      9,
    );
    expect(result).toEqual({ entities: ['todos'], echoed: [], applied: 3 });
    expect(store.getLsn()).toBe(3);
    expect(todos(store)).toEqual([{ id: 'a', title: 'A', done: 0 }]);
    expect(store.query("SELECT change_id, origin, lsn, status, processed_sync FROM local_changes ORDER BY seq")).toEqual([
      { change_id: 's1', origin: 'server', lsn: 1, status: 'synced', processed_sync: 1 },
      { change_id: 's2', origin: 'server', lsn: 2, status: 'synced', processed_sync: 1 },
      { change_id: 's3', origin: 'server', lsn: 3, status: 'synced', processed_sync: 1 },
    ]);
    expect(store.counts()).toEqual({ pending: 0, failed: 0 });
    await store.close();
  });

  it('snapshot entries (client_id rsw:snapshot) write their rows but no history row, live and after a replay', async () => {
    const medium = createMemoryMedium();
    const store = await openMem(medium);
    store.recordLocalChanges([insert('p', 'pending')], 1);
    const page = {
      prev_lsn: 0, lsn: 0, snapshot: true,
      changes: [
        sc(4, 's4', 'insert', 'a', { id: 'a', title: 'A', done: 1 }, SNAPSHOT_CLIENT_ID),
        sc(6, 's6', 'delete', 'b', null, SNAPSHOT_CLIENT_ID),
        sc(7, 's7', 'insert', 'p', { id: 'p', title: 'server', done: 0 }, SNAPSHOT_CLIENT_ID),
      ],
    };
    expect(store.applyServerBatch(page, 2)).toEqual({ entities: ['todos'], echoed: [], applied: 3 });
    // The last page carries a change from the log as well: that one is history.
    store.applyServerBatch({ prev_lsn: 0, lsn: 9, changes: [sc(8, 's8', 'insert', 'c', { id: 'c', title: 'C', done: 0 }, SNAPSHOT_CLIENT_ID), sc(9, 's9', 'update', 'a', { title: 'A9' })] }, 3);
    const state = (s: typeof store) => ({
      rows: todos(s),
      history: s.query('SELECT seq, change_id, origin, lsn FROM local_changes ORDER BY seq'),
      lsn: s.getLsn(),
    });
    const live = state(store);
    expect(live).toEqual({
      // The pending local insert stays on top of the snapshot's row.
      rows: [{ id: 'a', title: 'A9', done: 1 }, { id: 'c', title: 'C', done: 0 }, { id: 'p', title: 'pending', done: 0 }],
      history: [{ seq: 1, change_id: jasmine.any(String), origin: 'local', lsn: null }, { seq: 2, change_id: 's9', origin: 'server', lsn: 9 }],
      lsn: 9,
    });
    await store.close();
    const reopened = await openMem(medium);
    expect(state(reopened)).toEqual(live);
    // New rows go on after the replayed ones.
    reopened.recordLocalChanges([{ ...insert('q', 'next'), change_id: 'after-replay' }], 4);
    expect(reopened.query('SELECT max(seq) AS s FROM local_changes')).toEqual([{ s: 3 }]);
    await reopened.close();
  });

  it('skips changes at or below the local LSN (overlapping pages apply nothing twice)', async () => {
    const store = await openMem();
    store.applyServerBatch({ prev_lsn: 0, lsn: 2, changes: [sc(1, 's1', 'insert', 'a', { id: 'a', title: 'A', done: 0 }), sc(2, 's2', 'update', 'a', { done: 1 })] }, 1);
    const r = store.applyServerBatch({ prev_lsn: 1, lsn: 3, changes: [sc(2, 's2', 'update', 'a', { done: 1 }), sc(3, 's3', 'update', 'a', { title: 'A3' })] }, 2);
    expect(r.applied).toBe(1);
    expect(store.query('SELECT count(*) AS n FROM local_changes')).toEqual([{ n: 3 }]);
    expect(todos(store)).toEqual([{ id: 'a', title: 'A3', done: 1 }]);
    await store.close();
  });

  it('an echo of our own change marks it synced with its LSN and is not applied again', async () => {
    const store = await openMem();
    store.recordLocalChanges([insert('a', 'mine')], 1);
    const r = store.applyServerBatch({ prev_lsn: 0, lsn: 5, changes: [sc(5, 'me-1', 'insert', 'a', { id: 'a', title: 'mine', done: 0 }, 'me')] }, 2);
    expect(r).toEqual({ entities: [], echoed: ['me-1'], applied: 0 });
    expect(store.change('me-1')).toEqual(jasmine.objectContaining({ status: 'synced', lsn: 5, processed_sync: 1 }));
    expect(store.query('SELECT count(*) AS n FROM local_changes')).toEqual([{ n: 1 }]);
    // The ack first, the echo after: still one row, still synced.
    store.recordLocalChanges([update('a', { done: 1 })], 3);
    store.markSynced([{ change_id: 'me-2', lsn: 6 }], 4);
    expect(store.applyServerBatch({ prev_lsn: 5, lsn: 6, changes: [sc(6, 'me-2', 'update', 'a', { done: 1 }, 'me')] }, 5).echoed).toEqual(['me-2']);
    expect(store.query('SELECT count(*) AS n FROM local_changes')).toEqual([{ n: 2 }]);
    await store.close();
  });

  it('rebases: pending local changes are re-applied over server writes to the same row, other rows take the server value', async () => {
    const store = await openMem();
    store.applyServerBatch({ prev_lsn: 0, lsn: 2, changes: [sc(1, 's1', 'insert', 'a', { id: 'a', title: 'A', done: 0 }), sc(2, 's2', 'insert', 'b', { id: 'b', title: 'B', done: 0 })] }, 1);
    store.recordLocalChanges([update('a', { done: 1 })], 2);
    store.applyServerBatch({ prev_lsn: 2, lsn: 4, changes: [sc(3, 's3', 'update', 'a', { title: 'A2', done: 0 }), sc(4, 's4', 'update', 'b', { done: 1 })] }, 3);
    expect(todos(store)).toEqual([{ id: 'a', title: 'A2', done: 1 }, { id: 'b', title: 'B', done: 1 }]);
    // A server delete under a pending insert: the optimistic row stays visible.
    store.recordLocalChanges([insert('c', 'mine')], 4);
    store.applyServerBatch({ prev_lsn: 4, lsn: 5, changes: [sc(5, 's5', 'delete', 'c', null)] }, 5);
    expect(todos(store).map((r) => r['id'])).toEqual(['a', 'b', 'c']);
    await store.close();
  });

  it('an echo after another client wrote the same row in the batch lands in server order', async () => {
    const store = await openMem();
    store.recordLocalChanges([insert('a', 'mine')], 1);
    store.applyServerBatch({ prev_lsn: 0, lsn: 2, changes: [sc(1, 's1', 'insert', 'a', { id: 'a', title: 'theirs', done: 0 }), sc(2, 'me-1', 'insert', 'a', { id: 'a', title: 'mine', done: 0 }, 'me')] }, 2);
    expect(todos(store)).toEqual([{ id: 'a', title: 'mine', done: 0 }]);
    await store.close();
  });

  it('any error rolls the whole batch back: no rows, no history, LSN unchanged, nothing journaled', async () => {
    const medium = createMemoryMedium();
    const store = await openMem(medium, { schema: UNIQUE_TITLES });
    store.applyServerBatch({ prev_lsn: 0, lsn: 1, changes: [sc(1, 's1', 'insert', 'a', { id: 'a', title: 'A', done: 0 })] }, 1);
    await store.whenDurable();
    const journaled = medium.journal.length;
    const bad = { prev_lsn: 1, lsn: 3, changes: [sc(2, 's2', 'insert', 'b', { id: 'b', title: 'B', done: 0 }), sc(3, 's3', 'insert', 'c', { id: 'c', title: 7, done: 0 })] };
    expect(() => store.applyServerBatch(bad, 2)).toThrowError(SchemaError);
    // A failure in SQL itself (the UNIQUE index) on the batch's third row, after its first two were written.
    const sqlFail = {
      prev_lsn: 1, lsn: 4,
      changes: [sc(2, 's2', 'insert', 'b', { id: 'b', title: 'B', done: 0 }), sc(3, 's3', 'update', 'a', { done: 1 }), sc(4, 's4', 'insert', 'c', { id: 'c', title: 'B', done: 0 })],
    };
    expect(() => store.applyServerBatch(sqlFail, 2)).toThrowError(/UNIQUE constraint failed/);
    expect(() => store.applyServerBatch({ prev_lsn: 0, lsn: 0, changes: [] }, 2)).toThrowError(StoreError, /behind/);
    expect(store.getLsn()).toBe(1);
    expect(todos(store)).toEqual([{ id: 'a', title: 'A', done: 0 }]);
    expect(store.query('SELECT count(*) AS n FROM local_changes')).toEqual([{ n: 1 }]);
    await store.whenDurable();
    expect(medium.journal.length).toBe(journaled);
    await store.close();
  });
});
