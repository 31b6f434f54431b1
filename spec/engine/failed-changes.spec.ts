/**
 * Issue 14, point 4: a failed change is not a dead end. The engine on the real sql.js store:
 * a crash between recording the last attempt and marking the change failed allows no extra
 * attempt; a retried change is sent again AFTER the row's other pending changes (local row and
 * server see the same order); a discarded change's row is fetched again and replaced by the
 * server's version with the row's other pending changes on top.
 */
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { LocalChange } from '../../lib/engine/ports.js';
import { ErrorCodes } from '../../lib/errors.js';
import type { ServerFrame } from '../../lib/protocol/index.js';
import { openStore, type SqlJsStore } from '../../lib/store/index.js';
import { createSyncEngine } from '../../lib/engine/engine.js';
import { mulberry32 } from '../../lib/engine/random.js';
import { applied, at, harness, update, welcome } from './fakes/harness.js';
import { FakeTransport } from './fakes/fake-transport.js';

const schema = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } } };
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

async function storeWith(...titles: string[]): Promise<SqlJsStore> {
  let n = 0;
  const store = await openStore({ schema, clientId: 'client-1', newId: () => `client-1-${++n}` });
  store.recordLocalChanges(titles.map((title) => update('todos', 'a', { id: 'a', title })), 0);
  await store.whenDurable();
  return store;
}

describe('failed changes', () => {
  it('a change whose attempts were all recorded before a crash is failed at once, not sent a 4th time', async () => {
    const store = await storeWith('crashed');
    // The process stopped right after recording the 3rd counted attempt.
    store.recordAttempt('client-1-1', 3, 'no ack for client-1-1 within 10000 ms', 0);
    await store.whenDurable();
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { store, state$: hot('o', { o: 'open' }), message$: hot('w', { w: welcome(0) }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 50_000, () => h.engine.stop());
      ts.flush();
      expect(h.transport.changeFrames()).toEqual([]);
      expect(store.change('client-1-1')).toEqual(jasmine.objectContaining({ status: 'failed', attempts: 3 }));
      expect(h.errors.map((e) => [e.at, e.error.code])).toEqual([[0, ErrorCodes.ATTEMPTS_EXHAUSTED]]);
    });
    await store.close();
  });

  it('retry: the failed change goes out again after the row\'s later pending change, with fresh attempts', async () => {
    const store = await storeWith('first', 'second');
    store.markFailed('client-1-1', 'out of attempts', 3, 0);
    await store.whenDurable();
    const ts = newScheduler();
    const retried$ = new Subject<readonly LocalChange[]>();
    const transport = new FakeTransport(ts, {});
    const engine = createSyncEngine({ store, transport, localChanges$: new Subject(), retried$, scheduler: ts, random: mulberry32(1), config: { ackDelay: 0 } });
    ts.run(() => {
      transport.state.next('open');
      at(ts, 0, () => engine.start());
      at(ts, 0, () => transport.messages.next(welcome(0)));
      at(ts, 5, () => transport.messages.next(applied(['client-1-2', 1])));
      at(ts, 10, () => retried$.next(store.retryFailed(undefined, ts.now())));
      at(ts, 15, () => transport.messages.next(applied(['client-1-1', 2])));
      at(ts, 100, () => engine.stop());
      ts.flush();
    });
    expect(transport.changeFrames()).toEqual([[0, ['client-1-2']], [10, ['client-1-1']]]);
    expect(store.change('client-1-1')).toEqual(jasmine.objectContaining({ status: 'synced', lsn: 2 }));
    // The server got first after second: the local row shows the same.
    expect(store.query("SELECT title FROM todos WHERE id = 'a'")).toEqual([{ title: 'first' }]);
    await store.close();
  });

  it('discard: the change goes, the row is fetched again and becomes the server\'s version with the other pending change on top', async () => {
    const store = await storeWith('failed one', 'still pending');
    store.markFailed('client-1-1', 'out of attempts', 3, 0);
    await store.whenDurable();
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const rows: ServerFrame = { type: 'rows', entity: 'todos', lsn: 0, rows: [{ id: 'a', row: { id: 'a', title: 'server', done: 1 } }] };
      const h = harness(ts, { store, state$: hot('o', { o: 'open' }), message$: hot('w 9ms - r', { w: welcome(0), r: rows }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 5, () => {
        store.discardFailed(undefined);
        h.engine.refetch();
        h.engine.recount();
      });
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.transport.ofType('fetch_rows').map((s) => [s.at, s.frame.ids])).toEqual([[5, ['a']]]);
      expect(store.query("SELECT title, done FROM todos WHERE id = 'a'")).toEqual([{ title: 'still pending', done: 1 }]);
      expect(store.counts()).toEqual({ pending: 1, failed: 0 });
      expect(h.engine.status()).toEqual(jasmine.objectContaining({ failed: 0 }));
      expect(h.processed.some((p) => p.entities.includes('todos'))).toBeTrue();
    });
    await store.close();
  });
});
