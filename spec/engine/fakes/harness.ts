/**
 * Builds an engine on a FakeStore and a FakeTransport inside a TestScheduler, and collects what
 * it emits. Frames are built with the helpers below so specs stay short.
 */
import { Observable, Subject } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { createSyncEngine, type SyncEngine } from '../../../lib/engine/engine.js';
import type { EngineConfigInput } from '../../../lib/engine/config.js';
import type { EngineStore, LocalChange, TransportState } from '../../../lib/engine/ports.js';
import { mulberry32 } from '../../../lib/engine/random.js';
import type { SyncStatus } from '../../../lib/engine/status-reducer.js';
import type { SyncError } from '../../../lib/errors.js';
import type { ChangeRequest, ChangesProcessedMsg, Row, ServerChange, ServerFrame } from '../../../lib/protocol/index.js';
import { FakeStore } from './fake-store.js';
import { FakeTransport } from './fake-transport.js';

export interface Harness<S extends EngineStore = FakeStore> {
  store: S;
  transport: FakeTransport;
  engine: SyncEngine;
  errors: Array<{ at: number; error: SyncError }>;
  statuses: Array<{ at: number; status: SyncStatus }>;
  processed: ChangesProcessedMsg[];
  /** Record changes through the store and announce them, as the API does. */
  record(...changes: ChangeRequest[]): LocalChange[];
  /** Announce already-recorded rows (as the API does once they are durable). */
  announce(rows: LocalChange[]): void;
}

export interface HarnessOptions<S extends EngineStore> {
  state$?: Observable<TransportState>;
  message$?: Observable<ServerFrame>;
  errors$?: Observable<SyncError>;
  config?: EngineConfigInput;
  seed?: number;
  store?: S;
}

/** Create (not start) an engine on fakes. */
export function harness<S extends EngineStore = FakeStore>(ts: TestScheduler, opts: HarnessOptions<S> = {}): Harness<S> {
  const store = (opts.store ?? new FakeStore()) as S;
  const transport = new FakeTransport(ts, { state$: opts.state$, message$: opts.message$, errors$: opts.errors$ });
  const local$ = new Subject<LocalChange[]>();
  // Acks at once unless a spec asks for coalescing (ack timing is what most specs assert).
  const engine = createSyncEngine({ store, transport, localChanges$: local$, scheduler: ts, random: mulberry32(opts.seed ?? 1), config: { ackDelay: 0, ...opts.config } });
  const h: Harness<S> = {
    store, transport, engine, errors: [], statuses: [], processed: [],
    record: (...changes) => {
      const recorded = store.recordLocalChanges(changes, ts.now());
      local$.next(recorded);
      return recorded;
    },
    announce: (rows) => local$.next(rows),
  };
  engine.errors$.subscribe((error) => h.errors.push({ at: ts.now(), error }));
  engine.status$.subscribe((status) => h.statuses.push({ at: ts.now(), status }));
  engine.processed$.subscribe((m) => h.processed.push(m));
  return h;
}

/** Run `fn` at virtual time `at` (inside TestScheduler.run). */
export function at(ts: TestScheduler, time: number, fn: () => void): void {
  ts.schedule(fn, time);
}

export const insert = (entity: string, id: string, data: Row): ChangeRequest => ({ op: 'insert', entity, entity_id: id, data: { id, ...data } });
export const update = (entity: string, id: string, data: Row): ChangeRequest => ({ op: 'update', entity, entity_id: id, data });

export const welcome = (server_lsn: number): ServerFrame => ({ type: 'welcome', server_lsn });
export const applied = (...acks: Array<[string, number]>): ServerFrame => ({
  type: 'change_ack',
  acks: acks.map(([change_id, lsn]) => ({ change_id, status: 'applied' as const, lsn })),
});
export const rejected = (change_id: string, reason: string, row: Row | null): ServerFrame => ({
  type: 'change_ack',
  acks: [{ change_id, status: 'rejected', reason, row }],
});
export const sc = (lsn: number, entity: string, id: string, data: Row, client_id = 'other', change_id = `s${lsn}`): ServerChange => ({
  lsn, change_id, client_id, entity, entity_id: id, op: 'update', data,
});
export const serverChanges = (prev_lsn: number, changes: ServerChange[]): ServerFrame => ({
  type: 'server_changes', prev_lsn, lsn: changes[changes.length - 1]!.lsn, changes,
});
export const page = (from_lsn: number, lsn: number, changes: ServerChange[], complete: boolean): ServerFrame => ({
  type: 'sync_response', from_lsn, lsn, changes, complete,
});
