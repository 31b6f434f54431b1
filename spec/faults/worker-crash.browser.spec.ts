/**
 * Process faults in Chromium: the real sync worker is terminated in the middle of a stream of
 * write batches (several `write()` batches in flight, a peer's changes arriving), then a new
 * worker is started on the same IndexedDB database. Every write reported recorded survives and
 * reaches the server exactly once, nothing is recorded or applied twice, nothing failed, and the
 * replica equals what a fresh client gets from the server.
 */
import { createSyncClient, type SyncClient, type SyncClientOptions } from '../../lib/index.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { syncServerLsn, syncServerUrl, uniqueName } from '../support/browser-env.js';
import { waitFor } from '../support/wait.js';

describe('faults: a worker terminated mid-batch (Chromium, IndexedDB)', () => {
  const clients: SyncClient[] = [];
  const open = (extra: Partial<SyncClientOptions> = {}) => {
    const c = createSyncClient({ url: syncServerUrl(), schema: TEST_SCHEMA, storage: 'indexeddb', dbName: uniqueName('db'), backoff: { initialDelay: 5, maxDelay: 50 }, ...extra });
    clients.push(c);
    return c;
  };
  const settled = (c: SyncClient, what: string) => waitFor(c.status$, (s) => s.connection === 'synced' && s.pending === 0, what, 15_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  });

  it('restarted on IndexedDB: nothing reported is lost, nothing doubled', async () => {
    const dbName = uniqueName('crash');
    const prefix = uniqueName('w');
    const a = open({ dbName });
    const peer = open();
    await Promise.all([settled(a, 'a synced'), settled(peer, 'peer synced')]);
    const lsnBefore = await syncServerLsn();

    const reported: string[] = [];
    let peerRows = 0;
    const peerWrites = (async () => {
      for (let i = 0; i < 30; i++) {
        await peer.insert('todos', { id: `${prefix}-peer-${i}`, title: 'peer', done: 0 });
        peerRows++;
      }
    })();
    // Batches of 5 writes, 4 batches in flight; the worker dies once 60 writes were reported.
    let terminated = false;
    const writer = async (w: number) => {
      for (let b = 0; !terminated; b++) {
        const ids = Array.from({ length: 5 }, (_, i) => `${prefix}-${w}-${b}-${i}`);
        try {
          await a.write(ids.map((id) => ({ op: 'insert' as const, table: 'todos', row: { id, title: 'a', done: 0 } })));
        } catch {
          return; // the worker is gone: this batch was never reported recorded
        }
        reported.push(...ids);
        if (reported.length >= 60 && !terminated) {
          terminated = true;
          a.terminate();
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(writer));
    await peerWrites;

    const a2 = open({ dbName });
    await settled(a2, 'a2 synced after the restart');
    await settled(peer, 'peer synced');
    const mine = await a2.query<{ id: string }>(`SELECT id FROM todos WHERE id LIKE ? AND title = 'a'`, [`${prefix}-%`]);
    const ids = new Set(mine.map((r) => r.id));
    expect(reported.filter((id) => !ids.has(id))).withContext('reported but lost').toEqual([]);
    // One local change per row written, each synced once: the server's LSN moved by exactly that much.
    const history = await a2.query<{ n: number; ids: number }>(
      `SELECT count(*) AS n, count(DISTINCT entity_id) AS ids FROM local_changes WHERE origin = 'local' AND entity_id LIKE ?`, [`${prefix}-%`]);
    expect(history[0]!.n).withContext('recorded twice').toBe(history[0]!.ids);
    expect(history[0]!.n).toBe(ids.size);
    expect((await syncServerLsn()) - lsnBefore).withContext('changes on the server').toBe(ids.size + peerRows);
    const applied = await a2.query<{ n: number; lsns: number }>(`SELECT count(*) AS n, count(DISTINCT lsn) AS lsns FROM local_changes WHERE origin = 'server'`);
    expect(applied[0]!.n).withContext('a server change applied twice').toBe(applied[0]!.lsns);
    expect(await a2.failedChanges()).toEqual([]);
    // A fresh client sees exactly what the restarted one has.
    const fresh = open();
    await settled(fresh, 'fresh client caught up');
    const rowsOf = (c: SyncClient) => c.query(`SELECT * FROM todos WHERE id LIKE ? ORDER BY id`, [`${prefix}-%`]);
    expect(await rowsOf(a2)).toEqual(await rowsOf(fresh));
  }, 30_000);
});
