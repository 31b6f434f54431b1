#!/usr/bin/env node
// `npm run test:faults [-- <schedules>] [--duration <s>] [--cases <n>] [--seed <n>] [--node-only]`:
// the LONG form of the fault suite (spec/faults/). `npm test` runs its short form (50 network
// schedules, 10k fuzz cases, no load). This runs, by default: 1,000 network schedules, 100k fuzz
// cases, the SIGKILL and protocol specs, 10 minutes of load at 1k changes/s with the heap sampled
// (spec/faults/long/load.long.ts), the Chromium worker-crash spec and 20 seeds of the many-tabs
// scenario on real pages (spec/tabs/pages.node.spec.ts, RSW_TABS_RUNS); then prints the counts.
//   <schedules>        network schedules (default 1000)
//   --duration <s>     seconds of load (default 600; 0 skips the load run)
//   --cases <n>        fuzz cases per fuzz spec file (default 100000)
//   --seed <n>         base seed (default: $RSW_SEED, else the suite's fixed seed)
//   --node-only        skip the Chromium spec
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromeBin } from './chrome-bin.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || !/^\d+$/.test(v)) throw new Error(`--${name} needs a non-negative integer`);
  args.splice(i, 2);
  return v;
};
const duration = option('duration', '600');
const cases = option('cases', '100000');
const seed = option('seed', process.env.RSW_SEED ?? '');
const nodeOnly = args.includes('--node-only');
const positional = args.filter((a) => !a.startsWith('--'));
const schedules = positional[0] ?? '1000';
if (!/^\d+$/.test(schedules)) throw new Error(`the schedule count must be a non-negative integer, got ${schedules}`);

// Karma finds no browser without CHROME_BIN: the same fallback as `npm test`.
if (!nodeOnly) ensureChromeBin();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-faults-'));
const report = path.join(tmp, 'report.jsonl');
const env = {
  ...process.env,
  RSW_FAULTS_SCHEDULES: schedules,
  RSW_FAULTS_CASES: cases,
  RSW_FAULTS_LOAD_SECONDS: duration,
  RSW_FAULTS_REPORT: report,
  ...(seed !== '' && { RSW_SEED: seed }),
};
const bin = (name) => path.join(root, 'node_modules', name);
const problems = [];

function step(name, cmd, cmdArgs, extraEnv = {}) {
  const t0 = process.hrtime.bigint();
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  console.log(`=== ${name}: exit ${r.status ?? r.signal} in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s ===`);
  if (r.status !== 0) problems.push(`${name} exited with ${r.status ?? r.signal}`);
}

const specs = ['spec/faults/**/*.node.spec.ts', 'spec/faults/regression-*.spec.ts'];
if (Number(duration) > 0) specs.push('spec/faults/long/load.long.ts');
// --expose-gc: the load run samples the heap after a forced GC.
step('fault suite, long form (node)', process.execPath, ['--expose-gc', '--import', 'tsx', bin('jasmine/bin/jasmine.js'), '--config=spec/support/jasmine.json', ...specs], {
  RSW_RESULTS: path.join(tmp, 'node.json'),
});
if (!nodeOnly) {
  step('fault suite (chromium)', process.execPath, ['--import', 'tsx', bin('karma/bin/karma'), 'start', 'karma.conf.js'], {
    RSW_SPEC: 'spec/faults/**/*.spec.ts',
    RSW_RESULTS: path.join(tmp, 'browser.json'),
  });
  // Many tabs, one database (spec/tabs/pages.node.spec.ts): the seeded real-pages scenario, many seeds.
  step('tabs scenario, real pages (chromium)', process.execPath, ['--import', 'tsx', bin('jasmine/bin/jasmine.js'), '--config=spec/support/jasmine.json', 'spec/tabs/pages.node.spec.ts'], {
    RSW_TABS_RUNS: process.env.RSW_TABS_RUNS ?? '20',
    RSW_RESULTS: path.join(tmp, 'tabs.json'),
  });
}

// Sum the counts every spec file appended.
const totals = { schedules: 0, cases: 0, changes: 0, faults: 0, lost: 0, duplicated: 0, divergent: 0, failed: 0, other: 0 };
const byKind = {};
if (fs.existsSync(report)) {
  for (const line of fs.readFileSync(report, 'utf8').split('\n').filter(Boolean)) {
    const c = JSON.parse(line);
    for (const k of Object.keys(totals)) if (k !== 'faults') totals[k] += c[k] ?? 0;
    for (const [k, v] of Object.entries(c.faults ?? {})) {
      byKind[k] = (byKind[k] ?? 0) + v;
      totals.faults += v;
    }
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`\nfault suite: ${totals.schedules} schedules, ${totals.cases} cases, ${totals.changes} changes, ${totals.faults} faults injected ` +
  `(${Object.entries(byKind).map(([k, v]) => `${k} ${v}`).join(', ')}); lost ${totals.lost}, duplicated ${totals.duplicated}, ` +
  `divergent ${totals.divergent}, failed ${totals.failed}, other ${totals.other}`);
for (const p of problems) console.log(`problem: ${p}`);
process.exit(problems.length === 0 ? 0 : 1);
