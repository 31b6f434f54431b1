/**
 * memory of the sync worker, two ways, while ONE client is open:
 * - its JS heap: `performance.measureUserAgentSpecificMemory()` (the page is cross-origin
 *   isolated), the bytes attributed to the `rx-sync-worker` realm. Chromium counts the JS heap
 *   only: NOT the wasm linear memory of sql.js nor other ArrayBuffer backing stores;
 * - the renderer process's private memory (from /proc, by the driver), which does include them;
 *   the figure is the growth over a renderer with no client open.
 */
import { createSyncClient, type SyncClient } from '../../lib/index.js';
import { BENCH_SCHEMA, ROW_DATA_SQL, makeRow, mulberry32 } from '../shared/data.js';
import { node, uniqueName, waitFor } from './util.js';

interface MemoryBreakdown {
  bytes: number;
  attribution: { scope: string; url: string }[];
  types: string[];
}
type MeasureFn = () => Promise<{ bytes: number; breakdown: MemoryBreakdown[] }>;

/** JS heap bytes attributed to the sync worker right now (after a GC where possible). */
export async function workerBytes(): Promise<{ bytes: number; detail: string }> {
  const measure = (performance as unknown as { measureUserAgentSpecificMemory?: MeasureFn }).measureUserAgentSpecificMemory;
  if (!measure || !globalThis.crossOriginIsolated) throw new Error('measureUserAgentSpecificMemory is not available (needs a cross-origin isolated page)');
  (globalThis as { gc?: () => void }).gc?.();
  const r = await measure.call(performance);
  let bytes = 0;
  const parts: string[] = [];
  for (const b of r.breakdown) {
    if (b.attribution.some((a) => a.scope.startsWith('DedicatedWorker') && a.url.includes('rx-sync-worker'))) {
      bytes += b.bytes;
      parts.push(`${b.attribution.map((a) => a.url.split('/').pop()).join(',')}:${(b.bytes / 1e6).toFixed(1)}MB[${b.types.join(',')}]`);
    }
  }
  return { bytes, detail: parts.join(' ') };
}

/**
 * A client on IndexedDB (what apps use: the `memory` medium keeps a snapshot copy of the database
 * in RAM as its "disk", which would double the figures).
 */
function open(url?: string): SyncClient {
  return createSyncClient({ ...(url !== undefined && { url }), schema: BENCH_SCHEMA as never, storage: 'indexeddb', dbName: uniqueName('bench-mem') });
}

/** One memory figure. */
export interface MemoryFigure {
  /** JS heap of the sync worker. */
  bytes: number;
  /** Renderer private memory while the client is open. */
  processBytes: number;
  detail: string;
}

async function measured(c: SyncClient): Promise<MemoryFigure> {
  const r = await workerBytes();
  const processBytes = await node<number>('rendererMemory');
  await c.close();
  return { ...r, processBytes };
}

/** The renderer with no client open (the process figures are growth over this). */
export async function memoryNoClient(): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  return node<number>('rendererMemory');
}

/** A fresh client's worker, database open, nothing in it. */
export async function memoryIdle(): Promise<MemoryFigure> {
  const c = open();
  await c.ready;
  return measured(c);
}

async function perRow(c: SyncClient): Promise<{ rows: number; dataBytes: number; dbBytes: number }> {
  // `length()` of TEXT counts characters; the bench rows are ASCII, so that is bytes.
  const [r] = await c.query<{ rows: number; data: number }>(ROW_DATA_SQL);
  const [f] = await c.query<{ bytes: number }>('SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()');
  return { rows: r!.rows, dataBytes: r!.data, dbBytes: f!.bytes };
}

/** A memory figure after `rows` rows, with the database file and the row data they hold. */
export type RowsFigure = MemoryFigure & { rows: number; dataBytes: number; dbBytes: number };

/**
 * After catching up `n` changes through the change LOG (n history rows in local_changes, n entity
 * rows). A client at LSN 0 gets a snapshot, which writes no history rows (DESIGN, "History rows of
 * server changes"), so the client first syncs one change, goes offline while the server takes the
 * n changes, and then catches up from its LSN.
 */
export async function memoryHistory(p: { url: string; server: string; n: number }): Promise<RowsFigure> {
  const first = await node<number>('seed', { n: 1, server: p.server });
  const c = open(p.url);
  await waitFor(c.status$, (s) => s.connection === 'synced' && s.lsn >= first, 'first change synced', 60_000);
  c.disconnect();
  await waitFor(c.status$, (s) => s.connection === 'disconnected', 'offline', 10_000);
  const lsn = await node<number>('seed', { n: p.n, server: p.server });
  c.connect();
  await waitFor(c.status$, (s) => s.connection === 'synced' && s.lsn >= lsn, 'caught up', 120_000);
  const [{ n }] = await c.query<{ n: number }>("SELECT count(*) AS n FROM local_changes WHERE origin = 'server'");
  if (n < p.n) throw new Error(`memoryHistory: ${n} history rows, expected at least ${p.n} (did the client get a snapshot instead of the log?)`);
  const rows = await perRow(c);
  return { ...(await measured(c)), ...rows };
}

/** After recording `n` local changes offline (n pending rows, n entity rows). */
export async function memoryPending(p: { n: number; seed: number }): Promise<RowsFigure> {
  const c = open();
  await c.ready;
  const rnd = mulberry32(p.seed);
  const chunk = 1000;
  for (let i = 0; i < p.n; i += chunk) {
    const ops = [];
    for (let j = i; j < Math.min(p.n, i + chunk); j++) ops.push({ op: 'insert' as const, table: 'items', row: makeRow(rnd, 'mem', j) });
    await c.write(ops);
  }
  const rows = await perRow(c);
  return { ...(await measured(c)), ...rows };
}
