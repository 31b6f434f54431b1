/**
 * Applying one server batch with bounded retries. A failed apply was rolled back by the store;
 * a retryable failure is tried again after a backoff delay, at most `maxApplyAttempts` times in
 * all (every failure on errors$). Then, or at once for an error that can never pass (a change
 * that does not fit the schema), the batch is applied change by change and what still fails is
 * QUARANTINED (store table `quarantined_changes`): the LSN moves on, nothing waits forever
 * behind one change. Only when even that fails (the database itself is broken) does it keep
 * retrying with backoff.
 */
import { defer, EMPTY, expand, map, Observable, of, timer, type SchedulerLike } from 'rxjs';
import { ErrorCodes, SyncError } from '../errors.js';
import { backoffDelay } from './backoff.js';
import type { EngineConfig } from './config.js';
import type { OrderedBatch } from './lsn-ordering.js';
import type { EngineStore, QuarantineOutcome } from './ports.js';
import type { RandomSource } from './random.js';

/** What applying needs (a subset of the downstream deps). */
export interface ApplyDeps {
  store: EngineStore;
  scheduler: SchedulerLike;
  random: RandomSource;
  config: Pick<EngineConfig, 'backoff' | 'maxApplyAttempts'>;
  /** Clock for measuring apply time, in ms (default `scheduler.now()`). */
  clock?: () => number;
}

/** One try: committed (whole, or with some changes quarantined), or failed. */
export type ApplyOutcome =
  | { ok: true; result: QuarantineOutcome; ms: number }
  | { ok: false; error: SyncError; attempt: number };

/** Try to apply `batch`; emits each failed try, and completes after the one that committed. */
export function applyWithRetry(deps: ApplyDeps, batch: OrderedBatch): Observable<ApplyOutcome> {
  const clock = deps.clock ?? (() => deps.scheduler.now());
  const max = deps.config.maxApplyAttempts;
  const tryApply = (attempt: number): ApplyOutcome => {
    const started = clock();
    const quarantine = attempt > max;
    try {
      const result = quarantine
        ? deps.store.applyServerBatchQuarantining(batch, deps.scheduler.now())
        : { ...deps.store.applyServerBatch(batch, deps.scheduler.now()), quarantined: [] };
      return { ok: true, result, ms: clock() - started };
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      const what = quarantine ? 'applying it change by change (quarantine) failed too' : 'rolled back';
      const msg = `applying server batch (${batch.prev_lsn}, ${batch.lsn}] failed (attempt ${attempt}), ${what}: ${why}`;
      // A change that can never fit goes straight to quarantine: retrying it would only wait.
      const never = cause instanceof SyncError && cause.code === ErrorCodes.SCHEMA;
      const next = !quarantine && never ? max : attempt;
      return { ok: false, error: new SyncError(ErrorCodes.APPLY_FAILED, msg, { lsn: batch.lsn, attempt, cause }), attempt: next };
    }
  };
  return defer(() => of(tryApply(1))).pipe(
    expand((o) => {
      if (o.ok) return EMPTY;
      // The quarantine pass runs at once after the last counted try; only a broken database waits again.
      const delay = o.attempt === max ? 0 : backoffDelay(Math.min(o.attempt, max), deps.config.backoff, deps.random);
      return timer(delay, deps.scheduler).pipe(map(() => tryApply(o.attempt + 1)));
    }),
  );
}

/** The quarantine errors of a committed apply (one per quarantined change). */
export function quarantineErrors(result: QuarantineOutcome): SyncError[] {
  return result.quarantined.map(
    (q) =>
      new SyncError(ErrorCodes.QUARANTINED, `server change ${q.change_id} (lsn ${q.lsn}) on ${q.entity} ${q.entity_id} cannot be applied: quarantined, its row is fetched again: ${q.error}`, {
        change_id: q.change_id,
        lsn: q.lsn,
        entity: q.entity,
      }),
  );
}
