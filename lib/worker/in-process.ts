/**
 * `worker: false`: the same sync host in this thread, over an in-process channel pair. In Node this
 * is how a client runs (with `ws` and `storage: { file }`); in a browser it is the fallback for
 * hosts without Web Workers.
 */
import { ErrorCodes, SyncError } from '../errors.js';
import { inProcessChannelPair, type Channel } from '../client/channel.js';
import type { SyncClientOptions } from '../client/options.js';
import { platformParts } from '../platform/runtime.js';
import { startSyncHost, type HostRuntime } from './host.js';

/** Start a host in-process for these client options; resolves to the client's end of the channel. */
export async function startInProcessHost(options: SyncClientOptions): Promise<Channel> {
  const parts = await platformParts();
  const runtime: HostRuntime = { ...parts };
  const logger = options.logger;
  if (logger) runtime.logSink = (r) => logger[r.level]?.(r.message, r.context ?? {});
  if (typeof options.storage === 'object') {
    if (!parts.filePersistence) throw new SyncError(ErrorCodes.PERSISTENCE, 'file storage is only available in Node');
    runtime.persistence = parts.filePersistence(options.storage.file);
  }
  const [client, host] = inProcessChannelPair();
  startSyncHost(host, runtime);
  return client;
}
