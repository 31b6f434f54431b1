/**
 * Start the sync host for a client: in a Web Worker (default where `Worker` exists), or in-process
 * (`worker: false`: Node, or hosts without workers). The in-process host is loaded with a dynamic
 * import so that an app using the worker does not carry the engine in its main bundle.
 */
import { SchemaError } from '../errors.js';
import { workerChannel, type Channel } from './channel.js';
import type { SyncClientOptions } from './options.js';

/** Open the channel to a new sync host for these options. */
export function openChannel(options: SyncClientOptions): Promise<Channel> {
  const useWorker = options.worker ?? typeof Worker !== 'undefined';
  if (useWorker) {
    if (typeof options.storage === 'object') {
      return Promise.reject(new SchemaError('file storage is for Node: use it with `worker: false`'));
    }
    // webpack 5 (and other bundlers) turn this into a worker chunk of its own.
    const worker = new Worker(new URL('../worker/sync.worker.js', import.meta.url), { type: 'module', name: 'rx-sync-worker' });
    return Promise.resolve(workerChannel(worker as unknown as Parameters<typeof workerChannel>[0]));
  }
  return import('../worker/in-process.js').then((m) => m.startInProcessHost(options));
}
