/**
 * The demo that `npm start` runs, end to end: the page is built (webpack, development), served by
 * startDemo() next to the real sync server, and driven in Debian's headless Chromium with
 * playwright-core (no browser download). Two clients in one page sync a todo list, also after one
 * was offline; `node scripts/start.mjs` prints its URL and, on SIGINT, closes the SQLite file cleanly
 * and exits 0. A screenshot goes to screenshots/demo.png (git-ignored).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, startDemo, type Demo } from '../../demo/server/index.js';
import { buildDemo } from '../../demo/server/build.js';

const CHROME_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const WAIT = { timeout: 15_000 };

function chromePath(): string {
  const found = [process.env['CHROME_BIN'], '/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => p && existsSync(p));
  if (!found) throw new Error('no Chromium: set CHROME_BIN or apt-get install chromium');
  return found;
}

/** The page of `url`, failing the spec on any uncaught page error. */
async function openPage(browser: Browser, url: string, pageErrors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 860 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  return page;
}

const panel = (page: Page, side: 'left' | 'right') => page.locator(`[data-client="${side}"]`);
const field = (page: Page, side: 'left' | 'right', name: string) => panel(page, side).locator(`[data-field="${name}"]`);

/** Wait until a status field of one panel shows exactly `text`. */
async function fieldIs(page: Page, side: 'left' | 'right', name: string, text: string): Promise<void> {
  await page.waitForFunction(([s, n, t]) => document.querySelector(`[data-client="${s}"] [data-field="${n}"]`)?.textContent === t, [side, name, text] as const, WAIT);
}

async function addTodo(page: Page, side: 'left' | 'right', title: string): Promise<void> {
  await panel(page, side).locator('input[name="title"]').fill(title);
  await panel(page, side).locator('button[type="submit"]').click();
}

/** A todo with this title is listed on that side. */
const listed = (page: Page, side: 'left' | 'right', title: string) => panel(page, side).locator('.todos li .title', { hasText: title }).first().waitFor(WAIT);

