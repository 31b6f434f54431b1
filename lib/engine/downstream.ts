/**
 * Downstream pipeline (server -> local): `welcome`, `server_changes` and `sync_response` frames in,
 * engine events out. Batches are handled one at a time (`mergeScan` with concurrency 1) over an
 * immutable {@link OrderingState}: stale batches are skipped and acked, gap batches are held
 * while a `sync_request` fills the gap, the next batch is applied in ONE store transaction, then
 * acked (`ack { lsn }`) and reported (`processed`). A failed apply was rolled back by the store;
 * it is retried with backoff (LSN unchanged, every failure on errors$) until it commits.
 */
import {
  defer, EMPTY, expand, finalize, map, merge, mergeMap, mergeScan, Observable, of, concat, concatMap, Subject, Subscription, timer, type SchedulerLike,
} from 'rxjs';
import { ErrorCodes, SyncError } from '../errors.js';
import type { ClientFrame, ServerFrame } from '../protocol/index.js';
import { backoffDelay } from './backoff.js';
import type { EngineConfig } from './config.js';
import type { EngineEvent } from './events.js';
import {
  afterPage, answersRequest, classifyBatch, holdBatch, initialOrdering, isOverdue, markRequested, needsRequest, onWelcome, takeNextHeld,
  trimBatch, type OrderedBatch, type OrderingState,
} from './lsn-ordering.js';
import type { ApplyResult, EngineStore } from './ports.js';
import type { RandomSource } from './random.js';

/** What the downstream pipeline needs. */
export interface DownstreamDeps {
  store: EngineStore;
  /** Sends a frame to the server (the transport's `send`). */
  send: (frame: ClientFrame) => boolean;
  scheduler: SchedulerLike;
  random: RandomSource;
  /** `ackTimeout` also bounds the wait for a `sync_response`: an overdue page is asked for again. */
  config: Pick<EngineConfig, 'backoff' | 'maxHeldBatches' | 'ackTimeout'>;
  /** Clock for measuring apply time, in ms (default `scheduler.now()`; pass `performance.now` for sub-ms). */
  clock?: () => number;
}

type Input = { kind: 'welcome'; serverLsn: number } | { kind: 'batch'; batch: OrderedBatch } | { kind: 'overdue'; serial: number };

/** Downstream deps plus the timer that watches each `sync_request`. */
interface StepDeps extends DownstreamDeps {
  /** Start the timer of request `serial`: when it fires and the request is still unanswered, it is re-sent. */
  watchRequest(serial: number): void;
}
/** One result of a step: the ordering state after it and the events it produced. */
interface Step {
  state: OrderingState;
  events: EngineEvent[];
}
type ApplyOutcome = { ok: true; result: ApplyResult; ms: number } | { ok: false; error: SyncError; attempt: number };

/** The downstream pipeline: subscribe to run it. Emits engine events. */
export function downstream(message$: Observable<ServerFrame>, deps: DownstreamDeps): Observable<EngineEvent> {
  return defer(() => {
    const overdue$ = new Subject<Input>();
    const timers = new Subscription();
    const ctx: StepDeps = {
      ...deps,
      watchRequest: (serial) => {
        timers.add(deps.scheduler.schedule(() => overdue$.next({ kind: 'overdue', serial }), deps.config.ackTimeout));
      },
    };
    return merge(message$.pipe(mergeMap(toInput)), overdue$).pipe(
      mergeScan((acc: Step, input: Input) => step(ctx, acc.state, input), { state: initialOrdering(deps.store.getLsn()), events: [] }, 1),
      mergeMap((s) => s.events),
      finalize(() => timers.unsubscribe()),
    );
  });
}

