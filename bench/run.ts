/**
 * `npm run bench` (and `npm run bench:smoke`): measure what users of a sync engine care about,
 * each against a baseline measured in the same run on the same machine, print a table and write
 * bench/results/latest.json (smoke: bench/results/smoke.json). See bench/README.md.
 *
 *   node --import tsx bench/run.ts [--smoke] [--only=apply,record,bulk,e2e,catchup,throughput,memory,tabs,access,storage] [--out=file]
 *                                  [--compare old.json]   (ratio change per metric, with the spreads)
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBenchPage } from './driver/build.js';
import { applyServerBatch, bulkRecord, catchUpAndKill, endToEnd, recordLocalChange, type BrowserContext } from './driver/browser-metrics.js';
import { memory } from './driver/memory-metrics.js';
import { openBenchPage, type BenchBrowser } from './driver/chromium.js';
import { storageMetrics } from './driver/storage-metrics.js';
import { accessMetrics, serverThroughputMetric } from './driver/node-metrics.js';
import { tabsMetrics } from './driver/tabs-metrics.js';
import fs from 'node:fs';
import { compare, comparisonTable } from './driver/compare.js';
import { environment, table, writeResult, type BenchResult, type Metric } from './driver/report.js';
import { rendererPrivateBytes } from './driver/proc-memory.js';
import { serveStatic, type StaticServer } from './driver/serve.js';
import { FULL, SMOKE } from './driver/sizes.js';
import { Seeder } from './node/seeder.js';
import { startServerThread, type ServerHandle } from './node/server-handle.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const compareArg = args.find((a) => a.startsWith('--compare='))?.slice(10) ?? (args.includes('--compare') ? args[args.indexOf('--compare') + 1] : undefined);
// Read it first: a missing or broken file fails at once, not after a ten-minute run.
const older: BenchResult | null = compareArg ? (JSON.parse(fs.readFileSync(compareArg, 'utf8')) as BenchResult) : null;
const out = args.find((a) => a.startsWith('--out='))?.slice(6) ?? path.join(here, 'results', smoke ? 'smoke.json' : 'latest.json');
const sizes = smoke ? SMOKE : FULL;
const started = performance.now();

function log(line: string): void {
  console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);
}

const wanted = (name: string) => !only || only.includes(name);

async function main(): Promise<void> {
  const metrics: Metric[] = [];
  let web: StaticServer | null = null;
  let browser: BenchBrowser | null = null;
  let server: ServerHandle | null = null;
  let seeder: Seeder | null = null;
  let browserVersion: string;
  try {
    log(`mode ${smoke ? 'smoke' : 'full'}; building the bench page`);
    web = await serveStatic(await buildBenchPage());
    server = await startServerThread({ kind: 'sync' });
    seeder = await Seeder.connect(server);
    // Servers the page may name in node('seed' | 'lsn', { server }); 'main' unless named.
    const servers = new Map<string, { handle: ServerHandle; seeder: Seeder }>([['main', { handle: server, seeder }]]);
    browser = await openBenchPage(web.url);
    browserVersion = browser.browser.version();
    await browser.page.exposeFunction('benchNode', (cmd: string, a: { n?: number; server?: string }) => {
      if (cmd === 'rendererMemory') return rendererPrivateBytes();
      const target = servers.get(a.server ?? 'main');
      if (!target) throw new Error(`no bench server "${a.server}"`);
      return cmd === 'seed' ? target.seeder.seed(a.n ?? 0) : target.handle.lsn();
    });
    const withServer = async <T>(name: string, fn: (url: string) => Promise<T>): Promise<T> => {
      const handle = await startServerThread({ kind: 'sync' });
      const own = await Seeder.connect(handle);
      servers.set(name, { handle, seeder: own });
      try {
        return await fn(handle.url);
      } finally {
        servers.delete(name);
        own.close();
        await handle.close();
      }
    };
    const ctx: BrowserContext = { page: browser.page, server, withServer, sizes, log };
    const steps: [string, string, () => Promise<Metric | Metric[]>][] = [
      ['apply', 'apply_server_batch', () => applyServerBatch(ctx)],
      ['record', 'record_local_change', () => recordLocalChange(ctx)],
      ['bulk', 'bulk_record', () => bulkRecord(ctx)],
      ['e2e', 'end_to_end_latency', () => endToEnd(ctx)],
      ['catchup', 'catch_up + resent_after_kill', () => catchUpAndKill(ctx)],
      ['memory', 'memory', () => memory(ctx)],
      ['throughput', 'server_throughput', () => serverThroughputMetric(sizes)],
      ['storage', 'first_sync + server_throughput.postgres', () => storageMetrics(sizes, log)],
      ['tabs', 'tabs_follower_insert + tabs_failover', () => tabsMetrics(sizes.tabs, log)],
      ['access', 'server_throughput.access + scope_backfill', () => accessMetrics(sizes)],
    ];
    for (const [key, name, run] of steps) {
      if (!wanted(key)) continue;
      log(`${name} ...`);
      const t = performance.now();
      const got = await run();
      for (const m of [got].flat()) {
        metrics.push(m);
        log(`  ${m.name}: ${m.value.toFixed(3)} ${m.unit} (baseline ${m.baseline_value.toFixed(3)}, ratio ${m.ratio.toFixed(3)})${m.target ? ` target ${m.target_met ? 'met' : 'NOT met'}` : ''}`);
      }
      log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    }
  } finally {
    seeder?.close();
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await web?.close().catch(() => undefined);
  }
  const result = { env: { ...environment(smoke ? 'smoke' : 'full', browserVersion), seconds: Math.round((performance.now() - started) / 1000), load_average_1m_end: Math.round(os.loadavg()[0]! * 100) / 100 }, metrics };
  writeResult(out, result);
  console.log(`\n${table(metrics)}\n\nwritten ${path.relative(process.cwd(), out)} in ${result.env.seconds} s`);
  if (older) console.log(`\ncompared with ${compareArg} (ratio = library / same-run baseline; a change counts only when the per-run ratio ranges are apart):\n${comparisonTable(compare(older, result))}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