describe('demo (npm start)', () => {
  let tmp: string;
  let outDir: string;
  let browser: Browser;
  let demo: Demo | null = null;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'rsw-demo-'));
    outDir = path.join(tmp, 'dist');
    // One development build for every spec here (and for the spawned start.mjs, which finds it up to date).
    await buildDemo({ root: REPO_ROOT, outDir, mode: 'development' });
    browser = await chromium.launch({ executablePath: chromePath(), headless: true, args: CHROME_ARGS });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  afterEach(async () => {
    await demo?.close();
    demo = null;
    expect(pageErrors.splice(0)).toEqual([]);
  });

  it('serves the built page with the right content types, /config.json, and nothing outside its folder', async () => {
    demo = await startDemo({ port: 0, dataFile: path.join(tmp, 'types.sqlite'), outDir, mode: 'development', logLevel: 'error' });
    expect(demo.built).toBe(false); // up to date: no second build
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const type = async (p: string) => (await fetch(new URL(p, demo!.url))).headers.get('content-type');
    expect(await type('/')).toBe('text/html; charset=utf-8');
    expect(await type('/demo.js')).toBe('text/javascript; charset=utf-8');
    expect(await type('/sql-wasm.wasm')).toBe('application/wasm');
    expect(await type('/style.css')).toBe('text/css; charset=utf-8');
    const config = (await (await fetch(new URL('/config.json', demo.url))).json()) as { syncUrl: string; serverId: string };
    expect(config).toEqual({ syncUrl: demo.syncUrl, serverId: demo.sync.serverId });
    for (const bad of ['/../package.json', '/%2e%2e/package.json', '/nope.js', '/%00']) {
      expect((await fetch(new URL(bad, demo.url))).status).withContext(bad).toBe(404);
    }
    expect((await fetch(demo.url, { method: 'POST' })).status).toBe(405);
  }, 30_000);

  it('two clients side by side: items added on the left appear on the right, also after being offline', async () => {
    demo = await startDemo({ port: 0, dataFile: path.join(tmp, 'page.sqlite'), outDir, mode: 'development', logLevel: 'error' });
    const page = await openPage(browser, demo.url, pageErrors);
    await Promise.all([fieldIs(page, 'left', 'connection', 'synced'), fieldIs(page, 'right', 'connection', 'synced')]);
    expect(await page.locator('[data-field="server"]').textContent()).toBe(demo.syncUrl);

    for (const title of ['buy milk', 'write the demo', 'call Bob']) await addTodo(page, 'left', title);
    for (const title of ['buy milk', 'write the demo', 'call Bob']) await listed(page, 'right', title);
    await listed(page, 'left', 'call Bob'); // and on its own side
    await fieldIs(page, 'right', 'count', '3 items, 0 done');
    await fieldIs(page, 'right', 'lsn', '3');

    // "+20": twenty changes in one transaction show up in the changes-per-second chart (per-second
    // bars of the last 30 s; the twenty may straddle two seconds).
    await panel(page, 'left').locator('[data-role="burst"]').click();
    await fieldIs(page, 'right', 'count', '23 items, 0 done');
    await page.waitForFunction(() => {
      const bars = [...document.querySelectorAll('[data-client="right"] [data-field="spark"] i')];
      return bars.reduce((sum, bar) => sum + parseInt((bar as HTMLElement).title, 10), 0) >= 20;
    }, undefined, WAIT);

    // Offline: the change stays pending on the left and does not reach the right ...
    await panel(page, 'left').locator('.switch').click();
    await fieldIs(page, 'left', 'connection', 'disconnected');
    await addTodo(page, 'left', 'written offline');
    await listed(page, 'left', 'written offline');
    await fieldIs(page, 'left', 'pending', '1');
    expect(await panel(page, 'right').locator('.todos li', { hasText: 'written offline' }).count()).toBe(0);
    mkdirSync(path.join(REPO_ROOT, 'screenshots'), { recursive: true });
    await page.screenshot({ path: path.join(REPO_ROOT, 'screenshots', 'demo-offline.png'), fullPage: true });

    // ... and arrives once the switch is back on.
    await panel(page, 'left').locator('.switch').click();
    await listed(page, 'right', 'written offline');
    await Promise.all([fieldIs(page, 'left', 'pending', '0'), fieldIs(page, 'left', 'connection', 'synced')]);
    await fieldIs(page, 'right', 'count', '24 items, 0 done');
    expect(await field(page, 'left', 'errors').textContent()).toBe('none');
    expect(demo.sync.lsn()).toBe(24);
    await page.screenshot({ path: path.join(REPO_ROOT, 'screenshots', 'demo.png'), fullPage: true });

    // A reload reopens both clients from IndexedDB at the same LSN.
    await page.reload();
    await Promise.all([fieldIs(page, 'left', 'connection', 'synced'), fieldIs(page, 'right', 'connection', 'synced')]);
    await Promise.all([fieldIs(page, 'left', 'count', '24 items, 0 done'), fieldIs(page, 'left', 'lsn', '24')]);
    await page.close();
  }, 45_000);

  it('two tabs of one browser: both columns keep working in both, and when the leader tab closes', async () => {
    demo = await startDemo({ port: 0, dataFile: path.join(tmp, 'tabs.sqlite'), outDir, mode: 'development', logLevel: 'error' });
    const context = await browser.newContext({ viewport: { width: 1200, height: 860 } });
    const open = async () => {
      const p = await context.newPage();
      p.on('pageerror', (e) => pageErrors.push(e.message));
      await p.goto(demo!.url);
      return p;
    };
    const first = await open();
    await Promise.all([fieldIs(first, 'left', 'role', 'leader'), fieldIs(first, 'right', 'role', 'leader')]);
    const second = await open();
    await Promise.all([fieldIs(second, 'left', 'role', 'follower'), fieldIs(second, 'right', 'role', 'follower')]);
    await Promise.all([fieldIs(second, 'left', 'connection', 'synced'), fieldIs(second, 'right', 'connection', 'synced')]);
    await addTodo(second, 'left', 'from the second tab');
    await addTodo(first, 'right', 'from the first tab');
    for (const p of [first, second]) {
      for (const side of ['left', 'right'] as const) {
        await listed(p, side, 'from the second tab');
        await listed(p, side, 'from the first tab');
      }
    }
    // The first tab goes: the second one's clients take over their engines and carry on.
    await first.close();
    await Promise.all([fieldIs(second, 'left', 'role', 'leader'), fieldIs(second, 'right', 'role', 'leader')]);
    await addTodo(second, 'left', 'after the first tab closed');
    await listed(second, 'right', 'after the first tab closed');
    await fieldIs(second, 'right', 'count', '3 items, 0 done');
    expect(await field(second, 'left', 'errors').textContent()).toBe('none');
    await context.close();
  }, 60_000);

  it('`node scripts/start.mjs` prints the URL; on SIGINT it closes the SQLite file cleanly and exits 0', async () => {
    const dataFile = path.join(tmp, 'cli', 'sync.sqlite');
    const child = spawn(process.execPath, ['scripts/start.mjs', '--port', '0', '--data', dataFile, '--out-dir', outDir, '--dev'], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /demo page:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`start.mjs exited ${code} before printing its URL:\n${out}\n${err}`)));
    });

    const page = await openPage(browser, url, pageErrors);
    await addTodo(page, 'left', 'kept across Ctrl-C');
    await listed(page, 'right', 'kept across Ctrl-C'); // the server has committed it
    await fieldIs(page, 'left', 'pending', '0');
    child.kill('SIGINT');
    expect(await exited).withContext(err).toBe(0);
    expect(out).toContain('stopped (SIGINT)');
    await page.close();

    const db = new Database(dataFile, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT title FROM todos').all()).toEqual([{ title: 'kept across Ctrl-C' }]);
    } finally {
      db.close();
    }
  }, 45_000);
});
