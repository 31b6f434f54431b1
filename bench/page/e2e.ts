/**
 * end_to_end_latency: client A inserts at a steady rate; client B (another real worker) watches a
 * live query; a change's latency is from A's `insert()` call to the moment B's app sees it. Both
 * clients share the page's clock. Ids grow with the sequence, so `max(id)` in B says how far B has
 * seen (the primary key index answers it without a scan).
 */
import { createSyncClient, type SyncClient } from '../../lib/index.js';
import { BENCH_SCHEMA, makeRow, mulberry32 } from '../shared/data.js';
import type { WorkerTrace } from '../shared/trace.js';
import type { Samples } from './record.js';
import { takeWorkerTrace, tracedWorker } from './trace-client.js';
import { uniqueName, waitFor } from './util.js';

function open(url: string, worker?: () => Worker): SyncClient {
  return createSyncClient({ url, schema: BENCH_SCHEMA as never, storage: 'memory', dbName: uniqueName('bench-e2e'), backoff: { initialDelay: 50, maxDelay: 500 }, ...(worker && { worker }) });
}

/** The page's times of one run, per change (epoch ms), and with `tracedWorkers` what A's and B's workers recorded. */
export interface E2eTrace {
  prefix: string;
  sentAt: number[];
  recordedAt: number[];
  seenAt: number[];
  workers?: { a: WorkerTrace; b: WorkerTrace };
}

/**
 * Run A -> server -> B at `rate` changes/s for `seconds`; samples after `warmupSeconds`.
 * `trace`: also return the page's per-change times; `tracedWorkers` (implies `trace`): A and B run
 * the instrumented worker (trace.worker.ts) and their records come back too.
 */
export async function endToEnd(p: { url: string; rate: number; seconds: number; warmupSeconds: number; seed: number; trace?: boolean; tracedWorkers?: boolean }): Promise<Samples & { sent: number; seen: number; trace?: E2eTrace }> {
  const names = p.tracedWorkers ? { a: uniqueName('trace-a'), b: uniqueName('trace-b') } : null;
  const a = open(p.url, names ? tracedWorker(names.a) : undefined);
  const b = open(p.url, names ? tracedWorker(names.b) : undefined);
  const synced = (c: SyncClient) => waitFor(c.status$, (s) => s.connection === 'synced', 'client synced', 20_000);
  await Promise.all([synced(a), synced(b)]);
  const prefix = uniqueName('e2e');
  const total = Math.round(p.rate * p.seconds);
  const sentAt = new Float64Array(total);
  const seenAt = new Float64Array(total);
  const recordedAt = new Float64Array(total);
  let seen = -1;
  const sub = b.query$<{ id: string | null }>('SELECT max(id) AS id FROM items WHERE id > ? AND id < ?', [`${prefix}-`, `${prefix}.`]).subscribe((rows) => {
    const id = rows[0]?.id;
    if (!id) return;
    const upTo = Number(id.slice(prefix.length + 1));
    const now = performance.now();
    for (let i = seen + 1; i <= upTo && i < total; i++) seenAt[i] = now;
    seen = Math.max(seen, upTo);
  });
  const all = new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (seen >= total - 1) {
        clearInterval(check);
        resolve();
      }
    }, 5);
    setTimeout(() => {
      clearInterval(check);
      reject(new Error(`end_to_end: B saw ${seen + 1} of ${total} changes`));
    }, (p.seconds + 30) * 1000);
  });
  // A steady writer: each tick inserts the changes that are due by now (browser timers tick every ~4 ms).
  const rnd = mulberry32(p.seed);
  const t0 = performance.now();
  let sent = 0;
  const writes: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * p.rate) + 1);
      while (sent < due) {
        const row = makeRow(rnd, prefix, sent);
        sentAt[sent] = performance.now();
        const i = sent;
        writes.push(a.insert('items', row).then(() => void (recordedAt[i] = performance.now())));
        sent++;
      }
      if (sent < total) setTimeout(tick, 0);
      else resolve();
    };
    tick();
  });
  await Promise.all(writes);
  await all;
  sub.unsubscribe();
  const workers = names ? { a: await takeWorkerTrace(names.a), b: await takeWorkerTrace(names.b) } : undefined;
  await Promise.all([a.close(), b.close()]);
  const from = Math.floor(p.rate * p.warmupSeconds);
  const samples: number[] = [];
  for (let i = from; i < total; i++) samples.push(seenAt[i]! - sentAt[i]!);
  // `trace`: per change, epoch ms of the call, of the local "recorded", of B seeing it (diagnosis).
  const epoch = (a: Float64Array) => Array.from(a, (v) => performance.timeOrigin + v);
  const trace = p.trace || names ? { prefix, sentAt: epoch(sentAt), recordedAt: epoch(recordedAt), seenAt: epoch(seenAt), ...(workers && { workers }) } : undefined;
  return { samples, sent, seen: seen + 1, ...(trace && { trace }) };
}
