/**
 * The metrics measured in Chromium (through the bench page): apply_server_batch,
 * record_local_change, bulk_record, end_to_end_latency, catch_up, resent_after_kill (memory:
 * memory-metrics.ts).
 */
import type { Page } from 'playwright-core';
import type { KillRun } from '../page/catchup.js';
import type { BenchPage } from '../page/main.js';
import { median } from '../shared/stats.js';
import { startCpuHog } from '../node/cpu-hog.js';
import { startServerThread, type ServerHandle } from '../node/server-handle.js';
import { tracedEndToEnd } from './e2e-trace.js';
import { latencyMetric, rate as changesPerSecond, throughputMetric, type Run } from './metrics.js';
import type { Metric } from './report.js';
import { stageTable } from './trace-stages.js';
import type { Sizes } from './sizes.js';

/** What the browser metrics need. */
export interface BrowserContext {
  page: Page;
  /** The real sync server the page's clients connect to. */
  server: ServerHandle;
  /**
   * Run `fn` against a fresh real server of its own (empty log), registered under `name` for the
   * page's `node('seed' | 'lsn', { server: name })` calls; closed afterwards.
   */
  withServer<T>(name: string, fn: (url: string) => Promise<T>): Promise<T>;
  sizes: Sizes;
  log: (line: string) => void;
}

type Fn = keyof BenchPage;
type Result<K extends Fn> = Awaited<ReturnType<BenchPage[K]>>;

/** Call `bench[name](params)` in the page. */
export function call<K extends Fn>(page: Page, name: K, params: Parameters<BenchPage[K]>[0]): Promise<Result<K>> {
  return page.evaluate(
    ([n, p]) => (globalThis as unknown as { bench: Record<string, (p: unknown) => Promise<unknown>> }).bench[n]!(p),
    [name, params] as const,
  ) as Promise<Result<K>>;
}

/** 1. apply_server_batch. */
export async function applyServerBatch(ctx: BrowserContext): Promise<Metric> {
  const { batches, size, runs } = ctx.sizes.apply;
  const engine: Run[] = [];
  const raw: Run[] = [];
  const floor: Run[] = [];
  // Warm-up (untimed): sql.js's wasm tiers up and the JIT settles, for both sides alike.
  await call(ctx.page, 'applyServerBatch', { batches: Math.ceil(batches / 4), size, seed: 99 });
  for (let i = 0; i < runs; i++) {
    const r = await call(ctx.page, 'applyServerBatch', { batches, size, seed: 1 + i });
    engine.push(r.engine);
    raw.push(r.raw);
    floor.push(r.floor);
  }
  const m = throughputMetric('apply_server_batch', engine, 'raw sql.js prepared upsert, 1 tx per 1000 (JSON.parse incl.)', raw, {
    text: '>= 300k changes/s and ratio >= 0.4', met: (v, ratio) => v >= 300_000 && ratio >= 0.4,
  });
  const floorRate = median(floor.map(changesPerSecond));
  m.detail = `${m.detail}; SQL floor of the engine's 2 rows/change (raw upsert + raw local_changes insert, JSON.parse incl.): ${Math.round(floorRate)} changes/s = ${(floorRate / m.baseline_value).toFixed(2)} of the baseline`;
  return m;
}

/** 2. record_local_change, memory and IndexedDB. */
export async function recordLocalChange(ctx: BrowserContext): Promise<Metric[]> {
  const { n, warmup, runs, idbN } = ctx.sizes.record;
  const mem: number[][] = [];
  const idb: number[][] = [];
  const connected: number[][] = [];
  const echo: number[][] = [];
  for (let i = 0; i < runs; i++) {
    echo.push((await call(ctx.page, 'echoLatency', { n, warmup, seed: i })).samples);
    mem.push((await call(ctx.page, 'recordLatency', { storage: 'memory', n, warmup, seed: i })).samples);
    idb.push((await call(ctx.page, 'recordLatency', { storage: 'indexeddb', n: idbN, warmup, seed: i })).samples);
    connected.push((await call(ctx.page, 'recordLatency', { storage: 'memory', n: idbN, warmup, seed: i, url: ctx.server.url })).samples);
  }
  const base = 'bare postMessage round trip (echo worker)';
  const offline = (m: Metric) => ({ ...m, detail: `client without a server (recording only); ${m.detail}` });
  const online = latencyMetric('record_local_change.memory_connected', connected, base, echo);
  online.detail = `the same while connected: each change is also sent, acked and echoed meanwhile; ${online.detail}`;
  return [
    offline(latencyMetric('record_local_change.memory', mem, base, echo, { text: 'p50 <= 1 ms', met: (p50) => p50 <= 1 })),
    offline(latencyMetric('record_local_change.indexeddb', idb, base, echo, { text: 'p50 <= 5 ms', met: (p50) => p50 <= 5 })),
    online,
  ];
}

