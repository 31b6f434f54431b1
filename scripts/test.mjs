#!/usr/bin/env node
// `npm test`: type check, Node specs (Jasmine), browser specs (Karma + headless Chromium), then ONE
// summary line `N passed, N failed, N skipped`. Exits non-zero when anything failed or did not run.
//   --node-only / --browser-only   run one half;  --typecheck-only   only tsc
// RSW_TSCONFIG picks another tsconfig (the runner's own specs use a fixture with a type error).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromeBin } from './chrome-bin.mjs';
import { createTestDb, dropTestDb } from './pg-test-db.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const nodeOnly = args.includes('--node-only');
const browserOnly = args.includes('--browser-only');
const typecheckOnly = args.includes('--typecheck-only');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-test-'));
const bin = (name) => path.join(root, 'node_modules', name);

ensureChromeBin();

const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];

function step(name, cmd, cmdArgs, resultsFile) {
  const t0 = process.hrtime.bigint();
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(cmd, cmdArgs, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, RSW_RESULTS: resultsFile ?? '' },
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`=== ${name}: exit ${r.status ?? r.signal} in ${secs.toFixed(1)} s ===`);
  if (resultsFile) {
    if (fs.existsSync(resultsFile)) {
      const c = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
      totals.passed += c.passed;
      totals.failed += c.failed;
      totals.skipped += c.skipped;
      if (c.passed + c.failed === 0) problems.push(`${name} ran no spec`);
    } else {
      problems.push(`${name} wrote no results`);
      totals.failed++;
    }
  }
  if (r.status !== 0) problems.push(`${name} exited with ${r.status ?? r.signal}`);
  return r.status === 0;
}

// RSW_SKIP_TYPECHECK: for the runner's own specs, which run it nested inside `npm test`.
if (!process.env.RSW_SKIP_TYPECHECK) {
  const typesOk = step('type check (tsc --noEmit)', process.execPath, [bin('typescript/bin/tsc'), '--noEmit', '-p', process.env.RSW_TSCONFIG || 'tsconfig.json']);
  if (!typesOk) totals.failed++;
}

// The PostgreSQL specs need a real PostgreSQL (a missing one is a failure, never a skip): a
// throwaway database per run unless RSW_PG_URL names one.
let pgDb = null;
if (!typecheckOnly && !process.env.RSW_PG_URL) {
  try {
    pgDb = await createTestDb();
    process.env.RSW_PG_URL = pgDb.url;
    console.log(`PostgreSQL test database: ${pgDb.name}`);
  } catch (e) {
    problems.push(`no PostgreSQL for the PostgreSQL specs (${e.message}): start it (.ci/run does) or set RSW_PG_URL`);
    totals.failed++;
  }
}

if (!browserOnly && !typecheckOnly) {
  step('node specs (jasmine)', process.execPath, ['--import', 'tsx', bin('jasmine/bin/jasmine.js'), '--config=spec/support/jasmine.json'], path.join(tmp, 'node.json'));
}
if (!browserOnly && !typecheckOnly && process.env.RSW_PG_URL) {
  // The server suites again, every server on PostgreSQL (spec/server/helpers.ts reads RSW_SERVER_BACKEND).
  process.env.RSW_SERVER_BACKEND = 'postgres';
  step('server specs on PostgreSQL (jasmine)', process.execPath, ['--import', 'tsx', bin('jasmine/bin/jasmine.js'), '--config=spec/support/jasmine.postgres.json'], path.join(tmp, 'postgres.json'));
  delete process.env.RSW_SERVER_BACKEND;
}
if (!nodeOnly && !typecheckOnly) {
  step('browser specs (karma, headless chromium)', process.execPath, ['--import', 'tsx', bin('karma/bin/karma'), 'start', 'karma.conf.js'], path.join(tmp, 'browser.json'));
}
if (!nodeOnly && !typecheckOnly && process.env.RSW_PG_URL && !process.env.RSW_NO_SYNC_SERVER) {
  // The browser end-to-end specs again, their sync server on PostgreSQL (spec/support/karma-server.ts).
  // A run without a sync server (RSW_NO_SYNC_SERVER: the runner's own specs) has nothing to repeat.
  process.env.RSW_SERVER_BACKEND = 'postgres';
  step('browser specs, server on PostgreSQL (karma, headless chromium)', process.execPath, ['--import', 'tsx', bin('karma/bin/karma'), 'start', 'karma.conf.js'], path.join(tmp, 'browser-postgres.json'));
  delete process.env.RSW_SERVER_BACKEND;
}
fs.rmSync(tmp, { recursive: true, force: true });
if (pgDb) await dropTestDb(pgDb.name).catch((e) => console.log(`could not drop ${pgDb.name}: ${e.message}`));

console.log('');
for (const p of problems) console.log(`problem: ${p}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(problems.length === 0 && totals.failed === 0 ? 0 : 1);
