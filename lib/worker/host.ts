/**
 * The sync host: the one place where the store, the connection and the engine are wired together
 * and driven by the main-thread messages of DESIGN section 3. It runs inside the Web Worker
 * (`sync.worker.ts`) or in-process (`in-process.ts`); it only sees a {@link Channel}.
 *
 *   init            -> open store, build transport + engine, start   -> ready
 *   change_recorded -> one transaction, durable, then sent            -> changes_processed (id)
 *   query           -> read-only SQL, rows as one JSON string         -> query_result
 *   connect / disconnect -> transport commands
 *   close           -> stop engine, close socket, flush and close db  -> closed
 *   retry_failed    -> failed changes pending again (end of queue), durable, sent -> failed_result
 *   discard_failed  -> failed changes removed, durable, their rows fetched again  -> failed_result
 *   (engine)        -> status, error, metrics, changes_processed (origin server)
 */
import { NEVER, Subject, asyncScheduler, interval, of, type SchedulerLike, type Subscription } from 'rxjs';
import { isLeft } from '../protocol/either.js';
import { ErrorCodes, PersistenceError, SyncError, toSyncError } from '../errors.js';
import { decodeMainMessage, requestIdOf, type MainToWorker, type WorkerOptions, type WorkerToMain } from '../protocol/index.js';
import { createSyncEngine, DEFAULT_ENGINE_CONFIG, type EngineTransport, type LocalChange, type SyncEngine } from '../engine/index.js';
import { createLogger, type LogSink } from '../log/index.js';
import { indexedDbPersistence, loadSqlJs, memoryPersistence, openStore, type SqlJsStore } from '../store/index.js';
// Types of the public HostRuntime come from files that do not import sql.js's types.
import type { Persistence } from '../store/persistence.js';
import type { WasmFallback } from '../store/wasm-source.js';
import { createTransport, type Transport } from '../transport/index.js';
import { bytesAsBase64 } from '../schema/rows.js';
import type { Channel } from '../client/channel.js';
import { DurableAnnouncer } from './durable-announcer.js';
import { WriteBatcher } from './write-batcher.js';
import { recordWrites } from '../store/record-writes.js';
import type { PlatformParts } from '../platform/types.js';

/** Everything the host takes from its environment (injected, so specs can pass their own). */
export interface HostRuntime extends PlatformParts {
  /** Timers of the engine and the connection. Default asyncScheduler. */
  scheduler?: SchedulerLike;
  /** Jitter source. Default Math.random (the one place it is read). */
  random?: () => number;
  /** Ids for changes and the client. Default crypto.randomUUID. */
  newId?: () => string;
  /** Browser online/offline events (true = online). */
  onlineEvents?: import('rxjs').Observable<boolean>;
  /** Storage override for `init` (Node `{ file }` storage comes this way). */
  persistence?: Persistence;
  /** Where log records go (in-process: the app's `logger`). Default: the console, at `logLevel`. */
  logSink?: LogSink;
  /** sql.js wasm bytes for when the default wasm URL serves none (rx-sync-worker/worker-entry embeds a copy). */
  wasmFallback?: WasmFallback;
}

/** How often synced history is pruned (ms), at most: a shorter retention prunes as often as it lasts (not under 1 s). */
const PRUNE_EVERY = 10 * 60_000;

/** A running sync host: wires one client's store, connection and engine. */
class SyncHost {
  private store: SqlJsStore | null = null;
  private engine: SyncEngine | null = null;
  private transport: Transport | null = null;
  private readonly recorded = new Subject<readonly LocalChange[]>();
  private readonly retried = new Subject<readonly LocalChange[]>();
  private durable: DurableAnnouncer | null = null;
  private readonly subs: Subscription[] = [];
  private nextTokenId = 1;
  private readonly tokenWaiters = new Map<number, (token: string | null) => void>();
  private readonly scheduler: SchedulerLike;
  private batcher: WriteBatcher | null = null;

  constructor(private readonly channel: Channel, private readonly runtime: HostRuntime) {
    this.scheduler = runtime.scheduler ?? asyncScheduler;
    this.subs.push(channel.messages$.subscribe((raw) => void this.receive(raw)));
  }

  private post(msg: WorkerToMain): void {
    this.channel.post(msg);
  }

  private async receive(raw: unknown): Promise<void> {
    const decoded = decodeMainMessage(raw);
    if (isLeft(decoded)) {
      // A request that does not decode (bad `init` options, say) is still answered: its caller
      // (`ready`, a query...) rejects with the error instead of waiting for ever.
      const id = requestIdOf(raw);
      this.post({ type: 'error', ...(id !== undefined && { id }), error: decoded.left.toJSON() });
      return;
    }
    const msg = decoded.right;
    try {
      await this.handle(msg);
    } catch (e) {
      const error = toSyncError(e, ErrorCodes.INTERNAL);
      this.post({ type: 'error', ...('id' in msg && msg.type !== 'token_response' ? { id: msg.id } : {}), error: error.toJSON() });
    }
  }

