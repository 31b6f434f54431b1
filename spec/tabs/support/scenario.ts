/**
 * One seeded run of the tabs fault scenario (issue 13, point 4) on real pages of one context:
 * three tabs write concurrently, the engine is switched offline for a while by a follower, the
 * leader is closed mid-stream, a follower is reloaded mid-stream, the leader is frozen through CDP
 * mid-stream (a follower steals the lock) and resumed; then a fresh tab and the server are read.
 */
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { Rng } from '../../faults/support/rng.js';
import { call, freeze, load, resume, until, type Tabs } from './tab-pages.js';
import type { TabsSite } from './tabs-site.js';

/** What one run found. */
export interface ScenarioResult {
  readonly db: string;
  /** Writes some tab saw resolve. */
  readonly resolved: string[];
  /** Writes attempted (resolved, failed, or cut off with their tab). */
  readonly attempted: string[];
  readonly failed: [string, string][];
  /** Rows the fresh tab holds. */
  readonly freshRows: string[];
  /** local_changes rows per entity in the fresh tab's database that are there more than once. */
  readonly localDuplicates: unknown[];
  /** Change-log rows per entity on the server. */
  readonly serverCounts: Map<string, number>;
  /** Each still open tab's live query when it caught up (or what it showed last). */
  readonly live: string[][];
}

const STEAL_AFTER = 1500;

/** Run the scenario once. */
export async function runTabsScenario(seed: number, site: TabsSite, tabs: Tabs): Promise<ScenarioResult> {
  const rng = new Rng(seed);
  const db = `tabs-${seed}-${Date.now().toString(36)}`;
  const mine = (ids: Iterable<string>) => [...ids].filter((id) => id.startsWith(`${db}-`)).sort();
  const resolvedCount = () => mine(tabs.log.resolved.keys()).length;
  let bursts = 0;
  const burst = (p: Page) => call(p, 'burst', `${db}-${++bursts}`, rng.between(6, 16));
  const more = async (n: number, ms = 30_000) => {
    const target = resolvedCount() + n;
    const t0 = performance.now();
    while (resolvedCount() < target) {
      if (performance.now() - t0 > ms) throw new Error(`seed ${seed}: ${n} more writes did not resolve in ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const open = async (p: Page) => call(p, 'open', site.syncUrl, db, STEAL_AFTER);
  const role = (p: Page) => call(p, 'role');

  const pages: Page[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await tabs.open();
    await open(p);
    pages.push(p);
  }
  const [a, b, c] = pages as [Page, Page, Page];
  await until(a, 'tab A leads', "tabsPage.role() === 'leader'");
  for (const p of [b, c]) await until(p, 'a follower', "tabsPage.role() === 'follower'");

  // 1. Three tabs write at once; a follower takes the one engine offline for a while.
  await Promise.all([burst(a), burst(b), burst(c)]);
  const switcher = rng.chance(0.5) ? b : c;
  await call(switcher, 'disconnect');
  await more(rng.between(3, 8));
  await call(switcher, 'connect');

  // 2. The leader is closed mid-stream.
  await Promise.all([burst(b), burst(c)]);
  await more(rng.between(1, 4));
  await a.close();
  await until(b, 'a new leader', "['leader', 'follower'].includes(tabsPage.role())");
  const leaderOf = async (x: Page, y: Page): Promise<[Page, Page]> => {
    for (let i = 0; i < 600; i++) {
      const [rx, ry] = await Promise.all([role(x), role(y)]);
      if (rx === 'leader' && ry === 'follower') return [x, y];
      if (ry === 'leader' && rx === 'follower') return [y, x];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`seed ${seed}: no single leader among the two tabs`);
  };
  let [leader, follower] = await leaderOf(b, c);

  // 3. A follower is reloaded mid-stream, and writes again.
  await Promise.all([burst(follower), burst(leader)]);
  await more(rng.between(1, 4));
  await load(follower);
  await open(follower);
  await burst(follower);

  // 4. The leader is frozen mid-stream: the follower steals the lock; then the old leader resumes.
  await burst(leader);
  await more(rng.between(1, 3));
  const cdp = await tabs.context.newCDPSession(leader);
  await freeze(cdp);
  await until(follower, 'the follower takes over from the frozen leader', "tabsPage.role() === 'leader'", 30_000);
  await more(1);
  await resume(cdp);
  await until(leader, 'the old leader follows', "tabsPage.role() === 'follower'");
  [leader, follower] = [follower, leader];
  await burst(follower);

  // Everything settles: every burst done, the engine synced with nothing pending.
  for (const p of [leader, follower]) await until(p, 'bursts done', '!tabsPage.busy()', 60_000);
  await until(leader, 'synced, nothing pending', "tabsPage.connection() === 'synced' && tabsPage.pending() === 0", 60_000);

  // A fresh tab, and the server.
  const fresh = await tabs.open();
  await open(fresh);
  const freshRows = ((await call(fresh, 'query', `SELECT id FROM todos WHERE id LIKE '${db}-%' ORDER BY id`)) as { id: string }[]).map((r) => r.id);
  const localDuplicates = await call(fresh, 'query', `SELECT entity_id, count(*) AS n FROM local_changes WHERE origin = 'local' AND entity_id LIKE '${db}-%' GROUP BY entity_id HAVING n > 1`);
  const server = new Database(site.dbFile, { readonly: true, fileMustExist: true });
  const serverCounts = new Map<string, number>();
  try {
    for (const r of server.prepare('SELECT entity_id, count(*) AS n FROM change_log WHERE entity_id LIKE ? GROUP BY entity_id').all(`${db}-%`) as { entity_id: string; n: number }[]) {
      serverCounts.set(r.entity_id, r.n);
    }
  } finally {
    server.close();
  }
  const live: string[][] = [];
  for (const p of [leader, follower, fresh]) {
    await until(p, 'the live query shows every row', `tabsPage.liveIds().length === ${freshRows.length}`).catch(() => undefined);
    live.push(await call(p, 'liveIds'));
  }
  for (const p of [leader, follower, fresh]) await p.close();
  return {
    db,
    resolved: mine(tabs.log.resolved.keys()),
    attempted: mine(tabs.log.attempted),
    failed: [...tabs.log.failed].filter(([id]) => id.startsWith(`${db}-`)),
    freshRows,
    localDuplicates,
    serverCounts,
    live,
  };
}
