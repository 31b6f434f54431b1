/**
 * The life of one sent change: send, wait for its outcome, retry counted failures with backoff,
 * end as synced or failed. Counted attempts are ack timeouts and retryable server errors; each
 * is recorded in the store (`recordAttempt`) and reported. After `maxAttempts` counted attempts
 * (including those of earlier sessions, read from `change.attempts`) the change is failed.
 * Retries are RxJS `retry({ count, delay })` with exponential backoff and full jitter; the same
 * change_id is re-sent (the server deduplicates).
 */
import { catchError, defer, finalize, merge, mergeMap, Observable, of, retry, Subject, take, throwError, timeout, timer, EMPTY } from 'rxjs';
import { ChangeRejectedError, ErrorCodes, isRetryable, SyncError, toSyncError } from '../errors.js';
import type { AckOutcome } from './ack-outcomes.js';
import { backoffDelay } from './backoff.js';
import type { EngineEvent } from './events.js';
import type { LocalChange } from './ports.js';
import type { UpstreamDeps } from './upstream.js';

/** What one delivery needs: the upstream deps, the session's outbox and ack router. */
export interface DeliverContext extends UpstreamDeps {
  /** Put the change in the next `client_change` frame. */
  enqueue(change: LocalChange): void;
  /** The next outcome for a change_id. */
  awaitOutcome(change_id: string): Observable<AckOutcome>;
}

/** Deliver one change; emits its events and completes when it is synced or failed. */
export function deliverChange(change: LocalChange, ctx: DeliverContext): Observable<EngineEvent> {
  return defer(() => {
    const id = change.change_id;
    const side = new Subject<EngineEvent>();
    // Counted attempts so far: the only mutable bit, local to this one delivery.
    let attempts = change.attempts;
    const remaining = ctx.config.maxAttempts - change.attempts;
    if (remaining <= 0) {
      // Every attempt was used already (the process stopped between recording the last one and
      // marking the change failed): fail it now, without sending it again.
      const msg = `${id} failed after ${attempts} attempts: ${change.last_error ?? 'no ack'}`;
      ctx.store.markFailed(id, msg, attempts, ctx.scheduler.now());
      const error = new SyncError(ErrorCodes.ATTEMPTS_EXHAUSTED, msg, { change_id: id, entity: change.entity, attempt: attempts });
      return of<EngineEvent[]>({ type: 'failed', change_id: id }, { type: 'error', error });
    }

    const once$ = defer(() =>
      merge(
        ctx.awaitOutcome(id).pipe(
          take(1),
          timeout({
            first: ctx.config.ackTimeout,
            scheduler: ctx.scheduler,
            with: () => throwError(() => new SyncError(ErrorCodes.ACK_TIMEOUT, `no ack for ${id} within ${ctx.config.ackTimeout} ms`, { change_id: id, entity: change.entity })),
          }),
          mergeMap((o) => (o.kind === 'retryable' || o.kind === 'fatal' ? throwError(() => o.error) : of(o))),
        ),
        defer(() => {
          ctx.enqueue(change);
          return EMPTY;
        }),
      ),
    );

    const lifecycle$ = once$.pipe(
      retry({
        count: remaining,
        delay: (error: unknown, retryCount: number) => {
          side.next({ type: 'settled', change_id: id });
          // Only counted attempts are retried; anything else fails the change at once.
          if (!isRetryable(error)) return throwError(() => error);
          attempts = change.attempts + retryCount;
          const err = toSyncError(error);
          const counted = new SyncError(err.code, err.message, { change_id: id, entity: change.entity, attempt: attempts, cause: err.cause });
          ctx.store.recordAttempt(id, attempts, err.message, ctx.scheduler.now());
          side.next({ type: 'attempt', change_id: id, attempt: attempts });
          side.next({ type: 'error', error: counted });
          if (retryCount >= remaining) {
            const msg = `${id} failed after ${attempts} attempts: ${err.message}`;
            return throwError(() => new SyncError(ErrorCodes.ATTEMPTS_EXHAUSTED, msg, { change_id: id, entity: change.entity, attempt: attempts, cause: err }));
          }
          return timer(backoffDelay(attempts, ctx.config.backoff, ctx.random), ctx.scheduler);
        },
      }),
      mergeMap((outcome): EngineEvent[] => {
        const settled: EngineEvent = { type: 'settled', change_id: id };
        if (outcome.kind !== 'rejected') return [settled];
        // Rejected: failed for good, the row goes back to the server's version, the row's next change goes on.
        ctx.store.markFailed(id, outcome.reason, attempts, ctx.scheduler.now(), outcome.row);
        const error = new ChangeRejectedError(`server rejected ${id}: ${outcome.reason}`, { change_id: id, entity: change.entity });
        return [
          settled,
          { type: 'failed', change_id: id },
          { type: 'error', error },
          { type: 'processed', message: { type: 'changes_processed', origin: 'server', change_ids: [id], entities: [change.entity] } },
        ];
      }),
      catchError((error: unknown): Observable<EngineEvent> => {
        const err = toSyncError(error, ErrorCodes.INTERNAL, { change_id: id, entity: change.entity });
        ctx.store.markFailed(id, err.message, attempts, ctx.scheduler.now());
        // Counted attempts were reported one by one; a non-counted (fatal) error is reported here.
        return of<EngineEvent[]>({ type: 'failed', change_id: id }, { type: 'error', error: err });
      }),
      finalize(() => side.complete()),
    );
    return merge(side, lifecycle$);
  });
}
