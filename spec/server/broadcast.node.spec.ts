/**
 * Broadcast: every commit goes to every handshaken client, the sender included (its echo), as
 * `server_changes { prev_lsn, lsn, changes }` (one per run: a frame, or several of one sender
 * that waited back to back, server/change-run.ts); with several writers at once every client
 * sees the same gap-free sequence, in LSN order. The sender gets each frame's change_ack first.
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
        const echoed = new Set<string>();
        let acks = 0;
        while (echoed.size < 2 * total) {
          const f = await c.next();
          if (f.type === 'change_ack') {
            // The ack of a frame comes before its echo, and frames are acked in the order sent.
            expect(f.acks.map((a) => a.change_id)).toEqual([`${k}-${acks}-x`, `${k}-${acks}-y`]);
            expect(f.acks.some((a) => echoed.has(a.change_id))).toBeFalse();
            acks++;
          } else if (f.type === 'server_changes') {
            batches.push(f);
            for (const ch of f.changes) echoed.add(ch.change_id);
          } else fail(`unexpected ${f.type}`);
        }
        if (k < 3) expect(acks).toBe(FRAMES_PER_CLIENT);
        return batches;
      }),
    );
    for (const batches of streams) {
      // Gap-free and ordered: each batch starts right after the previous one, its LSNs in a row.
      let lsn = 0;
      for (const b of batches) {
        expect(b.prev_lsn).toBe(lsn);
        expect(b.changes.map((ch) => ch.lsn)).toEqual(Array.from({ length: b.changes.length }, (_, i) => lsn + 1 + i));
        expect(b.lsn).toBe(lsn + b.changes.length);
        lsn = b.lsn;
      }
      expect(lsn).toBe(2 * total);
      expect(batches).toEqual(streams[0]!); // identical for every client
    }
    // Each frame's two changes are committed together, in the order each sender sent its frames.
    const ids = streams[0]!.flatMap((b) => b.changes.map((ch) => ch.change_id));
    for (let i = 0; i < ids.length; i += 2) expect(ids[i + 1]).toBe(ids[i]!.replace(/-x$/, '-y'));
    for (const k of [0, 1, 2]) expect(ids.filter((id) => id.startsWith(`${k}-`) && id.endsWith('-x'))).toEqual(Array.from({ length: FRAMES_PER_CLIENT }, (_, i) => `${k}-${i}-x`));
    expect(server.clientCount()).toBe(4);
    await Promise.all(clients.map((c) => c.close()));
    expect(watcher.received).toEqual([]);
    await watcher.close();
  });
});
