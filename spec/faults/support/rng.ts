/**
 * Seeds and sizes of the fault suite. Every schedule draws from a seeded {@link Rng}; the base
 * seed is fixed (so CI is reproducible) unless `RSW_SEED` sets it, and it is printed, so any
 * failing schedule can be replayed with `RSW_SEED=<its seed> RSW_FAULTS_SCHEDULES=1`.
 * Platform-neutral: `process.env` is read only where it exists (Node), never in a browser.
 */

/** The base seed when `RSW_SEED` is not set. */
export const DEFAULT_SEED = 20_250_611;

/** A small seeded PRNG (mulberry32): same seed, same sequence, in Node and in a browser. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name];
}

/** The base seed: `RSW_SEED` when set (decimal), else {@link DEFAULT_SEED}. */
export function baseSeed(): number {
  const raw = env('RSW_SEED');
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`RSW_SEED must be a non-negative integer, got ${raw}`);
  return n;
}

/** The seed of item `index` of a run: consecutive, so one item replays as `RSW_SEED=<seed>` with a count of 1. */
export function seedOf(base: number, index: number): number {
  return (base + index) >>> 0;
}

/** A size from the environment (`RSW_FAULTS_SCHEDULES`, `RSW_FAULTS_CASES`...), else `fallback`. */
export function envCount(name: string, fallback: number): number {
  const raw = env(name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}
