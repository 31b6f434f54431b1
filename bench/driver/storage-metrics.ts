/**
 * The metrics of the server's two backends (issue 16), in Node: `first_sync` (a fresh client
 * syncing live rows after a long history vs. the same rows with none) on SQLite and on
 * PostgreSQL, and `server_throughput.postgres` (the PostgreSQL backend vs. the SQLite one, same
 * frames, same run).
 */
import { firstSync, firstSyncServers } from '../node/first-sync.js';
import { benchPg } from '../node/pg.js';
import { serverThroughput } from '../node/throughput.js';
import { throughputMetric, type Run } from './metrics.js';
import type { Metric } from './report.js';
import type { Sizes } from './sizes.js';

/** first_sync on both backends, then server_throughput.postgres. */
export async function storageMetrics(sizes: Sizes, log: (line: string) => void): Promise<Metric[]> {
  const pgdb = await benchPg();
  try {
    const out: Metric[] = [];
    for (const backend of ['sqlite', 'postgres'] as const) {
      const f = sizes.firstSync;
      log(`  first_sync (${backend}): seeding ${f.rows} rows + ${f.updates} updates, and ${f.rows} rows`);
      const s = await firstSyncServers(() => (backend === 'postgres' ? pgdb.fresh() : undefined), f.rows, f.updates);
      try {
        const withHistory: (Run & { dbBytes: number })[] = [];
        const noHistory: Run[] = [];
        await firstSync(s.fresh.url, s.freshLsn, f.rows, -1); // warm-up (JIT, sql.js), untimed
        for (let i = 0; i < f.runs; i++) {
          noHistory.push(await firstSync(s.fresh.url, s.freshLsn, f.rows, 2 * i));
          withHistory.push(await firstSync(s.history.url, s.historyLsn, f.rows, 2 * i + 1));
        }
        const name = backend === 'sqlite' ? 'first_sync' : 'first_sync.postgres';
        const m = throughputMetric(name, withHistory, `fresh client, ${f.rows} rows with no history, same run`, noHistory, {
          text: 'time <= 1.5x no-history (ratio >= 0.67) and >= 55k rows/s', met: (v, r) => r >= 1 / 1.5 && v >= 55_000,
        });
        m.unit = 'rows/s';
        const dbKB = Math.round(withHistory[0]!.dbBytes / 1024);
        m.detail = `${backend}: fresh in-process client (sql.js, memory), ${f.rows} live rows after ${f.updates} updates (log of ${s.historyLsn}) vs ${f.rows} rows (log of ${s.freshLsn}); timed from createSyncClient to synced; client database after the sync ${dbKB} KB; ${m.detail}`;
        out.push(m);
      } finally {
        await s.history.close();
        await s.fresh.close();
      }
    }
    const t = sizes.throughput;
    const onSqlite: Run[] = [];
    const onPg: Run[] = [];
    for (let i = 0; i < t.runs; i++) {
      const params = { clients: t.clients, writers: t.writers, total: t.total, frameSize: t.frameSize, window: t.window, seed: 200 + i };
      onSqlite.push(await serverThroughput({ ...params, kind: 'sync' }));
      onPg.push(await serverThroughput({ ...params, kind: 'sync', db: pgdb.fresh() }));
    }
    const tp = throughputMetric('server_throughput.postgres', onPg, `the SQLite backend (in memory), same frames, ${t.clients} clients`, onSqlite, {
      text: '>= 0.5 of the SQLite backend', met: (_v, r) => r >= 0.5,
    });
    tp.detail = `PostgreSQL backend, ${t.clients} clients, ${t.writers} writers, frames of ${t.frameSize}; ${tp.detail}`;
    out.push(tp);
    return out;
  } finally {
    await pgdb.close();
  }
}
