/**
 * Start the sync host inside a Web Worker: the worker's global scope is the channel to the
 * main-thread client. Used by the library's own worker (`sync.worker.ts`) and by the self-starting
 * `rx-sync-worker/worker-entry` that apps import from a worker file of their own.
 */
import { fromEvent, map } from 'rxjs';
import { workerChannel, type WorkerLike } from '../client/channel.js';
import { platformParts } from '../platform/runtime.js';
import { startSyncHost, type HostRuntime } from './host.js';

/** Start the host in this worker, with extra runtime parts (e.g. a wasm fallback). */
export function startWorker(extra: Pick<HostRuntime, 'wasmFallback'> = {}): void {
  const scope = self as unknown as WorkerLike;
  const online$ = fromEvent(self, 'online').pipe(map(() => true));
  void platformParts().then((parts) => startSyncHost(workerChannel(scope), { ...parts, onlineEvents: online$, ...extra }));
}
