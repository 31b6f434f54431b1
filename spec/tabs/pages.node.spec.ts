/**
 * Many tabs, one database, with real pages (issue 13, point 4): Chromium through playwright-core,
 * several pages in ONE browser context (shared IndexedDB, Web Locks, BroadcastChannel), the real
 * sync server. Seeded (RSW_SEED); `npm run test:faults` runs more seeds (RSW_TABS_RUNS).
 * At the end a fresh tab and the server hold every write any tab saw resolve, each once, and
 * nothing that was never attempted; every tab's live query shows the other tabs' writes.
 */
import { DEFAULT_SEED } from '../faults/support/rng.js';
import { runTabsScenario } from './support/scenario.js';
import { launchTabs, type Tabs } from './support/tab-pages.js';
import { startTabsSite, type TabsSite } from './support/tabs-site.js';

const env = typeof process !== 'undefined' ? process.env : {};
const BASE_SEED = Number(env['RSW_SEED'] ?? DEFAULT_SEED);
const RUNS = Number(env['RSW_TABS_RUNS'] ?? 1);

describe('tabs: real pages of one browser context (Chromium, real server)', () => {
  let site: TabsSite;
  let tabs: Tabs;
  beforeAll(async () => {
    site = await startTabsSite();
    tabs = await launchTabs(site.pageUrl);
  }, 180_000);
  afterAll(async () => {
    await tabs?.close();
    await site?.close();
  });

  for (let run = 0; run < RUNS; run++) {
    const seed = BASE_SEED + run;
    it(`seed ${seed}: concurrent writes, offline, leader closed, follower reloaded, leader frozen: every resolved write once`, async () => {
      const r = await runTabsScenario(seed, site, tabs);
      console.log(`[tabs] seed ${seed}: ${r.attempted.length} writes attempted, ${r.resolved.length} resolved, ${r.freshRows.length} rows in a fresh tab`);
      expect(r.failed).toEqual([]);
      expect(r.resolved.length).toBeGreaterThan(20);
      // Every resolved write is there; anything else there was at least attempted (cut off with its tab).
      expect(r.resolved.filter((id) => !r.freshRows.includes(id))).toEqual([]);
      expect(r.freshRows.filter((id) => !r.attempted.includes(id))).toEqual([]);
      expect(r.localDuplicates).toEqual([]);
      expect([...r.serverCounts.keys()].sort()).toEqual(r.freshRows);
      expect([...r.serverCounts.values()].filter((n) => n !== 1)).toEqual([]);
      for (const rows of r.live) expect(rows).toEqual(r.freshRows);
    }, 240_000);
  }
});
