/**
 * The per-stage trace of end_to_end_latency: one extra run after the measured ones (so the
 * instrumentation never skews the metric), against a traced server thread of its own, with A and
 * B on the instrumented worker (bench/page/trace.worker.ts). See trace-stages.ts for the analysis.
 */
import type { E2eTrace } from '../page/e2e.js';
import { startServerThread } from '../node/server-handle.js';
import type { StageTrace } from './report.js';
import { stageTrace } from './trace-stages.js';

/**
 * Run `run(url)` (one traced end-to-end run in the page, against `url`) with a fresh traced sync
 * server, and analyse it; changes below index `from` (the warm-up) are left out.
 */
export async function tracedEndToEnd(run: (url: string) => Promise<E2eTrace | undefined>, from: number): Promise<StageTrace> {
  const server = await startServerThread({ kind: 'sync', trace: true });
  try {
    const page = await run(server.url);
    const recorded = await server.trace();
    if (!page || !recorded) throw new Error('trace: the page or the server returned no records');
    return stageTrace(page, recorded, from);
  } finally {
    await server.close();
  }
}
