/**
 * Issue 14, point 2: the server's identity (`welcome.server_id`). A server whose database was
 * created anew and whose LSN passed this client's must not be followed from the old LSN (that
 * would skip its first LSNs silently): it is reported (`server_changed`, errors$ and status) and
 * the replica is rebuilt from scratch, this client's pending changes kept and sent again.
 * Engine on the real sql.js store, in virtual time.
 */
import { TestScheduler } from 'rxjs/testing';
import { ErrorCodes } from '../../lib/errors.js';
import type { ServerChange, ServerFrame } from '../../lib/protocol/index.js';
import { openStore } from '../../lib/store/index.js';
import { applied, at, harness, page, update, welcome } from './fakes/harness.js';

const schema = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } } };
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const ins = (lsn: number, id: string, title: string): ServerChange => ({ lsn, change_id: `s${lsn}-${id}`, client_id: 'other', entity: 'todos', entity_id: id, op: 'insert', data: { id, title, done: 0 } });
const hello = (lsn: number, server_id: string): ServerFrame => ({ type: 'welcome', server_lsn: lsn, server_id });

describe('server identity (welcome.server_id)', () => {
  it('a different server_id resets the replica, catches up from 0 and re-sends the pending change', async () => {
    let n = 0;
    const store = await openStore({ schema, clientId: 'client-1', newId: () => `client-1-${++n}` });
    // A durable pending change from before (never acked by server A).
    store.recordLocalChanges([update('todos', 'mine', { id: 'mine', title: 'pending' })], 0);
    await store.whenDurable();
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, {
        store,
        // Open, a drop at 20, open again at 30 on a recreated server (LSN 3 > ours, another id).
        state$: hot('o 19ms c 9ms o', { o: 'open', c: 'connecting' }),
        message$: hot('a b 28ms c d 10ms k', {
          a: hello(1, 'server-A'),
          b: page(0, 1, [ins(1, 'old', 'from the old log')], true),
          c: hello(3, 'server-B'),
          d: page(0, 3, [ins(1, 'n1', 'one'), ins(2, 'n2', 'two'), ins(3, 'n3', 'three')], true),
          k: applied(['client-1-1', 4]),
        }),
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(store.serverId()).toBe('server-B');
      expect(h.errors.map((e) => [e.at, e.error.code])).toEqual([[30, ErrorCodes.SERVER_CHANGED]]);
      expect(h.errors[0]!.error.message).toContain('1 pending change(s) kept');
      // Catch-up asked from 0 on the new log, not from the old LSN 1.
      expect(h.transport.ofType('sync_request').map((s) => [s.at, s.frame.from_lsn])).toEqual([[0, 0], [30, 0]]);
      expect(store.query('SELECT id FROM todos ORDER BY id')).toEqual([{ id: 'mine' }, { id: 'n1' }, { id: 'n2' }, { id: 'n3' }]);
      // The pending change went out on server A, and again on the new server B, where it was acked.
      expect(h.transport.changeFrames()).toEqual([[1, ['client-1-1']], [31, ['client-1-1']]]);
      expect(store.counts()).toEqual({ pending: 0, failed: 0 });
      expect(store.getLsn()).toBe(3);
      expect(h.statuses.some((s) => s.status.lastError?.code === ErrorCodes.SERVER_CHANGED)).toBeTrue();
    });
    await store.close();
  });

  it('the same server_id (a restored backup keeps it) changes nothing; the first one is stored', async () => {
    const store = await openStore({ schema, clientId: 'client-1' });
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { store, state$: hot('o', { o: 'open' }), message$: hot('a 5ms b', { a: hello(0, 'server-A'), b: welcome(0) }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 50, () => h.engine.stop());
      ts.flush();
      expect(store.serverId()).toBe('server-A');
      expect(h.errors).toEqual([]);
    });
    await store.close();
  });
});
