/**
 * Applying a `scope_patch` (access rules: rows the replica gained or lost with a scope) in the
 * downstream pipeline: on arrival (the server sent it right after the frames it follows), in one
 * store transaction, without moving the LSN; a failed apply was rolled back and is tried again
 * with backoff (every failure on errors$) until it commits. Live queries of the touched tables
 * refresh after it.
 */
import { defer, EMPTY, expand, map, Observable, of, timer } from 'rxjs';
import { ErrorCodes, SyncError } from '../errors.js';
import type { ApplyDeps } from './apply-retry.js';
import { backoffDelay } from './backoff.js';
import type { EngineEvent } from './events.js';
import type { ApplyResult, ScopePatchBatch } from './ports.js';

type Try = { ok: true; result: ApplyResult } | { ok: false; error: SyncError; attempt: number };

/** Apply `patch`; emits the events of each try (errors, then `processed` once it committed). */
export function applyPatchWithRetry(deps: ApplyDeps, patch: ScopePatchBatch, lsn: number): Observable<EngineEvent[]> {
  const tryApply = (attempt: number): Try => {
    try {
      return { ok: true, result: deps.store.applyScopePatch(patch, deps.scheduler.now()) };
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      const msg = `applying a scope patch of ${patch.changes.length} rows failed (attempt ${attempt}), rolled back: ${why}`;
      return { ok: false, error: new SyncError(ErrorCodes.APPLY_FAILED, msg, { lsn, attempt, cause }), attempt };
    }
  };
  return defer(() => of(tryApply(1))).pipe(
    expand((t) => (t.ok ? EMPTY : timer(backoffDelay(t.attempt, deps.config.backoff, deps.random), deps.scheduler).pipe(map(() => tryApply(t.attempt + 1))))),
    map((t): EngineEvent[] => {
      if (!t.ok) return [{ type: 'error', error: t.error }];
      if (t.result.entities.length === 0) return [];
      return [{ type: 'processed', message: { type: 'changes_processed', origin: 'server', change_ids: [], entities: t.result.entities, lsn } }];
    }),
  );
}
