/**
 * `npm run bench:smoke` inside `npm test`: every benchmark path runs end to end at a tiny size and
 * writes the results JSON in the agreed shape. (Its figures mean nothing; `npm run bench` measures.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const METRICS = [
  'apply_server_batch', 'record_local_change', 'bulk_record', 'end_to_end_latency', 'end_to_end_latency.loaded', 'catch_up', 'resent_after_kill', 'server_throughput', 'memory',
  'tabs_follower_insert', 'tabs_failover', 'server_throughput.access', 'scope_backfill', 'first_sync', 'first_sync.postgres', 'server_throughput.postgres',
];

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
    // Every run-based metric carries its spread; --compare printed the one metric both runs have.
    const spread = json.metrics.find((x) => x['name'] === 'server_throughput')!['spread'] as Record<string, number>;
    expect(spread['runs']).toBeGreaterThan(0);
    expect(spread['ratio_min']).toBeLessThanOrEqual(spread['ratio_max']!);
    expect(r.stdout).toMatch(/compared with .*older\.json/);
    expect(r.stdout).toMatch(/server_throughput\s+changes\/s\s.*\sbetter\s*$/m);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