function toInput(frame: ServerFrame): Input[] {
  switch (frame.type) {
    case 'welcome':
      return [{ kind: 'welcome', serverLsn: frame.server_lsn }];
    case 'server_changes':
      return [{ kind: 'batch', batch: { prev_lsn: frame.prev_lsn, lsn: frame.lsn, changes: frame.changes, page: null } }];
    case 'sync_response':
      // A catch-up page is a batch whose prev_lsn is the from_lsn it answers.
      // A snapshot page with a cursor keeps the local LSN (its changes are above it): see lsn-ordering.ts.
      if (frame.cursor !== undefined) {
        const page = { complete: frame.complete, from: frame.from_lsn, cursor: frame.cursor };
        return [{ kind: 'batch', batch: { prev_lsn: frame.from_lsn, lsn: frame.from_lsn, changes: frame.changes, snapshot: true, page } }];
      }
      return [{ kind: 'batch', batch: { prev_lsn: frame.from_lsn, lsn: frame.lsn, changes: frame.changes, page: { complete: frame.complete, from: frame.from_lsn } } }];
    default:
      return [];
  }
}

function step(deps: StepDeps, state: OrderingState, input: Input): Observable<Step> {
  if (input.kind === 'welcome') return of(welcome(deps, state, input.serverLsn));
  const fresh: OrderingState = { ...state, lsn: deps.store.getLsn() };
  if (input.kind === 'overdue') return of(overdue(deps, fresh, input.serial));
  const batch = input.batch;
  switch (classifyBatch(fresh.lsn, batch)) {
    case 'stale': {
      // Already applied: tell the server where we are, and let a page move catch-up on.
      deps.send({ type: 'ack', lsn: fresh.lsn });
      const skipped: EngineEvent = { type: 'batch_skipped', lsn: batch.lsn };
      const follow = batch.page ? followPage(deps, fresh, batch.page) : { state: fresh, events: [] };
      return of({ state: follow.state, events: [skipped, ...follow.events] });
    }
    case 'gap':
      return of(holdGap(deps, fresh, batch));
    case 'next':
      return applyChain(deps, fresh, trimBatch(batch, fresh.lsn));
  }
}

function welcome(deps: StepDeps, previous: OrderingState, serverLsn: number): Step {
  const { state, catchUp, ahead } = onWelcome(deps.store.getLsn(), serverLsn, previous.requestSerial);
  if (catchUp) {
    deps.send({ type: 'sync_request', from_lsn: state.lsn });
    deps.watchRequest(state.requestSerial);
    return { state, events: [{ type: 'catchup_started', from: state.lsn, to: serverLsn }] };
  }
  const events: EngineEvent[] = [];
  if (ahead) {
    // The server's log is behind ours (restored from an older backup): report, keep going.
    const error = new SyncError(ErrorCodes.CLIENT_AHEAD, `server is at LSN ${serverLsn} but this client is at ${state.lsn}`, { lsn: state.lsn });
    events.push({ type: 'error', error });
  }
  events.push({ type: 'caught_up', lsn: state.lsn });
  return { state, events };
}

/** A request's answer is overdue (lost page, refused frame, full buffer): ask again from where we are. */
function overdue(deps: StepDeps, state: OrderingState, serial: number): Step {
  if (!isOverdue(state, serial)) return { state, events: [] };
  const msg = `no sync_response for sync_request { from_lsn: ${state.requestedFrom} } within ${deps.config.ackTimeout} ms: asked again from ${state.lsn}`;
  const error = new SyncError(ErrorCodes.REQUEST_TIMEOUT, msg, { lsn: state.lsn });
  return { state: request(deps, state), events: [{ type: 'error', error }] };
}

function holdGap(deps: StepDeps, state: OrderingState, batch: OrderedBatch): Step {
  const held = holdBatch(state, batch, deps.config.maxHeldBatches);
  const events: EngineEvent[] = [];
  if (held.overflow) {
    const msg = `more than ${deps.config.maxHeldBatches} batches held behind a gap at LSN ${state.lsn}: dropped them, resync requested`;
    events.push({ type: 'error', error: new SyncError(ErrorCodes.GAP_OVERFLOW, msg, { lsn: state.lsn }) });
  }
  // Overflow dropped the held batches and the outstanding request: ask again from our LSN.
  if (held.overflow || needsRequest(held.state)) return { state: request(deps, held.state), events };
  return { state: held.state, events };
}

