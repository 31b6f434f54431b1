/** rx-sync-worker/angular: `provideSyncClient`, `injectSyncClient` and Signals of status and live queries. */
export { provideSyncClient, injectSyncClient, SYNC_CLIENT } from './provide.js';
export { injectSyncStatus, injectLiveQuery, injectSyncError } from './signals.js';
