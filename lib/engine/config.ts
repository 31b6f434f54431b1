/**
 * Engine configuration and its defaults (DESIGN section 6). Every field is optional for the
 * caller; {@link resolveEngineConfig} fills in the defaults and checks the numbers.
 */

/** Exponential backoff with full jitter: `delay(n) = random() * min(maxDelay, initialDelay * multiplier^(n-1))`. */
export interface BackoffPolicy {
  /** Upper bound of the first delay, in ms (default 500). */
  initialDelay: number;
  /** Cap of every delay, in ms (default 30 000). */
  maxDelay: number;
  /** Growth factor per attempt (default 2). */
  multiplier: number;
}

/** Everything the engine can be tuned with. */
export interface EngineConfig {
  /** Retry delays for unacknowledged changes and for failed batch applies. */
  backoff: BackoffPolicy;
  /** Counted attempts (ack timeouts, transient server errors) before a change is failed (default 3). */
  maxAttempts: number;
  /** How long to wait for a `change_ack`, in ms (default 10 000). */
  ackTimeout: number;
  /** Most changes in one `client_change` frame (default 500). */
  batchSize: number;
  /**
   * Most bytes (UTF-8 JSON of its changes) in one `client_change` frame (default 4 MiB, half the
   * reference server's 8 MiB frame limit); a frame always carries at least one change.
   */
  maxFrameBytes: number;
  /** Most out-of-order server batches held while a gap is filled (default 1000); more -> resync. */
  maxHeldBatches: number;
  /** The queue head may stay unchanged this long (ms, while synced) before it is reported stuck (default 60 000). */
  stuckThreshold: number;
  /** How often the stuck detector looks at the queue head, in ms (default 5 000). */
  stuckCheckInterval: number;
  /**
   * Tries of a server batch whose apply fails with a retryable error before its changes are
   * applied one by one and the ones that still fail are quarantined (default 3). An error that
   * can never pass (a change that does not fit the schema) quarantines at the first try.
   */
  maxApplyAttempts: number;
  /**
   * Bytes (JSON size of their changes) of server frames that may wait behind a batch being
   * retried, and of batches held behind a gap, each (default 16 MiB). Over it, frames are dropped
   * and asked for again from the local LSN once the queue moves (nothing is lost).
   */
  maxBacklogBytes: number;
  /**
   * How long the `ack { lsn }` after an applied batch may wait, in ms (default 50): acks inside
   * that window are coalesced into one carrying the latest LSN. 0 = one ack per batch, at once.
   */
  ackDelay: number;
}

/** The defaults of DESIGN section 6. */
export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  backoff: { initialDelay: 500, maxDelay: 30_000, multiplier: 2 },
  maxAttempts: 3,
  ackTimeout: 10_000,
  batchSize: 500,
  maxFrameBytes: 4 * 1024 * 1024,
  maxHeldBatches: 1000,
  stuckThreshold: 60_000,
  stuckCheckInterval: 5_000,
  maxApplyAttempts: 3,
  maxBacklogBytes: 16 * 1024 * 1024,
  ackDelay: 50,
};

/** What a caller may pass: any subset, `backoff` too. */
export type EngineConfigInput = Partial<Omit<EngineConfig, 'backoff'>> & { backoff?: Partial<BackoffPolicy> };

/** Fill in defaults; throws RangeError on a value that would break the pipelines (0 attempts, batch 0...). */
export function resolveEngineConfig(input: EngineConfigInput = {}): EngineConfig {
  const config: EngineConfig = {
    ...DEFAULT_ENGINE_CONFIG,
    ...stripUndefined(input),
    backoff: { ...DEFAULT_ENGINE_CONFIG.backoff, ...stripUndefined(input.backoff ?? {}) },
  };
  const positive: Array<[string, number]> = [
    ['maxAttempts', config.maxAttempts],
    ['batchSize', config.batchSize],
    ['maxFrameBytes', config.maxFrameBytes],
    ['maxHeldBatches', config.maxHeldBatches],
    ['maxApplyAttempts', config.maxApplyAttempts],
    ['maxBacklogBytes', config.maxBacklogBytes],
    ['stuckCheckInterval', config.stuckCheckInterval],
    ['backoff.multiplier', config.backoff.multiplier],
  ];
  const nonNegative: Array<[string, number]> = [
    ['ackTimeout', config.ackTimeout],
    ['stuckThreshold', config.stuckThreshold],
    ['ackDelay', config.ackDelay],
    ['backoff.initialDelay', config.backoff.initialDelay],
    ['backoff.maxDelay', config.backoff.maxDelay],
  ];
  for (const [name, v] of positive) if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`engine config ${name} must be > 0, got ${v}`);
  for (const [name, v] of nonNegative) if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`engine config ${name} must be >= 0, got ${v}`);
  return config;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
