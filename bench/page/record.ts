/**
 * record_local_change (API round trip latency), its postMessage baseline, and bulk_record, all
 * through the public API with the REAL sync worker (no server: recording is local).
 */
import { createSyncClient, type SyncClient } from '../../lib/index.js';
import { BENCH_SCHEMA, makeRow, mulberry32 } from '../shared/data.js';
import { uniqueName, waitFor } from './util.js';

/** Latency samples (ms) of one run. */
export interface Samples {
  samples: number[];
}

function openOffline(storage: 'memory' | 'indexeddb', url?: string): SyncClient {
  return createSyncClient({ schema: BENCH_SCHEMA as never, storage, dbName: uniqueName('bench-rec'), ...(url !== undefined && { url }) });
}

/**
 * `n` sequential `insert()` calls after `warmup` untimed ones: each from call to resolved
 * (durable). With `url`, the client is connected (and syncs each change meanwhile).
 */
export async function recordLatency(p: { storage: 'memory' | 'indexeddb'; n: number; warmup: number; seed: number; url?: string }): Promise<Samples> {
  const client = openOffline(p.storage, p.url);
  await client.ready;
  if (p.url !== undefined) await waitFor(client.status$, (s) => s.connection === 'synced', 'client synced', 60_000);
  const rnd = mulberry32(p.seed);
  const samples: number[] = [];
  for (let i = 0; i < p.warmup + p.n; i++) {
    const row = makeRow(rnd, 'rec', i);
    const t0 = performance.now();
    await client.insert('items', row);
    if (i >= p.warmup) samples.push(performance.now() - t0);
  }
  await client.close();
  return { samples };
}

/** Baseline: the bare postMessage round trip to a worker that echoes, with a row of the same size. */
export async function echoLatency(p: { n: number; warmup: number; seed: number }): Promise<Samples> {
  const worker = new Worker(new URL('./echo.worker.ts', import.meta.url), { type: 'module', name: 'bench-echo' });
  const rnd = mulberry32(p.seed);
  const samples: number[] = [];
  try {
    for (let i = 0; i < p.warmup + p.n; i++) {
      const msg = { type: 'change_recorded', id: i, changes: [{ op: 'insert', entity: 'items', entity_id: `e${i}`, data: makeRow(rnd, 'echo', i) }] };
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        worker.onmessage = () => resolve();
        worker.postMessage(msg);
      });
      if (i >= p.warmup) samples.push(performance.now() - t0);
    }
  } finally {
    worker.terminate();
  }
  return { samples };
}

/** One bulk run: changes and wall time. */
export interface BulkRun {
  changes: number;
  ms: number;
}

/**
 * `n` local changes recorded through the API and durable: `write` = one `client.write()` of n
 * inserts (one transaction); `concurrent` = n `insert()` calls issued at once (group commit).
 */
export async function bulkRecord(p: { n: number; seed: number; mode: 'write' | 'concurrent' }): Promise<BulkRun> {
  const client = openOffline('memory');
  await client.ready;
  const rnd = mulberry32(p.seed);
  const rows = Array.from({ length: p.n }, (_, i) => makeRow(rnd, 'bulk', i));
  const t0 = performance.now();
  if (p.mode === 'write') await client.write(rows.map((row) => ({ op: 'insert' as const, table: 'items', row })));
  else await Promise.all(rows.map((row) => client.insert('items', row)));
  const ms = performance.now() - t0;
  const [{ n }] = await client.query<{ n: number }>("SELECT count(*) AS n FROM local_changes WHERE origin = 'local' AND status = 'pending'");
  await client.close();
  if (n !== p.n) throw new Error(`bulk_record: ${n} pending changes, expected ${p.n}`);
  return { changes: p.n, ms };
}
