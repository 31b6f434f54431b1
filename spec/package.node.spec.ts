/**
 * Package shape: the ESM build with .d.ts in dist/, the `exports` map (`.`, `./server`, `./worker`),
 * rxjs as a peer, and no Node-only server dependency forced on a browser app.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('package shape', () => {
  it('declares rxjs as a peer and keeps ws / better-sqlite3 optional', () => {
    expect(pkg.type).toBe('module');
    expect(pkg.peerDependencies.rxjs).toBeDefined();
    expect(pkg.dependencies.rxjs).toBeUndefined();
    for (const nodeOnly of ['ws', 'better-sqlite3']) {
      expect(pkg.dependencies[nodeOnly]).withContext(nodeOnly).toBeUndefined();
      expect(pkg.peerDependenciesMeta[nodeOnly].optional).withContext(nodeOnly).toBeTrue();
    }
    expect(Object.keys(pkg.exports)).toEqual(jasmine.arrayContaining(['.', './server', './worker']));
  });

  describe('the built package', () => {
    beforeAll(() => {
      execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
    }, 120_000);

    it('has a .js and a .d.ts for every export', () => {
      for (const [name, target] of Object.entries(pkg.exports as Record<string, { types: string; default: string } | string>)) {
        if (typeof target === 'string') continue;
        expect(fs.existsSync(path.join(root, target.default))).withContext(`${name} -> ${target.default}`).toBeTrue();
        expect(fs.existsSync(path.join(root, target.types))).withContext(`${name} -> ${target.types}`).toBeTrue();
      }
      expect(fs.readFileSync(path.join(root, 'dist/server/cli.js'), 'utf8').startsWith('#!/usr/bin/env node')).toBeTrue();
    });

    it('loads as ESM through its own exports map in plain Node (no tsx)', () => {
      const script = `
        const client = await import('rx-sync-worker');
        const server = await import('rx-sync-worker/server');
        const worker = await import('rx-sync-worker/worker');
        console.log(JSON.stringify([typeof client.createSyncClient, typeof server.startSyncServer, typeof worker.startSyncHost]));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual(['function', 'function', 'function']);
    });

    it('maps the platform files to their browser twins for bundlers', () => {
      for (const [from, to] of Object.entries(pkg.browser as Record<string, string>)) {
        expect(fs.existsSync(path.join(root, from))).withContext(from).toBeTrue();
        expect(fs.existsSync(path.join(root, to))).withContext(to).toBeTrue();
      }
    });
  });
});
