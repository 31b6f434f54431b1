/**
 * Many tabs, one database (issue 13): real pages of ONE Chromium context on the tabs page
 * (spec/tabs/page/main.ts) and the real sync server.
 *
 *   tabs_follower_insert   a follower tab's sequential insert() round trips (call -> resolved, i.e.
 *                          durable at the leader) vs the leader tab's own, same run, same database
 *   tabs_failover          the leader tab closed -> the follower leads with its engine `synced`
 *                          vs a client opened on its own (tabs: false) until `synced` (a cold start)
 */
import type { Page } from 'playwright-core';
import { call, launchTabs, until, type Tabs } from '../../spec/tabs/support/tab-pages.js';
import { startTabsSite, type TabsSite } from '../../spec/tabs/support/tabs-site.js';
import { latencyMetric } from './metrics.js';
import type { Metric } from './report.js';
import type { Sizes } from './sizes.js';
import { median } from '../shared/stats.js';
import { spreadOf } from './spread.js';

const STEAL_AFTER = 5000;

/** Both tabs metrics. */
export async function tabsMetrics(sizes: Sizes['tabs'], log: (line: string) => void): Promise<Metric[]> {
  const site = await startTabsSite();
  const tabs = await launchTabs(site.pageUrl);
  try {
    const leaderRuns: number[][] = [];
    const followerRuns: number[][] = [];
    for (let run = 0; run < sizes.runs; run++) {
      const { leader, follower } = await pair(site, tabs, `bench-tabs-rt-${run}-${Date.now().toString(36)}`);
      await timedBurst(tabs, leader, `w${run}l`, sizes.warmup);
      await timedBurst(tabs, follower, `w${run}f`, sizes.warmup);
      leaderRuns.push(await timedBurst(tabs, leader, `r${run}l`, sizes.n));
      followerRuns.push(await timedBurst(tabs, follower, `r${run}f`, sizes.n));
      await Promise.all([leader.close(), follower.close()]);
    }
    const failover: number[] = [];
    const cold: number[] = [];
    for (let run = 0; run < sizes.failovers; run++) {
      const db = `bench-tabs-fo-${run}-${Date.now().toString(36)}`;
      const { leader, follower } = await pair(site, tabs, db);
      await timedBurst(tabs, follower, `fo${run}`, 10);
      await until(follower, 'follower sees synced', "tabsPage.connection() === 'synced'");
      const closedAt = Date.now();
      await leader.close();
      await until(follower, 'the follower leads, synced', 'tabsPage.times().leaderSyncedAt !== null', 60_000);
      failover.push((await call(follower, 'times')).leaderSyncedAt! - closedAt);
      const solo = await tabs.open();
      await call(solo, 'open', site.syncUrl, `${db}-solo`, STEAL_AFTER, false);
      await until(solo, 'a client on its own synced', 'tabsPage.times().syncedAt !== null', 60_000);
      const t = await call(solo, 'times');
      cold.push(t.syncedAt! - t.openedAt);
      await Promise.all([follower.close(), solo.close()]);
    }
    log(`  failover runs (ms): ${failover.join(', ')}; cold starts (ms): ${cold.join(', ')}`);
    const fo = median(failover);
    const base = median(cold);
    return [
      latencyMetric('tabs_follower_insert', followerRuns, 'leader tab insert() round trip, same run', leaderRuns, {
        text: 'follower p50 <= 2x leader p50',
        met: (p50) => p50 <= 2 * median(leaderRuns.map((r) => median(r))),
      }),
      {
        name: 'tabs_failover', unit: 'ms', value: fo, p50: fo, p99: Math.max(...failover),
        baseline_name: 'a client on its own: open -> synced (cold start)', baseline_value: base, ratio: fo / base,
        spread: spreadOf(failover, cold), target: 'p50 <= 1000 ms', target_met: fo <= 1000,
        detail: `${failover.length} failovers (leader page closed -> follower leads with synced status); p99 = the slowest; runs: ${failover.join(', ')} ms`,
      },
    ];
  } finally {
    await tabs.close();
    await site.close();
  }
}

/** A leader and a follower tab on one new database. */
async function pair(site: TabsSite, tabs: Tabs, db: string): Promise<{ leader: Page; follower: Page }> {
  const leader = await tabs.open();
  await call(leader, 'open', site.syncUrl, db, STEAL_AFTER);
  await until(leader, 'the first tab leads', "tabsPage.role() === 'leader'");
  const follower = await tabs.open();
  await call(follower, 'open', site.syncUrl, db, STEAL_AFTER);
  await until(follower, 'the second tab follows', "tabsPage.role() === 'follower'");
  return { leader, follower };
}

/** `n` sequential inserts in one tab; their round trips (ms, measured in the page). */
async function timedBurst(tabs: Tabs, page: Page, tag: string, n: number): Promise<number[]> {
  const prefix = `${tag}-${Date.now().toString(36)}`;
  await call(page, 'burst', prefix, n);
  await until(page, 'the burst is done', '!tabsPage.busy()', 120_000);
  const out: number[] = [];
  for (const [id, ms] of tabs.log.resolved) if (id.startsWith(`${prefix}-`)) out.push(ms);
  if (out.length !== n) throw new Error(`${n - out.length} of ${n} inserts did not resolve`);
  return out;
}
