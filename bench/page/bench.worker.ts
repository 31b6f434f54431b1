/**
 * The dedicated bench worker: runs one measurement per request and posts the result back.
 * Requests: `{ id, cmd: 'engine_apply' | 'raw_apply' | 'raw_apply_2rows', batches, size, seed }` (frames made here,
 * untimed), `{ id, cmd: 'raw_bulk', n, seed }`, `{ id, cmd: 'raw_catchup', url, fromLsn }`.
 */
import { serverFrames } from '../shared/data.js';
import { engineApply, type ApplyRun } from './worker-engine.js';
import { rawApply, rawBulk } from './worker-raw.js';
import { rawCatchUp } from './worker-raw-catchup.js';

/** A request to the bench worker. */
export type BenchWorkerRequest =
  | { id: number; cmd: 'engine_apply' | 'raw_apply' | 'raw_apply_2rows'; batches: number; size: number; seed: number }
  | { id: number; cmd: 'raw_bulk'; n: number; seed: number }
  | { id: number; cmd: 'raw_catchup'; url: string; fromLsn: number };

const scope = self as unknown as { onmessage: ((e: MessageEvent<BenchWorkerRequest>) => void) | null; postMessage(m: unknown): void };

scope.onmessage = (e) => {
  const req = e.data;
  run(req).then(
    (result) => scope.postMessage({ id: req.id, result }),
    (error: unknown) => scope.postMessage({ id: req.id, error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) }),
  );
};

function run(req: BenchWorkerRequest): Promise<ApplyRun> {
  // Start each run from a collected heap where the flag allows it (--js-flags=--expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  switch (req.cmd) {
    case 'engine_apply':
      return engineApply(serverFrames(req.seed, 0, req.batches, req.size));
    case 'raw_apply':
      return rawApply(serverFrames(req.seed, 0, req.batches, req.size));
    case 'raw_apply_2rows':
      return rawApply(serverFrames(req.seed, 0, req.batches, req.size), true);
    case 'raw_bulk':
      return rawBulk(req.n, req.seed);
    case 'raw_catchup':
      return rawCatchUp(req.url, req.fromLsn);
  }
}

