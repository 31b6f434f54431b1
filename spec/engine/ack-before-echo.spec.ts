/**
 * Issue 14, seed 30000087 of the network fault suite: the divergence behind the poison fault.
 * The engine on the REAL sql.js store in virtual time. A server batch that can never apply (its
 * key nulled in transit) goes to the quarantine pass one scheduler turn later; batches that
 * arrive meanwhile wait behind it, but a `change_ack` does not: it marks our change synced at
 * once. The server ordered another client's change on our row BEFORE ours (its broadcast came
 * first, then our ack, then our echo), so when the waiting batches apply, the other client's
 * change must not end up on top of ours: the replica must equal the server's row.
 */
import { TestScheduler } from 'rxjs/testing';
import { ErrorCodes } from '../../lib/errors.js';
import type { ServerChange } from '../../lib/protocol/index.js';
import { openStore, type SqlJsStore } from '../../lib/store/index.js';
import { applied, at, harness, sc, serverChanges, update, welcome } from './fakes/harness.js';

const schema = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } } };
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const ins = (lsn: number, id: string, data: ServerChange['data']): ServerChange => ({ ...sc(lsn, 'todos', id, {}), op: 'insert', data });
const todos = (store: SqlJsStore) => store.query('SELECT id, title, done FROM todos ORDER BY id');

async function realStore(): Promise<SqlJsStore> {
  let n = 0;
  return openStore({ schema, clientId: 'client-1', newId: () => `client-1-${++n}` });
}

describe('an ack that overtakes batches waiting behind a quarantine', () => {
  it('the other client\'s change ordered before ours on the server does not stay on top of ours in the replica (the row another than the quarantined one)', async () => {
    const store = await realStore();
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, {
        store,
        state$: hot('o', { o: 'open' }),
        // All in one frame: the poisoned batch fails at once (a schema error is never retried) and is
        // quarantined one turn later; b and e wait behind it, k (the ack) is handled at once.
        message$: hot('w a 8ms (pbke)', {
          w: welcome(0),
          a: serverChanges(0, [ins(1, 's2', { id: 's2', title: 'first', done: 0 })]),
          p: serverChanges(1, [ins(2, 's1', { id: null, title: 'poisoned', done: 0 })]),
          // The server's order: another client's update of s2 at lsn 3, then ours at lsn 4.
          b: serverChanges(2, [sc(3, 'todos', 's2', { title: 'theirs', done: 1 })]),
          k: applied(['client-1-1', 4]),
          e: serverChanges(3, [sc(4, 'todos', 's2', { title: 'mine' }, 'client-1', 'client-1-1')]),
        }),
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 5, () => h.record(update('todos', 's2', { title: 'mine' })));
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.errors.map((e) => e.error.code)).toEqual([ErrorCodes.APPLY_FAILED, ErrorCodes.QUARANTINED]);
      expect(store.quarantinedChanges().map((q) => [q.lsn, q.entity_id])).toEqual([[2, 's1']]);
      expect(store.getLsn()).toBe(4);
      expect(store.change('client-1-1')).toEqual(jasmine.objectContaining({ status: 'synced', lsn: 4 }));
      // The server's s2 after lsn 4: done from lsn 3, title from ours.
      expect(todos(store)).toEqual([{ id: 's2', title: 'mine', done: 1 }]);
    });
  });
});
