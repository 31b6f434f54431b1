/**
 * memory of the sync worker, two ways, while ONE client is open:
 * - its JS heap: `performance.measureUserAgentSpecificMemory()` (the page is cross-origin
 *   isolated), the bytes attributed to the `rx-sync-worker` realm. Chromium counts the JS heap
 *   only: NOT the wasm linear memory of sql.js nor other ArrayBuffer backing stores;
 * - the renderer process's private memory (from /proc, by the driver), which does include them;
 *   the figure is the growth over a renderer with no client open.
 */
import { createSyncClient, type SyncClient } from '../../lib/index.js';
import { BENCH_SCHEMA, makeRow, mulberry32 } from '../shared/data.js';
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

/** After catching up a server holding `n` changes (n history rows in local_changes, n entity rows). */
export async function memoryHistory(p: { url: string; server: string; n: number }): Promise<MemoryFigure & { rows: number }> {
  await node<number>('seed', { n: p.n, server: p.server });
  const c = open(p.url);
  await waitFor(c.status$, (s) => s.connection === 'synced' && s.lsn >= p.n, 'caught up', 120_000);
  const [{ n }] = await c.query<{ n: number }>("SELECT count(*) AS n FROM local_changes WHERE origin = 'server'");
  return { ...(await measured(c)), rows: n };
}

/** After recording `n` local changes offline (n pending rows, n entity rows). */
export async function memoryPending(p: { n: number; seed: number }): Promise<MemoryFigure & { rows: number }> {
  const c = open();
  await c.ready;
  const rnd = mulberry32(p.seed);
  const chunk = 1000;
  for (let i = 0; i < p.n; i += chunk) {
    const ops = [];
    for (let j = i; j < Math.min(p.n, i + chunk); j++) ops.push({ op: 'insert' as const, table: 'items', row: makeRow(rnd, 'mem', j) });
    await c.write(ops);
  }
  const [{ n }] = await c.query<{ n: number }>("SELECT count(*) AS n FROM local_changes WHERE status = 'pending'");
  return { ...(await measured(c)), rows: n };
}
