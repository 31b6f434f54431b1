/**
 * LSN ordering, as pure functions over an immutable {@link OrderingState}: which server batch
 * applies next, which is stale, which waits for a gap to be filled, when to ask the server with
 * `sync_request`, and when catch-up is done. downstream.ts does the effects.
 *
 * A batch covers the LSNs in (`prev_lsn`, `lsn`]. Against the local LSN `L` it is
 * - stale when `lsn <= L` (already applied: skip, ack);
 * - a gap when `prev_lsn > L` (something between is missing: hold it, request from `L`);
 * - next otherwise (`prev_lsn <= L < lsn`): apply its changes with `lsn > L`.
 *
 * A snapshot page that is not the last (`snapshot`, `lsn = prev_lsn`) is next when `prev_lsn = L`
 * (the snapshot continues from the state's `cursor`), stale below, a gap above.
 */
import type { ServerBatch } from './ports.js';

/** A batch with where it came from: `page` is set for a `sync_response` page. */
export interface OrderedBatch extends ServerBatch {
  /** `null` for `server_changes`; for a `sync_response` page: its `complete` flag and the `from_lsn` it answers. */
  page: { complete: boolean; from: number; cursor?: number } | null;
  /** JSON size of its changes, once measured (only batches that wait are measured). */
  bytes?: number;
}

/** The JSON size of a batch's changes (measured once, kept on the batch). */
export function batchBytes(batch: OrderedBatch): number {
  batch.bytes ??= JSON.stringify(batch.changes).length;
  return batch.bytes;
}

/** What the ordering knows. Never mutated: every function returns a new state. */
export interface OrderingState {
  /** The local LSN (the store's, refreshed before each decision). */
  lsn: number;
  /** Batches waiting for a gap to be filled, sorted by `prev_lsn`. */
  held: readonly OrderedBatch[];
  /** `from_lsn` of the outstanding `sync_request`, or null when none is outstanding. */
  requestedFrom: number | null;
  /** Counts requests (never reset, also not by a welcome): tells an overdue request from a newer one. */
  requestSerial: number;
  /** The server LSN announced by `welcome` while catch-up runs, else null. */
  catchUpTo: number | null;
  /** While a snapshot runs: the `cursor` of its last page (the next request carries it), else null. */
  cursor: number | null;
  /**
   * The request for the page after the one being applied, sent when that page ARRIVED (the server
   * reads the next page while this client applies the current one), or null. Once the current
   * page is applied, this becomes the outstanding request instead of a new one being sent.
   */
  prefetched: PageRequest | null;
}

/** A `sync_request` as the ordering sends it: where from, the snapshot cursor, its serial. */
export interface PageRequest {
  from: number;
  cursor: number | null;
  serial: number;
}

/** Where a batch stands against the local LSN. */
export type BatchClass = 'stale' | 'gap' | 'next';

/** The state before the first welcome. */
export function initialOrdering(lsn: number, requestSerial = 0): OrderingState {
  return { lsn, held: [], requestedFrom: null, catchUpTo: null, requestSerial, cursor: null, prefetched: null };
}

/** Classify a batch against the local LSN (see the module comment). */
export function classifyBatch(localLsn: number, batch: ServerBatch): BatchClass {
  if (batch.snapshot) return batch.prev_lsn === localLsn ? 'next' : batch.prev_lsn < localLsn ? 'stale' : 'gap';
  if (batch.lsn <= localLsn) return 'stale';
  if (batch.prev_lsn > localLsn) return 'gap';
  return 'next';
}

/** The part of a `next` batch not yet applied: changes with `lsn > localLsn`, `prev_lsn = localLsn`. */
export function trimBatch(batch: OrderedBatch, localLsn: number): OrderedBatch {
  if (batch.prev_lsn === localLsn) return batch;
  return { ...batch, prev_lsn: localLsn, changes: batch.changes.filter((c) => c.lsn > localLsn) };
}

/**
 * Hold a gap batch. A batch with the same range is not held twice. Over `maxHeld` batches (or
 * `maxBytes` of their changes), everything held is dropped (`overflow`): the caller re-requests
 * from the local LSN, so nothing is lost.
 */
export function holdBatch(state: OrderingState, batch: OrderedBatch, maxHeld: number, maxBytes = Infinity): { state: OrderingState; overflow: boolean } {
  if (state.held.some((b) => b.prev_lsn === batch.prev_lsn && b.lsn === batch.lsn)) return { state, overflow: false };
  const bytes = maxBytes === Infinity ? 0 : state.held.reduce((n, b) => n + batchBytes(b), batchBytes(batch));
  if (state.held.length >= maxHeld || bytes > maxBytes) return { state: { ...state, held: [], requestedFrom: null }, overflow: true };
  const held = [...state.held, batch].sort((a, b) => a.prev_lsn - b.prev_lsn || a.lsn - b.lsn);
  return { state: { ...state, held }, overflow: false };
}

