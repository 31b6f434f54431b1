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
  /** Most out-of-order server batches held while a gap is filled (default 1000); more -> resync. */
  maxHeldBatches: number;
  /** The queue head may stay unchanged this long (ms, while synced) before it is reported stuck (default 60 000). */
  stuckThreshold: number;
  /** How often the stuck detector looks at the queue head, in ms (default 5 000). */
  stuckCheckInterval: number;
}

/** The defaults of DESIGN section 6. */
export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  backoff: { initialDelay: 500, maxDelay: 30_000, multiplier: 2 },
  maxAttempts: 3,
  ackTimeout: 10_000,
  batchSize: 500,
  maxHeldBatches: 1000,
  stuckThreshold: 60_000,
  stuckCheckInterval: 5_000,
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
    ['maxHeldBatches', config.maxHeldBatches],
    ['stuckCheckInterval', config.stuckCheckInterval],
    ['backoff.multiplier', config.backoff.multiplier],
  ];
  const nonNegative: Array<[string, number]> = [
    ['ackTimeout', config.ackTimeout],
    ['stuckThreshold', config.stuckThreshold],
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
