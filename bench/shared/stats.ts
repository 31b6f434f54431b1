/** Small statistics helpers for the benchmarks (median of runs, latency percentiles). */

/** The q-quantile (0..1) of `values` (nearest rank on a sorted copy); NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Latency summary of samples in ms. */
export interface LatencySummary {
  p50: number;
  p99: number;
  n: number;
}

/** p50 / p99 of latency samples. */
export function latency(samples: readonly number[]): LatencySummary {
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), n: samples.length };
}
