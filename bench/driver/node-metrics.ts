/** The metric measured in Node: server_throughput (real server vs bare fan-out, 50 ws clients). */
import { serverThroughput } from '../node/throughput.js';
import { throughputMetric, type Run } from './metrics.js';
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