function request(deps: StepDeps, state: OrderingState): OrderingState {
  // A snapshot in progress goes on from its cursor (also after a timeout or a held-batch overflow).
  deps.send(state.cursor === null ? { type: 'sync_request', from_lsn: state.lsn } : { type: 'sync_request', from_lsn: state.lsn, cursor: state.cursor });
  const next = markRequested(state);
  deps.watchRequest(next.requestSerial);
  return next;
}

function followPage(deps: StepDeps, state: OrderingState, page: { complete: boolean; from: number; cursor?: number }): Step {
  // The answer to an older request: its changes were applied, but it starts no chain of its own.
  if (!answersRequest(state, page.from)) return { state, events: [] };
  const after = afterPage(state, page.complete, page.cursor ?? null);
  if (after.more) return { state: request(deps, after.state), events: [] };
  return { state: after.state, events: after.caughtUp ? [{ type: 'caught_up', lsn: after.state.lsn }] : [] };
}

/** Apply `batch` (retrying until it commits), then every held batch that became next. */
function applyChain(deps: StepDeps, state: OrderingState, batch: OrderedBatch): Observable<Step> {
  return applyWithRetry(deps, batch).pipe(
    concatMap((outcome): Observable<Step> => {
      if (!outcome.ok) return of({ state, events: [{ type: 'error', error: outcome.error }] });
      const committed = committedStep(deps, { ...state, lsn: batch.lsn }, batch, outcome.result, outcome.ms);
      const next = takeNextHeld(committed.state);
      if (next.batch) return concat(of({ ...committed, state: next.state }), applyChain(deps, next.state, next.batch));
      // Still a gap behind the held batches: make sure it is being filled.
      const finalState = needsRequest(next.state) ? request(deps, next.state) : next.state;
      return of({ ...committed, state: finalState });
    }),
  );
}

function committedStep(deps: StepDeps, state: OrderingState, batch: OrderedBatch, result: ApplyResult, ms: number): Step {
  deps.send({ type: 'ack', lsn: batch.lsn });
  const events: EngineEvent[] = [
    {
      type: 'batch_applied', lsn: batch.lsn, applied: result.applied, echoed: result.echoed, entities: result.entities, ms,
      ...(batch.page?.cursor !== undefined && { progress: batch.page.cursor }),
    },
  ];
  if (batch.changes.length > 0) {
    const change_ids = batch.changes.map((c) => c.change_id);
    events.push({ type: 'processed', message: { type: 'changes_processed', origin: 'server', change_ids, entities: result.entities, lsn: batch.lsn } });
  }
  if (!batch.page) return { state, events };
  const follow = followPage(deps, state, batch.page);
  return { state: follow.state, events: [...events, ...follow.events] };
}

/** Try to apply; on failure emit the error and try again after a backoff delay, until it commits. */
function applyWithRetry(deps: DownstreamDeps, batch: OrderedBatch): Observable<ApplyOutcome> {
  const clock = deps.clock ?? (() => deps.scheduler.now());
  const tryApply = (attempt: number): ApplyOutcome => {
    const started = clock();
    try {
      const result = deps.store.applyServerBatch(batch, deps.scheduler.now());
      return { ok: true, result, ms: clock() - started };
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      const msg = `applying server batch (${batch.prev_lsn}, ${batch.lsn}] failed (attempt ${attempt}), rolled back: ${why}`;
      return { ok: false, error: new SyncError(ErrorCodes.APPLY_FAILED, msg, { lsn: batch.lsn, attempt, cause }), attempt };
    }
  };
  return defer(() => of(tryApply(1))).pipe(
    expand((o) =>
      o.ok ? EMPTY : timer(backoffDelay(o.attempt, deps.config.backoff, deps.random), deps.scheduler).pipe(map(() => tryApply(o.attempt + 1))),
    ),
  );
}
