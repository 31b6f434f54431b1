/**
 * PostgreSQL LSN order with several writers on one database (two storages = two nodes, each
 * with its own pool): LSNs are unique, gap-free and increase in COMMIT order, so a reader paging
 * by LSN while the writers run never skips a change that commits later with a lower number.
 */
import { parseSchema } from '../../../lib/protocol/index.js';
import { PgStorage } from '../../../server/storage/postgres.js';
import { freshPgUrl } from '../../support/pg.js';
import { SCHEMA, todo } from '../helpers.js';

describe('storage port (postgres): LSN order across nodes', () => {
  it('two nodes writing at once: every LSN once, in commit order, and a concurrent reader sees them all in order', async () => {
    const url = freshPgUrl();
    const a = await PgStorage.open({ url, schema: parseSchema(SCHEMA), now: () => 0 });
    const b = await PgStorage.open({ url, schema: parseSchema(SCHEMA), now: () => 0 });
    const reader = await PgStorage.open({ url, schema: parseSchema(SCHEMA), now: () => 0 });
    try {
      expect(b.serverId).toBe(a.serverId);
      const FRAMES = 40;
      const total = 2 * FRAMES * 3;
      const seen: number[] = [];
      const read = (async () => {
        let from = 0;
        while (seen.length < total) {
          const page = await reader.readLog(from, 1000);
          for (const j of page.changesJson) seen.push((JSON.parse(j) as { lsn: number }).lsn);
          from = page.lsn;
        }
      })();
      const write = (s: PgStorage, who: string) =>
        Promise.all(Array.from({ length: FRAMES }, (_, i) => s.applyChanges(who, [todo(`${i}x`, `${who}${i}`, 'x'), todo(`${i}y`, `${who}${i}`, 'y'), todo(`${i}z`, `${who}${i}z`, 'z')])));
      const [outA, outB] = await Promise.all([write(a, 'A'), write(b, 'B')]);
      await read;
      const lsns = [...outA, ...outB].flatMap((o) => o.committed.map((c) => c.lsn)).sort((x, y) => x - y);
      expect(lsns).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      // Each frame's LSNs are consecutive (one transaction) and follow its prevLsn.
      for (const o of [...outA, ...outB]) expect(o.committed.map((c) => c.lsn)).toEqual([o.prevLsn + 1, o.prevLsn + 2, o.prevLsn + 3]);
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(await a.refreshLsn()).toBe(total);
      expect(b.lsn()).toBeLessThanOrEqual(total);
      expect(await b.refreshLsn()).toBe(total);
    } finally {
      await Promise.all([a.close(), b.close(), reader.close()]);
    }
  });
});