  private async handle(msg: MainToWorker): Promise<void> {
    switch (msg.type) {
      case 'init':
        return this.init(msg.id, msg.options);
      case 'change_recorded': {
        const store = this.requireStore();
        // Recorded with the other writes of this turn (one transaction); a re-sent write (same
        // change_ids, fixed by the calling tab) is answered, not recorded again.
        const outcome = await this.writeBatcher().add(msg.changes);
        if ('error' in outcome) throw outcome.error;
        const rows = outcome.rows;
        // The app hears "recorded" only once the change is durable; only then is it sent, and in
        // recording order (a change whose journal write failed is kept and goes first: durable-announcer.ts).
        if (outcome.again) await store.whenDurable();
        else await this.announced(this.announcer().add(rows, (r) => this.recorded.next(r)));
        const entities = [...new Set(rows.map((r) => r.entity))];
        this.post({ type: 'changes_processed', id: msg.id, origin: 'local', change_ids: rows.map((r) => r.change_id), entities });
        return;
      }
      case 'query': {
        const rows = this.requireStore().query(msg.sql, msg.params);
        // Bytes (BLOB columns) cross as base64 text; the client turns them back into Uint8Array.
        const bytes = rows.some((r) => Object.values(r).some((v) => v instanceof Uint8Array));
        this.post({ type: 'query_result', id: msg.id, rows_json: bytes ? JSON.stringify(rows, bytesAsBase64) : JSON.stringify(rows) });
        return;
      }
      case 'connect':
        this.transport?.connect();
        return;
      case 'disconnect':
        this.transport?.disconnect();
        return;
      case 'preload':
        // Cached by URL: the `init` of a failover finds sql.js loaded. A failure shows at `init`.
        void loadSqlJs(msg.wasmUrl, this.runtime.wasmFallback).catch(() => undefined);
        return;
      case 'token_response':
        this.tokenWaiters.get(msg.id)?.(msg.token);
        this.tokenWaiters.delete(msg.id);
        return;
      case 'close':
        await this.close();
        this.post({ type: 'closed', id: msg.id });
        return;
      case 'retry_failed': {
        const store = this.requireStore();
        const rows = store.retryFailed(msg.change_ids, this.scheduler.now());
        await this.announced(this.announcer().add(rows, (r) => this.retried.next(r)));
        this.engine?.recount();
        this.post({ type: 'failed_result', id: msg.id, change_ids: rows.map((r) => r.change_id) });
        return;
      }
      case 'discard_failed': {
        const store = this.requireStore();
        const ids = store.failedChanges().filter((c) => msg.change_ids === undefined || msg.change_ids.includes(c.change_id)).map((c) => c.change_id);
        store.discardFailed(msg.change_ids);
        await store.whenDurable();
        this.engine?.refetch();
        this.engine?.recount();
        this.post({ type: 'failed_result', id: msg.id, change_ids: ids });
        return;
      }
    }
  }

