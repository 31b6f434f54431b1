/**
 * Defaults and checks for {@link TransportOptions}.
 */
import type { BackoffPolicy } from '../engine/config.js';
import type { HeartbeatOptions, TransportOptions } from './types.js';

/** Defaults of the optional transport options (DESIGN section 6). */
export const TRANSPORT_DEFAULTS = {
  backoff: { initialDelay: 500, maxDelay: 30_000, multiplier: 2 } satisfies BackoffPolicy,
  connectTimeout: 10_000,
  heartbeat: { interval: 15_000, timeout: 10_000 } satisfies HeartbeatOptions,
  bufferSize: 1000,
  authRetryDelay: 300_000,
} as const;

/** Options with every default filled in. */
export type ResolvedTransportOptions = TransportOptions & {
  backoff: BackoffPolicy;
  heartbeat: HeartbeatOptions;
  connectTimeout: number;
  bufferSize: number;
  authRetryDelay: number;
};

/** Fill in defaults; throws RangeError on a value that would break the timing (negative, NaN, 0 interval). */
export function resolveTransportOptions(o: TransportOptions): ResolvedTransportOptions {
  const resolved: ResolvedTransportOptions = {
    ...o,
    backoff: { ...TRANSPORT_DEFAULTS.backoff, ...defined(o.backoff ?? {}) },
    heartbeat: { ...TRANSPORT_DEFAULTS.heartbeat, ...defined(o.heartbeat ?? {}) },
    connectTimeout: o.connectTimeout ?? TRANSPORT_DEFAULTS.connectTimeout,
    bufferSize: o.bufferSize ?? TRANSPORT_DEFAULTS.bufferSize,
    authRetryDelay: o.authRetryDelay ?? TRANSPORT_DEFAULTS.authRetryDelay,
  };
  const { backoff, heartbeat } = resolved;
  check('backoff.initialDelay', backoff.initialDelay, 0);
  check('backoff.maxDelay', backoff.maxDelay, 0);
  check('backoff.multiplier', backoff.multiplier, 1);
  check('heartbeat.interval', heartbeat.interval, 1);
  check('heartbeat.timeout', heartbeat.timeout, 1);
  check('connectTimeout', resolved.connectTimeout, 1);
  check('bufferSize', resolved.bufferSize, 0);
  if (!(resolved.authRetryDelay >= 0)) throw new RangeError(`authRetryDelay must be >= 0 or Infinity, got ${resolved.authRetryDelay}`);
  return resolved;
}

function check(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${name} must be a finite number >= ${min}, got ${value}`);
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
