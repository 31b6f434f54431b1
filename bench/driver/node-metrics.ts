/** The metric measured in Node: server_throughput (real server vs bare fan-out, 50 ws clients). */
import { accessThroughput, scopeBackfill } from '../node/access-bench.js';
import { serverThroughput } from '../node/throughput.js';
import { latencyMetric, throughputMetric, type Run } from './metrics.js';
import type { Metric } from './report.js';
import type { Sizes } from './sizes.js';

/** 6. server_throughput. */
export async function serverThroughputMetric(sizes: Sizes): Promise<Metric> {
  const t = sizes.throughput;
  const real: Run[] = [];
  const bare: Run[] = [];
  for (let i = 0; i < t.runs; i++) {
    const params = { clients: t.clients, writers: t.writers, total: t.total, frameSize: t.frameSize, window: t.window, seed: 100 + i };
    bare.push(await serverThroughput({ ...params, kind: 'fanout' }));
    real.push(await serverThroughput({ ...params, kind: 'sync' }));
  }
  const m = throughputMetric('server_throughput', real, `bare ws fan-out server, same frames, ${t.clients} clients`, bare, {
    text: '>= 50k changes/s', met: (v) => v >= 50_000,
  });
  m.detail = `${t.clients} clients, ${t.writers} writers, frames of ${t.frameSize}, <= ${t.window} unacked per writer, timed until all clients have the last change; ${m.detail}`;
  return m;
}

/** 7. Access rules: server_throughput in 10 scopes vs the same run without rules; scope_backfill latency. */
export async function accessMetrics(sizes: Sizes): Promise<Metric[]> {
  const t = sizes.throughput;
  const a = sizes.access;
  const scoped: Run[] = [];
  const open: Run[] = [];
  const backfill: number[][] = [];
  const broadcast: number[][] = [];
  for (let i = 0; i < a.runs; i++) {
    const params = { clients: t.clients, writers: t.writers, total: t.total, frameSize: t.frameSize, window: t.window, seed: 300 + i };
    open.push(await accessThroughput({ ...params, access: false }));
    scoped.push(await accessThroughput({ ...params, access: true }));
    broadcast.push(await scopeBackfill({ rows: a.rows, runs: a.backfills, access: false, seed: 400 + i }));
    backfill.push(await scopeBackfill({ rows: a.rows, runs: a.backfills, access: true, seed: 500 + i }));
  }
  const tp = throughputMetric('server_throughput.access', scoped, `the same run without access rules (${t.clients} clients, auth on)`, open, {
    text: '>= 0.7 of the same run without rules', met: (_v, ratio) => ratio >= 0.7,
  });
  tp.detail = `${t.clients} clients in 10 scopes (${t.writers} writers hold all, readers one each), frames of ${t.frameSize}; ${tp.detail}`;
  const bf = latencyMetric('scope_backfill', backfill, `the same ${a.rows} rows as plain broadcasts to a team the client holds`, broadcast, {
    text: 'p50 <= 300 ms', met: (p50) => p50 <= 300,
  });
  bf.detail = `membership insert -> ${a.rows} backfilled rows in the real client's live query (in-process, sql.js), ${a.backfills} per run; ${bf.detail ?? ''}`;
  return [tp, bf];
}
