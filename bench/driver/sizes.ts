/** Sizes and run counts of the full bench (`npm run bench`) and of the smoke run (`npm run bench:smoke`). */

/** Every knob of one bench mode. */
export interface Sizes {
  /** apply_server_batch: frames of `size` changes, `runs` runs of each side. */
  apply: { batches: number; size: number; runs: number };
  /** record_local_change: sequential inserts per run (after `warmup`). */
  record: { n: number; warmup: number; runs: number; idbN: number };
  /** bulk_record: changes per run. */
  bulk: { n: number; runs: number };
  /** end_to_end_latency: steady `rate` changes/s for `seconds`. */
  e2e: { rate: number; seconds: number; warmupSeconds: number; runs: number };
  /** catch_up: changes made while offline. */
  catchUp: { n: number; runs: number };
  /** resent_after_kill: changes recorded around the kill. */
  kill: { n: number; runs: number };
  /** server_throughput. */
  throughput: { clients: number; writers: number; total: number; frameSize: number; window: number; runs: number };
  /** memory: rows of history / pending. */
  memory: { n: number };
  /** first_sync: live rows, updates of them in the log before, runs of each side. */
  firstSync: { rows: number; updates: number; runs: number };
  /** tabs_follower_insert: sequential inserts per tab per run; tabs_failover: failovers. */
  tabs: { n: number; warmup: number; runs: number; failovers: number };
  /** server_throughput.access (the throughput sizes, in 10 scopes) and scope_backfill (`rows` per backfill, `backfills` per run). */
  access: { runs: number; rows: number; backfills: number };
}

/** `npm run bench`: the sizes of the issue, under 10 minutes on 2 cores. */
export const FULL: Sizes = {
  // At least 5 alternating runs of each library/baseline pair, so the spread tells noise from change.
  apply: { batches: 100, size: 1000, runs: 5 },
  record: { n: 2000, warmup: 200, runs: 5, idbN: 1000 },
  bulk: { n: 10_000, runs: 5 },
  e2e: { rate: 1000, seconds: 5, warmupSeconds: 1, runs: 5 },
  catchUp: { n: 100_000, runs: 5 },
  kill: { n: 5000, runs: 3 },
  throughput: { clients: 50, writers: 5, total: 100_000, frameSize: 500, window: 2, runs: 5 },
  memory: { n: 100_000 },
  firstSync: { rows: 10_000, updates: 200_000, runs: 5 },
  tabs: { n: 300, warmup: 30, runs: 5, failovers: 7 },
  access: { runs: 5, rows: 1000, backfills: 10 },
};

/** `npm run bench:smoke`: every metric at a tiny size (well under a minute). */
export const SMOKE: Sizes = {
  apply: { batches: 3, size: 1000, runs: 1 },
  record: { n: 100, warmup: 20, runs: 1, idbN: 50 },
  bulk: { n: 500, runs: 1 },
  e2e: { rate: 200, seconds: 1, warmupSeconds: 0.2, runs: 1 },
  catchUp: { n: 2000, runs: 1 },
  kill: { n: 400, runs: 1 },
  throughput: { clients: 10, writers: 2, total: 4000, frameSize: 500, window: 2, runs: 1 },
  memory: { n: 2000 },
  firstSync: { rows: 500, updates: 2000, runs: 1 },
  tabs: { n: 20, warmup: 5, runs: 1, failovers: 1 },
  access: { runs: 1, rows: 100, backfills: 2 },
};