/** Take the held batch that applies next (dropping held batches that became stale), if any. */
export function takeNextHeld(state: OrderingState): { state: OrderingState; batch: OrderedBatch | null } {
  const held = state.held.filter((b) => b.lsn > state.lsn);
  const index = held.findIndex((b) => b.prev_lsn <= state.lsn);
  if (index < 0) return { state: held.length === state.held.length ? state : { ...state, held }, batch: null };
  const batch = trimBatch(held[index]!, state.lsn);
  return { state: { ...state, held: held.filter((_, i) => i !== index) }, batch };
}

/**
 * Should a `sync_request { from_lsn: state.lsn }` go out now? Yes when something is missing (a
 * held batch, or an incomplete page just applied) and no request is outstanding.
 */
export function needsRequest(state: OrderingState): boolean {
  return state.requestedFrom === null && state.held.length > 0;
}

/** Mark a `sync_request { from_lsn: state.lsn }` as sent. */
export function markRequested(state: OrderingState): OrderingState {
  return { ...state, requestedFrom: state.lsn, requestSerial: state.requestSerial + 1 };
}

/**
 * Is this page the answer to the outstanding request? A page answering an older request (one
 * sent on a previous connection, or re-sent after a timeout) still applies its changes, but must
 * not start a second chain of page requests.
 */
export function answersRequest(state: OrderingState, pageFrom: number): boolean {
  return state.requestedFrom !== null && state.requestedFrom === pageFrom;
}

/** Is the request with this serial still outstanding (so its overdue answer must be asked for again)? */
export function isOverdue(state: OrderingState, serial: number): boolean {
  return state.requestedFrom !== null && state.requestSerial === serial;
}

/**
 * A page that answers the outstanding request arrived and is about to be applied: if it is not
 * the last, the request for the next page can go out now. Returns that request (the caller sends
 * it) and the state that remembers it, or null when there is nothing to ask yet.
 */
export function prefetchNext(state: OrderingState, batch: OrderedBatch): { state: OrderingState; request: PageRequest } | null {
  const page = batch.page;
  if (!page || page.complete || state.prefetched !== null || !answersRequest(state, page.from)) return null;
  // A snapshot page leaves the LSN where it is; a log page moves it to its `lsn`.
  const request: PageRequest = { from: page.cursor !== undefined ? state.lsn : batch.lsn, cursor: page.cursor ?? null, serial: state.requestSerial + 1 };
  return { state: { ...state, requestSerial: request.serial, prefetched: request }, request };
}

/**
 * After {@link afterPage} said `more`: the request for the next page, if it already went out
 * ({@link prefetchNext}) for exactly this position, is now the outstanding one (nothing to send).
 */
export function takePrefetched(state: OrderingState): OrderingState | null {
  const p = state.prefetched;
  if (p === null || p.from !== state.lsn || p.cursor !== state.cursor) return null;
  return { ...state, requestedFrom: p.from, requestSerial: Math.max(state.requestSerial, p.serial), prefetched: null };
}

/**
 * After a page (`sync_response`) was applied or skipped: the outstanding request is answered.
 * `more`: the page was not complete, request the next one. `caughtUp`: this completed catch-up.
 */
export function afterPage(state: OrderingState, complete: boolean, cursor: number | null = null): { state: OrderingState; more: boolean; caughtUp: boolean } {
  const answered = { ...state, requestedFrom: null, cursor: complete ? null : cursor };
  if (!complete) return { state: answered, more: true, caughtUp: false };
  if (state.catchUpTo !== null) return { state: { ...answered, catchUpTo: null }, more: false, caughtUp: true };
  return { state: answered, more: false, caughtUp: false };
}

/**
 * A `welcome { server_lsn }` on a new connection: held batches and any outstanding request
 * belonged to the old one and are dropped (catch-up fetches everything again). `catchUp` says
 * whether pages must be requested; `ahead` that the server is behind this client.
 */
export function onWelcome(localLsn: number, serverLsn: number, requestSerial = 0): { state: OrderingState; catchUp: boolean; ahead: boolean } {
  const base = initialOrdering(localLsn, requestSerial);
  if (serverLsn > localLsn) return { state: { ...markRequested(base), catchUpTo: serverLsn }, catchUp: true, ahead: false };
  return { state: base, catchUp: false, ahead: serverLsn < localLsn };
}
