/**
 * Network faults, seeded: each spec is one schedule (see support/network-schedule.ts) with its
 * own seed in its name. 3-5 in-process clients write random inserts / updates / deletes on shared
 * and disjoint rows while the proxy cuts connections (also mid-frame), delays, stalls one way,
 * and the server restarts on the same database file. After healing: every write reported
 * recorded is on the server exactly once, no LSN went backwards, every replica equals the
 * server, nothing failed. Short form: 50 schedules; `npm run test:faults` runs 1,000.
 * Replay one: `RSW_SEED=<seed> RSW_FAULTS_SCHEDULES=1`.
 */
import { runSchedule } from './support/network-schedule.js';
import { baseSeed, envCount, seedOf } from './support/rng.js';
import { Tally } from './support/tally.js';

describe('faults: network schedules through a fault proxy', () => {
  const base = baseSeed();
  const count = envCount('RSW_FAULTS_SCHEDULES', 50);
  const tally = new Tally('network schedules', base);

  beforeAll(() => console.log(`\n[faults] ${count} network schedules from seed ${base} (replay one: RSW_SEED=<seed> RSW_FAULTS_SCHEDULES=1)`));
  afterAll(() => tally.report());

  for (let i = 0; i < count; i++) {
    const seed = seedOf(base, i);
    it(`schedule with seed ${seed}: nothing lost, duplicated, divergent or failed; no LSN backwards`, async () => {
      const { verdict: v, faults } = await runSchedule(seed);
      tally.add({
        schedules: 1, changes: v.changes, faults,
        lost: v.lost.length, duplicated: v.duplicated.length, divergent: v.divergent.length, failed: v.failed.length, other: v.other.length,
      });
      const ctx = `seed ${seed} (replay: RSW_SEED=${seed} RSW_FAULTS_SCHEDULES=1)`;
      expect(v.changes).withContext(ctx).toBeGreaterThan(0);
      expect(v.lost).withContext(`${ctx}: lost`).toEqual([]);
      expect(v.duplicated).withContext(`${ctx}: duplicated`).toEqual([]);
      expect(v.divergent).withContext(`${ctx}: divergent`).toEqual([]);
      expect(v.failed).withContext(`${ctx}: failed without a rejection`).toEqual([]);
      expect(v.other).withContext(`${ctx}: LSN backwards / write not recorded / not settled`).toEqual([]);
    }, 60_000);
  }
});
