/**
 * A/B of the SERVER's PostgreSQL paths for two or more checkouts in ONE process, alternating run
 * by run (not a metric of `npm run bench`; for a same-window before/after while changing server/,
 * on a machine whose load moves within one full bench run):
 *
 *   node --import tsx bench/node/ab-server.ts throughput|first_sync <checkout A> <checkout B> ...
 *
 * throughput: each checkout's server_throughput run (50 clients, 5 writers, frames of 500) on its
 *   SQLite backend, then on PostgreSQL; the value is the ratio, as `server_throughput.postgres`;
 * first_sync: a fresh client (this tree's lib) syncing 10k live rows after 200k updates from each
 *   checkout's server on PostgreSQL (seeded once per checkout); the value is rows/s.
 * PostgreSQL: bench/node/pg.ts (RSW_PG_URL). Prints every run, then the median and range of
 * RSW_ROUNDS rounds (default 6) per checkout; the order within a round alternates.
 */
import os from 'node:os';
import { firstSync } from './first-sync.js';
import { benchPg } from './pg.js';

const [mode, ...roots] = process.argv.slice(2);
const rounds = Number(process.env.RSW_ROUNDS ?? 6);
if ((mode !== 'throughput' && mode !== 'first_sync') || roots.length < 2) throw new Error('usage: ab-server.ts throughput|first_sync <checkout> <checkout> ...');

const pgdb = await benchPg();
const closers: (() => Promise<void>)[] = [];
const values = new Map<string, number[]>(roots.map((r) => [r, []]));
try {
  const run: (root: string, i: number) => Promise<number> = mode === 'throughput' ? throughputRun : await firstSyncRuns();
  for (let i = 0; i < rounds; i++) {
    for (const root of i % 2 === 0 ? roots : [...roots].reverse()) {
      const v = await run(root, i);
      values.get(root)!.push(v);
      console.log(`round ${i} ${root}: ${v.toFixed(3)} (load ${os.loadavg()[0]!.toFixed(1)})`);
    }
  }
} finally {
  for (const c of closers) await c();
  await pgdb.close();
}
for (const [root, v] of values) {
  const s = [...v].sort((a, b) => a - b);
  console.log(`${root}: median ${s[s.length >> 1]!.toFixed(3)}, range ${s[0]!.toFixed(3)} .. ${s[s.length - 1]!.toFixed(3)} (${mode === 'throughput' ? 'PostgreSQL / SQLite' : 'rows/s'})`);
}
process.exit(0);

/** One server_throughput pair of a checkout: PostgreSQL changes/s over SQLite changes/s. */
async function throughputRun(root: string, i: number): Promise<number> {
  const { serverThroughput } = (await import(`${root}/bench/node/throughput.ts`)) as typeof import('./throughput.js');
  const params = { clients: 50, writers: 5, total: 100_000, frameSize: 500, window: 2, seed: 200 + i };
  const onSqlite = await serverThroughput({ ...params, kind: 'sync' });
  const onPg = await serverThroughput({ ...params, kind: 'sync', db: pgdb.fresh() });
  const perSecond = (r: { changes: number; ms: number }) => Math.round(r.changes / (r.ms / 1000));
  console.log(`  ${root}: SQLite ${perSecond(onSqlite)} changes/s, PostgreSQL ${perSecond(onPg)} changes/s`);
  return onPg.changes / onPg.ms / (onSqlite.changes / onSqlite.ms);
}

/** Seed one PostgreSQL server per checkout, warm up, and answer one first sync's rows/s per call. */
async function firstSyncRuns(): Promise<(root: string, i: number) => Promise<number>> {
  const servers = new Map<string, { url: string; lsn: number }>();
  for (const root of roots) {
    const { firstSyncServers } = (await import(`${root}/bench/node/first-sync.ts`)) as typeof import('./first-sync.js');
    const s = await firstSyncServers(() => pgdb.fresh(), 10_000, 200_000);
    closers.push(() => s.history.close(), () => s.fresh.close());
    servers.set(root, { url: s.history.url, lsn: s.historyLsn });
    await firstSync(s.history.url, s.historyLsn, 10_000, -1); // warm-up, untimed
  }
  return async (root, i) => {
    const s = servers.get(root)!;
    const r = await firstSync(s.url, s.lsn, 10_000, 1000 + i);
    return r.changes / (r.ms / 1000);
  };
}
