/**
 * `npm run bench:smoke` inside `npm test`: every benchmark path runs end to end at a tiny size and
 * writes the results JSON in the agreed shape. (Its figures mean nothing; `npm run bench` measures.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StageTrace } from '../bench/driver/report.js';

const root = path.resolve(import.meta.dirname, '..');
const METRICS = [
  'apply_server_batch', 'record_local_change', 'bulk_record', 'end_to_end_latency', 'end_to_end_latency.loaded', 'catch_up', 'resent_after_kill', 'server_throughput', 'memory',
  'tabs_follower_insert', 'tabs_failover', 'server_throughput.access', 'scope_backfill', 'first_sync', 'first_sync.postgres', 'server_throughput.postgres',
];

/** The end-to-end trace's stages, in path order (bench/driver/trace-stages.ts). */
const STAGES = ["A's worker in", 'A durable', 'frame out', 'server in', 'server handles', 'server writes', 'server commit', 'broadcast', 'B received', 'B applied', "B's live query"];

describe('benchmark smoke run', () => {
  it('runs every metric and writes { env, metrics[] } with baselines and ratios', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-bench-'));
    const out = path.join(dir, 'smoke.json');
    // An older result to compare with: one metric whose per-run ratio range is far below any real one.
    const older = path.join(dir, 'older.json');
    const old = { name: 'server_throughput', unit: 'changes/s', value: 1, baseline_name: 'b', baseline_value: 1e9, ratio: 1e-9, spread: { runs: 1, value_min: 1, value_max: 1, ratio_min: 1e-9, ratio_max: 1e-9 } };
    fs.writeFileSync(older, JSON.stringify({ env: {}, metrics: [old] }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', `--out=${out}`, '--compare', older], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    expect(r.status).withContext(r.stderr.slice(-2000)).toBe(0);
    const json = JSON.parse(fs.readFileSync(out, 'utf8')) as { env: object; metrics: Array<Record<string, unknown>> };
    expect(typeof json.env).toBe('object');
    for (const name of METRICS) {
      const m = json.metrics.find((x) => String(x['name']).startsWith(name));
      expect(m).withContext(name).toBeDefined();
      for (const key of ['name', 'unit', 'value', 'baseline_name', 'baseline_value', 'ratio']) expect(m).withContext(`${name}.${key}`).toEqual(jasmine.objectContaining({ [key]: jasmine.anything() }));
      expect(Number.isFinite(m!['value'])).withContext(`${name} value`).toBeTrue();
    }
    // The per-stage trace of both end-to-end metrics: every stage, each interval finite and not
    // negative. Both ends on one clock: >= 0 exactly (the smoke's 200 changes never fill a 500-change
    // frame, so A's worker answers before its frame goes: bench/README.md). Across Chromium <-> Node:
    // >= -(the offset's uncertainty + 0.1 ms); the bound holds by construction for A's socket, and
    // the 0.1 ms covers B's worker clock vs A's (one renderer process).
    for (const name of ['end_to_end_latency', 'end_to_end_latency.loaded']) {
      const trace = json.metrics.find((x) => x['name'] === name)?.['trace'] as StageTrace | undefined;
      expect(trace).withContext(`${name} trace`).toBeDefined();
      if (!trace) continue;
      expect(trace.changes).withContext(`${name} traced changes`).toBeGreaterThan(0);
      expect(Number.isFinite(trace.clock.offset_ms) && trace.clock.uncertainty_ms >= 0).withContext(`${name} clock ${JSON.stringify(trace.clock)}`).toBeTrue();
      expect(trace.stages.map((st) => st.name)).withContext(`${name} stages`).toEqual(STAGES);
      // Where the slowest 1% spend their time: every stage, means that add up to at least the threshold.
      expect(trace.tail.stages.map((st) => st.name)).withContext(`${name} tail stages`).toEqual(STAGES);
      expect(trace.tail.n).withContext(`${name} tail`).toBeGreaterThan(0);
      expect(trace.tail.stages.reduce((sum, st) => sum + st.mean, 0)).withContext(`${name} tail sum`).toBeGreaterThanOrEqual(trace.tail.threshold_ms - 1e-6);
      for (const st of [...trace.stages, trace.insert_resolved, trace.server_frame]) {
        const what = `${name}: ${st.from} -> ${st.name} ${JSON.stringify(st)}`;
        expect(st.n).withContext(what).toBe(trace.changes);
        expect([st.p50, st.p99, st.min].every(Number.isFinite)).withContext(what).toBeTrue();
        expect(st.min).withContext(what).toBeGreaterThanOrEqual(st.cross_clock ? -(trace.clock.uncertainty_ms + 0.1) : 0);
      }
    }
    expect(r.stdout).toMatch(/queueing under load \(loaded minus quiet, one traced run each\): (p50 grows most at |no stage's p50 grows)/);
    // Every run-based metric carries its spread; --compare printed the one metric both runs have.
    const spread = json.metrics.find((x) => x['name'] === 'server_throughput')!['spread'] as Record<string, number>;
    expect(spread['runs']).toBeGreaterThan(0);
    expect(spread['ratio_min']).toBeLessThanOrEqual(spread['ratio_max']!);
    expect(r.stdout).toMatch(/compared with .*older\.json/);
    expect(r.stdout).toMatch(/server_throughput\s+changes\/s\s.*\sbetter\s*$/m);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
