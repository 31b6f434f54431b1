/**
 * Downstream pipeline (server -> local): `welcome`, `server_changes` and `sync_response` frames in,
 * engine events out. Batches are handled one at a time (`mergeScan` with concurrency 1) over an
 * immutable {@link OrderingState}: stale batches are skipped and acked, gap batches are held
 * while a `sync_request` fills the gap, the next batch is applied in ONE store transaction, then
 * acked (`ack { lsn }`, coalesced over `ackDelay`) and reported (`processed`). A failed apply is
 * retried a bounded number of times, then what cannot apply is quarantined and its rows fetched
 * again (apply-retry.ts, `fetch_rows` / `rows`). Frames waiting behind a retry are bounded in
 * bytes (backlog.ts). A `welcome` from another server log (`server_id`) resets the replica.
 */
import {
  defer, finalize, map, merge, mergeMap, mergeScan, Observable, of, concat, concatMap, Subject, Subscription, type SchedulerLike,
} from 'rxjs';
import { ErrorCodes, SyncError } from '../errors.js';
import type { ClientFrame, RowsFrame, ServerFrame } from '../protocol/index.js';
import { applyWithRetry, quarantineErrors } from './apply-retry.js';
import { backlogGate } from './backlog.js';
import type { EngineConfig } from './config.js';
import type { EngineEvent } from './events.js';
import {
  afterPage, answersRequest, batchBytes, classifyBatch, holdBatch, initialOrdering, isOverdue, markRequested, needsRequest, onWelcome, prefetchNext, takeNextHeld, takePrefetched,
  trimBatch, type OrderedBatch, type OrderingState, type PageRequest,
} from './lsn-ordering.js';
import type { EngineStore, QuarantineOutcome, ScopePatchBatch } from './ports.js';
import type { RandomSource } from './random.js';
import { checkServerIdentity, fetchRows, putFetchedRows } from './recovery.js';
import { applyPatchWithRetry } from './scope-patch.js';

/** What the downstream pipeline needs. */
export interface DownstreamDeps {
  store: EngineStore;
  /** Sends a frame to the server (the transport's `send`). */
  send: (frame: ClientFrame) => boolean;
  scheduler: SchedulerLike;
  random: RandomSource;
  /** `ackTimeout` also bounds the wait for a `sync_response`: an overdue page is asked for again. */
  config: Pick<EngineConfig, 'backoff' | 'maxHeldBatches' | 'ackTimeout' | 'maxApplyAttempts' | 'maxBacklogBytes' | 'ackDelay'>;
  /** Ask for the rows the store has to fetch again (e.g. after the app discarded failed changes). */
  refetch$?: Observable<void>;
  /** Clock for measuring apply time, in ms (default `scheduler.now()`; pass `performance.now` for sub-ms). */
  clock?: () => number;
}

/** What the serial step handles, one at a time. */
export type Input =
  | { kind: 'welcome'; serverLsn: number; serverId: string | undefined }
  | { kind: 'batch'; batch: OrderedBatch }
  | { kind: 'overdue'; serial: number }
  | { kind: 'rows'; frame: RowsFrame }
  /** Access rules: rows the replica gained or lost with a scope. */
  | { kind: 'patch'; patch: ScopePatchBatch }
  | { kind: 'refetch' }
  /** Frames were dropped (backlog over its bytes): ask again from the local LSN. */
  | { kind: 'resync' };

/** Downstream deps plus the timers of the pipeline. */
interface StepDeps extends DownstreamDeps {
  /** Start the timer of request `serial`: when it fires and the request is still unanswered, it is re-sent. */
  watchRequest(serial: number): void;
  /** Send `ack { lsn }` (after `ackDelay`, with the latest LSN acked by then). */
  ack(lsn: number): void;
}
/** One result of a step: the ordering state after it and the events it produced. */
interface Step {
  state: OrderingState;
  events: EngineEvent[];
}

