/** apply_server_batch: the engine and the raw sql.js baseline, each run in the (warm) bench worker. */
import { inBenchWorker } from './util.js';
import type { ApplyRun } from './worker-engine.js';

/** One run of each side (interleaved by the driver; its first call is an untimed warm-up). */
export async function applyServerBatch(p: { batches: number; size: number; seed: number }): Promise<{ engine: ApplyRun; raw: ApplyRun; floor: ApplyRun }> {
  const raw = await inBenchWorker({ cmd: 'raw_apply', ...p });
  const engine = await inBenchWorker({ cmd: 'engine_apply', ...p });
  // Not the baseline: the SQL floor of the engine's two rows per change (explains the ratio).
  const floor = await inBenchWorker({ cmd: 'raw_apply_2rows', ...p });
  return { engine, raw, floor };
}

/** The raw baseline of bulk_record (entity + local_changes rows, one transaction). */
export function rawBulk(p: { n: number; seed: number }): Promise<ApplyRun> {
  return inBenchWorker({ cmd: 'raw_bulk', ...p });
}
