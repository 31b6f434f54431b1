/**
 * The main-thread API (DESIGN section 6).
 *
 * ```ts
 * const client = createSyncClient({ url, schema, storage: 'indexeddb' });
 * await client.ready;
 * await client.insert('todos', { id: 'a', title: 'x', done: 0 });   // resolves once durable
 * client.status$.subscribe(...); client.errors$.subscribe(...);
 * ```
 * The client converts app values to wire values and talks to the sync host over a {@link Channel}: a Web Worker by default, the same host
 * in-process with `worker: false`.
 */
import { Observable, ReplaySubject, Subject, filter, map, share, timer } from 'rxjs';
import { ErrorCodes, SchemaError, SyncError, fromSerialized, toSyncError, type SerializedSyncError } from '../errors.js';
import type { ChangeRequest, Row, WorkerOptions } from '../protocol/index.js';
import { readColumnTypes, type ColumnTypes } from '../schema/column-types.js';
import { rowDecoder, toAppRow } from '../schema/rows.js';
import { toWireRow } from '../schema/values.js';
import type { LocalChange, QuarantinedChange } from '../engine/ports.js';
import type { EngineMetrics } from '../log/metrics.js';
import { type Channel } from './channel.js';
import { liveQuery, tablesOf } from './live-query.js';
import type { SyncClientOptions } from './options.js';
import { RpcClient } from './rpc.js';
import { openChannel, type WorkerFailureReport } from './open-channel.js';
import { openTabsChannel } from '../tabs/open-tabs.js';
import { startTimeoutError, workerRuntimeError, workerStartError } from './worker-start.js';

export type { AppValue, QueryParam, RowLike, SyncClient, SyncStatus, WriteOp } from './types.js';
export { INITIAL_STATUS } from './types.js';
import { INITIAL_STATUS, type QueryParam, type RowLike, type SyncClient, type SyncStatus, type WriteOp } from './types.js';
import { lazyChannel } from './lazy-channel.js';

/**
 * Create a client. The schema is checked by the sync host (io-ts stays off the main thread):
 * a bad one rejects `ready` with a SchemaError naming its path (also on `errors$`).
 */
export function createSyncClient(options: SyncClientOptions): SyncClient {
  const schema = readColumnTypes(options.schema);
  // Tabs that share the database share one engine (lib/tabs); otherwise this client starts its own.
  return new SyncClientImpl(schema, options, (report) => {
    const shared = openTabsChannel(options, () => openChannel(options, report));
    return shared ? Promise.resolve(shared) : openChannel(options, report);
  });
}

class SyncClientImpl implements SyncClient {
  readonly ready: Promise<void>;
  readonly clientId: Promise<string>;
  readonly status$: Observable<SyncStatus>;
  readonly errors$: Observable<SyncError>;
  readonly metrics$: Observable<EngineMetrics>;
  private readonly rpc: RpcClient;
  private readonly channel: Channel;
  private readonly status = new ReplaySubject<SyncStatus>(1);
  private lastStatus: SyncStatus = INITIAL_STATUS;
  private readonly metrics = new ReplaySubject<EngineMetrics>(1);
  private readonly errors = new Subject<SyncError>();
  private readonly changed$: Observable<readonly string[]>;
  private readonly tables: string[];
  /** True once the host said `ready`: a worker error after that is a runtime error, not a start failure. */
  private started = false;

