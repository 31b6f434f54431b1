/**
 * memory.*: the sync worker's memory after n history rows / n pending changes (in Chromium, through
 * the bench page), and what one row costs: its share of the JS heap and of the database file, set
 * against the row data it holds (issue 18 item 5). The database breakdown by table and index comes
 * from the same writes in Node (bench/node/db-breakdown.ts; sql.js has no `dbstat`).
 */
import { describeBreakdown, historyBreakdown, pendingBreakdown, type Breakdown } from '../node/db-breakdown.js';
import { Seeder } from '../node/seeder.js';
import { startServerThread } from '../node/server-handle.js';
import { call, type BrowserContext } from './browser-metrics.js';
import type { Metric } from './report.js';

type Figure = Awaited<ReturnType<typeof import('../page/memory.js').memoryPending>>;

/** The memory metrics: `.js_heap` and `.process` (as before), and `.per_row` against the row data. */
export async function memory(ctx: BrowserContext): Promise<Metric[]> {
  const { n } = ctx.sizes.memory;
  await call(ctx.page, 'stopBenchWorker', undefined as never);
  const none = await call(ctx.page, 'memoryNoClient', undefined as never);
  const idle = await call(ctx.page, 'memoryIdle', undefined as never);
  // Exactly n history rows: a server of its own, holding n changes.
  const history = await ctx.withServer('memory', (url) => call(ctx.page, 'memoryHistory', { url, server: 'memory', n }));
  const pending = await call(ctx.page, 'memoryPending', { n, seed: 7 });
  const pendingDb = await pendingBreakdown(n, 7);
  const historyDb = await breakdownOfHistory(n);
  const mb = (b: number) => b / 1e6;
  const heap = (name: string, f: Figure): Metric => ({
    name: `${name}.js_heap`, unit: 'MB', value: mb(f.bytes), baseline_name: 'idle sync worker JS heap (empty database)', baseline_value: mb(idle.bytes),
    ratio: f.bytes / idle.bytes,
    detail: `${f.rows} rows, IndexedDB storage; measureUserAgentSpecificMemory, rx-sync-worker realm, JS heap and ArrayBuffers, NOT sql.js's wasm memory: ${f.detail}`,
  });
  const proc = (name: string, f: Figure): Metric => ({
    name: `${name}.process`, unit: 'MB', value: mb(f.processBytes - none), baseline_name: 'idle client (empty database), same measure', baseline_value: mb(idle.processBytes - none),
    ratio: (f.processBytes - none) / (idle.processBytes - none),
    detail: `${f.rows} rows; growth of the renderer's private memory over no client open (${mb(none).toFixed(1)} MB): JS heap + sql.js wasm memory + buffers`,
  });
  const perRow = (name: string, f: Figure, db: Breakdown): Metric => {
    const heapPerRow = (f.bytes - idle.bytes) / f.rows;
    const dataPerRow = f.dataBytes / f.rows;
    return {
      name: `${name}.per_row`, unit: 'B/row', value: heapPerRow, baseline_name: 'row data (JSON of the entity row)', baseline_value: dataPerRow,
      ratio: heapPerRow / dataPerRow, target: '<= 2x the row data', target_met: heapPerRow <= 2 * dataPerRow,
      detail: `sync worker JS heap growth over idle per row, ${f.rows} rows; the page's database file ${Math.round(f.dbBytes / f.rows)} B/row (sql.js keeps the file in a JS typed array); process growth ${Math.round((f.processBytes - idle.processBytes) / f.rows)} B/row; same writes in Node: ${describeBreakdown(db)}`,
    };
  };
  return [
    heap('memory.history_rows', history), proc('memory.history_rows', history), perRow('memory.history_rows', history, historyDb),
    heap('memory.pending_changes', pending), proc('memory.pending_changes', pending), perRow('memory.pending_changes', pending, pendingDb),
  ];
}

/** historyBreakdown against a server of its own (in a worker thread, as the page's). */
async function breakdownOfHistory(n: number): Promise<Breakdown> {
  const server = await startServerThread({ kind: 'sync' });
  const seeder = await Seeder.connect(server);
  try {
    return await historyBreakdown(server.url, n, (k) => seeder.seed(k));
  } finally {
    seeder.close();
    await server.close();
  }
}
