/**
 * `npm run bench -- --compare old.json`: the ratio change of each metric between an older result
 * file and this run, with both spreads, and a verdict that only calls a change real when the
 * per-run ratio ranges of the two runs do not overlap.
 *
 * Ratios (library over its same-run baseline) are compared, not raw values: two runs at different
 * machine load move both sides, and the ratio is what load cancels out of.
 */
import type { BenchResult, Metric } from './report.js';

/** Higher ratio is better for a throughput; lower is better for a latency, a size or a memory figure. */
export function higherIsBetter(m: Pick<Metric, 'unit'>): boolean {
  return m.unit.endsWith('/s');
}

/** One metric's change between two runs. */
export interface Comparison {
  name: string;
  unit: string;
  old_value: number;
  new_value: number;
  old_ratio: number;
  new_ratio: number;
  /** new ratio / old ratio (> 1: the ratio grew). */
  change: number;
  /** Per-run ratio ranges, when the result files have them. */
  old_range: [number, number] | null;
  new_range: [number, number] | null;
  /** `better` / `worse` only when the ranges are known and apart; else `noise` (or `unknown` without ranges). */
  verdict: 'better' | 'worse' | 'noise' | 'unknown';
}

function range(m: Metric): [number, number] | null {
  return m.spread && m.spread.runs > 0 ? [m.spread.ratio_min, m.spread.ratio_max] : null;
}

/** Compare the metrics present in both runs, in the new run's order. */
export function compare(older: BenchResult, newer: BenchResult): Comparison[] {
  const before = new Map(older.metrics.map((m) => [m.name, m]));
  const out: Comparison[] = [];
  for (const m of newer.metrics) {
    const o = before.get(m.name);
    if (!o) continue;
    const oldRange = range(o);
    const newRange = range(m);
    let verdict: Comparison['verdict'] = 'unknown';
    if (oldRange && newRange) {
      const up = newRange[0] > oldRange[1];
      const down = newRange[1] < oldRange[0];
      if (!up && !down) verdict = 'noise';
      else verdict = up === higherIsBetter(m) ? 'better' : 'worse';
    }
    out.push({
      name: m.name, unit: m.unit, old_value: o.value, new_value: m.value, old_ratio: o.ratio, new_ratio: m.ratio,
      change: m.ratio / o.ratio, old_range: oldRange, new_range: newRange, verdict,
    });
  }
  return out;
}

const f = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(3)) : String(n));
const r = (x: [number, number] | null) => (x ? `${f(x[0])}-${f(x[1])}` : '-');

/** The comparison as a table. */
export function comparisonTable(rows: readonly Comparison[]): string {
  const table = [['metric', 'unit', 'old value', 'new value', 'old ratio (range)', 'new ratio (range)', 'ratio change', 'verdict']];
  for (const c of rows) {
    table.push([c.name, c.unit, f(c.old_value), f(c.new_value), `${f(c.old_ratio)} (${r(c.old_range)})`, `${f(c.new_ratio)} (${r(c.new_range)})`, `x${c.change.toFixed(2)}`, c.verdict]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