/** The downstream pipeline: subscribe to run it. Emits engine events. */
export function downstream(message$: Observable<ServerFrame>, deps: DownstreamDeps): Observable<EngineEvent> {
  return defer(() => {
    const overdue$ = new Subject<Input>();
    const timers = new Subscription();
    let ackLsn: number | null = null;
    const sendAck = () => {
      if (ackLsn !== null) deps.send({ type: 'ack', lsn: ackLsn });
      ackLsn = null;
    };
    const ctx: StepDeps = {
      ...deps,
      watchRequest: (serial) => {
        timers.add(deps.scheduler.schedule(() => overdue$.next({ kind: 'overdue', serial }), deps.config.ackTimeout));
      },
      ack: (lsn) => {
        if (deps.config.ackDelay === 0) return void deps.send({ type: 'ack', lsn });
        const first = ackLsn === null;
        ackLsn = Math.max(ackLsn ?? 0, lsn);
        if (first) timers.add(deps.scheduler.schedule(sendAck, deps.config.ackDelay));
      },
    };
    const gate = backlogGate<Input>(deps.config.maxBacklogBytes, { kind: 'resync' });
    const refetch$ = (deps.refetch$ ?? new Observable<void>()).pipe(mergeMap((): Input[] => [{ kind: 'refetch' }]));
    return merge(message$.pipe(mergeMap(toInput)), overdue$, refetch$).pipe(
      gate.admit(inputBytes),
      mergeScan((acc: Step, input: Input) => gate.running(input, step(ctx, acc.state, input)), { state: initialOrdering(deps.store.getLsn()), events: [] }, 1),
      mergeMap((s) => s.events),
      finalize(() => {
        sendAck();
        timers.unsubscribe();
      }),
    );
  });
}

/** Bytes an input holds while it waits: a batch's changes (measured only when it must wait). */
function inputBytes(input: Input): number {
  if (input.kind === 'batch') return batchBytes(input.batch);
  if (input.kind === 'rows') return JSON.stringify(input.frame.rows).length;
  if (input.kind === 'patch') return JSON.stringify(input.patch.changes).length;
  return 0;
}

