/**
 * Mixed app schema versions on one server, end to end: real clients (in-process hosts, `ws`)
 * over real sockets to the real server on 127.0.0.1, SQLite file on disk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSyncClient, ErrorCodes, type MigrationInput, type SyncClient, type SyncError } from '../../lib/index.js';
import { startSyncServer, type SyncServer } from '../../server/index.js';
import { waitFor } from '../support/wait.js';

const V1 = {
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } },
} as const;
const V2 = {
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER', priority: { type: 'INTEGER', notNull: true, default: 0 } } },
  tags: { primaryKey: 'id', columns: { id: 'TEXT', label: 'TEXT' } },
} as const;
const MIGRATIONS: MigrationInput[] = [{ version: 2, steps: [{ op: 'addColumn', table: 'todos', column: 'priority', backfill: 0 }, { op: 'addTable', table: 'tags' }] }];

describe('mixed schema versions (real server, real sockets)', () => {
  let dir: string;
  let server: SyncServer;
  const clients: SyncClient[] = [];
  const open = (v: 1 | 2 | 3, url = server.url): { client: SyncClient; errors: SyncError[] } => {
    const client =
      v === 1
        ? createSyncClient({ url, schema: V1, worker: false, storage: 'memory', backoff: { initialDelay: 10, maxDelay: 50 } })
        : createSyncClient({ url, schema: V2, schemaVersion: v, migrations: v === 2 ? MIGRATIONS : [...MIGRATIONS, { version: 3, steps: [] }], worker: false, storage: 'memory', backoff: { initialDelay: 10, maxDelay: 50 } });
    const errors: SyncError[] = [];
    client.errors$.subscribe((e) => errors.push(e));
    clients.push(client);
    return { client, errors };
  };
  const start = (extra: Partial<Parameters<typeof startSyncServer>[0]> = {}) =>
    startSyncServer({ host: '127.0.0.1', port: 0, db: path.join(dir, 'server.sqlite'), schema: V2, schemaVersion: 2, migrations: MIGRATIONS, logger: 'silent', ...extra });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-i15-mixed-'));
    server = await start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a v1 client follows a v2 client: unknown columns and tables are left out, never a stalled LSN', async () => {
    const v1 = open(1);
    const v2 = open(2);
    await Promise.all([v1.client.ready, v2.client.ready]);
    await v2.client.insert('todos', { id: 't1', title: 'from v2', done: 0, priority: 5 });
    await v2.client.insert('tags', { id: 'g1', label: 'a table v1 does not know' });
    await v2.client.update('todos', 't1', { priority: 7 }); // a change made only of an unknown column
    await v2.client.insert('todos', { id: 't2', title: 'second', done: 1, priority: 1 });
    await waitFor(v2.client.status$, (s) => s.pending === 0 && s.lsn === 4, 'v2 acked');
    // The v1 client's LSN reaches the server's: every frame was applied, the unknown parts left out.
    await waitFor(v1.client.status$, (s) => s.lsn === server.lsn() && s.connection === 'synced', 'v1 at the server lsn');
    expect(await v1.client.query('SELECT * FROM todos ORDER BY id')).toEqual([
      { id: 't1', title: 'from v2', done: 0 },
      { id: 't2', title: 'second', done: 1 },
    ]);
    expect(v1.errors.filter((e) => e.code === ErrorCodes.PROTOCOL || e.code === ErrorCodes.SCHEMA || e.code === ErrorCodes.APPLY_FAILED)).toEqual([]);
    // ... and its own writes still go up.
    await v1.client.update('todos', 't2', { title: 'edited by v1' });
    await waitFor(v1.client.status$, (s) => s.pending === 0, 'v1 acked');
    await waitFor(v2.client.query$<{ title: string; priority: number }>("SELECT title, priority FROM todos WHERE id = 't2'"), (r) => r[0]?.title === 'edited by v1', 'v2 sees it');
  });

  it("a v1 client's insert of an existing row keeps the v2 columns; a new row gets their default", async () => {
    const v1 = open(1);
    const v2 = open(2);
    await Promise.all([v1.client.ready, v2.client.ready]);
    await v2.client.insert('todos', { id: 't1', title: 'v2 title', done: 0, priority: 9 });
    await waitFor(v1.client.query$('SELECT id FROM todos'), (r) => r.length === 1, 'v1 has t1');
    await v1.client.insert('todos', { id: 't1', title: 'v1 rewrote the row', done: 1 });
    await v1.client.insert('todos', { id: 't3', title: 'new from v1', done: 0 });
    await waitFor(v1.client.status$, (s) => s.pending === 0 && s.lsn === 3, 'v1 acked');
    const rows = await waitFor(
      v2.client.query$<{ id: string; title: string; priority: number }>('SELECT id, title, done, priority FROM todos ORDER BY id'),
      (r) => r.length === 2 && r[0]!.title === 'v1 rewrote the row',
      'v2 sees the v1 writes',
    );
    expect(rows).toEqual([
      { id: 't1', title: 'v1 rewrote the row', done: 1, priority: 9 },
      { id: 't3', title: 'new from v1', done: 0, priority: 0 },
    ] as never);
    // A v2 client that joins later catches up to the same rows from the log.
    const late = open(2);
    await late.client.ready;
    await waitFor(late.client.status$, (s) => s.lsn === 3, 'late v2 caught up');
    expect(await late.client.query('SELECT id, title, done, priority FROM todos ORDER BY id')).toEqual(rows);
  });

  it('a version the server no longer serves (or does not know yet) gets a typed schema_outdated error and status, not a stall', async () => {
    await server.close();
    server = await start({ minSchemaVersion: 2 });
    const old = open(1);
    const newer = open(3);
    await Promise.all([old.client.ready, newer.client.ready]);
    const oldStatus = await waitFor(old.client.status$, (s) => s.lastError?.code === ErrorCodes.SCHEMA_OUTDATED, 'v1 told');
    expect(oldStatus.connection).not.toBe('synced');
    expect(old.errors.find((e) => e.code === ErrorCodes.SCHEMA_OUTDATED)?.message).toMatch(/no longer served.*update the app/);
    await waitFor(newer.client.status$, (s) => s.lastError?.code === ErrorCodes.SCHEMA_OUTDATED, 'v3 told');
    expect(newer.errors.find((e) => e.code === ErrorCodes.SCHEMA_OUTDATED)?.message).toMatch(/newer than the server's 2: update the server first/);
    // Local writes still work; they wait in the queue for an app update.
    await old.client.insert('todos', { id: 'offline', title: 'kept', done: 0 });
    expect((await old.client.pendingChanges()).length).toBe(1);
    expect(server.clientCount()).toBe(0);
  });
});
