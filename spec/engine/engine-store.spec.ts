/**
 * Integration: the engine on the REAL sql.js store (in memory), driven in virtual time. Rebase,
 * rejection, echo and rollback are store behaviour seen through the engine.
 */
import { TestScheduler } from 'rxjs/testing';
import type { ApplyResult, ServerBatch } from '../../lib/engine/ports.js';
import { ErrorCodes } from '../../lib/errors.js';
import { openStore, type SqlJsStore } from '../../lib/store/index.js';
import { applied, at, harness, insert, rejected, sc, serverChanges, update, welcome } from './fakes/harness.js';

const schema = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } } };
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

async function realStore(): Promise<SqlJsStore> {
  let n = 0;
  return openStore({ schema, clientId: 'client-1', newId: () => `client-1-${++n}` });
}
const todo = (store: SqlJsStore, id: string) => store.query('SELECT id, title, done FROM todos WHERE id = ?', [id])[0];

describe('engine + real sql.js store', () => {
  it('rebase: a server change to a row with a pending local change keeps the local value until its ack; then the row equals the server\'s', async () => {
    const store = await realStore();
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, {
        store,
        state$: hot('o', { o: 'open' }),
        message$: hot('w a 8ms b 9ms k e', {
          w: welcome(0),
          a: serverChanges(0, [{ ...sc(1, 'todos', 't1', { id: 't1', title: 'orig', done: 0 }), op: 'insert' }]),
          // another client: same row, both columns
          b: serverChanges(1, [sc(2, 'todos', 't1', { title: 'theirs', done: 1 })]),
          k: applied(['client-1-1', 3]),
          // the server's log: our change at lsn 3 (last writer wins), echoed back
          e: serverChanges(2, [sc(3, 'todos', 't1', { title: 'mine' }, 'client-1', 'client-1-1')]),
        }),
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 5, () => h.record(update('todos', 't1', { title: 'mine' })));
      at(ts, 11, () => {
        // the server's done=1 is in, the pending local title stays visible
        expect(todo(store, 't1')).toEqual({ id: 't1', title: 'mine', done: 1 });
        expect(store.counts().pending).toBe(1);
      });
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(todo(store, 't1')).toEqual({ id: 't1', title: 'mine', done: 1 });
      expect(store.getLsn()).toBe(3);
      expect(store.counts()).toEqual({ pending: 0, failed: 0 });
      expect(store.query("SELECT count(*) AS n FROM local_changes WHERE change_id = 'client-1-1'")).toEqual([{ n: 1 }]);
      expect(h.errors).toEqual([]);
    });
  });

  it('rejection restores the server\'s row (pending changes on top) and the row\'s next change goes on', async () => {
    const store = await realStore();
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, {
        store,
        state$: hot('o', { o: 'open' }),
        message$: hot('w 4ms r 4ms k', {
          w: welcome(0),
          r: rejected('client-1-1', 'permission denied', { id: 'a', title: 'server', done: 0 }),
          k: applied(['client-1-2', 1]),
        }),
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 1, () => h.record(insert('todos', 'a', { title: 'mine', done: 0 }), update('todos', 'a', { done: 1 })));
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(todo(store, 'a')).toEqual({ id: 'a', title: 'server', done: 1 });
      expect(h.transport.changeFrames()).toEqual([[1, ['client-1-1']], [5, ['client-1-2']]]);
      expect(store.counts()).toEqual({ pending: 0, failed: 1 });
      expect(store.failedChanges()[0]).toEqual(jasmine.objectContaining({ change_id: 'client-1-1', last_error: 'permission denied' }));
      expect(h.errors.map((e) => e.error.code)).toEqual([ErrorCodes.REJECTED]);
    });
  });

  it('a batch that fails midway (a statement after an earlier row of it was written) is rolled back whole, reported, retried until it commits', async () => {
    // Its own store: a UNIQUE index on title makes SQLite itself fail on the batch's SECOND row.
    const store = await openStore({ schema: { todos: { ...schema.todos, indexes: { todos_title: { columns: ['title'], unique: true } } } }, clientId: 'client-1' });
    // The first try gets a batch whose LAST change collides with its first one: the real store
    // writes the first row, then the statement of the second throws, and everything must go.
    let failures = 1;
    const flaky = Object.create(store) as SqlJsStore;
    flaky.applyServerBatch = (batch: ServerBatch, now: number): ApplyResult => {
      const first = batch.changes[0]!;
      const collides = { ...first, lsn: batch.lsn, change_id: 'bad', entity_id: 'x2', data: { ...first.data, id: 'x2' } };
      return store.applyServerBatch(failures-- > 0 ? { ...batch, changes: [...batch.changes, collides] } : batch, now);
    };
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const batch = serverChanges(0, [{ ...sc(1, 'todos', 'x', { id: 'x', title: 'one', done: 0 }), op: 'insert' }]);
      const h = harness(ts, { store: flaky, state$: hot('o', { o: 'open' }), message$: hot('w b', { w: welcome(0), b: batch }), seed: 42 });
      at(ts, 0, () => h.engine.start());
      at(ts, 2, () => {
        expect(store.getLsn()).toBe(0);
        expect(todo(store, 'x')).toBeUndefined();
        expect(store.query("SELECT count(*) AS n FROM local_changes WHERE origin = 'server'")).toEqual([{ n: 0 }]);
      });
      at(ts, 2_000, () => h.engine.stop());
      ts.flush();
      expect(h.errors.map((e) => [e.at, e.error.code, e.error.lsn])).toEqual([[1, ErrorCodes.APPLY_FAILED, 1]]);
      expect(h.errors[0]!.error.message).toMatch(/UNIQUE constraint failed/);
      expect(h.transport.ofType('ack').map((a) => [a.at, a.frame.lsn])).toEqual([[301, 1]]);
      expect(store.getLsn()).toBe(1);
      expect(todo(store, 'x')).toEqual({ id: 'x', title: 'one', done: 0 });
    });
    await store.close();
  });
});
