/**
 * The sync worker of the bench's per-stage trace: the library's own worker (what
 * lib/worker/sync.worker.ts does: `startWorker()`), with trace-hooks.ts installed first. Bench-only.
 * Called, not imported for effect: the package's `sideEffects` list would let webpack drop a bare import.
 */
import { startWorker } from '../../lib/worker/start-worker.js';
import { installTraceHooks } from './trace-hooks.js';

installTraceHooks();
startWorker();
