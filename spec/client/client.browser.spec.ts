/**
 * End to end in Chromium: the REAL sync worker (webpack-bundled Web Worker) with sql.js and
 * IndexedDB, against the REAL reference server that karma.conf.js started on 127.0.0.1.
 */
import { createSyncClient, type SyncClient, type SyncClientOptions } from '../../lib/index.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { restartSyncServer, syncServerLsn, syncServerUrl, uniqueName } from '../support/browser-env.js';
import { waitFor } from '../support/wait.js';

describe('sync client in a real worker (Chromium, IndexedDB, real server)', () => {
  const clients: SyncClient[] = [];
  const open = (extra: Partial<SyncClientOptions> = {}) => {
    const c = createSyncClient({
      url: syncServerUrl(), schema: TEST_SCHEMA, storage: 'indexeddb', dbName: uniqueName('db'),
      backoff: { initialDelay: 20, maxDelay: 200 }, ...extra,
    });
    clients.push(c);
    return c;
  };
  const synced = (c: SyncClient, what: string) => waitFor(c.status$, (s) => s.connection === 'synced' && s.pending === 0, what);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  });

  it('runs in a Web Worker, not on the main thread', async () => {
    const a = open({ url: undefined });
    await a.ready;
    expect(typeof Worker).toBe('function');
    // The page has no sql.js loaded: all SQL runs in the worker.
    expect((globalThis as { initSqlJs?: unknown }).initSqlJs).toBeUndefined();
    expect(await a.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('a change in one client appears in the other', async () => {
    const a = open();
    const b = open();
    await Promise.all([synced(a, 'a synced'), synced(b, 'b synced')]);
    const id = uniqueName('todo');
    await a.insert('todos', { id, title: 'hello from a', done: 0 });
    const rows = await waitFor(b.query$<{ title: string }>('SELECT title FROM todos WHERE id = ?', [id]), (r) => r.length === 1, 'row in b');
    expect(rows[0]!.title).toBe('hello from a');
    await b.update('todos', id, { done: 1 });
    await waitFor(a.query$<{ done: number }>('SELECT done FROM todos WHERE id = ?', [id]), (r) => r[0]?.done === 1, 'update in a');
  });

  it('a server restart mid-stream loses nothing', async () => {
    const a = open();
    const b = open();
    await Promise.all([synced(a, 'a synced'), synced(b, 'b synced')]);
    const prefix = uniqueName('r');
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      writes.push(a.insert('todos', { id: `${prefix}-${i}`, title: `n${i}`, done: 0 }));
      if (i === 15) writes.push(restartSyncServer().then(() => undefined));
    }
    await Promise.all(writes);
    await synced(a, 'a re-synced after the restart');
    const rows = await waitFor(
      b.query$<{ n: number }>('SELECT count(*) AS n FROM todos WHERE id LIKE ?', [`${prefix}-%`]),
      (r) => r[0]?.n === 40, 'all 40 rows in b', 15_000,
    );
    expect(rows[0]!.n).toBe(40);
    expect(await a.failedChanges()).toEqual([]);
  });

  it('a reload (worker terminated) resumes from the stored LSN and re-sends only unacknowledged changes', async () => {
    const dbName = uniqueName('reload');
    const a = open({ dbName });
    const b = open();
    await Promise.all([synced(a, 'a synced'), synced(b, 'b synced')]);
    const prefix = uniqueName('k');
    await b.insert('todos', { id: `${prefix}-from-b`, title: 'b', done: 0 });
    await a.insert('todos', { id: `${prefix}-acked`, title: 'acked', done: 0 });
    const before = await waitFor(a.status$, (s) => s.pending === 0 && s.lsn >= 2, 'a acked and applied');
    a.disconnect();
    await waitFor(a.status$, (s) => s.connection === 'disconnected', 'a offline');
    await a.insert('todos', { id: `${prefix}-unacked`, title: 'unacked', done: 0 });
    a.terminate(); // no flush, no close: a page reload

    const a2 = open({ dbName });
    await a2.ready;
    const first = await waitFor(a2.status$, (s) => s.lsn > 0, 'a2 status from the stored data');
    expect(first.lsn).toBeGreaterThanOrEqual(before.lsn);
    await synced(a2, 'a2 synced');
    const rows = await a2.query<{ id: string }>('SELECT id FROM todos WHERE id LIKE ? ORDER BY id', [`${prefix}-%`]);
    expect(rows.map((r) => r.id)).toEqual([`${prefix}-acked`, `${prefix}-from-b`, `${prefix}-unacked`]);
    const history = await a2.query<{ n: number }>(`SELECT count(*) AS n FROM local_changes WHERE entity_id LIKE ? AND origin = 'local'`, [`${prefix}-%`]);
    expect(history[0]!.n).toBe(2);
    await waitFor(b.query$<{ n: number }>('SELECT count(*) AS n FROM todos WHERE id = ?', [`${prefix}-unacked`]), (r) => r[0]?.n === 1, 'unacked change reached b');
    // The server logged each of a's changes once: the acknowledged one was not re-sent, the
    // unacknowledged one was, once. (Counted in b's copy of the log, not from the server's LSN:
    // clients of other specs may still write to the shared server meanwhile.)
    const serverLsn = await syncServerLsn();
    await waitFor(b.status$, (s) => s.lsn >= serverLsn, 'b caught up with the server');
    const logged = await b.query<{ entity_id: string; n: number }>(
      "SELECT entity_id, count(*) AS n FROM local_changes WHERE origin = 'server' AND entity_id LIKE ? GROUP BY entity_id ORDER BY entity_id",
      [`${prefix}-%`],
    );
    expect(logged).toEqual([{ entity_id: `${prefix}-acked`, n: 1 }, { entity_id: `${prefix}-unacked`, n: 1 }]);
  });
});