/** 3. bulk_record: one write() of n, and n concurrent insert() calls. */
export async function bulkRecord(ctx: BrowserContext): Promise<Metric[]> {
  const { n, runs } = ctx.sizes.bulk;
  const write: Run[] = [];
  const concurrent: Run[] = [];
  const raw: Run[] = [];
  // Warm-up (untimed), both sides.
  await call(ctx.page, 'rawBulk', { n, seed: 99 });
  await call(ctx.page, 'bulkRecord', { n, seed: 99, mode: 'write' });
  for (let i = 0; i < runs; i++) {
    raw.push(await call(ctx.page, 'rawBulk', { n, seed: i }));
    write.push(await call(ctx.page, 'bulkRecord', { n, seed: i, mode: 'write' }));
    concurrent.push(await call(ctx.page, 'bulkRecord', { n, seed: i, mode: 'concurrent' }));
  }
  const base = 'raw sql.js entity + local_changes inserts, 1 tx';
  const target = { text: 'ratio >= 0.4', met: (_v: number, ratio: number) => ratio >= 0.4 };
  return [throughputMetric('bulk_record', write, base, raw, target), throughputMetric('bulk_record.concurrent_inserts', concurrent, base, raw)];
}

/**
 * 4. end_to_end_latency (baseline: bare sockets through a bare fan-out server), quiet and under a
 * fixed load; after the measured runs of each, one traced run gives the per-stage trace.
 */
export async function endToEnd(ctx: BrowserContext): Promise<Metric[]> {
  const { rate, seconds, warmupSeconds, runs } = ctx.sizes.e2e;
  const relay = await startServerThread({ kind: 'fanout', frameSize: 1 });
  const measure = async (hog: boolean) => {
    const lib: number[][] = [];
    const base: number[][] = [];
    const load = hog ? startCpuHog() : null;
    try {
      for (let i = 0; i < runs; i++) {
        base.push((await call(ctx.page, 'relayLatency', { url: relay.url, rate, seconds, warmupSeconds, seed: i })).samples);
        lib.push((await call(ctx.page, 'endToEnd', { url: ctx.server.url, rate, seconds, warmupSeconds, seed: i })).samples);
      }
      // Same load, same rate; its own traced server, so the measured runs' server stays uninstrumented.
      const trace = await tracedEndToEnd(async (url) => (await call(ctx.page, 'endToEnd', { url, rate, seconds, warmupSeconds, seed: runs, tracedWorkers: true })).trace, Math.floor(rate * warmupSeconds));
      return { lib, base, trace, slices: (await load?.slices()) ?? 0 };
    } finally {
      await load?.stop();
    }
  };
  try {
    const quiet = await measure(false);
    const loaded = await measure(true);
    const baseName = `bare WebSocket A -> fan-out server -> B at ${rate}/s`;
    const m = latencyMetric('end_to_end_latency', quiet.lib, baseName, quiet.base, {
      text: 'p50 <= 3 ms, p99 <= 15 ms', met: (p50, p99) => p50 <= 3 && p99 <= 15,
    });
    m.detail = `${rate} changes/s for ${seconds} s (first ${warmupSeconds} s dropped); ${m.detail}`;
    const l = latencyMetric('end_to_end_latency.loaded', loaded.lib, `${baseName}, same load`, loaded.base);
    l.target = 'p50 <= 10x the bare relay under the same load';
    l.target_met = l.ratio <= 10;
    l.detail = `the same while one Node worker thread spins (a fixed load of one core; ${loaded.slices} busy 50 ms slices ran); ${l.detail}`;
    m.trace = quiet.trace;
    l.trace = loaded.trace;
    ctx.log(`  per-stage trace (one extra instrumented run each, ${rate}/s, p50 / p99 of the interval from the stage before):`);
    for (const row of stageTable(quiet.trace, loaded.trace)) ctx.log(row);
    return [m, l];
  } finally {
    await relay.close();
  }
}

/** 5. catch_up and resent_after_kill. */
export async function catchUpAndKill(ctx: BrowserContext): Promise<Metric[]> {
  const runs = await ctx.withServer('catchup', (url) => call(ctx.page, 'catchUp', { url, server: 'catchup', n: ctx.sizes.catchUp.n, storage: 'indexeddb', runs: ctx.sizes.catchUp.runs }));
  const engine: Run[] = runs.map((r) => r.engine);
  const raw: Run[] = runs.map((r) => r.raw);
  const catchUp = throughputMetric('catch_up', engine, 'bare WebSocket pages + raw sql.js upsert (same server)', raw, {
    text: '>= 100k changes/s', met: (v) => v >= 100_000,
  });
  catchUp.detail = `IndexedDB storage, timed from connect() to synced; ${catchUp.detail}`;
  const kills: KillRun[] = [];
  for (let i = 0; i < ctx.sizes.kill.runs; i++) {
    kills.push(await ctx.withServer('kill', (url) => call(ctx.page, 'killAndResend', { url, server: 'kill', n: ctx.sizes.kill.n, seed: i })));
  }
  const resent = median(kills.map((k) => k.resent));
  const durable = median(kills.map((k) => k.durable));
  const lost = Math.max(...kills.map((k) => k.lost));
  const kill: Metric = {
    name: 'resent_after_kill', unit: 'changes', value: resent, baseline_name: 'changes durable at the kill', baseline_value: durable,
    ratio: resent / durable,
    target: 'nothing lost, nothing applied twice', target_met: lost === 0,
    detail: `${ctx.sizes.kill.n} inserts on IndexedDB, worker terminated once the server held about half; runs: ${kills.map((k) => `recorded ${k.recorded}, durable ${k.durable}, re-sent ${k.resent} (duplicates ${k.duplicates}), lost ${k.lost}`).join('; ')}`,
  };
  return [catchUp, kill];
}
