/** The sync engine: pipelines, policies and the status reducer. */
export { createSyncEngine, type SyncEngine, type SyncEngineOptions } from './engine.js';
export { DEFAULT_ENGINE_CONFIG, resolveEngineConfig, type BackoffPolicy, type EngineConfig, type EngineConfigInput } from './config.js';
export { mulberry32, type RandomSource } from './random.js';
export { backoffDelay } from './backoff.js';
export { initialStatus, reduceStatus, reduceStatusAll, type SyncStatus } from './status-reducer.js';
export type { EngineEvent } from './events.js';
export { downstream, type DownstreamDeps } from './downstream.js';
export { upstream, rowKey, type UpstreamDeps, type UpstreamInputs } from './upstream.js';
export { detectStuck, nextStuckState } from './stuck-detector.js';
export { batchSameTick } from './batch-same-tick.js';
export * from './lsn-ordering.js';
export type * from './ports.js';
