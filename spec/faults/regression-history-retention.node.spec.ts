/**
 * Regression (found by the load run): synced history was pruned only every 10 minutes whatever
 * `historyRetention` said, so with a retention of seconds a busy client still kept up to 10
 * minutes of history (about 0.5 KB of sql.js memory per change: +280 MB in the 10-minute load
 * run). Fixed in lib/worker/host.ts: prune every retention period (capped at 10 minutes, not
 * under 1 s).
 */
import { eventually } from '../support/wait.js';
import { ServerHandle } from './support/server-handle.js';
import { TrackedClient } from './support/tracked-client.js';
import { settle } from './support/verify.js';

describe('regression: history retention shorter than the prune period', () => {
  it('synced history older than the retention is pruned within about one retention period', async () => {
    const server = await ServerHandle.start();
    const c = new TrackedClient('pruned', server.url, { historyRetention: 1000 });
    try {
      for (let i = 0; i < 5; i++) await c.write({ op: 'insert', table: 'todos', row: { id: `h${i}`, title: 'x', done: 0 } });
      await settle(server, [c]);
      const count = async () => (await c.client.query<{ n: number }>(`SELECT count(*) AS n FROM local_changes`))[0]!.n;
      expect(await count()).toBe(5);
      await eventually(async () => (await count()) === 0, 'synced history pruned', 5000, 100);
      expect(await c.client.query('SELECT count(*) AS n FROM todos')).toEqual([{ n: 5 }]);
    } finally {
      await c.close();
      await server.close();
    }
  }, 15_000);
});
