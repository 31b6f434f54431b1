/**
 * Mixed app schema versions in Chromium: REAL sync workers (sql.js, IndexedDB) on schema v1 and
 * v2, against a REAL server at v2 on 127.0.0.1 (started through the karma control endpoint).
 */
import { createSyncClient, type SyncClient, type SyncError } from '../../lib/index.js';
import { startV2SyncServer, uniqueName } from '../support/browser-env.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { TEST_MIGRATIONS_V2, TEST_SCHEMA_V2 } from '../support/schema-v2.js';
import { waitFor } from '../support/wait.js';

describe('mixed schema versions (Chromium workers, real v2 server)', () => {
  const clients: SyncClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  });

  it('v1 and v2 workers sync the same rows; v2 types round-trip; v1 never stalls nor erases v2 columns', async () => {
    const url = await startV2SyncServer();
    const common = { url, storage: 'indexeddb' as const, backoff: { initialDelay: 20, maxDelay: 200 } };
    const v1 = createSyncClient({ ...common, schema: TEST_SCHEMA, dbName: uniqueName('v1') });
    const v2 = createSyncClient({ ...common, schema: TEST_SCHEMA_V2, schemaVersion: 2, migrations: TEST_MIGRATIONS_V2, dbName: uniqueName('v2') });
    const v2b = createSyncClient({ ...common, schema: TEST_SCHEMA_V2, schemaVersion: 2, migrations: TEST_MIGRATIONS_V2, dbName: uniqueName('v2b') });
    clients.push(v1, v2, v2b);
    const v1Errors: SyncError[] = [];
    v1.errors$.subscribe((e) => v1Errors.push(e));
    await Promise.all([v1.ready, v2.ready, v2b.ready]);

    const photo = new Uint8Array([0, 255, 7]);
    await v2.insert('todos', { id: 't1', title: 'from v2', done: 0, priority: 4, flag: true, meta: { a: [1, 2] }, photo });
    await v2.insert('tags', { id: 'g1', label: 'unknown to v1' });
    await waitFor(v2.status$, (s) => s.pending === 0 && s.lsn === 2, 'v2 acked');
    await waitFor(v1.status$, (s) => s.lsn === 2, 'v1 applied both frames');
    expect(await v1.query('SELECT * FROM todos')).toEqual([{ id: 't1', title: 'from v2', done: 0 }]);
    const other = await waitFor(v2b.query$<Record<string, unknown>>('SELECT * FROM todos'), (r) => r.length === 1, 'v2b has t1');
    expect(other[0]).toEqual({ id: 't1', title: 'from v2', done: 0, priority: 4, flag: true, meta: { a: [1, 2] }, photo });

    await v1.insert('todos', { id: 't1', title: 'v1 rewrote it', done: 1 });
    const after = await waitFor(v2b.query$<Record<string, unknown>>('SELECT title, priority, flag, meta, photo FROM todos'), (r) => r[0]?.['title'] === 'v1 rewrote it', 'v2b sees the v1 insert');
    expect(after[0]).toEqual({ title: 'v1 rewrote it', priority: 4, flag: true, meta: { a: [1, 2] }, photo });
    expect(v1Errors.filter((e) => e.code !== 'connection_error')).toEqual([]);
  });

  it('an app update migrates the IndexedDB database in the worker on open, and the upgraded client syncs at v2', async () => {
    const url = await startV2SyncServer();
    const dbName = uniqueName('upgrade');
    const common = { url, storage: 'indexeddb' as const, dbName, backoff: { initialDelay: 20, maxDelay: 200 } };
    const old = createSyncClient({ ...common, schema: TEST_SCHEMA });
    clients.push(old);
    await old.insert('todos', { id: 'kept', title: 'written by v1', done: 1 });
    await waitFor(old.status$, (s) => s.pending === 0 && s.lsn === 1, 'v1 acked');
    await old.close();
    const upgraded = createSyncClient({ ...common, schema: TEST_SCHEMA_V2, schemaVersion: 2, migrations: TEST_MIGRATIONS_V2 });
    clients.push(upgraded);
    expect(await upgraded.query('SELECT id, title, done, priority, flag, meta, photo FROM todos')).toEqual([
      { id: 'kept', title: 'written by v1', done: 1, priority: 0, flag: false, meta: null, photo: null },
    ]);
    expect(await upgraded.query("SELECT value FROM sync_state WHERE key = 'app_schema_version'")).toEqual([{ value: 2 }]);
    await upgraded.update('todos', 'kept', { flag: true, meta: ['now', 'v2'] });
    await waitFor(upgraded.status$, (s) => s.pending === 0 && s.lsn === 2, 'v2 acked');
  });
});
