/**
 * Zero-config bundling (issue 11): tiny webpack 5 and Vite 7 apps, built from the `npm pack`
 * tarball (not the source tree) with NO bundler configuration, reach `synced` against the real
 * sync server in Debian's Chromium with the real worker, sql.js wasm and WebSocket. Each prints the
 * gzip sizes of what it loaded (main-thread client, worker JS, wasm). The Vite app also runs under
 * Vite's dev server (`vite`, no config), which pre-bundles dependencies and serves the library's
 * worker unbundled.
 */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startSyncServer, type SyncServer } from '../../server/index.js';
import { serveStatic, type StaticServer } from '../../bench/driver/serve.js';
import { cachedInstall, copyFixture, installTarball, packTarball, removeRun, ROOT, stripAnsi } from './support/workspace.js';
import { launchChromium, loadedSizes, waitForText } from './support/browser.js';

const FIXTURES = path.join(ROOT, 'spec', 'consumers', 'fixtures');
const SCHEMA = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT' } } };

describe('consumer apps built from the npm pack tarball, no bundler config', () => {
  let install: string;
  let run: string;
  let server: SyncServer;
  let browser: Browser;
  const statics: StaticServer[] = [];

  beforeAll(async () => {
    install = cachedInstall('shared', path.join(FIXTURES, 'shared'));
    run = installTarball(install, packTarball());
    server = await startSyncServer({ host: '127.0.0.1', port: 0, schema: SCHEMA, db: ':memory:' });
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(statics.map((s) => s.close()));
    await server?.close();
    removeRun(run);
  });

  /** Open the app at `url` (with ?server=), wait for `synced`, print and return its sizes. */
  async function reachesSynced(label: string, url: string, dir: string) {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${url}?server=${encodeURIComponent(server.url)}`);
    await waitForText(page, '#status', 'synced');
    const sizes = await loadedSizes(page, dir);
    console.log(`\n[sizes] ${label}: ${JSON.stringify({ client: sizes.client.gzipKB, worker: sizes.worker.gzipKB, wasm: sizes.wasm.gzipKB })} KB gzip ${JSON.stringify(sizes)}`);
    await page.close();
    expect(problems).toEqual([]);
    return sizes;
  }

  it('webpack 5 (`webpack --mode production`, no config) reaches synced', async () => {
    const app = copyFixture(path.join(FIXTURES, 'webpack'), run, 'webpack');
    execFileSync(process.execPath, [path.join(install, 'node_modules', 'webpack-cli', 'bin', 'cli.js'), '--mode', 'production'], { cwd: app, stdio: 'pipe' });
    const site = await serveStatic(app);
    statics.push(site);
    const sizes = await reachesSynced('webpack 5', `${site.url}index.html`, app);
    expect(sizes.worker.files.length).toBeGreaterThan(0);
    expect(sizes.wasm.files.length).toBe(1);
  }, 300_000);

  it('Vite 7 (`vite build`, no config) reaches synced', async () => {
    const app = copyFixture(path.join(FIXTURES, 'vite'), run, 'vite');
    execFileSync(process.execPath, [path.join(install, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error'], { cwd: app, stdio: 'pipe' });
    const dist = path.join(app, 'dist');
    const site = await serveStatic(dist);
    statics.push(site);
    const sizes = await reachesSynced('Vite 7 build', `${site.url}index.html`, dist);
    expect(sizes.worker.files.length).toBeGreaterThan(0);
    expect(sizes.wasm.files.length).toBe(1);
  }, 300_000);

  it('Vite 7 dev server (`vite`, no config, no optimizeDeps entries) reaches synced', async () => {
    const app = copyFixture(path.join(FIXTURES, 'vite'), run, 'vite-dev');
    const vite = spawn(process.execPath, [path.join(install, 'node_modules', 'vite', 'bin', 'vite.js'), '--host', '127.0.0.1', '--port', '0', '--force'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        const onData = (d: Buffer) => {
          out += d.toString();
          const m = /Local:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stripAnsi(out));
          if (m) ok(m[1]!);
        };
        vite.stdout.on('data', onData);
        vite.stderr.on('data', onData);
        vite.once('exit', (code) => fail(new Error(`vite exited ${code}: ${out}`)));
      });
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${url}index.html?server=${encodeURIComponent(server.url)}`);
      await waitForText(page, '#status', 'synced', 60_000);
      expect(await page.textContent('#error')).toBe('');
      await page.close();
      expect(problems).toEqual([]);
    } finally {
      vite.kill('SIGTERM');
    }
  }, 300_000);
});