  constructor(private readonly schema: ColumnTypes, private readonly options: SyncClientOptions, open: (report: WorkerFailureReport) => Promise<Channel>) {
    this.tables = Object.keys(schema);
    const channel = open((event, source) => {
      if (this.started) this.errors.next(workerRuntimeError(event));
      else this.rpc.fail(workerStartError(source, event));
    });
    this.channel = lazyChannel(channel, (e) => this.rpc.fail(e));
    const rpc = new RpcClient(this.channel);
    this.rpc = rpc;
    this.status$ = this.status.asObservable();
    this.errors$ = this.errors.asObservable();
    this.metrics$ = this.metrics.asObservable();
    this.changed$ = rpc.events$.pipe(
      filter((m) => m.type === 'changes_processed'),
      map((m) => (m as { entities: string[] }).entities),
      share(),
    );
    rpc.events$.subscribe((m) => {
      if (m.type === 'status') this.nextStatus(m.status);
      else if (m.type === 'metrics') this.metrics.next(m.metrics as unknown as EngineMetrics);
      else if (m.type === 'error') this.errors.next(fromSerialized(m.error as SerializedSyncError));
      else if (m.type === 'token_request') void this.answerToken(m.id);
    });
    const init: WorkerOptions = {
      // The declaration as the app wrote it: the host checks it again on its side of the boundary.
      schema: options.schema,
      ...(options.schemaVersion !== undefined && { schemaVersion: options.schemaVersion }),
      ...(options.migrations !== undefined && { migrations: options.migrations as WorkerOptions['migrations'] }),
      storage: options.storage === 'memory' ? 'memory' : 'indexeddb',
      ...(options.url !== undefined && { url: typeof options.url === 'string' ? options.url : [...options.url] }),
      ...(options.clientId !== undefined && { clientId: options.clientId }),
      ...(options.dbName !== undefined && { dbName: options.dbName }),
      ...(options.backoff !== undefined && { backoff: options.backoff }),
      ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
      ...(options.ackTimeout !== undefined && { ackTimeout: options.ackTimeout }),
      ...(options.heartbeat !== undefined && { heartbeat: options.heartbeat }),
      ...(options.batchSize !== undefined && { batchSize: options.batchSize }),
      ...(options.maxFrameBytes !== undefined && { maxFrameBytes: options.maxFrameBytes }),
      ...(options.historyRetention !== undefined && { historyRetention: options.historyRetention }),
      ...(options.logLevel !== undefined && { logLevel: options.logLevel }),
      ...(options.wasmUrl !== undefined && { wasmUrl: absoluteUrl(options.wasmUrl) }),
      hasToken: options.token !== undefined,
    };
    const readyMsg = rpc.request<{ type: 'ready'; id: number; client_id: string; lsn: number }>({ type: 'init', options: init });
    // A host that never answers must not leave `ready` pending forever.
    const startTimeout = options.startTimeout ?? 30_000;
    const inWorker = options.worker === undefined ? typeof Worker !== 'undefined' : options.worker !== false;
    const source = !inWorker ? 'in-process' : typeof options.worker === 'function' ? 'app' : 'bundled';
    const deadline = timer(startTimeout).subscribe(() => rpc.fail(startTimeoutError(startTimeout, source)));
    readyMsg.then(
      () => {
        this.started = true;
        deadline.unsubscribe();
      },
      (e: unknown) => {
        deadline.unsubscribe();
        this.startFailed(e);
      },
    );
    this.ready = readyMsg.then(() => undefined);
    this.clientId = readyMsg.then((m) => m.client_id);
    // A failed start is reported on `ready`, errors$ and status; an unread clientId must not add an unhandled rejection.
    this.clientId.catch(() => undefined);
  }

  insert<T extends RowLike<T>>(table: string, row: T): Promise<void> {
    return this.write([{ op: 'insert', table, row }]);
  }
  update<T extends RowLike<T>>(table: string, id: string | number, patch: Partial<T>): Promise<void> {
    return this.write([{ op: 'update', table, id, patch }]);
  }
  delete(table: string, id: string | number): Promise<void> {
    return this.write([{ op: 'delete', table, id }]);
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    let changes: ChangeRequest[];
    try {
      changes = ops.map((o) => this.toChange(o)); // values are taken at call time
    } catch (e) {
      await this.ready; // a schema the host refused explains more than "unknown table"
      throw e;
    }
    await this.ready;
    // The host checks every change against the checked schema (checkChange) before recording any.
    await this.rpc.request({ type: 'change_recorded', changes });
  }

  async query<T>(sql: string, params: readonly QueryParam[] = []): Promise<T[]> {
    const rows = JSON.parse(await this.queryJson(sql, params)) as Record<string, unknown>[];
    const decode = rowDecoder(this.schema, tablesOf(sql, this.tables));
    return (decode ? decode(rows) : rows) as T[];
  }

  query$<T>(sql: string, params: readonly QueryParam[] = []): Observable<T[]> {
    const tables = tablesOf(sql, this.tables);
    return liveQuery<T>(() => this.queryJson(sql, params), this.changed$, tables, rowDecoder(this.schema, tables));
  }

  pendingChanges(): Promise<LocalChange[]> {
    return this.changesWhere(`status = 'pending' AND origin = 'local' ORDER BY seq`);
  }
  failedChanges(): Promise<LocalChange[]> {
    return this.changesWhere(`status = 'failed' ORDER BY seq DESC`);
  }

