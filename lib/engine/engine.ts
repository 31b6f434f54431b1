/**
 * createSyncEngine: wires the pipelines (upstream, downstream, ack outcomes, stuck detector)
 * to a store and a transport, and derives from their ONE event stream:
 * `status$` (status reducer, one snapshot per turn, only when it changed, replayed),
 * `errors$`, `processed$` (changes_processed for the main thread) and `metrics$` (replayed).
 */
import {
  BehaviorSubject, defer, distinctUntilChanged, map, merge, mergeMap, Observable, of, ReplaySubject, retry, share, Subject, switchMap,
  tap, timer, type SchedulerLike, type Subscription,
} from 'rxjs';
import { ErrorCodes, SyncError, toSyncError } from '../errors.js';
import { backoffDelay } from './backoff.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { emptyMetrics, type EngineMetrics } from '../log/metrics.js';
import type { ChangesProcessedMsg } from '../protocol/index.js';
import { ackOutcomes } from './ack-outcomes.js';
import { batchSameTick } from './batch-same-tick.js';
import { resolveEngineConfig, type EngineConfig, type EngineConfigInput } from './config.js';
import { downstream } from './downstream.js';
import { COUNT_CHANGING, type EngineEvent } from './events.js';
import { isEqual } from './is-equal.js';
import { reduceMetrics } from './metrics-reducer.js';
import type { EngineStore, EngineTransport, LocalChange } from './ports.js';
import type { RandomSource } from './random.js';
import { readiness } from './readiness.js';
import { isClientAhead, resyncWhenServerBehind } from './resync.js';
import { serverErrorToSyncError } from './server-error.js';
import { initialStatus, reduceStatusAll, type SyncStatus } from './status-reducer.js';
import { detectStuck } from './stuck-detector.js';
import { upstream } from './upstream.js';

/** What the engine is built from. */
export interface SyncEngineOptions {
  /** The local database (lib/store, or a fake in specs). */
  store: EngineStore;
  /** The connection (lib/transport, or a fake in specs). */
  transport: EngineTransport;
  /** Changes the API just recorded (durable in the store). Hot: only new recordings. */
  localChanges$: Observable<readonly LocalChange[]>;
  /** Failed changes the app retried (`store.retryFailed`, durable): sent again. Hot. */
  retried$?: Observable<readonly LocalChange[]>;
  /** Time source for every timer (ack timeout, backoff, stuck checks) and for `now`. */
  scheduler: SchedulerLike;
  /** Jitter source, e.g. `Math.random` at the entry point or `mulberry32(seed)` in specs. */
  random: RandomSource;
  /** Tuning; defaults from DESIGN section 6. */
  config?: EngineConfigInput;
  /** Where the engine logs (default: silent). */
  logger?: Logger;
  /** Clock for measuring apply time in ms (default `scheduler.now()`). */
  clock?: () => number;
}

/** A running (or startable) sync engine. */
export interface SyncEngine {
  /** Status snapshots: the current one on subscribe, then each change (at most one per turn). */
  readonly status$: Observable<SyncStatus>;
  /** Every error the engine, the store writes it drives, or the transport report. */
  readonly errors$: Observable<SyncError>;
  /** `changes_processed` messages for the main thread, after each commit (origin `server`). */
  readonly processed$: Observable<ChangesProcessedMsg>;
  /** Metrics counters: the current snapshot on subscribe, then each change (one per turn). */
  readonly metrics$: Observable<EngineMetrics>;
  /** The resolved configuration. */
  readonly config: EngineConfig;
  /** The current status snapshot. */
  status(): SyncStatus;
  /** Ask the server again for the rows the store has to fetch (after the app discarded failed changes). */
  refetch(): void;
  /** Re-read pending / failed counts from the store into status (after the app changed them). */
  recount(): void;
  /** Start the pipelines (idempotent). */
  start(): void;
  /** Stop the pipelines (idempotent; `start` again resumes from the store). */
  stop(): void;
}

