/**
 * The public client API in Node: in-process hosts (`worker: false`) with `ws`, against the REAL
 * reference server on 127.0.0.1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSyncClient, SchemaError, type SyncClient } from '../../lib/index.js';
import { startSyncServer } from '../../server/index.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { waitFor } from '../support/wait.js';

type Server = Awaited<ReturnType<typeof startSyncServer>>;

describe('createSyncClient (Node, in-process, real server)', () => {
  let server: Server;
  let dir: string;
  const clients: SyncClient[] = [];
  const open = (extra: Partial<Parameters<typeof createSyncClient>[0]> = {}) => {
    const c = createSyncClient({ url: server.url, schema: TEST_SCHEMA, worker: false, storage: 'memory', backoff: { initialDelay: 10, maxDelay: 100 }, ...extra });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-client-'));
    server = await startSyncServer({ host: '127.0.0.1', port: 0, db: path.join(dir, 'server.sqlite'), schema: TEST_SCHEMA, logger: 'silent' });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a change in one client appears in the other', async () => {
    const a = open();
    const b = open();
    await Promise.all([a.ready, b.ready]);
    await waitFor(b.status$, (s) => s.connection === 'synced', 'b synced');
    await a.insert('todos', { id: 't1', title: 'from a', done: 0 });
    const rows = await waitFor(b.query$<{ id: string; title: string }>('SELECT id, title FROM todos'), (r) => r.length === 1, 'row in b');
    expect(rows).toEqual([{ id: 't1', title: 'from a' }]);
    await waitFor(a.status$, (s) => s.pending === 0 && s.lsn === 1, 'a acked');
    expect(server.lsn()).toBe(1);
  });

  it('query$ re-emits after the client\'s own writes, and only when the result changed', async () => {
    const a = open({ url: undefined });
    await a.ready;
    const seen: number[] = [];
    const sub = a.query$<{ n: number }>('SELECT count(*) AS n FROM todos').subscribe((r) => seen.push(r[0]!.n));
    await waitFor(a.query$<{ n: number }>('SELECT count(*) AS n FROM todos'), (r) => r[0]!.n === 0, 'first result');
    await a.insert('todos', { id: 'x1', title: 'own write', done: 0 });
    await waitFor(a.query$<{ n: number }>('SELECT count(*) AS n FROM todos'), (r) => r[0]!.n === 1, 'after insert');
    await a.insert('notes', { id: 'n1', body: 'other table', rank: 1 });  // does not touch todos: no re-run
    await a.update('todos', 'x1', { title: 'same count' });               // re-runs, same result: no emission
    await a.insert('todos', { id: 'x2', title: 'second', done: 0 });
    await waitFor(a.query$<{ n: number }>('SELECT count(*) AS n FROM todos'), (r) => r[0]!.n === 2, 'after second insert');
    await a.query('SELECT 1'); // let the last re-run land
    sub.unsubscribe();
    expect(seen).toEqual([0, 1, 2]);
  });

  it('a bad schema rejects ready with the host\'s SchemaError (its path), also on errors$ and status.lastError', async () => {
    const bad = { todos: { primaryKey: 'id', columns: { id: 'TEXT', done: { type: 'INTEGER', notnull: true } } } };
    const a = open({ url: undefined, schema: bad as never });
    const errors: unknown[] = [];
    a.errors$.subscribe((e) => errors.push(e));
    await expectAsync(a.ready).toBeRejectedWithError(SchemaError, /todos\.columns\.done\.notnull/);
    // A write made before ready fails with the same reason, not with "unknown table".
    await expectAsync(a.insert('todos', { id: 'x' })).toBeRejectedWithError(SchemaError, /todos\.columns\.done\.notnull/);
    expect(errors.length).toBe(1);
    expect(errors[0]).toBeInstanceOf(SchemaError);
    expect((await waitFor(a.status$, (s) => s.lastError !== null, 'lastError')).lastError!.path).toBe('todos.columns.done.notnull');
  });

  it('rejects an unknown table, column or bad value at once, and records nothing', async () => {
    const a = open({ url: undefined });
    await a.ready;
    await expectAsync(a.insert('users', { id: 'x' })).toBeRejectedWithError(SchemaError, /unknown table "users"/);
    await expectAsync(a.insert('todos', { id: 'x', owner: 'y' })).toBeRejectedWithError(SchemaError, /unknown column "owner"/);
    await expectAsync(a.update('todos', 'x', { done: 'yes' })).toBeRejectedWithError(SchemaError, /not INTEGER/);
    expect(await a.query('SELECT count(*) AS n FROM local_changes')).toEqual([{ n: 0 }]);
  });

  it('records offline, lists pending changes, and sends them after connect', async () => {
    const a = open();
    await a.ready;
    await waitFor(a.status$, (s) => s.connection === 'synced', 'a synced');
    a.disconnect();
    await waitFor(a.status$, (s) => s.connection === 'disconnected', 'a disconnected');
    await a.write([
      { op: 'insert', table: 'todos', row: { id: 'o1', title: 'offline', done: 0 } },
      { op: 'update', table: 'todos', id: 'o1', patch: { done: 1 } },
    ]);
    const pending = await a.pendingChanges();
    expect(pending.map((c) => [c.op, c.entity_id])).toEqual([['insert', 'o1'], ['update', 'o1']]);
    expect(server.lsn()).toBe(0);
    a.connect();
    await waitFor(a.status$, (s) => s.connection === 'synced' && s.pending === 0, 'a sent its offline changes');
    expect(server.lsn()).toBe(2);
    expect(await a.pendingChanges()).toEqual([]);
    expect(await a.failedChanges()).toEqual([]);
  });

  it('file storage: a reopened client keeps its data and LSN and resumes from it', async () => {
    const file = path.join(dir, 'client.db');
    const a = open({ storage: { file } });
    const b = open();
    await Promise.all([a.ready, b.ready]);
    await b.insert('todos', { id: 'b1', title: 'one', done: 0 });
    await waitFor(a.status$, (s) => s.lsn === 1, 'a at lsn 1');
    const idA = await a.clientId;
    await a.close();
    await b.insert('todos', { id: 'b2', title: 'two', done: 0 });
    const a2 = open({ storage: { file } });
    await a2.ready;
    expect(await a2.clientId).toBe(idA);
    await waitFor(a2.status$, (s) => s.lsn === 2 && s.connection === 'synced', 'a2 caught up');
    expect(await a2.query('SELECT id FROM todos ORDER BY id')).toEqual([{ id: 'b1' }, { id: 'b2' }]);
    // nothing applied twice: one local_changes row per server change received as a change (b1
    // may have come in a's first-sync snapshot, which writes rows but no history); b2 came from the log
    const history = (await a2.query<{ lsn: number }>(`SELECT lsn FROM local_changes WHERE origin = 'server' ORDER BY lsn`)).map((r) => r.lsn);
    expect([[1, 2], [2]]).toContain(history);
  });

  it('a server restored from an older backup (behind the client): the client follows it and re-sends what it lost', async () => {
    const a = open();
    await a.ready;
    await a.write([
      { op: 'insert', table: 'todos', row: { id: 'k1', title: 'kept', done: 0 } },
    ]);
    await waitFor(a.status$, (s) => s.lsn === 1 && s.pending === 0, 'first change acked');
    const backup = path.join(dir, 'backup.sqlite');
    await server.close();
    fs.copyFileSync(path.join(dir, 'server.sqlite'), backup); // the backup holds LSN 1
    server = await startSyncServer({ host: '127.0.0.1', port: server.port, db: path.join(dir, 'server.sqlite'), schema: TEST_SCHEMA, logger: 'silent' });
    await a.insert('todos', { id: 'k2', title: 'lost by the restore', done: 0 });
    await a.insert('todos', { id: 'k3', title: 'lost too', done: 0 });
    await waitFor(a.status$, (s) => s.lsn === 3 && s.pending === 0, 'all acked');
    // Restore the older backup: the server is now at LSN 1, the client at 3.
    await server.close();
    for (const ext of ['', '-wal', '-shm']) fs.rmSync(path.join(dir, `server.sqlite${ext}`), { force: true });
    fs.copyFileSync(backup, path.join(dir, 'server.sqlite'));
    server = await startSyncServer({ host: '127.0.0.1', port: server.port, db: path.join(dir, 'server.sqlite'), schema: TEST_SCHEMA, logger: 'silent' });
    expect(server.lsn()).toBe(1);
    const ahead = await waitFor(a.errors$, (e) => e.code === 'client_ahead', 'client_ahead reported', 15_000);
    expect(ahead.message).toContain('2 acked change(s) will be sent again');
    await waitFor(a.status$, (s) => s.connection === 'synced' && s.pending === 0 && s.lsn === 3, 'resynced', 15_000);
    expect(server.lsn()).toBe(3);
    const b = open();
    await waitFor(b.query$<{ id: string }>('SELECT id FROM todos ORDER BY id'), (r) => r.length === 3, 'a new client sees all three rows');
  });

  it('query runs read-only: a write through query() fails and changes nothing', async () => {
    const a = open({ url: undefined });
    await a.ready;
    await a.insert('todos', { id: 'q', title: 'x', done: 0 });
    await expectAsync(a.query(`DELETE FROM todos`)).toBeRejected();
    expect(await a.query('SELECT id FROM todos')).toEqual([{ id: 'q' }]);
  });
});
