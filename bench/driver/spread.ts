/**
 * The spread of a metric over its runs, so that a claim of change can be told from noise.
 *
 * Library and baseline runs alternate (run i of each side is measured back to back), so the
 * ratio of run i is taken against the baseline run measured next to it: load that slows both
 * sides alike cancels out of it. The spread reports the lowest and highest of those per-run
 * ratios and values.
 */

/** Lowest and highest per-run figures of a metric. */
export interface Spread {
  /** Runs measured (library runs; each paired with one baseline run). */
  runs: number;
  /** Lowest and highest per-run value (changes/s, or ms for a latency's p50). */
  value_min: number;
  value_max: number;
  /** Lowest and highest per-run ratio: run i of the library over run i of the baseline. */
  ratio_min: number;
  ratio_max: number;
}

/** The spread of paired per-run values (`lib[i]` measured next to `base[i]`). */
export function spreadOf(lib: readonly number[], base: readonly number[]): Spread {
  if (lib.length === 0) return { runs: 0, value_min: NaN, value_max: NaN, ratio_min: NaN, ratio_max: NaN };
  // Unequal counts (a baseline measured once for several library runs): pair with the last one.
  const ratios = lib.map((v, i) => v / base[Math.min(i, base.length - 1)]!);
  return {
    runs: lib.length,
    value_min: Math.min(...lib),
    value_max: Math.max(...lib),
    ratio_min: Math.min(...ratios),
    ratio_max: Math.max(...ratios),
  };
}
