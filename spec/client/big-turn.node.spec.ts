/**
 * A turn of big rows against the real server: twelve rows of 900 KB written at once would make
 * one `client_change` frame of 10.8 MB, over the reference server's 8 MiB frame limit, which the
 * server refuses whole (close 1009); the same frame went again after every reconnect and the
 * client never synced. With the frame byte budget (maxFrameBytes, lib/engine/frame-budget.ts)
 * they leave in frames the server takes, and every row reaches it once. A single change too big
 * for any frame is refused when written (limit_exceeded), and nothing of it is recorded.
 */
import { createSyncClient, type SyncClient } from '../../lib/index.js';
import type { SyncServer } from '../../server/index.js';
import { SCHEMA, startServer } from '../server/helpers.js';
import { waitFor } from '../support/wait.js';

describe('a turn of big rows (real server, in-process client)', () => {
  let server: SyncServer;
  let client: SyncClient;
  beforeEach(async () => (server = await startServer()));
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('reaches the server in frames under its limit: every row once, nothing pending, no error', async () => {
    client = createSyncClient({ url: server.url, schema: SCHEMA, worker: false, storage: 'memory', backoff: { initialDelay: 10, maxDelay: 100 }, logLevel: 'silent' });
    const errors: string[] = [];
    client.errors$.subscribe((e) => errors.push(`${e.code}: ${e.message}`));
    await client.ready;
    await waitFor(client.status$, (s) => s.connection === 'synced', 'first synced');
    await Promise.all(Array.from({ length: 12 }, (_, i) => client.insert('todos', { id: `big${i}`, title: String.fromCharCode(97 + i).repeat(900_000), done: 0 })));
    await waitFor(client.status$, (s) => s.connection === 'synced' && s.pending === 0 && s.inFlight === 0 && s.lsn === 12, 'all 12 acknowledged', 20_000);
    expect(server.lsn()).toBe(12);
    expect(errors).toEqual([]);
    // A second device gets every row whole.
    const other = createSyncClient({ url: server.url, schema: SCHEMA, worker: false, storage: 'memory', logLevel: 'silent' });
    try {
      await waitFor(other.status$, (s) => s.connection === 'synced' && s.lsn === 12, 'second device synced', 20_000);
      const rows = await other.query<{ id: string; n: number }>('SELECT id, length(title) AS n FROM todos ORDER BY id');
      expect(rows).toEqual(Array.from({ length: 12 }, (_, i) => ({ id: `big${i}`, n: 900_000 })).sort((a, b) => a.id.localeCompare(b.id)));
    } finally {
      await other.close();
    }
  }, 60_000);

  it('refuses, when written, a single change too big for any frame, and goes on syncing', async () => {
    client = createSyncClient({ url: server.url, schema: SCHEMA, worker: false, storage: 'memory', backoff: { initialDelay: 10, maxDelay: 100 }, logLevel: 'silent' });
    await client.ready;
    await waitFor(client.status$, (s) => s.connection === 'synced', 'first synced');
    // 9 MB: over the client's 4 MiB frame budget and the reference server's 8 MiB frame limit.
    const refused = await client.insert('todos', { id: 'huge', title: 'h'.repeat(9_000_000), done: 0 }).then(() => null, (e: unknown) => e);
    expect(refused).toEqual(jasmine.objectContaining({ code: 'limit_exceeded' }));
    expect((refused as Error).message).toContain('maxFrameBytes');
    expect(await client.query('SELECT id FROM todos')).toEqual([]);
    await client.insert('todos', { id: 'small', title: 's', done: 0 });
    await waitFor(client.status$, (s) => s.connection === 'synced' && s.pending === 0 && s.inFlight === 0 && s.lsn === 1, 'the small row acknowledged', 20_000);
    expect(server.lsn()).toBe(1);
  }, 60_000);
});
