/**
 * Many tabs, one database (issue 13), in real Chromium with real workers, IndexedDB, Web Locks,
 * BroadcastChannel and the real sync server. Several clients on one dbName in one page behave as
 * tabs: each has its own BroadcastChannel object and lock request (the Playwright spec,
 * spec/tabs/pages.node.spec.ts, does the same with real pages).
 */
import { firstValueFrom } from 'rxjs';
import { createSyncClient, type SyncClient, type SyncClientOptions } from '../../lib/index.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { TEST_MIGRATIONS_V2, TEST_SCHEMA_V2 } from '../support/schema-v2.js';
import { syncServerUrl, uniqueName } from '../support/browser-env.js';
import { eventually, waitFor } from '../support/wait.js';

type Todo = { id: string; title: string; done: number };

describe('tabs: one engine per database (Chromium)', () => {
  const clients: SyncClient[] = [];
  const open = (dbName: string, extra: Partial<SyncClientOptions> = {}) => {
    const c = createSyncClient({ url: syncServerUrl(), schema: TEST_SCHEMA, dbName, backoff: { initialDelay: 50, maxDelay: 200 }, ...extra });
    clients.push(c);
    return c;
  };
  const role = (c: SyncClient) => waitFor(c.status$, (s) => s.role === 'leader' || s.role === 'follower', 'a role').then((s) => s.role);
  afterEach(() => {
    for (const c of clients.splice(0)) c.terminate();
  });

  it('the first tab leads, the second follows: same client_id, the same API, writes durable once, live queries in both', async () => {
    const db = uniqueName('tabs');
    const a = open(db);
    expect(await role(a)).toBe('leader');
    const b = open(db);
    expect(await role(b)).toBe('follower');
    await Promise.all([a.ready, b.ready]);
    expect(await b.clientId).toBe(await a.clientId);
    // The server is shared by every spec: this spec's rows are the ones named after its database.
    const mine = `SELECT * FROM todos WHERE id LIKE '${db}%' ORDER BY id`;
    const inA = waitFor(a.query$<Todo>(mine), (rows) => rows.length === 2, 'both writes in tab A');
    const inB = waitFor(b.query$<Todo>(mine), (rows) => rows.length === 2, 'both writes in tab B');
    await b.insert('todos', { id: `${db}-b`, title: 'follower', done: 0 });
    await a.insert('todos', { id: `${db}-a`, title: 'leader', done: 0 });
    expect((await inA).map((r) => r.id)).toEqual([`${db}-a`, `${db}-b`]);
    expect((await inB).map((r) => r.id)).toEqual([`${db}-a`, `${db}-b`]);
    await b.update('todos', `${db}-a`, { done: 1 });
    expect(await b.query<Todo>('SELECT done FROM todos WHERE id = ?', [`${db}-a`])).toEqual([{ done: 1 } as Todo]);
    // Both reach the server; the follower sees the one engine's status, counts and all.
    await waitFor(b.status$, (s) => s.pending === 0 && s.connection === 'synced', 'follower status synced, nothing pending');
    expect((await b.pendingChanges()).length).toBe(0);
    expect(await b.failedChanges()).toEqual([]);
    // The rest of the API is relayed as it is (issue 14's methods included).
    expect(await b.retryFailed()).toEqual([]);
    expect(await b.discardFailed()).toEqual([]);
    expect(await b.quarantinedChanges()).toEqual([]);
    expect(typeof (await firstValueFrom(b.metrics$))).toBe('object');
    const local = await a.query<{ n: number }>("SELECT count(*) AS n FROM local_changes WHERE origin = 'local'");
    expect(local[0]!.n).toBe(3);
  });

  it('failover: the leader closes, the follower takes the lock, reopens the database and carries on', async () => {
    const db = uniqueName('tabs');
    const a = open(db);
    await a.ready;
    const b = open(db);
    await b.ready;
    expect(await firstValueFrom(b.status$).then((s) => s.role)).toBe('follower');
    await b.insert('todos', { id: `${db}-1`, title: 'before', done: 0 });
    await a.close();
    await waitFor(b.status$, (s) => s.role === 'leader', 'tab B leads');
    await b.insert('todos', { id: `${db}-2`, title: 'after', done: 0 });
    expect((await b.query<Todo>(`SELECT id FROM todos WHERE id LIKE '${db}%' ORDER BY id`)).map((r) => r.id)).toEqual([`${db}-1`, `${db}-2`]);
    await waitFor(b.status$, (s) => s.connection === 'synced' && s.pending === 0, 'new leader synced');
  });

  it('a write in flight when the leader dies is re-sent to the new leader and recorded once', async () => {
    const db = uniqueName('tabs');
    const a = open(db);
    await a.ready;
    const b = open(db);
    await b.ready;
    const c = open(db);
    await c.ready;
    // B writes; A dies right away (worker stopped, lock let go), before or after making it durable.
    const writes = [b.insert('todos', { id: `${db}-1`, title: 'x', done: 0 }), c.write([{ op: 'insert', table: 'todos', row: { id: `${db}-2`, title: 'y', done: 0 } }])];
    a.terminate();
    await Promise.all(writes);
    const leader = await Promise.race([waitFor(b.status$, (s) => s.role === 'leader', 'B leads').then(() => b), waitFor(c.status$, (s) => s.role === 'leader', 'C leads').then(() => c)]);
    const other = leader === b ? c : b;
    await waitFor(other.status$, (s) => s.role === 'follower', 'the other one follows the new leader');
    const rows = await other.query<{ entity_id: string; n: number }>("SELECT entity_id, count(*) AS n FROM local_changes WHERE origin = 'local' GROUP BY entity_id ORDER BY entity_id");
    expect(rows).toEqual([{ entity_id: `${db}-1`, n: 1 }, { entity_id: `${db}-2`, n: 1 }]);
    await eventually(async () => (await leader.pendingChanges()).length === 0, 'both writes acknowledged');
  });

  it('an app update: a tab on a newer schema version takes the lead, migrates, and the old tab follows', async () => {
    const db = uniqueName('tabs');
    const old = open(db, { url: undefined });
    await old.ready;
    await old.insert('todos', { id: `${db}-old`, title: 'v1', done: 0 });
    expect(await role(old)).toBe('leader');
    const updated = createSyncClient({ schema: TEST_SCHEMA_V2, schemaVersion: 2, migrations: TEST_MIGRATIONS_V2, dbName: db });
    clients.push(updated);
    await updated.ready;
    await waitFor(updated.status$, (s) => s.role === 'leader', 'the v2 tab leads');
    await waitFor(old.status$, (s) => s.role === 'follower', 'the v1 tab follows');
    // The v1 tab's write goes to the v2 engine (its defaults fill the new columns).
    await old.insert('todos', { id: `${db}-old2`, title: 'v1 again', done: 0 });
    const rows = await updated.query<{ id: string; priority: number }>(`SELECT id, priority FROM todos WHERE id LIKE '${db}%' ORDER BY id`);
    expect(rows).toEqual([{ id: `${db}-old`, priority: 0 }, { id: `${db}-old2`, priority: 0 }]);
  });

  it('tabs: false keeps one engine per client (and then the store refuses the older writer)', async () => {
    const db = uniqueName('tabs');
    const a = open(db, { tabs: false, url: undefined });
    await a.ready;
    expect((await firstValueFrom(a.status$)).role).toBeUndefined();
    await a.insert('todos', { id: 'one', title: 'x', done: 0 });
    const b = open(db, { tabs: false, url: undefined });
    await b.ready;
    const refused = await a.insert('todos', { id: 'two', title: 'y', done: 0 }).then(() => null, (e: { code: string }) => e.code);
    expect(refused).toBe('store_taken_over');
    expect((await b.query<Todo>('SELECT id FROM todos')).map((r) => r.id)).toEqual(['one']);
  });
});