  async retryFailed(ids?: readonly string[]): Promise<string[]> {
    await this.ready;
    const res = await this.rpc.request<{ type: 'failed_result'; id: number; change_ids: string[] }>({ type: 'retry_failed', ...(ids !== undefined && { change_ids: [...ids] }) });
    return res.change_ids;
  }
  async discardFailed(ids?: readonly string[]): Promise<string[]> {
    await this.ready;
    const res = await this.rpc.request<{ type: 'failed_result'; id: number; change_ids: string[] }>({ type: 'discard_failed', ...(ids !== undefined && { change_ids: [...ids] }) });
    return res.change_ids;
  }
  quarantinedChanges(): Promise<QuarantinedChange[]> {
    return this.query<QuarantinedChange>('SELECT * FROM quarantined_changes ORDER BY lsn');
  }

  connect(): void {
    this.rpc.send({ type: 'connect' });
  }
  disconnect(): void {
    this.rpc.send({ type: 'disconnect' });
  }

  async close(): Promise<void> {
    try {
      await this.ready.catch(() => undefined);
      await this.rpc.request({ type: 'close' });
    } finally {
      this.terminate();
    }
  }

  terminate(): void {
    this.rpc.fail(new SyncError(ErrorCodes.CLOSED, 'the client is closed'));
    this.channel.terminate();
    this.status.complete();
    this.errors.complete();
    this.metrics.complete();
  }

  /** `ready` rejected: the same error goes to `errors$` and `status.lastError`, and the host is stopped. */
  private startFailed(e: unknown): void {
    const error = toSyncError(e, ErrorCodes.WORKER_START);
    if (error.code === ErrorCodes.CLOSED) return;
    this.errors.next(error);
    this.nextStatus({ ...this.lastStatus, lastError: error.toJSON() });
    this.channel.terminate();
  }

  private nextStatus(status: SyncStatus): void {
    this.lastStatus = status;
    this.status.next(status);
  }

  private async changesWhere(where: string): Promise<LocalChange[]> {
    const rows = await this.query<LocalChange & { data: string | null }>(`SELECT * FROM local_changes WHERE ${where}`);
    return rows.map((r) => ({ ...r, data: r.data === null ? null : (toAppRow(this.schema, r.entity, JSON.parse(r.data) as Row) as Row) }));
  }

  private async queryJson(sql: string, params: readonly QueryParam[]): Promise<string> {
    await this.ready;
    // A boolean parameter is compared with a BOOLEAN column's stored 0 / 1.
    const bound = params.map((p) => (p === true ? 1 : p === false ? 0 : p));
    const res = await this.rpc.request<{ type: 'query_result'; id: number; rows_json: string }>({ type: 'query', sql, params: bound });
    return res.rows_json;
  }

  /**
   * A write in wire form. An unknown table or a missing key fails here at once; columns and values
   * are checked by the host, which records nothing of a write with a bad change (SchemaError).
   */
  private toChange(o: WriteOp): ChangeRequest {
    const def = this.schema[o.table];
    if (!def || !Object.prototype.hasOwnProperty.call(this.schema, o.table)) throw new SchemaError(`unknown table "${o.table}"`, { entity: o.table });
    // App values (booleans, bytes, JSON values) become wire values here, once.
    const change: ChangeRequest =
      o.op === 'insert'
        ? { op: 'insert', entity: o.table, entity_id: String((o.row as Row)[def.primaryKey] ?? ''), data: toWireRow(def, o.table, o.row as Record<string, unknown>) }
        : o.op === 'update'
          ? { op: 'update', entity: o.table, entity_id: String(o.id), data: toWireRow(def, o.table, o.patch as Record<string, unknown>) }
          : { op: 'delete', entity: o.table, entity_id: String(o.id), data: null };
    if (change.entity_id === '') throw new SchemaError(`insert into "${o.table}" needs its primary key "${def.primaryKey}"`, { entity: o.table });
    return change;
  }

  private async answerToken(id: number): Promise<void> {
    let token: string | null = null;
    try {
      token = (await this.options.token?.()) ?? null;
    } catch (e) {
      this.errors.next(new SyncError(ErrorCodes.AUTH, 'token() failed', { cause: e }));
    }
    this.rpc.send({ type: 'token_response', id, token });
  }
}

/** A URL made absolute against the page: the worker resolves relative URLs against its own script. */
function absoluteUrl(url: string | URL): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return base === undefined ? String(url) : new URL(String(url), base).href;
}
