/**
 * Broadcast: every committed frame goes to every handshaken client, the sender included (its
 * echo), as `server_changes { prev_lsn, lsn, changes }`; with several writers at once every client
 * sees the same gap-free sequence, in LSN order. The sender gets its change_ack first.
 */
import type { ServerChanges } from '../../lib/protocol/index.js';
import type { SyncServer } from '../../server/index.js';
import { TestClient, startServer, todo } from './helpers.js';

describe('server: broadcast', () => {
  let server: SyncServer;
  beforeEach(async () => (server = await startServer()));
  afterEach(async () => server.close());

  it('sends every batch to every client in LSN order, the sender gets ack then echo', async () => {
    const clients = await Promise.all(['a', 'b', 'c', 'd'].map((id) => TestClient.handshake(server.url, id).then((h) => h.c)));
    const watcher = await TestClient.open(server.url); // never says hello: must get nothing
    const FRAMES_PER_CLIENT = 15;
    // Three writers interleave their frames; the fourth only listens.
    for (let i = 0; i < FRAMES_PER_CLIENT; i++) {
      for (const [k, c] of clients.slice(0, 3).entries()) c.send({ type: 'client_change', changes: [todo(`${k}-${i}-x`, `${k}-${i}`, 'x'), todo(`${k}-${i}-y`, `${k}-${i}`, 'y')] });
    }
    const total = 3 * FRAMES_PER_CLIENT;
    const streams = await Promise.all(
      clients.map(async (c, k) => {
        const batches: ServerChanges[] = [];
        let acks = 0;
        while (batches.length < total) {
          const f = await c.next();
          if (f.type === 'change_ack') {
            acks++;
            // The ack of a frame comes before its echo.
            expect(batches.filter((b) => b.changes[0]!.client_id === ['a', 'b', 'c'][k]).length).toBe(acks - 1);
          } else if (f.type === 'server_changes') batches.push(f);
          else fail(`unexpected ${f.type}`);
        }
        return batches;
      }),
    );
    for (const batches of streams) {
      // Gap-free and ordered: each batch starts right after the previous one.
      let lsn = 0;
      for (const b of batches) {
        expect(b.prev_lsn).toBe(lsn);
        expect(b.changes.map((ch) => ch.lsn)).toEqual([lsn + 1, lsn + 2]);
        lsn = b.lsn;
      }
      expect(lsn).toBe(2 * total);
      expect(batches).toEqual(streams[0]!); // identical for every client
    }
    expect(server.clientCount()).toBe(4);
    await Promise.all(clients.map((c) => c.close()));
    expect(watcher.received).toEqual([]);
    await watcher.close();
  });
});
