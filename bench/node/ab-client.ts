/**
 * A/B of the CLIENT's hot paths for two or more checkouts in ONE process, alternating (not a
 * metric of `npm run bench`; for a same-run before/after while changing lib/):
 *
 *   node --import tsx bench/node/ab-client.ts apply|record|first_sync <checkout A> <checkout B> ...
 *
 * apply: the real engine + store applying 100 `server_changes` frames x 1000 (bench/page/worker-engine.ts, in Node);
 * record: 10k concurrent `insert()` calls and one `write()` of 10k on an in-process client;
 * first_sync: a fresh in-process client syncing 10k rows from one server (this tree's).
 * Prints the median and range of RSW_ROUNDS rounds (default 5) per checkout.
 */
import { firstSyncServers } from './first-sync.js';

const [mode, ...roots] = process.argv.slice(2);
const rounds = Number(process.env.RSW_ROUNDS ?? 5);

type Run = (root: string, i: number) => Promise<number>;
async function runner(): Promise<{ run: Run; unit: string; done: () => Promise<void> }> {
  if (mode === 'apply') {
    const { serverFrames } = await import('../shared/data.js');
    const frames = serverFrames(1, 0, 100, 1000);
    return {
      unit: 'changes/s', done: async () => undefined,
      run: async (root) => { const a = await (await import(`${root}/bench/page/worker-engine.ts`)).engineApply(frames); return a.changes / (a.ms / 1000); },
    };
  }
  if (mode === 'record') {
    return {
      unit: 'changes/s (concurrent inserts)', done: async () => undefined,
      run: async (root) => {
        const lib = await import(`${root}/lib/index.ts`);
        const data = await import(`${root}/bench/shared/data.ts`);
        const client = lib.createSyncClient({ schema: data.BENCH_SCHEMA, storage: 'memory', worker: false, logLevel: 'silent' });
        await client.ready;
        const rnd = data.mulberry32(1);
        const rows = Array.from({ length: 10_000 }, (_, i) => data.makeRow(rnd, 'ab', i));
        const t0 = performance.now();
        await Promise.all(rows.map((row: object) => client.insert('items', row)));
        const ms = performance.now() - t0;
        await client.close();
        return rows.length / (ms / 1000);
      },
    };
  }
  if (mode === 'first_sync') {
    const s = await firstSyncServers(() => undefined, 10_000, 0);
    return {
      unit: 'rows/s', done: async () => { await s.history.close(); await s.fresh.close(); },
      run: async (root, i) => { const a = await (await import(`${root}/bench/node/first-sync.ts`)).firstSync(s.fresh.url, s.freshLsn, 10_000, i); return a.changes / (a.ms / 1000); },
    };
  }
  throw new Error('usage: ab-client.ts apply|record|first_sync <checkout> <checkout> ...');
}

const r = await runner();
for (const root of roots) await r.run(root, -1); // warm-up
const rates = roots.map(() => [] as number[]);
for (let i = 0; i < rounds; i++) for (let k = 0; k < roots.length; k++) rates[k]!.push(Math.round(await r.run(roots[k]!, i * 100 + k)));
roots.forEach((root, k) => {
  const v = [...rates[k]!].sort((a, b) => a - b);
  console.log(`${root.padEnd(20)} median ${v[Math.floor(v.length / 2)]} range ${v[0]} - ${v[v.length - 1]} ${r.unit}`);
});
await r.done();
process.exit(0);
