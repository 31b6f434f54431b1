/**
 * Long form only (`npm run test:faults`; not matched by `*.spec.ts`): sustained load, by default
 * 10 minutes at 1,000 changes/s (`--duration` sets the seconds), from two in-process clients on
 * file storage against the real server, with the heap sampled every 5 s (after a forced GC when
 * Node runs with --expose-gc). Asserts: the rate was held, the clients kept up, memory stayed
 * flat, and afterwards nothing was lost, duplicated, divergent or failed.
 */
import path from 'node:path';
import { baseSeed, envCount, Rng } from '../support/rng.js';
import { ServerHandle } from '../support/server-handle.js';
import { Tally } from '../support/tally.js';
import { TrackedClient } from '../support/tracked-client.js';
import { settle } from '../support/verify.js';

interface Sample {
  t: number;
  heap: number;
  rss: number;
  external: number;
  lag: number;
}

const MB = 1024 * 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

describe('faults (long): sustained load with the heap sampled', () => {
  const seconds = envCount('RSW_FAULTS_LOAD_SECONDS', 600);
  const rate = envCount('RSW_FAULTS_LOAD_RATE', 1000);
  const seed = baseSeed();
  const tally = new Tally(`load ${seconds} s at ${rate}/s`, seed);
  afterAll(() => tally.report());

  it(`${seconds} s at ${rate} changes/s: rate held, memory flat, nothing lost`, async () => {
    const rng = new Rng(seed);
    const server = await ServerHandle.start();
    const clients = ['l0', 'l1'].map((n) => new TrackedClient(n, server.url, { storage: { file: path.join(server.dir, `${n}.db`) }, historyRetention: 20_000 }));
    for (const c of clients) c.keepReported = false;
    const gc = (globalThis as { gc?: () => void }).gc;
    const samples: Sample[] = [];
    try {
      await settle(server, clients);
      const started = performance.now();
      const until = started + seconds * 1000;
      const perClient = rate / clients.length;
      const sampler = setInterval(() => {
        gc?.();
        const m = process.memoryUsage();
        const lag = Math.max(...clients.map((c) => server.lsn() - (c.status?.lsn ?? 0)));
        samples.push({ t: (performance.now() - started) / 1000, heap: m.heapUsed, rss: m.rss, external: m.external + m.arrayBuffers, lag });
      }, 5000);
      // Each client keeps to its share of the rate: every tick it writes what is due (rows cycle, so tables stay bounded).
      await Promise.all(
        clients.map(async (c, k) => {
          let done = 0;
          while (performance.now() < until) {
            const due = Math.floor(((performance.now() - started) / 1000) * perClient);
            // What is due goes out at once, as an app's concurrent writes do (they share a group commit).
            const writes: Promise<void>[] = [];
            for (; done < due; done++) {
              const id = `${c.name}-${rng.int(2000)}`;
              writes.push(c.write(done % 3 === 0 ? { op: 'insert', table: 'todos', row: { id, title: `${k} ${done}`, done: 0 } } : { op: 'update', table: 'todos', id, patch: { done: done % 2 } }));
            }
            await Promise.all(writes);
            await new Promise((r) => setTimeout(r, 10));
          }
        }),
      );
      clearInterval(sampler);
      const elapsed = (performance.now() - started) / 1000;
      await settle(server, clients, 120_000).catch(async (e: Error) => {
        const lines = await Promise.all(clients.map(async (c) => `${c.name} ${JSON.stringify(c.status)} pending rows ${JSON.stringify(await c.client.query(`SELECT status, count(*) AS n, min(seq) AS first FROM local_changes WHERE origin = 'local' AND status != 'synced' GROUP BY status`))} errors ${c.errors.slice(-5).map((x) => `${x.code}: ${x.message}`).join(' | ')}`));
        throw new Error(`${e.message}; server lsn ${server.lsn()}; ${lines.join('; ')}`);
      });
      // History is pruned during the run, so the checks count instead of matching change by change.
      const state = server.state();
      const changes = clients.reduce((n, c) => n + c.recorded, 0);
      const divergent: string[] = [];
      const failed: string[] = [];
      for (const c of clients) {
        if (JSON.stringify(await c.client.query('SELECT * FROM todos ORDER BY id')) !== JSON.stringify(state.todos)) divergent.push(c.name);
        failed.push(...(await c.client.failedChanges()).map((f) => `${c.name} ${f.change_id}`));
      }
      const other = clients.flatMap((c) => [...c.lsnBackwards, ...c.writeFailures]);
      const achieved = changes / elapsed;
      tally.add({ cases: 1, changes, lost: Math.max(0, changes - state.log.length), duplicated: Math.max(0, state.log.length - changes), divergent: divergent.length, failed: failed.length, other: other.length });

      const q = Math.max(1, Math.floor(samples.length / 4));
      const early = samples.slice(q, 2 * q);
      const late = samples.slice(-q);
      const heapEarly = median(early.map((s) => s.heap));
      const heapLate = median(late.map((s) => s.heap));
      console.log(
        `\n[faults] load: ${changes} changes in ${elapsed.toFixed(0)} s = ${achieved.toFixed(0)}/s; heap (median) ${(heapEarly / MB).toFixed(1)} -> ${(heapLate / MB).toFixed(1)} MB; ` +
          `rss ${(median(early.map((s) => s.rss)) / MB).toFixed(0)} -> ${(median(late.map((s) => s.rss)) / MB).toFixed(0)} MB; ` +
          `external ${(median(early.map((s) => s.external)) / MB).toFixed(0)} -> ${(median(late.map((s) => s.external)) / MB).toFixed(0)} MB; ` +
          `max lag ${Math.max(...samples.map((s) => s.lag))} changes; gc ${gc ? 'forced' : 'not exposed'}; ${samples.length} samples`,
      );
      expect(achieved).withContext('changes/s held').toBeGreaterThan(rate * 0.95);
      expect(state.log.length).withContext('changes on the server (each exactly once)').toBe(changes);
      expect(new Set(state.log.map((e) => e.change_id)).size).toBe(changes);
      expect(divergent).withContext('replicas that differ from the server').toEqual([]);
      expect(failed).toEqual([]);
      expect(other).toEqual([]);
      // Flat: the late heap is within 15% (or 16 MB) of the heap once warmed up.
      expect(heapLate - heapEarly).withContext('heap growth, bytes').toBeLessThan(Math.max(16 * MB, heapEarly * 0.15));
      // sql.js memory (ArrayBuffers) stops growing once history is pruned at the retention.
      const extEarly = median(early.map((s) => s.external));
      expect(median(late.map((s) => s.external)) - extEarly).withContext('external (sql.js) growth, bytes').toBeLessThan(Math.max(64 * MB, extEarly * 0.5));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    }
  }, (seconds + 300) * 1000);
});