/** Build a sync engine. Nothing runs until {@link SyncEngine.start}. */
export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  const { store, scheduler } = options;
  const config = resolveEngineConfig(options.config);
  const logger = options.logger ?? silentLogger;
  const counts = store.counts();
  const status = new BehaviorSubject<SyncStatus>(initialStatus(store.getLsn(), counts.pending, counts.failed));
  const metrics = new BehaviorSubject<EngineMetrics>(emptyMetrics());
  const errors = new Subject<SyncError>();
  const processed = new Subject<ChangesProcessedMsg>();
  const refetch$ = new Subject<void>();

  const run$ = defer(() => {
    const events$ = engineEvents(options, config, refetch$).pipe(share());
    const routed$ = events$.pipe(
      tap((e) => {
        if (e.type === 'error') {
          logger.warn(e.error.message, { code: e.error.code, change_id: e.error.change_id, lsn: e.error.lsn });
          errors.next(e.error);
        } else if (e.type === 'processed') processed.next(e.message);
        // Only pay for the copy when debug records are written at all.
        else if (logger.level === 'debug') logger.debug(e.type, { ...e });
      }),
    );
    const snapshots$ = events$.pipe(
      batchSameTick<EngineEvent>(scheduler),
      map((evs) => (evs.some((e) => COUNT_CHANGING.has(e.type)) ? [...evs, countsEvent(store)] : evs)),
      tap((evs) => {
        const nextStatus = reduceStatusAll(status.value, evs, scheduler.now());
        if (!isEqual(nextStatus, status.value)) status.next(nextStatus);
        const nextMetrics = evs.reduce(reduceMetrics, metrics.value);
        if (nextMetrics !== metrics.value) metrics.next(nextMetrics);
      }),
    );
    return merge(routed$, snapshots$);
  }).pipe(
    // A pipeline that throws (a store write failing inside an operator) must not stop sync
    // silently: report it on errors$ and in status, then restart every pipeline from the store
    // after a backoff delay, on a fresh connection (the restarted pipelines need a new welcome).
    retry({
      delay: (cause: unknown, attempt: number) => {
        const error = toSyncError(cause, ErrorCodes.INTERNAL);
        const restarting = new SyncError(error.code, `sync engine stopped on an error and restarts: ${error.message}`, { cause: error });
        logger.error(restarting.message, { code: restarting.code });
        errors.next(restarting);
        status.next(reduceStatusAll(status.value, [{ type: 'error', error: restarting }], scheduler.now()));
        return timer(backoffDelay(attempt, config.backoff, options.random), scheduler).pipe(tap(() => options.transport.reconnect?.()));
      },
    }),
  );

  let subscription: Subscription | null = null;
  return {
    status$: status.asObservable(),
    errors$: errors.asObservable(),
    processed$: processed.asObservable(),
    metrics$: metrics.pipe(distinctUntilChanged<EngineMetrics>(isEqual)),
    config,
    status: () => status.value,
    refetch: () => refetch$.next(),
    recount: () => {
      const next = reduceStatusAll(status.value, [countsEvent(store)], scheduler.now());
      if (!isEqual(next, status.value)) status.next(next);
    },
    start: () => {
      if (subscription && !subscription.closed) return;
      subscription = run$.subscribe({ error: (e: unknown) => logger.error('engine stopped on an unexpected error', { cause: String(e) }) });
    },
    stop: () => {
      subscription?.unsubscribe();
      subscription = null;
    },
  };
}

function countsEvent(store: EngineStore): EngineEvent {
  const c = store.counts();
  return { type: 'counts', pending: c.pending, failed: c.failed };
}

/** Every pipeline, merged: the engine's one event stream. */
function engineEvents(options: SyncEngineOptions, config: EngineConfig, refetch$: Observable<void>): Observable<EngineEvent> {
  const { store, transport, scheduler, random } = options;
  const send = transport.send.bind(transport);
  const message$ = transport.message$.pipe(share());
  // state$ replays its current value: every subscriber subscribes it on its own.
  const transportEvents$ = (): Observable<EngineEvent> => transport.state$.pipe(map((state): EngineEvent => ({ type: 'transport', state })));
  const down$ = downstream(message$, { store, send, scheduler, random, config, clock: options.clock, refetch$ }).pipe(share());
  const ready$ = readiness(merge(transportEvents$(), down$)).pipe(share({ connector: () => new ReplaySubject<boolean>(1), resetOnRefCountZero: true }));
  const echoes$ = down$.pipe(mergeMap((e) => (e.type === 'batch_applied' && e.echoed.length > 0 ? [{ change_ids: e.echoed, lsn: e.lsn }] : [])));
  const outcomes$ = ackOutcomes(message$, echoes$, store, scheduler).pipe(share());
  const up$ = upstream({ ready$, localChanges$: options.localChanges$, outcomes$, retried$: options.retried$ }, { store, send, scheduler, random, config });
  const serverErrors$ = message$.pipe(
    mergeMap((f): EngineEvent[] =>
      // Errors naming changes are outcomes of those changes (upstream reports them); client_ahead
      // is reported by the resync that answers it.
      f.type === 'error' && (f.change_ids ?? []).length === 0 && !isClientAhead(f) ? [{ type: 'error', error: serverErrorToSyncError(f) }] : [],
    ),
  );
  const stuck$ = ready$.pipe(
    switchMap((ready) =>
      ready
        ? detectStuck(() => store.pendingChanges(1)[0]?.change_id ?? null, { threshold: config.stuckThreshold, checkInterval: config.stuckCheckInterval, scheduler })
        : of<EngineEvent>({ type: 'stuck', stuck: false }),
    ),
  );
  return merge(
    transportEvents$(),
    options.localChanges$.pipe(map((cs): EngineEvent => ({ type: 'recorded', count: cs.length }))),
    transport.errors$.pipe(map((error): EngineEvent => ({ type: 'error', error }))),
    serverErrors$,
    outcomes$.pipe(mergeMap((b) => (b.event ? [b.event] : []))),
    down$,
    up$,
    stuck$,
    resyncWhenServerBehind(message$, { store, transport, scheduler }),
  );
}
