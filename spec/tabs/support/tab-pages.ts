/**
 * Pages of ONE Chromium browser context (so they share IndexedDB, Web Locks and BroadcastChannel:
 * they are tabs of one origin) on the tabs page, with what each write did reported to Node.
 */
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { chromiumPath } from '../../../bench/driver/chromium.js';
import type { TabsPage } from '../page/main.js';

/** What the tabs reported: every write attempted, resolved (with its round trip in ms) or failed. */
export interface WriteLog {
  readonly attempted: Set<string>;
  readonly resolved: Map<string, number>;
  readonly failed: Map<string, string>;
}

/** A browser with one context. */
export interface Tabs {
  readonly context: BrowserContext;
  readonly log: WriteLog;
  /** Open a tab on the page, wait for the page script. */
  open(): Promise<Page>;
  close(): Promise<void>;
}

/** Launch Chromium with one context for tabs. */
export async function launchTabs(pageUrl: string): Promise<Tabs> {
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
  const context = await browser.newContext();
  const log: WriteLog = { attempted: new Set(), resolved: new Map(), failed: new Map() };
  await context.exposeFunction('reportAttempt', (id: string) => void log.attempted.add(id));
  await context.exposeFunction('reportResolved', (id: string, ms: number) => void log.resolved.set(id, ms));
  await context.exposeFunction('reportFailed', (id: string, code: string) => void log.failed.set(id, code));
  return {
    context,
    log,
    open: async () => {
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error(`[tab error] ${e.message}`));
      await load(page, pageUrl);
      return page;
    },
    close: () => browser.close(),
  };
}

/** Go to (or reload) the page and wait for its script. */
export async function load(page: Page, url?: string): Promise<void> {
  if (url) await page.goto(url);
  else await page.reload();
  await page.waitForFunction(() => (globalThis as { tabsPageReady?: boolean }).tabsPageReady === true, undefined, { timeout: 30_000 });
}

/** Call the page's API. */
export function call<K extends keyof TabsPage>(page: Page, name: K, ...args: Parameters<TabsPage[K]>): Promise<Awaited<ReturnType<TabsPage[K]>>> {
  return page.evaluate(
    ([n, a]) => (globalThis as unknown as { tabsPage: Record<string, (...x: unknown[]) => unknown> }).tabsPage[n]!(...a),
    [name, args] as [string, unknown[]],
  ) as Promise<Awaited<ReturnType<TabsPage[K]>>>;
}

/** Wait until a page-side check holds. */
export async function until(page: Page, what: string, check: string, ms = 30_000): Promise<void> {
  try {
    await page.waitForFunction(check, undefined, { timeout: ms, polling: 50 });
  } catch (e) {
    throw new Error(`timed out waiting for ${what} (${check})`, { cause: e });
  }
}

/**
 * Freeze a page through CDP: its lifecycle state `frozen` (what Chromium does to background tabs)
 * AND its main thread's JavaScript paused (Debugger.pause). Measured here (headless Chromium 156):
 * `Page.setWebLifecycleState frozen` alone leaves a visible page's timers and message handlers
 * running, so the pause is what makes it the worst case: no timer, no message, no lock callback runs.
 * Its worker is another thread and keeps going (the store's owner epoch stops it).
 */
export async function freeze(cdp: CDPSession): Promise<void> {
  await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
  await cdp.send('Debugger.enable');
  await cdp.send('Debugger.pause');
}

/** Resume a page frozen by {@link freeze}. */
export async function resume(cdp: CDPSession): Promise<void> {
  await cdp.send('Debugger.resume');
  await cdp.send('Debugger.disable');
  await cdp.send('Page.setWebLifecycleState', { state: 'active' });
}
