/**
 * bench/driver/compare.ts and spread.ts: a change is called better or worse only when the per-run
 * ratio ranges of the two runs are apart, in the direction that is good for the metric's unit.
 */
import { compare, comparisonTable } from '../../bench/driver/compare.js';
import type { BenchResult, Metric } from '../../bench/driver/report.js';
import { spreadOf } from '../../bench/driver/spread.js';

function metric(name: string, unit: string, lib: number[], base: number[]): Metric {
  const spread = spreadOf(lib, base);
  const value = lib[Math.floor(lib.length / 2)]!;
  return { name, unit, value, baseline_name: 'b', baseline_value: base[0]!, ratio: value / base[0]!, spread };
}
const result = (...metrics: Metric[]): BenchResult => ({ env: {}, metrics });

describe('bench spread', () => {
  it('pairs run i of the library with run i of the baseline', () => {
    const s = spreadOf([10, 30, 20], [10, 20, 40]);
    expect(s).toEqual({ runs: 3, value_min: 10, value_max: 30, ratio_min: 0.5, ratio_max: 1.5 });
  });

  it('pairs the extra library runs with the last baseline run', () => {
    expect(spreadOf([4, 8], [4])).toEqual(jasmine.objectContaining({ ratio_min: 1, ratio_max: 2 }));
  });
});

describe('bench --compare', () => {
  it('calls a throughput better only when the new ratio range lies above the old one', () => {
    const old = result(metric('apply', 'changes/s', [100, 110, 120], [400, 400, 400]));
    const apart = compare(old, result(metric('apply', 'changes/s', [200, 210, 220], [400, 400, 400])));
    expect(apart[0]!.verdict).toBe('better');
    expect(apart[0]!.change).toBeCloseTo(210 / 110, 5);
    const overlapping = compare(old, result(metric('apply', 'changes/s', [115, 125, 130], [400, 400, 400])));
    expect(overlapping[0]!.verdict).toBe('noise');
    const lower = compare(old, result(metric('apply', 'changes/s', [50, 55, 60], [400, 400, 400])));
    expect(lower[0]!.verdict).toBe('worse');
  });

  it('reads a latency the other way round: a higher ratio is worse', () => {
    const old = result(metric('e2e', 'ms', [3, 3.2, 3.4], [1, 1, 1]));
    expect(compare(old, result(metric('e2e', 'ms', [6, 6.5, 7], [1, 1, 1])))[0]!.verdict).toBe('worse');
    expect(compare(old, result(metric('e2e', 'ms', [1.5, 1.6, 1.7], [1, 1, 1])))[0]!.verdict).toBe('better');
  });

  it('says unknown without spreads, and skips metrics missing from either run', () => {
    const bare = (name: string, ratio: number): Metric => ({ name, unit: 'changes/s', value: ratio, baseline_name: 'b', baseline_value: 1, ratio });
    const rows = compare(result(bare('a', 1), bare('gone', 1)), result(bare('a', 2), bare('new', 1)));
    expect(rows.map((r) => [r.name, r.verdict])).toEqual([['a', 'unknown']]);
    expect(comparisonTable(rows)).toContain('x2.00');
  });
});
