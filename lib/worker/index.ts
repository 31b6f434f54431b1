/** rx-sync-worker/worker: the sync host, for apps that start their own worker or host. */
export { startSyncHost, type HostRuntime } from './host.js';
export { startInProcessHost } from './in-process.js';
