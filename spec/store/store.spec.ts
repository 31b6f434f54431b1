import { SchemaError, StoreError, SyncError } from '../../lib/errors.js';
import { createMemoryMedium } from '../../lib/store/persistence.js';
import { ids, insert, openMem, remove, todos, UNIQUE_TITLES, update } from './helpers.js';

describe('store: local changes', () => {
  it('records insert/update/delete atomically with their entity writes, pending in seq order', async () => {
    const store = await openMem();
    const [a] = store.recordLocalChanges([insert('a', 'first')], 10);
    store.recordLocalChanges([insert('b', 'second'), update('a', { done: 1 })], 11);
    store.recordLocalChanges([remove('b')], 12);
    expect(a).toEqual(jasmine.objectContaining({ change_id: 'me-1', origin: 'local', status: 'pending', processed_local: 1, processed_sync: 0, lsn: null, created_at: 10 }));
    expect(todos(store)).toEqual([{ id: 'a', title: 'first', done: 1 }]);
    await store.whenDurable(); // pendingChanges() offers durable changes only
    const pending = store.pendingChanges();
    expect(pending.map((c) => [c.change_id, c.op, c.entity_id])).toEqual([
      ['me-1', 'insert', 'a'], ['me-2', 'insert', 'b'], ['me-3', 'update', 'a'], ['me-4', 'delete', 'b'],
    ]);
    expect(pending[2]!.data).toEqual({ done: 1 });
    expect(store.pendingChanges(2).length).toBe(2);
    expect(store.counts()).toEqual({ pending: 4, failed: 0 });
    await store.close();
  });

  it('an update sets only the given columns; an insert replaces the whole row', async () => {
    const store = await openMem();
    store.recordLocalChanges([insert('a', 'x', 1), update('a', { title: 'y' })], 1);
    expect(todos(store)).toEqual([{ id: 'a', title: 'y', done: 1 }]);
    store.recordLocalChanges([{ op: 'insert', entity: 'todos', entity_id: 'a', data: { id: 'a', title: 'z' } }], 2);
    expect(todos(store)).toEqual([{ id: 'a', title: 'z', done: null }]);
    await store.close();
  });

  it('rolls back everything when one change of a call is bad: no row, no local_changes, nothing journaled', async () => {
    const medium = createMemoryMedium();
    // A UNIQUE index on title: SQLite itself fails on a write after earlier writes of the same call.
    const store = await openMem(medium, { schema: UNIQUE_TITLES });
    await store.whenDurable();
    const journaled = medium.journal.length;
    expect(() => store.recordLocalChanges([insert('a', 'ok'), update('a', { nope: 1 })], 1)).toThrowError(SchemaError);
    // A failure inside SQL, after the first change of the call was written (row AND local_changes).
    expect(() => store.recordLocalChanges([insert('b', 'same'), insert('c', 'same')], 1)).toThrowError(/UNIQUE constraint failed/);
    expect(() =>
      store.transaction(() => {
        store.recordLocalChanges([insert('c', 'inside')], 2);
        throw new Error('boom');
      }),
    ).toThrowError('boom');
    store.recordLocalChanges([insert('d', 'kept')], 3);
    await store.whenDurable();
    expect(todos(store).map((r) => r['id'])).toEqual(['d']);
    expect(store.pendingChanges().map((c) => c.entity_id)).toEqual(['d']);
    expect(store.query('SELECT count(*) AS n FROM local_changes')).toEqual([{ n: 1 }]);
    expect(medium.journal.length).toBe(journaled + 1);
    await store.close();
    // What was journaled replays to the same: only d.
    const again = await openMem(medium, { schema: UNIQUE_TITLES });
    expect(todos(again).map((r) => r['id'])).toEqual(['d']);
    await again.close();
  });

  it('markSynced sets lsn and processed_sync; repeated and unknown acks change nothing', async () => {
    const store = await openMem();
    store.recordLocalChanges([insert('a', 'x'), insert('b', 'y')], 1);
    store.markSynced([{ change_id: 'me-1', lsn: 7 }, { change_id: 'nope', lsn: 8 }], 5);
    store.markSynced([{ change_id: 'me-1', lsn: 7 }], 6);
    expect(store.change('me-1')).toEqual(jasmine.objectContaining({ status: 'synced', processed_sync: 1, lsn: 7, updated_at: 5 }));
    await store.whenDurable();
    expect(store.pendingChanges().map((c) => c.change_id)).toEqual(['me-2']);
    await store.close();
  });

  it('recordAttempt counts attempts and keeps the change pending; markFailed without a server row keeps the local value', async () => {
    const store = await openMem();
    store.recordLocalChanges([insert('a', 'x')], 1);
    store.recordAttempt('me-1', 1, 'ack timeout', 2);
    store.recordAttempt('me-1', 2, 'ack timeout again', 3);
    expect(store.change('me-1')).toEqual(jasmine.objectContaining({ status: 'pending', attempts: 2, last_error: 'ack timeout again' }));
    store.markFailed('me-1', 'attempts exhausted', 3, 4);
    expect(store.change('me-1')).toEqual(jasmine.objectContaining({ status: 'failed', attempts: 3, last_error: 'attempts exhausted' }));
    expect(store.failedChanges().map((c) => c.change_id)).toEqual(['me-1']);
    expect(store.counts()).toEqual({ pending: 0, failed: 1 });
    expect(todos(store)).toEqual([{ id: 'a', title: 'x', done: 0 }]);
    await store.close();
  });

  it('markFailed with a server row restores it and re-applies the other pending changes on top', async () => {
    const store = await openMem();
    store.recordLocalChanges([insert('a', 'mine', 0)], 1);
    store.recordLocalChanges([update('a', { done: 1 })], 2);
    store.markFailed('me-1', 'rejected: constraint', 1, 3, { id: 'a', title: 'server', done: 0 });
    expect(todos(store)).toEqual([{ id: 'a', title: 'server', done: 1 }]);
    store.recordLocalChanges([insert('b', 'gone')], 4);
    store.markFailed('me-3', 'rejected', 1, 5, null);
    expect(todos(store).map((r) => r['id'])).toEqual(['a']);
    // A row whose key disagrees still throws (and nothing moves) ...
    expect(() => store.markFailed('me-2', 'x', 1, 6, { id: 'not-a', done: 0 })).toThrowError(SchemaError);
    expect(store.change('me-2')!.status).toBe('pending');
    // ... but a column a newer server has and this schema does not is left out (an older client),
    // like a value that no longer fits the column here.
    store.markFailed('me-2', 'x', 1, 6, { id: 'a', title: 'newer server', done: 0, priority: 3, });
    expect(todos(store)).toEqual([{ id: 'a', title: 'newer server', done: 0 }]);
    await store.close();
  });

  it('prunes synced history older than the cut-off, never pending or failed rows', async () => {
    const store = await openMem();
    store.recordLocalChanges([insert('a', '1'), insert('b', '2'), insert('c', '3'), insert('d', '4')], 1);
    store.markSynced([{ change_id: 'me-1', lsn: 1 }], 10);
    store.markSynced([{ change_id: 'me-2', lsn: 2 }], 50);
    store.markFailed('me-3', 'no', 3, 10);
    expect(store.pruneHistory(20)).toBe(1);
    expect(store.query('SELECT change_id FROM local_changes ORDER BY seq').map((r) => r['change_id'])).toEqual(['me-2', 'me-3', 'me-4']);
    expect(store.pruneHistory(1000)).toBe(1);
    expect(store.counts()).toEqual({ pending: 1, failed: 1 });
    await store.close();
  });
});

