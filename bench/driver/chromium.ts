/**
 * Launch Debian's Chromium through playwright-core (no browser download) with the flags this
 * machine needs, and open the bench page.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The Chromium binary: $CHROME_BIN, else Debian's. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROME_BIN, '/usr/lib/chromium/chromium', '/usr/bin/chromium'].filter((p): p is string => !!p);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`no Chromium found (tried ${candidates.join(', ')}); apt-get install -y chromium or set CHROME_BIN`);
  return found;
}

/** A browser with one page open on `url`. */
export interface BenchBrowser {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** Launch headless Chromium and open `url`; page errors and console errors are echoed to stderr. */
export async function openBenchPage(url: string): Promise<BenchBrowser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      // Background tabs and timers must not be throttled while the bench runs.
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
      // measureUserAgentSpecificMemory() measures at once instead of waiting for the next GC.
      '--enable-blink-features=ForceEagerMeasureMemory',
      '--js-flags=--expose-gc',
    ],
  });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.error(`[page ${m.type()}] ${m.text()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as { benchReady?: boolean }).benchReady === true, undefined, { timeout: 30_000 });
  return { browser, page, close: () => browser.close() };
}
