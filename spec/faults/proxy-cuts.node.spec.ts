/**
 * In-process clients against the real server through a TCP proxy that cuts every connection at
 * random (seeded) moments while they write. After healing, every client holds exactly the
 * expected rows, nothing failed, and the server's log holds each change exactly once.
 */
import { baseSeed } from './support/rng.js';
import { Rng } from './support/rng.js';
import { ServerHandle } from './support/server-handle.js';
import { Tally } from './support/tally.js';
import { TrackedClient } from './support/tracked-client.js';
import { settle } from './support/verify.js';

describe('faults: random connection cuts through a TCP proxy', () => {
  const seed = baseSeed();
  const tally = new Tally('random cuts', seed);
  let server: ServerHandle;
  let clients: TrackedClient[];

  beforeEach(async () => {
    server = await ServerHandle.start();
    clients = ['a', 'b', 'c'].map((name) => new TrackedClient(name, server.url));
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });
  afterAll(() => tally.report());

  it(`every client holds exactly the expected rows, nothing failed, nothing duplicated (seed ${seed})`, async () => {
    const rng = new Rng(seed);
    const perClient = 30;
    const minCuts = 8;
    await settle(server, clients);
    let writing = true;
    // The cutter: at seeded moments, cut every live connection (handshakes in progress too),
    // while the clients write and until at least `minCuts` cuts hit a connection.
    const cutter = (async () => {
      let hits = 0;
      while (writing || hits < minCuts) {
        await new Promise((r) => setTimeout(r, rng.between(2, 40)));
        if (server.proxy.cutAll() > 0) hits++;
      }
      tally.add({ faults: { cut: hits } });
    })();
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < perClient; i++) {
          await c.write({ op: 'insert', table: 'todos', row: { id: `${c.name}-${i}`, title: `${c.name} ${i}`, done: i % 2 } });
          // Some rows change again, so order matters too.
          if (i % 5 === 4) await c.write({ op: 'update', table: 'todos', id: `${c.name}-${i - 1}`, patch: { done: 7 } });
        }
      }),
    );
    writing = false;
    await cutter;
    server.proxy.heal();
    await settle(server, clients);

    const expected = clients
      .flatMap((c) => Array.from({ length: perClient }, (_, i) => ({ id: `${c.name}-${i}`, title: `${c.name} ${i}`, done: i % 5 === 3 ? 7 : i % 2 })))
      .sort((x, y) => (x.id < y.id ? -1 : 1));
    const ctx = `seed ${seed} (replay: RSW_SEED=${seed})`;
    for (const c of clients) {
      expect(await c.client.query('SELECT id, title, done FROM todos ORDER BY id')).withContext(`${ctx}: rows of ${c.name}`).toEqual(expected);
      expect(await c.client.failedChanges()).withContext(`${ctx}: failed in ${c.name}`).toEqual([]);
      expect(c.writeFailures).withContext(ctx).toEqual([]);
    }
    const log = server.state().log;
    const writes = clients.length * (perClient + perClient / 5);
    expect(log.length).withContext(`${ctx}: changes on the server`).toBe(writes);
    expect(new Set(log.map((e) => e.change_id)).size).withContext(`${ctx}: distinct change_ids`).toBe(writes);
    expect(server.proxy.stats.cuts).withContext(`${ctx}: cuts that hit a connection`).toBeGreaterThanOrEqual(minCuts);
    tally.add({ cases: 1, changes: writes, duplicated: log.length - writes });
  }, 60_000);
});
