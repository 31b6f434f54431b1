/**
 * Upstream pipeline (local -> server). While the connection is synced (`ready$` true) a session
 * runs: pending changes from the store (in `seq` order) and then every newly recorded change are
 * grouped by (entity, entity_id); each group is `concatMap`ped, so one change per row is in
 * flight and the next waits for its outcome, while different rows go in parallel. Changes that
 * are ready in the same turn leave in one `client_change` frame (at most `batchSize`).
 *
 * A dropped connection ends the session (switchMap): in-flight waits and retry timers vanish, no
 * attempt is counted, and the next session re-reads the pending changes in their original order.
 */
import {
  concatMap, defer, distinctUntilChanged, EMPTY, filter, finalize, from, groupBy, merge, mergeMap, Observable, share, Subject,
  switchMap, type SchedulerLike,
} from 'rxjs';
import type { ClientChange, ClientFrame } from '../protocol/index.js';
import type { OutcomeBatch } from './ack-outcomes.js';
import { createAckRouter } from './ack-router.js';
import { batchSameTick } from './batch-same-tick.js';
import { framesByBytes } from './frame-budget.js';
import type { EngineConfig } from './config.js';
import { deliverChange } from './deliver.js';
import type { EngineEvent } from './events.js';
import type { EngineStore, LocalChange } from './ports.js';
import type { RandomSource } from './random.js';

/** What the upstream pipeline needs. */
export interface UpstreamDeps {
  store: EngineStore;
  /** Sends a frame to the server (the transport's `send`). */
  send: (frame: ClientFrame) => boolean;
  scheduler: SchedulerLike;
  random: RandomSource;
  config: Pick<EngineConfig, 'backoff' | 'maxAttempts' | 'ackTimeout' | 'batchSize' | 'maxFrameBytes'>;
}

/** The streams the upstream pipeline reacts to. */
export interface UpstreamInputs {
  /** True while the connection is synced (catch-up done). Sessions run while true. */
  ready$: Observable<boolean>;
  /** Changes just recorded by the API (hot: only new recordings). */
  localChanges$: Observable<readonly LocalChange[]>;
  /** Outcomes after the store was updated (ack-outcomes.ts), shared. */
  outcomes$: Observable<OutcomeBatch>;
  /** Failed changes the app retried (pending again, at the end of the queue: new seqs). */
  retried$?: Observable<readonly LocalChange[]>;
}

/** The upstream pipeline: subscribe to run it. Emits engine events. */
export function upstream(inputs: UpstreamInputs, deps: UpstreamDeps): Observable<EngineEvent> {
  return inputs.ready$.pipe(
    distinctUntilChanged(),
    switchMap((ready) => (ready ? session(inputs, deps) : EMPTY)),
  );
}

/** The row a change belongs to: the unit of "one in flight". */
export function rowKey(c: { entity: string; entity_id: string }): string {
  return `${c.entity}\u0000${c.entity_id}`;
}

function toClientChange(c: LocalChange): ClientChange {
  return { change_id: c.change_id, entity: c.entity, entity_id: c.entity_id, op: c.op, data: c.data };
}

function session(inputs: UpstreamInputs, deps: UpstreamDeps): Observable<EngineEvent> {
  return defer(() => {
    const outbox = new Subject<LocalChange>();
    const router = createAckRouter(inputs.outcomes$);
    // Changes whose delivery is still running. A frame leaves at the end of the turn; an outcome
    // arriving before that (a late echo of an earlier send) ends the delivery, and then the change
    // must not go out: its `sent` would never be matched by a `settled` (inFlight would leak).
    const live = new Set<string>();
    const flush$ = outbox.pipe(
      batchSameTick<LocalChange>(deps.scheduler, deps.config.batchSize),
      mergeMap((queued): EngineEvent[] => {
        const batch = queued.filter((c) => live.has(c.change_id));
        if (batch.length === 0) return [];
        // At most maxFrameBytes per frame: a frame over the server's limit would be refused again on every reconnect.
        return framesByBytes(batch.map(toClientChange), deps.config.maxFrameBytes).map((changes): EngineEvent => {
          deps.send({ type: 'client_change', changes });
          return { type: 'sent', change_ids: changes.map((c) => c.change_id) };
        });
      }),
    );
    // Pending first (original order), then what gets recorded while the session lives. A recording
    // that the pending read already saw is not delivered a second time.
    const pending = deps.store.pendingChanges();
    const seenUpTo = pending.reduce((max, c) => Math.max(max, c.seq), 0);
    const changes$ = merge(
      from(pending),
      merge(inputs.localChanges$, inputs.retried$ ?? EMPTY).pipe(
        mergeMap((cs) => cs),
        filter((c) => c.seq > seenUpTo),
      ),
    ).pipe(filter((c) => c.origin === 'local' && c.status === 'pending'));
    const ctx = {
      ...deps,
      awaitOutcome: router.awaitOutcome,
      enqueue: (c: LocalChange) => {
        live.add(c.change_id);
        outbox.next(c);
      },
    };
    const work$ = changes$.pipe(
      groupBy((c: LocalChange) => rowKey(c)),
      mergeMap((row$) => row$.pipe(concatMap((change) => deliverChange(change, ctx).pipe(finalize(() => live.delete(change.change_id)))))),
    );
    return merge(router.run$, flush$, work$).pipe(share());
  });
}
