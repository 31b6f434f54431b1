/**
 * Drive a built consumer app in Debian's Chromium (playwright-core, no browser download) and
 * measure what it really loaded: the page's scripts (main-thread client), the worker's scripts
 * and its wasm, as gzip sizes of the served files.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROME_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  const exe = [process.env['CHROME_BIN'], '/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => p && fs.existsSync(p));
  if (!exe) throw new Error('no Chromium: set CHROME_BIN or apt-get install chromium');
  return chromium.launch({ executablePath: exe, headless: true, args: CHROME_ARGS });
}

/** Wait until the page's `#status` (or `selector`) reads `text`; on timeout say what it read and which error it showed. */
export async function waitForText(page: Page, selector: string, text: string, ms = 30_000): Promise<void> {
  try {
    await page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent?.trim() === t, [selector, text] as const, { timeout: ms });
  } catch (e) {
    const seen = await page.evaluate((s) => document.querySelector(s)?.textContent ?? '(none)', selector);
    const err = await page.evaluate(() => document.body.innerText.slice(0, 2000));
    throw new Error(`${selector} never read "${text}" (it reads "${seen}"); page: ${err}`, { cause: e });
  }
}

/** Gzip (-9) and raw sizes in KB of the files behind these URLs, looked up in `dir`. */
function sizeOf(urls: readonly string[], dir: string): { gzipKB: number; rawKB: number; files: string[] } {
  let gz = 0;
  let raw = 0;
  const files: string[] = [];
  for (const u of new Set(urls)) {
    const rel = decodeURIComponent(new URL(u).pathname).replace(/^\/+/, '');
    const file = path.join(dir, rel);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) continue;
    const buf = fs.readFileSync(file);
    gz += zlib.gzipSync(buf, { level: 9 }).length;
    raw += buf.length;
    files.push(rel);
  }
  const kb = (n: number) => Math.round(n / 102.4) / 10;
  return { gzipKB: kb(gz), rawKB: kb(raw), files };
}

/** What the page and its (first) worker loaded: JS of each realm and the wasm, measured from `dir`. */
export async function loadedSizes(page: Page, dir: string) {
  const pageUrls: string[] = await page.evaluate(() => [
    ...[...document.querySelectorAll('script[src]')].map((s) => (s as HTMLScriptElement).src),
    ...performance.getEntriesByType('resource').map((e) => e.name),
  ]);
  const worker = page.workers()[0];
  const workerUrls: string[] = worker ? [worker.url(), ...(await worker.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name)))] : [];
  const js = (u: string) => /\.m?js(\?|$)/.test(u);
  // rx-sync-worker/worker-entry's embedded wasm (base64 of "\0asm..." starts "AGFzbQ") is wasm, not worker code.
  const embedsWasm = (u: string) => {
    const file = path.join(dir, decodeURIComponent(new URL(u).pathname).replace(/^\/+/, ''));
    return fs.existsSync(file) && fs.readFileSync(file, 'latin1').includes('"AGFzbQ');
  };
  return {
    // The page also fetched the worker's script: that is the worker's, not the client's.
    client: sizeOf(pageUrls.filter((u) => js(u) && !workerUrls.includes(u)), dir),
    worker: sizeOf(workerUrls.filter((u) => js(u) && !embedsWasm(u)), dir),
    wasm: sizeOf(workerUrls.filter((u) => /\.wasm(\?|$)/.test(u) || (js(u) && embedsWasm(u))), dir),
  };
}
