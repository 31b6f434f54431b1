/** The bench result: one entry per metric, printed as a table and written as JSON. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Spread } from './spread.js';

/** One metric, in the JSON shape of bench/results/latest.json. */
export interface Metric {
  name: string;
  unit: string;
  /** The figure (median over runs; for a latency, its p50). */
  value: number;
  /** Latency metrics only. */
  p50?: number;
  p99?: number;
  baseline_name: string;
  baseline_value: number;
  /** value / baseline_value (for a throughput: fraction of the baseline; for a latency or a size: times the baseline). */
  ratio: number;
  /** The goal from the issue, in words, and whether this run met it (absent: no goal). */
  target?: string;
  target_met?: boolean;
  /** Runs, sizes, and anything needed to read the figure. */
  detail?: string;
  /** Lowest and highest per-run value and ratio (see spread.ts); `--compare` reads it. */
  spread?: Spread;
  /** end_to_end_latency only: the per-stage trace of one extra, instrumented run (bench/driver/trace-stages.ts). */
  trace?: StageTrace;
}

/** One stage of the end-to-end trace: the interval from stage `from` to stage `name`, per change (ms). */
export interface StageFigure {
  name: string;
  /** The stage the interval starts at. */
  from: string;
  p50: number;
  p99: number;
  /** The smallest interval (a check: below zero only by the clock offset's uncertainty, when `cross_clock`). */
  min: number;
  /** Changes measured. */
  n: number;
  /** One end is on the server's (Node's) clock, the other on Chromium's: off by up to the offset's uncertainty. */
  cross_clock: boolean;
}

/** The per-stage trace of one traced end-to-end run. */
export interface StageTrace {
  /** Changes traced (after the warm-up). */
  changes: number;
  /** Node's clock minus Chromium's (ms), and the bound of its error (half the best round trip on the wire). */
  clock: { offset_ms: number; uncertainty_ms: number };
  /** The stages in path order, each from the one before; their sum is the end-to-end latency. */
  stages: StageFigure[];
  /** A side figure: A's call -> A's insert() promise resolved (what A's app waits for). */
  insert_resolved: StageFigure;
  /**
   * A side figure: server handles -> that frame's handling ended (ack, broadcast, backpressure and
   * pacing waits): how long the frame held its connection's inbox, which hands on one frame at a time.
   */
  server_frame: StageFigure;
  /**
   * Where the slowest 1% come from: the changes whose end-to-end latency (A's call -> B's live
   * query) is at or above its p99, and per stage the mean of their interval (the sum is their mean latency).
   */
  tail: { threshold_ms: number; n: number; stages: { name: string; from: string; mean: number }[] };
}

/** The whole result file. */
export interface BenchResult {
  env: Record<string, string | number>;
  metrics: Metric[];
}

/** Describe the machine and the run. */
export function environment(mode: string, chromiumVersion: string): Record<string, string | number> {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout: leave it unknown.
  }
  const cpus = os.cpus();
  return {
    mode,
    date: new Date().toISOString(),
    node: process.version,
    chromium: chromiumVersion,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: Math.round(os.totalmem() / 1e9),
    // Other work on the machine skews every figure (baselines too): the load when the run started.
    load_average_1m: Math.round(os.loadavg()[0]! * 100) / 100,
    commit,
  };
}

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (a >= 100) return n.toFixed(0);
  if (a >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

/** The table printed at the end of a run. */
export function table(metrics: readonly Metric[]): string {
  const rows = [['metric', 'unit', 'value', 'p50', 'p99', 'baseline', 'baseline value', 'ratio', 'target']];
  for (const m of metrics) {
    const target = m.target === undefined ? '' : `${m.target_met ? 'met' : 'NOT met'} (${m.target})`;
    rows.push([m.name, m.unit, fmt(m.value), fmt(m.p50), fmt(m.p99), m.baseline_name, fmt(m.baseline_value), fmt(m.ratio), target]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i >= 2 && i <= 7 && c !== rows[0]![i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** Write the result as JSON to `file` (folders created). */
export function writeResult(file: string, result: BenchResult): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
}
