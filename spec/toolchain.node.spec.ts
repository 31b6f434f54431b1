/**
 * The test runner itself: a webpack error or a failing browser spec fails `npm test` (karma-webpack
 * alone exits 0 on compile errors), and the run ends with the one summary line.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function runBrowser(specFile: string): { status: number | null; out: string; last: string } {
  const r = spawnSync(process.execPath, ['scripts/test.mjs', '--browser-only'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RSW_SPEC: specFile, RSW_SKIP_TYPECHECK: '1', RSW_NO_SYNC_SERVER: '1' },
    timeout: 120_000,
  });
  const out = r.stdout + r.stderr;
  const lines = r.stdout.trim().split('\n');
  return { status: r.status, out, last: lines[lines.length - 1] ?? '' };
}

describe('npm test runner', () => {
  it('fails the run when webpack cannot build a spec file', () => {
    const r = runBrowser('spec/toolchain-fixtures/missing-import.fixture.ts');
    expect(r.status).toBe(1);
    expect(r.out).toContain('webpack compilation error');
    expect(r.out).toContain('does-not-exist');
    expect(r.last).toMatch(/^\d+ passed, [1-9]\d* failed, \d+ skipped$/);
  }, 150_000);

  it('fails the run on a TypeScript type error', () => {
    const r = spawnSync(process.execPath, ['scripts/test.mjs', '--typecheck-only'], {
      cwd: root, encoding: 'utf8', timeout: 120_000,
      env: { ...process.env, RSW_SKIP_TYPECHECK: '', RSW_TSCONFIG: 'spec/toolchain-fixtures/tsconfig.type-error.json' },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('error TS2322');
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^0 passed, [1-9]\d* failed, 0 skipped$/);
  }, 150_000);

  it('fails the run when a browser spec fails, and counts both outcomes', () => {
    const r = runBrowser('spec/toolchain-fixtures/failing.fixture.ts');
    expect(r.status).toBe(1);
    expect(r.last).toBe('1 passed, 1 failed, 0 skipped');
  }, 150_000);
});
