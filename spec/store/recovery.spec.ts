/**
 * Issue 14: the store's recovery operations on the real sql.js store, each journaled (a reopen
 * replays them): quarantine, reset for a new server log, fetched rows, retry and discard of
 * failed changes.
 */
import { createMemoryMedium } from '../../lib/store/persistence.js';
import { insert, openMem, sc, todos, update } from './helpers.js';

describe('store recovery operations', () => {
  it('quarantining apply: the change that throws is undone alone, the others commit, LSN moves; all of it survives a reopen', async () => {
    const medium = createMemoryMedium();
    const store = await openMem(medium);
    const r = store.applyServerBatchQuarantining(
      { prev_lsn: 0, lsn: 3, changes: [sc(1, 's1', 'insert', 'a', { id: 'a', title: 'A', done: 0 }), sc(2, 's2', 'insert', 'b', { id: 'b', title: 'B', nope: 1 }), sc(3, 's3', 'insert', 'c', { id: 'c', title: 'C', done: 0 })] },
      10,
    );
    expect(r.applied).toBe(2);
    expect(r.quarantined.map((q) => [q.lsn, q.change_id, q.entity_id])).toEqual([[2, 's2', 'b']]);
    expect(store.getLsn()).toBe(3);
    await store.close();
    const again = await openMem(medium);
    expect(todos(again)).toEqual([{ id: 'a', title: 'A', done: 0 }, { id: 'c', title: 'C', done: 0 }]);
    expect(again.quarantinedChanges()).toEqual([jasmine.objectContaining({ lsn: 2, change_id: 's2', entity_id: 'b', quarantined_at: 10 })]);
    expect(again.rowsToFetch()).toEqual([{ entity: 'todos', id: 'b' }]);
    expect(again.getLsn()).toBe(3);
    // The server's version arrives: in place, forgotten from the rows to fetch.
    expect(again.applyFetchedRows('todos', [{ id: 'b', row: { id: 'b', title: 'B', done: 1 } }])).toEqual([]);
    expect(todos(again)).toEqual([{ id: 'a', title: 'A', done: 0 }, { id: 'b', title: 'B', done: 1 }, { id: 'c', title: 'C', done: 0 }]);
    expect(again.rowsToFetch()).toEqual([]);
    await again.close();
  });

  it('a quarantined echo of OUR change still marks it synced: later server changes of the row are not overwritten by it', async () => {
    const store = await openMem();
    const [mine] = store.recordLocalChanges([insert('s0', 'mine', 0)], 1);
    // Our insert comes back unusable (its key nulled in transit), then another client deletes the row.
    const echo = sc(1, mine!.change_id, 'insert', 's0', { id: null, title: 'mine', done: 0 }, 'me');
    const r = store.applyServerBatchQuarantining({ prev_lsn: 0, lsn: 2, changes: [echo, sc(2, 's2', 'delete', 's0', null)] }, 2);
    expect(r.quarantined.map((q) => q.change_id)).toEqual([mine!.change_id]);
    expect(r.echoed).toEqual([mine!.change_id]);
    expect(store.change(mine!.change_id)).toEqual(jasmine.objectContaining({ status: 'synced', lsn: 1 }));
    // As on the server: the delete came after our insert.
    expect(todos(store)).toEqual([]);
    await store.close();
  });

  it('resetForServer empties the replica but keeps pending (re-applied) and failed local changes; survives a reopen', async () => {
    const medium = createMemoryMedium();
    const store = await openMem(medium);
    store.applyServerBatch({ prev_lsn: 0, lsn: 2, changes: [sc(1, 's1', 'insert', 'a', { id: 'a', title: 'A', done: 0 }), sc(2, 's2', 'insert', 'b', { id: 'b', title: 'B', done: 0 })] }, 1);
    const [synced, pending, failed] = store.recordLocalChanges([insert('s', 'synced'), update('a', { title: 'mine' }), insert('f', 'failed')], 2);
    store.markSynced([{ change_id: synced!.change_id, lsn: 3 }], 3);
    store.markFailed(failed!.change_id, 'out of attempts', 3, 3);
    store.setServerId('old');
    expect(store.resetForServer('new')).toBe(1);
    const check = (s: typeof store) => {
      expect(s.getLsn()).toBe(0);
      expect(s.serverId()).toBe('new');
      // Row a exists only through the pending update (a patch on no row writes nothing visible but its key).
      expect(todos(s).map((t) => t['id'])).toEqual(['a']);
      expect(s.query("SELECT change_id, status FROM local_changes ORDER BY seq")).toEqual([
        { change_id: pending!.change_id, status: 'pending' },
        { change_id: failed!.change_id, status: 'failed' },
      ]);
    };
    check(store);
    await store.close();
    const again = await openMem(medium);
    check(again);
    await again.close();
  });

  it('retryFailed moves the change to the end of the queue (same change_id) and writes its value on top; discardFailed removes it and asks for its row', async () => {
    const store = await openMem();
    const [a1, a2] = store.recordLocalChanges([update('a', { title: 'first' }), update('a', { title: 'second' })], 1);
    store.markFailed(a1!.change_id, 'out of attempts', 3, 2);
    const retried = store.retryFailed(undefined, 5);
    expect(retried.map((c) => [c.change_id, c.status, c.attempts])).toEqual([[a1!.change_id, 'pending', 0]]);
    expect(store.query('SELECT change_id FROM local_changes ORDER BY seq')).toEqual([{ change_id: a2!.change_id }, { change_id: a1!.change_id }]);
    expect(store.query("SELECT title FROM todos WHERE id = 'a'")).toEqual([{ title: 'first' }]);
    store.markFailed(a1!.change_id, 'rejected', 1, 6);
    expect(store.discardFailed([a1!.change_id])).toEqual([{ entity: 'todos', id: 'a' }]);
    expect(store.counts()).toEqual({ pending: 1, failed: 0 });
    expect(store.rowsToFetch()).toEqual([{ entity: 'todos', id: 'a' }]);
    // Unknown ids change nothing.
    expect(store.retryFailed(['nope'], 7)).toEqual([]);
    await store.close();
  });
});
