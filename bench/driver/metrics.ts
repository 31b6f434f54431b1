/**
 * Turning runs into metrics: each metric is measured `runs` times (baseline and library
 * interleaved), the median run is reported with the spread of the runs (spread.ts), latencies pool their samples per run and report the
 * median p50 / p99 of the runs.
 */
import { latency, median } from '../shared/stats.js';
import type { Metric } from './report.js';
import { spreadOf } from './spread.js';

/** A throughput run. */
export interface Run {
  changes: number;
  ms: number;
}

/** changes/s of a run. */
export function rate(r: Run): number {
  return (r.changes / r.ms) * 1000;
}

/** A throughput metric (changes/s, higher is better) from runs of the library and of the baseline. */
export function throughputMetric(name: string, runs: readonly Run[], baselineName: string, baselineRuns: readonly Run[], target?: { text: string; met: (value: number, ratio: number) => boolean }): Metric {
  const value = median(runs.map(rate));
  const baseline = median(baselineRuns.map(rate));
  const ratio = value / baseline;
  const sizes = runs.map((r) => r.changes);
  return {
    name, unit: 'changes/s', value, baseline_name: baselineName, baseline_value: baseline, ratio,
    spread: spreadOf(runs.map(rate), baselineRuns.map(rate)),
    ...(target && { target: target.text, target_met: target.met(value, ratio) }),
    detail: `median of ${runs.length} runs of ${Math.min(...sizes)}${Math.max(...sizes) !== Math.min(...sizes) ? `-${Math.max(...sizes)}` : ''} changes; runs: ${runs.map((r) => Math.round(rate(r))).join(', ')}`,
  };
}

/** A latency metric (ms, lower is better): value = p50; p50 / p99 are medians over the runs. */
export function latencyMetric(name: string, runs: readonly number[][], baselineName: string, baselineRuns: readonly number[][], target?: { text: string; met: (p50: number, p99: number) => boolean }): Metric {
  const per = runs.map((s) => latency(s));
  const p50 = median(per.map((l) => l.p50));
  const p99 = median(per.map((l) => l.p99));
  const base = median(baselineRuns.map((s) => latency(s).p50));
  return {
    name, unit: 'ms', value: p50, p50, p99, baseline_name: baselineName, baseline_value: base, ratio: p50 / base,
    spread: spreadOf(per.map((l) => l.p50), baselineRuns.map((s) => latency(s).p50)),
    ...(target && { target: target.text, target_met: target.met(p50, p99) }),
    detail: `median over ${runs.length} runs of ${per[0]?.n ?? 0} samples; baseline p99 ${median(baselineRuns.map((s) => latency(s).p99)).toFixed(3)} ms`,
  };
}
