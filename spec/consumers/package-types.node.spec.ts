/**
 * The installed package as a strict TypeScript app sees it: the public .d.ts of every browser entry
 * (`.`, `./worker`, `./worker-entry`, `./angular`) type-check with `skipLibCheck: false` in an
 * install that has only the package's own dependencies (no @types/sql.js, no @types/node), from the
 * `npm pack` tarball. Also: the core entry imports nothing from Angular, the source maps carry their
 * sources, and the wasm is in the package.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cachedInstall, copyFixture, installTarball, packTarball, removeRun, ROOT } from './support/workspace.js';

const FIXTURES = path.join(ROOT, 'spec', 'consumers', 'fixtures');

describe('the packed package in a consumer install', () => {
  let install: string;
  let run: string;
  let pkg: string;

  beforeAll(() => {
    install = cachedInstall('shared', path.join(FIXTURES, 'shared'));
    run = installTarball(install, packTarball());
    pkg = path.join(run, 'node_modules', 'rx-sync-worker');
  }, 600_000);
  afterAll(() => removeRun(run));

  it('type-checks every browser entry with skipLibCheck: false', () => {
    expect(fs.existsSync(path.join(install, 'node_modules', '@types', 'sql.js'))).withContext('no @types/sql.js in the install').toBeFalse();
    const dir = copyFixture(path.join(FIXTURES, 'typecheck'), run, 'typecheck');
    let out = '';
    try {
      execFileSync(process.execPath, [path.join(install, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(out).toBe('');
  }, 120_000);

  it('keeps Angular out of the core entry (its whole static import graph)', () => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
        else bare.add(spec);
      }
    };
    visit(path.join(pkg, 'dist', 'lib', 'index.js'));
    expect(seen.size).toBeGreaterThan(5);
    expect([...bare].filter((s) => s.startsWith('@angular'))).toEqual([]);
    expect([...bare].filter((s) => s.startsWith('fp-ts'))).toEqual([]);
  });

  it('ships the wasm next to the module that finds it, and source maps with their sources', () => {
    expect(fs.statSync(path.join(pkg, 'dist', 'lib', 'store', 'sql-wasm.wasm')).size).toBeGreaterThan(100_000);
    expect(fs.readFileSync(path.join(pkg, 'dist', 'lib', 'store', 'wasm-url.browser.js'), 'utf8')).toContain("new URL('./sql-wasm.wasm', import.meta.url)");
    const maps = fs.readdirSync(path.join(pkg, 'dist'), { recursive: true }).map(String).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const m of maps) {
      const map = JSON.parse(fs.readFileSync(path.join(pkg, 'dist', m), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent?.length).withContext(m).toBe(map.sources.length);
      expect(map.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0)).withContext(m).toBeTrue();
    }
  });
});
