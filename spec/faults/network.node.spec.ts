/**
 * Network faults, seeded: each spec is one schedule (see support/network-schedule.ts) with its
 * own seed in its name. 3-5 in-process clients write random inserts / updates / deletes on shared
 * and disjoint rows while the proxy cuts connections (also mid-frame), delays, stalls one way,
 * the server restarts on the same database file, refuses changes for a while, or has one of its
 * changes poisoned in flight. In a fixed third of the schedules (seed % 3 === 0) a client's
 * journal write fails (the change is kept); in a fixed quarter (seed % 4 === 2) the server's
 * database is recreated (`server_changed`). After healing: every write reported recorded (or
 * kept) is on the server exactly once, no LSN went backwards, every replica equals the server,
 * nothing failed. After a recreation, precisely (support/recreation.ts): every write pending at
 * a client when it was recreated, and every write made after, is on the NEW server exactly once
 * and in its client's history; what the OLD server had acknowledged is either gone with it (not
 * on the new server, not in the history) or, when the client met the new log behind its own LSN
 * (`client_ahead`), above that LSN sent again and on the new server exactly once; every client
 * that followed the old server reported `server_changed` once and converged to the new server's
 * rows and server_id.
 * Short form: 50 schedules; `npm run test:faults` runs 1,000.
 * Replay one: `RSW_SEED=<seed> RSW_FAULTS_SCHEDULES=1`.
 */
import { journalFaults, recreatesServer, runSchedule } from './support/network-schedule.js';
import { baseSeed, envCount, seedOf } from './support/rng.js';
import { Tally } from './support/tally.js';

describe('faults: network schedules through a fault proxy', () => {
  const base = baseSeed();
  const count = envCount('RSW_FAULTS_SCHEDULES', 50);
  const tally = new Tally('network schedules', base);
  // Issue 14's store faults: what they did, beyond the fault counts.
  const store = { journalSchedules: 0, kept: 0, recreatedSchedules: 0, gone: 0, revived: 0, resent: 0 };

  beforeAll(() => console.log(`\n[faults] ${count} network schedules from seed ${base} (replay one: RSW_SEED=<seed> RSW_FAULTS_SCHEDULES=1)`));
  afterAll(() => {
    tally.report();
    console.log(
      `[faults] network schedules, store faults: ${store.journalSchedules} schedules failed journal writes (${store.kept} writes answered "kept"); ` +
        `${store.recreatedSchedules} recreated the server's database (acknowledged changes: ${store.gone} gone with the old one, ${store.revived} sent again after client_ahead; ${store.resent} pending ones sent to the new one)`,
    );
  });

  for (let i = 0; i < count; i++) {
    const seed = seedOf(base, i);
    const also = [journalFaults(seed) && 'a failed journal write kept', recreatesServer(seed) && 'after the recreated server database: pending then or written after on the new one exactly once, acknowledged by the old one gone or (client_ahead) sent again once'].filter(Boolean);
    it(`schedule with seed ${seed}: nothing lost, duplicated, divergent or failed; no LSN backwards${also.length ? `; ${also.join('; ')}` : ''}`, async () => {
      const { verdict: v, faults, kept } = await runSchedule(seed);
      tally.add({
        schedules: 1, changes: v.changes, faults,
        lost: v.lost.length, duplicated: v.duplicated.length, divergent: v.divergent.length, failed: v.failed.length, other: v.other.length,
      });
      if (journalFaults(seed)) store.journalSchedules++;
      store.kept += kept;
      if (v.recreation) {
        store.recreatedSchedules++;
        store.gone += v.recreation.gone;
        store.revived += v.recreation.revived;
        store.resent += v.recreation.resent;
      }
      const ctx = `seed ${seed} (replay: RSW_SEED=${seed} RSW_FAULTS_SCHEDULES=1)`;
      expect(v.changes).withContext(ctx).toBeGreaterThan(0);
      if (journalFaults(seed)) expect(faults.journal_fail).withContext(`${ctx}: journal writes failed`).toBeGreaterThan(0);
      if (recreatesServer(seed)) expect(faults.server_changed).withContext(`${ctx}: server databases recreated`).toBe(1);
      expect(v.lost).withContext(`${ctx}: lost`).toEqual([]);
      expect(v.duplicated).withContext(`${ctx}: duplicated`).toEqual([]);
      expect(v.divergent).withContext(`${ctx}: divergent`).toEqual([]);
      expect(v.failed).withContext(`${ctx}: failed without a rejection`).toEqual([]);
      expect(v.other).withContext(`${ctx}: LSN backwards / write not recorded / not settled / server_changed not reported once`).toEqual([]);
    }, 60_000);
  }
});
