/**
 * The one place acks are written to the store. Each `change_ack` frame marks all its
 * `applied` / `duplicate` entries synced in ONE store call; rejections, server `error` frames
 * that name changes, and echoes (own changes coming back in a server batch, already marked synced
 * by the store) become per-change outcomes for the change waiting on them (upstream.ts).
 */
import { map, merge, mergeMap, Observable, type SchedulerLike } from 'rxjs';
import type { SyncError } from '../errors.js';
import type { Row, ServerFrame } from '../protocol/index.js';
import type { EngineEvent } from './events.js';
import type { EngineStore } from './ports.js';
import { serverErrorToSyncError } from './server-error.js';

/** What happened to one sent change. */
export type AckOutcome =
  /** `applied` / `duplicate` (already marked synced), or its echo arrived. */
  | { kind: 'acked'; change_id: string; lsn: number }
  /** The server refused it; `row` is its current version (null: no such row). */
  | { kind: 'rejected'; change_id: string; reason: string; row: Row | null; code?: string }
  /** The server may take it later (`error` frame, `retryable: true`): one counted attempt. */
  | { kind: 'retryable'; change_id: string; error: SyncError }
  /** The server will not take it (`error` frame, not retryable). */
  | { kind: 'fatal'; change_id: string; error: SyncError };

/** One frame's outcomes, plus the event that reports the acks (null when none). */
export interface OutcomeBatch {
  outcomes: AckOutcome[];
  event: EngineEvent | null;
}

/**
 * Outcomes, AFTER the store has been updated. Subscribe once (share it): it writes to the store.
 * `echoes$` are change_ids the downstream pipeline saw come back (already synced in the store).
 */
export function ackOutcomes(
  message$: Observable<ServerFrame>,
  echoes$: Observable<{ change_ids: string[]; lsn: number }>,
  store: EngineStore,
  scheduler: SchedulerLike,
): Observable<OutcomeBatch> {
  const fromFrames$ = message$.pipe(mergeMap((frame) => (frame.type === 'change_ack' || frame.type === 'error' ? [frameOutcomes(frame, store, scheduler)] : [])));
  const fromEchoes$ = echoes$.pipe(
    map((e): OutcomeBatch => ({ outcomes: e.change_ids.map((change_id) => ({ kind: 'acked', change_id, lsn: e.lsn })), event: null })),
  );
  return merge(fromFrames$, fromEchoes$);
}

function frameOutcomes(frame: Extract<ServerFrame, { type: 'change_ack' | 'error' }>, store: EngineStore, scheduler: SchedulerLike): OutcomeBatch {
  if (frame.type === 'error') {
    // An error about no change in particular is reported by the engine, not here.
    const outcomes = (frame.change_ids ?? []).map((change_id): AckOutcome => {
      const error = serverErrorToSyncError(frame, change_id);
      return frame.retryable ? { kind: 'retryable', change_id, error } : { kind: 'fatal', change_id, error };
    });
    return { outcomes, event: null };
  }
  const synced: { change_id: string; lsn: number }[] = [];
  const outcomes: AckOutcome[] = [];
  for (const ack of frame.acks) {
    if (ack.status === 'rejected') {
      const rejected: AckOutcome = { kind: 'rejected', change_id: ack.change_id, reason: ack.reason, row: ack.row };
      outcomes.push(ack.code === undefined ? rejected : { ...rejected, code: ack.code });
    } else {
      synced.push({ change_id: ack.change_id, lsn: ack.lsn });
      outcomes.push({ kind: 'acked', change_id: ack.change_id, lsn: ack.lsn });
    }
  }
  if (synced.length > 0) store.markSynced(synced, scheduler.now());
  return { outcomes, event: synced.length > 0 ? { type: 'acked', change_ids: synced.map((s) => s.change_id) } : null };
}
