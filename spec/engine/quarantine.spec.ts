/**
 * Issue 14, point 1: a server batch that decodes but never applies must not stall the client.
 * The engine on the REAL sql.js store in virtual time. The poison: two server changes that each
 * fit the schema but collide on a local UNIQUE index, so SQLite fails on the SECOND statement
 * after the first row of the same batch was written (a real mid-batch failure).
 */
import { TestScheduler } from 'rxjs/testing';
import { ErrorCodes } from '../../lib/errors.js';
import type { ServerChange, ServerFrame } from '../../lib/protocol/index.js';
import { openStore, type SqlJsStore } from '../../lib/store/index.js';
import { at, harness, serverChanges, welcome } from './fakes/harness.js';

const schema = {
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' }, indexes: { todos_title: { columns: ['title'], unique: true } } },
};
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const ins = (lsn: number, id: string, title: string): ServerChange => ({ lsn, change_id: `s${lsn}`, client_id: 'other', entity: 'todos', entity_id: id, op: 'insert', data: { id, title, done: 0 } });
const poison = serverChanges(0, [ins(1, 'x', 'same'), ins(2, 'y', 'same')]);
const next = serverChanges(2, [ins(3, 'z', 'zed')]);
const rowsOfY: ServerFrame = { type: 'rows', entity: 'todos', lsn: 3, rows: [{ id: 'y', row: { id: 'y', title: 'renamed on the server', done: 1 } }] };
const todos = (store: SqlJsStore) => store.query('SELECT id, title, done FROM todos ORDER BY id');

describe('quarantine: a server change that cannot apply', () => {
  it('is rolled back whole on each of maxApplyAttempts tries, then quarantined; the LSN moves on, later batches apply, its row is fetched again', async () => {
    const store = await openStore({ schema, clientId: 'client-1' });
    const ts = newScheduler();
    ts.run(({ hot }) => {
      // The server replays the SAME poison batch (a reconnect's catch-up would), then goes on.
      const h = harness(ts, {
        store,
        state$: hot('o', { o: 'open' }),
        message$: hot('w p 998ms p n 97ms r', { w: welcome(0), p: poison, n: next, r: rowsOfY }),
        seed: 42,
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 2, () => {
        // The first statement of the batch wrote x, the second failed: nothing of it remains.
        expect(store.getLsn()).toBe(0);
        expect(todos(store)).toEqual([]);
        expect(store.query("SELECT count(*) AS n FROM local_changes WHERE origin = 'server'")).toEqual([{ n: 0 }]);
      });
      at(ts, 2_000, () => h.engine.stop());
      ts.flush();
      // mulberry32(42) backoff: 300 then 448 ms; after the third failed try the batch is applied change by change.
      expect(h.errors.map((e) => [e.at, e.error.code, e.error.attempt ?? null])).toEqual([
        [1, ErrorCodes.APPLY_FAILED, 1],
        [301, ErrorCodes.APPLY_FAILED, 2],
        [749, ErrorCodes.APPLY_FAILED, 3],
        [749, ErrorCodes.QUARANTINED, null],
      ]);
      expect(h.errors[0]!.error.message).toMatch(/UNIQUE constraint failed/);
      expect(h.errors[3]!.error).toEqual(jasmine.objectContaining({ change_id: 's2', lsn: 2, entity: 'todos' }));
      expect(store.quarantinedChanges()).toEqual([jasmine.objectContaining({ lsn: 2, change_id: 's2', entity: 'todos', entity_id: 'y', op: 'insert' })]);
      expect(store.quarantinedChanges()[0]!.error).toMatch(/UNIQUE constraint failed/);
      expect(h.transport.ofType('fetch_rows').map((s) => [s.at, s.frame.entity, s.frame.ids])).toEqual([[749, 'todos', ['y']]]);
      // The replayed poison is stale (acked, not applied again), the next batch applies, the fetched row is put in place.
      expect(h.transport.ofType('ack').map((a) => [a.at, a.frame.lsn])).toEqual([[749, 2], [1000, 2], [1001, 3]]);
      expect(store.getLsn()).toBe(3);
      expect(todos(store)).toEqual([
        { id: 'x', title: 'same', done: 0 },
        { id: 'y', title: 'renamed on the server', done: 1 },
        { id: 'z', title: 'zed', done: 0 },
      ]);
      expect(store.rowsToFetch()).toEqual([]);
      expect(h.engine.status()).toEqual(jasmine.objectContaining({ connection: 'synced', lsn: 3 }));
      expect(h.engine.status().lastError).toEqual(jasmine.objectContaining({ code: ErrorCodes.QUARANTINED }));
    });
    await store.close();
  });

  it('a change that can never fit the schema is quarantined at the first try (no retries)', async () => {
    const store = await openStore({ schema, clientId: 'client-1' });
    const bad: ServerChange = { lsn: 1, change_id: 'bad', client_id: 'other', entity: 'todos', entity_id: 'b', op: 'update', data: { id: null } };
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { store, state$: hot('o', { o: 'open' }), message$: hot('w p', { w: welcome(0), p: serverChanges(0, [bad]) }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.errors.map((e) => [e.at, e.error.code])).toEqual([[1, ErrorCodes.APPLY_FAILED], [1, ErrorCodes.QUARANTINED]]);
      expect(store.getLsn()).toBe(1);
      expect(store.rowsToFetch()).toEqual([{ entity: 'todos', id: 'b' }]);
    });
    await store.close();
  });

  it('an answer read before what this client already applied is asked for again, not put in place', async () => {
    const store = await openStore({ schema, clientId: 'client-1' });
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const stale: ServerFrame = { type: 'rows', entity: 'todos', lsn: 0, rows: [{ id: 'z', row: null }] };
      const h = harness(ts, { store, state$: hot('o', { o: 'open' }), message$: hot('w a r', { w: welcome(0), a: serverChanges(0, [ins(1, 'z', 'zed')]), r: stale }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(todos(store)).toEqual([{ id: 'z', title: 'zed', done: 0 }]);
      expect(h.transport.ofType('fetch_rows').map((s) => [s.at, s.frame.ids])).toEqual([[2, ['z']]]);
    });
    await store.close();
  });
});