function toInput(frame: ServerFrame): Input[] {
  switch (frame.type) {
    case 'welcome':
      return [{ kind: 'welcome', serverLsn: frame.server_lsn, serverId: frame.server_id }];
    case 'rows':
      return [{ kind: 'rows', frame }];
    case 'scope_patch':
      return [{ kind: 'patch', patch: frame.scopes === undefined ? { changes: frame.changes } : { changes: frame.changes, scopes: frame.scopes } }];
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
  if (input.kind === 'welcome') return of(welcome(deps, state, input.serverLsn, input.serverId));
  const fresh: OrderingState = { ...state, lsn: deps.store.getLsn() };
  switch (input.kind) {
    case 'overdue':
      return of(overdue(deps, fresh, input.serial));
    case 'rows':
      return of({ state: fresh, events: putFetchedRows(deps, fresh.lsn, input.frame) });
    case 'patch': {
      // Batches held behind a gap were sent before the patch and may carry rows it removed:
      // dropped, and that range is asked for again (filtered by the new scopes).
      const cleared: OrderingState = { ...fresh, held: [] };
      const next = fresh.held.length > 0 && fresh.requestedFrom === null ? request(deps, cleared) : cleared;
      return applyPatchWithRetry(deps, input.patch, next.lsn).pipe(map((events): Step => ({ state: next, events })));
    }
    case 'refetch':
      fetchRows(deps, deps.store.rowsToFetch());
      return of({ state: fresh, events: [] });
    case 'resync': {
      const msg = `more than ${deps.config.maxBacklogBytes} bytes of server frames waited behind a batch being retried: dropped, asked again from ${fresh.lsn}`;
      return of({ state: request(deps, fresh), events: [{ type: 'error', error: new SyncError(ErrorCodes.GAP_OVERFLOW, msg, { lsn: fresh.lsn }) }] });
    }
    case 'batch':
      break;
  }
  const batch = input.batch;
  switch (classifyBatch(fresh.lsn, batch)) {
    case 'stale': {
      // Already applied: tell the server where we are, and let a page move catch-up on.
      deps.ack(fresh.lsn);
      const skipped: EngineEvent = { type: 'batch_skipped', lsn: batch.lsn };
      const follow = batch.page ? followPage(deps, fresh, batch.page) : { state: fresh, events: [] };
      return of({ state: follow.state, events: [skipped, ...follow.events] });
    }
    case 'gap':
      return of(holdGap(deps, fresh, batch));
    case 'next': {
      // Ask for the next page now: the server reads it while this page is applied.
      const ahead = prefetchNext(fresh, batch);
      if (ahead) sendRequest(deps, ahead.request);
      return applyChain(deps, ahead ? ahead.state : fresh, trimBatch(batch, fresh.lsn));
    }
  }
}

function welcome(deps: StepDeps, previous: OrderingState, serverLsn: number, serverId: string | undefined): Step {
  const events: EngineEvent[] = checkServerIdentity(deps, serverId);
  const { state, catchUp, ahead } = onWelcome(deps.store.getLsn(), serverLsn, previous.requestSerial);
  if (catchUp) {
    deps.send({ type: 'sync_request', from_lsn: state.lsn });
    deps.watchRequest(state.requestSerial);
    return { state, events: [...events, { type: 'catchup_started', from: state.lsn, to: serverLsn }] };
  }
  fetchRows(deps, deps.store.rowsToFetch());
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
  const held = holdBatch(state, batch, deps.config.maxHeldBatches, deps.config.maxBacklogBytes);
  const events: EngineEvent[] = [];
  if (held.overflow) {
    const msg = `more than ${deps.config.maxHeldBatches} batches (or ${deps.config.maxBacklogBytes} bytes) held behind a gap at LSN ${state.lsn}: dropped them, resync requested`;
    events.push({ type: 'error', error: new SyncError(ErrorCodes.GAP_OVERFLOW, msg, { lsn: state.lsn }) });
  }
  // Overflow dropped the held batches and the outstanding request: ask again from our LSN.
  if (held.overflow || needsRequest(held.state)) return { state: request(deps, held.state), events };
  return { state: held.state, events };
}

function request(deps: StepDeps, state: OrderingState): OrderingState {
  // A snapshot in progress goes on from its cursor (also after a timeout or a held-batch overflow).
  // A request sent anew replaces one sent ahead (its answer, if it comes, is an older page's).
  const next = markRequested({ ...state, prefetched: null });
  sendRequest(deps, { from: state.lsn, cursor: state.cursor, serial: next.requestSerial });
  return next;
}

function sendRequest(deps: StepDeps, r: PageRequest): void {
  deps.send(r.cursor === null ? { type: 'sync_request', from_lsn: r.from } : { type: 'sync_request', from_lsn: r.from, cursor: r.cursor });
  deps.watchRequest(r.serial);
}

function followPage(deps: StepDeps, state: OrderingState, page: { complete: boolean; from: number; cursor?: number }): Step {
  // The answer to an older request: its changes were applied, but it starts no chain of its own.
  if (!answersRequest(state, page.from)) return { state, events: [] };
  const after = afterPage(state, page.complete, page.cursor ?? null);
  if (after.more) return { state: takePrefetched(after.state) ?? request(deps, after.state), events: [] };
  if (after.caughtUp) fetchRows(deps, deps.store.rowsToFetch());
  return { state: after.state, events: after.caughtUp ? [{ type: 'caught_up', lsn: after.state.lsn }] : [] };
}

/** Apply `batch` (bounded retries, then quarantine), then every held batch that became next. */
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

function committedStep(deps: StepDeps, state: OrderingState, batch: OrderedBatch, result: QuarantineOutcome, ms: number): Step {
  deps.ack(batch.lsn);
  const events: EngineEvent[] = [
    {
      type: 'batch_applied', lsn: batch.lsn, applied: result.applied, echoed: result.echoed, entities: result.entities, ms,
      ...(batch.page?.cursor !== undefined && { progress: batch.page.cursor }),
    },
  ];
  if (result.quarantined.length > 0) {
    events.push({ type: 'quarantined', change_ids: result.quarantined.map((q) => q.change_id) });
    for (const error of quarantineErrors(result)) events.push({ type: 'error', error });
    fetchRows(deps, result.quarantined.map((q) => ({ entity: q.entity, id: q.entity_id })));
  }
  if (batch.changes.length > 0) {
    const change_ids = batch.changes.map((c) => c.change_id);
    events.push({ type: 'processed', message: { type: 'changes_processed', origin: 'server', change_ids, entities: result.entities, lsn: batch.lsn } });
  }
  if (!batch.page) return { state, events };
  const follow = followPage(deps, state, batch.page);
  return { state: follow.state, events: [...events, ...follow.events] };
}
