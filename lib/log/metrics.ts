/**
 * Metrics counters of the sync engine: plain, immutable snapshots (they cross the worker
 * boundary and go into benchmark results as they are).
 */

/** Counters since the engine started. */
export interface EngineMetrics {
  /** Local changes recorded by the API. */
  changesRecorded: number;
  /** Local changes sent (re-sends included). */
  changesSent: number;
  /** `client_change` frames sent. */
  framesSent: number;
  /** Local changes acknowledged by the server (`applied` / `duplicate`). */
  changesAcked: number;
  /** Counted failed attempts (ack timeouts, transient server errors). */
  attempts: number;
  /** Local changes failed for good (rejected or out of attempts). */
  changesFailed: number;
  /** Server changes applied to entity tables. */
  changesApplied: number;
  /** Server batches committed. */
  batchesApplied: number;
  /** Server batches skipped as already applied. */
  batchesSkipped: number;
  /** Total time spent in batch transactions, ms. */
  applyTimeMs: number;
  /** Errors reported on errors$. */
  errors: number;
  /** Server changes put in quarantine (they could not be applied). */
  changesQuarantined: number;
  /** Rows fetched again from the server (`fetch_rows`: quarantined or discarded changes). */
  rowsFetched: number;
  /** Times the replica was reset because the server's log changed identity (`server_changed`). */
  serverResets: number;
}

/** All counters at zero. */
export function emptyMetrics(): EngineMetrics {
  return {
    changesRecorded: 0, changesSent: 0, framesSent: 0, changesAcked: 0, attempts: 0, changesFailed: 0,
    changesApplied: 0, batchesApplied: 0, batchesSkipped: 0, applyTimeMs: 0, errors: 0,
    changesQuarantined: 0, rowsFetched: 0, serverResets: 0,
  };
}

/** A new snapshot with `delta` added to the counters (the input is not changed). */
export function addMetrics(m: EngineMetrics, delta: Partial<EngineMetrics>): EngineMetrics {
  const out = { ...m };
  for (const [k, v] of Object.entries(delta) as [keyof EngineMetrics, number][]) out[k] += v;
  return out;
}
