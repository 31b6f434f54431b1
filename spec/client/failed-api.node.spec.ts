/**
 * Issue 14, points 4 and 6, through the public client (in-process host, real sql.js store, real
 * server over real sockets): failed changes can be retried or discarded; errors keep their class
 * across the host boundary; metrics$ reaches the app; the first status$ value is the stored one;
 * a recreated server database (another server_id) is followed from scratch.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { firstValueFrom } from 'rxjs';
import { ChangeRejectedError, ErrorCodes, createSyncClient, type SyncClient } from '../../lib/index.js';
import { startSyncServer } from '../../server/index.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { waitFor } from '../support/wait.js';

type Server = Awaited<ReturnType<typeof startSyncServer>>;

describe('failed changes, metrics and status through the client (Node, real server)', () => {
  let server: Server;
  let dir: string;
  let refuse: string | null;
  const clients: SyncClient[] = [];
  const start = (port = 0) =>
    startSyncServer({
      host: '127.0.0.1', port, db: path.join(dir, 'server.sqlite'), schema: TEST_SCHEMA, logger: 'silent',
      permit: (c) => (c.entity === 'todos' && (c.data as { title?: string } | null)?.title === refuse ? 'title refused' : null),
    });
  const open = (extra: Partial<Parameters<typeof createSyncClient>[0]> = {}) => {
    const c = createSyncClient({ url: server.url, schema: TEST_SCHEMA, worker: false, storage: 'memory', backoff: { initialDelay: 10, maxDelay: 100 }, ...extra });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    refuse = 'bad';
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-failed-'));
    server = await start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a rejection is a ChangeRejectedError on the main thread; retryFailed sends it again once the server accepts it', async () => {
    const a = open();
    await waitFor(a.status$, (s) => s.connection === 'synced', 'synced');
    const rejected = waitFor(a.errors$, (e) => e.code === ErrorCodes.REJECTED, 'rejection');
    await a.insert('todos', { id: 'r', title: 'bad', done: 0 });
    expect(await rejected).toEqual(jasmine.any(ChangeRejectedError));
    await waitFor(a.status$, (s) => s.failed === 1, 'failed');
    const [failed] = await a.failedChanges();
    refuse = null;
    expect(await a.retryFailed()).toEqual([failed!.change_id]);
    await waitFor(a.status$, (s) => s.failed === 0 && s.pending === 0 && s.lsn === 1, 'retried and acked');
    expect(await a.query('SELECT id, title FROM todos')).toEqual([{ id: 'r', title: 'bad' }]);
    expect(await a.failedChanges()).toEqual([]);
  });

  it('discardFailed removes the change and puts the server\'s version of the row back', async () => {
    const a = open();
    await waitFor(a.status$, (s) => s.connection === 'synced', 'synced');
    await a.insert('todos', { id: 'd', title: 'good', done: 0 });
    await waitFor(a.status$, (s) => s.pending === 0 && s.lsn === 1, 'acked');
    await a.update('todos', 'd', { title: 'bad' });
    await waitFor(a.status$, (s) => s.failed === 1, 'failed');
    const [failed] = await a.failedChanges();
    expect(await a.discardFailed([failed!.change_id])).toEqual([failed!.change_id]);
    await waitFor(a.status$, (s) => s.failed === 0, 'no failed change left');
    await waitFor(a.query$<{ title: string }>("SELECT title FROM todos WHERE id = 'd'"), (r) => r[0]?.title === 'good', 'server version');
    expect(await a.failedChanges()).toEqual([]);
    expect(await a.quarantinedChanges()).toEqual([]);
  });

  it('metrics$ reaches the app with the README counters', async () => {
    const a = open();
    await waitFor(a.status$, (s) => s.connection === 'synced', 'synced');
    await a.insert('todos', { id: 'm', title: 'counted', done: 0 });
    const m = await waitFor(a.metrics$, (x) => x.changesAcked === 1, 'metrics with the ack');
    expect(m).toEqual(jasmine.objectContaining({ changesRecorded: 1, changesSent: 1, changesAcked: 1, changesFailed: 0, changesQuarantined: 0, rowsFetched: 0 }));
  });

  it('the first status$ value is the stored one (not a made-up lsn 0)', async () => {
    const file = path.join(dir, 'client.db');
    const a = open({ storage: { file } });
    await a.insert('todos', { id: 's', title: 'stored', done: 0 });
    await waitFor(a.status$, (s) => s.lsn === 1 && s.pending === 0, 'acked');
    await a.close();
    const again = open({ storage: { file }, url: undefined });
    const first = await firstValueFrom(again.status$);
    expect(first).toEqual(jasmine.objectContaining({ lsn: 1, pending: 0, connection: 'disconnected' }));
  });

  it('a server whose database was created anew (another server_id, LSN past ours) is followed from scratch, pending changes kept', async () => {
    const file = path.join(dir, 'client.db');
    const a = open({ storage: { file } });
    await a.insert('todos', { id: 'old', title: 'on the old server', done: 0 });
    await waitFor(a.status$, (s) => s.lsn === 1 && s.pending === 0, 'acked by the old server');
    await a.close();
    const port = server.port;
    await server.close();
    for (const ext of ['', '-wal', '-shm']) fs.rmSync(path.join(dir, `server.sqlite${ext}`), { force: true });
    server = await start(port);
    const other = open();
    await other.write([1, 2, 3].map((i) => ({ op: 'insert' as const, table: 'todos', row: { id: `n${i}`, title: `new ${i}`, done: 0 } })));
    await waitFor(other.status$, (s) => s.lsn === 3 && s.pending === 0, 'new log at 3');
    const a2 = open({ storage: { file }, url: undefined });
    await a2.insert('todos', { id: 'mine', title: 'pending across the reset', done: 0 });
    await a2.close();
    const a3 = open({ storage: { file } });
    const changed = await waitFor(a3.errors$, (e) => e.code === ErrorCodes.SERVER_CHANGED, 'server_changed');
    expect(changed.message).toContain('1 pending change(s) kept');
    await waitFor(a3.status$, (s) => s.connection === 'synced' && s.pending === 0 && s.lsn === 4, 'resynced from scratch, change re-sent');
    expect(await a3.query('SELECT id FROM todos ORDER BY id')).toEqual([{ id: 'mine' }, { id: 'n1' }, { id: 'n2' }, { id: 'n3' }]);
  });
});
