/**
 * Issue 14 (seed 30000087 of the network fault suite): a quarantining apply must give the rows
 * the same end state as a plain apply of the same batch, minus the quarantined change. Applying
 * change by change must not forget, between changes, that the batch already wrote a row: an echo
 * of OUR change that comes after another client's change on that row in server order must be
 * written again, or the replica keeps the other client's value the server no longer has.
 */
import type { ServerBatch } from '../../lib/engine/ports.js';
import { insert, openMem, remove, sc, todos, update } from './helpers.js';

/** A change the proxy's poison fault makes: an insert whose key was nulled in transit. */
const poisoned = (lsn: number, id: string) => sc(lsn, `p${lsn}`, 'insert', id, { id: null, title: 'poisoned', done: 0 });

describe('quarantining apply of a batch with echoes of our own changes', () => {
  it('an acknowledged update of ours after another client\'s update of the row (same batch) ends on our value, as on the server', async () => {
    const store = await openMem();
    store.applyServerBatch({ prev_lsn: 0, lsn: 1, changes: [sc(1, 'o1', 'insert', 's2', { id: 's2', title: 'first', done: 0 })] }, 1);
    const [mine] = store.recordLocalChanges([update('s2', { title: 'mine' })], 2);
    // The ack came first (the server applied ours at lsn 4, after another client's update at 2).
    store.markSynced([{ change_id: mine!.change_id, lsn: 4 }], 3);
    const batch: ServerBatch = {
      prev_lsn: 1,
      lsn: 4,
      changes: [sc(2, 'o2', 'update', 's2', { title: 'other' }), poisoned(3, 's1'), sc(4, mine!.change_id, 'update', 's2', { title: 'mine' }, 'me')],
    };
    const r = store.applyServerBatchQuarantining(batch, 4);
    expect(r.quarantined.map((q) => q.lsn)).toEqual([3]);
    expect(r.echoed).toEqual([mine!.change_id]);
    expect(todos(store)).toEqual([{ id: 's2', title: 'mine', done: 0 }]);
    await store.close();
  });

  it('an acknowledged delete of ours after another client\'s insert of the row (same batch) leaves no row, as on the server', async () => {
    const store = await openMem();
    const [mine] = store.recordLocalChanges([remove('s3')], 1);
    store.markSynced([{ change_id: mine!.change_id, lsn: 3 }], 2);
    const batch: ServerBatch = {
      prev_lsn: 0,
      lsn: 3,
      changes: [sc(1, 'o1', 'insert', 's3', { id: 's3', title: 'other', done: 0 }), poisoned(2, 's1'), sc(3, mine!.change_id, 'delete', 's3', null, 'me')],
    };
    store.applyServerBatchQuarantining(batch, 3);
    expect(todos(store)).toEqual([]);
    await store.close();
  });

  it('ends on the same rows as the plain apply of the batch without the poisoned change (pending and acknowledged echoes mixed)', async () => {
    const run = async (quarantining: boolean) => {
      const store = await openMem();
      const [a, b, c] = store.recordLocalChanges([insert('s1', 'mine-1'), update('s2', { done: 1 }), insert('s4', 'mine-4')], 1);
      // a and c acknowledged before the batch, b still pending when it arrives.
      store.markSynced([{ change_id: a!.change_id, lsn: 3 }, { change_id: c!.change_id, lsn: 7 }], 2);
      const changes = [
        sc(1, 'o1', 'insert', 's1', { id: 's1', title: 'other-1', done: 0 }),
        sc(2, 'o2', 'insert', 's2', { id: 's2', title: 'other-2', done: 0 }),
        sc(3, a!.change_id, 'insert', 's1', { id: 's1', title: 'mine-1', done: 0 }, 'me'),
        sc(4, 'o4', 'insert', 's4', { id: 's4', title: 'other-4', done: 0 }),
        sc(5, b!.change_id, 'update', 's2', { done: 1 }, 'me'),
        sc(6, 'o6', 'update', 's2', { title: 'other-2b' }),
        sc(7, c!.change_id, 'insert', 's4', { id: 's4', title: 'mine-4', done: 0 }, 'me'),
      ];
      if (quarantining) store.applyServerBatchQuarantining({ prev_lsn: 0, lsn: 8, changes: [...changes, poisoned(8, 's9')] }, 3);
      else store.applyServerBatch({ prev_lsn: 0, lsn: 8, changes }, 3);
      const rows = todos(store);
      await store.close();
      return rows;
    };
    const plain = await run(false);
    expect(plain).toEqual([
      { id: 's1', title: 'mine-1', done: 0 },
      { id: 's2', title: 'other-2b', done: 1 },
      { id: 's4', title: 'mine-4', done: 0 },
    ]);
    expect(await run(true)).toEqual(plain);
  });
});
