/**
 * `npm run bench:smoke` inside `npm test`: every benchmark path runs end to end at a tiny size and
 * writes the results JSON in the agreed shape. (Its figures mean nothing; `npm run bench` measures.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const METRICS = ['apply_server_batch', 'record_local_change', 'bulk_record', 'end_to_end_latency', 'catch_up', 'resent_after_kill', 'server_throughput', 'memory'];

describe('benchmark smoke run', () => {
  it('runs every metric and writes { env, metrics[] } with baselines and ratios', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-bench-')), 'smoke.json');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', `--out=${out}`], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    expect(r.status).withContext(r.stderr.slice(-2000)).toBe(0);
    const json = JSON.parse(fs.readFileSync(out, 'utf8')) as { env: object; metrics: Array<Record<string, unknown>> };
    expect(typeof json.env).toBe('object');
    for (const name of METRICS) {
      const m = json.metrics.find((x) => String(x['name']).startsWith(name));
      expect(m).withContext(name).toBeDefined();
      for (const key of ['name', 'unit', 'value', 'baseline_name', 'baseline_value', 'ratio']) expect(m).withContext(`${name}.${key}`).toEqual(jasmine.objectContaining({ [key]: jasmine.anything() }));
      expect(Number.isFinite(m!['value'])).withContext(`${name} value`).toBeTrue();
    }
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }, 300_000);
});
