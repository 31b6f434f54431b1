/**
 * Issue 14 (seed 30000087 of the network fault suite): a change of ours the server acknowledged
 * at LSN L, whose echo is not applied yet, comes AFTER every server change below L in the
 * server's order. A server change below L that writes its row (applied after the ack: batches
 * that waited, rows fetched again) must get ours re-applied on top, as a pending change would;
 * else the echo, which writes only when its own batch wrote the row, leaves the other value.
 */
import { openMem, sc, todos, update } from './helpers.js';

async function withAckedUpdate() {
  const store = await openMem();
  store.applyServerBatch({ prev_lsn: 0, lsn: 1, changes: [sc(1, 'o1', 'insert', 's2', { id: 's2', title: 'first', done: 0 })] }, 1);
  const [mine] = store.recordLocalChanges([update('s2', { title: 'mine' })], 2);
  // The server applied ours at lsn 4, after another client's update at lsn 3; the ack came first.
  store.markSynced([{ change_id: mine!.change_id, lsn: 4 }], 3);
  return { store, mine: mine! };
}
const theirs = sc(3, 'o3', 'update', 's2', { title: 'theirs', done: 1 });

describe('our acknowledged change whose echo is not applied yet', () => {
  it('is re-applied on top of a server change below its LSN in an earlier batch; its echo then leaves the row as the server has it', async () => {
    const { store, mine } = await withAckedUpdate();
    store.applyServerBatch({ prev_lsn: 1, lsn: 3, changes: [theirs] }, 4);
    expect(todos(store)).toEqual([{ id: 's2', title: 'mine', done: 1 }]);
    store.applyServerBatch({ prev_lsn: 3, lsn: 4, changes: [sc(4, mine.change_id, 'update', 's2', { title: 'mine' }, 'me')] }, 5);
    expect(todos(store)).toEqual([{ id: 's2', title: 'mine', done: 1 }]);
    expect(store.change(mine.change_id)).toEqual(jasmine.objectContaining({ status: 'synced', lsn: 4 }));
    // Once the LSN passed it, a later server change of the row is the last writer.
    store.applyServerBatch({ prev_lsn: 4, lsn: 5, changes: [sc(5, 'o5', 'update', 's2', { title: 'later' })] }, 6);
    expect(todos(store)).toEqual([{ id: 's2', title: 'later', done: 1 }]);
    await store.close();
  });

  it('is re-applied with a pending change of ours on the same row (in seq order)', async () => {
    const { store } = await withAckedUpdate();
    store.recordLocalChanges([update('s2', { done: 0 })], 4);
    store.applyServerBatch({ prev_lsn: 1, lsn: 3, changes: [theirs] }, 5);
    expect(todos(store)).toEqual([{ id: 's2', title: 'mine', done: 0 }]);
    await store.close();
  });

  it('the same in a quarantining apply (the batch that waited behind a poisoned one)', async () => {
    const { store } = await withAckedUpdate();
    const poisoned = sc(2, 'p2', 'insert', 's1', { id: null, title: 'poisoned', done: 0 });
    const r = store.applyServerBatchQuarantining({ prev_lsn: 1, lsn: 3, changes: [poisoned, theirs] }, 4);
    expect(r.quarantined.map((q) => q.lsn)).toEqual([2]);
    expect(todos(store)).toEqual([{ id: 's2', title: 'mine', done: 1 }]);
    await store.close();
  });

  it('is re-applied on top of rows fetched again at an LSN below it, not on rows read at or above it (they hold it)', async () => {
    const below = await withAckedUpdate();
    expect(below.store.applyFetchedRows('todos', [{ id: 's2', row: { id: 's2', title: 'theirs', done: 1 } }], 4, 3)).toEqual([]);
    expect(todos(below.store)).toEqual([{ id: 's2', title: 'mine', done: 1 }]);
    await below.store.close();
    const above = await withAckedUpdate();
    // Read at lsn 5: ours (4), then another client's title at 5.
    above.store.applyFetchedRows('todos', [{ id: 's2', row: { id: 's2', title: 'after ours', done: 1 } }], 4, 5);
    expect(todos(above.store)).toEqual([{ id: 's2', title: 'after ours', done: 1 }]);
    await above.store.close();
  });

  it('is not re-applied on a snapshot page (its rows are the server\'s current ones)', async () => {
    const { store } = await withAckedUpdate();
    store.applyServerBatch({ prev_lsn: 1, lsn: 1, snapshot: true, changes: [sc(5, 'o5', 'insert', 's2', { id: 's2', title: 'current', done: 1 })] }, 4);
    expect(todos(store)).toEqual([{ id: 's2', title: 'current', done: 1 }]);
    await store.close();
  });
});
