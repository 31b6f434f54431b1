/**
 * Routes outcomes to the one change waiting for each, by change_id, in O(1) per outcome (a
 * filter per waiting change would cost O(in flight) per outcome). Outcomes for changes nobody
 * waits on (late acks) are dropped here: the store was already updated by ack-outcomes.ts.
 */
import { Observable } from 'rxjs';
import type { AckOutcome, OutcomeBatch } from './ack-outcomes.js';

/** A router over one outcome stream. */
export interface AckRouter {
  /** The next outcome for `change_id` (subscribe BEFORE sending). */
  awaitOutcome(change_id: string): Observable<AckOutcome>;
  /** Subscribe to run the routing (it never emits). */
  readonly run$: Observable<never>;
}

/** Create a router over `outcomes$`. */
export function createAckRouter(outcomes$: Observable<OutcomeBatch>): AckRouter {
  const waiting = new Map<string, (o: AckOutcome) => void>();
  return {
    awaitOutcome: (change_id) =>
      new Observable<AckOutcome>((subscriber) => {
        waiting.set(change_id, (o) => subscriber.next(o));
        return () => waiting.delete(change_id);
      }),
    run$: new Observable<never>((subscriber) =>
      outcomes$.subscribe({
        next: (batch) => {
          for (const o of batch.outcomes) waiting.get(o.change_id)?.(o);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    ),
  };
}