describe('store: query()', () => {
  it('returns row objects for read-only SQL with bound parameters', async () => {
    const store = await openMem();
    store.recordLocalChanges([insert('a', 'x', 0), insert('b', 'y', 1)], 1);
    expect(store.query('SELECT id FROM todos WHERE done = ?', [1])).toEqual([{ id: 'b' }]);
    expect(store.query('/* c */ WITH t AS (SELECT count(*) AS n FROM todos) SELECT n FROM t')).toEqual([{ n: 2 }]);
    await store.close();
  });

  it('refuses writes, PRAGMAs and multiple statements, and restores the writable state after', async () => {
    const store = await openMem();
    store.recordLocalChanges([insert('a', 'x')], 1);
    for (const sql of [
      "INSERT INTO todos (id) VALUES ('evil')",
      'DELETE FROM todos',
      "WITH x AS (SELECT 1) UPDATE todos SET title = 'evil'",
      'PRAGMA query_only = OFF',
      'BEGIN',
      "SELECT 1; DELETE FROM todos",
      "ATTACH ':memory:' AS m",
    ]) {
      expect(() => store.query(sql)).withContext(sql).toThrowError(StoreError);
    }
    // App SQL runs under query_only ...
    expect(store.query('SELECT * FROM pragma_query_only()')).toEqual([{ query_only: 1 }]);
    // ... and the store can write again afterwards.
    store.recordLocalChanges([insert('b', 'y')], 2);
    expect(todos(store).map((r) => r['title'])).toEqual(['x', 'y']);
    await store.close();
  });

  it('resyncFrom: own changes acked above the server LSN become pending again, the LSN moves back, all journaled', async () => {
    const medium = createMemoryMedium();
    const store = await openMem(medium);
    store.recordLocalChanges([insert('a', 'x'), insert('b', 'y'), insert('c', 'z')], 1);
    store.markSynced([{ change_id: 'me-1', lsn: 1 }, { change_id: 'me-2', lsn: 2 }, { change_id: 'me-3', lsn: 3 }], 2);
    store.applyServerBatch({ prev_lsn: 0, lsn: 3, changes: [] }, 3);
    expect(store.resyncFrom(1, 4)).toBe(2);
    expect(store.getLsn()).toBe(1);
    await store.whenDurable();
    expect(store.pendingChanges().map((c) => [c.change_id, c.lsn, c.attempts])).toEqual([['me-2', null, 0], ['me-3', null, 0]]);
    const reopened = await openMem(medium, { newId: ids('re') });
    expect(reopened.getLsn()).toBe(1);
    expect(reopened.counts()).toEqual({ pending: 2, failed: 0 });
    await reopened.close();
    await store.close();
  });

  it('a closed store refuses work', async () => {
    const store = await openMem();
    await store.close();
    expect(() => store.recordLocalChanges([insert('a', 'x')], 1)).toThrowError(SyncError, /closed/);
    expect(() => store.query('SELECT 1')).toThrowError(SyncError, /closed/);
  });
});
