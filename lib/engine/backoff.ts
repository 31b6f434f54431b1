/**
 * The retry delay policy: exponential backoff with full jitter (AWS architecture blog,
 * "Exponential Backoff And Jitter"). Pure: the random source is passed in.
 */
import type { BackoffPolicy } from './config.js';
import type { RandomSource } from './random.js';

/**
 * Delay before retry number `attempt` (1 = the first retry), in whole ms:
 * `floor(random() * min(maxDelay, initialDelay * multiplier^(attempt-1)))`.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: RandomSource): number {
  const exp = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxDelay, policy.initialDelay * Math.pow(policy.multiplier, exp));
  return Math.floor(random() * ceiling);
}
