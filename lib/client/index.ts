/** The main-thread API. */
export { createSyncClient, INITIAL_STATUS, type AppValue, type QueryParam, type RowLike, type SyncClient, type SyncStatus, type WriteOp } from './create-sync-client.js';
export type { SyncClientOptions, BackoffOptions, Logger, SyncWorkerHandle } from './options.js';
export { inProcessChannelPair, workerChannel, type Channel, type WorkerLike } from './channel.js';
