/**
 * Start the sync host for a client: in a Web Worker (default where `Worker` exists), or in-process
 * (`worker: false`: Node, or hosts without workers). The in-process host is loaded with a dynamic
 * import so that an app using the worker does not carry the engine in its main bundle.
 */
import { SchemaError } from '../errors.js';
import { workerChannel, type Channel } from './channel.js';
import type { SyncClientOptions } from './options.js';
import { watchWorker, type WorkerFailureEvent, type WorkerSource } from './worker-start.js';

/** Where worker failures go (the worker's `error` / `messageerror` events). */
export type WorkerFailureReport = (event: WorkerFailureEvent, source: WorkerSource) => void;

/** Open the channel to a new sync host for these options. */
export function openChannel(options: SyncClientOptions, onWorkerFailure: WorkerFailureReport = () => undefined): Promise<Channel> {
  const useWorker = options.worker === undefined ? typeof Worker !== 'undefined' : options.worker !== false;
  if (useWorker) {
    if (typeof options.storage === 'object') {
      return Promise.reject(new SchemaError('file storage is for Node: use it with `worker: false`'));
    }
    try {
      const source: WorkerSource = typeof options.worker === 'function' ? 'app' : 'bundled';
      // webpack 5 and Vite turn this into a worker chunk of their own; the Angular CLI does not
      // (it bundles only the app's own workers): there the app passes `worker: () => new Worker(...)`.
      const worker =
        typeof options.worker === 'function'
          ? options.worker()
          : viteDevWorker() ?? new Worker(new URL('../worker/sync.worker.js', import.meta.url), { type: 'module', name: 'rx-sync-worker' });
      watchWorker(worker, (e) => onWorkerFailure(e, source));
      return Promise.resolve(workerChannel(worker as unknown as Parameters<typeof workerChannel>[0]));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return import('../worker/in-process.js').then((m) => m.startInProcessHost(options));
}

/**
 * Vite's dev server pre-bundles a dependency into `node_modules/.vite/deps/`, where the worker URL
 * above points at no file, and it does not bundle a dependency's worker. From there, start the
 * package's own unbundled worker module, which the dev server serves and transforms like any
 * module (its sql.js import is an ES module, see lib/store/sql-js.browser.ts). The path is built
 * at run time so that bundlers do not take it for a second worker.
 */
function viteDevWorker(): Worker | null {
  const here = import.meta.url;
  if (!here.includes('/node_modules/.vite/deps/')) return null;
  const file = ['..', '..', 'rx-sync-worker', 'dist', 'lib', 'worker', 'sync.worker.js'].join('/');
  return new Worker(new URL(file, here), { type: 'module', name: 'rx-sync-worker' });
}