  private async init(id: number, options: WorkerOptions): Promise<void> {
    if (this.store) throw new SyncError(ErrorCodes.INTERNAL, 'init was already called');
    // Silent unless the app asked for a level or gave a logger (DESIGN: "logger ... optional").
    const logger = createLogger({
      level: options.logLevel ?? (this.runtime.logSink ? 'warn' : 'silent'),
      ...(this.runtime.logSink !== undefined && { sink: this.runtime.logSink }),
      now: () => this.scheduler.now(),
    });
    const persistence =
      this.runtime.persistence ??
      (options.storage === 'indexeddb' ? indexedDbPersistence({ name: options.dbName ?? 'rx-sync-worker' }) : memoryPersistence());
    const store = await openStore({
      schema: options.schema,
      // A change that cannot fit one client_change frame is refused when written (it could never be sent).
      maxChangeBytes: options.maxFrameBytes ?? DEFAULT_ENGINE_CONFIG.maxFrameBytes,
      ...(options.schemaVersion !== undefined && { schemaVersion: options.schemaVersion }),
      ...(options.migrations !== undefined && { appMigrations: options.migrations }),
      persistence,
      ...(options.clientId !== undefined && { clientId: options.clientId }),
      ...(options.wasmUrl !== undefined && { wasmUrl: options.wasmUrl }),
      ...(this.runtime.wasmFallback !== undefined && { wasmFallback: this.runtime.wasmFallback }),
      ...(this.runtime.newId !== undefined && { newId: this.runtime.newId }),
      onError: (e) => {
        this.post({ type: 'error', error: e.toJSON() });
        // Another engine (tab) owns the database now: stop syncing at once, write nothing more.
        if (e.code === ErrorCodes.STORE_TAKEN_OVER) this.stopTakenOver();
      },
    });
    this.store = store;
    const random = this.runtime.random ?? Math.random;
    if (options.url && this.runtime.WebSocket) {
      this.transport = createTransport({
        url: options.url,
        WebSocket: this.runtime.WebSocket,
        hello: () => ({ client_id: store.clientId(), last_lsn: store.getLsn(), schema_version: options.schemaVersion ?? 1, server_id: store.serverId(), ...withScopes(store.replicaScopes()) }),
        ...(options.hasToken && { token: () => this.requestToken() }),
        schema: store.schema,
        ...(options.backoff !== undefined && { backoff: options.backoff }),
        ...(options.heartbeat !== undefined && { heartbeat: options.heartbeat }),
        scheduler: this.scheduler,
        random,
        ...(this.runtime.onlineEvents !== undefined && { onlineEvents: this.runtime.onlineEvents }),
        logger: logger.child({ part: 'transport' }),
      });
    }
    const engine = createSyncEngine({
      store,
      transport: this.transport ?? OFFLINE_TRANSPORT,
      localChanges$: this.recorded,
      retried$: this.retried,
      scheduler: this.scheduler,
      random,
      config: {
        ...(options.backoff !== undefined && { backoff: options.backoff }),
        ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
        ...(options.ackTimeout !== undefined && { ackTimeout: options.ackTimeout }),
        ...(options.batchSize !== undefined && { batchSize: options.batchSize }),
        ...(options.maxFrameBytes !== undefined && { maxFrameBytes: options.maxFrameBytes }),
      },
      logger: logger.child({ part: 'engine' }),
    });
    this.engine = engine;
    this.subs.push(
      engine.status$.subscribe((status) => this.post({ type: 'status', status })),
      engine.errors$.subscribe((e) => this.post({ type: 'error', error: e.toJSON() })),
      engine.processed$.subscribe((m) => this.post(m)),
      engine.metrics$.subscribe((metrics) => this.post({ type: 'metrics', metrics: { ...metrics } })),
    );
    const retention = options.historyRetention ?? 7 * 24 * 3600_000;
    const prune = () => store.pruneHistory(this.scheduler.now() - retention);
    prune();
    // Every retention period (capped): history then never outlives the retention by more than that.
    this.subs.push(interval(Math.min(PRUNE_EVERY, Math.max(1000, retention)), this.scheduler).subscribe(prune));
    engine.start();
    this.transport?.connect();
    this.post({ type: 'ready', id, client_id: store.clientId(), lsn: store.getLsn(), epoch: store.ownerEpoch() });
  }

  private requestToken(): Promise<string | null> {
    const id = this.nextTokenId++;
    return new Promise((resolve) => {
      this.tokenWaiters.set(id, resolve);
      this.post({ type: 'token_request', id });
    });
  }

  /** The announcer of durable recordings (made with the store). */
  private writeBatcher(): WriteBatcher {
    this.batcher ??= new WriteBatcher((writes) => recordWrites(this.requireStore(), writes, this.scheduler.now()));
    return this.batcher;
  }

  private announcer(): DurableAnnouncer {
    this.durable ??= new DurableAnnouncer(this.requireStore(), this.scheduler);
    return this.durable;
  }

  /** A recording's durability, for the app's answer: a failed write is kept (and said so). */
  private async announced(durable: Promise<void>): Promise<void> {
    try {
      await durable;
    } catch (e) {
      const error = toSyncError(e, ErrorCodes.PERSISTENCE);
      // Only a failed write keeps the change; anything else (the store taken over...) is what it is.
      if (error.code !== ErrorCodes.PERSISTENCE) throw error;
      throw new PersistenceError(ErrorCodes.PERSISTENCE, `${error.message}; the change is kept: it is written with the next flush and sent after it, in order`, { cause: error });
    }
  }

  private requireStore(): SqlJsStore {
    if (!this.store) throw new SyncError(ErrorCodes.INTERNAL, 'the sync host is not initialised (send init first)');
    return this.store;
  }

  /** Requests are still answered (a write then fails with store_taken_over); nothing syncs any more. */
  private stopTakenOver(): void {
    this.engine?.stop();
    this.transport?.close();
  }

  private async close(): Promise<void> {
    this.durable?.stop();
    this.engine?.stop();
    this.transport?.close();
    for (const s of this.subs.splice(0)) s.unsubscribe();
    await this.store?.close();
  }
}

/** The engine's view of "no server": never connects, sends nothing (no URL, or no WebSocket here). */
const OFFLINE_TRANSPORT: EngineTransport = { state$: of('closed'), message$: NEVER, errors$: NEVER, send: () => false };

/** Start a sync host on a channel. It lives until `close` (or the channel ends). */
export function startSyncHost(channel: Channel, runtime: HostRuntime): void {
  new SyncHost(channel, runtime);
}

/** `hello.scopes` when the replica has recorded scopes (a server without access rules never sends any). */
function withScopes(scopes: string[] | null): { scopes?: string[] } {
  return scopes === null ? {} : { scopes };
}
